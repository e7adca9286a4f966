// Payments of an order through a provider. Every operation is keyed: the first call with a key is
// recorded in payment_operation, and any later call with the same key gets that outcome back without
// reaching the provider again, so a retried request or activity never charges, captures or refunds twice.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { z } from 'zod';
import { NewPaymentInput } from './schemas.ts';
import type { PaymentStatus } from '../../../entities/payments.ts';
import { audit, auditAndPublishMany, type Actor } from '../../lib/audit.server.ts';
import { advisoryLock, db, prepare, sql } from '../../lib/db.server.ts';
import { majorToMinor, minorToMajor } from '../../lib/money.ts';
import { REFUND_REASONS } from './refund-reasons.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { transitionNow } from '../orders/service.server.ts';
import { paymentProvider, type CardDetails, type ProviderResult } from './providers/index.ts';

type OperationKind = 'authorise' | 'capture' | 'void' | 'refund' | 'mark_paid';

export interface PaymentView {
  id: number;
  orderId: number;
  provider: string;
  method: string;
  currency: string;
  status: PaymentStatus;
  amount: number;
  authorised: number;
  captured: number;
  refunded: number;
  cardLast4: string | null;
}

interface PaymentRow {
  id: number;
  order_id: number;
  provider: string;
  method: string;
  currency: string;
  status: PaymentStatus;
  amount_minor: number;
  authorised_minor: number;
  captured_minor: number;
  refunded_minor: number;
  provider_ref: string | null;
  card_last4: string | null;
}

const view = (p: PaymentRow): PaymentView => ({
  id: p.id,
  orderId: p.order_id,
  provider: p.provider,
  method: p.method,
  currency: p.currency,
  status: p.status,
  amount: p.amount_minor,
  authorised: p.authorised_minor,
  captured: p.captured_minor,
  refunded: p.refunded_minor,
  cardLast4: p.card_last4,
});

// Every workflow run authorises and captures, so the statements are prepared once per connection
// (app/lib/db.server.ts), and audit and outbox rows are written at once, in one statement, in the
// order the events happen (the order's status change, when money settles it, comes last).
const LOCK_PAYMENT = prepare('payment_lock', 'select * from payment where id = $1 for update');
const LOCK_OPERATION_KEY = prepare('payment_operation_key_lock', 'select pg_advisory_xact_lock(hashtext($1))');
const OPERATION_BY_KEY = prepare(
  'payment_operation_by_key',
  'select payment_id, kind, amount_minor, succeeded, error_code from payment_operation where idempotency_key = $1',
);
const RECORD_OPERATION = prepare(
  'payment_operation_record',
  'insert into payment_operation (payment_id, kind, amount_minor, idempotency_key, succeeded, error_code, provider_ref, created_at) values ($1, $2, $3, $4, $5, $6, $7, now())',
);
const SETTLEMENT = prepare(
  'payment_settlement',
  'select o.status, o.total_minor, coalesce((select sum(captured_minor - refunded_minor) from payment where order_id = o.id), 0) as captured from sales_order o where o.id = $1',
);
const OUTSTANDING = prepare(
  'payment_outstanding',
  `select o.id, o.status, o.currency, o.total_minor,
            coalesce((select sum(greatest(authorised_minor, captured_minor) - refunded_minor) from payment where order_id = o.id and status not in ('voided', 'failed')), 0) as covered
       from sales_order o where o.id = $1 for update`,
);
const INSERT_PAYMENT = prepare(
  'payment_insert',
  `insert into payment (order_id, provider, method, currency, amount_minor, authorised_minor, captured_minor, refunded_minor, status, provider_ref, card_last4, failure_code, created_at, updated_at)
   values ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, now(), now()) returning *`,
);
const UPDATE_PAYMENT = prepare(
  'payment_update',
  'update payment set captured_minor = $1, refunded_minor = $2, status = $3, updated_at = now() where id = $4 returning *',
);

const lockPayment = async (em: EntityManager, id: number) => {
  const [p] = await sql<PaymentRow>(em, LOCK_PAYMENT, [id]);
  if (!p) throw new DomainError(404, 'not_found', `Payment ${id} does not exist.`);
  return p;
};

/** The outcome already recorded for this key, or null. Same-key calls are serialised by an advisory lock. */
async function recorded(em: EntityManager, key: string, kind: OperationKind) {
  await sql(em, LOCK_OPERATION_KEY, [`payment-op:${key}`]);
  const [op] = await sql<{ kind: string; payment_id: number; succeeded: boolean; error_code: string | null }>(em, OPERATION_BY_KEY, [key]);
  if (op && op.kind !== kind) throw new DomainError(422, 'idempotency_key_reused', `Key ${key} was used for a ${op.kind}.`, { field: 'Idempotency-Key' });
  return op ?? null;
}

async function record(em: EntityManager, paymentId: number, kind: OperationKind, amount: number, key: string, result: ProviderResult) {
  await sql(em, RECORD_OPERATION, [paymentId, kind, amount, key, result.ok, result.ok ? null : result.code, result.ok ? result.providerRef : null]);
}

const declined = (code: string) => new DomainError(402, 'payment_declined', `The payment was declined: ${code}.`, { field: 'card', params: { reason: code } });

/** After money arrives: an order waiting for payment becomes paid once captures cover its total. */
async function settleOrder(em: EntityManager, orderId: number, actor: Actor) {
  const [o] = await sql<{ status: string; total_minor: number; captured: string }>(em, SETTLEMENT, [orderId]);
  if (o.status === 'awaiting_payment' && Number(o.captured) >= o.total_minor) await transitionNow(em, orderId, 'paid', actor, { reason: 'payment captured' });
}

async function outstanding(em: EntityManager, orderId: number) {
  const [o] = await sql<{ id: number; status: string; currency: string; total_minor: number; covered: string }>(em, OUTSTANDING, [orderId]);
  if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return { ...o, due: Math.max(0, o.total_minor - Number(o.covered)) };
}

/**
 * Starts a payment: `test-card` authorises the card (capture follows), `manual` records money staff
 * received (cash, bank transfer, cash on delivery) as captured at once.
 */
export async function createPayment(orm: MikroORM, orderId: number, raw: unknown, key: string, actor: Actor): Promise<PaymentView> {
  const parsed = NewPaymentInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const kind: OperationKind = input.provider === 'manual' ? 'mark_paid' : 'authorise';
  const outcome = await orm.em.fork().transactional(async (em) => {
    const prior = await recorded(em, key, kind);
    if (prior) return { payment: view(await lockPayment(em, prior.payment_id)), failure: prior.succeeded ? null : prior.error_code };
    const order = await outstanding(em, orderId);
    if (['cancelled', 'returned', 'completed'].includes(order.status))
      throw new DomainError(409, 'order_closed', `Order ${orderId} is ${order.status}.`, { params: { status: order.status } });
    const amount = input.amount ?? order.due;
    if (amount <= 0) throw new DomainError(409, 'nothing_due', `Order ${orderId} is already paid.`, { field: 'amount' });
    if (amount > order.due) throw invalid([fieldError('amount', 'too_big', { max: order.due })]);
    const provider = paymentProvider(input.provider)!;
    const result =
      kind === 'mark_paid'
        ? await provider.capture({ providerRef: `order-${orderId}`, amountMinor: amount, idempotencyKey: key })
        : await provider.authorise({
            amountMinor: amount,
            currency: order.currency,
            card: input.card as CardDetails | undefined,
            token: input.token,
            idempotencyKey: key,
          });
    const status: PaymentStatus = !result.ok ? 'failed' : kind === 'mark_paid' ? 'captured' : 'authorised';
    const [row] = await sql<PaymentRow>(em, INSERT_PAYMENT, [
      orderId,
      input.provider,
      input.method,
      order.currency,
      amount,
      result.ok ? amount : 0,
      result.ok && kind === 'mark_paid' ? amount : 0,
      status,
      result.ok ? result.providerRef : null,
      result.ok ? (result.cardLast4 ?? null) : null,
      result.ok ? null : result.code,
    ]);
    await record(em, row.id, kind, amount, key, result);
    await auditAndPublishMany(
      em,
      [
        {
          actor,
          entry: {
            action: `payment.${result.ok ? (kind === 'mark_paid' ? 'received' : 'authorised') : 'declined'}`,
            entityType: 'Order',
            entityId: orderId,
            after: { paymentId: row.id, provider: input.provider, amount, status, failure: result.ok ? null : result.code },
          },
        },
      ],
      [{ topic: 'orders', type: 'payment.updated', payload: { orderId, paymentId: row.id, status } }],
    );
    if (result.ok && kind === 'mark_paid') await settleOrder(em, orderId, actor);
    return { payment: view(row), failure: result.ok ? null : result.code };
  });
  if (outcome.failure) throw declined(outcome.failure);
  return outcome.payment;
}

/** Captures all or part of what was authorised. */
export const capturePayment = (orm: MikroORM, paymentId: number, amount: number | undefined, key: string, actor: Actor) =>
  operate(orm, paymentId, 'capture', key, actor, (p) => {
    const max = p.authorised_minor - p.captured_minor;
    if (p.status === 'voided' || max <= 0) throw new DomainError(409, 'nothing_to_capture', `Payment ${p.id} has nothing left to capture.`);
    const a = amount ?? max;
    if (a > max) throw invalid([fieldError('amount', 'too_big', { max })]);
    return {
      amount: a,
      call: (ref) => paymentProvider(p.provider)!.capture({ providerRef: ref, amountMinor: a, idempotencyKey: key }),
      apply: () => ({ captured: p.captured_minor + a, status: p.captured_minor + a === p.authorised_minor ? 'captured' : 'partially_captured' }),
    };
  });

/** Releases an authorisation that was never captured (the compensation of authorise). */
export const voidPayment = (orm: MikroORM, paymentId: number, key: string, actor: Actor) =>
  operate(orm, paymentId, 'void', key, actor, (p) => {
    if (p.captured_minor > 0 || p.status !== 'authorised')
      throw new DomainError(409, 'cannot_void', `Payment ${p.id} is ${p.status}; only an uncaptured authorisation can be voided.`, {
        params: { status: p.status },
      });
    return {
      amount: p.authorised_minor,
      call: (ref) => paymentProvider(p.provider)!.void({ providerRef: ref, idempotencyKey: key }),
      apply: () => ({ status: 'voided' }),
    };
  });

/** Refunds all or part of what was captured (the compensation of capture). */
export const refundPayment = (orm: MikroORM, paymentId: number, amount: number | undefined, key: string, actor: Actor) =>
  operate(orm, paymentId, 'refund', key, actor, (p) => {
    const max = p.captured_minor - p.refunded_minor;
    if (max <= 0) throw new DomainError(409, 'nothing_to_refund', `Payment ${p.id} has nothing left to refund.`);
    const a = amount ?? max;
    if (a > max) throw invalid([fieldError('amount', 'too_big', { max })]);
    return {
      amount: a,
      call: (ref) => paymentProvider(p.provider)!.refund({ providerRef: ref, amountMinor: a, idempotencyKey: key }),
      apply: () => ({ refunded: p.refunded_minor + a, status: p.refunded_minor + a === p.captured_minor ? 'refunded' : 'partially_refunded' }),
    };
  });

interface Plan {
  amount: number;
  call: (providerRef: string) => Promise<ProviderResult>;
  apply: () => { captured?: number; refunded?: number; status: PaymentStatus };
}

async function operate(orm: MikroORM, paymentId: number, kind: OperationKind, key: string, actor: Actor, plan: (p: PaymentRow) => Plan): Promise<PaymentView> {
  const outcome = await orm.em.fork().transactional(async (em) => {
    const prior = await recorded(em, key, kind);
    if (prior) {
      if (prior.payment_id !== paymentId)
        throw new DomainError(422, 'idempotency_key_reused', `Key ${key} belongs to another payment.`, { field: 'Idempotency-Key' });
      return { payment: view(await lockPayment(em, paymentId)), failure: prior.succeeded ? null : prior.error_code };
    }
    const p = await lockPayment(em, paymentId);
    const step = plan(p);
    const result = await step.call(p.provider_ref ?? '');
    await record(em, p.id, kind, step.amount, key, result);
    if (!result.ok) return { payment: view(p), failure: result.code };
    const next = step.apply();
    const [row] = await sql<PaymentRow>(em, UPDATE_PAYMENT, [next.captured ?? p.captured_minor, next.refunded ?? p.refunded_minor, next.status, p.id]);
    await auditAndPublishMany(
      em,
      [
        {
          actor,
          entry: {
            action: `payment.${kind === 'capture' ? 'captured' : kind === 'void' ? 'voided' : 'refunded'}`,
            entityType: 'Order',
            entityId: p.order_id,
            before: { paymentId: p.id, status: p.status, captured: p.captured_minor, refunded: p.refunded_minor },
            after: { paymentId: p.id, status: row.status, captured: row.captured_minor, refunded: row.refunded_minor, amount: step.amount },
          },
        },
      ],
      [{ topic: 'orders', type: 'payment.updated', payload: { orderId: p.order_id, paymentId: p.id, status: row.status } }],
    );
    if (kind === 'capture') await settleOrder(em, p.order_id, actor);
    return { payment: view(row), failure: null };
  });
  if (outcome.failure) throw declined(outcome.failure);
  return outcome.payment;
}

// ---- What flows ask about payments (by idempotency key, by run) ----

const AUTHORISED_BY_RUN = prepare(
  'payment_authorised_by_run',
  `select p.id from payment p join payment_operation op on op.payment_id = p.id
          where p.order_id = $1 and op.kind = 'authorise' and op.succeeded and left(op.idempotency_key, $2) = $3 and p.status in ('authorised', 'partially_captured')
          order by p.id desc limit 1`,
);
const NEWEST_AUTHORISED = prepare(
  'payment_newest_authorised',
  `select id from payment where order_id = $1 and status in ('authorised', 'partially_captured') order by id desc limit 1`,
);
const COVERED = prepare(
  'payment_order_covered',
  'select o.total_minor, coalesce((select sum(captured_minor - refunded_minor) from payment where order_id = o.id), 0) as covered from sales_order o where o.id = $1',
);

/** The payment operation recorded under this idempotency key, if any. */
export async function paymentOperation(em: EntityManager, key: string) {
  const [op] = await sql<{ payment_id: number; kind: string; amount_minor: number; succeeded: boolean; error_code: string | null }>(em, OPERATION_BY_KEY, [
    key,
  ]);
  return op ?? null;
}

/** The authorisation a capture takes: one made under a key starting with `keyPrefix` (the run's), else the order's newest. */
export async function authorisationToCapture(em: EntityManager, orderId: number, keyPrefix: string): Promise<number | null> {
  const [ofRun] = await sql<{ id: number }>(em, AUTHORISED_BY_RUN, [orderId, keyPrefix.length, keyPrefix]);
  if (ofRun) return ofRun.id;
  const [newest] = await sql<{ id: number }>(em, NEWEST_AUTHORISED, [orderId]);
  return newest?.id ?? null;
}

/** Whether what was captured and not refunded covers the order's total (a manual payment marked paid). */
export async function orderCovered(em: EntityManager, orderId: number): Promise<boolean> {
  const [o] = await sql<{ total_minor: number; covered: string }>(em, COVERED, [orderId]);
  if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return Number(o.covered) >= o.total_minor && o.total_minor > 0;
}

/** A payment's status and its captured and refunded amounts. */
export async function paymentBalance(em: EntityManager, paymentId: number) {
  const p = await db(em).selectFrom('payment').select(['status', 'captured_minor', 'refunded_minor']).where('id', '=', paymentId).executeTakeFirst();
  if (!p) throw new DomainError(404, 'not_found', `Payment ${paymentId} does not exist.`);
  return p;
}

/**
 * Refunds `amount` from the order's captured payments, oldest first, each refund keyed
 * `<keyPrefix>:p<paymentId>` so a retry finds what the first call refunded and never refunds twice.
 * A refused refund, or too little captured money, is reported with what was refunded so far.
 */
export async function refundAcrossPayments(
  orm: MikroORM,
  orderId: number,
  amount: number,
  keyPrefix: string,
  actor: Actor,
): Promise<
  | { ok: true; refunds: { paymentId: number; amount: number }[] }
  | { ok: false; refunds: { paymentId: number; amount: number }[]; missing?: number; reason: string }
> {
  const em = orm.em.fork();
  const payments = await db(em)
    .selectFrom('payment')
    .select(['id', 'captured_minor', 'refunded_minor'])
    .where('order_id', '=', orderId)
    .where('captured_minor', '>', 0)
    .orderBy('id')
    .execute();
  const keyFor = (paymentId: number) => `${keyPrefix}:p${paymentId}`;
  const prior = payments.length
    ? await db(em)
        .selectFrom('payment_operation')
        .select(['payment_id', 'amount_minor', 'succeeded'])
        .where(
          'idempotency_key',
          'in',
          payments.map((p) => keyFor(p.id)),
        )
        .execute()
    : [];
  const refunds = prior.filter((p) => p.succeeded).map((p) => ({ paymentId: p.payment_id, amount: p.amount_minor }));
  let left = amount - refunds.reduce((n, x) => n + x.amount, 0);
  for (const p of payments) {
    if (left <= 0) break;
    if (prior.some((x) => x.payment_id === p.id)) continue;
    const take = Math.min(left, p.captured_minor - p.refunded_minor);
    if (take <= 0) continue;
    try {
      await refundPayment(orm, p.id, take, keyFor(p.id), actor);
    } catch (e) {
      if (e instanceof DomainError && (e.code === 'payment_declined' || e.code === 'nothing_to_refund'))
        return { ok: false, refunds, reason: String(e.params?.reason ?? e.code) };
      throw e;
    }
    refunds.push({ paymentId: p.id, amount: take });
    left -= take;
  }
  if (left > 0) return { ok: false, refunds, missing: left, reason: 'not_enough_captured' };
  return { ok: true, refunds };
}

/**
 * Orders that arrive paid (taken in cash at the counter, or paid through the channel before it sent the
 * order): their money is recorded as a received payment with its operation (key `intake:<order id>`), in
 * intake's transaction, so the order shows what paid it. One statement for a whole intake batch.
 */
const PAID_AT_INTAKE = prepare(
  'payment_paid_at_intake',
  `with paid as (
     insert into payment (order_id, provider, method, currency, amount_minor, authorised_minor, captured_minor, refunded_minor, status, provider_ref, created_at, updated_at)
     select t.order_id, 'manual', t.method, t.currency, t.amount, t.amount, t.amount, 0, 'captured', 'order-' || t.order_id, now(), now()
       from unnest($1::int[], $2::text[], $3::text[], $4::int[]) as t(order_id, method, currency, amount)
     returning id, order_id, amount_minor)
   insert into payment_operation (payment_id, kind, amount_minor, idempotency_key, succeeded, provider_ref, created_at)
   select id, 'mark_paid', amount_minor, 'intake:' || order_id, true, 'order-' || order_id, now() from paid`,
);

export async function recordPaidAtIntake(
  em: EntityManager,
  paid: readonly { orderId: number; method: string; currency: string; amount: number }[],
): Promise<void> {
  if (!paid.length) return;
  await sql(em, PAID_AT_INTAKE, [paid.map((p) => p.orderId), paid.map((p) => p.method), paid.map((p) => p.currency), paid.map((p) => p.amount)]);
}

// ---- A refund staff give from the order page (goodwill or partial, no return) ----

/** Orders whose money is settled by their own flow (a cancellation or a full return refunds it): no refund by hand. */
const REFUND_CLOSED = ['cancelled', 'returned'];

const OrderRefundInput = z.object({
  /** Major units of the order's currency as typed ("12.50"). */
  amount: z.string().trim().min(1).max(30),
  reason: z.enum(REFUND_REASONS),
  note: z.string().trim().max(500).optional(),
  /** The form's nonce: the same nonce refunds once however often it is posted. */
  nonce: z.string().regex(/^[\w-]{8,64}$/),
});

/** A refusal that names the field at fault with its own message key (under the order page's translations). */
const refused = (status: number, field: string, code: string, detail: string, params?: Record<string, string | number>) =>
  new DomainError(status, code, detail, { field, params, errors: [{ field, code, messageKey: `orderActions.errors.${code}`, params }] });

/**
 * Refunds part of what an order's captured payments took, without a return (it arrived late, a part
 * was missing): at most what was captured minus what was refunded, from the payments oldest first
 * (refundAcrossPayments). Keyed by the form's nonce: the request is recorded (audited with its reason)
 * under `order-refund:<order>:<nonce>` before any money moves, so a second post of the same form
 * refunds what the first asked for and nothing more, and a retry after a failure finishes it.
 */
export async function refundOrder(
  orm: MikroORM,
  orderId: number,
  raw: unknown,
  actor: Actor,
): Promise<{ amount: number; currency: string; refunds: { paymentId: number; amount: number }[]; replayed: boolean }> {
  const parsed = OrderRefundInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const key = `order-refund:${orderId}:${input.nonce}`;
  const asked = await orm.em.fork().transactional(async (em) => {
    await advisoryLock(em, key);
    const o = await db(em).selectFrom('sales_order').select(['id', 'status', 'currency']).where('id', '=', orderId).forUpdate().executeTakeFirst();
    if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
    const prior = await db(em)
      .selectFrom('audit_event')
      .select('after')
      .where('action', '=', 'payment.order_refund_requested')
      .where('entity_type', '=', 'Order')
      .where('entity_id', '=', String(orderId))
      .where(ksql<boolean>`after ->> 'key' = ${key}`)
      .executeTakeFirst();
    if (prior) return { amount: Number((prior.after as { amount: number }).amount), currency: o.currency, replayed: true };
    if (REFUND_CLOSED.includes(o.status))
      throw refused(409, 'order', 'refundClosed', `Order ${orderId} is ${o.status}; its own flow settles its money.`, { status: o.status });
    const amount = majorToMinor(input.amount, o.currency);
    if (amount === null) throw invalid([fieldError('amount', 'invalid_amount', { value: input.amount })]);
    if (amount <= 0) throw invalid([fieldError('amount', 'too_small', { min: minorToMajor(1, o.currency) })]);
    const left = await db(em)
      .selectFrom('payment')
      .select(ksql<string>`coalesce(sum(captured_minor - refunded_minor), 0)`.as('left'))
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
    const refundable = Number(left.left);
    if (refundable <= 0) throw refused(409, 'amount', 'nothingToRefund', `Order ${orderId} has no captured money left to refund.`);
    if (amount > refundable) throw invalid([fieldError('amount', 'too_big', { max: minorToMajor(refundable, o.currency) })]);
    audit(em, actor, {
      action: 'payment.order_refund_requested',
      entityType: 'Order',
      entityId: orderId,
      after: { key, amount, currency: o.currency, reason: input.reason, note: input.note ?? null },
    });
    return { amount, currency: o.currency, replayed: false };
  });
  const result = await refundAcrossPayments(orm, orderId, asked.amount, key, actor);
  if (!result.ok) {
    const refunded = result.refunds.reduce((n, r) => n + r.amount, 0);
    throw refused(
      result.reason === 'not_enough_captured' ? 409 : 402,
      'amount',
      'refundIncomplete',
      `Refunded ${refunded} of ${asked.amount}: ${result.reason}.`,
      {
        refunded: minorToMajor(refunded, asked.currency),
        amount: minorToMajor(asked.amount, asked.currency),
        reason: result.reason,
      },
    );
  }
  return { amount: asked.amount, currency: asked.currency, refunds: result.refunds, replayed: asked.replayed };
}
