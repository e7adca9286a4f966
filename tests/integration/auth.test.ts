import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, AuditEvent, Session, User } from '../../entities/index.ts';
import {
  createApiKey,
  hashPassword,
  KEY_CACHE_MS,
  login,
  LOGIN_THROTTLE,
  loginWaitMs,
  revokeApiKey,
  verifyApiKey,
  getUserFromCookieHeader,
} from '../../app/lib/auth.server.ts';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import type { AppContext } from '../../app/lib/context.server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
let ctx: AppContext;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  db = await createTestDatabase('auth');
  ctx = {
    orm: db.orm,
    config: {} as AppContext['config'],
    temporal: async () => {
      throw new Error('unused');
    },
    ip: '10.0.0.1',
    secure: false,
    state: {},
  };
  const em = db.orm.em.fork();
  em.create(User, { email: 'ops@example.com', name: 'Ops', role: 'ops_manager', passwordHash: await hashPassword(PASSWORD) });
  em.create(User, { email: 'gone@example.com', name: 'Gone', role: 'agent', active: false, passwordHash: await hashPassword(PASSWORD) });
  await em.flush();
});
afterAll(async () => {
  await db.drop();
});

const cookieFrom = (setCookie: string) => setCookie.split(';')[0];

describe('passwords and sessions', () => {
  it('stores argon2id hashes, never the password', async () => {
    const u = await db.orm.em.fork().findOneOrFail(User, { email: 'ops@example.com' });
    expect(u.passwordHash).toMatch(/^\$argon2id\$/);
    expect(u.passwordHash).not.toContain(PASSWORD);
  });

  it('signs in, sets an HttpOnly SameSite=Lax cookie, stores only the token hash, and audits it', async () => {
    const r = await login({ ...ctx, ip: '10.0.0.2' }, { email: ' OPS@example.com ', password: PASSWORD });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setCookie).toMatch(/HttpOnly/);
    expect(r.setCookie).toMatch(/SameSite=Lax/);
    expect(r.setCookie).not.toMatch(/Secure/);
    const token = decodeURIComponent(cookieFrom(r.setCookie).split('=')[1]);
    const em = db.orm.em.fork();
    expect(await em.count(Session, { id: token })).toBe(0);
    expect(await em.count(Session, {})).toBe(1);
    expect(await getUserFromCookieHeader(em, cookieFrom(r.setCookie))).toMatchObject({ email: 'ops@example.com', role: 'ops_manager' });
    expect(await em.count(AuditEvent, { action: 'auth.login', actorLabel: 'ops@example.com', ip: '10.0.0.2' })).toBe(1);
  });

  it('marks the cookie Secure behind https', async () => {
    const r = await login({ ...ctx, ip: '10.0.0.3', secure: true }, { email: 'ops@example.com', password: PASSWORD });
    expect(r.ok && r.setCookie).toMatch(/Secure/);
  });

  it('rejects a wrong password and an inactive user the same way, and audits the failure', async () => {
    expect(await login({ ...ctx, ip: '10.0.1.1' }, { email: 'ops@example.com', password: 'nope' })).toEqual({ ok: false, code: 'invalid_credentials' });
    expect(await login({ ...ctx, ip: '10.0.1.2' }, { email: 'gone@example.com', password: PASSWORD })).toEqual({ ok: false, code: 'invalid_credentials' });
    expect(await login({ ...ctx, ip: '10.0.1.3' }, { email: 'nobody@example.com', password: PASSWORD })).toEqual({ ok: false, code: 'invalid_credentials' });
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'auth.login_failed' })).toBeGreaterThanOrEqual(3);
  });

  it('throttles an account from one address with growing waits, and never locks the real user out from theirs', async () => {
    const em = db.orm.em.fork();
    em.create(User, { email: 'target@example.com', name: 'Target', role: 'agent', passwordHash: await hashPassword(PASSWORD) });
    await em.flush();
    const email = 'target@example.com';
    const attacker = { ...ctx, ip: '10.0.9.9' };
    // Three free failures, then the fourth attempt from that address waits (even with the right password).
    for (let i = 0; i < LOGIN_THROTTLE.pairFree; i++)
      expect(await login(attacker, { email, password: 'wrong' })).toEqual({ ok: false, code: 'invalid_credentials' });
    const throttled = await login(attacker, { email, password: PASSWORD });
    expect(throttled).toMatchObject({ ok: false, code: 'too_many_attempts' });
    expect(throttled.ok === false && throttled.code === 'too_many_attempts' && throttled.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Each further failure doubles the wait: measured as the wait after the next failure, taken at the same moment.
    const now = Date.now();
    const first = await loginWaitMs(db.orm.em.fork(), email, attacker.ip, now);
    await db.orm.em.fork().execute(`update audit_event set at = at - interval '10 minutes' where action = 'auth.login_failed' and ip = ?`, [attacker.ip]);
    expect(await login(attacker, { email, password: 'wrong' })).toEqual({ ok: false, code: 'invalid_credentials' });
    const second = await loginWaitMs(db.orm.em.fork(), email, attacker.ip, Date.now());
    expect(second).toBeGreaterThan(first * 1.5);
    // The real user, from their own address, is not held back at all.
    expect(await login({ ...ctx, ip: '10.0.9.1' }, { email, password: PASSWORD })).toMatchObject({ ok: true });
  });

  it('throttles an address that tries many accounts, and a success clears the count of that account and address', async () => {
    const ip = '10.0.8.8';
    for (let i = 0; i < LOGIN_THROTTLE.addressFree; i++) await login({ ...ctx, ip }, { email: `nobody${i}@example.com`, password: 'x' });
    expect(await login({ ...ctx, ip }, { email: 'ops@example.com', password: PASSWORD })).toMatchObject({ ok: false, code: 'too_many_attempts' });
    // A pair's failures before its last success do not count.
    const pairIp = '10.0.7.7';
    for (let i = 0; i < LOGIN_THROTTLE.pairFree - 1; i++) await login({ ...ctx, ip: pairIp }, { email: 'ops@example.com', password: 'wrong' });
    expect(await login({ ...ctx, ip: pairIp }, { email: 'ops@example.com', password: PASSWORD })).toMatchObject({ ok: true });
    await login({ ...ctx, ip: pairIp }, { email: 'ops@example.com', password: 'wrong' });
    expect(await loginWaitMs(db.orm.em.fork(), 'ops@example.com', pairIp)).toBe(0);
  });

  it('ignores an expired or forged session cookie', async () => {
    const em = db.orm.em.fork();
    await em.nativeUpdate(Session, {}, { expiresAt: new Date(Date.now() - 1000) });
    expect(await getUserFromCookieHeader(em, 'oms_session=forged')).toBeNull();
    const sessions = await em.find(Session, {});
    expect(sessions.length).toBeGreaterThan(0);
  });
});

describe('API keys', () => {
  it('shows the key once, stores a hash, verifies it, and stops accepting it when revoked', async () => {
    const em = db.orm.em.fork();
    const { key, prefix } = await createApiKey(em, { name: 'Shop', role: 'agent' }, SYSTEM);
    expect(key).toMatch(/^oms_[0-9a-f]{12}_/);
    const row = await db.orm.em.fork().findOneOrFail(ApiKey, { prefix });
    // The secret (everything after `oms_<prefix>_`; base64url may itself contain "_") is never stored.
    const secret = key.slice(`oms_${prefix}_`.length);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.secretHash).not.toContain(secret);
    expect((await verifyApiKey(db.orm.em.fork(), key))?.role).toBe('agent');
    expect(await verifyApiKey(db.orm.em.fork(), key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'))).toBeNull();
    expect(await verifyApiKey(db.orm.em.fork(), 'garbage')).toBeNull();
    expect(await revokeApiKey(db.orm.em.fork(), row.id, SYSTEM)).toBe(true);
    expect(await verifyApiKey(db.orm.em.fork(), key)).toBeNull();
    expect(await revokeApiKey(db.orm.em.fork(), row.id, SYSTEM)).toBe(false);
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'api_key.created', entityId: String(row.id) })).toBe(1);
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'api_key.revoked', entityId: String(row.id) })).toBe(1);
  });

  it('stops accepting a key revoked by another node within KEY_CACHE_MS', async () => {
    const { key, prefix } = await createApiKey(db.orm.em.fork(), { name: 'Elsewhere', role: 'agent' }, SYSTEM);
    expect((await verifyApiKey(db.orm.em.fork(), key))?.role).toBe('agent');
    // Another web process revokes it: this one may still accept it from memory, but not for longer than KEY_CACHE_MS.
    await db.orm.em.fork().nativeUpdate(ApiKey, { prefix }, { revokedAt: new Date() });
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 50));
    expect(await verifyApiKey(db.orm.em.fork(), key)).toBeNull();
  });
});
