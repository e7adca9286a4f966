// Reading customers: the list (search, filters, sort, paging) and one customer with everything
// about them (addresses, KPIs, order history).
//
// Lifetime value (LTV), everywhere in the console:
//   LTV = round( Σ over the customer's orders whose status is not in LTV_EXCLUDED_STATUSES (cancelled)
//                of total_minor × 10^(exp(base) − exp(currency)) / ratePerBase(currency) )
// i.e. each order's total converted to the BASE currency at the CURRENT rate of the exchange_rate
// table (units of currency per one unit of base), summed exactly and rounded once, in minor units
// of base. An order in the base currency counts at face value; an order in a currency with no rate
// counts as an order but adds nothing to the value. Orders count = orders not excluded; average
// order value = LTV / orders count; first/last order are over all orders, whatever their status.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Address } from '../../../entities/customers.ts';
import { currencyExponent } from '../../lib/money.ts';
import { db, prepare, sql, type Prepared } from '../../lib/db.server.ts';
import { LTV_EXCLUDED_STATUSES, TIERS, tierFor, type Tier } from './tiers.ts';

/** The base currency when no config is at hand (the same default as app/lib/config.server.ts). */
export function defaultBaseCurrency(): string {
  return (process.env.BASE_CURRENCY || 'USD').toUpperCase();
}

let exponentValues: string | undefined;

/** `(values ('JPY', 0), ('KWD', 3), …)`: every currency Intl knows whose exponent is not 2. */
export function exponentTable(): string {
  if (exponentValues === undefined) {
    const rows = Intl.supportedValuesOf('currency')
      .filter((c) => /^[A-Z]{3}$/.test(c) && currencyExponent(c) !== 2)
      .map((c) => `('${c}', ${currencyExponent(c)})`);
    exponentValues = rows.length ? `(values ${rows.join(', ')})` : '(select null::text, null::int where false)';
  }
  return exponentValues;
}

/**
 * The `fx(currency, factor)` CTE: multiply minor units of `currency` by `factor` to get minor units
 * of `base`. The base currency is always 1, whatever the table says.
 */
export function fxCte(base: string): { sql: string; params: unknown[] } {
  return {
    sql: `fx as (
      select r.currency::text as currency, power(10::numeric, ?::int - coalesce(e.exp, 2)) / r.rate_per_base as factor
        from exchange_rate r left join ${exponentTable()} as e(currency, exp) on e.currency = r.currency
       where r.currency <> ? and r.rate_per_base > 0
      union all select ?::text, 1::numeric)`,
    params: [currencyExponent(base), base, base],
  };
}

const COUNTED = `o.status not in (${LTV_EXCLUDED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** Per-customer figures over `sales_order o` joined to `fx`; use as a lateral subquery for `customerRef`. */
const statsSql = (customerRef: string) => `(
  select count(*) filter (where ${COUNTED}) as orders_count,
         count(*) as all_orders,
         coalesce(round(sum(o.total_minor * fx.factor) filter (where ${COUNTED})), 0) as ltv,
         min(o.placed_at) as first_order_at,
         max(o.placed_at) as last_order_at
    from sales_order o left join fx on fx.currency = o.currency
   where o.customer_id = ${customerRef})`;

/** What statsSql gives per customer: counts and sums come back as text. */
type StatsRow = {
  orders_count: string;
  all_orders: string;
  ltv: string;
  first_order_at: Date | string | null;
  last_order_at: Date | string | null;
};
/** A customer of the list (kept raw: the stats are a lateral subquery) with its stats. */
type CustomerListRow = { id: number; name: string; email: string; phone: string | null; tier: Tier; tags: string[] | null } & StatsRow;

export interface CustomerStats {
  /** Minor units of the base currency. */
  ltv: number;
  ordersCount: number;
  allOrders: number;
  /** Minor units of the base currency; 0 without orders. */
  aov: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
}

function toStats(r: Record<string, unknown>): CustomerStats {
  const ltv = Number(r.ltv ?? 0);
  const ordersCount = Number(r.orders_count ?? 0);
  return {
    ltv,
    ordersCount,
    allOrders: Number(r.all_orders ?? 0),
    aov: ordersCount ? Math.round(ltv / ordersCount) : 0,
    firstOrderAt: r.first_order_at ? new Date(r.first_order_at as string).toISOString() : null,
    lastOrderAt: r.last_order_at ? new Date(r.last_order_at as string).toISOString() : null,
  };
}

type TierFactsVariant = 'one' | 'locked' | 'many';
const tierFactsStatements = new Map<TierFactsVariant, Prepared>();
/** customerTierFacts' query as a prepared statement (fx's three parameters, then the customer id or ids); built on first use. */
function tierFactsStatement(fxSql: string, variant: TierFactsVariant): Prepared {
  let statement = tierFactsStatements.get(variant);
  if (!statement) {
    let n = 0;
    const fx = fxSql.replace(/\?/g, () => `$${++n}`);
    const where = variant === 'many' ? 'c.id = any($4::int[])' : 'c.id = $4';
    statement = prepare(
      `customer_tier_facts${variant === 'one' ? '' : `_${variant}`}`,
      `with ${fx} select c.id, c.tier, s.* from customer c cross join lateral ${statsSql('c.id')} s where ${where}${variant === 'locked' ? ' for update of c' : ''}`,
    );
    tierFactsStatements.set(variant, statement);
  }
  return statement;
}

/**
 * One aggregate query: the stored tier and the figures the tier rules read, for one customer.
 * `forUpdate` locks the customer row (for a tier change that must not race another). Runs as a
 * prepared statement: intake asks for every order.
 */
export async function customerTierFacts(em: EntityManager, customerId: number, base: string, opts: { forUpdate?: boolean } = {}) {
  const fx = fxCte(base);
  const [row] = await sql<Record<string, unknown>>(em, tierFactsStatement(fx.sql, opts.forUpdate ? 'locked' : 'one'), [...fx.params, customerId]);
  if (!row) return null;
  return { id: Number(row.id), tier: row.tier as Tier, stats: toStats(row) };
}

/** The same facts for the given customers (intake's batches), in one query; unknown ids are left out. */
export async function customerTierFactsMany(em: EntityManager, customerIds: readonly number[], base: string) {
  const fx = fxCte(base);
  const rows = await sql<Record<string, unknown>>(em, tierFactsStatement(fx.sql, 'many'), [...fx.params, [...customerIds]]);
  return rows.map((r) => ({ id: Number(r.id), tier: r.tier as Tier, stats: toStats(r) }));
}

/** The same facts for a batch of customers (recomputing the whole base). */
export async function customerTierFactsBatch(em: EntityManager, afterId: number, limit: number, base: string) {
  const fx = fxCte(base);
  const rows = await em.execute<({ id: number; tier: Tier } & StatsRow)[]>(
    `with ${fx.sql}, batch as (select id, tier from customer where id > ? order by id limit ?)
     select b.id, b.tier, s.* from batch b cross join lateral ${statsSql('b.id')} s order by b.id`,
    [...fx.params, afterId, limit],
  );
  return rows.map((r) => ({ id: Number(r.id), tier: r.tier as Tier, stats: toStats(r) }));
}

const CUSTOMER_SORTS = ['name', 'ltv', 'last_order', 'orders'] as const;
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];

const CustomerFilters = z.object({
  q: z.string().trim().max(200).optional().catch(undefined),
  tier: z.enum(TIERS).optional().catch(undefined),
  tag: z.string().trim().toLowerCase().max(30).optional().catch(undefined),
  sort: z.enum(CUSTOMER_SORTS).catch('name'),
  dir: z.enum(['asc', 'desc']).catch('asc'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().min(1).max(200).catch(50),
});
export type CustomerFilters = z.infer<typeof CustomerFilters>;

export function parseCustomerFilters(params: URLSearchParams): CustomerFilters {
  const raw: Record<string, unknown> = Object.fromEntries(params);
  for (const k of Object.keys(raw)) if (raw[k] === '') delete raw[k];
  return CustomerFilters.parse(raw);
}

export interface CustomerRow {
  id: number;
  name: string;
  email: string;
  phone: string | null;
  tier: Tier;
  tags: string[];
  ltv: number;
  ordersCount: number;
  lastOrderAt: string | null;
}

const SORT_SQL: Record<CustomerSort, string> = { name: 'c.name', ltv: 's.ltv', last_order: 's.last_order_at', orders: 's.orders_count' };
const like = (q: string) => `%${q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;

/**
 * One page of customers with their figures, filtered and sorted in SQL. Sorting by name pages the
 * customers first and computes figures for that page only; sorting by a figure computes them for
 * every customer that passes the filters.
 */
export async function listCustomers(
  em: EntityManager,
  f: CustomerFilters,
  base: string,
): Promise<{ rows: CustomerRow[]; total: number; page: number; pages: number; baseCurrency: string }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.tier) {
    where.push('c.tier = ?');
    params.push(f.tier);
  }
  if (f.tag) {
    where.push('? = any(c.tags)');
    params.push(f.tag);
  }
  if (f.q) {
    const or = ['c.name ilike ?', 'c.email ilike ?', 'c.phone ilike ?', 'exists (select 1 from unnest(c.tags) as t(tag) where t.tag ilike ?)'];
    params.push(like(f.q), like(f.q), like(f.q), like(f.q));
    // "555 123 4567" finds "(555) 123-4567": compare digits only when the query looks like a phone number.
    const digits = f.q.replace(/\D/g, '');
    if (digits.length >= 4 && /^[\d\s()+.-]+$/.test(f.q)) {
      or.push(`regexp_replace(coalesce(c.phone, ''), '[^0-9]', '', 'g') like ?`);
      params.push(`%${digits}%`);
    }
    where.push(`(${or.join(' or ')})`);
  }
  const whereSql = where.length ? `where ${where.join(' and ')}` : '';
  const [{ n }] = await em.execute<{ n: string }[]>(`select count(*) as n from customer c ${whereSql}`, params);
  const total = Number(n);
  const fx = fxCte(base);
  const paging = [f.pageSize, (f.page - 1) * f.pageSize];
  const rows =
    f.sort === 'name'
      ? await em.execute<CustomerListRow[]>(
          `with ${fx.sql}, page as (select c.id, c.name, c.email, c.phone, c.tier, c.tags from customer c ${whereSql} order by c.name ${f.dir}, c.id ${f.dir} limit ? offset ?)
       select c.*, s.* from page c cross join lateral ${statsSql('c.id')} s order by c.name ${f.dir}, c.id ${f.dir}`,
          [...fx.params, ...params, ...paging],
        )
      : await em.execute<CustomerListRow[]>(
          `with ${fx.sql}
       select c.id, c.name, c.email, c.phone, c.tier, c.tags, s.* from customer c cross join lateral ${statsSql('c.id')} s ${whereSql}
        order by ${SORT_SQL[f.sort]} ${f.dir} nulls last, c.id ${f.dir} limit ? offset ?`,
          [...fx.params, ...params, ...paging],
        );
  return {
    rows: rows.map((r) => {
      const s = toStats(r);
      return {
        id: Number(r.id),
        name: r.name,
        email: r.email,
        phone: r.phone ?? null,
        tier: r.tier,
        tags: r.tags ?? [],
        ltv: s.ltv,
        ordersCount: s.ordersCount,
        lastOrderAt: s.lastOrderAt,
      };
    }),
    total,
    page: f.page,
    pages: Math.max(1, Math.ceil(total / f.pageSize)),
    baseCurrency: base,
  };
}

/** Tags in use, most used first (for the tag filter). */
export async function customerTags(em: EntityManager, limit = 100): Promise<string[]> {
  const rows = await em.execute<{ tag: string }[]>(
    'select t.tag from customer c cross join unnest(c.tags) as t(tag) group by t.tag order by count(*) desc, t.tag limit ?',
    [limit],
  );
  return rows.map((r) => r.tag);
}

/** One customer: profile, addresses, KPIs, the tier the rules give, and a page of order history (newest first). */
export async function getCustomer(em: EntityManager, id: number, opts: { base: string; page?: number; pageSize?: number }) {
  const pageSize = opts.pageSize ?? 20;
  const c = await db(em)
    .selectFrom('customer')
    .select(['id', 'email', 'name', 'phone', 'locale', 'tier', 'tags', 'addresses', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!c) return null;
  const fx = fxCte(opts.base);
  const [[stats], [returns]] = await Promise.all([
    em.execute<StatsRow[]>(`with ${fx.sql} select s.* from ${statsSql('?')} s`, [...fx.params, id]),
    db(em)
      .selectFrom('return_request as r')
      .innerJoin('sales_order as o', 'o.id', 'r.order_id')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('o.customer_id', '=', id)
      .execute(),
  ]);
  const figures = toStats(stats);
  const pages = Math.max(1, Math.ceil(figures.allOrders / pageSize));
  const page = Math.min(Math.max(1, opts.page ?? 1), pages);
  const orders = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('channel as ch', 'ch.id', 'o.channel_id')
    .select(['o.id', 'o.number', 'o.status', 'o.placed_at', 'o.currency', 'o.total_minor', 'ch.name as channel'])
    .where('o.customer_id', '=', id)
    .orderBy('o.placed_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    id: Number(c.id),
    email: c.email as string,
    name: c.name as string,
    phone: (c.phone as string | null) ?? null,
    locale: c.locale as string,
    tier: c.tier as Tier,
    tags: (c.tags as string[]) ?? [],
    addresses: (c.addresses as Address[]) ?? [],
    createdAt: new Date(c.created_at).toISOString(),
    baseCurrency: opts.base,
    stats: { ...figures, returns: Number(returns.n) },
    ruleTier: tierFor({ ltvBaseMinor: figures.ltv, orders: figures.ordersCount, baseCurrency: opts.base }),
    history: {
      page,
      pages,
      total: figures.allOrders,
      rows: orders.map((o) => ({
        id: Number(o.id),
        number: o.number as string,
        status: o.status as string,
        placedAt: new Date(o.placed_at).toISOString(),
        currency: o.currency as string,
        total: Number(o.total_minor),
        channel: o.channel as string,
      })),
    },
  };
}
export type CustomerDetail = NonNullable<Awaited<ReturnType<typeof getCustomer>>>;
