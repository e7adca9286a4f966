// Customer cohorts on the customers report (/analytics/customers), from the cohort rollups (cohort-rollups.server.ts).
// A customer's cohort is the business month of their first order not cancelled; months are business months
// (BUSINESS_TIME_ZONE); orders are orders not cancelled; revenue is each order's total in the base currency at its
// own exchange rate (as the sales report counts it).
// - new vs returning, per month: customers who ordered that month, new (their first order was that month) or
//   returning (they had ordered before), with their orders and revenue;
// - retention: per cohort, the share of its customers who ordered again in month +1, +2, … after their first;
// - purchase frequency: the cohorts' customers by the number of orders they have placed to date;
// - top customers: by revenue to date.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { MAX_FREQUENCY } from './cohort-rollups.server.ts';
import { COHORT_MONTHS } from './cohorts.ts';
/** Months after the first shown in the retention table at most. */
const RETENTION_OFFSETS = 12;
const TOP = 20;

export const CohortQuery = z.object({
  months: z.coerce
    .number()
    .int()
    .refine((n) => (COHORT_MONTHS as readonly number[]).includes(n))
    .catch(12),
});
export type CohortQuery = z.infer<typeof CohortQuery>;

export interface CohortReport {
  /** The months shown, oldest first (YYYY-MM-01), ending with the current business month. */
  months: string[];
  newVsReturning: {
    month: string;
    newCustomers: number;
    returningCustomers: number;
    newOrders: number;
    returningOrders: number;
    newRevenue: number;
    returningRevenue: number;
  }[];
  retention: { cohort: string; customers: number; active: (number | null)[] }[];
  offsets: number;
  frequency: { orders: number; customers: number; revenue: number }[];
  maxFrequency: number;
  top: { customerId: number; name: string; email: string; cohort: string; orders: number; revenue: number; lastOrderAt: string }[];
}

/** The month `n` months after `month` (YYYY-MM-01). */
export const addMonths = (month: string, n: number) => {
  const d = new Date(`${month.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
};

/** The cohort report for the last `months` business months up to the one `todayIso` is in. */
export async function cohortReport(em: EntityManager, q: CohortQuery, todayIso: string): Promise<CohortReport> {
  const last = `${todayIso.slice(0, 7)}-01`;
  const first = addMonths(last, -(q.months - 1));
  const months = Array.from({ length: q.months }, (_, i) => addMonths(first, i));
  const [cells, freq, top] = await Promise.all([
    // Every cell whose month is in the range: the cohorts of the range and the older ones ordering in it.
    em.execute<{ cohort: string; month: string; customers: number; orders: number; revenue: string }[]>(
      `select to_char(cohort, 'YYYY-MM-DD') as cohort, to_char(month, 'YYYY-MM-DD') as month, customers, orders, revenue_base_minor as revenue
         from cohort_month where month >= ?::date and month <= ?::date`,
      [first, last],
    ),
    em.execute<{ orders: number; customers: string; revenue: string }[]>(
      `select orders, sum(customers) as customers, sum(revenue_base_minor) as revenue from cohort_frequency
        where cohort >= ?::date and cohort <= ?::date group by orders order by orders`,
      [first, last],
    ),
    em.execute<{ customer_id: number; name: string; email: string; cohort: string; orders: number; revenue: string; last_order_at: Date }[]>(
      `select t.customer_id, c.name, c.email, to_char(t.cohort, 'YYYY-MM-DD') as cohort, t.orders, t.revenue_base_minor as revenue, t.last_order_at
         from (select * from customer_cohort order by revenue_base_minor desc, customer_id limit ${TOP}) t join customer c on c.id = t.customer_id
        order by t.revenue_base_minor desc, t.customer_id`,
    ),
  ]);
  const newVsReturning = months.map((month) => {
    const xs = cells.filter((c) => c.month === month);
    const mine = xs.filter((c) => c.cohort === month);
    const older = xs.filter((c) => c.cohort < month);
    const sum = (ys: typeof xs, f: (c: (typeof xs)[number]) => number) => ys.reduce((n, c) => n + f(c), 0);
    return {
      month,
      newCustomers: sum(mine, (c) => Number(c.customers)),
      returningCustomers: sum(older, (c) => Number(c.customers)),
      newOrders: sum(mine, (c) => Number(c.orders)),
      returningOrders: sum(older, (c) => Number(c.orders)),
      newRevenue: sum(mine, (c) => Number(c.revenue)),
      returningRevenue: sum(older, (c) => Number(c.revenue)),
    };
  });
  const offsets = Math.min(RETENTION_OFFSETS, q.months - 1);
  const retention = months.map((cohort) => {
    const at = (month: string) => Number(cells.find((c) => c.cohort === cohort && c.month === month)?.customers ?? 0);
    // Offsets not reached yet (in the future) are null, not 0.
    return {
      cohort,
      customers: at(cohort),
      active: Array.from({ length: offsets }, (_, k) => (addMonths(cohort, k + 1) > last ? null : at(addMonths(cohort, k + 1)))),
    };
  });
  return {
    months,
    newVsReturning,
    retention,
    offsets,
    frequency: Array.from({ length: MAX_FREQUENCY }, (_, i) => {
      const f = freq.find((x) => Number(x.orders) === i + 1);
      return { orders: i + 1, customers: Number(f?.customers ?? 0), revenue: Number(f?.revenue ?? 0) };
    }),
    maxFrequency: MAX_FREQUENCY,
    top: top.map((t) => ({
      customerId: Number(t.customer_id),
      name: t.name,
      email: t.email,
      cohort: t.cohort,
      orders: Number(t.orders),
      revenue: Number(t.revenue),
      lastOrderAt: new Date(t.last_order_at).toISOString(),
    })),
  };
}
