// Signed outbound webhooks end to end: the real web and worker processes, the real Temporal dev server,
// and real HTTP receivers on 127.0.0.1 that verify every request with the `standardwebhooks` package.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { isBlockedAddress, resolveTarget, SsrfRefused } from '../../app/lib/ssrf.server.ts';
import { allowHost, createEndpoint, rotateSecret, setEndpointEnabled } from '../../app/modules/webhooks/endpoints.server.ts';
import { ROLES } from '../../app/lib/permissions.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser, signIn } from '../support/http.ts';
import { waitFor, sleep } from '../support/wait.ts';
import { placeApiOrder } from '../support/orders.ts';

interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A receiver on 127.0.0.1: answers per `mode` and keeps every request. */
async function receiver() {
  const got: Received[] = [];
  const state = { mode: 'ok' as 'ok' | 'down' | 'slow', slowMs: 3000 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
      });
      if (state.mode === 'down') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
        return;
      }
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      if (state.mode === 'slow') setTimeout(answer, state.slowMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    state,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let app: TestApp;
let db: pg.Client;
const receivers: Awaited<ReturnType<typeof receiver>>[] = [];
const actor = { ...SYSTEM, type: 'user' as const, id: 1, label: 'admin@test' };

beforeAll(async () => {
  app = await startTestApp({
    env: { WEBHOOK_RETRY_BASE_MS: '300', WEBHOOK_RETRY_MAX_MS: '1200', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_DISABLE_AFTER: '5' },
  });
  db = new pg.Client({ connectionString: app.db.url });
  await db.connect();
}, 120_000);
afterAll(async () => {
  await db?.end();
  for (const r of receivers) await r.close();
  await app?.stop();
});

const q = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows as T[];
const count = async (table: string) => Number((await q<{ n: string }>(`select count(*) as n from ${table}`))[0].n);

let seq = 0;
async function placeOrder(): Promise<number> {
  const sku = `WH-${Date.now()}-${++seq}`;
  const [p] = await q<{ id: number }>(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ($1, $2, $1, 100, 10, 10, 10, 1999, 'USD') returning id`,
    [sku, `B-${sku}`],
  );
  await q(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select $1, w.id, 50, 0, 0, 10, now() from warehouse w`,
    [p.id],
  );
  const order = await placeApiOrder({ app, externalId: `WH-${Date.now()}-${seq}`, sku, extra: { paymentToken: undefined } });
  return order.id;
}

const verify = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': r.headers['webhook-id'],
    'webhook-timestamp': r.headers['webhook-timestamp'],
    'webhook-signature': r.headers['webhook-signature'],
  }) as {
    type: string;
    data: Record<string, unknown>;
    version: number;
  };

describe('SSRF guard', () => {
  it('classifies addresses: private, loopback, link-local, CGNAT, multicast, unspecified, mapped', () => {
    for (const a of [
      '10.0.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.1.1',
      '192.168.1.1',
      '172.16.0.5',
      '224.0.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a00:1',
    ])
      expect(isBlockedAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isBlockedAddress(a), a).toBe(false);
  });

  it('refuses private targets unless allow-listed, and non-http schemes always', async () => {
    const none = new Set<string>();
    for (const url of [
      'http://10.0.0.1/',
      'http://127.0.0.1:9/',
      'http://[::1]/',
      'http://169.254.169.254/latest/meta-data',
      'http://localhost:9/',
      'http://[::ffff:127.0.0.1]/',
    ])
      await expect(resolveTarget(url, none), url).rejects.toMatchObject({ code: 'private_address' });
    await expect(resolveTarget('ftp://example.com/', none)).rejects.toBeInstanceOf(SsrfRefused);
    await expect(resolveTarget('file:///etc/passwd', new Set(['localhost']))).rejects.toMatchObject({ code: 'bad_scheme' });
    expect((await resolveTarget('http://127.0.0.1:9/', new Set(['127.0.0.1']))).address).toBe('127.0.0.1');
    expect((await resolveTarget('http://localhost:9/', new Set(['localhost']))).url.hostname).toBe('localhost');
    // The name is judged by every address it resolves to, and the connection goes to the one judged.
    await expect(
      resolveTarget('http://rebind.example/', none, async () => [
        { address: '8.8.8.8', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ]),
    ).rejects.toMatchObject({
      code: 'private_address',
    });
  });
});

describe('settings screen', () => {
  it('refuses bad input with field errors and writes nothing; private URLs before they are allowed', async () => {
    const admin = await signIn(app, 'admin');
    const before = { endpoints: await count('webhook_endpoint'), audit: await count('audit_event') };
    const post = (form: [string, string][]) => admin.post('/settings/webhooks', form);
    const cases: { form: [string, string][]; text: string }[] = [
      {
        form: [
          ['intent', 'create'],
          ['url', 'http://10.0.0.1/hook'],
          ['eventTypes', 'order.created'],
        ],
        text: 'private address',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'http://127.0.0.1:9/hook'],
          ['eventTypes', 'order.created'],
        ],
        text: 'private address',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'http://[::1]/hook'],
          ['eventTypes', 'order.created'],
        ],
        text: 'private address',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'http://169.254.169.254/latest'],
          ['eventTypes', 'order.created'],
        ],
        text: 'private address',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'http://localhost:9/hook'],
          ['eventTypes', 'order.created'],
        ],
        text: 'private address',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'gopher://example.com/'],
          ['eventTypes', 'order.created'],
        ],
        text: 'Only http and https',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'https://example.com/hook'],
        ],
        text: 'Choose at least one event',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', ''],
          ['eventTypes', 'order.created'],
        ],
        text: 'Enter the endpoint',
      },
      {
        form: [
          ['intent', 'create'],
          ['url', 'https://example.com/hook'],
          ['eventTypes', 'order.exploded'],
        ],
        text: 'Unknown event type',
      },
      {
        form: [
          ['intent', 'allowHost'],
          ['host', 'not a host!'],
        ],
        text: 'not a host name',
      },
      {
        form: [
          ['intent', 'rotate'],
          ['id', 'abc'],
        ],
        text: '',
      },
      { form: [['intent', 'explode']], text: '' },
    ];
    for (const c of cases) {
      const res = await post(c.form);
      expect(res.status, JSON.stringify(c.form)).toBe(422);
      if (c.text) expect(await res.text()).toContain(c.text);
    }
    expect(await count('webhook_endpoint')).toBe(before.endpoints);
    expect(await count('webhook_allowed_host')).toBe(0);
    expect(await count('audit_event')).toBe(before.audit);
  });

  it('is for admins only (settings.manage), pages and posts', async () => {
    for (const role of ROLES) {
      const b = await signIn(app, role);
      const page = await b.get('/settings/webhooks');
      const post = await b.post('/settings/webhooks', { intent: 'allowHost', host: 'nobody.example' });
      if (role === 'admin') {
        expect(page.status).toBe(200);
        expect(post.status).toBe(200);
      } else {
        expect(page.status, role).toBe(403);
        expect(post.status, role).toBe(403);
      }
    }
    const anonymous = await new Browser(app.url).get('/settings/webhooks');
    expect([302, 303]).toContain(anonymous.status);
    await db.query(`delete from webhook_allowed_host`);
  });

  it('creates an endpoint once its private host is allowed, shows the secret once, audits', async () => {
    const admin = await signIn(app, 'admin');
    expect((await admin.post('/settings/webhooks', { intent: 'allowHost', host: '127.0.0.1' })).status).toBe(200);
    const res = await admin.post('/settings/webhooks', [
      ['intent', 'create'],
      ['url', 'http://127.0.0.1:9/hook'],
      ['eventTypes', 'order.created'],
      ['eventTypes', 'ticket.created'],
    ]);
    expect(res.status).toBe(200);
    const html = await res.text();
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(html)?.[0];
    expect(secret).toBeTruthy();
    const [ep] = await q<{ id: number; event_types: string[] }>(`select id, event_types from webhook_endpoint where url = 'http://127.0.0.1:9/hook'`);
    expect(ep.event_types).toEqual(['order.created', 'ticket.created']);
    const page = await (await admin.get('/settings/webhooks')).text();
    expect(page).toContain('http://127.0.0.1:9/hook');
    expect(page).not.toContain(secret);
    expect(
      await q(`select action from audit_event where entity_type in ('WebhookEndpoint', 'WebhookAllowedHost') and entity_id in ($1, '127.0.0.1') order by id`, [
        String(ep.id),
      ]),
    ).toEqual([{ action: 'webhook.host_allowed' }, { action: 'webhook.endpoint_created' }]);
    // Delete it again (so that it takes no deliveries below), audited.
    expect((await admin.post('/settings/webhooks', { intent: 'delete', id: String(ep.id) })).status).toBe(200);
    expect(await count('webhook_endpoint')).toBe(0);
    expect((await admin.get(`/settings/webhooks/${ep.id}`)).status).toBe(404);
  });
});

describe('delivery', () => {
  // The receivers listen on 127.0.0.1: allowed explicitly, as an admin would.
  beforeAll(async () => {
    await allowHost(app.db.orm, { host: '127.0.0.1' }, actor);
  });

  it('an order placed through the API is delivered signed (order.created), verified by standardwebhooks', async () => {
    const r = await receiver();
    receivers.push(r);
    const { endpoint, secret } = await createEndpoint(app.db.orm, { url: r.url(), eventTypes: ['order.created'] }, actor);
    const orderId = await placeOrder();
    const got = await waitFor('the delivery', async () => r.got.find((x) => x.body.includes(`"orderId":${orderId}`)), 30_000);
    const payload = verify(secret, got);
    expect(payload).toMatchObject({ type: 'order.created', version: 1, data: { orderId } });
    expect(got.headers['webhook-id']).toMatch(/^msg_\d+$/);
    // The receiver has the request before the worker records the answer: wait for the record.
    const d = await waitFor('the recorded outcome', async () => {
      const [row] = await q<{ status: string; attempts: number; last_status_code: number }>(
        `select status, attempts, last_status_code from webhook_delivery where endpoint_id = $1 and event_type = 'order.created'`,
        [endpoint.id],
      );
      return row?.status === 'succeeded' ? row : undefined;
    });
    expect(d).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200 });
    const [a] = await q<{ response_excerpt: string; latency_ms: number }>(`select response_excerpt, latency_ms from webhook_attempt`);
    expect(a.response_excerpt).toBe('{"received":true}');
    // The delivery log shows it, and a redelivery sends the same event again under a new id.
    const admin = await signIn(app, 'admin');
    const log = await (await admin.get(`/settings/webhooks/${endpoint.id}`)).text();
    expect(log).toContain('order.created');
    const [{ id }] = await q<{ id: string }>(`select id from webhook_delivery where endpoint_id = $1`, [endpoint.id]);
    expect((await admin.post(`/settings/webhooks/${endpoint.id}`, { intent: 'redeliver', delivery: String(id) })).status).toBe(200);
    await waitFor('the redelivery', async () => r.got.filter((x) => x.body.includes(`"orderId":${orderId}`)).length === 2);
    const ids = new Set(r.got.map((x) => x.headers['webhook-id']));
    expect(ids.size).toBe(2);
    await setEndpointEnabled(app.db.orm, endpoint.id, false, actor);
  });

  it('a receiver down for several attempts gets the delivery once it is back; a slow one is retried', async () => {
    const r = await receiver();
    receivers.push(r);
    const { endpoint, secret } = await createEndpoint(app.db.orm, { url: r.url(), eventTypes: ['order.created'] }, actor);
    r.state.mode = 'down';
    const orderId = await placeOrder();
    await waitFor('three failed attempts', async () => r.got.length >= 3, 30_000);
    r.state.mode = 'slow';
    const slowFrom = r.got.length;
    await waitFor('a slow attempt', async () => r.got.length > slowFrom, 30_000);
    await sleep(1200); // its deadline (1 s) passes: recorded as failed, retried
    r.state.mode = 'ok';
    const [d] = await waitFor('delivered', async () => {
      const rows = await q<{ status: string; attempts: number; id: string }>(`select id, status, attempts from webhook_delivery where endpoint_id = $1`, [
        endpoint.id,
      ]);
      return rows[0]?.status === 'succeeded' ? rows : null;
    });
    expect(d.attempts).toBeGreaterThanOrEqual(5);
    const tries = await q<{ ok: boolean; status_code: number | null; error: string | null }>(
      `select ok, status_code, error from webhook_attempt where delivery_id = $1 order by attempt`,
      [d.id],
    );
    expect(tries.slice(0, 3).every((t) => !t.ok && t.status_code === 503)).toBe(true);
    expect(tries.some((t) => !t.ok && t.status_code === null && /within/.test(t.error ?? ''))).toBe(true);
    expect(tries.at(-1)).toMatchObject({ ok: true, status_code: 200 });
    // Every attempt carried the same id and a valid signature.
    expect(new Set(r.got.map((x) => x.headers['webhook-id'])).size).toBe(1);
    expect(verify(secret, r.got.at(-1)!)).toMatchObject({ data: { orderId } });
    await setEndpointEnabled(app.db.orm, endpoint.id, false, actor);
  });

  it('is made once even across a worker restart', async () => {
    const r = await receiver();
    receivers.push(r);
    const { endpoint } = await createEndpoint(app.db.orm, { url: r.url(), eventTypes: ['order.created'] }, actor);
    r.state.mode = 'down';
    const orderId = await placeOrder();
    await waitFor('a first failed attempt', async () => r.got.length >= 1, 30_000);
    await app.stopWorker();
    r.state.mode = 'ok';
    await app.startWorker();
    await waitFor('delivered after the restart', async () => {
      const rows = await q<{ status: string }>(`select status from webhook_delivery where endpoint_id = $1`, [endpoint.id]);
      return rows[0]?.status === 'succeeded';
    });
    await sleep(1500);
    const ok = r.got.filter((x) => x.body.includes(`"orderId":${orderId}`));
    expect(new Set(ok.map((x) => x.headers['webhook-id'])).size).toBe(1);
    expect(await q(`select count(*)::int as n from webhook_delivery where endpoint_id = $1`, [endpoint.id])).toEqual([{ n: 1 }]);
    await setEndpointEnabled(app.db.orm, endpoint.id, false, actor);
  });

  it('disables an endpoint that keeps failing and alerts the admins (bell and mail)', async () => {
    const r = await receiver();
    receivers.push(r);
    r.state.mode = 'down';
    const { endpoint } = await createEndpoint(app.db.orm, { url: r.url(), eventTypes: ['order.created'] }, actor);
    await placeOrder();
    await waitFor(
      'the endpoint disabled',
      async () => (await q<{ enabled: boolean }>(`select enabled from webhook_endpoint where id = $1`, [endpoint.id]))[0].enabled === false,
      30_000,
    );
    const [ep] = await q<{ disabled_reason: string }>(`select disabled_reason from webhook_endpoint where id = $1`, [endpoint.id]);
    expect(ep.disabled_reason).toBe('consecutive_failures');
    expect(
      await q(`select action from audit_event where entity_type = 'WebhookEndpoint' and entity_id = $1 and action = 'webhook.endpoint_disabled'`, [
        String(endpoint.id),
      ]),
    ).toHaveLength(1);
    const bell = await q<{ payload: { severity: string } }>(`select payload from outbox_event where type = 'alert.raised' and payload ->> 'workflowId' = $1`, [
      `webhook-endpoint-${endpoint.id}`,
    ]);
    expect(bell).toHaveLength(1);
    const mail = await q<{ to: string }>(`select "to" from notification where template = 'staff_alert' and subject like '%' order by id desc limit 5`);
    expect(mail.some((m) => m.to === app.credentials.users.find((u) => u.role === 'admin')!.email)).toBe(true);
    // The pending delivery stops at its next attempt.
    await waitFor(
      'the delivery stopped',
      async () => (await q<{ status: string }>(`select status from webhook_delivery where endpoint_id = $1`, [endpoint.id]))[0].status === 'cancelled',
    );
  });

  it('signs with the old and the new secret after a rotation, for 24 hours', async () => {
    const r = await receiver();
    receivers.push(r);
    const { endpoint, secret: old } = await createEndpoint(app.db.orm, { url: r.url(), eventTypes: ['order.created'] }, actor);
    const { secret: fresh } = await rotateSecret(app.db.orm, endpoint.id, actor);
    const orderId = await placeOrder();
    const got = await waitFor('the delivery', async () => r.got.find((x) => x.body.includes(`"orderId":${orderId}`)), 30_000);
    expect(got.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(old, got)).toMatchObject({ type: 'order.created' });
    expect(verify(fresh, got)).toMatchObject({ type: 'order.created' });
    // Once the overlap is over, only the new secret signs.
    await db.query(`update webhook_endpoint set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [endpoint.id]);
    const second = await placeOrder();
    const next = await waitFor('the second delivery', async () => r.got.find((x) => x.body.includes(`"orderId":${second}`)), 30_000);
    expect(next.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verify(fresh, next)).toMatchObject({ type: 'order.created' });
    expect(() => verify(old, next)).toThrow();
    await setEndpointEnabled(app.db.orm, endpoint.id, false, actor);
  });

  it('refuses at delivery time a host taken off the allow-list', async () => {
    const r = await receiver();
    receivers.push(r);
    const { endpoint } = await createEndpoint(app.db.orm, { url: r.url(), eventTypes: ['order.created'] }, actor);
    await db.query(`delete from webhook_allowed_host`);
    await placeOrder();
    await waitFor(
      'a refused attempt',
      async () =>
        (
          await q(`select 1 from webhook_attempt a join webhook_delivery d on d.id = a.delivery_id where d.endpoint_id = $1 and a.error like 'refused%'`, [
            endpoint.id,
          ])
        ).length > 0,
    );
    expect(r.got).toHaveLength(0);
  });
});
