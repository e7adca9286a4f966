// Return / exchange and refund from the order page, over HTTP against the real web server and
// PostgreSQL: an agent opens an RMA with an exchange line (it starts the return flow), refunds part
// of a paid order once however often the form is posted, and bad input answers 422 / 409 naming the
// field, translated, writing nothing; a warehouse user may do neither.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { confirmPick, createPickLists, packOrder, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser, signIn } from '../support/http.ts';

let app: TestApp;
let orderId: number;
let closedId: number;
/** An agent who reads English (the demo's agent reads Simplified Chinese). */
let agent: Browser;
let zhAgent: Browser;
const actor = { ...SYSTEM, label: 'tester' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(q, p);

// A shoe in two sizes at one price, and socks.
const PRODUCTS = [
  ['OA-A', 'Road shoe 42', 'Road', 2_500, 10],
  ['OA-B', 'Road shoe 43', 'Road', 2_500, 5],
  ['OA-E', 'Running socks', 'Socks', 1_500, 10],
] as const;

async function paidOrder(ship: boolean) {
  const r = await createOrder(
    app.db.orm,
    {
      channel: 'web',
      externalId: `OA-${Date.now()}-${Math.random()}`,
      customer: { email: 'road@example.com', name: 'Rita Road' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [
        { sku: 'OA-A', quantity: 2, unitPrice: 2_500 },
        { sku: 'OA-E', quantity: 1, unitPrice: 1_500 },
      ],
      paymentMethod: 'cash',
      paidAmount: 6_500,
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  const id = r.order.id;
  if (ship) {
    const [list] = await createPickLists(app.db.orm, { warehouse: 'EWR', method: 'single', orderIds: [id] }, actor);
    await confirmPick(app.db.orm, list.id, 'OA-A', actor, 2);
    await confirmPick(app.db.orm, list.id, 'OA-E', actor, 1);
    await packOrder(app.db.orm, id, actor);
    await shipOrder(app.db.orm, id, actor);
  }
  return id;
}

beforeAll(async () => {
  app = await startTestApp({ worker: false, extraUsers: [{ key: 'en-agent', role: 'agent' }] });
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
  orderId = await paidOrder(true);
  // Another paid order, cancelled (by hand here): closed to returns and to refunds by hand.
  closedId = await paidOrder(false);
  await sql(`update sales_order set status = 'cancelled' where id = ?`, [closedId]);
  const en = app.credentials.users.find((u) => u.email === 'en-agent@test.local')!;
  agent = new Browser(app.url);
  await agent.login(en.email, en.password);
  zhAgent = await signIn(app, 'agent');
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

const text = (html: string) => html.replace(/<!-- -->/g, '');
/** The return form as the page posts it: each line's fields once, in line order (OA-A, then OA-E). */
function returnForm(lines: { sku?: string; quantity: string; resolution?: 'refund' | 'exchange'; replacementSku?: string }[], reason = 'size_or_fit') {
  const skus = ['OA-A', 'OA-E'];
  return [
    ['intent', 'return'],
    ...lines.flatMap((l, i): [string, string][] => [
      ['sku', l.sku ?? skus[i]],
      ['quantity', l.quantity],
      ['resolution', l.resolution ?? 'refund'],
      ['replacementSku', l.replacementSku ?? ''],
    ]),
    ...(reason ? [['reason', reason]] : []),
    ['comment', 'called the service line'],
  ] as [string, string][];
}
const rmas = (id = orderId) =>
  sql<{ number: string; resolution: string; lines: unknown; source: string; status: string }>(
    'select number, resolution, lines, source, status from return_request where order_id = ? order by id',
    [id],
  );
const returnEvents = (id = orderId) =>
  sql<{ rma: string; resolution: string }>(
    `select payload ->> 'rma' as rma, payload ->> 'resolution' as resolution from outbox_event where type = 'return.requested' and (payload ->> 'orderId')::int = ? order by id`,
    [id],
  );
const payments = (id = orderId) =>
  sql<{ captured_minor: number; refunded_minor: number }>('select captured_minor, refunded_minor from payment where order_id = ?', [id]);
const refundAudits = (id = orderId) =>
  sql<{ action: string; actor_type: string; after: Record<string, unknown> }>(
    `select action, actor_type, after from audit_event where entity_type = 'Order' and entity_id = ? and action in ('payment.refunded', 'payment.order_refund_requested') order by id`,
    [String(id)],
  );
async function nonceOf(b: Browser, id = orderId) {
  const html = await (await b.get(`/orders/${id}`)).text();
  const m = html.match(/name="nonce" value="([^"]+)"/);
  if (!m) throw new Error('no refund form');
  return m[1];
}

describe('return / exchange from the order page', () => {
  it('shows the forms to an agent, with the returnable lines and what each can be exchanged for', async () => {
    const html = text(await (await agent.get(`/orders/${orderId}`)).text());
    expect(html).toContain('data-testid="order-return-form"');
    expect(html).toContain('data-testid="order-refund-form"');
    expect(html.match(/<select name="resolution"/g)).toHaveLength(2);
    expect(html).toContain('No returns for this order.');
    expect(html).toMatch(/<datalist id="order-replacements-0"><option value="OA-A">Road shoe 42<\/option><option value="OA-B">/);
  });

  it('refuses bad quantities, an unknown SKU and a missing reason with 422 naming the field, writing nothing', async () => {
    const tooMany = await agent.post(`/orders/${orderId}`, returnForm([{ quantity: '3' }, { quantity: '0' }]));
    expect(tooMany.status).toBe(422);
    expect(text(await tooMany.text())).toContain('Too large (at most 2).');
    expect((await agent.post(`/orders/${orderId}`, returnForm([{ quantity: '-1' }, { quantity: '1' }]))).status).toBe(422);
    expect((await agent.post(`/orders/${orderId}`, returnForm([{ quantity: 'abc' }, { quantity: '1' }]))).status).toBe(422);
    const unknown = await zhAgent.post(`/orders/${orderId}`, returnForm([{ sku: 'NOPE-1', quantity: '1' }, { quantity: '0' }]));
    expect(unknown.status).toBe(422);
    expect(text(await unknown.text())).toContain('未知 SKU NOPE-1。');
    expect((await agent.post(`/orders/${orderId}`, returnForm([{ quantity: '1' }, { quantity: '0' }], ''))).status).toBe(422);
    const nothing = await agent.post(`/orders/${orderId}`, returnForm([{ quantity: '0' }, { quantity: '0' }]));
    expect(nothing.status).toBe(422);
    expect(text(await nothing.text())).toContain('Choose at least one item.');
    const closed = await agent.post(`/orders/${closedId}`, returnForm([{ quantity: '1' }, { quantity: '0' }]));
    expect(closed.status).toBe(409);
    expect(await rmas()).toEqual([]);
    expect(await rmas(closedId)).toEqual([]);
    expect(await returnEvents()).toEqual([]);
  });

  it('opens an RMA with an exchange line and one with a refund line, each announced to start its return flow, and lists them', async () => {
    const res = await agent.post(
      `/orders/${orderId}`,
      returnForm([
        { quantity: '1', resolution: 'exchange', replacementSku: 'OA-B' },
        { quantity: '1', resolution: 'refund' },
      ]),
    );
    expect(res.status).toBe(200);
    const opened = await rmas();
    expect(opened).toEqual([
      { number: expect.stringMatching(/^RMA-/), resolution: 'refund', lines: [{ sku: 'OA-E', quantity: 1 }], source: 'console', status: 'requested' },
      {
        number: expect.stringMatching(/^RMA-/),
        resolution: 'exchange',
        lines: [{ sku: 'OA-A', quantity: 1, replacementSku: 'OA-B' }],
        source: 'console',
        status: 'requested',
      },
    ]);
    expect(text(await res.text())).toContain(`Returns ${opened[0].number}, ${opened[1].number} opened`);
    expect(await returnEvents()).toEqual([
      { rma: opened[0].number, resolution: 'refund' },
      { rma: opened[1].number, resolution: 'exchange' },
    ]);
    expect(
      await sql(`select actor_type, actor_label from audit_event where action = 'return.requested' and entity_id = ? order by id`, [String(orderId)]),
    ).toEqual([
      { actor_type: 'user', actor_label: 'en-agent@test.local' },
      { actor_type: 'user', actor_label: 'en-agent@test.local' },
    ]);
    const page = text(await (await agent.get(`/orders/${orderId}`)).text());
    expect(page).toContain(`data-rma="${opened[1].number}"`);
    expect(page).toContain('1 × OA-A → OA-B');
    // One shoe is still returnable; the socks are not.
    expect(page.match(/<select name="resolution"/g)).toHaveLength(1);
  });
});

describe('refund from the order page', () => {
  it('refunds part of a paid order once, however often the same form is posted, audited with its reason', async () => {
    const nonce = await nonceOf(agent);
    const form = { intent: 'refund', amount: '12.50', reason: 'late_delivery', note: 'two days late', nonce };
    const res = await agent.post(`/orders/${orderId}`, form);
    expect(res.status).toBe(200);
    expect(await payments()).toEqual([{ captured_minor: 6_500, refunded_minor: 1_250 }]);
    const again = await agent.post(`/orders/${orderId}`, form);
    expect(again.status).toBe(200);
    expect(await payments()).toEqual([{ captured_minor: 6_500, refunded_minor: 1_250 }]);
    expect(await refundAudits()).toEqual([
      {
        action: 'payment.order_refund_requested',
        actor_type: 'user',
        after: expect.objectContaining({ amount: 1_250, currency: 'USD', reason: 'late_delivery', note: 'two days late' }),
      },
      { action: 'payment.refunded', actor_type: 'user', after: expect.objectContaining({ amount: 1_250, refunded: 1_250 }) },
    ]);
    // The page shows the payment with what it captured and refunded, and offers a new nonce.
    const page = text(await (await agent.get(`/orders/${orderId}`)).text());
    expect(page).toMatch(/data-testid="order-payments".*\$65\.00.*\$12\.50/s);
    expect(await nonceOf(agent)).not.toBe(nonce);

    // Two posts of one form at once (a double click) refund once too.
    const twice = { ...form, amount: '1.00', nonce: await nonceOf(agent) };
    const both = await Promise.all([agent.post(`/orders/${orderId}`, twice), agent.post(`/orders/${orderId}`, twice)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(await payments()).toEqual([{ captured_minor: 6_500, refunded_minor: 1_350 }]);
    expect(await refundAudits()).toHaveLength(4);
  });

  it('refuses more than is left, a bad amount, a missing reason and a closed order, naming the field, writing nothing', async () => {
    const nonce = await nonceOf(agent);
    const over = await agent.post(`/orders/${orderId}`, { intent: 'refund', amount: '51.51', reason: 'goodwill', nonce });
    expect(over.status).toBe(422);
    expect(text(await over.text())).toContain('Too large (at most 51.50).');
    const zh = await zhAgent.post(`/orders/${orderId}`, { intent: 'refund', amount: '100', reason: 'goodwill', nonce });
    expect(zh.status).toBe(422);
    expect(text(await zh.text())).toContain('太大（最多 51.50）。');
    for (const amount of ['abc', '-5', '0', '1.234', '']) {
      const bad = await agent.post(`/orders/${orderId}`, { intent: 'refund', amount, reason: 'goodwill', nonce });
      expect(bad.status, amount).toBe(422);
    }
    expect((await agent.post(`/orders/${orderId}`, { intent: 'refund', amount: '1.00', nonce })).status).toBe(422);
    expect((await agent.post(`/orders/${orderId}`, { intent: 'refund', amount: '1.00', reason: 'goodwill' })).status).toBe(422);
    const closed = await agent.post(`/orders/${closedId}`, { intent: 'refund', amount: '1.00', reason: 'goodwill', nonce });
    expect(closed.status).toBe(409);
    expect(text(await closed.text())).toContain('no refund can be given here');
    expect(await payments()).toEqual([{ captured_minor: 6_500, refunded_minor: 1_350 }]);
    expect(await payments(closedId)).toEqual([{ captured_minor: 6_500, refunded_minor: 0 }]);
    expect(await refundAudits()).toHaveLength(4);
    expect(await refundAudits(closedId)).toEqual([]);
  });

  it('forbids a warehouse user both forms', async () => {
    const warehouse = await signIn(app, 'warehouse');
    expect((await warehouse.post(`/orders/${orderId}`, { intent: 'refund', amount: '1.00', reason: 'goodwill', nonce: 'abcdefgh-1234' })).status).toBe(403);
    expect((await warehouse.post(`/orders/${orderId}`, returnForm([{ quantity: '1' }, { quantity: '0' }]))).status).toBe(403);
    expect(await payments()).toEqual([{ captured_minor: 6_500, refunded_minor: 1_350 }]);
    expect(await rmas()).toHaveLength(2);
    const page = text(await (await warehouse.get(`/orders/${orderId}`)).text());
    expect(page).not.toContain('data-testid="order-refund-form"');
    expect(page).not.toContain('data-testid="order-return-form"');
  });
});
