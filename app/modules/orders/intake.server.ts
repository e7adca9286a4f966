// Order intake: every channel's order lands here, and lands whole or not at all.
import { UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import type { HoldReason, OrderStatus } from '../../../entities/constants.ts';
import { auditAndPublishMany, type Actor } from '../../lib/audit.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { currencyExponent, toBaseMinor } from '../../lib/money.ts';
import { db, prepare, sql } from '../../lib/db.server.ts';
import { GroupCommit, type Settled } from '../../lib/group-commit.server.ts';
import {
  claimedBy,
  claimMany,
  completeMany,
  findStored,
  releaseMany,
  storeOutcome,
  type IdempotencyContext,
  type StoredResponse,
} from '../../lib/idempotency.server.ts';
import { planRouting, type GeoPoint, type RoutingPlan } from '../inventory/routing.ts';
import { customersForOrders } from '../customers/service.server.ts';
import { recordPaidAtIntake } from '../payments/service.server.ts';
import {
  insertReservationsSql,
  lockedStockBySkuSql,
  ReservationConflict,
  stockOptionsFromJson,
  takeLockedStockSql,
  unitsByLevel,
} from '../inventory/reservations.server.ts';
import { enqueueNotifications } from '../notifications/service.server.ts';
import { recomputeTiers } from '../customers/service.server.ts';
import { holdReasons, DEFAULT_HOLD_POLICY, type HoldPolicy } from './holds.ts';
import { OrderInput } from './schemas.ts';
import { unitCostSql } from '../purchasing/costs.ts';

export interface CreatedOrder {
  id: number;
  number: string;
  status: OrderStatus;
  channel: string;
  externalId: string;
  currency: string;
  totals: { subtotal: number; shipping: number; tax: number; taxIncluded: boolean; discount: number; total: number };
  holdReasons: HoldReason[];
  reservations: { sku: string; warehouse: string; quantity: number }[];
  routing: Pick<RoutingPlan, 'policy' | 'shipments' | 'considered'>;
  trackingToken: string;
  placedAt: string;
}

export interface IntakeOptions {
  actor: Actor;
  baseCurrency: string;
  holdPolicy?: HoldPolicy;
  idempotency?: IdempotencyContext;
}

export type IntakeResult = { replayed: false; order: CreatedOrder } | { replayed: true; status: number; body: unknown };

/**
 * Parses, validates, reserves and records an order. Throws DomainError for refusals.
 *
 * Orders that arrive while others are being written share the next transaction (group commit,
 * app/lib/group-commit.server.ts): each is checked, routed and refused on its own, and only the
 * accepted ones are written, so every order is still whole or absent — order, lines, reservations,
 * confirmation mail, tier, audit and outbox events commit together. An idle console writes each
 * order at once, alone.
 */
export async function createOrder(orm: MikroORM, raw: unknown, opts: IntakeOptions): Promise<IntakeResult> {
  const parsed = OrderInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  return queueFor(orm).submit({ input: parsed.data, opts });
}

interface Pending {
  input: OrderInput;
  opts: IntakeOptions;
}

/**
 * Most orders in one transaction, and transactions at once per process. One at a time measured best
 * on 2 cores (npm run bench -- orders): a second one in flight halves the batches, and the CPU that
 * smaller batches cost more than the overlap gains.
 */
const MAX_BATCH = 64;
const MAX_IN_FLIGHT = 1;
const queues = new WeakMap<MikroORM, GroupCommit<Pending, IntakeResult>>();

function queueFor(orm: MikroORM): GroupCommit<Pending, IntakeResult> {
  let queue = queues.get(orm);
  if (!queue) {
    queue = new GroupCommit((items) => runBatch(orm, items), { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT });
    queues.set(orm, queue);
  }
  return queue;
}

async function runBatch(orm: MikroORM, items: Pending[]): Promise<Settled<IntakeResult>[]> {
  let outcome: BatchOutcome;
  try {
    outcome = await orm.em.fork().transactional((em) => intakeBatch(em, items));
  } catch (e) {
    if (items.length === 1) return [{ error: await asRefusal(orm, items[0], e) }];
    // The batch failed as a whole, e.g. a delivery of one of its orders committed meanwhile by another
    // process: every order again on its own, so that each gets its own answer.
    const settled: Settled<IntakeResult>[] = [];
    for (const item of items) settled.push(...(await runBatch(orm, [item])));
    return settled;
  }
  // Orders that met another in the same batch (same external id or Idempotency-Key) go again, now
  // that the first has committed: they are answered as duplicates or replays.
  for (const i of outcome.again) [outcome.settled[i]] = await runBatch(orm, [items[i]]);
  return outcome.settled;
}

/** What a lone order's failed transaction means to its sender. */
async function asRefusal(orm: MikroORM, { input, opts }: Pending, e: unknown): Promise<unknown> {
  // Two deliveries of the same order at the same moment: the unique key decides, the loser is a duplicate.
  if (!(e instanceof UniqueConstraintViolationException && /sales_order_channel_id_external_id_unique/.test(e.message))) return e;
  const existing = await db(orm.em.fork())
    .selectFrom('sales_order as o')
    .innerJoin('channel as c', 'c.id', 'o.channel_id')
    .select('o.number')
    .where('c.code', '=', input.channel)
    .where('o.external_id', '=', input.externalId)
    .executeTakeFirst();
  const dup = duplicateOrder(input.externalId, input.channel, existing?.number ?? '');
  if (opts.idempotency) await storeOutcome(orm.em.fork(), opts.idempotency, { status: 409, body: dup.toJSON() });
  return dup;
}

const duplicateOrder = (externalId: string, channel: string, number: string) =>
  new DomainError(409, 'duplicate_order', `Order ${externalId} from ${channel} already exists as ${number}.`, { field: 'externalId', params: { number } });

// The statements intake runs on every batch, prepared once per connection (app/lib/db.server.ts).
// Each takes the whole batch at once: arrays in, one row per order (or line) out.
/**
 * Everything the checks and routing read, in one round trip: the channels, products and exchange
 * rates the batch names, which of its (channel, external id) pairs exist already, and the stock of
 * its SKUs, locked in id order so that the plans made on it cannot go stale.
 */
const REFERENCE = prepare(
  'intake_reference',
  `with stock as (${lockedStockBySkuSql('$2')})
  select
    (select coalesce(json_agg(json_build_object('id', id, 'code', code, 'currencies', currencies, 'active', active)), '[]') from channel where code = any($1::text[])) as channels,
    (select coalesce(json_agg(json_build_object('id', id, 'sku', sku, 'name', name)), '[]') from product where sku = any($2::text[]) and active) as products,
    (select coalesce(json_agg(json_build_object('currency', currency, 'rate', rate_per_base)), '[]') from exchange_rate where currency = any($3::text[])) as rates,
    (select coalesce(json_agg(json_build_object('channel', c.code, 'externalId', o.external_id, 'number', o.number)), '[]')
       from unnest($4::text[], $5::text[]) as t(code, external_id)
       join channel c on c.code = t.code join sales_order o on o.channel_id = c.id and o.external_id = t.external_id) as existing,
    (select coalesce(json_agg(s), '[]') from stock s) as stock`,
);
interface Reference {
  channels: { id: number; code: string; currencies: string[]; active: boolean }[];
  products: { id: number; sku: string; name: string }[];
  rates: { currency: string; rate: number }[];
  existing: { channel: string; externalId: string; number: string }[];
  stock: Parameters<typeof stockOptionsFromJson>[0];
}
const ORDERS = prepare(
  'intake_orders',
  `insert into sales_order (channel_id, external_id, customer_id, customer_name, payment_token, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor, total_base_minor, status,
                           hold_reasons, payment_method, delivery_method, shipping_address, warehouse_id, promised_by, placed_at, created_at, updated_at)
  select t.channel_id, t.external_id, t.customer_id, t.customer_name, t.payment_token, t.currency, t.subtotal, t.shipping, t.tax, t.tax_included, t.discount, t.total, t.total_base, t.status,
         string_to_array(t.holds, ','), t.payment_method, t.delivery_method, t.address::jsonb, t.warehouse_id, t.promised_by, t.placed_at, now(), now()
    from unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::int[], $8::bool[], $9::int[], $10::int[], $11::text[],
                $12::text[], $13::text[], $14::text[], $15::text[], $16::int[], $17::timestamptz[], $18::timestamptz[], $19::text[], $20::text[], $21::int[]) with ordinality
      as t(channel_id, external_id, customer_id, currency, subtotal, shipping, tax, tax_included, discount, total, status,
           holds, payment_method, delivery_method, address, warehouse_id, promised_by, placed_at, customer_name, payment_token, total_base, n)
   order by t.n
  returning id, number, tracking_token, channel_id, external_id`,
);
/**
 * Every line of every order, their reservations (each on its order's first line for the product)
 * and the stock they take, in one statement: one array per column. Returns the levels taken.
 */
const LINES_AND_STOCK = prepare(
  'intake_lines_and_stock',
  `with line as (
    insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor, unit_cost_base_minor)
    select t.order_id, t.product_id, t.sku, t.name, t.quantity, t.unit_price, t.total, ${unitCostSql('t.product_id', 't.base', 't.base_exp')}
      from unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $14::text[], $15::int[]) with ordinality
        as t(order_id, product_id, sku, name, quantity, unit_price, total, base, base_exp, n)
     order by t.n
    returning id, order_id, product_id),
  first_line as (select order_id, product_id, min(id) as line_id from line group by order_id, product_id),
  reserved as (${insertReservationsSql('first_line', { orderIds: '$8', productIds: '$9', warehouseIds: '$10', quantities: '$11' })}),
  taken as (${takeLockedStockSql('$12', '$13')})
  select id, became_low from taken`,
);

interface BatchOutcome {
  /** Each order's answer, by position; empty where it goes `again`. */
  settled: Settled<IntakeResult>[];
  again: number[];
}

/** What an order's checks found: its channel, products and amounts. */
interface Checks {
  channel: { id: number; code: string };
  products: Map<string, { id: number; sku: string; name: string }>;
  subtotal: number;
  total: number;
  totalBase: number;
  destination: GeoPoint | null;
}
/** An order that passed its checks, on its way to being written (routed in step 4). */
interface Checked extends Pending, Checks {
  i: number;
}
interface Accepted extends Checked {
  routing: RoutingPlan;
}

async function intakeBatch(em: EntityManager, items: Pending[]): Promise<BatchOutcome> {
  const settled: Settled<IntakeResult>[] = new Array(items.length);
  const again: number[] = [];
  const open = new Set(items.map((_, i) => i));
  const refuse = (i: number, error: DomainError) => {
    settled[i] = { error };
    open.delete(i);
  };
  const later = (i: number) => {
    again.push(i);
    open.delete(i);
  };
  /** Keys claimed in this transaction, and what each order answers for its key (201 or 409). */
  const claimedKeys = new Map<number, IdempotencyContext>();

  // 1. Idempotency keys, all claimed at once. A key answered before replays that answer (or is refused
  //    as reused); claiming waits for a transaction that holds the key to end.
  const keyed = new Map<string, number>();
  for (const i of open) {
    const ctx = items[i].opts.idempotency;
    if (!ctx) continue;
    const id = `${ctx.scope}\n${ctx.key}`;
    if (keyed.has(id)) later(i);
    else keyed.set(id, i);
  }
  const claimed = await claimMany(
    em,
    [...keyed.values()].map((i) => items[i].opts.idempotency!),
  );
  for (const i of keyed.values()) {
    const ctx = items[i].opts.idempotency!;
    if (claimedBy(claimed, ctx)) {
      claimedKeys.set(i, ctx);
      continue;
    }
    const stored = await findStored(em, ctx);
    if (stored === 'reused')
      refuse(i, new DomainError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request.', { field: 'Idempotency-Key' }));
    else if (!stored) throw new Error(`idempotency record ${ctx.key} vanished`);
    else {
      settled[i] = { value: { replayed: true, status: stored.status, body: stored.body } };
      open.delete(i);
    }
  }

  // 2. The checks that need the database, each order on its own; all before anything is written.
  const pending = [...open].map((i) => items[i]);
  const [ref] = await sql<Reference>(em, REFERENCE, [
    unique(pending.map((p) => p.input.channel)),
    unique(pending.flatMap((p) => p.input.lines.map((l) => l.sku))),
    unique(pending.map((p) => p.input.currency)),
    pending.map((p) => p.input.channel),
    pending.map((p) => p.input.externalId),
  ]);
  const channels = new Map(ref.channels.map((c) => [c.code, c]));
  const products = new Map(ref.products.map((p) => [p.sku, p]));
  const rates = new Map(ref.rates.map((r) => [r.currency, Number(r.rate)]));
  const checked: Checked[] = [];
  for (const i of [...open]) {
    const result = check(items[i], channels, products, rates);
    if (result instanceof DomainError) refuse(i, result);
    else checked.push({ i, ...items[i], ...result });
  }

  // 3. Duplicates: delivered before, or twice in this batch (the second goes again after commit).
  const seen = new Set<string>();
  const existing = new Map(ref.existing.map((r) => [`${r.channel}\n${r.externalId}`, r.number]));
  const fresh = checked.filter((o) => {
    const id = `${o.channel.code}\n${o.input.externalId}`;
    const number = existing.get(id);
    if (number !== undefined) refuse(o.i, duplicateOrder(o.input.externalId, o.channel.code, number));
    else if (seen.has(id)) later(o.i);
    else {
      seen.add(id);
      return true;
    }
    return false;
  });

  // 4. Route every order on the stock as this transaction sees it (read and locked in step 2); each
  //    accepted order takes its units from what the next one sees.
  const stock = stockOptionsFromJson(ref.stock);
  const accepted = fresh.flatMap((o): Accepted[] => {
    const mine = new Set([...o.products.values()].map((p) => p.id));
    const demand = o.input.lines.map((l) => ({ productId: o.products.get(l.sku)!.id, sku: l.sku, quantity: l.quantity }));
    const routing = planRouting(
      o.destination,
      demand,
      stock.filter((s) => mine.has(s.productId)),
    );
    if (!routing.ok) {
      refuse(o.i, insufficientStock(o.input, routing.shortages));
      return [];
    }
    for (const a of routing.plan.allocations) stock.find((s) => s.levelId === a.levelId)!.atp -= a.quantity;
    return [{ ...o, routing: routing.plan }];
  });

  // 5. Write the accepted orders.
  const created = accepted.length ? await writeOrders(em, accepted) : [];
  for (const c of created) {
    settled[c.i] = { value: { replayed: false, order: c.order } };
    open.delete(c.i);
  }

  // 6. Keys: store each answer worth replaying (201 and 409); give back the keys of orders refused as invalid.
  const answers: { ctx: IdempotencyContext; response: StoredResponse }[] = [];
  const released: IdempotencyContext[] = [];
  for (const [i, ctx] of claimedKeys) {
    const s = settled[i];
    if (!s)
      released.push(ctx); // goes again
    else if ('value' in s) answers.push({ ctx, response: { status: 201, body: (s.value as { order: CreatedOrder }).order } });
    else if (s.error instanceof DomainError && s.error.status === 409) answers.push({ ctx, response: { status: 409, body: s.error.toJSON() } });
    else released.push(ctx);
  }
  await completeMany(em, answers);
  await releaseMany(em, released);
  return { settled, again };
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** One order's checks against the reference data; a DomainError (422) names every field at fault. */
function check(
  { input, opts }: Pending,
  channels: Map<string, { id: number; code: string; currencies: string[]; active: boolean }>,
  products: Map<string, { id: number; sku: string; name: string }>,
  rates: Map<string, number>,
): DomainError | Checks {
  const channel = channels.get(input.channel);
  if (!channel || !channel.active) return invalid([fieldError('channel', 'unknown_channel', { channel: input.channel })]);
  if (!channel.currencies.includes(input.currency)) {
    return invalid([fieldError('currency', 'currency_not_accepted', { currency: input.currency, accepted: channel.currencies.join(', ') })]);
  }
  const unknown = input.lines.flatMap((l, i) => (products.has(l.sku) ? [] : [fieldError(`lines.${i}.sku`, 'unknown_sku', { sku: l.sku })]));
  if (unknown.length) return invalid(unknown);

  const subtotal = input.lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
  if (input.discount > subtotal + input.shipping) return invalid([fieldError('discount', 'too_big', { max: subtotal + input.shipping })]);
  const total = subtotal + input.shipping + (input.taxIncluded ? 0 : input.tax) - input.discount;
  if (input.paidAmount !== undefined && input.paidAmount !== total) {
    return invalid([fieldError('paidAmount', 'amount_mismatch', { paid: input.paidAmount, total })]);
  }
  const rate = rates.get(input.currency);
  if (rate === undefined && input.currency !== opts.baseCurrency) return invalid([fieldError('currency', 'no_exchange_rate', { currency: input.currency })]);
  const addr = input.shippingAddress;
  return {
    channel,
    products: new Map(input.lines.map((l) => [l.sku, products.get(l.sku)!])),
    subtotal,
    total,
    totalBase: toBaseMinor(total, input.currency, opts.baseCurrency, rate ?? 1),
    destination: addr.lat !== undefined && addr.lng !== undefined ? { lat: addr.lat, lng: addr.lng } : null,
  };
}

function insufficientStock(input: OrderInput, shortages: { sku: string; requested: number; available: number }[]): DomainError {
  const first = shortages[0];
  const lineOf = (sku: string) => input.lines.findIndex((l) => l.sku === sku);
  return new DomainError(409, 'insufficient_stock', shortages.map((s) => `${s.sku}: ${s.requested} requested, ${s.available} available`).join('; '), {
    field: `lines.${lineOf(first.sku)}.quantity`,
    params: { sku: first.sku, requested: first.requested, available: first.available },
    errors: shortages.map((s) => fieldError(`lines.${lineOf(s.sku)}.quantity`, 'insufficient_stock', s)),
  });
}

/** Writes routed orders: customers, orders, lines, reservations and the stock they take, mail, tiers, audit and outbox. */
async function writeOrders(em: EntityManager, accepted: Accepted[]): Promise<{ i: number; order: CreatedOrder }[]> {
  // Customers: one row per email (created by its first order, with that order's name); only a customer's first order counts as new.
  const byEmail = new Map(accepted.map((o) => [o.input.customer.email, o]));
  const upsertCustomers = (orders: Accepted[]) =>
    customersForOrders(
      em,
      orders.map((o) => ({ ...o.input.customer, address: o.input.shippingAddress })),
    );
  const customers = new Map((await upsertCustomers([...byEmail.values()])).map((c) => [c.email, c]));
  // A customer another transaction created and committed after this statement began is neither
  // returned by the upsert (nothing to change) nor seen by its read; a second statement sees it.
  const missed = [...byEmail.values()].filter((o) => !customers.has(o.input.customer.email));
  if (missed.length) for (const c of await upsertCustomers(missed)) customers.set(c.email, c);
  const missing = [...byEmail.keys()].find((email) => !customers.has(email));
  if (missing) throw new Error(`customer ${missing} could not be read`);

  const firstSeen = new Set<string>();
  const rows = accepted.map((o) => {
    const { input } = o;
    const customer = customers.get(input.customer.email)!;
    const newCustomer = customer.first_order && !firstSeen.has(input.customer.email);
    firstSeen.add(input.customer.email);
    const holds = holdReasons(
      { totalBaseMinor: o.totalBase, deliveryMethod: input.deliveryMethod, newCustomer, hasCoordinates: o.destination !== null },
      o.opts.holdPolicy ?? DEFAULT_HOLD_POLICY,
    );
    const status: OrderStatus = holds.length ? 'on_hold' : input.paidAmount !== undefined ? 'paid' : 'awaiting_payment';
    const path: OrderStatus[] = [
      'received',
      'validated',
      ...(holds.length ? [] : ['awaiting_payment' as const]),
      ...(status === 'paid' || status === 'on_hold' ? [status] : []),
    ];
    const placedAt = input.placedAt ? new Date(input.placedAt) : new Date();
    const warehouseId = o.routing.shipments === 1 ? o.routing.allocations[0].warehouseId : null;
    return { o, customerId: customer.id, holds, status, path, placedAt, warehouseId };
  });
  const col = <V>(f: (r: (typeof rows)[number]) => V) => rows.map(f);
  const orderRows = await sql<{ id: number; number: string; tracking_token: string; channel_id: number; external_id: string }>(em, ORDERS, [
    col((r) => r.o.channel.id),
    col((r) => r.o.input.externalId),
    col((r) => r.customerId),
    col((r) => r.o.input.currency),
    col((r) => r.o.subtotal),
    col((r) => r.o.input.shipping),
    col((r) => r.o.input.tax),
    col((r) => r.o.input.taxIncluded),
    col((r) => r.o.input.discount),
    col((r) => r.o.total),
    col((r) => r.status),
    col((r) => r.holds.join(',')),
    col((r) => r.o.input.paymentMethod),
    col((r) => r.o.input.deliveryMethod),
    col((r) => JSON.stringify(r.o.input.shippingAddress)),
    col((r) => r.warehouseId),
    col((r) => (r.o.input.promisedBy ? new Date(r.o.input.promisedBy) : null)),
    col((r) => r.placedAt),
    col((r) => r.o.input.customer.name),
    col((r) => r.o.input.paymentToken ?? null),
    col((r) => r.o.totalBase),
  ]);
  const orderOf = new Map(orderRows.map((r) => [`${r.channel_id}\n${r.external_id}`, r]));
  const orders = rows.map((r) => ({ ...r, order: orderOf.get(`${r.o.channel.id}\n${r.o.input.externalId}`)! }));

  const lines = orders.flatMap((r) =>
    r.o.input.lines.map((l) => ({ orderId: r.order.id, product: r.o.products.get(l.sku)!, baseCurrency: r.o.opts.baseCurrency, ...l })),
  );
  const reservations = orders.flatMap((r) => r.o.routing.allocations.map((a) => ({ orderId: r.order.id, ...a })));
  const units = unitsByLevel(reservations);
  const reserved = await sql<{ id: number; became_low: boolean }>(em, LINES_AND_STOCK, [
    lines.map((l) => l.orderId),
    lines.map((l) => l.product.id),
    lines.map((l) => l.sku),
    lines.map((l) => l.product.name),
    lines.map((l) => l.quantity),
    lines.map((l) => l.unitPrice),
    lines.map((l) => l.quantity * l.unitPrice),
    reservations.map((a) => a.orderId),
    reservations.map((a) => a.productId),
    reservations.map((a) => a.warehouseId),
    reservations.map((a) => a.quantity),
    units.levels,
    units.quantities,
    lines.map((l) => l.baseCurrency),
    lines.map((l) => currencyExponent(l.baseCurrency)),
  ]);
  // The levels were locked and planned in this transaction, so the guard cannot refuse; if it ever does, nothing of the batch stands.
  if (reserved.length !== units.levels.length) throw new ReservationConflict(units.levels.find((id) => !reserved.some((r) => r.id === id))!);

  const created = orders.map(({ o, order, status, holds, path, placedAt }) => ({
    i: o.i,
    actor: o.opts.actor,
    path,
    order: {
      id: order.id,
      number: order.number,
      status,
      channel: o.channel.code,
      externalId: o.input.externalId,
      currency: o.input.currency,
      totals: {
        subtotal: o.subtotal,
        shipping: o.input.shipping,
        tax: o.input.tax,
        taxIncluded: o.input.taxIncluded,
        discount: o.input.discount,
        total: o.total,
      },
      holdReasons: holds,
      reservations: o.routing.allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity })),
      routing: { policy: o.routing.policy, shipments: o.routing.shipments, considered: o.routing.considered },
      trackingToken: order.tracking_token,
      placedAt: placedAt.toISOString(),
    } satisfies CreatedOrder,
  }));

  await recordPaidAtIntake(
    em,
    orders
      .filter((r) => r.o.input.paidAmount !== undefined)
      .map((r) => ({ orderId: r.order.id, method: r.o.input.paymentMethod, currency: r.o.input.currency, amount: r.o.total })),
  );
  await enqueueNotifications(
    em,
    created.map((c) => c.order.id),
    'order_confirmation',
  );
  const tierOf = new Map<number, { id: number; actor: Actor }>();
  for (const r of orders) if (!tierOf.has(r.customerId)) tierOf.set(r.customerId, { id: r.customerId, actor: r.o.opts.actor });
  await recomputeTiers(em, [...tierOf.values()]);
  const levels = new Map(reservations.map((a) => [a.levelId, a]));
  await auditAndPublishMany(
    em,
    created.map((c) => ({
      actor: c.actor,
      entry: {
        action: 'order.created',
        entityType: 'Order',
        entityId: c.order.id,
        after: {
          number: c.order.number,
          status: c.order.status,
          path: c.path,
          total: c.order.totals.total,
          currency: c.order.currency,
          holdReasons: c.order.holdReasons,
          routing: c.order.routing.policy,
          reservations: c.order.reservations,
        },
      },
    })),
    [
      ...created.map((c) => ({
        topic: 'orders' as const,
        type: 'order.created',
        payload: {
          orderId: c.order.id,
          number: c.order.number,
          channel: c.order.channel,
          status: c.order.status,
          currency: c.order.currency,
          total: c.order.totals.total,
          holdReasons: c.order.holdReasons,
        },
      })),
      ...reserved
        .filter((r) => r.became_low)
        .map((r) => ({
          topic: 'inventory' as const,
          type: 'stock.low',
          payload: { levelId: r.id, sku: levels.get(r.id)!.sku, warehouse: levels.get(r.id)!.warehouseCode },
        })),
    ],
  );
  return created.map((c) => ({ i: c.i, order: c.order }));
}
