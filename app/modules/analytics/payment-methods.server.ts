// Payment methods on the sales report: per method (the order's payment method), the share of the orders
// placed in a range and of their revenue (orders not cancelled, base currency, as the sales figures count
// it), and how many orders had a failed payment attempt. Read from ops_facet_day (facet `payment`).
// On the sales page rather than the fulfilment one because of the revenue: the fulfilment report, which
// warehouse staff read, shows the failures per method without money.
import type { EntityManager } from '@mikro-orm/postgresql';
import { facetSums, ratio } from './fulfilment-report.server.ts';
import type { ReportFilters } from './reports.server.ts';

export interface PaymentMethodRow {
  method: string;
  orders: number;
  orderShare: number | null;
  /** Revenue of the orders not cancelled, base-currency minor units. */
  revenue: number;
  revenueShare: number | null;
  /** Orders with a failed payment attempt, and their share of the method's orders. */
  failed: number;
  failureRate: number | null;
}

export async function paymentMethods(em: EntityManager, from: string, to: string, f: ReportFilters): Promise<PaymentMethodRow[]> {
  const rows = await facetSums(em, ['payment'], from, to, f);
  const orders = rows.reduce((n, r) => n + r.orders, 0);
  const revenue = rows.reduce((n, r) => n + r.amount, 0);
  return rows
    .map((r) => ({
      method: r.key,
      orders: r.orders,
      orderShare: ratio(r.orders, orders),
      revenue: r.amount,
      revenueShare: ratio(r.amount, revenue),
      failed: r.failed,
      failureRate: ratio(r.failed, r.orders),
    }))
    .sort((a, b) => b.revenue - a.revenue || b.orders - a.orders || a.method.localeCompare(b.method));
}
