// The OpenAPI document against the code it describes: (a) every /api/v1 route file and method is in it and
// nothing in it lacks a route, (b) real answers of the running app match the documented schema for their
// status (problem+json included), every operation exercised, every request example sent, (c) the document
// is valid OpenAPI 3.1 by a maintained validator.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { validate, compileErrors } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, matchApiRoute } from '../../app/lib/api-routes.server.ts';
import { EXAMPLES } from '../../app/lib/openapi/examples.ts';
import { apiDocument, apiOperations, describedRoutes } from '../../app/lib/openapi/operations.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

type Json = Record<string, unknown>;
const doc = apiDocument();
const paths = doc.paths as Record<string, Record<string, Json>>;

/** Route file name -> its URL pattern, as Remix's flat routes read it (`$id` a param, `[.]` a literal dot). */
const routeFiles = fs
  .readdirSync(path.resolve('app/routes'))
  .filter((f) => f.startsWith('api.v1.') && f.endsWith('.ts') && !f.includes('.test.'))
  .sort();
const routePath = (file: string) =>
  file
    .replace(/\.ts$/, '')
    .replace(/\[\.\]/g, '\u0000')
    .split('.')
    .map((s) => (s.startsWith('$') ? `:${s.slice(1)}` : s.replace(/\u0000/g, '.')))
    .join('/');
const fakeBuild = {
  routes: Object.fromEntries(routeFiles.map((f) => [f, { id: f, path: routePath(f), parentId: 'root', module: { loader: () => null, action: () => null } }])),
} as never;
const matcher = apiRoutes(fakeBuild);
/** The route file serving a documented path (its `{param}`s filled in). */
const fileBySegments = new Map(routeFiles.map((f) => [routePath(f), f]));
const fileFor = (docPath: string) => {
  const m = matchApiRoute(matcher, docPath.replace(/\{[^}]+\}/g, '1'));
  return m ? (fileBySegments.get(m.route.segments.join('/')) ?? null) : null;
};

describe('the document covers the routes', () => {
  it('has every api.v1 route file, and each file describes only paths it serves', () => {
    const described = new Map(describedRoutes().map((r) => [r.file, r.operations]));
    for (const file of routeFiles) {
      if (file.startsWith('api.v1.openapi')) continue; // described in operations.server.ts (SELF)
      expect(described.get(file)?.length ?? 0, `${file} exports no openapi operations`).toBeGreaterThan(0);
      for (const op of described.get(file)!) expect(fileFor(op.path), `${op.method} ${op.path} described in ${file}`).toBe(file);
    }
    const served = new Set(Object.keys(paths).map(fileFor));
    expect(routeFiles.filter((f) => !served.has(f))).toEqual([]);
    expect(Object.keys(paths).filter((p) => fileFor(p) === null)).toEqual([]);
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('documents auth, idempotency and the problem codes', () => {
    const op = (p: string, m: string) => paths[p][m] as { security: unknown[]; parameters?: Json[]; responses: Record<string, Json> };
    expect(op('/api/v1/orders', 'post').security).toEqual([{ apiKey: [] }]);
    expect(op('/api/v1/orders', 'post').parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(op('/api/v1/orders', 'get').parameters?.some((p) => p.$ref)).toBe(false);
    expect(Object.keys(op('/api/v1/orders', 'post').responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '409', '415', '422', '429', '503']),
    );
    expect(op('/api/v1/openapi.json', 'get').security).toEqual([]);
    expect(op('/api/v1/channels/{channelId}/webhooks', 'post').security).toEqual([]);
    expect(JSON.stringify(op('/api/v1/orders', 'get').responses['429'])).toContain('RateLimit-Remaining');
  });
});

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  // The examples' SKU (app/lib/openapi/examples.ts), stocked as orders-api.test.ts stocks it.
  const [p] = await sql<{ id: number }>(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('HOT-1', 'B-HOT-1', 'HOT-1', 100, 10, 10, 10, 1999, 'USD') returning id`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select ?, w.id, 500, 0, 0, 10, now() from warehouse w`,
    [p.id],
  );
});
afterAll(async () => {
  await app?.stop();
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(doc, 'openapi.json');
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Checks a real answer against the schema the document gives for its operation and status. */
async function conforms(res: Response, docPath: string, method: string, label: string, want?: number) {
  const status = String(res.status);
  if (want !== undefined) expect(res.status, `${label}: ${await res.clone().text()}`).toBe(want);
  const responses = (paths[docPath]?.[method] as { responses: Record<string, { content?: Record<string, unknown> }> } | undefined)?.responses;
  expect(responses, `${label}: ${method} ${docPath} is documented`).toBeDefined();
  expect(Object.keys(responses!), `${label}: status ${status} documented`).toContain(status);
  const content = responses![status].content ?? {};
  const type = (res.headers.get('Content-Type') ?? '').split(';')[0];
  expect(Object.keys(content), `${label}: ${status} content type`).toContain(type);
  const validate = ajv.getSchema(`openapi.json#/${pointer('paths', docPath, method, 'responses', status, 'content', type, 'schema')}`)!;
  const body: unknown = await res.json();
  expect(validate(body) ? null : { body, errors: validate.errors }, label).toBeNull();
  return body as Json;
}

const auth = () => ({ Authorization: `Bearer ${app.credentials.apiKey}` });
const exercised = new Set<string>();
async function call(method: 'get' | 'post', docPath: string, url: string, init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  exercised.add(`${method} ${docPath}`);
  const res = await fetch(app.url + url, {
    method: method.toUpperCase(),
    headers: { ...auth(), ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  return res;
}
const sql = async <T = Json>(text: string, params: unknown[] = []) => (await app.db.orm.em.getConnection().execute(text, params)) as T[];

describe('real answers match the document', () => {
  it('GET /api/v1/openapi.json answers 200 without an API key', async () => {
    const res = await fetch(`${app.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.openapi).toMatch(/^3\.1\./);
    expect(body).toEqual(doc);
    exercised.add('get /api/v1/openapi.json');
  });

  it('orders: the examples create, list, read and command', async () => {
    const fresh = <T extends Json>(o: T) => ({ ...o, externalId: `${String(o.externalId)}-${crypto.randomUUID()}` });
    const created = await conforms(
      await call('post', '/api/v1/orders', '/api/v1/orders', { body: fresh(EXAMPLES.order) }),
      '/api/v1/orders',
      'post',
      'order',
      201,
    );
    await conforms(
      await call('post', '/api/v1/orders', '/api/v1/orders', { body: fresh(EXAMPLES.orderPaidByChannel) }),
      '/api/v1/orders',
      'post',
      'paid order',
      201,
    );
    const key = crypto.randomUUID();
    const body = fresh(EXAMPLES.order);
    await conforms(
      await call('post', '/api/v1/orders', '/api/v1/orders', { body, headers: { 'Idempotency-Key': key } }),
      '/api/v1/orders',
      'post',
      'keyed',
      201,
    );
    const again = await call('post', '/api/v1/orders', '/api/v1/orders', { body, headers: { 'Idempotency-Key': key } });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    await conforms(again, '/api/v1/orders', 'post', 'replayed');
    const reused = await call('post', '/api/v1/orders', '/api/v1/orders', { body: fresh(EXAMPLES.order), headers: { 'Idempotency-Key': key } });
    expect(reused.status).toBe(422);
    await conforms(reused, '/api/v1/orders', 'post', 'key reused');
    await conforms(await call('post', '/api/v1/orders', '/api/v1/orders', { body: { ...EXAMPLES.order, lines: [] } }), '/api/v1/orders', 'post', 'invalid');
    await conforms(
      await call('post', '/api/v1/orders', '/api/v1/orders', { raw: '{"x":', headers: { 'Content-Type': 'application/json' } }),
      '/api/v1/orders',
      'post',
      'bad json',
    );
    await conforms(
      await call('post', '/api/v1/orders', '/api/v1/orders', { raw: 'x', headers: { 'Content-Type': 'text/plain' } }),
      '/api/v1/orders',
      'post',
      'bad type',
    );

    await conforms(await call('get', '/api/v1/orders', '/api/v1/orders?pageSize=3&status=paid&status=on_hold'), '/api/v1/orders', 'get', 'list');
    await conforms(await call('get', '/api/v1/orders', '/api/v1/orders?sort=total&dir=asc&pageSize=2'), '/api/v1/orders', 'get', 'list sorted');
    await conforms(await call('get', '/api/v1/orders/{id}', `/api/v1/orders/${String(created.id)}`), '/api/v1/orders/{id}', 'get', 'detail');
    await conforms(await call('get', '/api/v1/orders/{id}', '/api/v1/orders/1'), '/api/v1/orders/{id}', 'get', 'seeded detail');
    await conforms(await call('get', '/api/v1/orders/{id}', '/api/v1/orders/SO-NO-SUCH'), '/api/v1/orders/{id}', 'get', 'no order');
    const noKey = await fetch(`${app.url}/api/v1/orders/1`);
    await conforms(noKey, '/api/v1/orders/{id}', 'get', 'no key');
    await conforms(await fetch(`${app.url}/api/v1/orders/1`, { headers: { Authorization: 'Bearer nope' } }), '/api/v1/orders/{id}', 'get', 'bad key');

    const id = String(created.id);
    await conforms(
      await call('post', '/api/v1/orders/{id}/hold', `/api/v1/orders/${id}/hold`, { body: EXAMPLES.holdReason }),
      '/api/v1/orders/{id}/hold',
      'post',
      'hold',
      200,
    );
    await conforms(await call('post', '/api/v1/orders/{id}/hold', `/api/v1/orders/${id}/hold`, { body: {} }), '/api/v1/orders/{id}/hold', 'post', 'hold twice');
    await conforms(await call('post', '/api/v1/orders/{id}/release', `/api/v1/orders/${id}/release`), '/api/v1/orders/{id}/release', 'post', 'release');
    await conforms(
      await call('post', '/api/v1/orders/{id}/cancel', `/api/v1/orders/${id}/cancel`, { body: { reason: 'x'.repeat(501) } }),
      '/api/v1/orders/{id}/cancel',
      'post',
      'bad reason',
    );
    await conforms(
      await call('post', '/api/v1/orders/{id}/cancel', `/api/v1/orders/${id}/cancel`, { body: { reason: 'test' } }),
      '/api/v1/orders/{id}/cancel',
      'post',
      'cancel',
    );
  });

  it('payments: the examples authorise, capture, refund and void', async () => {
    const order = async (lines = [{ sku: 'HOT-1', quantity: 1, unitPrice: 5000 }]) =>
      (await (
        await call('post', '/api/v1/orders', '/api/v1/orders', { body: { ...EXAMPLES.order, externalId: crypto.randomUUID(), lines, paymentToken: undefined } })
      ).json()) as Json;
    const pay = (orderId: unknown, body: unknown) => call('post', '/api/v1/orders/{id}/payments', `/api/v1/orders/${String(orderId)}/payments`, { body });
    const a = await order();
    await sql(`update sales_order set status = 'awaiting_payment', hold_reasons = '{}' where id = ?`, [a.id]);
    const card = await conforms(await pay(a.id, EXAMPLES.cardPayment), '/api/v1/orders/{id}/payments', 'post', 'card', 201);
    const op = (name: string, body?: unknown, paymentId = card.id) =>
      call('post', `/api/v1/payments/{id}/${name}`, `/api/v1/payments/${String(paymentId)}/${name}`, body === undefined ? {} : { body });
    await conforms(await op('capture', EXAMPLES.capturePart), '/api/v1/payments/{id}/capture', 'post', 'capture part', 200);
    await conforms(await op('refund', EXAMPLES.refundPart), '/api/v1/payments/{id}/refund', 'post', 'refund part', 200);
    await conforms(await op('refund', {}), '/api/v1/payments/{id}/refund', 'post', 'refund without amount');
    await conforms(await op('refund', EXAMPLES.refundFull), '/api/v1/payments/{id}/refund', 'post', 'refund full');
    await conforms(await op('void'), '/api/v1/payments/{id}/void', 'post', 'void captured');
    await conforms(await op('capture', { amount: 1, extra: true }), '/api/v1/payments/{id}/capture', 'post', 'strict body');
    await conforms(await op('capture', undefined, 999999), '/api/v1/payments/{id}/capture', 'post', 'no payment');

    const b = await order();
    await sql(`update sales_order set status = 'awaiting_payment', hold_reasons = '{}' where id = ?`, [b.id]);
    const token = await conforms(await pay(b.id, EXAMPLES.tokenPayment), '/api/v1/orders/{id}/payments', 'post', 'token', 201);
    await conforms(await op('void', undefined, token.id), '/api/v1/payments/{id}/void', 'post', 'void');
    const c = await order();
    await sql(`update sales_order set status = 'awaiting_payment', hold_reasons = '{}' where id = ?`, [c.id]);
    await conforms(await pay(c.id, EXAMPLES.manualPayment), '/api/v1/orders/{id}/payments', 'post', 'manual', 201);
    await conforms(
      await pay(c.id, { provider: 'test-card', card: { ...EXAMPLES.cardPayment.card, number: '4000 0000 0000 0002' } }),
      '/api/v1/orders/{id}/payments',
      'post',
      'declined',
    );
    await conforms(await pay(c.id, { provider: 'bitcoin' }), '/api/v1/orders/{id}/payments', 'post', 'bad provider');
  });

  it('catalog, inventory, shipments and tasks', async () => {
    await conforms(await call('get', '/api/v1/products/{code}', '/api/v1/products/HOT-1?currency=EUR'), '/api/v1/products/{code}', 'get', 'product');
    await conforms(await call('get', '/api/v1/products/{code}', '/api/v1/products/HOT-1?currency=XX'), '/api/v1/products/{code}', 'get', 'bad currency');
    await conforms(await call('get', '/api/v1/products/{code}', '/api/v1/products/NO-SUCH'), '/api/v1/products/{code}', 'get', 'no product');
    await conforms(await call('get', '/api/v1/inventory', '/api/v1/inventory?sku=HOT-1,NO-SUCH&sku=HOT-2'), '/api/v1/inventory', 'get', 'inventory');
    await conforms(await call('get', '/api/v1/inventory', '/api/v1/inventory'), '/api/v1/inventory', 'get', 'no sku');

    const [shipment] = await sql<{ tracking_number: string }>(
      `select tracking_number from shipment where status not in ('delivered', 'returned') order by id limit 1`,
    );
    const events = (ref: string, body: unknown) =>
      call('post', '/api/v1/shipments/{id}/events', `/api/v1/shipments/${encodeURIComponent(ref)}/events`, { body });
    if (shipment) {
      const first = await events(shipment.tracking_number, EXAMPLES.trackingEvent);
      expect(first.status).toBe(201);
      await conforms(first, '/api/v1/shipments/{id}/events', 'post', 'tracking');
      await conforms(await events(shipment.tracking_number, EXAMPLES.trackingEvent), '/api/v1/shipments/{id}/events', 'post', 'tracking again');
    }
    await conforms(await events('NO-SUCH', EXAMPLES.trackingEvent), '/api/v1/shipments/{id}/events', 'post', 'no shipment');
    await conforms(await events('NO-SUCH', { status: 'lost' }), '/api/v1/shipments/{id}/events', 'post', 'bad status');

    const decide = (id: string, body: unknown) => call('post', '/api/v1/workflows/tasks/{id}/decision', `/api/v1/workflows/tasks/${id}/decision`, { body });
    await conforms(await decide('999999', EXAMPLES.decision), '/api/v1/workflows/tasks/{id}/decision', 'post', 'no task');
    await conforms(await decide('999999', { decision: 'maybe' }), '/api/v1/workflows/tasks/{id}/decision', 'post', 'bad decision');
  });

  it('service desk: the examples open a ticket, add a message and file mail', async () => {
    const ticket = await conforms(
      await call('post', '/api/v1/tickets', '/api/v1/tickets', { body: EXAMPLES.ticket }),
      '/api/v1/tickets',
      'post',
      'ticket',
      201,
    );
    await conforms(
      await call('post', '/api/v1/tickets', '/api/v1/tickets', { body: { ...EXAMPLES.ticket, email: 'nope' } }),
      '/api/v1/tickets',
      'post',
      'bad ticket',
    );
    await conforms(await call('get', '/api/v1/tickets', '/api/v1/tickets?status=new&sort=created'), '/api/v1/tickets', 'get', 'queue');
    await conforms(await call('get', '/api/v1/tickets/{id}', `/api/v1/tickets/${String(ticket.id)}`), '/api/v1/tickets/{id}', 'get', 'one ticket');
    await conforms(await call('get', '/api/v1/tickets/{id}', '/api/v1/tickets/999999'), '/api/v1/tickets/{id}', 'get', 'no ticket');
    const message = (id: unknown, body: unknown, headers?: Record<string, string>) =>
      call('post', '/api/v1/tickets/{id}/messages', `/api/v1/tickets/${String(id)}/messages`, { body, headers });
    await conforms(await message(ticket.id, EXAMPLES.message, { 'Idempotency-Key': crypto.randomUUID() }), '/api/v1/tickets/{id}/messages', 'post', 'message');
    await conforms(await message(ticket.id, { body: '' }), '/api/v1/tickets/{id}/messages', 'post', 'empty message');
    await conforms(await message(ticket.id, EXAMPLES.message, { 'Idempotency-Key': 'bad key' }), '/api/v1/tickets/{id}/messages', 'post', 'bad key');

    const mail = (raw: string, type = 'message/rfc822') =>
      call('post', '/api/v1/inbound-mail', '/api/v1/inbound-mail', { raw, headers: { 'Content-Type': type } });
    const unique = EXAMPLES.mail.replace('example-1@', `${crypto.randomUUID()}@`);
    await conforms(await mail(unique), '/api/v1/inbound-mail', 'post', 'mail', 201);
    await conforms(await mail(unique), '/api/v1/inbound-mail', 'post', 'mail again');
    await conforms(await mail('Subject: nobody\r\n\r\nx'), '/api/v1/inbound-mail', 'post', 'no sender');
    await conforms(await mail('x', 'application/json'), '/api/v1/inbound-mail', 'post', 'wrong type');
  });

  it('channel webhooks: signed and unsigned deliveries', async () => {
    const [{ webhook_secret: secret }] = await sql<{ webhook_secret: string }>(`select webhook_secret from channel where code = 'web'`);
    const body = JSON.stringify({ id: 1 });
    const hook = (headers: Record<string, string>, channel = 'web') => {
      exercised.add('post /api/v1/channels/{channelId}/webhooks');
      return fetch(`${app.url}/api/v1/channels/${channel}/webhooks`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
    };
    const signature = crypto.createHmac('sha256', secret).update(body).digest('base64');
    const p = '/api/v1/channels/{channelId}/webhooks';
    await conforms(await hook({ 'X-Shopify-Hmac-Sha256': signature, 'X-Shopify-Topic': 'orders/updated' }), p, 'post', 'other topic');
    await conforms(await hook({ 'X-Shopify-Hmac-Sha256': 'wrong', 'X-Shopify-Topic': 'orders/create' }), p, 'post', 'bad signature');
    await conforms(await hook({}, 'no-such-channel'), p, 'post', 'no channel');
  });

  it('answers 405 exactly for the methods the document leaves out', async () => {
    for (const docPath of Object.keys(paths)) {
      const url = docPath.replace(/\{[^}]+\}/g, '999999');
      for (const method of ['get', 'post'] as const) {
        const res = await fetch(app.url + url, {
          method: method.toUpperCase(),
          headers: { ...auth(), 'Content-Type': 'application/json' },
          body: method === 'post' ? '{}' : undefined,
        });
        if (paths[docPath][method]) expect(res.status, `${method} ${docPath}`).not.toBe(405);
        else expect(res.status, `${method} ${docPath}`).toBe(405);
      }
    }
  });

  it('exercised every documented operation', () => {
    const all = apiOperations().map((o) => `${o.method} ${o.path}`);
    expect(all.filter((o) => !exercised.has(o))).toEqual([]);
  });
});
