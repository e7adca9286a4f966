import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Channel, Product, Warehouse } from './catalog.ts';
import { Customer, type Address } from './customers.ts';

import { DELIVERY_METHODS, ORDER_STATUSES } from './constants.ts';

export { DELIVERY_METHODS, ORDER_STATUSES, type DeliveryMethod, type OrderStatus } from './constants.ts';

export const Order = defineEntity({
  name: 'Order',
  tableName: 'sales_order',
  properties: {
    id: p.integer().primary().autoincrement(),
    /**
     * SO-000123, from the order_number_seq sequence: at least six digits, more past SO-999999 (lpad would cut
     * them to six and repeat numbers). Written as Postgres normalises it, so schema diffs stay empty.
     */
    number: p.string().unique().defaultRaw(`('SO-'::text || to_char(nextval('order_number_seq'::regclass), 'FM999999999000000'::text))`),
    channel: () => p.manyToOne(Channel),
    externalId: p.string(),
    customer: () => p.manyToOne(Customer),
    /** The buyer's name as the order gave it (the customer record is not renamed by orders); null on orders from before it was kept. */
    customerName: p.string().nullable(),
    currency: p.string().length(3),
    subtotalMinor: p.integer(),
    shippingMinor: p.integer().default(0),
    taxMinor: p.integer().default(0),
    /** Tax already inside the line prices (VAT-style) is shown but not added again. */
    taxIncluded: p.boolean().default(false),
    discountMinor: p.integer().default(0),
    totalMinor: p.integer(),
    /** The total in the base currency at the order's own exchange rate when it was taken (what revenue figures add up). */
    totalBaseMinor: p.integer().nullable(),
    status: p.enum(ORDER_STATUSES),
    /** Why the order waits for a person (high_value, new_customer_express, address_without_coordinates, ...). */
    holdReasons: p.array().default([]),
    /** Every reason the order has ever been held for (holdReasons empties on release); kept by the trigger sales_order_hold_history. */
    holdHistory: p.array().default([]),
    /** The reason given when the order was cancelled ('' when none was); null while it is not cancelled. */
    cancelReason: p.text().nullable(),
    paymentMethod: p.string(),
    /** The gateway's token for the buyer's card, as the channel sent it (never a card number). */
    paymentToken: p.string().nullable(),
    deliveryMethod: p.enum(DELIVERY_METHODS).default('standard'),
    /** Unguessable token for the public tracking page. */
    trackingToken: p.string().length(32).unique().defaultRaw(`replace((gen_random_uuid())::text, '-'::text, ''::text)`),
    shippingAddress: p.json<Address>(),
    warehouse: () => p.manyToOne(Warehouse).nullable().index(),
    promisedBy: p.datetime().nullable(),
    placedAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    lines: () => p.oneToMany(OrderLine).mappedBy('order'),
    reservations: () => p.oneToMany(Reservation).mappedBy('order'),
  },
  uniques: [{ properties: ['channel', 'externalId'] }],
  // The order list: each filter leads an index that then walks the default sort (placed_at, id), so a
  // filtered first page and every next page (keyset) read only the rows shown. Text search by trigrams.
  indexes: [
    { properties: ['placedAt', 'id'], name: 'sales_order_placed_at_id_index' },
    { properties: ['status', 'placedAt', 'id'], name: 'sales_order_status_placed_at_id_index' },
    { properties: ['channel', 'placedAt', 'id'], name: 'sales_order_channel_placed_at_id_index' },
    { properties: ['customer', 'placedAt', 'id'], name: 'sales_order_customer_placed_at_id_index' },
    { properties: ['totalMinor', 'id'], name: 'sales_order_total_minor_id_index' },
    // The dashboard's "late" tile and the orders list's late filter: orders not shipped, by promised date.
    {
      name: 'sales_order_unshipped_promised_by_index',
      expression: `create index "sales_order_unshipped_promised_by_index" on "sales_order" ("promised_by") where "status" in ('received', 'validated', 'on_hold', 'awaiting_payment', 'paid', 'allocated', 'picking', 'packed')`,
    },
    {
      name: 'sales_order_search_trgm_index',
      expression: 'create index "sales_order_search_trgm_index" on "sales_order" using gin ("number" gin_trgm_ops, "external_id" gin_trgm_ops)',
    },
  ],
  // Marks the minutes an order change touches for the analytics refresher (migration
  // Migration20261206140000_analytics_rollups holds the function): once per statement, with the statement's rows.
  triggers: [
    {
      name: 'sales_order_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "sales_order_dirty_insert" after insert on "sales_order" referencing new table as new_rows for each statement execute function "sales_order_mark_dirty_fn"()',
    },
    {
      name: 'sales_order_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "sales_order_dirty_update" after update on "sales_order" referencing old table as old_rows new table as new_rows for each statement execute function "sales_order_mark_dirty_fn"()',
    },
    // Keeps hold_history (migration Migration20261207113000_ops_rollups holds the function).
    {
      name: 'sales_order_hold_history',
      timing: 'before',
      events: ['insert', 'update'],
      forEach: 'row',
      expression:
        'create trigger "sales_order_hold_history" before insert or update of "hold_reasons" on "sales_order" for each row when (cardinality(new.hold_reasons) > 0) execute function "sales_order_hold_history_fn"()',
    },
  ],
});
export type IOrder = InferEntity<typeof Order>;

export const OrderLine = defineEntity({
  name: 'OrderLine',
  properties: {
    id: p.integer().primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule('cascade').index(),
    product: () => p.manyToOne(Product).index(),
    sku: p.string(),
    name: p.string(),
    quantity: p.integer(),
    unitPriceMinor: p.integer(),
    totalMinor: p.integer(),
    /**
     * What one unit cost us when the order was taken, in minor units of the base currency: the offer of the
     * supplier the Reorder flow would buy from (the preferred one, else the cheapest active offer), at that
     * day's exchange rate. Null when no supplier offered the product. Margin reports read it.
     */
    unitCostBaseMinor: p.integer().nullable(),
  },
  checks: [{ name: 'order_line_quantity_positive', expression: 'quantity > 0' }],
});
export type IOrderLine = InferEntity<typeof OrderLine>;

export const RESERVATION_STATUSES = ['active', 'released', 'consumed'] as const;

/** Units of one order line held in one warehouse. Active reservations add up to InventoryLevel.reserved. */
export const Reservation = defineEntity({
  name: 'Reservation',
  properties: {
    id: p.integer().primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule('cascade').index(),
    line: () => p.manyToOne(OrderLine).deleteRule('cascade'),
    product: () => p.manyToOne(Product),
    warehouse: () => p.manyToOne(Warehouse),
    quantity: p.integer(),
    status: p.enum(RESERVATION_STATUSES).default('active'),
    createdAt: p.datetime().onCreate(() => new Date()),
    releasedAt: p.datetime().nullable(),
  },
  checks: [{ name: 'reservation_quantity_positive', expression: 'quantity > 0' }],
});
export type IReservation = InferEntity<typeof Reservation>;

/** The stored first response for an Idempotency-Key, replayed for the same key and body (Stripe's semantics). */
export const IdempotencyRecord = defineEntity({
  name: 'IdempotencyRecord',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** Who sent it (an API key or user), so two integrations cannot collide on a key. */
    scope: p.string(),
    key: p.string(),
    requestHash: p.string().length(64),
    status: p.integer(),
    body: p.json<unknown>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['scope', 'key'] }],
});
export type IIdempotencyRecord = InferEntity<typeof IdempotencyRecord>;

/** A saved bundle of lines that staff add to a manual order in one go. */
export const OrderTemplate = defineEntity({
  name: 'OrderTemplate',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    lines: p.json<{ sku: string; quantity: number }[]>(),
    createdBy: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IOrderTemplate = InferEntity<typeof OrderTemplate>;
