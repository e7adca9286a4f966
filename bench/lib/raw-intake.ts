// The order intake transaction on a plain pg.Pool, one order per transaction: the baseline for bench/orders.ts.
//
// `intake` does the work of app/modules/orders/intake.server.ts for one order — the same checks,
// the same rows written, the same statements in their one-order form — the way intake itself ran
// before it took to group commit (orders arriving together sharing one transaction). The app's
// helpers that intake calls with its EntityManager only to run SQL (loadStockOptions,
// reserveAllocations, enqueueNotification, recomputeTier's customerTierFacts, auditNow, publishNow)
// run unchanged on the same connection through `sqlOnly`, which stands in for the EntityManager.
// Like the app, every statement is a named prepared statement (parsed and planned once per
// connection), and the stock is reserved last. The pure domain helpers (routing, holds, currency
// conversion, tier rules) are the app's own. No HTTP, no JSON body parsing, no zod, no ORM. Keep it
// in step with intake.server.ts: bench/orders.ts compares the rows each path writes per order and
// warns when they differ.
//
// Two variants measure what the shape of the transaction buys (bench --profile): `unprepared` sends
// the same statements unnamed (parsed and planned on every order, as em.execute's inlined SQL is);
// `reserve-first` takes the stock (the conditional UPDATE, whose row lock is held until COMMIT)
// right after routing instead of last.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Allocation } from '../../app/modules/inventory/routing.ts';
import { planRouting } from '../../app/modules/inventory/routing.ts';
import { loadStockOptions, ReservationConflict, reserveAllocations } from '../../app/modules/inventory/reservations.server.ts';
import { DEFAULT_HOLD_POLICY, holdReasons } from '../../app/modules/orders/holds.ts';
import { toBaseMinor } from '../../app/lib/money.ts';
import { auditNow, type Actor } from '../../app/lib/audit.server.ts';
import { publishNow } from '../../app/lib/outbox.server.ts';
import { enqueueNotification } from '../../app/modules/notifications/service.server.ts';
import { customerTierFacts } from '../../app/modules/customers/queries.server.ts';
import { tierFor } from '../../app/modules/customers/tiers.ts';

export type RawMode = 'intake' | 'unprepared' | 'reserve-first';

export interface OrderBody {
  channel: string;
  externalId: string;
  customer: { email: string; name: string; phone?: string; locale?: string };
  shippingAddress: { line1: string; city: string; postalCode?: string; country: string; lat: number; lng: number };
  currency: string;
  lines: { sku: string; quantity: number; unitPrice: number }[];
  paymentMethod: string;
  deliveryMethod: 'standard' | 'express' | 'pickup';
  shipping: number;
  tax: number;
  taxIncluded: boolean;
  discount: number;
}

export interface RawContext {
  pool: pg.Pool;
  actor: Actor;
  baseCurrency: string;
}

/** A refusal intake would answer with 4xx (none is expected in the bench). */
export class Refused extends Error {}

const MAX_ATTEMPTS = 3;

export async function rawOrder(ctx: RawContext, input: OrderBody, mode: RawMode = 'intake'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction(ctx, input, attempt === MAX_ATTEMPTS, mode);
    } catch (e) {
      if (e instanceof ReservationConflict && attempt < MAX_ATTEMPTS) continue;
      throw e;
    }
  }
}

/** Runs one statement with $n placeholders; as a named prepared statement unless told otherwise (pg prepares a name once per connection). */
type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;
const statementNames = new Map<string, string>();
function queryFor(c: pg.PoolClient, prepared: boolean): Query {
  if (!prepared) return (text, values) => c.query(text, values);
  return (text, values) => {
    let name = statementNames.get(text);
    if (!name) statementNames.set(text, (name = `bench_${statementNames.size + 1}`));
    return c.query({ name, text, values });
  };
}

/**
 * What the app's SQL-only helpers need of an EntityManager: the transaction context that
 * app/lib/db.server.ts `sql` runs its statements on (`executeQuery` of a compiled $n query), and
 * `execute(sql, params)` with MikroORM's `?` placeholders (an array parameter expands into a list).
 */
function sqlOnly(q: Query): EntityManager {
  const execute = async (text: string, params: unknown[] = []) => {
    let out = '',
      n = 0,
      quoted = false;
    const values: unknown[] = [];
    for (const ch of text) {
      if (ch === "'") quoted = !quoted;
      if (ch !== '?' || quoted) {
        out += ch;
        continue;
      }
      const p = params[n++];
      out += (Array.isArray(p) ? p : [p]).map((v) => `$${values.push(v)}`).join(', ');
    }
    return (await q(out, values)).rows;
  };
  const context = {
    executeQuery: async (compiled: { sql: string; parameters: readonly unknown[] }) => ({ rows: (await q(compiled.sql, [...compiled.parameters])).rows }),
  };
  return { execute, getTransactionContext: () => context, getDriver: () => ({ convertException: (e: Error) => e }) } as unknown as EntityManager;
}

async function transaction(ctx: RawContext, input: OrderBody, lockStock: boolean, mode: RawMode): Promise<void> {
  const c = await ctx.pool.connect();
  let broken: Error | undefined;
  try {
    await c.query('begin');
    await intake(queryFor(c, mode !== 'unprepared'), ctx, input, lockStock, mode === 'reserve-first');
    await c.query('commit');
  } catch (e) {
    try {
      await c.query('rollback');
    } catch (r) {
      broken = r as Error;
    }
    throw e;
  } finally {
    c.release(broken);
  }
}

const orderTotal = (input: OrderBody, subtotal: number) => subtotal + input.shipping + (input.taxIncluded ? 0 : input.tax) - input.discount;

/** Holds, status and the audit path for a customer who is (or is not) ordering for the first time. */
function outcome(input: OrderBody, totalBase: number, newCustomer: boolean) {
  const holds = holdReasons({ totalBaseMinor: totalBase, deliveryMethod: input.deliveryMethod, newCustomer, hasCoordinates: true }, DEFAULT_HOLD_POLICY);
  const status = holds.length ? 'on_hold' : 'awaiting_payment';
  const path = ['received', 'validated', ...(holds.length ? [] : ['awaiting_payment']), ...(status === 'on_hold' ? [status] : [])];
  return { holds, status, path };
}

async function intake(q: Query, ctx: RawContext, input: OrderBody, lockStock: boolean, reserveFirst: boolean): Promise<void> {
  const em = sqlOnly(q);
  const {
    rows: [channel],
  } = await q<{ id: number; code: string; currencies: string[]; active: boolean }>('select id, code, currencies, active from channel where code = $1', [
    input.channel,
  ]);
  if (!channel || !channel.active || !channel.currencies.includes(input.currency)) throw new Refused('channel or currency refused');
  const skus = [...new Set(input.lines.map((l) => l.sku))];
  const { rows: products } = await q<{ id: number; sku: string; name: string }>('select id, sku, name from product where sku = any($1::text[]) and active', [
    skus,
  ]);
  const bySku = new Map(products.map((p) => [p.sku, p]));
  if (input.lines.some((l) => !bySku.has(l.sku))) throw new Refused('unknown_sku');
  const subtotal = input.lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
  if (input.discount > subtotal + input.shipping) throw new Refused('discount too big');
  const total = orderTotal(input, subtotal);
  const {
    rows: [rate],
  } = await q<{ rate_per_base: string }>('select rate_per_base from exchange_rate where currency = $1', [input.currency]);
  const totalBase = toBaseMinor(total, input.currency, ctx.baseCurrency, rate ? Number(rate.rate_per_base) : 1);
  const {
    rows: [existing],
  } = await q<{ number: string }>('select number from sales_order where channel_id = $1 and external_id = $2', [channel.id, input.externalId]);
  if (existing) throw new Refused('duplicate_order');

  const demand = input.lines.map((l) => ({ productId: bySku.get(l.sku)!.id, sku: l.sku, quantity: l.quantity }));
  const addr = input.shippingAddress;
  const stock = await loadStockOptions(em, [...new Set(demand.map((d) => d.productId))], { lock: lockStock });
  const routing = planRouting({ lat: addr.lat, lng: addr.lng }, demand, stock);
  if (!routing.ok) throw new Refused('insufficient_stock');
  const allocations = routing.plan.allocations;
  if (reserveFirst) await reserve(em, allocations);

  const upsertCustomer = () =>
    q<{ id: number; first_order: boolean }>(
      // As intake: a known customer's row is only rewritten when the name or phone changed.
      `with upserted as (
    insert into customer (email, name, phone, locale, addresses, tags, tier, created_at)
    values ($1, $2, $3, $4, $5, '{}', 'standard', now())
    on conflict (email) do update set name = excluded.name, phone = coalesce(excluded.phone, customer.phone)
      where customer.name is distinct from excluded.name or (excluded.phone is not null and customer.phone is distinct from excluded.phone)
    returning id)
  select c.id, not exists (select 1 from sales_order o where o.customer_id = c.id) as first_order
    from (select id from upserted union all select id from customer where email = $1 and not exists (select 1 from upserted)) c`,
      [input.customer.email, input.customer.name, input.customer.phone ?? null, input.customer.locale ?? 'en', JSON.stringify([addr])],
    );
  // A customer created by another transaction after this statement's snapshot is read by the next statement (intake retries the same way).
  const customer = (await upsertCustomer()).rows[0] ?? (await upsertCustomer()).rows[0];

  const { holds, status, path } = outcome(input, totalBase, customer.first_order);
  const placedAt = new Date();
  const warehouseId = routing.plan.shipments === 1 ? allocations[0].warehouseId : null;

  const {
    rows: [order],
  } = await q<{ id: number; number: string; tracking_token: string }>(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor, status,
                           hold_reasons, payment_method, delivery_method, shipping_address, warehouse_id, promised_by, placed_at, created_at, updated_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14, $15, $16, $17, $18, now(), now())
  returning id, number, tracking_token`,
    [
      channel.id,
      input.externalId,
      customer.id,
      input.currency,
      subtotal,
      input.shipping,
      input.tax,
      input.taxIncluded,
      input.discount,
      total,
      status,
      holds,
      input.paymentMethod,
      input.deliveryMethod,
      JSON.stringify(addr),
      warehouseId,
      null,
      placedAt,
    ],
  );

  const lines = input.lines.map((l) => ({ ...l, product: bySku.get(l.sku)! }));
  const { rows: lineRows } = await q<{ id: number; product_id: number }>(
    `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor)
  select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[])
  returning id, product_id`,
    [
      order.id,
      lines.map((l) => l.product.id),
      lines.map((l) => l.sku),
      lines.map((l) => l.product.name),
      lines.map((l) => l.quantity),
      lines.map((l) => l.unitPrice),
      lines.map((l) => l.quantity * l.unitPrice),
    ],
  );
  const lineForProduct = new Map<number, number>();
  for (const r of lineRows) lineForProduct.set(r.product_id, Math.min(r.id, lineForProduct.get(r.product_id) ?? Infinity));
  await q(
    `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
  select $1, *, 'active', now() from unnest($2::int[], $3::int[], $4::int[], $5::int[])`,
    [
      order.id,
      allocations.map((a) => lineForProduct.get(a.productId)!),
      allocations.map((a) => a.productId),
      allocations.map((a) => a.warehouseId),
      allocations.map((a) => a.quantity),
    ],
  );

  await enqueueNotification(em, { orderId: order.id, template: 'order_confirmation' });

  // recomputeTier(em, customer.id, actor): one aggregate query, and when the tier moves a conditional
  // update plus an audit event.
  const facts = await customerTierFacts(em, customer.id, ctx.baseCurrency);
  if (!facts) throw new Error(`customer ${customer.id} vanished`);
  const tier = tierFor({ ltvBaseMinor: facts.stats.ltv, orders: facts.stats.ordersCount, baseCurrency: ctx.baseCurrency });
  if (tier !== facts.tier) {
    const { rows: updated } = await q<{ id: number }>('update customer set tier = $1 where id = $2 and tier = $3 returning id', [
      tier,
      customer.id,
      facts.tier,
    ]);
    if (updated.length) {
      await auditNow(em, ctx.actor, {
        action: 'customer.tier_changed',
        entityType: 'Customer',
        entityId: customer.id,
        before: { tier: facts.tier },
        after: { tier, ltv: facts.stats.ltv, orders: facts.stats.ordersCount, currency: ctx.baseCurrency },
      });
    }
  }

  const reservations = allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity }));
  await auditNow(em, ctx.actor, {
    action: 'order.created',
    entityType: 'Order',
    entityId: order.id,
    after: { number: order.number, status, path, total, currency: input.currency, holdReasons: holds, routing: routing.plan.policy, reservations },
  });
  await publishNow(em, 'orders', 'order.created', {
    orderId: order.id,
    number: order.number,
    channel: channel.code,
    status,
    currency: input.currency,
    total,
    holdReasons: holds,
  });
  if (!reserveFirst) await reserve(em, allocations);
}

/** reserveAllocations, then a stock.low event for each level that reached its reorder point. */
async function reserve(em: EntityManager, allocations: Allocation[]): Promise<void> {
  const reserved = await reserveAllocations(em, allocations);
  for (const r of reserved.filter((x) => x.becameLow)) {
    const a = allocations.find((x) => x.levelId === r.levelId)!;
    await publishNow(em, 'inventory', 'stock.low', { levelId: r.levelId, sku: a.sku, warehouse: a.warehouseCode });
  }
}
