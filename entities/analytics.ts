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
