// Property-based fuzzing of every route and socket event of the running console (fast-check). The routes
// are read from app/routes, so a new route is fuzzed without touching this file. Two properties:
// - poisoned input (NUL, a lone surrogate, JSON too deep, a __proto__ key, a type no form sends) in a path
//   segment, a query parameter or a body field, as JSON or as a form: refused with a 4xx (problem+json, or
//   a translated page), the process alive, and nothing written;
// - any other input (huge and negative numbers, extreme dates, strings of every kind, arbitrary JSON):
//   never a 5xx, the process alive.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signIn, type Browser } from '../support/http.ts';
import { connectSocket } from '../support/socket.ts';

let app: TestApp;
let db: pg.Client;
let admin: Browser;
let csrf: string;
/** Real values for each route parameter, so that a request reaches the code behind the lookup. */
let realParams: Record<string, string[]> = {};

const ROUTES_DIR = path.join(import.meta.dirname, '../../app/routes');
/** `_app.orders.$id.tsx` → `/orders/:id`; the pathless layout and index segments disappear. */
export function routePattern(file: string): string | null {
  const name = file.replace(/\.tsx?$/, '');
  if (name === '_app' || name === 'root') return null;
  const segments = name.split('.').filter((s) => s !== '_app' && s !== '_index' && !(s.startsWith('_') && s !== '_index'));
  return `/${segments.map((s) => (s.startsWith('$') ? `:${s.slice(1) || '*'}` : s)).join('/')}`;
}
const ROUTES = fs
  .readdirSync(ROUTES_DIR)
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'))
  .map(routePattern)
  .filter((p): p is string => !!p);

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  db = new pg.Client({ connectionString: app.db.url });
  await db.connect();
  admin = await signIn(app, 'admin');
  csrf = await admin.csrf();
  const one = async (q: string) => ((await db.query(q)).rows[0] ?? {}) as Record<string, unknown>;
  const order = await one('select id, number, tracking_token from sales_order order by id limit 1');
  const run = await one('select workflow_id from workflow_run order by id limit 1');
  realParams = {
    id: [
      String(order.id ?? 1),
      String(order.number ?? 'SO-000001'),
      String((await one('select id from pick_list order by id limit 1')).id ?? 1),
      String((await one('select id from customer order by id limit 1')).id ?? 1),
    ],
    token: [String(order.tracking_token ?? 'x')],
    key: [String((await one('select key from workflow_definition order by id limit 1')).key ?? 'standard-order')],
    workflowId: [String(run.workflow_id ?? 'order-1')],
    command: ['hold', 'release', 'cancel'],
    operation: ['capture', 'void', 'refund'],
    channelId: [String((await one('select code from channel order by id limit 1')).code ?? 'web')],
    code: [String((await one('select sku from product order by id limit 1')).sku ?? 'X')],
    area: ['service', 'dashboards', 'analytics'],
  };
});
afterAll(async () => {
  await db?.end();
  await app?.stop();
});

const writes = async () => (await db.query('select (select count(*) from audit_event) as audit, (select count(*) from outbox_event) as outbox')).rows[0];
const alive = async () => {
  const r = await fetch(`${app.url}/healthz`);
  return r.status === 200 || r.status === 503;
};

const POISONS = ['\u0000', 'a\u0000b', '\ud83d', 'x\udc00y'];
const deepJson = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

type Where = 'path' | 'query' | 'json' | 'form' | 'json-escape' | 'deep' | 'proto' | 'type';
const poisonedRequest = fc.record({
  route: fc.constantFrom(...ROUTES),
  method: fc.constantFrom('GET', 'POST'),
  where: fc.constantFrom<Where>('path', 'query', 'json', 'form', 'json-escape', 'deep', 'proto', 'type'),
  poison: fc.constantFrom(...POISONS),
  field: fc.constantFrom('q', 'intent', 'name', 'email', 'status', 'externalId', 'sku', 'message', 'redirectTo', 'locale', 'amount', 'after'),
  pick: fc.nat(),
});

function fill(route: string, pick: number, override?: string): string {
  return route.replace(/:(\w+|\*)/g, (_m, name: string) => {
    if (override !== undefined) return encodeURIComponent(override);
    const values = realParams[name] ?? ['1'];
    return encodeURIComponent(values[pick % values.length]);
  });
}

async function send(method: string, url: string, body: { type: string; text: string } | null) {
  const isApi = url.startsWith('/api/');
  const headers: Record<string, string> = { Cookie: admin.cookieHeader, Origin: app.url, Accept: isApi ? 'application/json' : 'text/html' };
  if (isApi) headers.Authorization = `Bearer ${app.credentials.apiKey}`;
  if (body) headers['Content-Type'] = body.type;
  return fetch(app.url + url, { method, headers, body: method === 'GET' ? undefined : body?.text, redirect: 'manual' });
}

describe('fuzzing every route', () => {
  it(`finds the routes (${ROUTES.length})`, () => {
    expect(ROUTES).toContain('/orders/:id');
    expect(ROUTES).toContain('/api/v1/orders/:id/:command');
    expect(ROUTES).toContain('/track/:token');
    expect(ROUTES.length).toBeGreaterThan(35);
  });

  it('refuses poisoned input everywhere with a 4xx, stays up, and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(poisonedRequest, async (r) => {
        let url = fill(r.route, r.pick);
        let body: { type: string; text: string } | null = null;
        // A lone surrogate cannot be written in a URL or a form at all (it has no UTF-8): those carry NUL.
        const bad = r.where === 'path' || r.where === 'query' || r.where === 'form' ? r.poison.replace(/[\ud800-\udfff]/g, '\u0000') : r.poison;
        const method = ['json', 'form', 'json-escape', 'deep', 'proto', 'type'].includes(r.where) ? 'POST' : r.method;
        switch (r.where) {
          case 'path':
            url = r.route.includes(':') ? fill(r.route, r.pick, `1${bad}`) : `${url}/${encodeURIComponent(bad)}`;
            break;
          case 'query':
            url += `?${r.field}=${encodeURIComponent(bad)}`;
            break;
          case 'json':
            body = { type: 'application/json', text: JSON.stringify({ [r.field]: bad, _csrf: csrf }) };
            break;
          case 'json-escape':
            body = { type: 'application/json', text: `{"${r.field}":"x\\u0000"}` };
            break;
          case 'form':
            body = { type: 'application/x-www-form-urlencoded', text: new URLSearchParams({ _csrf: csrf, intent: 'create', [r.field]: bad }).toString() };
            break;
          case 'deep':
            body = { type: 'application/json', text: deepJson(100 + (r.pick % 20_000)) };
            break;
          case 'proto':
            body = { type: 'application/json', text: `{"${r.field}":1,"__proto__":{"role":"admin"}}` };
            break;
          case 'type':
            body = url.startsWith('/api/')
              ? { type: 'application/json', text: `{"${r.field}":"${'\\ud83d'}"}` }
              : { type: 'text/plain', text: `_csrf=${csrf}&intent=create` };
            break;
        }
        const before = await writes();
        const res = await send(method, url, body);
        const text = await res.text();
        const what = `${method} ${url} (${r.where}) → ${res.status} ${text.slice(0, 200)}`;
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        if (url.startsWith('/api/')) expect(res.headers.get('content-type'), what).toContain('application/problem+json');
        expect(await writes(), what).toEqual(before);
        expect(await alive()).toBe(true);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  }, 180_000);

  const anyValue = fc.oneof(
    fc.constantFrom(
      '0',
      '-1',
      '1e308',
      '-1e308',
      'NaN',
      'Infinity',
      '99999999999999999999',
      '0000-01-01',
      '9999-12-31T23:59:59Z',
      '1969-12-31',
      '',
      ' ',
      '%',
      '..',
      '../..',
      'null',
      '[]',
      '{}',
      'true',
      '😀',
      '王',
      'a'.repeat(5000),
    ),
    fc.string({ maxLength: 40 }).filter((s) => s.isWellFormed() && !s.includes('\u0000')),
    fc.integer().map(String),
    fc.double({ noNaN: false }).map(String),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  );
  const anyJson = fc.jsonValue({ maxDepth: 4 }).filter((v) => {
    const s = JSON.stringify(v);
    return s.isWellFormed() && !s.includes('\\u0000');
  });
  const anyRequest = fc.record({
    route: fc.constantFrom(...ROUTES),
    method: fc.constantFrom('GET', 'POST'),
    pick: fc.nat(),
    param: fc.option(anyValue, { nil: undefined }),
    query: fc.dictionary(
      fc.constantFrom(
        'q',
        'status',
        'from',
        'to',
        'page',
        'pageSize',
        'after',
        'before',
        'sort',
        'dir',
        'channel',
        'warehouse',
        'customer',
        'sku',
        'currency',
        'version',
      ),
      anyValue,
      { maxKeys: 4 },
    ),
    body: fc.oneof(
      fc.record({ kind: fc.constant('json' as const), value: anyJson }),
      fc.record({
        kind: fc.constant('form' as const),
        value: fc.dictionary(
          fc.constantFrom(
            'intent',
            'name',
            'email',
            'amount',
            'quantity',
            'sku',
            'status',
            'locale',
            'ids',
            'reason',
            'message',
            'version',
            'graph',
            'order',
            'payload',
            'role',
            'filter',
            'priority',
          ),
          anyValue,
          { maxKeys: 5 },
        ),
      }),
    ),
  });

  it('answers any other input without a 5xx, and stays up', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(anyRequest, async (r) => {
        // Signing out, or signing in again, would only change who the next request is; keep the session.
        if (r.method === 'POST' && (r.route === '/logout' || r.route === '/login')) return;
        let url = r.param !== undefined ? fill(r.route, r.pick, r.param) : fill(r.route, r.pick);
        const qs = new URLSearchParams(r.query).toString();
        if (qs) url += `?${qs}`;
        const body =
          r.body.kind === 'json'
            ? { type: 'application/json', text: JSON.stringify(r.body.value) }
            : { type: 'application/x-www-form-urlencoded', text: new URLSearchParams({ _csrf: csrf, ...r.body.value }).toString() };
        const res = await send(r.method, url, body);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const text = await res.text();
        // /healthz answers 503 by design when a part is down (this app runs no worker).
        if (r.route !== '/healthz') expect(res.status, `${r.method} ${url} ${body.text.slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(await alive()).toBe(true);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    // The requests reached the routes' code, not only the door: most are answered by loaders and actions.
    console.log('statuses of arbitrary requests:', Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])));
    expect((seen.get(200) ?? 0) + (seen.get(422) ?? 0) + (seen.get(404) ?? 0)).toBeGreaterThan(Number(process.env.FUZZ_RUNS ?? 300) / 3);
  }, 180_000);
});

describe('fuzzing every socket event', () => {
  it('answers any payload to any event, keeps the socket and the process', async () => {
    const socket = await connectSocket(app, 'admin');
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            'subscribe',
            'designer:join',
            'designer:leave',
            'ticket:join',
            'ticket:leave',
            'ticket:typing',
            'dashboard:watch',
            'dashboard:unwatch',
          ),
          fc.anything({ maxDepth: 40, withNullPrototype: true, withBigInt: false, withDate: true, withTypedArray: false }),
          async (event, payload) => {
            const answer = (await socket
              .timeout(5000)
              .emitWithAck(event, payload)
              .catch((e: Error) => ({ timeout: e.message }))) as Record<string, unknown>;
            expect(answer, JSON.stringify(payload)?.slice(0, 200)).not.toHaveProperty('timeout');
            expect(socket.connected).toBe(true);
          },
        ),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
      );
      expect(await alive()).toBe(true);
    } finally {
      socket.close();
    }
  }, 120_000);
});
