// Order intake: every channel's order lands here, and lands whole or not at all.
import { UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import type { HoldReason, OrderStatus } from '../../../entities/constants.ts';
import { auditNow, type Actor } from '../../lib/audit.server.ts';
import { publishNow } from '../../lib/outbox.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { toBaseMinor } from '../../lib/money.ts';
import { prepare, sql } from '../../lib/db.server.ts';
import { claim, complete, findStored, storeOutcome, type IdempotencyContext } from '../../lib/idempotency.server.ts';
import { planRouting, type RoutingPlan } from '../inventory/routing.ts';
import { loadStockOptions, ReservationConflict, reserveAllocations } from '../inventory/reservations.server.ts';
import { enqueueNotification } from '../notifications/service.server.ts';
import { recomputeTier } from '../customers/service.server.ts';
import { holdReasons, DEFAULT_HOLD_POLICY, type HoldPolicy } from './holds.ts';
import { OrderInput } from './schemas.ts';

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

const MAX_ATTEMPTS = 3;

/** Parses, validates, reserves and records an order in one transaction. Throws DomainError for refusals. */
export async function createOrder(orm: MikroORM, raw: unknown, opts: IntakeOptions): Promise<IntakeResult> {
  const parsed = OrderInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;

  for (let attempt = 1; ; attempt++) {
    try {
      return await orm.em.fork().transactional((em) => intake(em, input, opts, attempt === MAX_ATTEMPTS));
    } catch (e) {
      // Someone took the stock between routing and reserving: route again on fresh numbers,
      // the last time with the rows locked so the plan cannot go stale.
      if (e instanceof ReservationConflict && attempt < MAX_ATTEMPTS) continue;
      // Two deliveries of the same order at the same moment: the unique key decides, the loser is a duplicate.
      if (e instanceof UniqueConstraintViolationException && /sales_order_channel_id_external_id_unique/.test(e.message)) {
        const [existing] = await orm.em.fork().execute<{ number: string }[]>(
          'select o.number from sales_order o join channel c on c.id = o.channel_id where c.code = ? and o.external_id = ?', [input.channel, input.externalId]);
        const dup = new DomainError(409, 'duplicate_order', `Order ${input.externalId} from ${input.channel} already exists as ${existing?.number}.`, { field: 'externalId', params: { number: existing?.number ?? '' } });
        if (opts.idempotency) await storeOutcome(orm.em.fork(), opts.idempotency, { status: 409, body: dup.toJSON() });
        throw dup;
      }
      if (e instanceof DomainError && e.status === 409 && opts.idempotency) {
        await storeOutcome(orm.em.fork(), opts.idempotency, { status: e.status, body: e.toJSON() });
      }
      throw e;
    }
  }
}

// The statements intake runs on every order, prepared once per connection (app/lib/db.server.ts).
const CHANNEL = prepare('intake_channel', 'select id, code, currencies, active from channel where code = $1');
const PRODUCTS = prepare('intake_products', 'select id, sku, name from product where sku = any($1::text[]) and active');
const RATE = prepare('intake_rate', 'select rate_per_base from exchange_rate where currency = $1');
const EXISTING = prepare('intake_existing', 'select number from sales_order where channel_id = $1 and external_id = $2');
const CUSTOMER = prepare('intake_customer', `with c as (
    insert into customer (email, name, phone, locale, addresses, tags, tier, created_at)
    values ($1, $2, $3, $4, $5, '{}', 'standard', now())
    on conflict (email) do update set name = excluded.name, phone = coalesce(excluded.phone, customer.phone)
    returning id)
  select c.id, not exists (select 1 from sales_order o where o.customer_id = c.id) as first_order from c`);
const ORDER = prepare('intake_order', `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor, status,
                           hold_reasons, payment_method, delivery_method, shipping_address, warehouse_id, promised_by, placed_at, created_at, updated_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14, $15, $16, $17, $18, now(), now())
  returning id, number, tracking_token`);
/** Every line in one statement, whatever their number (one array per column). */
const LINES = prepare('intake_lines', `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor)
  select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[])
  returning id, product_id`);
const RESERVATIONS = prepare('intake_reservations', `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
  select $1, *, 'active', now() from unnest($2::int[], $3::int[], $4::int[], $5::int[])`);

async function intake(em: EntityManager, input: OrderInput, opts: IntakeOptions, lockStock: boolean): Promise<IntakeResult> {
  if (opts.idempotency && !(await claim(em, opts.idempotency))) {
    // The key's first request has committed (claim waited for it): replay what it answered.
    const stored = await findStored(em, opts.idempotency);
    if (stored === 'reused') throw new DomainError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request.', { field: 'Idempotency-Key' });
    if (!stored) throw new Error(`idempotency record ${opts.idempotency.key} vanished`);
    return { replayed: true, status: stored.status, body: stored.body };
  }

  // Checks that need the database; all before anything is written.
  const [channel] = await sql<{ id: number; code: string; currencies: string[]; active: boolean }>(em, CHANNEL, [input.channel]);
  if (!channel || !channel.active) throw invalid([fieldError('channel', 'unknown_channel', { channel: input.channel })]);
  if (!channel.currencies.includes(input.currency)) {
    throw invalid([fieldError('currency', 'currency_not_accepted', { currency: input.currency, accepted: channel.currencies.join(', ') })]);
  }
  const skus = [...new Set(input.lines.map((l) => l.sku))];
  const products = await sql<{ id: number; sku: string; name: string }>(em, PRODUCTS, [skus]);
  const bySku = new Map(products.map((p) => [p.sku, p]));
  const unknown = input.lines.flatMap((l, i) => (bySku.has(l.sku) ? [] : [fieldError(`lines.${i}.sku`, 'unknown_sku', { sku: l.sku })]));
  if (unknown.length) throw invalid(unknown);

  const subtotal = input.lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
  if (input.discount > subtotal + input.shipping) throw invalid([fieldError('discount', 'too_big', { max: subtotal + input.shipping })]);
  const total = subtotal + input.shipping + (input.taxIncluded ? 0 : input.tax) - input.discount;
  if (input.paidAmount !== undefined && input.paidAmount !== total) {
    throw invalid([fieldError('paidAmount', 'amount_mismatch', { paid: input.paidAmount, total })]);
  }
  const [rate] = await sql<{ rate_per_base: string }>(em, RATE, [input.currency]);
  if (!rate && input.currency !== opts.baseCurrency) throw invalid([fieldError('currency', 'no_exchange_rate', { currency: input.currency })]);
  const totalBase = toBaseMinor(total, input.currency, opts.baseCurrency, rate ? Number(rate.rate_per_base) : 1);

  const [existing] = await sql<{ number: string }>(em, EXISTING, [channel.id, input.externalId]);
  if (existing) throw new DomainError(409, 'duplicate_order', `Order ${input.externalId} from ${channel.code} already exists as ${existing.number}.`, { field: 'externalId', params: { number: existing.number } });

  // Route on the stock as it is now. The units are taken at the very end (reserveAllocations below).
  const demand = input.lines.map((l) => ({ productId: bySku.get(l.sku)!.id, sku: l.sku, quantity: l.quantity }));
  const addr = input.shippingAddress;
  const destination = addr.lat !== undefined && addr.lng !== undefined ? { lat: addr.lat, lng: addr.lng } : null;
  const stock = await loadStockOptions(em, [...new Set(demand.map((d) => d.productId))], { lock: lockStock });
  const routing = planRouting(destination, demand, stock);
  if (!routing.ok) {
    const first = routing.shortages[0];
    const lineIndex = input.lines.findIndex((l) => l.sku === first.sku);
    throw new DomainError(409, 'insufficient_stock', routing.shortages.map((s) => `${s.sku}: ${s.requested} requested, ${s.available} available`).join('; '), {
      field: `lines.${lineIndex}.quantity`,
      params: { sku: first.sku, requested: first.requested, available: first.available },
      errors: routing.shortages.map((s) => fieldError(`lines.${input.lines.findIndex((l) => l.sku === s.sku)}.quantity`, 'insufficient_stock', s)),
    });
  }

  // The customer: known by email, created on first order.
  const [customer] = await sql<{ id: number; first_order: boolean }>(em, CUSTOMER,
    [input.customer.email, input.customer.name, input.customer.phone ?? null, input.customer.locale ?? 'en', JSON.stringify([addr])]);

  const holds = holdReasons({ totalBaseMinor: totalBase, deliveryMethod: input.deliveryMethod, newCustomer: customer.first_order, hasCoordinates: destination !== null }, opts.holdPolicy ?? DEFAULT_HOLD_POLICY);
  const status: OrderStatus = holds.length ? 'on_hold' : input.paidAmount !== undefined ? 'paid' : 'awaiting_payment';
  const path: OrderStatus[] = ['received', 'validated', ...(holds.length ? [] : ['awaiting_payment' as const]), ...(status === 'paid' || status === 'on_hold' ? [status] : [])];
  const placedAt = input.placedAt ? new Date(input.placedAt) : new Date();
  const warehouseId = routing.plan.shipments === 1 ? routing.plan.allocations[0].warehouseId : null;

  const [order] = await sql<{ id: number; number: string; tracking_token: string }>(em, ORDER,
    [channel.id, input.externalId, customer.id, input.currency, subtotal, input.shipping, input.tax, input.taxIncluded, input.discount, total, status,
      holds, input.paymentMethod, input.deliveryMethod, JSON.stringify(addr), warehouseId, input.promisedBy ? new Date(input.promisedBy) : null, placedAt]);

  const lines = input.lines.map((l) => ({ ...l, product: bySku.get(l.sku)! }));
  const lineRows = await sql<{ id: number; product_id: number }>(em, LINES,
    [order.id, lines.map((l) => l.product.id), lines.map((l) => l.sku), lines.map((l) => l.product.name), lines.map((l) => l.quantity), lines.map((l) => l.unitPrice), lines.map((l) => l.quantity * l.unitPrice)]);
  // A product's reservations belong to its first line (ids follow the order of the lines).
  const lineForProduct = new Map<number, number>();
  for (const r of lineRows) lineForProduct.set(r.product_id, Math.min(r.id, lineForProduct.get(r.product_id) ?? Infinity));
  const allocations = routing.plan.allocations;
  await sql(em, RESERVATIONS,
    [order.id, allocations.map((a) => lineForProduct.get(a.productId)!), allocations.map((a) => a.productId), allocations.map((a) => a.warehouseId), allocations.map((a) => a.quantity)]);

  const created: CreatedOrder = {
    id: order.id,
    number: order.number,
    status,
    channel: channel.code,
    externalId: input.externalId,
    currency: input.currency,
    totals: { subtotal, shipping: input.shipping, tax: input.tax, taxIncluded: input.taxIncluded, discount: input.discount, total },
    holdReasons: holds,
    reservations: allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity })),
    routing: { policy: routing.plan.policy, shipments: routing.plan.shipments, considered: routing.plan.considered },
    trackingToken: order.tracking_token,
    placedAt: placedAt.toISOString(),
  };

  await enqueueNotification(em, { orderId: order.id, template: 'order_confirmation' });
  await recomputeTier(em, customer.id, opts.actor);
  await auditNow(em, opts.actor, {
    action: 'order.created', entityType: 'Order', entityId: order.id,
    after: { number: order.number, status, path, total, currency: input.currency, holdReasons: holds, routing: routing.plan.policy, reservations: created.reservations },
  });
  await publishNow(em, 'orders', 'order.created', { orderId: order.id, number: order.number, channel: channel.code, status, currency: input.currency, total, holdReasons: holds });
  if (opts.idempotency) await complete(em, opts.idempotency, { status: 201, body: created });

  // Last, take the units: each conditional UPDATE locks its inventory row until COMMIT, so on a
  // busy SKU the next order waits only for this one's commit, not for all of the above.
  const reserved = await reserveAllocations(em, allocations);
  for (const r of reserved.filter((x) => x.becameLow)) {
    const a = allocations.find((x) => x.levelId === r.levelId)!;
    await publishNow(em, 'inventory', 'stock.low', { levelId: r.levelId, sku: a.sku, warehouse: a.warehouseCode });
  }
  return { replayed: false, order: created };
}
