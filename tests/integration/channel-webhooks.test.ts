import crypto from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
let db: pg.Client;
const secrets: Record<string, string> = {};
const channelIds: Record<string, number> = {};

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  db = new pg.Client({ connectionString: app.db.url });
  await db.connect();
  for (const c of (await db.query('select id, code, webhook_secret from channel')).rows) {
    channelIds[c.code] = c.id;
    if (c.webhook_secret) secrets[c.code] = c.webhook_secret;
  }
  await stockSku('WH-SHOP-A', { EWR: 50 });
  await stockSku('WH-SHOP-B', { EWR: 50 });
  await stockSku('WH-WOO-A', { TPE: 50 });
  await stockSku('WH-WOO-B', { TPE: 50 });
});
afterAll(async () => {
  await db?.end();
  await app?.stop();
});

/** A channel's sample webhook body; the tests rewrite its id and its lines (Shopify sends prices as strings, WooCommerce as numbers). */
interface WebhookFixture {
  id: number;
  line_items: { sku: string; price: string | number; quantity: number; [key: string]: unknown }[];
  [key: string]: unknown;
}
const fixture = (name: string): WebhookFixture => JSON.parse(fs.readFileSync(new URL(`../fixtures/webhooks/${name}`, import.meta.url), 'utf8'));

/** A fresh SKU with the given stock per warehouse code (others get none). */
async function stockSku(sku: string, perWarehouse: Record<string, number>) {
  const {
    rows: [p],
  } = await db.query(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ($1, $2, $1, 100, 10, 10, 10, 1999, 'USD') returning id`,
    [sku, `B-${sku}`],
  );
  await db.query(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                  select $1, w.id, coalesce(($2::jsonb ->> w.code)::int, 0), 0, 0, 10, now() from warehouse w`,
    [p.id, JSON.stringify(perWarehouse)],
  );
}

let seq = 0;
/** The Shopify fixture with a fresh id and SKUs this file stocked. */
function shopifyOrder(over: Record<string, unknown> = {}) {
  const p = fixture('shopify-orders-create.json');
  p.id = 6_100_000_000_000 + (Date.now() % 1_000_000) * 100 + ++seq;
  p.line_items[0].sku = 'WH-SHOP-A';
  p.line_items[1].sku = 'WH-SHOP-B';
  return { ...p, ...over };
}
function wooOrder(over: Record<string, unknown> = {}) {
  const p = fixture('woocommerce-order-created.json');
  p.id = 90_000 + ++seq;
  p.line_items[0].sku = 'WH-WOO-A';
  p.line_items[1].sku = 'WH-WOO-B';
  return { ...p, ...over };
}

const hmac = (secret: string, body: string) => crypto.createHmac('sha256', secret).update(body, 'utf8').digest('base64');

async function deliver(channel: string | number, body: string, headers: Record<string, string>) {
  const res = await fetch(`${app.url}/api/v1/channels/${channel}/webhooks`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('Content-Type') ?? '', location: res.headers.get('Location'), body: text ? JSON.parse(text) : null };
}
const shopifyHeaders = (body: string, extra: Record<string, string> = {}) => ({
  'Content-Type': 'application/json',
  'X-Shopify-Topic': 'orders/create',
  'X-Shopify-Shop-Domain': 'example-shop.myshopify.com',
  'X-Shopify-Webhook-Id': crypto.randomUUID(),
  'X-Shopify-Hmac-Sha256': hmac(secrets.web, body),
  ...extra,
});
const wooHeaders = (body: string, extra: Record<string, string> = {}) => ({
  'Content-Type': 'application/json',
  'X-WC-Webhook-Source': 'https://shop.example.com.tw/',
  'X-WC-Webhook-Topic': 'order.created',
  'X-WC-Webhook-Resource': 'order',
  'X-WC-Webhook-Event': 'created',
  'X-WC-Webhook-ID': '12',
  'X-WC-Webhook-Delivery-ID': crypto.randomUUID(),
  'X-WC-Webhook-Signature': hmac(secrets.momo, body),
  ...extra,
});

/** Rows that any intake would write. */
async function written() {
  const {
    rows: [r],
  } = await db.query(`select (select count(*) from sales_order) as orders, (select count(*) from customer) as customers,
    (select count(*) from reservation) as reservations, (select count(*) from audit_event) as audit, (select count(*) from outbox_event) as outbox`);
  return r;
}
const orderRow = async (channel: string, externalId: string) =>
  (await db.query(`select o.* from sales_order o join channel c on c.id = o.channel_id where c.code = $1 and o.external_id = $2`, [channel, externalId]))
    .rows[0];

describe('Shopify orders/create', () => {
  it('creates the order from a signed delivery, with its totals and coordinates', async () => {
    const payload = shopifyOrder();
    const body = JSON.stringify(payload);
    const r = await deliver('web', body, shopifyHeaders(body));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      channel: 'web',
      externalId: String(payload.id),
      currency: 'USD',
      status: 'paid',
      holdReasons: [],
      totals: { subtotal: 6980, shipping: 500, tax: 611, total: 8091 },
      reservations: [
        { sku: 'WH-SHOP-A', warehouse: 'EWR', quantity: 2 },
        { sku: 'WH-SHOP-B', warehouse: 'EWR', quantity: 1 },
      ],
    });
    expect(r.location).toBe(`/api/v1/orders/${r.body.id}`);

    const row = await orderRow('web', String(payload.id));
    expect(row).toMatchObject({
      number: r.body.number,
      currency: 'USD',
      subtotal_minor: 6980,
      shipping_minor: 500,
      tax_minor: 611,
      total_minor: 8091,
      status: 'paid',
      payment_method: 'shopify_payments',
    });
    expect(row.shipping_address).toEqual({
      name: 'Maya Lindqvist',
      line1: '1 Beacon St',
      line2: 'Floor 12',
      city: 'Boston',
      postalCode: '02108',
      country: 'US',
      lat: 42.3576,
      lng: -71.0619,
    });
    expect(new Date(row.placed_at).toISOString()).toBe('2025-03-14T14:21:33.000Z');
    const lines = (await db.query('select sku, quantity, unit_price_minor from order_line where order_id = $1 order by id', [row.id])).rows;
    expect(lines).toEqual([
      { sku: 'WH-SHOP-A', quantity: 2, unit_price_minor: 2495 },
      { sku: 'WH-SHOP-B', quantity: 1, unit_price_minor: 1990 },
    ]);
    const {
      rows: [event],
    } = await db.query(`select actor_type, actor_label, ip from audit_event where action = 'order.created' and entity_id = $1`, [String(row.id)]);
    expect(event).toMatchObject({ actor_type: 'system', actor_label: 'webhook:web' });
    expect(event.ip).toBeTruthy();
  });

  it('refuses a delivery without a signature with 401 and writes nothing', async () => {
    const before = await written();
    const body = JSON.stringify(shopifyOrder());
    const headers: Record<string, string> = shopifyHeaders(body);
    delete headers['X-Shopify-Hmac-Sha256'];
    const r = await deliver('web', body, headers);
    expect(r.status).toBe(401);
    expect(r.type).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 401, code: 'invalid_signature', messageKey: 'errors.invalid_signature' });
    expect(await written()).toEqual(before);
  });

  it('refuses a tampered body carrying the original signature, and a signature under another secret', async () => {
    const before = await written();
    const original = JSON.stringify(shopifyOrder());
    const signature = hmac(secrets.web, original);
    const tampered = original.replace('"price":"24.95"', '"price":"0.01"');
    expect(tampered).not.toBe(original);
    const r = await deliver('web', tampered, shopifyHeaders(tampered, { 'X-Shopify-Hmac-Sha256': signature }));
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('invalid_signature');
    const foreign = await deliver('web', original, shopifyHeaders(original, { 'X-Shopify-Hmac-Sha256': hmac(secrets.momo, original) }));
    expect(foreign.status).toBe(401);
    const garbage = await deliver('web', original, shopifyHeaders(original, { 'X-Shopify-Hmac-Sha256': 'x' }));
    expect(garbage.status).toBe(401);
    expect(await written()).toEqual(before);
  });

  it('answers a redelivery with 200 duplicate, also when the channel is named by id', async () => {
    const body = JSON.stringify(shopifyOrder());
    const first = await deliver('web', body, shopifyHeaders(body));
    expect(first.status).toBe(201);
    const before = await written();
    const again = await deliver(channelIds.web, body, shopifyHeaders(body));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ duplicate: true, number: first.body.number });
    expect(await written()).toEqual(before);
  });

  it('creates one order when the same delivery arrives several times at once', async () => {
    const payload = shopifyOrder();
    const body = JSON.stringify(payload);
    const results = await Promise.all(Array.from({ length: 4 }, () => deliver('web', body, shopifyHeaders(body))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    const number = results.find((r) => r.status === 201)!.body.number;
    for (const r of results.filter((x) => x.status === 200)) expect(r.body).toEqual({ duplicate: true, number });
    expect((await db.query('select count(*) from sales_order where external_id = $1', [String(payload.id)])).rows[0].count).toBe('1');
  });

  it('keeps an order id beyond 2^53 digit for digit', async () => {
    const body = JSON.stringify(shopifyOrder({ id: 'BIG' })).replace('"BIG"', '820982911946154508');
    const r = await deliver('web', body, shopifyHeaders(body));
    expect(r.status).toBe(201);
    expect(r.body.externalId).toBe('820982911946154508');
  });

  it('acknowledges other topics with 202 and writes nothing', async () => {
    const before = await written();
    const body = JSON.stringify(shopifyOrder());
    const r = await deliver('web', body, shopifyHeaders(body, { 'X-Shopify-Topic': 'orders/updated' }));
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ ignored: true, topic: 'orders/updated' });
    expect(await written()).toEqual(before);
  });

  it('answers malformed amounts with 422 naming the field, and a shortage with 409', async () => {
    const bad = shopifyOrder();
    bad.line_items[0].price = '24,95';
    let body = JSON.stringify(bad);
    const r = await deliver('web', body, shopifyHeaders(body));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'validation_failed', field: 'line_items.0.price', errors: [{ field: 'line_items.0.price', code: 'invalid_amount' }] });

    const unknown = shopifyOrder();
    unknown.line_items[1].sku = 'NOPE-404';
    body = JSON.stringify(unknown);
    const u = await deliver('web', body, shopifyHeaders(body));
    expect(u.status).toBe(422);
    expect(u.body.errors).toEqual([expect.objectContaining({ field: 'lines.1.sku', code: 'unknown_sku' })]);

    const many = shopifyOrder();
    many.line_items[0].quantity = 999;
    body = JSON.stringify(many);
    const s = await deliver('web', body, shopifyHeaders(body));
    expect(s.status).toBe(409);
    expect(s.body).toMatchObject({ code: 'insufficient_stock', field: 'lines.0.quantity' });
  });

  it('answers a signed body that is not JSON with 400', async () => {
    const body = '{"id":';
    const r = await deliver('web', body, shopifyHeaders(body));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_json');
  });
});

describe('WooCommerce order webhook', () => {
  it('creates the order on momo in TWD', async () => {
    const payload = wooOrder();
    const body = JSON.stringify(payload);
    const r = await deliver('momo', body, wooHeaders(body));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      channel: 'momo',
      externalId: String(payload.id),
      currency: 'TWD',
      totals: { subtotal: 218000, shipping: 6000, tax: 0, total: 224000 },
      reservations: [
        { sku: 'WH-WOO-A', warehouse: 'TPE', quantity: 2 },
        { sku: 'WH-WOO-B', warehouse: 'TPE', quantity: 1 },
      ],
    });
    const row = await orderRow('momo', String(payload.id));
    expect(row).toMatchObject({ total_minor: 224000, payment_method: 'ecpay_credit' });
    expect(row.shipping_address).toMatchObject({ line1: 'No. 7, Sec. 5, Xinyi Rd.', city: 'Taipei', country: 'TW' });
  });

  it('answers the ping sent when the webhook is saved with 200, signed or not, and writes nothing', async () => {
    const before = await written();
    const ping = 'webhook_id=12';
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const unsigned = await deliver('momo', ping, form);
    expect(unsigned).toMatchObject({ status: 200, body: { ok: true } });
    const signed = await deliver('momo', ping, { ...form, 'X-WC-Webhook-Signature': hmac(secrets.momo, ping) });
    expect(signed).toMatchObject({ status: 200, body: { ok: true } });
    const forged = await deliver('momo', ping, { ...form, 'X-WC-Webhook-Signature': hmac('not-the-secret', ping) });
    expect(forged.status).toBe(401);
    expect(await written()).toEqual(before);
  });

  it('refuses an order without a valid signature', async () => {
    const before = await written();
    const body = JSON.stringify(wooOrder());
    const headers: Record<string, string> = wooHeaders(body);
    delete headers['X-WC-Webhook-Signature'];
    expect((await deliver('momo', body, headers)).status).toBe(401);
    // A Shopify header does not stand in for WooCommerce's.
    expect((await deliver('momo', body, { ...headers, 'X-Shopify-Hmac-Sha256': hmac(secrets.momo, body) })).status).toBe(401);
    expect(await written()).toEqual(before);
  });
});

describe('channel lookup', () => {
  it('answers 404 for an unknown channel or one without an adapter', async () => {
    const body = JSON.stringify(shopifyOrder());
    for (const channel of ['nope', '999999', 'app', '99999999999999999999']) {
      const r = await deliver(channel, body, shopifyHeaders(body));
      expect(r.status, channel).toBe(404);
      expect(r.body.code).toBe('not_found');
    }
  });

  it('takes POST only', async () => {
    const res = await fetch(`${app.url}/api/v1/channels/web/webhooks`);
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('POST');
  });
});
