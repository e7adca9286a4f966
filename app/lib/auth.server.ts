import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { redirect } from '@remix-run/node';
import { ApiKey, Session, User, type IUser, type Role } from '../../entities/index.ts';
import { audit, type Actor } from './audit.server.ts';
import { prepare, sql } from './db.server.ts';
import { can, type Permission } from './permissions.ts';
import { problem } from './problem.ts';
import type { AppContext } from './context.server.ts';

const SESSION_COOKIE = 'oms_session';
const SESSION_TTL_MS = 1000 * 60 * 60 * 24 * 14;
/**
 * Sign-in throttling, counted from the audit trail (so every web node agrees). Failures count per account
 * *and* address, since that pair's last success: the first few are free, then each attempt from that pair
 * waits twice as long as the one before. Per address alone (many accounts tried from one place) the free
 * allowance is larger. There is deliberately no limit per account alone: it would let anyone lock the
 * real user out by failing on purpose; the user, from their own address, signs in as always.
 */
export const LOGIN_THROTTLE = { windowMs: 60 * 60 * 1000, pairFree: 3, addressFree: 20, maxDelayMs: 15 * 60 * 1000 } as const;
const backoffMs = (failures: number, free: number) => (failures < free ? 0 : Math.min(LOGIN_THROTTLE.maxDelayMs, 2 ** (failures - free) * 2000));

// argon2id with OWASP's recommended minimum cost (19 MiB, 2 passes).
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON);
const verifyPassword = (stored: string, password: string) => verify(stored, password).catch(() => false);

const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');
const randomToken = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url');

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get('Cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      } // a malformed cookie is no cookie
    }
  }
  return null;
}

export function serializeCookie(name: string, value: string, opts: { maxAge?: number; secure: boolean }): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${Math.floor(opts.maxAge)}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

export interface CurrentUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: IUser['locale'];
}

export interface Principal {
  kind: 'user' | 'api_key';
  role: Role;
  actor: Actor;
  user?: CurrentUser;
}

function toCurrentUser(u: IUser): CurrentUser {
  return { id: u.id, email: u.email, name: u.name, role: u.role, locale: u.locale };
}

export const userActor = (user: CurrentUser, ip?: string): Actor => ({ type: 'user', id: user.id, label: user.email, ip });

/** Looks up the session cookie; null when absent, unknown or expired. */
export async function getUserFromCookieHeader(em: EntityManager, cookieHeader: string | null | undefined): Promise<CurrentUser | null> {
  const token = cookieHeader ? readCookie(new Request('http://x', { headers: { Cookie: cookieHeader } }), SESSION_COOKIE) : null;
  if (!token) return null;
  const session = await em.findOne(Session, { id: sha256(token), expiresAt: { $gt: new Date() } }, { populate: ['user'] });
  if (!session || !session.user.active) return null;
  return toCurrentUser(session.user as IUser);
}

export async function getUser(request: Request, context: AppContext): Promise<CurrentUser | null> {
  return getUserFromCookieHeader(context.orm.em.fork(), request.headers.get('Cookie'));
}

/**
 * Every page loader and action starts here: no session sends the browser to /login,
 * a session without the permission gets 403.
 */
export async function requireUser(request: Request, context: AppContext, permission?: Permission): Promise<CurrentUser> {
  const user = await getUser(request, context);
  if (!user) {
    const url = new URL(request.url);
    throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  if (permission && !can(user.role, permission)) throw forbidden(permission);
  return user;
}

export function forbidden(permission: Permission): Response {
  return problem(403, 'forbidden', { detail: `Requires permission ${permission}`, permission });
}

/** API routes: a Bearer API key, or the browser's session. */
export async function requireApi(request: Request, context: AppContext, permission: Permission): Promise<Principal> {
  const em = context.orm.em.fork();
  const auth = request.headers.get('Authorization');
  let principal: Principal | null = null;
  if (auth?.startsWith('Bearer ')) {
    const key = await verifyApiKey(em, auth.slice(7).trim());
    if (!key) throw problem(401, 'invalid_api_key', { detail: 'The API key is unknown or revoked.' });
    await context.apiLimiter?.consume(key.id);
    principal = { kind: 'api_key', role: key.role, actor: { type: 'api_key', id: key.id, label: key.name, ip: context.ip } };
  } else {
    const user = await getUserFromCookieHeader(em, request.headers.get('Cookie'));
    if (user) principal = { kind: 'user', role: user.role, user, actor: userActor(user, context.ip) };
  }
  if (!principal) throw problem(401, 'unauthenticated', { detail: 'Send Authorization: Bearer <api key>.' }, { 'WWW-Authenticate': 'Bearer' });
  if (!can(principal.role, permission)) throw forbidden(permission);
  return principal;
}

export type LoginResult =
  | { ok: true; user: CurrentUser; setCookie: string }
  | { ok: false; code: 'invalid_credentials' }
  | { ok: false; code: 'too_many_attempts'; retryAfterSeconds: number };

/** How long this email from this address must still wait before the next attempt (0: it may try now). */
export async function loginWaitMs(em: EntityManager, email: string, ip: string, now = Date.now()): Promise<number> {
  const [row] = await em.execute<{ pair: string; pair_last: Date | null; address: string; address_last: Date | null }[]>(
    `select count(*) filter (where f.entity_id = ? and f.at > coalesce(s.at, '-infinity')) as pair,
            max(f.at) filter (where f.entity_id = ? and f.at > coalesce(s.at, '-infinity')) as pair_last,
            count(*) as address, max(f.at) as address_last
       from audit_event f
       left join lateral (select max(a.at) as at from audit_event a join app_user u on a.entity_id = u.id::text
                           where u.email = ? and a.entity_type = 'User' and a.action = 'auth.login' and a.ip = ?) s on true
      where f.action = 'auth.login_failed' and f.ip = ? and f.at > ?`,
    [email, email, email, ip, ip, new Date(now - LOGIN_THROTTLE.windowMs)],
  );
  const until = (last: Date | null, failures: number, free: number) => (last ? new Date(last).getTime() + backoffMs(failures, free) : 0);
  return Math.max(
    0,
    until(row.pair_last, Number(row.pair), LOGIN_THROTTLE.pairFree) - now,
    until(row.address_last, Number(row.address), LOGIN_THROTTLE.addressFree) - now,
  );
}

/** Checks the password (throttled: LOGIN_THROTTLE) and opens a session. */
export async function login(context: AppContext, input: { email: string; password: string; userAgent?: string | null }): Promise<LoginResult> {
  const em = context.orm.em.fork();
  const email = input.email.trim().toLowerCase();
  const wait = await loginWaitMs(em, email, context.ip);
  if (wait > 0) return { ok: false, code: 'too_many_attempts', retryAfterSeconds: Math.ceil(wait / 1000) };
  const user = await em.findOne(User, { email, active: true });
  // An unknown email still costs one verification, so timing does not reveal which emails exist.
  const valid = await verifyPassword(user ? user.passwordHash : await dummyHash(), input.password);
  if (!user || !valid) {
    audit(em, { type: 'anonymous', ip: context.ip, label: email }, { action: 'auth.login_failed', entityType: 'User', entityId: email });
    await em.flush();
    return { ok: false, code: 'invalid_credentials' };
  }
  const token = randomToken();
  await em.transactional(async (tx) => {
    tx.create(Session, { id: sha256(token), user, expiresAt: new Date(Date.now() + SESSION_TTL_MS), ip: context.ip, userAgent: input.userAgent ?? null });
    const u = tx.merge(user);
    u.lastLoginAt = new Date();
    audit(tx, userActor(toCurrentUser(user), context.ip), { action: 'auth.login', entityType: 'User', entityId: user.id });
  });
  return { ok: true, user: toCurrentUser(user), setCookie: serializeCookie(SESSION_COOKIE, token, { maxAge: SESSION_TTL_MS / 1000, secure: context.secure }) };
}

let dummy: Promise<string> | undefined;
const dummyHash = () => (dummy ??= hashPassword(randomToken()));

export async function logout(request: Request, context: AppContext): Promise<string> {
  const token = readCookie(request, SESSION_COOKIE);
  if (token) {
    const em = context.orm.em.fork();
    const session = await em.findOne(Session, { id: sha256(token) }, { populate: ['user'] });
    if (session) {
      audit(
        em,
        { type: 'user', id: session.user.id, label: session.user.email, ip: context.ip },
        { action: 'auth.logout', entityType: 'User', entityId: session.user.id },
      );
      em.remove(session);
      await em.flush();
    }
  }
  return serializeCookie(SESSION_COOKIE, '', { maxAge: 0, secure: context.secure });
}

// ---- CSRF ----
// Signed in, the token is derived from the session (HMAC keyed by the session's secret token), so a token
// is good only with the session it was rendered for and dies with it. Signed out (the sign-in form), a
// random value in an HttpOnly cookie and in the form (double submit).

const CSRF_COOKIE = 'oms_csrf';
const CSRF_FIELD = '_csrf';

const sessionCsrf = (sessionToken: string) => crypto.createHmac('sha256', sessionToken).update('oms csrf v1').digest('base64url');

/** The request's CSRF token, and a Set-Cookie header when a new one had to be issued. */
export function csrfToken(request: Request, context: Pick<AppContext, 'secure'>): { token: string; setCookie?: string } {
  const session = readCookie(request, SESSION_COOKIE);
  if (session) return { token: sessionCsrf(session) };
  const existing = readCookie(request, CSRF_COOKIE);
  if (existing && existing.length >= 32) return { token: existing };
  const token = randomToken();
  return { token, setCookie: serializeCookie(CSRF_COOKIE, token, { secure: context.secure }) };
}

/** Throws 403 unless the form carries the token of this session (or, signed out, of the cookie). */
export function assertCsrf(request: Request, form: FormData): void {
  const session = readCookie(request, SESSION_COOKIE);
  const expected = session ? sessionCsrf(session) : readCookie(request, CSRF_COOKIE);
  const sent = form.get(CSRF_FIELD);
  const a = Buffer.from(typeof sent === 'string' ? sent : ''),
    b = Buffer.from(expected ?? '');
  const ok = b.length >= 32 && a.length === b.length && crypto.timingSafeEqual(a, b);
  if (!ok) throw problem(403, 'csrf_failed', { detail: 'The form is stale or was not sent by this site. Reload and try again.' });
}

// ---- API keys ----

export async function createApiKey(
  em: EntityManager,
  input: { name: string; role: Role; createdBy?: CurrentUser | null },
  actor: Actor,
): Promise<{ id: number; key: string; prefix: string }> {
  const prefix = crypto.randomBytes(6).toString('hex');
  const secret = randomToken(24);
  const key = `oms_${prefix}_${secret}`;
  const id = await em.transactional(async (tx) => {
    const row = tx.create(ApiKey, {
      name: input.name,
      prefix,
      secretHash: sha256(key),
      role: input.role,
      createdBy: input.createdBy ? tx.getReference(User, input.createdBy.id) : null,
    });
    await tx.flush();
    audit(tx, actor, { action: 'api_key.created', entityType: 'ApiKey', entityId: row.id, after: { name: input.name, role: input.role, prefix } });
    return row.id;
  });
  return { id, key, prefix };
}

// Every API request needs its key: a prepared statement, not an ORM query (which costs several times
// the CPU of the statement), and a key seen in the last KEY_CACHE_MS is not looked up again (at a
// thousand orders a second, that lookup was most of the statements intake ran). Revoking a key takes
// effect at once on the node that revoked it (revokeApiKey forgets it) and within KEY_CACHE_MS on the others.
const FIND_API_KEY = prepare('api_key_find', 'select id, name, role, secret_hash, last_used_at from api_key where prefix = $1 and revoked_at is null');
const TOUCH_API_KEY = prepare('api_key_touch', 'update api_key set last_used_at = now() where id = $1');
export const KEY_CACHE_MS = 1000;
type KeyRow = { id: number; name: string; role: Role; secret_hash: string; last_used_at: Date | null };
/** Keys looked up lately, by prefix: one lookup at a time per key, however many requests need it at once. */
const recentKeys = new Map<string, { row: Promise<KeyRow | undefined>; until: number }>();

export interface VerifiedApiKey {
  id: number;
  name: string;
  role: Role;
}

export async function verifyApiKey(em: EntityManager, key: string): Promise<VerifiedApiKey | null> {
  const m = /^oms_([0-9a-f]{12})_[A-Za-z0-9_-]+$/.exec(key);
  if (!m) return null;
  const now = Date.now();
  let cached = recentKeys.get(m[1]);
  if (!cached || cached.until <= now) {
    if (recentKeys.size >= 10_000) recentKeys.clear();
    const entry = { row: sql<KeyRow>(em, FIND_API_KEY, [m[1]]).then(([r]) => r), until: now + KEY_CACHE_MS };
    recentKeys.set(m[1], (cached = entry));
    // Unknown keys and failed lookups are not remembered.
    void entry.row.then(
      (r) => {
        if (!r && recentKeys.get(m[1]) === entry) recentKeys.delete(m[1]);
      },
      () => {
        if (recentKeys.get(m[1]) === entry) recentKeys.delete(m[1]);
      },
    );
  }
  const row = await cached.row;
  if (!row) return null;
  const a = Buffer.from(row.secret_hash),
    b = Buffer.from(sha256(key));
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
  // Touch at most once a minute so busy integrations don't write on every request.
  if (!row.last_used_at || now - new Date(row.last_used_at).getTime() > 60_000) {
    row.last_used_at = new Date(now);
    await sql(em, TOUCH_API_KEY, [row.id]);
  }
  return { id: row.id, name: row.name, role: row.role };
}

/** Revokes an API key (audited); false when there is no such key or it was revoked before. */
export async function revokeApiKey(em: EntityManager, id: number, actor: Actor): Promise<boolean> {
  const prefix = await em.transactional(async (tx) => {
    const key = await tx.findOne(ApiKey, { id });
    if (!key || key.revokedAt) return null;
    key.revokedAt = new Date();
    audit(tx, actor, {
      action: 'api_key.revoked',
      entityType: 'ApiKey',
      entityId: key.id,
      before: { revokedAt: null },
      after: { revokedAt: key.revokedAt.toISOString() },
    });
    return key.prefix;
  });
  if (prefix === null) return false;
  recentKeys.delete(prefix);
  return true;
}
