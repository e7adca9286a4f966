import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import type { DomainError } from '../../app/lib/errors.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { capturePayment, createPayment, refundPayment, voidPayment } from '../../app/modules/payments/service.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'tester' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const CARD = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' };
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('pay');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  await sql(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('PAY-1', 'PAY1', 'Thing', 1, 1, 1, 1, 1000, 'USD')`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select p.id, w.id, 1000, 0, 0, 0, now() from product p, warehouse w where p.sku = 'PAY-1'`,
  );
});
afterAll(async () => {
  await db.drop();
});

async function newOrder(total = 10_000) {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `PAY-${++n}`,
      customer: { email: 'payer@example.com', name: 'Payer' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: 'PAY-1', quantity: 1, unitPrice: total }],
      paymentMethod: 'test-card',
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  return r.order.id;
}
const orderStatus = async (id: number) => (await sql('select status from sales_order where id = ?', [id]))[0].status;
const operations = async (paymentId: number) => Number((await sql('select count(*) as n from payment_operation where payment_id = ?', [paymentId]))[0].n);

describe('test-card payments', () => {
  it('authorises, captures in two parts, and marks the order paid when covered', async () => {
    const orderId = await newOrder(10_000);
    const p = await createPayment(db.orm, orderId, { provider: 'test-card', card: CARD }, `auth-${orderId}`, actor);
    expect(p).toMatchObject({ status: 'authorised', authorised: 10_000, captured: 0, cardLast4: '4242' });
    expect(await orderStatus(orderId)).toBe('awaiting_payment');
    expect(await capturePayment(db.orm, p.id, 4_000, `cap1-${orderId}`, actor)).toMatchObject({ status: 'partially_captured', captured: 4_000 });
    expect(await orderStatus(orderId)).toBe('awaiting_payment');
    expect(await capturePayment(db.orm, p.id, undefined, `cap2-${orderId}`, actor)).toMatchObject({ status: 'captured', captured: 10_000 });
    expect(await orderStatus(orderId)).toBe('paid');
  });

  it('authorises with the gateway token a storefront sends, and refuses an unknown or malformed one', async () => {
    const ok = await newOrder(2_000);
    expect(await createPayment(db.orm, ok, { provider: 'test-card', token: 'tok_mastercard' }, `tok-${ok}`, actor)).toMatchObject({
      status: 'authorised',
      cardLast4: '4444',
    });
    const declined = await newOrder(2_000);
    expect(
      await createPayment(db.orm, declined, { provider: 'test-card', token: 'tok_insufficientFunds' }, `tok-${declined}`, actor).catch((e) => e.params),
    ).toEqual({ reason: 'insufficient_funds' });
    const unknown = await newOrder(2_000);
    expect(await createPayment(db.orm, unknown, { provider: 'test-card', token: 'tok_nosuchcard' }, `tok-${unknown}`, actor).catch((e) => e.params)).toEqual({
      reason: 'incorrect_number',
    });
    await expect(createPayment(db.orm, unknown, { provider: 'test-card', token: '4242424242424242' }, `tok2-${unknown}`, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'token' })],
    });
  });

  it('never charges twice for a retried call with the same key, even concurrently', async () => {
    const orderId = await newOrder(5_000);
    const key = `auth-retry-${orderId}`;
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createPayment(db.orm, orderId, { provider: 'test-card', card: CARD }, key, actor)));
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect(Number((await sql('select count(*) as n from payment where order_id = ?', [orderId]))[0].n)).toBe(1);
    const capKey = `cap-retry-${orderId}`;
    await Promise.all([1, 2, 3].map(() => capturePayment(db.orm, a.id, 5_000, capKey, actor)));
    const [row] = await sql('select captured_minor from payment where id = ?', [a.id]);
    expect(row.captured_minor).toBe(5_000);
    expect(await operations(a.id)).toBe(2);
  });

  it('declines the test cards that decline, records it, and answers a retry the same way', async () => {
    const orderId = await newOrder();
    for (const [number, reason] of [
      ['4000000000000002', 'card_declined'],
      ['4000000000009995', 'insufficient_funds'],
      ['4242424242424241', 'incorrect_number'],
    ] as const) {
      const key = `decl-${orderId}-${number}`;
      const err = await createPayment(db.orm, orderId, { provider: 'test-card', card: { ...CARD, number } }, key, actor).catch((e) => e);
      expect(err).toMatchObject({ status: 402, code: 'payment_declined', params: { reason } });
      const again = await createPayment(db.orm, orderId, { provider: 'test-card', card: { ...CARD, number } }, key, actor).catch((e) => e);
      expect(again).toMatchObject({ code: 'payment_declined', params: { reason } });
    }
    expect(
      await createPayment(db.orm, orderId, { provider: 'test-card', card: { ...CARD, expYear: 2001 } }, `exp-${orderId}`, actor).catch((e) => e.params),
    ).toEqual({ reason: 'expired_card' });
    expect(await orderStatus(orderId)).toBe('awaiting_payment');
  });

  it('refunds in parts up to what was captured, and voids only an uncaptured authorisation', async () => {
    const orderId = await newOrder(8_000);
    const p = await createPayment(db.orm, orderId, { provider: 'test-card', card: CARD }, `auth-r-${orderId}`, actor);
    await expect(refundPayment(db.orm, p.id, 100, `r0-${orderId}`, actor)).rejects.toMatchObject({ code: 'nothing_to_refund' });
    await capturePayment(db.orm, p.id, undefined, `cap-r-${orderId}`, actor);
    await expect(voidPayment(db.orm, p.id, `v-${orderId}`, actor)).rejects.toMatchObject({ code: 'cannot_void' });
    expect(await refundPayment(db.orm, p.id, 3_000, `r1-${orderId}`, actor)).toMatchObject({ status: 'partially_refunded', refunded: 3_000 });
    await expect(refundPayment(db.orm, p.id, 6_000, `r2-${orderId}`, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'amount', params: { max: 5_000 } })],
    });
    expect(await refundPayment(db.orm, p.id, undefined, `r3-${orderId}`, actor)).toMatchObject({ status: 'refunded', refunded: 8_000 });

    const other = await newOrder(2_000);
    const auth = await createPayment(db.orm, other, { provider: 'test-card', card: CARD }, `auth-v-${other}`, actor);
    expect(await voidPayment(db.orm, auth.id, `void-${other}`, actor)).toMatchObject({ status: 'voided' });
    await expect(capturePayment(db.orm, auth.id, undefined, `cap-v-${other}`, actor)).rejects.toMatchObject({ code: 'nothing_to_capture' });
  });
});

describe('manual payments', () => {
  it('records money received, part by part, and the order becomes paid when covered', async () => {
    const orderId = await newOrder(9_000);
    expect(await createPayment(db.orm, orderId, { provider: 'manual', method: 'bank_transfer', amount: 4_000 }, `m1-${orderId}`, actor)).toMatchObject({
      status: 'captured',
      captured: 4_000,
    });
    expect(await orderStatus(orderId)).toBe('awaiting_payment');
    await expect(createPayment(db.orm, orderId, { provider: 'manual', method: 'cash', amount: 6_000 }, `m2-${orderId}`, actor)).rejects.toMatchObject({
      errors: [expect.objectContaining({ field: 'amount', params: { max: 5_000 } })],
    });
    await createPayment(db.orm, orderId, { provider: 'manual', method: 'cash' }, `m3-${orderId}`, actor);
    expect(await orderStatus(orderId)).toBe('paid');
    await expect(createPayment(db.orm, orderId, { provider: 'manual', method: 'cash' }, `m4-${orderId}`, actor)).rejects.toMatchObject({ code: 'nothing_due' });
    const audits = (
      await sql<{ action: string }>(`select action from audit_event where entity_type = 'Order' and entity_id = ? order by id`, [String(orderId)])
    ).map((r) => r.action);
    expect(audits).toEqual(['order.created', 'payment.received', 'payment.received', 'order.status_changed']);
  });

  it('names bad input by field and writes nothing', async () => {
    const orderId = await newOrder();
    const err = (await createPayment(db.orm, orderId, { provider: 'bitcoin', amount: -1 }, `bad-${orderId}`, actor).catch((e: unknown) => e)) as DomainError;
    expect(err.errors!.map((e) => e.field).sort()).toEqual(['amount', 'provider']);
    expect(await createPayment(db.orm, orderId, { provider: 'test-card' }, `nocard-${orderId}`, actor).catch((e) => e.errors[0].field)).toBe('card');
    expect(Number((await sql('select count(*) as n from payment where order_id = ?', [orderId]))[0].n)).toBe(0);
  });
});

describe('orders that arrive paid', () => {
  it('record the money that paid them (cash at the counter, or a channel that took it), once per order', async () => {
    const r = await createOrder(
      db.orm,
      {
        channel: 'pos-nyc',
        externalId: `PAY-CASH-${++n}`,
        customer: { email: 'walkin@example.com', name: 'Walk-in' },
        shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
        currency: 'USD',
        lines: [{ sku: 'PAY-1', quantity: 2, unitPrice: 1_250 }],
        paymentMethod: 'cash',
        paidAmount: 2_500,
      },
      { actor, baseCurrency: 'USD' },
    );
    if (r.replayed) throw new Error('replayed');
    expect(r.order.status).toBe('paid');
    const payments = await sql<{ provider: string; method: string; status: string; captured_minor: number; amount_minor: number }>(
      'select provider, method, status, captured_minor, amount_minor from payment where order_id = ?',
      [r.order.id],
    );
    expect(payments).toEqual([{ provider: 'manual', method: 'cash', status: 'captured', captured_minor: 2_500, amount_minor: 2_500 }]);
    const ops = await sql<{ kind: string; succeeded: boolean; idempotency_key: string }>(
      'select op.kind, op.succeeded, op.idempotency_key from payment_operation op join payment p on p.id = op.payment_id where p.order_id = ?',
      [r.order.id],
    );
    expect(ops).toEqual([{ kind: 'mark_paid', succeeded: true, idempotency_key: `intake:${r.order.id}` }]);
    // Nothing more is due: a later attempt to take money is refused.
    await expect(createPayment(db.orm, r.order.id, { provider: 'manual', method: 'cash' }, `again-${r.order.id}`, actor)).rejects.toMatchObject({
      code: 'nothing_due',
    });
  });
});
