import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Product, Warehouse } from './catalog.ts';
import { LOCALES } from './constants.ts';

export const Supplier = defineEntity({
  name: 'Supplier',
  properties: {
    id: p.integer().primary(),
    code: p.string().unique(),
    name: p.string(),
    /** Where purchase orders are emailed, in `locale`. */
    email: p.string(),
    locale: p.enum(LOCALES).default('en'),
    currency: p.string().length(3),
    leadTimeDays: p.integer().default(7),
    active: p.boolean().default(true),
  },
});
export type ISupplier = InferEntity<typeof Supplier>;

export const PURCHASE_ORDER_STATUSES = ['draft', 'approved', 'sent', 'partially_received', 'received', 'cancelled'] as const;

/** Stock on its way in. Lines not yet received count as inbound supply by expected date. */
export const PurchaseOrder = defineEntity({
  name: 'PurchaseOrder',
  properties: {
    id: p.integer().primary(),
    number: p.string().unique(),
    supplier: () => p.manyToOne(Supplier),
    warehouse: () => p.manyToOne(Warehouse),
    status: p.enum(PURCHASE_ORDER_STATUSES).default('draft'),
    currency: p.string().length(3),
    expectedAt: p.datetime().nullable(),
    createdBy: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    lines: () => p.oneToMany(PurchaseOrderLine).mappedBy('purchaseOrder'),
  },
});
export type IPurchaseOrder = InferEntity<typeof PurchaseOrder>;

export const PurchaseOrderLine = defineEntity({
  name: 'PurchaseOrderLine',
  properties: {
    id: p.integer().primary(),
    purchaseOrder: () => p.manyToOne(PurchaseOrder).deleteRule('cascade').index(),
    product: () => p.manyToOne(Product).index(),
    quantity: p.integer(),
    received: p.integer().default(0),
    unitCostMinor: p.integer(),
  },
  checks: [{ name: 'purchase_order_line_received_le_quantity', expression: 'received <= quantity and received >= 0 and quantity > 0' }],
});
export type IPurchaseOrderLine = InferEntity<typeof PurchaseOrderLine>;
