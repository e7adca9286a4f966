import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../app/lib/problem.ts';
import type { OrderPage } from '../../app/modules/orders/queries.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
let db: pg.Client;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  db = new pg.Client({ connectionString: app.db.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await app?.stop();
});

const BOSTON = { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 };
let seq = 0;
const order = (over: Record<string, unknown> = {}) => ({
  channel: 'web',
  externalId: `T-${Date.now()}-${++seq}`,
  customer: { email: 'buyer@example.com', name: 'Buyer One' },
  shippingAddress: BOSTON,
  currency: 'USD',
  lines: [{ sku: 'HOT-1', quantity: 1, unitPrice: 1999 }],
  paymentMethod: 'test-card',
  ...over,
});

/** The parts of GET /api/v1/orders/:id the tests read beyond toMatchObject. */
interface OrderDetailBody {
  reservations: { warehouse: string; quantity: number; status: string }[];
  timeline: { action: string }[];
  [key: string]: unknown;
}
/** GET /api/v1/inventory: per SKU, its totals and each warehouse's level (routes/api.v1.inventory.ts). */
interface InventoryBody {
  items: {
    sku: string;
    known: boolean;
    onHand: number;
    reserved: number;
    atp: number;
    inbound: number;
    warehouses: { warehouse: string; onHand: number; reserved: number; atp: number; inbound: number; nextInboundAt: string | null }[];
  }[];
}

async function post<T = Record<string, unknown>>(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(app.url + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}
const get = async <T = Record<string, unknown>>(path: string) => {
  const res = await fetch(app.url + path, { headers: { Authorization: `Bearer ${app.credentials.apiKey}` } });
  return { status: res.status, body: (await res.json()) as T };
};

/** A fresh SKU with the given stock per warehouse code (others get none). */
async function stockSku(sku: string, perWarehouse: Record<string, number>, reorderPoint = 0) {
  const {
    rows: [p],
  } = await db.query(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ($1, $2, $1, 100, 10, 10, 10, 1999, 'USD') returning id`,
    [sku, `B-${sku}`],
  );
  await db.query(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                  select $1, w.id, coalesce(($2::jsonb ->> w.code)::int, 0), 0, $3, 10, now() from warehouse w`,
    [p.id, JSON.stringify(perWarehouse), reorderPoint],
  );
  return p.id as number;
}
const levels = async (sku: string) =>
  (
    await db.query(
      `select w.code, l.on_hand, l.reserved from inventory_level l join warehouse w on w.id = l.warehouse_id join product p on p.id = l.product_id where p.sku = $1 order by w.code`,
      [sku],
    )
  ).rows;

describe('POST /api/v1/orders', () => {
  beforeAll(async () => {
    await stockSku('HOT-1', { EWR: 500, RNO: 500 });
  });

  it('creates the order with its totals and reservations, in one transaction with outbox and audit', async () => {
    const r = await post('/api/v1/orders', order({ lines: [{ sku: 'HOT-1', quantity: 3, unitPrice: 1000 }], shipping: 500, tax: 80 }));
    expect(r.status).toBe(201);
    expect(r.headers.get('Location')).toBe(`/api/v1/orders/${r.body.id}`);
    expect(r.body).toMatchObject({
      status: 'awaiting_payment',
      currency: 'USD',
      totals: { subtotal: 3000, shipping: 500, tax: 80, discount: 0, total: 3580 },
      reservations: [{ sku: 'HOT-1', warehouse: 'EWR', quantity: 3 }],
      routing: { policy: 'nearest_full', shipments: 1 },
    });
    expect(r.body.number).toMatch(/^SO-\d{6}$/);
    const {
      rows: [counts],
    } = await db.query(
      `select (select count(*) from outbox_event where type = 'order.created' and payload->>'orderId' = $1) as outbox,
      (select count(*) from audit_event where action = 'order.created' and entity_id = $1) as audit,
      (select sum(quantity) from reservation where order_id = $2 and status = 'active') as reserved`,
      [String(r.body.id), r.body.id],
    );
    expect(counts).toEqual({ outbox: '1', audit: '1', reserved: '3' });
    const detail = await get<OrderDetailBody>(`/api/v1/orders/${r.body.number}`);
    expect(detail.body).toMatchObject({
      id: r.body.id,
      lines: [{ sku: 'HOT-1', quantity: 3 }],
      reservations: [{ warehouse: 'EWR', quantity: 3, status: 'active' }],
    });
    expect(detail.body.timeline.map((t) => t.action)).toEqual(['order.created']);
  });

  it('names each invalid field with 422 and writes nothing', async () => {
    const before = (await db.query('select count(*) from sales_order')).rows[0].count;
    const r = await post<Problem>(
      '/api/v1/orders',
      order({
        customer: { email: 'not-an-email', name: '' },
        lines: [{ sku: 'HOT-1', quantity: 0, unitPrice: -1 }],
        currency: 'XXQ',
        shippingAddress: { city: 'Boston', country: 'US' },
      }),
    );
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.errors!.map((e) => e.field).sort()).toEqual(
      ['currency', 'customer.email', 'customer.name', 'lines.0.quantity', 'lines.0.unitPrice', 'shippingAddress.line1'].sort(),
    );
    expect((await db.query('select count(*) from sales_order')).rows[0].count).toBe(before);
  });

  it('refuses an unknown SKU, a currency the channel does not take, and a payment that does not match', async () => {
    const unknown = await post(
      '/api/v1/orders',
      order({
        lines: [
          { sku: 'HOT-1', quantity: 1, unitPrice: 1 },
          { sku: 'NOPE-9', quantity: 1, unitPrice: 1 },
        ],
      }),
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'lines.1.sku', code: 'unknown_sku', params: { sku: 'NOPE-9' } })]);
    const currency = await post<Problem>('/api/v1/orders', order({ channel: 'pos-nyc', currency: 'EUR' }));
    expect(currency.status).toBe(422);
    expect(currency.body.errors![0]).toMatchObject({ field: 'currency', code: 'currency_not_accepted' });
    const paid = await post<Problem>('/api/v1/orders', order({ paidAmount: 5 }));
    expect(paid.status).toBe(422);
    expect(paid.body.errors![0]).toMatchObject({ field: 'paidAmount', code: 'amount_mismatch', params: { paid: 5, total: 1999 } });
  });

  it('answers a duplicate externalId in the same channel with 409 duplicate_order', async () => {
    const first = await post('/api/v1/orders', order({ externalId: 'DUP-1' }));
    expect(first.status).toBe(201);
    const again = await post('/api/v1/orders', order({ externalId: 'DUP-1' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'duplicate_order', field: 'externalId', params: { number: first.body.number } });
    expect((await post('/api/v1/orders', order({ externalId: 'DUP-1', channel: 'app' }))).status).toBe(201);
  });

  it('answers simultaneous deliveries of one order (no Idempotency-Key) with one 201 and 409s, never a 500', async () => {
    const body = order({ externalId: `RACE-${Date.now()}` });
    const results = await Promise.all(Array.from({ length: 6 }, () => post('/api/v1/orders', body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(5).fill('duplicate_order'));
  });

  it('takes a discount off the total and does not add tax twice when prices include it', async () => {
    const r = await post(
      '/api/v1/orders',
      order({ lines: [{ sku: 'HOT-1', quantity: 2, unitPrice: 1000 }], shipping: 500, tax: 300, taxIncluded: true, discount: 250 }),
    );
    expect(r.body.totals).toEqual({ subtotal: 2000, shipping: 500, tax: 300, taxIncluded: true, discount: 250, total: 2250 });
    const tooMuch = await post<Problem>('/api/v1/orders', order({ discount: 999_999 }));
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.errors![0]).toMatchObject({ field: 'discount', code: 'too_big' });
  });

  it('puts risky orders on hold with the reasons', async () => {
    const big = await post('/api/v1/orders', order({ lines: [{ sku: 'HOT-1', quantity: 2, unitPrice: 150_000 }] }));
    expect(big.body).toMatchObject({ status: 'on_hold', holdReasons: ['high_value'] });
    const noGeo = await post('/api/v1/orders', order({ shippingAddress: { line1: '1 Main St', city: 'Boston', country: 'US' } }));
    expect(noGeo.body).toMatchObject({ status: 'on_hold', holdReasons: ['address_without_coordinates'] });
    const newExpress = await post('/api/v1/orders', order({ customer: { email: `new-${Date.now()}@example.com`, name: 'New' }, deliveryMethod: 'express' }));
    expect(newExpress.body).toMatchObject({ status: 'on_hold', holdReasons: ['new_customer_express'] });
    const paid = await post('/api/v1/orders', order({ paidAmount: 1999 }));
    expect(paid.body).toMatchObject({ status: 'paid', holdReasons: [] });
  });

  it('requires an API key with a role that may take orders', async () => {
    const res = await fetch(`${app.url}/api/v1/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(order()) });
    expect(res.status).toBe(401);
    expect(res.headers.get('Content-Type')).toMatch(/problem\+json/);
    const bad = await fetch(`${app.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer oms_000000000000_nope' },
      body: JSON.stringify(order()),
    });
    expect(bad.status).toBe(401);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await fetch(`${app.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${app.credentials.apiKey}` },
      body: '{"channel":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_json' });
  });

  it('answers a body over 5 MB with 413, a method a route does not take with 405, and an unknown API path with 404', async () => {
    const auth = { Authorization: `Bearer ${app.credentials.apiKey}` };
    const big = await fetch(`${app.url}/api/v1/orders`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: `{"pad":"${'x'.repeat(5_100_000)}"}`,
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'payload_too_large' });
    const wrong = await fetch(`${app.url}/api/v1/inventory?sku=HOT-1`, { method: 'DELETE', headers: auth });
    expect(wrong.status).toBe(405);
    expect(await wrong.json()).toMatchObject({ code: 'method_not_allowed' });
    const head = await fetch(`${app.url}/api/v1/inventory?sku=HOT-1`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect((await fetch(`${app.url}/api/v1/no-such-thing`, { headers: auth })).status).toBe(404);
  });
});

describe('Idempotency-Key', () => {
  beforeAll(async () => {
    await stockSku('IDEM-1', { EWR: 10 });
  });

  it('replays the first response for the same key and body, once reserved', async () => {
    const body = order({ lines: [{ sku: 'IDEM-1', quantity: 2, unitPrice: 100 }] });
    const a = await post('/api/v1/orders', body, { 'Idempotency-Key': 'k-1' });
    const b = await post('/api/v1/orders', body, { 'Idempotency-Key': 'k-1' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('Idempotent-Replayed')).toBe('true');
    expect(b.body).toEqual(a.body);
    expect((await levels('IDEM-1')).find((l) => l.code === 'EWR')).toMatchObject({ reserved: 2 });
  });

  it('refuses the same key with a different body with 422 idempotency_key_reused', async () => {
    const r = await post('/api/v1/orders', order({ lines: [{ sku: 'IDEM-1', quantity: 1, unitPrice: 100 }] }), { 'Idempotency-Key': 'k-1' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
  });

  it('creates one order when the same key races with itself', async () => {
    const body = order({ lines: [{ sku: 'IDEM-1', quantity: 1, unitPrice: 100 }] });
    const results = await Promise.all(Array.from({ length: 8 }, () => post('/api/v1/orders', body, { 'Idempotency-Key': 'k-race' })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await db.query('select count(*) from sales_order where external_id = $1', [body.externalId])).rows[0].count).toBe('1');
  });

  it('replays a refusal for lack of stock too', async () => {
    const body = order({ lines: [{ sku: 'IDEM-1', quantity: 99, unitPrice: 100 }] });
    const a = await post('/api/v1/orders', body, { 'Idempotency-Key': 'k-409' });
    const b = await post('/api/v1/orders', body, { 'Idempotency-Key': 'k-409' });
    expect([a.status, b.status]).toEqual([409, 409]);
    expect(b.headers.get('Idempotent-Replayed')).toBe('true');
  });
});

describe('payments over the API', () => {
  it('authorises a test card once per Idempotency-Key, captures, and the order is paid', async () => {
    const created = await post('/api/v1/orders', order());
    const card = { provider: 'test-card', card: { number: '4242424242424242', expMonth: 1, expYear: 2099, cvc: '999' } };
    const a = await post(`/api/v1/orders/${created.body.id}/payments`, card, { 'Idempotency-Key': 'pay-1' });
    const b = await post(`/api/v1/orders/${created.body.id}/payments`, card, { 'Idempotency-Key': 'pay-1' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    const cap = await post(`/api/v1/payments/${a.body.id}/capture`, {}, { 'Idempotency-Key': 'cap-1' });
    expect(cap.body).toMatchObject({ status: 'captured', captured: 1999 });
    expect((await get(`/api/v1/orders/${created.body.id}`)).body).toMatchObject({ status: 'paid', payments: [{ captured: 1999, cardLast4: '4242' }] });
    const declined = await post(`/api/v1/orders/${(await post('/api/v1/orders', order())).body.id}/payments`, {
      ...card,
      card: { ...card.card, number: '4000000000000002' },
    });
    expect(declined).toMatchObject({ status: 402, body: { code: 'payment_declined', params: { reason: 'card_declined' } } });
  });
});

describe('no overselling', () => {
  it('200 concurrent orders for 50 units over 2 warehouses: exactly 50 reserved, the rest 409, no negative ATP', async () => {
    await stockSku('SCARCE-1', { EWR: 25, RNO: 25 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(
          '/api/v1/orders',
          order({
            externalId: `RUSH-${i}`,
            customer: { email: `rush${i}@example.com`, name: `Rush ${i}` },
            lines: [{ sku: 'SCARCE-1', quantity: 1, unitPrice: 2500 }],
          }),
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(150);
    for (const r of refused)
      expect(r.body).toMatchObject({ code: 'insufficient_stock', field: 'lines.0.quantity', params: { sku: 'SCARCE-1', requested: 1, available: 0 } });
    const rows = await levels('SCARCE-1');
    expect(rows.filter((l) => l.code === 'EWR' || l.code === 'RNO')).toEqual([
      { code: 'EWR', on_hand: 25, reserved: 25 },
      { code: 'RNO', on_hand: 25, reserved: 25 },
    ]);
    const {
      rows: [sum],
    } = await db.query(
      `select sum(r.quantity)::int as n from reservation r join product p on p.id = r.product_id where p.sku = 'SCARCE-1' and r.status = 'active'`,
    );
    expect(sum.n).toBe(50);
    const {
      rows: [neg],
    } = await db.query('select count(*)::int as n from inventory_level where on_hand - reserved < 0');
    expect(neg.n).toBe(0);
  });
});

describe('group commit: orders that arrive together share a transaction, each answered on its own', () => {
  beforeAll(async () => {
    await stockSku('BURST-1', { EWR: 1000 });
    await stockSku('BURST-NONE', {});
  });
  const burst = (i: number, over: Record<string, unknown> = {}) =>
    order({
      externalId: `BURST-${Date.now()}-${i}`,
      customer: { email: `burst${i}@example.com`, name: `Burst ${i}` },
      lines: [{ sku: 'BURST-1', quantity: 1, unitPrice: 700 }],
      ...over,
    });
  /** The orders written in the same transaction as at least one other (Postgres' xmin is the writing transaction). */
  const sharedTransactions = async (ids: number[]) =>
    (
      await db.query(
        'select count(*)::int as n from sales_order o where o.id = any($1) and exists (select 1 from sales_order p where p.id = any($1) and p.id <> o.id and p.xmin = o.xmin)',
        [ids],
      )
    ).rows[0].n as number;

  it('writes the good orders of a burst together, and refuses the others without writing anything of theirs', async () => {
    const dupId = `BURST-TWICE-${Date.now()}`;
    const keyed = burst(100);
    const bodies: { body: ReturnType<typeof order>; key?: string; expect?: { status: number; code: string } }[] = [
      ...Array.from({ length: 30 }, (_, i) => ({ body: burst(i) })),
      { body: burst(40, { lines: [{ sku: 'NOPE-404', quantity: 1, unitPrice: 1 }] }), expect: { status: 422, code: 'validation_failed' } },
      { body: burst(41, { lines: [{ sku: 'BURST-NONE', quantity: 1, unitPrice: 1 }] }), expect: { status: 409, code: 'insufficient_stock' } },
      { body: burst(42, { paidAmount: 1 }), expect: { status: 422, code: 'validation_failed' } },
      { body: burst(43, { externalId: dupId }) },
      { body: burst(44, { externalId: dupId }) },
      { body: keyed, key: 'burst-key' },
      { body: keyed, key: 'burst-key' },
    ];
    const results = await Promise.all(bodies.map((b) => post('/api/v1/orders', b.body, b.key ? { 'Idempotency-Key': b.key } : {})));
    for (const [i, b] of bodies.entries()) if (b.expect) expect(results[i]).toMatchObject({ status: b.expect.status, body: { code: b.expect.code } });
    expect(results.slice(0, 30).map((r) => r.status)).toEqual(Array(30).fill(201));
    // The same order delivered twice in one burst: one order, and the other answer is the duplicate refusal.
    expect(
      results
        .slice(33, 35)
        .map((r) => r.status)
        .sort(),
    ).toEqual([201, 409]);
    expect(results.slice(33, 35).find((r) => r.status === 409)!.body).toMatchObject({ code: 'duplicate_order', field: 'externalId' });
    // The same Idempotency-Key twice in one burst: one order, the same answer twice.
    expect(results.slice(35).map((r) => r.status)).toEqual([201, 201]);
    expect(results[36].body).toEqual(results[35].body);

    const created = results.filter((r) => r.status === 201).map((r) => r.body.id as number);
    expect(new Set(created).size).toBe(32);
    const {
      rows: [written],
    } = await db.query(
      `select count(*)::int as orders,
        (select count(*)::int from order_line where order_id = any($1)) as lines,
        (select count(*)::int from reservation where order_id = any($1)) as reservations,
        (select count(*)::int from audit_event where action = 'order.created' and entity_id = any($2)) as audits,
        (select count(*)::int from outbox_event where type = 'order.created' and payload->>'orderId' = any($2)) as events,
        (select count(*)::int from notification where order_id = any($1)) as mails
      from sales_order where id = any($1)`,
      [created, created.map(String)],
    );
    expect(written).toEqual({ orders: 32, lines: 32, reservations: 32, audits: 32, events: 32, mails: 32 });
    const {
      rows: [refused],
    } = await db.query(`select count(*)::int as n from sales_order where external_id = any($1)`, [
      [40, 41, 42].map((i) => bodies[30 + i - 40].body.externalId),
    ]);
    expect(refused.n).toBe(0);
    expect((await levels('BURST-1')).find((l) => l.code === 'EWR')).toMatchObject({ reserved: 32 });
    // They were batched: most of them share their transaction with others.
    expect(await sharedTransactions(created)).toBeGreaterThan(10);
  });

  it('takes an order from a new customer whom another process creates at the same moment (no 500)', async () => {
    const email = `twin-${Date.now()}@example.com`;
    const other = new pg.Client({ connectionString: app.db.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(
        `insert into customer (email, name, locale, addresses, tags, tier, created_at) values ($1, 'Twin', 'en', '[]', '{}', 'standard', now())`,
        [email],
      );
      const pending = post('/api/v1/orders', burst(300, { customer: { email, name: 'Twin' } }));
      for (let i = 0; i < 100; i++) {
        const {
          rows: [w],
        } = await db.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%insert into customer%'`);
        if (w.n > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await other.query('commit');
      const r = await pending;
      expect(r.status).toBe(201);
      const {
        rows: [c],
      } = await db.query('select count(*)::int as n, min(id) as id from customer where email = $1', [email]);
      expect(c.n).toBe(1);
      expect((await db.query('select customer_id from sales_order where id = $1', [r.body.id])).rows[0].customer_id).toBe(c.id);
    } finally {
      await other.end();
    }
  });

  it('when a batch fails as a whole (a delivery committed meanwhile elsewhere), answers each order on its own', async () => {
    const taken = `BURST-TAKEN-${Date.now()}`;
    const [template] = (await db.query('select id from sales_order order by id desc limit 1')).rows;
    // Another process holds an uncommitted order with the same channel and external id.
    const other = new pg.Client({ connectionString: app.db.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(
        `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor,
                           status, payment_method, delivery_method, shipping_address, placed_at, created_at, updated_at)
        select channel_id, $1, customer_id, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor,
               status, payment_method, delivery_method, shipping_address, now(), now(), now() from sales_order where id = $2`,
        [taken, template.id],
      );
      const bodies = [...Array.from({ length: 12 }, (_, i) => burst(200 + i)), burst(212, { externalId: taken })];
      const pending = Promise.all(bodies.map((b) => post('/api/v1/orders', b)));
      // Commit once intake is waiting on that order's unique key.
      for (let i = 0; i < 100; i++) {
        const {
          rows: [w],
        } = await db.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%insert into sales_order%'`);
        if (w.n > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await other.query('commit');
      const results = await pending;
      expect(results.slice(0, 12).map((r) => r.status)).toEqual(Array(12).fill(201));
      expect(results[12]).toMatchObject({ status: 409, body: { code: 'duplicate_order', field: 'externalId' } });
      const ids = results.slice(0, 12).map((r) => r.body.id as number);
      const {
        rows: [w],
      } = await db.query(
        `select count(*)::int as orders, (select count(*)::int from reservation where order_id = any($1)) as reservations from sales_order where id = any($1)`,
        [ids],
      );
      expect(w).toEqual({ orders: 12, reservations: 12 });
    } finally {
      await other.end();
    }
  });
});

describe('after intake', () => {
  it('cancelling releases the reservation; an illegal transition is refused and changes nothing', async () => {
    await stockSku('CANCEL-1', { EWR: 5 });
    const created = await post('/api/v1/orders', order({ lines: [{ sku: 'CANCEL-1', quantity: 4, unitPrice: 100 }] }));
    expect((await levels('CANCEL-1')).find((l) => l.code === 'EWR')).toMatchObject({ reserved: 4 });
    const cancelled = await post(`/api/v1/orders/${created.body.id}/cancel`, { reason: 'customer changed mind' });
    expect(cancelled).toMatchObject({ status: 200, body: { from: 'awaiting_payment', status: 'cancelled' } });
    expect((await levels('CANCEL-1')).find((l) => l.code === 'EWR')).toMatchObject({ reserved: 0 });
    const again = await post(`/api/v1/orders/${created.body.id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'illegal_transition', params: { from: 'cancelled', to: 'cancelled' } });
    const detail = await get<OrderDetailBody>(`/api/v1/orders/${created.body.id}`);
    expect(detail.body.reservations[0]).toMatchObject({ status: 'released' });
    expect(detail.body.timeline.map((t) => t.action)).toEqual(['order.created', 'order.status_changed', 'inventory.released']);
  });

  it('holds and releases an order', async () => {
    const created = await post('/api/v1/orders', order());
    expect((await post(`/api/v1/orders/${created.body.id}/hold`, { reason: 'fraud check' })).body).toMatchObject({ status: 'on_hold' });
    expect((await post(`/api/v1/orders/${created.body.id}/release`, {})).body).toMatchObject({ status: 'awaiting_payment' });
    expect((await post(`/api/v1/orders/${created.body.id}/explode`, {})).status).toBe(404);
  });

  it('raises stock.low once when a level reaches its reorder point, not on every order', async () => {
    await stockSku('LOW-1', { EWR: 10 }, 5);
    for (let i = 0; i < 4; i++) expect((await post('/api/v1/orders', order({ lines: [{ sku: 'LOW-1', quantity: 2, unitPrice: 100 }] }))).status).toBe(201);
    const { rows } = await db.query(`select payload from outbox_event where type = 'stock.low' and payload->>'sku' = 'LOW-1'`);
    expect(rows).toEqual([{ payload: expect.objectContaining({ sku: 'LOW-1', warehouse: 'EWR' }) }]);
  });

  it('answers GET /api/v1/inventory with onHand, reserved and atp per warehouse', async () => {
    await stockSku('INV-1', { EWR: 7, SHA: 3 });
    await post('/api/v1/orders', order({ lines: [{ sku: 'INV-1', quantity: 2, unitPrice: 100 }] }));
    const r = await get<InventoryBody>('/api/v1/inventory?sku=INV-1,NOPE');
    expect(r.status).toBe(200);
    expect(r.body.items[0]).toMatchObject({ sku: 'INV-1', known: true, onHand: 10, reserved: 2, atp: 8, inbound: 0 });
    expect(r.body.items[0].warehouses.find((w) => w.warehouse === 'EWR')).toMatchObject({ onHand: 7, reserved: 2, atp: 5 });
    expect(r.body.items[1]).toMatchObject({ sku: 'NOPE', known: false, atp: 0 });
    // A purchase order on its way counts as inbound supply with its expected date, until received.
    await db.query(`insert into supplier (code, name, email, currency, lead_time_days, active) values ('T-SUP', 'Sup', 's@x', 'USD', 5, true)`);
    const {
      rows: [po],
    } = await db.query(`insert into purchase_order (number, supplier_id, warehouse_id, status, currency, expected_at, created_at, updated_at)
      select 'PO-T1', s.id, w.id, 'sent', 'USD', '2030-01-15T00:00:00Z', now(), now() from supplier s, warehouse w where s.code = 'T-SUP' and w.code = 'EWR' returning id`);
    await db.query(
      `insert into purchase_order_line (purchase_order_id, product_id, quantity, received, unit_cost_minor) select $1, p.id, 40, 15, 100 from product p where p.sku = 'INV-1'`,
      [po.id],
    );
    const withPo = await get<InventoryBody>('/api/v1/inventory?sku=INV-1');
    expect(withPo.body.items[0]).toMatchObject({ inbound: 25, atp: 8 });
    expect(withPo.body.items[0].warehouses.find((w) => w.warehouse === 'EWR')).toMatchObject({ inbound: 25, nextInboundAt: '2030-01-15T00:00:00.000Z' });
  });

  it('lists orders with server-side filters', async () => {
    const r = await get<OrderPage>('/api/v1/orders?status=on_hold&channel=web&sort=total&dir=desc&pageSize=5');
    expect(r.status).toBe(200);
    expect(r.body.rows.length).toBeGreaterThan(0);
    expect(r.body.rows.every((o) => o.status === 'on_hold' && o.channel === 'web')).toBe(true);
    const totals = r.body.rows.map((o) => o.total);
    expect(totals).toEqual([...totals].sort((a: number, b: number) => b - a));
    const search = await get<OrderPage>('/api/v1/orders?q=DUP-1');
    expect(search.body.rows.map((o) => o.externalId)).toEqual(['DUP-1', 'DUP-1']);
  });
});
