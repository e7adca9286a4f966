import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { SERVICE_TIME_BUCKETS, STEP_TIME_BUCKETS } from './constants.ts';

export { SERVICE_TIME_BUCKETS, SERVICE_TIME_EDGES_MINUTES, STEP_TIME_BUCKETS, STEP_TIME_EDGES_MS } from './constants.ts';
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

/** A user's own dashboard: which of their role's tiles show, in which order and size (none: the role's default). */
export const DashboardLayout = defineEntity({
  name: 'DashboardLayout',
  tableName: 'dashboard_layout',
  properties: {
    userId: p.integer().primary().autoincrement(false),
    tiles: p.json<string[]>(),
    /** tile → 's' | 'm' | 'l'; a tile not named is 'm'. */
    sizes: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    updatedAt: p.datetime(),
  },
});
export type IDashboardLayout = InferEntity<typeof DashboardLayout>;

/** Property names of a histogram's bucket columns: frtH00 … frtH43 (column frt_h00 …). */
export const histogramKeys = (prefix: 'frt' | 'res') => Array.from({ length: SERVICE_TIME_BUCKETS }, (_, i) => `${prefix}H${String(i).padStart(2, '0')}`);
const histogram = (prefix: 'frt' | 'res') =>
  Object.fromEntries(histogramKeys(prefix).map((k) => [k, p.integer()])) as Record<string, ReturnType<typeof p.integer>>;

/** The figures of the service rollups (without the histograms): counts and sums. */
const serviceFigures = {
  created: p.integer(),
  /** Solved (or closed unsolved) on the day. */
  solved: p.integer(),
  /** First agent reply on the day. */
  responded: p.integer(),
  frtSeconds: p.bigint('number'),
  resSeconds: p.bigint('number'),
  /** Of those responded / solved: how many had an SLA policy, and of those how many breached the target. */
  frtSla: p.integer(),
  frtSlaMissed: p.integer(),
  resSla: p.integer(),
  resSlaMissed: p.integer(),
  /** Ratings given on the day, by stars. */
  csat1: p.integer(),
  csat2: p.integer(),
  csat3: p.integer(),
  csat4: p.integer(),
  csat5: p.integer(),
};

/**
 * The service desk per business day × ticket channel × team (0: none) × priority, each figure counted on
 * the day it happened: tickets created (on creation), first responses (on the first agent reply: count,
 * summed seconds, histogram, SLA), resolutions (on solving, or closing unsolved: count, summed seconds,
 * histogram, SLA) and ratings (on rating). Merged tickets are left out. Times are wall-clock seconds from the
 * ticket's creation; an SLA target counts as missed when its breach fired (ticket_sla_event). Recomputed
 * from the tickets whenever one of the day's changes (ServiceDirtyMinute), so it is exact and idempotent;
 * kept by app/modules/analytics/service-rollups.server.ts.
 */
export const ServiceDay = defineEntity({
  name: 'ServiceDay',
  tableName: 'service_day',
  properties: {
    day: p.date().primary(),
    channel: p.string().length(16).primary(),
    /** 0: no team. */
    teamId: p.integer().primary(),
    priority: p.string().length(16).primary(),
    ...serviceFigures,
    ...histogram('frt'),
    ...histogram('res'),
  },
});
export type IServiceDay = InferEntity<typeof ServiceDay>;

/**
 * The same figures per assignee (0: nobody) too, without the histograms: the report's table by agent. Kept
 * apart so that service_day, which every other figure reads, stays a few rows a day per channel, team and
 * priority however many agents there are.
 */
export const ServiceAgentDay = defineEntity({
  name: 'ServiceAgentDay',
  tableName: 'service_agent_day',
  properties: {
    day: p.date().primary(),
    channel: p.string().length(16).primary(),
    teamId: p.integer().primary(),
    priority: p.string().length(16).primary(),
    assigneeId: p.integer().primary(),
    ...serviceFigures,
  },
});
export type IServiceAgentDay = InferEntity<typeof ServiceAgentDay>;

/** Tickets created per business day × channel × team × priority × tag ('' untagged): the contact reasons. */
export const ServiceDayTag = defineEntity({
  name: 'ServiceDayTag',
  tableName: 'service_day_tag',
  properties: {
    day: p.date().primary(),
    channel: p.string().length(16).primary(),
    teamId: p.integer().primary(),
    priority: p.string().length(16).primary(),
    tag: p.text().primary(),
    tickets: p.integer(),
  },
});
export type IServiceDayTag = InferEntity<typeof ServiceDayTag>;

/** The same over every channel, team and priority (what the unfiltered contact reasons read). */
export const ServiceDayTagTotal = defineEntity({
  name: 'ServiceDayTagTotal',
  tableName: 'service_day_tag_total',
  properties: {
    day: p.date().primary(),
    tag: p.text().primary(),
    tickets: p.integer(),
  },
});

/** Minutes whose tickets changed (created, answered, solved, rated, breached, moved): their business days are recomputed. */
export const ServiceDirtyMinute = defineEntity({
  name: 'ServiceDirtyMinute',
  tableName: 'service_dirty_minute',
  properties: { minute: p.datetime().primary() },
});
export type IServiceDirtyMinute = InferEntity<typeof ServiceDirtyMinute>;

/** Property names of the step histogram's bucket columns: h00 … h53. */
export const stepHistogramKeys = () => Array.from({ length: STEP_TIME_BUCKETS }, (_, i) => `h${String(i).padStart(2, '0')}`);

/**
 * Flow runs per business day they started × definition × version (0: none left) × status, with the summed
 * milliseconds of those that ended. Recomputed from workflow_run whenever a run of that day changes
 * (WorkflowDirtyMinute); kept by app/modules/analytics/workflow-rollups.server.ts.
 */
export const WorkflowDay = defineEntity({
  name: 'WorkflowDay',
  tableName: 'workflow_day',
  properties: {
    day: p.date().primary(),
    definitionId: p.integer().primary(),
    versionId: p.integer().primary(),
    status: p.string().length(16).primary(),
    runs: p.integer(),
    /** Of the runs that ended: how many, and their start → end milliseconds summed. */
    ended: p.integer(),
    ms: p.bigint('number'),
  },
});
export type IWorkflowDay = InferEntity<typeof WorkflowDay>;

/**
 * Finished steps (an end time recorded: done, failed, compensated, skipped, cancelled, terminated) of the runs
 * started on a business day × definition × version × node × status: how many, their summed milliseconds
 * (the latest visit's start → end), and a histogram of them for percentiles (STEP_TIME_EDGES_MS).
 */
export const WorkflowStepDay = defineEntity({
  name: 'WorkflowStepDay',
  tableName: 'workflow_step_day',
  properties: {
    day: p.date().primary(),
    definitionId: p.integer().primary(),
    versionId: p.integer().primary(),
    nodeId: p.string().primary(),
    status: p.string().length(16).primary(),
    steps: p.integer(),
    ms: p.bigint('number'),
    ...(Object.fromEntries(stepHistogramKeys().map((k) => [k, p.integer()])) as Record<string, ReturnType<typeof p.integer>>),
  },
});
export type IWorkflowStepDay = InferEntity<typeof WorkflowStepDay>;

/** Minutes in which runs that changed (or whose steps did) started: their business days are recomputed. */
export const WorkflowDirtyMinute = defineEntity({
  name: 'WorkflowDirtyMinute',
  tableName: 'workflow_dirty_minute',
  properties: { minute: p.datetime().primary() },
});
export type IWorkflowDirtyMinute = InferEntity<typeof WorkflowDirtyMinute>;
// ---- The fulfilment, returns and payment-method reports (app/modules/analytics/ops-rollups.server.ts) ----

/** One count per processing stage and histogram bucket (ship_h0 … total_h17): see app/modules/analytics/histogram.ts. */
const processingHistogram = Object.fromEntries(
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
  ...processingHistogram,
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

/** A facet's figures per business day summed over channel, warehouse and country (what unfiltered reports read). */
const facetTotals = (({ channelId: _c, warehouseId: _w, country: _n, ...rest }) => rest)(facetFigures);
export const OpsFacetDayTotal = defineEntity({
  name: 'OpsFacetDayTotal',
  tableName: 'ops_facet_day_total',
  properties: (({ facet, ...rest }) => ({ facet, day: p.date().primary(), ...rest }))(facetTotals),
});
/** The same per month (its first day). */
export const OpsFacetMonthTotal = defineEntity({
  name: 'OpsFacetMonthTotal',
  tableName: 'ops_facet_month_total',
  properties: (({ facet, ...rest }) => ({ facet, month: p.date().primary(), ...rest }))(facetTotals),
});

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
