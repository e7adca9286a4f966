import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Product, Warehouse } from './catalog.ts';
import { Order, OrderLine } from './orders.ts';

import { PICK_METHODS, SHIPMENT_STATUSES } from './constants.ts';

export { PICK_METHODS, SHIPMENT_STATUSES, type PickMethod, type ShipmentStatus } from './constants.ts';

/** A carrier and the rules that choose it: first matching rule wins (weight, destination, service level). */
export const Carrier = defineEntity({
  name: 'Carrier',
  properties: {
    id: p.integer().primary().autoincrement(),
    code: p.string().unique(),
    name: p.string(),
    /** e.g. https://track.example/{tracking} */
    trackingUrlTemplate: p.string(),
    rules: p.json<
      {
        service: string;
        serviceLevels: string[];
        countries?: string[];
        maxWeightGrams?: number;
        priority: number;
        /** What a parcel costs us on this rule, in minor units of the base currency: a price per parcel plus a price per started kilogram. */
        costMinor?: number;
        costPerKgMinor?: number;
      }[]
    >(),
    active: p.boolean().default(true),
  },
});
export type ICarrier = InferEntity<typeof Carrier>;

/** Work for pickers in one warehouse: one order (single), several (batch/wave), or one zone of several (zone). */
export const PickList = defineEntity({
  name: 'PickList',
  properties: {
    id: p.integer().primary().autoincrement(),
    number: p.string().unique(),
    warehouse: () => p.manyToOne(Warehouse),
    method: p.enum(PICK_METHODS),
    zone: p.string().nullable(),
    status: p.enum(['open', 'picking', 'picked', 'cancelled'] as const).default('open'),
    createdBy: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    completedAt: p.datetime().nullable(),
    lines: () => p.oneToMany(PickListLine).mappedBy('pickList'),
  },
});
export type IPickList = InferEntity<typeof PickList>;

export const PickListLine = defineEntity({
  name: 'PickListLine',
  properties: {
    id: p.integer().primary().autoincrement(),
    pickList: () => p.manyToOne(PickList).deleteRule('cascade').index(),
    order: () => p.manyToOne(Order).index(),
    line: () => p.manyToOne(OrderLine),
    product: () => p.manyToOne(Product),
    sku: p.string(),
    bin: p.string().nullable(),
    quantity: p.integer(),
    picked: p.integer().default(0),
  },
  checks: [{ name: 'pick_list_line_picked_le_quantity', expression: 'picked <= quantity and picked >= 0' }],
});
export type IPickListLine = InferEntity<typeof PickListLine>;

export const Shipment = defineEntity({
  name: 'Shipment',
  properties: {
    id: p.integer().primary().autoincrement(),
    order: () => p.manyToOne(Order).index(),
    warehouse: () => p.manyToOne(Warehouse),
    carrier: () => p.manyToOne(Carrier),
    service: p.string(),
    trackingNumber: p.string().unique(),
    status: p.enum(SHIPMENT_STATUSES).default('label_created'),
    weightGrams: p.integer(),
    /** What the carrier charges us for the parcel, in minor units of the base currency, by its rule's rate when it shipped; null: the rule had no rate. */
    shippingCostBaseMinor: p.integer().nullable(),
    lines: p.json<{ sku: string; quantity: number }[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    shippedAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
  },
  // Shipping and delivery mark the order's minute for the analytics refresher (migration Migration20261207113000_ops_rollups).
  triggers: [
    {
      name: 'shipment_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "shipment_dirty_insert" after insert on "shipment" referencing new table as new_rows for each statement execute function "shipment_mark_dirty_fn"()',
    },
    {
      name: 'shipment_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "shipment_dirty_update" after update on "shipment" referencing new table as new_rows old table as old_rows for each statement execute function "shipment_mark_dirty_fn"()',
    },
  ],
});
export type IShipment = InferEntity<typeof Shipment>;

export const ShipmentEvent = defineEntity({
  name: 'ShipmentEvent',
  properties: {
    id: p.integer().primary().autoincrement(),
    shipment: () => p.manyToOne(Shipment).deleteRule('cascade').index(),
    status: p.enum(SHIPMENT_STATUSES),
    description: p.string().nullable(),
    location: p.string().nullable(),
    occurredAt: p.datetime(),
    source: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IShipmentEvent = InferEntity<typeof ShipmentEvent>;
