import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

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

// ---- Products, stock, margin and customer cohorts (app/modules/analytics/product-rollups.server.ts) ----

/** What one product sold in a time bucket × channel × warehouse (orders not cancelled). */
const productFigures = {
  productId: p.integer().primary(),
  channelId: p.integer().primary(),
  /** The warehouse holding the units (the order line's reservations not released); 0: none yet. */
  warehouseId: p.integer().primary(),
  /** Orders with the product, each counted once: at the warehouse holding most of its units of it. */
  orders: p.integer(),
  units: p.integer(),
  /** Line totals in the base currency at each order's own rate (before the order's discount, shipping and tax). */
  revenueBaseMinor: p.bigint('number'),
  /** Units × the unit cost recorded on the order line (OrderLine.unitCostBaseMinor); lines without one add nothing. */
  costBaseMinor: p.bigint('number'),
  /** Units whose line has no recorded cost (no supplier offered the product when it was sold). */
  uncostedUnits: p.integer(),
};

/**
 * Product sales per hour (of placed_at), recomputed from the hour's orders whenever an order in it changes
 * (the sales rollups' dirty minutes), so exact and redelivery-proof like sales_minute.
 */
export const ProductHour = defineEntity({
  name: 'ProductHour',
  tableName: 'product_hour',
  properties: { hour: p.datetime().primary(), ...productFigures },
});
export type IProductHour = InferEntity<typeof ProductHour>;

/** Product sales per business day: the sum of the day's hours, which the products and margin reports read. */
export const ProductDay = defineEntity({
  name: 'ProductDay',
  tableName: 'product_day',
  properties: { day: p.date().primary(), ...productFigures },
  // A product's last sale (dead stock), and its days in a range, without reading every product's rows.
  indexes: [{ properties: ['productId', 'day'], name: 'product_day_product_id_day_index' }],
});
export type IProductDay = InferEntity<typeof ProductDay>;

/**
 * Product sales per business day over every channel and warehouse (product_day summed by day and product): what
 * the products report reads when neither is filtered, a few dozen times fewer rows than product_day.
 */
export const ProductDayTotal = defineEntity({
  name: 'ProductDayTotal',
  tableName: 'product_day_total',
  properties: {
    day: p.date().primary(),
    productId: p.integer().primary(),
    orders: p.integer(),
    units: p.integer(),
    revenueBaseMinor: p.bigint('number'),
    costBaseMinor: p.bigint('number'),
    uncostedUnits: p.integer(),
  },
  indexes: [{ properties: ['productId', 'day'], name: 'product_day_total_product_id_day_index' }],
});
export type IProductDayTotal = InferEntity<typeof ProductDayTotal>;

/**
 * Stock on hand at the close of each business day per product × warehouse: on hand now less every ledger
 * movement after the day's end (every change to on hand is in the ledger, written at the moment it happens,
 * so a closed day never changes). Closed days are written by the refresher after midnight; today is read live.
 */
export const StockDay = defineEntity({
  name: 'StockDay',
  tableName: 'stock_day',
  properties: {
    day: p.date().primary(),
    productId: p.integer().primary(),
    warehouseId: p.integer().primary(),
    onHand: p.integer(),
  },
});
export type IStockDay = InferEntity<typeof StockDay>;

/**
 * Each order's margin (orders not cancelled), recomputed whenever the order changes (its minute is marked):
 * net revenue (its total less tax, in the base currency at the order's own rate: goods after the discount plus
 * the shipping charged), the cost of its goods as recorded on its lines at intake, and the shipping cost
 * recorded on its shipments. Margin = revenue − goods cost − shipping cost.
 */
export const OrderMargin = defineEntity({
  name: 'OrderMargin',
  tableName: 'order_margin',
  properties: {
    orderId: p.integer().primary().autoincrement(false),
    placedAt: p.datetime().index(),
    /** The business day it was placed. */
    day: p.date(),
    channelId: p.integer(),
    /** 0: not routed to one warehouse. */
    warehouseId: p.integer(),
    revenueBaseMinor: p.bigint('number'),
    goodsCostBaseMinor: p.bigint('number'),
    /** Units whose line has no recorded cost. */
    uncostedUnits: p.integer(),
    shippingCostBaseMinor: p.bigint('number'),
    parcels: p.integer(),
    /** Parcels whose carrier rule had no rate when they shipped. */
    uncostedParcels: p.integer(),
    marginBaseMinor: p.bigint('number'),
  },
  indexes: [
    { properties: ['day', 'channelId'], name: 'order_margin_day_channel_id_index' },
    // The lowest margins of a range: walked from the bottom, stopping at the page.
    { properties: ['marginBaseMinor'], name: 'order_margin_margin_base_minor_index' },
  ],
});
export type IOrderMargin = InferEntity<typeof OrderMargin>;

/**
 * Margin per business day × channel × warehouse × margin band (the orders' margin % in tens: -2 no revenue,
 * -1 below 0, 0 for 0–10 % … 5 for 50 % and more): the sum of the day's order margins.
 */
export const MarginDay = defineEntity({
  name: 'MarginDay',
  tableName: 'margin_day',
  properties: {
    day: p.date().primary(),
    channelId: p.integer().primary(),
    warehouseId: p.integer().primary(),
    band: p.smallint().primary(),
    orders: p.integer(),
    revenueBaseMinor: p.bigint('number'),
    goodsCostBaseMinor: p.bigint('number'),
    uncostedUnits: p.integer(),
    shippingCostBaseMinor: p.bigint('number'),
    parcels: p.integer(),
    uncostedParcels: p.integer(),
    /** Orders with a unit or a parcel of unknown cost. */
    incomplete: p.integer(),
  },
});
export type IMarginDay = InferEntity<typeof MarginDay>;

/**
 * A customer's orders per business month (orders not cancelled), with the customer's cohort: the month of their
 * first such order. Recomputed from the customer's orders whenever one of them changes.
 */
export const CustomerMonth = defineEntity({
  name: 'CustomerMonth',
  tableName: 'customer_month',
  properties: {
    customerId: p.integer().primary(),
    month: p.date().primary(),
    cohort: p.date(),
    orders: p.integer(),
    /** In the base currency at each order's own rate (as sales revenue). */
    revenueBaseMinor: p.bigint('number'),
  },
});
export type ICustomerMonth = InferEntity<typeof CustomerMonth>;

/** A customer's orders to date (not cancelled): their cohort, first and last order, count and revenue. Recomputed with CustomerMonth. */
export const CustomerCohort = defineEntity({
  name: 'CustomerCohort',
  tableName: 'customer_cohort',
  properties: {
    customerId: p.integer().primary().autoincrement(false),
    cohort: p.date(),
    firstOrderAt: p.datetime(),
    lastOrderAt: p.datetime(),
    orders: p.integer(),
    revenueBaseMinor: p.bigint('number'),
  },
  // The top customers: read from the top of this index.
  indexes: [
    {
      name: 'customer_cohort_revenue_index',
      expression: 'create index "customer_cohort_revenue_index" on "customer_cohort" ("revenue_base_minor" desc, "customer_id")',
    },
  ],
});
export type ICustomerCohort = InferEntity<typeof CustomerCohort>;

/**
 * Per cohort and month: the cohort's customers who ordered that month, their orders and revenue (the sum of
 * CustomerMonth). Kept by adding each recomputed customer's new rows and taking off their old ones.
 */
export const CohortMonth = defineEntity({
  name: 'CohortMonth',
  tableName: 'cohort_month',
  properties: {
    cohort: p.date().primary(),
    month: p.date().primary(),
    customers: p.integer(),
    orders: p.integer(),
    revenueBaseMinor: p.bigint('number'),
  },
});
export type ICohortMonth = InferEntity<typeof CohortMonth>;

/** Per cohort: its customers by how many orders they have placed to date (10: ten or more), and their revenue. Kept like CohortMonth. */
export const CohortFrequency = defineEntity({
  name: 'CohortFrequency',
  tableName: 'cohort_frequency',
  properties: {
    cohort: p.date().primary(),
    orders: p.smallint().primary(),
    customers: p.integer(),
    revenueBaseMinor: p.bigint('number'),
  },
});
export type ICohortFrequency = InferEntity<typeof CohortFrequency>;
