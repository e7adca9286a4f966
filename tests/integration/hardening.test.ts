// What an attacker or an unlucky network does to a running console, each case seen to take it down or to
// write what it should not before the hardening: the web process stays up, answers a 4xx naming the field
// (or 503 in an outage), and writes nothing for a refused request.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../app/lib/problem.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser, signIn } from '../support/http.ts';
import { tcpProxy } from '../support/proxy.ts';
import { connectSocket } from '../support/socket.ts';
import { waitFor } from '../support/wait.ts';

let app: TestApp;
let db: pg.Client;
beforeAll(async () => {
  app = await startTestApp({
    worker: false,
    extraUsers: [
      { key: 'victim', role: 'agent' },
      { key: 'locale-user', role: 'agent' },
    ],
  });
  db = new pg.Client({ connectionString: app.db.url });
  await db.connect();
  await db.query(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('HARD-1', 'B-HARD-1', 'Hardened', 100, 10, 10, 10, 1999, 'USD')`,
  );
  await db.query(`insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                  select p.id, w.id, 1000, 0, 0, 10, now() from product p, warehouse w where p.sku = 'HARD-1'`);
});
afterAll(async () => {
  await db?.end();
  await app?.stop();
});

const alive = async (url = app.url) => (await fetch(`${url}/healthz`)).status !== 0;
const writes = async () =>
  (
    await db.query(`select (select count(*) from audit_event) as audit, (select count(*) from outbox_event) as outbox,
  (select count(*) from sales_order) as orders, (select coalesce(sum(refunded_minor), 0) from payment) as refunded`)
  ).rows[0];
const api = (path: string, init: RequestInit & { key?: string } = {}) =>
  fetch(app.url + path, {
    ...init,
    headers: { Authorization: `Bearer ${init.key ?? app.credentials.apiKey}`, 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) },
  });
const problemOf = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Problem });

let seq = 0;
const order = (over: Record<string, unknown> = {}) => ({
  channel: 'web',
  externalId: `HARD-${Date.now()}-${++seq}`,
  customer: { email: 'hard@example.com', name: 'First Name' },
  shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
  currency: 'USD',
  lines: [{ sku: 'HARD-1', quantity: 1, unitPrice: 1999 }],
  paymentMethod: 'test-card',
  ...over,
});

/** A second web process whose database connections go through a TCP proxy the test can cut. */
async function webBehindDatabaseProxy() {
  const proxy = await tcpProxy(new URL(app.db.url).host);
  const dbUrl = new URL(app.db.url);
  dbUrl.host = proxy.address;
  return { proxy, web: await app.startWeb({ DATABASE_URL: dbUrl.toString() }) };
}

describe('one malformed message no longer ends the stack', () => {
  it('answers bad subscribe payloads on the socket and stays up', async () => {
    const s = await connectSocket(app, 'agent');
    for (const payload of [
      { topics: ['orders'], since: 1.5 },
      { topics: ['orders'], since: -1e308 },
      { topics: ['orders'], since: 'x' },
      { topics: 'orders' },
      null,
      'subscribe',
      [1, 2],
      { topics: ['orders'], extra: true },
      { topics: ['orders\u0000'] },
      { topics: ['\ud83d'] },
    ]) {
      const answer = (await s.timeout(3000).emitWithAck('subscribe', payload)) as { error?: string; errors?: { field: string }[] };
      expect(answer.error, JSON.stringify(payload)).toBe('invalid');
      expect(answer.errors?.length).toBeGreaterThan(0);
    }
    // An acknowledgement that is not a function, no payload at all, unknown events: ignored, not fatal.
    s.emit('subscribe', { topics: ['orders'], since: 1.5 }, 'not-a-callback');
    s.emit('subscribe');
    s.emit('designer:join', { definitionId: 1e20 });
    s.emit('designer:leave', { definitionId: '1; drop table' });
    s.emit('no-such-event', { x: 1 });
    expect(await s.timeout(3000).emitWithAck('designer:join', { definitionId: -1 })).toMatchObject({ error: 'invalid', errors: [{ field: 'definitionId' }] });
    // The same socket still works (as the browser subscribes: no event seen yet), and so does the process.
    expect(await s.timeout(3000).emitWithAck('subscribe', { topics: ['orders'], since: null })).toMatchObject({ joined: ['orders'] });
    expect(await s.timeout(3000).emitWithAck('subscribe', { topics: ['orders'], since: 0 })).toMatchObject({ joined: ['orders'] });
    expect(await alive()).toBe(true);
    s.close();
  });

  it('survives a tab that re-subscribes while the database is unreachable, and recovers with it', async () => {
    const { proxy, web } = await webBehindDatabaseProxy();
    try {
      const s = await connectSocket(app, 'agent', { url: web.url });
      proxy.cut();
      const answer = await s.timeout(15_000).emitWithAck('subscribe', { topics: ['orders'], since: 1 });
      expect(answer).toMatchObject({ error: 'unavailable' });
      expect(web.child.exitCode).toBeNull();
      proxy.restore();
      await waitFor(
        'the subscription to work again',
        async () => {
          const r = (await s
            .timeout(5000)
            .emitWithAck('subscribe', { topics: ['orders'], since: 1 })
            .catch(() => null)) as { joined?: string[] } | null;
          return r?.joined?.includes('orders');
        },
        20_000,
      );
      s.close();
    } finally {
      await web.stop();
      await proxy.close();
    }
  });

  it('refuses a socket.io handshake that names a foreign Origin', async () => {
    await expect(connectSocket(app, 'agent', { headers: { Origin: 'http://evil.example' } })).rejects.toThrow();
    const ok = await connectSocket(app, 'agent', { headers: { Origin: app.url } });
    ok.close();
    // Polling transport too.
    const res = await fetch(`${app.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('answers a search with NUL (API and page) with a 4xx, and stays up', async () => {
    const r = await problemOf(await api('/api/v1/orders?q=%00'));
    expect(r).toMatchObject({
      status: 400,
      type: expect.stringContaining('application/problem+json'),
      body: { code: 'invalid_input', field: 'query.q', errors: [{ code: 'nul_character' }] },
    });
    const b = await signIn(app, 'agent');
    const page = await b.get('/orders?q=%00', { Accept: 'text/html' });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('This request cannot be accepted');
    // Translated for a reader of Chinese.
    const zh = await b.get('/orders?q=%00', { Accept: 'text/html', 'Accept-Language': 'zh-TW', Cookie: `${b.cookieHeader}; oms_locale=zh-TW` });
    expect(await zh.text()).toContain('無法接受此請求');
    expect(await alive()).toBe(true);
  });
});

describe('bad input never reaches the database', () => {
  it('refuses NUL, lone surrogates, year 0 and deep nesting in an order, naming the field, and writes nothing', async () => {
    const before = await writes();
    const cases: [unknown, string, string][] = [
      [order({ externalId: 'A\u0000B' }), 'externalId', 'nul_character'],
      [order({ externalId: '\ud83d' }), 'externalId', 'lone_surrogate'],
      [order({ customer: { email: 'x@example.com', name: 'N\u0000' } }), 'customer.name', 'nul_character'],
      [order({ placedAt: '0000-01-01T00:00:00Z' }), 'placedAt', 'date_out_of_range'],
      [order({ promisedBy: '0000-01-01T00:00:00Z' }), 'promisedBy', 'date_out_of_range'],
      [order({ lines: [{ sku: 'HARD-1', quantity: 1, unitPrice: 1999, note: 'x' }] }), 'lines.0', 'unrecognized_keys'],
    ];
    for (const [body, field, code] of cases) {
      const r = await problemOf(
        await api('/api/v1/orders', { method: 'POST', body: JSON.stringify(body), headers: { 'Idempotency-Key': `k-${field}-${code}` } }),
      );
      expect(r.status, `${field} ${code}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body.errors?.[0], `${field} ${code}`).toMatchObject({ field, code });
    }
    // 20,000 levels deep with an Idempotency-Key (the request hash used to recurse through it).
    const deep = `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const d = await problemOf(await api('/api/v1/orders', { method: 'POST', body: deep, headers: { 'Idempotency-Key': 'deep' } }));
    expect(d).toMatchObject({ status: 400, body: { code: 'invalid_input', errors: [{ code: 'too_deep' }] } });
    expect(await writes()).toEqual(before);
    expect(await alive()).toBe(true);
  });

  it('refuses bad dates and cursors in list queries, and unknown API paths as problem+json', async () => {
    for (const q of [
      'to=0000-01-01',
      'from=9999-12-31',
      `after=${Buffer.from(JSON.stringify(['placed_at', ['0000-01-01T00:00:00Z'], 1])).toString('base64url')}`,
      'after=%FF%FE',
      'after=!!!',
    ]) {
      const res = await api(`/api/v1/orders?${q}`);
      expect(res.status, q).toBeLessThan(500);
    }
    for (const path of ['/api/v1/orders/..', '/api/v1/nothing', '/api/v1/orders/1/2/3/4']) {
      const r = await problemOf(await api(path));
      expect(r, path).toMatchObject({ status: 404, type: expect.stringContaining('application/problem+json') });
    }
  });

  it('refuses form posts no browser form sends, and malformed ones, with a 4xx and no write', async () => {
    const b = await signIn(app, 'admin');
    const token = await b.csrf();
    const before = await writes();
    const asText = await fetch(`${app.url}/orders/new`, {
      method: 'POST',
      headers: { Cookie: b.cookieHeader, Origin: app.url, 'Content-Type': 'text/plain' },
      body: `_csrf=${token}&intent=create`,
    });
    expect(asText.status).toBe(415);
    const nul = await b.post('/settings/api-keys', { intent: 'create', name: 'x\u0000', role: 'agent' });
    expect(nul.status).toBe(400);
    const nullOrder = await b.post('/orders/new', { intent: 'create', order: 'null' });
    expect(nullOrder.status).toBeGreaterThanOrEqual(400);
    expect(nullOrder.status).toBeLessThan(500);
    const [{ key }] = (await db.query(`select key from workflow_definition order by id limit 1`)).rows;
    const longMessage = await b.post(`/workflows/${key}`, { intent: 'publish', message: 'x'.repeat(501) });
    expect(longMessage.status).toBeGreaterThanOrEqual(400);
    expect(longMessage.status).toBeLessThan(500);
    expect(await writes()).toEqual(before);
  });
});

describe('redirects, headers and origins', () => {
  it('sends a browser only to paths on this site after sign-in and after a language switch', async () => {
    const user = app.credentials.users.find((u) => u.email === 'locale-user@test.local')!;
    for (const evil of ['/\\evil.example', '/\\/evil.example', '/\t/evil.example', '//evil.example', 'https://evil.example']) {
      const b = new Browser(app.url);
      const res = await b.post('/login', { email: user.email, password: user.password, redirectTo: evil });
      expect(res.status).toBe(302);
      expect(res.headers.get('location'), evil).toBe('/');
      const locale = await b.post('/locale', { locale: 'en', redirectTo: evil });
      expect(locale.headers.get('location'), evil).toBe('/');
    }
    const b = new Browser(app.url);
    expect((await b.post('/login', { email: user.email, password: user.password, redirectTo: '/orders?status=paid' })).headers.get('location')).toBe(
      '/orders?status=paid',
    );
  });

  it('sends security headers on pages and the API, with a nonce the page scripts carry', async () => {
    const b = await signIn(app, 'admin');
    const page = await b.get('/orders');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const html = await page.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s, s).toContain(`nonce="${nonce}"`);
    // A new nonce on every response.
    const again = (await b.get('/orders')).headers.get('content-security-policy');
    expect(/'nonce-([^']+)'/.exec(again ?? '')?.[1]).not.toBe(nonce);
    for (const res of [page, await api('/api/v1/orders?pageSize=1'), await fetch(`${app.url}/login`)]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('permissions-policy')).toContain('camera=()');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('binds the CSRF token to the session: a token of one session is refused in another', async () => {
    const a = await signIn(app, 'admin');
    const other = await signIn(app, 'admin');
    const tokenA = await a.csrf();
    expect(await other.csrf()).not.toBe(tokenA);
    const res = await other.post('/settings/api-keys', { intent: 'create', name: 'stolen-token', role: 'agent', _csrf: tokenA });
    expect(res.status).toBe(403);
    expect((await db.query(`select count(*) from api_key where name = 'stolen-token'`)).rows[0].count).toBe('0');
  });
});

describe('money and customers', () => {
  it('refunds only an explicit amount or full: true; a typo or a missing amount moves nothing', async () => {
    const created = (await (await api('/api/v1/orders', { method: 'POST', body: JSON.stringify(order()) })).json()) as { id: number };
    const pay = await api(`/api/v1/orders/${created.id}/payments`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'test-card', card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } }),
    });
    expect(pay.status).toBe(201);
    const paymentId = ((await pay.json()) as { id: number }).id;
    expect((await api(`/api/v1/payments/${paymentId}/capture`, { method: 'POST' })).status).toBe(200);
    const before = await writes();
    for (const body of [{}, { amout: 100 }, { amount: 100, full: true }, { full: false }, { amount: -5 }, { amount: '100' }]) {
      const r = await problemOf(
        await api(`/api/v1/payments/${paymentId}/refund`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'Idempotency-Key': `refund-${JSON.stringify(body)}` },
        }),
      );
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.errors!.length).toBeGreaterThan(0);
    }
    expect(await writes()).toEqual(before);
    const ok = await api(`/api/v1/payments/${paymentId}/refund`, {
      method: 'POST',
      body: JSON.stringify({ amount: 100 }),
      headers: { 'Idempotency-Key': 'refund-ok' },
    });
    expect(ok.status).toBe(200);
    expect((await db.query('select refunded_minor from payment where id = $1', [paymentId])).rows[0].refunded_minor).toBe(100);
  });

  it('never renames an existing customer from an order; the order keeps the name it came with', async () => {
    const first = (await (
      await api('/api/v1/orders', { method: 'POST', body: JSON.stringify(order({ customer: { email: 'keep@example.com', name: 'Real Name' } })) })
    ).json()) as { id: number };
    const second = (await (
      await api('/api/v1/orders', { method: 'POST', body: JSON.stringify(order({ customer: { email: 'keep@example.com', name: 'Someone Else' } })) })
    ).json()) as { id: number };
    expect((await db.query(`select name from customer where email = 'keep@example.com'`)).rows[0].name).toBe('Real Name');
    const detail = (await (await api(`/api/v1/orders/${second.id}`)).json()) as { customer: { name: string } };
    expect(detail.customer.name).toBe('Someone Else');
    expect(((await (await api(`/api/v1/orders/${first.id}`)).json()) as { customer: { name: string } }).customer.name).toBe('Real Name');
  });
});

describe('limits', () => {
  it('limits requests per API key across web nodes, 429 with Retry-After', async () => {
    const env = { API_RATE_LIMIT: '6' };
    const [one, two] = await Promise.all([app.startWeb(env), app.startWeb(env)]);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${(i % 2 ? one : two).url}/api/v1/orders?pageSize=1`, { headers: { Authorization: `Bearer ${app.credentials.apiKey}` } });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(((await res.json()) as { code: string }).code).toBe('rate_limited');
        }
      }
      // Six in the window, whichever node took them; the seventh and eighth refused.
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
      expect(statuses.slice(-2)).toEqual([429, 429]);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await db.query('delete from rate_limit');
    }
  });

  it('counts the socket address, not X-Forwarded-For, unless TRUST_PROXY names the proxy', async () => {
    const victim = app.credentials.users.find((u) => u.email === 'victim@test.local')!;
    // Spoofed forwarded addresses from an untrusted peer all count as the one real address.
    for (let i = 0; i < 4; i++) {
      await new Browser(app.url).post('/login', { email: victim.email, password: 'wrong' }, { headers: { 'X-Forwarded-For': `203.0.113.${i}` } });
    }
    const ips = (await db.query(`select distinct ip from audit_event where action = 'auth.login_failed' and entity_id = $1`, [victim.email])).rows.map(
      (r) => r.ip,
    );
    expect(ips).toEqual(['127.0.0.1']);
    const throttled = await new Browser(app.url).post(
      '/login',
      { email: victim.email, password: victim.password },
      { headers: { 'X-Forwarded-For': '203.0.113.200' } },
    );
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Behind a named proxy the forwarded address counts, so the real user signs in from their own address.
    const behindProxy = await app.startWeb({ TRUST_PROXY: 'loopback' });
    try {
      const res = await new Browser(behindProxy.url).post(
        '/login',
        { email: victim.email, password: victim.password },
        { headers: { 'X-Forwarded-For': '198.51.100.7' } },
      );
      expect(res.status).toBe(302);
    } finally {
      await behindProxy.stop();
    }
  });
});

describe('an outage', () => {
  it('answers 503 with Retry-After while the database is unreachable, and a retry with the same Idempotency-Key succeeds once', async () => {
    const { proxy, web } = await webBehindDatabaseProxy();
    try {
      const body = JSON.stringify(order({ externalId: `OUTAGE-${Date.now()}` }));
      const post = () =>
        fetch(`${web.url}/api/v1/orders`, {
          method: 'POST',
          body,
          headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'outage-1' },
        });
      const agent = app.credentials.users.find((u) => u.role === 'agent')!;
      const b = new Browser(web.url);
      await b.login(agent.email, agent.password);
      proxy.cut();
      const down = await post();
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(((await down.json()) as { code: string }).code).toBe('unavailable');
      // A person asking for a page is told, in their language, and asked to retry; a data request gets the status.
      const page = await b.get('/orders', { Accept: 'text/html', Cookie: `${b.cookieHeader}; oms_locale=zh-CN` });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(await page.text()).toContain('暂时不可用');
      expect((await b.get('/orders?_data=root')).status).toBe(503);
      expect(web.child.exitCode).toBeNull();
      proxy.restore();
      const up = await waitFor(
        'the database to be reachable again',
        async () => {
          const r = await post();
          return r.status === 503 ? null : r;
        },
        20_000,
      );
      expect(up.status).toBe(201);
      const replay = await post();
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect((await db.query(`select count(*) from sales_order where external_id like 'OUTAGE-%'`)).rows[0].count).toBe('1');
    } finally {
      await web.stop();
      await proxy.close();
    }
  });
});
