import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PROCESSING_BOUNDS_HOURS, PROCESSING_STAGES } from './constants.ts';

/** The figures of a rollup row: orders placed in its time bucket × channel × warehouse × country. */
const figures = {
  channelId: p.integer().primary(),
  /** 0: not routed to one warehouse (split, or not yet). */
  warehouseId: p.integer().primary(),
  country: p.string().length(2).primary(),
  /** Orders placed (cancelled included). */
  orders: p.integer(),
  cancelled: p.integer(),
  /** Of orders not cancelled: units, revenue and discounts in the base currency at each order's own rate. */
  units: p.integer(),
  revenueBaseMinor: p.bigint('number'),
  discountBaseMinor: p.bigint('number'),
  /** Of the orders placed in the bucket: how many are on hold, shipped, and shipped after their promised date. */
  held: p.integer(),
  shipped: p.integer(),
  shippedLate: p.integer(),
  /** Sum of placed → first shipment seconds of the shipped ones (their mean is this over `shipped`). */
  shipSeconds: p.bigint('number'),
};

/**
 * Sales per minute (of placed_at): the fine rollup, recomputed from the base tables whenever an order of
 * that minute changes (see AnalyticsDirtyMinute), so it is exact and redelivery-proof by construction.
 * Kept by app/modules/analytics/rollups.server.ts.
 */
export const SalesMinute = defineEntity({
  name: 'SalesMinute',
  tableName: 'sales_minute',
  properties: { minute: p.datetime().primary(), ...figures },
});
export type ISalesMinute = InferEntity<typeof SalesMinute>;

/** Sales per hour: the sum of the hour's minutes, which dashboards and reports read. */
export const SalesHour = defineEntity({
  name: 'SalesHour',
  tableName: 'sales_hour',
  properties: { hour: p.datetime().primary(), ...figures },
});
export type ISalesHour = InferEntity<typeof SalesHour>;

/**
 * Sales per day in the business's time zone (BUSINESS_TIME_ZONE): the sum of the day's hours, which reports
 * over weeks, months and years read. A change of time zone needs `npm run analytics:rebuild`.
 */
export const SalesDay = defineEntity({
  name: 'SalesDay',
  tableName: 'sales_day',
  properties: { day: p.date().primary(), ...figures },
});
export type ISalesDay = InferEntity<typeof SalesDay>;

/** Minutes whose rollup rows are stale: written by statement triggers on sales_order, taken by the refresher. */
export const AnalyticsDirtyMinute = defineEntity({
  name: 'AnalyticsDirtyMinute',
  tableName: 'analytics_dirty_minute',
  properties: { minute: p.datetime().primary() },
});
export type IAnalyticsDirtyMinute = InferEntity<typeof AnalyticsDirtyMinute>;

/** Minutes whose sales rollups are recomputed and whose fulfilment and facet rollups are still to be (the refresher's second step). */
export const OpsDirtyMinute = defineEntity({
  name: 'OpsDirtyMinute',
  tableName: 'ops_dirty_minute',
  properties: { minute: p.datetime().primary() },
});

/** A user's own dashboard: which of their role's tiles show, in which order (none: the role's default). */
export const DashboardLayout = defineEntity({
  name: 'DashboardLayout',
  tableName: 'dashboard_layout',
  properties: {
    userId: p.integer().primary().autoincrement(false),
    tiles: p.json<string[]>(),
    updatedAt: p.datetime(),
  },
});
export type IDashboardLayout = InferEntity<typeof DashboardLayout>;

// ---- The fulfilment, returns and payment-method reports (app/modules/analytics/ops-rollups.server.ts) ----

/** One count per processing stage and histogram bucket (ship_h0 … total_h17): see app/modules/analytics/histogram.ts. */
const histogram = Object.fromEntries(
  PROCESSING_STAGES.flatMap((stage) =>
    Array.from({ length: PROCESSING_BOUNDS_HOURS.length + 1 }, (_, k) => [`${stage}H${k}`, p.integer().fieldName(`${stage}_h${k}`)] as const),
  ),
) as Record<`${(typeof PROCESSING_STAGES)[number]}H${HistogramBucket}`, ReturnType<typeof p.integer>>;
/** The bucket numbers (PROCESSING_BOUNDS_HOURS has 17 edges: 18 buckets), spelt out so the entity's type names each column. */
type HistogramBucket = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17;

/** Of the orders placed in the bucket × channel × warehouse × country: how their fulfilment went. */
const fulfilFigures = {
  channelId: p.integer().primary(),
  warehouseId: p.integer().primary(),
  country: p.string().length(2).primary(),
  orders: p.integer(),
  cancelled: p.integer(),
  /** With a shipment shipped; of those, with a promised date, and shipped after it. */
  shipped: p.integer(),
  shipPromised: p.integer(),
  shipLate: p.integer(),
  /** Every shipment delivered; of those, with a promised date, and delivered (the last parcel) after it. */
  delivered: p.integer(),
  deliverPromised: p.integer(),
  deliverLate: p.integer(),
  /** Held at some point (sales_order.hold_history), and with a failed payment attempt. */
  held: p.integer(),
  payFailed: p.integer(),
  ...histogram,
};

/** Fulfilment of the orders placed per minute: recomputed from the base tables whenever one of them changes. */
export const FulfilMinute = defineEntity({
  name: 'FulfilMinute',
  tableName: 'fulfil_minute',
  properties: { minute: p.datetime().primary(), ...fulfilFigures },
});
/** Fulfilment per hour: the sum of its minutes. */
export const FulfilHour = defineEntity({
  name: 'FulfilHour',
  tableName: 'fulfil_hour',
  properties: { hour: p.datetime().primary(), ...fulfilFigures },
});
/** Fulfilment per business day: the sum of its hours, which the reports read. */
export const FulfilDay = defineEntity({
  name: 'FulfilDay',
  tableName: 'fulfil_day',
  properties: { day: p.date().primary(), ...fulfilFigures },
});

/** Fulfilment per month (its first day): the sum of its days, kept by difference as days are recomputed; reports over whole months read it. */
export const FulfilMonth = defineEntity({
  name: 'FulfilMonth',
  tableName: 'fulfil_month',
  properties: { month: p.date().primary(), ...fulfilFigures },
});

/**
 * Figures broken down by one facet and its key, per time × channel × warehouse × country:
 * - of the orders placed: `hold` (reason: orders ever held for it), `cancel` (the reason given, digits
 *   folded to #: orders), `payment` (the order's payment method: orders, units, revenue of those not
 *   cancelled, orders with a failed attempt), `sold` (SKU: orders and units, not cancelled);
 * - of the returns opened (not rejected or expired), by when they were opened: `return_reason`,
 *   `return_resolution` (refund / exchange) and `return_sku` (returns and units).
 */
const facetFigures = {
  facet: p.string().length(24).primary(),
  key: p.string().primary(),
  channelId: p.integer().primary(),
  warehouseId: p.integer().primary(),
  country: p.string().length(2).primary(),
  orders: p.integer(),
  units: p.integer(),
  amountBaseMinor: p.bigint('number'),
  failed: p.integer(),
};

export const OpsFacetMinute = defineEntity({
  name: 'OpsFacetMinute',
  tableName: 'ops_facet_minute',
  properties: { minute: p.datetime().primary(), ...facetFigures },
});
export const OpsFacetHour = defineEntity({
  name: 'OpsFacetHour',
  tableName: 'ops_facet_hour',
  properties: { hour: p.datetime().primary(), ...facetFigures },
});
/** Per business day; the facet leads its key, since reports read one facet over a range of days. */
export const OpsFacetDay = defineEntity({
  name: 'OpsFacetDay',
  tableName: 'ops_facet_day',
  properties: (({ facet, ...rest }) => ({ facet, day: p.date().primary(), ...rest }))(facetFigures),
});

/** Facets per month (its first day): the sum of its days, kept by difference as days are recomputed. */
export const OpsFacetMonth = defineEntity({
  name: 'OpsFacetMonth',
  tableName: 'ops_facet_month',
  properties: (({ facet, ...rest }) => ({ facet, month: p.date().primary(), ...rest }))(facetFigures),
});
