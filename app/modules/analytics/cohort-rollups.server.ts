// The customer cohort rollups, kept by the same refresher as the sales rollups (rollups.server.ts):
// - customer_month and customer_cohort: each customer whose order is in a marked minute is recomputed from all
//   their orders (not cancelled): per business month, and to date; the cohort is the month of the first one;
// - cohort_month and cohort_frequency are sums over customers: each recomputed customer's old rows (as stored)
//   are taken off and the new ones added, in the same transaction, so the sums stay exactly the sums of what is
//   stored, and a customer recomputed again with nothing changed changes nothing. The refresher runs one batch at
//   a time (an advisory lock), so no two batches recompute one customer at once.
// The rebuild computes all four from the orders in one pass each.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RollupOptions } from './rollups.server.ts';
import { fxCte } from '../customers/queries.server.ts';
import { BASE_TOTAL, timestamps } from './rollup-sql.ts';

/** Orders counted to date at most (a customer with more counts here). */
export const MAX_FREQUENCY = 10;
const COUNTED = `o.status <> 'cancelled'`;

interface Contribution {
  cohort: string;
  month?: string;
  orders: number;
  revenue_base_minor: string | number;
}

/** SQL selecting each customer's months (customer_id, month, cohort, orders, revenue) from their orders; `where` narrows the orders. */
const monthsSql = (where: string) => `
  select customer_id, month, min(month) over (partition by customer_id) as cohort, orders, revenue
    from (select o.customer_id, date_trunc('month', o.placed_at at time zone ?)::date as month, count(*) as orders, sum(${BASE_TOTAL}) as revenue
            from sales_order o left join fx on fx.currency = o.currency
           where ${COUNTED}${where}
           group by 1, 2) m`;
/** SQL selecting each customer's orders to date (customer_id, cohort, first, last, orders, revenue). */
const totalsSql = (where: string) => `
  select o.customer_id, date_trunc('month', min(o.placed_at) at time zone ?)::date as cohort, min(o.placed_at) as first, max(o.placed_at) as last,
         count(*) as orders, sum(${BASE_TOTAL}) as revenue
    from sales_order o left join fx on fx.currency = o.currency
   where ${COUNTED}${where}
   group by o.customer_id`;

/** Recomputes the customers with an order placed in these minutes (in em's transaction). */
export async function recomputeCustomersOf(em: EntityManager, minutes: Date[], opts: RollupOptions): Promise<void> {
  if (!minutes.length) return;
  const rows = await em.execute<{ customer_id: number }[]>(
    `select distinct o.customer_id from unnest(?::timestamptz[]) as d(m) join sales_order o on o.placed_at >= d.m and o.placed_at < d.m + interval '1 minute'`,
    [timestamps(minutes)],
  );
  await recomputeCustomers(
    em,
    rows.map((r) => Number(r.customer_id)),
    opts,
  );
}

/** Recomputes these customers' months and totals from their orders, and moves the cohort sums by the difference. */
export async function recomputeCustomers(em: EntityManager, customerIds: number[], { baseCurrency, timeZone }: RollupOptions): Promise<void> {
  if (!customerIds.length) return;
  const ids = `{${customerIds.join(',')}}`;
  const fx = fxCte(baseCurrency);
  const oldMonths = await em.execute<Contribution[]>(
    `delete from customer_month where customer_id = any(?::int[]) returning to_char(cohort, 'YYYY-MM-DD') as cohort, to_char(month, 'YYYY-MM-DD') as month, orders, revenue_base_minor`,
    [ids],
  );
  const oldTotals = await em.execute<Contribution[]>(
    `delete from customer_cohort where customer_id = any(?::int[]) returning to_char(cohort, 'YYYY-MM-DD') as cohort, orders, revenue_base_minor`,
    [ids],
  );
  const newMonths = await em.execute<Contribution[]>(
    `with ${fx.sql}
     insert into customer_month (customer_id, month, cohort, orders, revenue_base_minor)
     select customer_id, month, cohort, orders, revenue from (${monthsSql(' and o.customer_id = any(?::int[])')}) x
     returning to_char(cohort, 'YYYY-MM-DD') as cohort, to_char(month, 'YYYY-MM-DD') as month, orders, revenue_base_minor`,
    [...fx.params, timeZone, ids],
  );
  const newTotals = await em.execute<Contribution[]>(
    `with ${fx.sql}
     insert into customer_cohort (customer_id, cohort, first_order_at, last_order_at, orders, revenue_base_minor)
     select customer_id, cohort, first, last, orders, revenue from (${totalsSql(' and o.customer_id = any(?::int[])')}) x
     returning to_char(cohort, 'YYYY-MM-DD') as cohort, orders, revenue_base_minor`,
    [...fx.params, timeZone, ids],
  );

  // The sums move by what changed: old rows off, new rows on.
  const cells = new Map<string, { cohort: string; month: string; customers: number; orders: number; revenue: number }>();
  const move = (r: Contribution, sign: 1 | -1) => {
    const key = `${r.cohort}|${r.month}`;
    const c = cells.get(key) ?? { cohort: r.cohort, month: r.month!, customers: 0, orders: 0, revenue: 0 };
    c.customers += sign;
    c.orders += sign * Number(r.orders);
    c.revenue += sign * Number(r.revenue_base_minor);
    cells.set(key, c);
  };
  for (const r of oldMonths) move(r, -1);
  for (const r of newMonths) move(r, 1);
  const freq = new Map<string, { cohort: string; orders: number; customers: number; revenue: number }>();
  const count = (r: Contribution, sign: 1 | -1) => {
    const orders = Math.min(Number(r.orders), MAX_FREQUENCY);
    const key = `${r.cohort}|${orders}`;
    const f = freq.get(key) ?? { cohort: r.cohort, orders, customers: 0, revenue: 0 };
    f.customers += sign;
    f.revenue += sign * Number(r.revenue_base_minor);
    freq.set(key, f);
  };
  for (const r of oldTotals) count(r, -1);
  for (const r of newTotals) count(r, 1);

  const changed = [...cells.values()].filter((c) => c.customers || c.orders || c.revenue);
  if (changed.length) {
    const arr = <T>(xs: T[]) => `{${xs.join(',')}}`;
    await em.execute(
      `insert into cohort_month (cohort, month, customers, orders, revenue_base_minor)
       select * from unnest(?::date[], ?::date[], ?::int[], ?::int[], ?::bigint[])
       on conflict (cohort, month) do update set customers = cohort_month.customers + excluded.customers, orders = cohort_month.orders + excluded.orders,
         revenue_base_minor = cohort_month.revenue_base_minor + excluded.revenue_base_minor`,
      [
        arr(changed.map((c) => c.cohort)),
        arr(changed.map((c) => c.month)),
        arr(changed.map((c) => c.customers)),
        arr(changed.map((c) => c.orders)),
        arr(changed.map((c) => c.revenue)),
      ],
    );
    await em.execute(`delete from cohort_month where customers = 0 and (cohort, month) in (select * from unnest(?::date[], ?::date[]))`, [
      arr(changed.map((c) => c.cohort)),
      arr(changed.map((c) => c.month)),
    ]);
  }
  const moved = [...freq.values()].filter((f) => f.customers || f.revenue);
  if (moved.length) {
    const arr = <T>(xs: T[]) => `{${xs.join(',')}}`;
    await em.execute(
      `insert into cohort_frequency (cohort, orders, customers, revenue_base_minor)
       select * from unnest(?::date[], ?::smallint[], ?::int[], ?::bigint[])
       on conflict (cohort, orders) do update set customers = cohort_frequency.customers + excluded.customers,
         revenue_base_minor = cohort_frequency.revenue_base_minor + excluded.revenue_base_minor`,
      [arr(moved.map((f) => f.cohort)), arr(moved.map((f) => f.orders)), arr(moved.map((f) => f.customers)), arr(moved.map((f) => f.revenue))],
    );
    await em.execute(`delete from cohort_frequency where customers = 0 and (cohort, orders) in (select * from unnest(?::date[], ?::smallint[]))`, [
      arr(moved.map((f) => f.cohort)),
      arr(moved.map((f) => f.orders)),
    ]);
  }
}

/** Computes the four cohort tables afresh from every order (the rebuild), in em's transaction. */
export async function rebuildCohorts(em: EntityManager, { baseCurrency, timeZone }: RollupOptions): Promise<void> {
  const fx = fxCte(baseCurrency);
  await em.execute('truncate customer_month, customer_cohort, cohort_month, cohort_frequency');
  await em.execute(
    `with ${fx.sql} insert into customer_month (customer_id, month, cohort, orders, revenue_base_minor) select customer_id, month, cohort, orders, revenue from (${monthsSql('')}) x`,
    [...fx.params, timeZone],
  );
  await em.execute(
    `with ${fx.sql}
     insert into customer_cohort (customer_id, cohort, first_order_at, last_order_at, orders, revenue_base_minor)
     select customer_id, cohort, first, last, orders, revenue from (${totalsSql('')}) x`,
    [...fx.params, timeZone],
  );
  await em.execute(
    `insert into cohort_month (cohort, month, customers, orders, revenue_base_minor)
     select cohort, month, count(*), sum(orders), sum(revenue_base_minor) from customer_month group by cohort, month`,
  );
  await em.execute(
    `insert into cohort_frequency (cohort, orders, customers, revenue_base_minor)
     select cohort, least(orders, ${MAX_FREQUENCY}), count(*), sum(revenue_base_minor) from customer_cohort group by 1, 2`,
  );
}
