// The customer's return request on the public tracking page, over HTTP against the real web server
// and PostgreSQL: per line a refund or an exchange, the replacement typed or picked from suggestions
// (active, in stock, at the same price or less), checked on the server with field errors in the
// customer's language, and refund and exchange lines opened as one RMA each, each starting its flow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { confirmPick, createPickLists, packOrder, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/http.ts';

let app: TestApp;
let token: string;
let orderId: number;
const actor = { ...SYSTEM, label: 'tester' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(q, p);

// A trail shoe in two sizes at one price, a dearer model, a cheaper one out of stock, and socks.
const PRODUCTS = [
  ['TR-A', 'Trail shoe 42', 'Trail', 2_500, 10],
  ['TR-B', 'Trail shoe 43', 'Trail', 2_500, 3],
  ['TR-C', 'Trail shoe Pro', 'Trail', 4_000, 10],
  ['TR-D', 'Trail shoe Lite', 'Trail', 2_000, 0],
  ['TR-E', 'Hiking socks', 'Socks', 1_500, 10],
] as const;

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  for (const [sku, name, category, price, onHand] of PRODUCTS) {
    await sql(
      `insert into product (sku, barcode, name, category, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, ?, 300, 1, 1, 1, ?, 'USD')`,
      [sku, `BC-${sku}`, name, category, price],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then ? else 0 end, 0, 0, 0, 'A-01-1', now() from product p, warehouse w where p.sku = ?`,
      [onHand, sku],
    );
  }
  // Shipped (by hand, no run): two pairs of TR-A and one pair of socks.
  const r = await createOrder(
    app.db.orm,
    {
      channel: 'web',
      externalId: `TRACK-${Date.now()}`,
      customer: { email: 'trail@example.com', name: 'Tess Trail' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [
        { sku: 'TR-A', quantity: 2, unitPrice: 2_500 },
        { sku: 'TR-E', quantity: 1, unitPrice: 1_500 },
      ],
      paymentMethod: 'test-card',
      paidAmount: 6_500,
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  orderId = r.order.id;
  token = r.order.trackingToken;
  const [list] = await createPickLists(app.db.orm, { warehouse: 'EWR', method: 'single', orderIds: [orderId] }, actor);
  await confirmPick(app.db.orm, list.id, 'TR-A', actor, 2);
  await confirmPick(app.db.orm, list.id, 'TR-E', actor, 1);
  await packOrder(app.db.orm, orderId, actor);
  await shipOrder(app.db.orm, orderId, actor);
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

/** The form as the page posts it: each line's fields once, in line order (TR-A, then TR-E). */
function returnForm(lines: { quantity: number; resolution?: 'refund' | 'exchange'; replacementSku?: string }[], reason = 'size_or_fit'): [string, string][] {
  const skus = ['TR-A', 'TR-E'];
  return [
    ...lines.flatMap((l, i): [string, string][] => [
      ['sku', skus[i]],
      ['quantity', String(l.quantity)],
      ['resolution', l.resolution ?? 'refund'],
      ['replacementSku', l.replacementSku ?? ''],
    ]),
    ['reason', reason],
    ['comment', ''],
  ];
}
const datalist = (html: string, index: number) =>
  [...(html.match(new RegExp(`<datalist id="replacements-${index}">(.*?)</datalist>`, 's'))?.[1] ?? '').matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
const rmas = () =>
  sql<{ number: string; resolution: string; lines: unknown; source: string }>(
    'select number, resolution, lines, source from return_request where order_id = ? order by id',
    [orderId],
  );
const text = (html: string) => html.replace(/<!-- -->/g, '');

describe('returns on the tracking page', () => {
  it('offers per line a refund or an exchange, with replacements in stock at the same price or less, the same product first', async () => {
    const html = await (await new Browser(app.url).get(`/track/${token}`)).text();
    expect(html.match(/<select name="resolution"/g)).toHaveLength(2);
    expect(html.match(/<input name="replacementSku"/g)).toHaveLength(2);
    expect(text(html)).toContain('placeholder="Same item (TR-A)"');
    // TR-A: itself, its other size; not the dearer model, not the one out of stock; other products at its price or less after those of its category.
    const forShoe = datalist(html, 0);
    expect(forShoe.slice(0, 2)).toEqual(['TR-A', 'TR-B']);
    expect(forShoe).toContain('TR-E');
    expect(forShoe).not.toContain('TR-C');
    expect(forShoe).not.toContain('TR-D');
    expect(forShoe.indexOf('TR-E')).toBeGreaterThan(1);
    // The socks cost less than every shoe.
    const forSocks = datalist(html, 1);
    expect(forSocks[0]).toBe('TR-E');
    expect(forSocks.filter((s) => s.startsWith('TR-'))).toEqual(['TR-E']);
  });

  it('refuses a replacement that costs more, is not in stock for the quantity or does not exist, in the customer’s language, writing nothing', async () => {
    const customer = new Browser(app.url);
    const res = await customer.post(`/track/${token}`, returnForm([{ quantity: 1, resolution: 'exchange', replacementSku: 'TR-C' }, { quantity: 1 }]));
    expect(res.status).toBe(422);
    expect(text(await res.text())).toContain('TR-C costs more than the item you return: an exchange is for an item at the same price or less.');

    const zh = await customer.post(`/track/${token}`, returnForm([{ quantity: 2, resolution: 'exchange', replacementSku: 'TR-D' }, { quantity: 0 }]), {
      headers: { 'Accept-Language': 'zh-CN' },
    });
    expect(zh.status).toBe(422);
    expect(text(await zh.text())).toContain('TR-D 库存不足（仅有 0 件可用）。');

    const tw = await customer.post(`/track/${token}`, returnForm([{ quantity: 1, resolution: 'exchange', replacementSku: 'NOPE-1' }, { quantity: 5 }]), {
      headers: { 'Accept-Language': 'zh-TW' },
    });
    const page = text(await tw.text());
    expect(page).toContain('未知的 SKU NOPE-1。');
    expect(page).toContain('太大（最多 1）。');

    expect(await rmas()).toEqual([]);
    expect(await sql(`select id from outbox_event where type = 'return.requested' and (payload ->> 'orderId')::int = ?`, [orderId])).toEqual([]);
  });

  it('opens one RMA for the refund lines and one for the exchange lines, each starting its return flow', async () => {
    const customer = new Browser(app.url);
    // (The socks are refunded: the replacement left in their field is not looked at, nor kept.)
    const res = await customer.post(
      `/track/${token}`,
      returnForm(
        [
          { quantity: 2, resolution: 'exchange', replacementSku: 'TR-B' },
          { quantity: 1, resolution: 'refund', replacementSku: 'TR-B' },
        ],
        'size_or_fit',
      ),
    );
    expect(res.status).toBe(200);
    const opened = await rmas();
    expect(opened).toEqual([
      { number: expect.stringMatching(/^RMA-/), resolution: 'refund', lines: [{ sku: 'TR-E', quantity: 1 }], source: 'tracking_page' },
      {
        number: expect.stringMatching(/^RMA-/),
        resolution: 'exchange',
        lines: [{ sku: 'TR-A', quantity: 2, replacementSku: 'TR-B' }],
        source: 'tracking_page',
      },
    ]);
    expect(text(await res.text())).toContain(`Returns ${opened[0].number}, ${opened[1].number} requested: one for the refund, one for the exchange.`);
    expect(
      await sql(
        `select payload ->> 'rma' as rma, payload ->> 'resolution' as resolution, payload -> 'lines' as lines from outbox_event where type = 'return.requested' and (payload ->> 'orderId')::int = ? order by id`,
        [orderId],
      ),
    ).toEqual([
      { rma: opened[0].number, resolution: 'refund', lines: [{ sku: 'TR-E', quantity: 1 }] },
      { rma: opened[1].number, resolution: 'exchange', lines: [{ sku: 'TR-A', quantity: 2, replacementSku: 'TR-B' }] },
    ]);
    expect(
      await sql(`select actor_type, after ->> 'rma' as rma from audit_event where action = 'return.requested' and entity_id = ? order by id`, [
        String(orderId),
      ]),
    ).toEqual([
      { actor_type: 'anonymous', rma: opened[0].number },
      { actor_type: 'anonymous', rma: opened[1].number },
    ]);

    // Everything is on a return now: the form is gone and both RMAs are listed.
    const after = await (await customer.get(`/track/${token}`)).text();
    expect(after).not.toContain('data-testid="return-form"');
    expect(after.match(/data-testid="rma"/g)).toHaveLength(2);
  });
});
