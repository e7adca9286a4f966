// The order intake transaction on a plain pg.Pool: the baseline for bench/orders.ts.
//
// `intake` runs the statements of app/modules/orders/intake.server.ts and
// app/modules/inventory/reservations.server.ts in the same order, copied with `?` turned into $n, plus
// the two inserts MikroORM's flush sends for audit() and publish() (captured with the ORM's debug log).
// The pure domain helpers (routing, holds, currency conversion, tier rules) are the app's own, and the
// app's own helpers that intake calls with its EntityManager only to run SQL (enqueueNotification,
// customerTierFacts) run unchanged on the same connection through `sqlOnly`, which hands their `?`
// SQL to pg as $n. No HTTP, no JSON body parsing, no zod, no ORM. Keep it in step with
// intake.server.ts: bench/orders.ts compares the rows each path writes per order and warns when
// they differ.
//
// Two variants measure what a different shape of the same transaction would buy (bench --profile):
// `prepared` sends the same statements as named prepared statements (parsed and planned once per
// connection instead of on every order); `update-last` sends the same statements but takes the stock
// (the conditional UPDATE, whose row lock is held until COMMIT) last instead of in the middle.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Allocation, StockOption } from '../../app/modules/inventory/routing.ts';
import { planRouting } from '../../app/modules/inventory/routing.ts';
import { DEFAULT_HOLD_POLICY, holdReasons } from '../../app/modules/orders/holds.ts';
import { toBaseMinor } from '../../app/lib/money.ts';
import { enqueueNotification } from '../../app/modules/notifications/service.server.ts';
import { customerTierFacts } from '../../app/modules/customers/queries.server.ts';
import { tierFor } from '../../app/modules/customers/tiers.ts';

export type RawMode = 'intake' | 'prepared' | 'update-last';

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

export interface RawContext { pool: pg.Pool; actor: { type: string; id: number; label: string; ip: string }; baseCurrency: string }

/** A refusal intake would answer with 4xx (none is expected in the bench). */
export class Refused extends Error {}
class Conflict extends Error {}

const MAX_ATTEMPTS = 3;

export async function rawOrder(ctx: RawContext, input: OrderBody, mode: RawMode = 'intake'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction(ctx, input, attempt === MAX_ATTEMPTS, mode);
    } catch (e) {
      if (e instanceof Conflict && attempt < MAX_ATTEMPTS) continue;
      throw e;
    }
  }
}

/** Runs one statement; as a named prepared statement when asked (pg prepares a name once per connection). */
type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;
const statementNames = new Map<string, string>();
function queryFor(c: pg.PoolClient, prepared: boolean): Query {
  if (!prepared) return (text, values) => c.query(text, values);
  return (text, values) => {
    let name = statementNames.get(text);
    if (!name) statementNames.set(text, name = `bench_${statementNames.size + 1}`);
    return c.query({ name, text, values });
  };
}

/**
 * What the app's SQL-only helpers need of an EntityManager: `execute(sql, params)` with MikroORM's `?`
 * placeholders (an array parameter expands into a list, as MikroORM does for `in (?)`).
 */
function sqlOnly(q: Query): EntityManager {
  const execute = async (sql: string, params: unknown[] = []) => {
    let text = '', n = 0, quoted = false;
    const values: unknown[] = [];
    for (const ch of sql) {
      if (ch === "'") quoted = !quoted;
      if (ch !== '?' || quoted) { text += ch; continue; }
      const p = params[n++];
      text += (Array.isArray(p) ? p : [p]).map((v) => `$${values.push(v)}`).join(', ');
    }
    return (await q(text, values)).rows;
  };
  return { execute } as unknown as EntityManager;
}

async function transaction(ctx: RawContext, input: OrderBody, lockStock: boolean, mode: RawMode): Promise<void> {
  const c = await ctx.pool.connect();
  let broken: Error | undefined;
  try {
    await c.query('begin');
    await intake(queryFor(c, mode === 'prepared'), ctx, input, lockStock, mode === 'update-last');
    await c.query('commit');
  } catch (e) {
    try { await c.query('rollback'); } catch (r) { broken = r as Error; }
    throw e;
  } finally {
    c.release(broken);
  }
}

function route(input: OrderBody, bySku: Map<string, { id: number }>, stock: StockOption[]) {
  const demand = input.lines.map((l) => ({ productId: bySku.get(l.sku)!.id, sku: l.sku, quantity: l.quantity }));
  const addr = input.shippingAddress;
  const routing = planRouting({ lat: addr.lat, lng: addr.lng }, demand, stock);
  if (!routing.ok) throw new Refused('insufficient_stock');
  return routing.plan;
}

const toStock = (r: { level_id: number; warehouse_id: number; code: string; lat: number; lng: number; product_id: number; sku: string; atp: number }): StockOption =>
  ({ levelId: r.level_id, warehouseId: r.warehouse_id, warehouseCode: r.code, location: { lat: Number(r.lat), lng: Number(r.lng) }, productId: r.product_id, sku: r.sku, atp: Number(r.atp) });

const orderTotal = (input: OrderBody, subtotal: number) => subtotal + input.shipping + (input.taxIncluded ? 0 : input.tax) - input.discount;

/** Holds, status and the audit path for a customer who is (or is not) ordering for the first time. */
function outcome(input: OrderBody, totalBase: number, newCustomer: boolean) {
  const holds = holdReasons({ totalBaseMinor: totalBase, deliveryMethod: input.deliveryMethod, newCustomer, hasCoordinates: true }, DEFAULT_HOLD_POLICY);
  const status = holds.length ? 'on_hold' : 'awaiting_payment';
  const path = ['received', 'validated', ...(holds.length ? [] : ['awaiting_payment']), ...(status === 'on_hold' ? [status] : [])];
  return { holds, status, path };
}

async function intake(q: Query, ctx: RawContext, input: OrderBody, lockStock: boolean, updateLast: boolean): Promise<void> {
  const { rows: [channel] } = await q<{ id: number; code: string; currencies: string[]; active: boolean }>(
    'select id, code, currencies, active from channel where code = $1', [input.channel]);
  if (!channel || !channel.active || !channel.currencies.includes(input.currency)) throw new Refused('channel or currency refused');
  const skus = [...new Set(input.lines.map((l) => l.sku))];
  const { rows: products } = await q<{ id: number; sku: string; name: string }>(
    `select id, sku, name from product where sku in (${skus.map((_, i) => `$${i + 1}`).join(', ')}) and active`, skus);
  const bySku = new Map(products.map((p) => [p.sku, p]));
  if (input.lines.some((l) => !bySku.has(l.sku))) throw new Refused('unknown_sku');
  const subtotal = input.lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
  if (input.discount > subtotal + input.shipping) throw new Refused('discount too big');
  const total = orderTotal(input, subtotal);
  const { rows: [rate] } = await q<{ rate_per_base: string }>('select rate_per_base from exchange_rate where currency = $1', [input.currency]);
  const totalBase = toBaseMinor(total, input.currency, ctx.baseCurrency, rate ? Number(rate.rate_per_base) : 1);
  const { rows: [existing] } = await q<{ number: string }>('select number from sales_order where channel_id = $1 and external_id = $2', [channel.id, input.externalId]);
  if (existing) throw new Refused('duplicate_order');

  const productIds = [...new Set(input.lines.map((l) => bySku.get(l.sku)!.id))];
  const { rows: stockRows } = await q<Parameters<typeof toStock>[0]>(
    `select l.id as level_id, w.id as warehouse_id, w.code, w.lat, w.lng, p.id as product_id, p.sku, l.on_hand - l.reserved as atp
       from inventory_level l join warehouse w on w.id = l.warehouse_id join product p on p.id = l.product_id
      where l.product_id in (${productIds.map((_, i) => `$${i + 1}`).join(', ')}) and w.active
      order by l.id${lockStock ? ' for update of l' : ''}`,
    productIds);
  const plan = route(input, bySku, stockRows.map(toStock));
  if (!updateLast) await reserve(q, plan.allocations);

  const addr = input.shippingAddress;
  const { rows: [customer] } = await q<{ id: number; first_order: boolean }>(
    `with c as (
       insert into customer (email, name, phone, locale, addresses, tags, tier, created_at)
       values ($1, $2, $3, $4, $5, '{}', 'standard', now())
       on conflict (email) do update set name = excluded.name, phone = coalesce(excluded.phone, customer.phone)
       returning id)
     select c.id, not exists (select 1 from sales_order o where o.customer_id = c.id) as first_order from c`,
    [input.customer.email, input.customer.name, input.customer.phone ?? null, input.customer.locale ?? 'en', JSON.stringify([addr])]);

  const { holds, status, path } = outcome(input, totalBase, customer.first_order);
  const placedAt = new Date();
  const allocations = plan.allocations;
  const warehouseId = plan.shipments === 1 ? allocations[0].warehouseId : null;

  const { rows: [order] } = await q<{ id: number; number: string; tracking_token: string }>(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor, status,
                              hold_reasons, payment_method, delivery_method, shipping_address, warehouse_id, promised_by, placed_at, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14, $15, $16, $17, $18, now(), now())
     returning id, number, tracking_token`,
    [channel.id, input.externalId, customer.id, input.currency, subtotal, input.shipping, input.tax, input.taxIncluded, input.discount, total, status,
      holds, input.paymentMethod, input.deliveryMethod, JSON.stringify(addr), warehouseId, null, placedAt]);

  const { rows: lineIds } = await q<{ id: number }>(
    `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor) values ${input.lines.map((_, i) => `(${[1, 2, 3, 4, 5, 6, 7].map((k) => `$${i * 7 + k}`).join(', ')})`).join(', ')} returning id`,
    input.lines.flatMap((l) => { const p = bySku.get(l.sku)!; return [order.id, p.id, l.sku, p.name, l.quantity, l.unitPrice, l.quantity * l.unitPrice]; }));
  const lineForProduct = new Map<number, number>();
  input.lines.forEach((l, i) => { const pid = bySku.get(l.sku)!.id; if (!lineForProduct.has(pid)) lineForProduct.set(pid, lineIds[i].id); });
  await q(
    `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at) values ${allocations.map((_, i) => `(${[1, 2, 3, 4, 5].map((k) => `$${i * 5 + k}`).join(', ')}, 'active', now())`).join(', ')}`,
    allocations.flatMap((a) => [order.id, lineForProduct.get(a.productId)!, a.productId, a.warehouseId, a.quantity]));

  const em = sqlOnly(q);
  await enqueueNotification(em, { orderId: order.id, template: 'order_confirmation' });

  // recomputeTier(em, customer.id, actor): one aggregate query, and when the tier moves a conditional
  // update plus an audit event.
  const now = new Date();
  const reservations = allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity }));
  const audits: { action: string; entityType: string; entityId: number; before: unknown; after: unknown }[] = [
    { action: 'order.created', entityType: 'Order', entityId: order.id, before: null, after: { number: order.number, status, path, total, currency: input.currency, holdReasons: holds, routing: plan.policy, reservations } },
  ];
  const facts = await customerTierFacts(em, customer.id, ctx.baseCurrency);
  if (!facts) throw new Error(`customer ${customer.id} vanished`);
  const tier = tierFor({ ltvBaseMinor: facts.stats.ltv, orders: facts.stats.ordersCount, baseCurrency: ctx.baseCurrency });
  if (tier !== facts.tier) {
    const { rows: updated } = await q<{ id: number }>('update customer set tier = $1 where id = $2 and tier = $3 returning id', [tier, customer.id, facts.tier]);
    if (updated.length) {
      audits.push({ action: 'customer.tier_changed', entityType: 'Customer', entityId: customer.id, before: { tier: facts.tier },
        after: { tier, ltv: facts.stats.ltv, orders: facts.stats.ordersCount, currency: ctx.baseCurrency } });
    }
  }

  // What MikroORM's flush sends at commit for audit() and publish(), in its order: every audit_event
  // row in one insert, then outbox_event.
  await q(
    `insert into "audit_event" ("at", "actor_type", "actor_id", "actor_label", "action", "entity_type", "entity_id", "before", "after", "ip") values ${audits.map((_, i) => `(${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => `$${i * 10 + k}`).join(', ')})`).join(', ')} returning "id"`,
    audits.flatMap((a) => [now, ctx.actor.type, String(ctx.actor.id), ctx.actor.label, a.action, a.entityType, String(a.entityId),
      a.before === null ? null : JSON.stringify(a.before), JSON.stringify(a.after), ctx.actor.ip]));
  await q(
    'insert into "outbox_event" ("topic", "type", "payload", "created_at") values ($1, $2, $3, $4) returning "id"',
    ['orders', 'order.created', JSON.stringify({ orderId: order.id, number: order.number, channel: channel.code, status, currency: input.currency, total, holdReasons: holds }), now]);
  if (updateLast) await reserve(q, allocations);
}

/** reserveAllocations: one conditional UPDATE per level, in level order. */
async function reserve(q: Query, allocations: Allocation[]): Promise<void> {
  const byLevel = new Map<number, number>();
  for (const a of allocations) byLevel.set(a.levelId, (byLevel.get(a.levelId) ?? 0) + a.quantity);
  for (const [levelId, quantity] of [...byLevel].sort((a, b) => a[0] - b[0])) {
    const { rows } = await q<{ became_low: boolean }>(
      `update inventory_level
          set reserved = reserved + $1,
              updated_at = now(),
              low_stock_since = case when low_stock_since is null and on_hand - reserved - $2 <= reorder_point then now() else low_stock_since end
        where id = $3 and on_hand - reserved >= $4
        returning low_stock_since is not null and low_stock_since = now() as became_low`,
      [quantity, quantity, levelId, quantity]);
    if (rows.length === 0) throw new Conflict();
  }
}
