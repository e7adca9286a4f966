import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Product, Warehouse } from './catalog.ts';
import { LOCALES } from './constants.ts';

export const Supplier = defineEntity({
  name: 'Supplier',
  properties: {
    id: p.integer().primary().autoincrement(),
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

/**
 * What a supplier sells us of one product: its unit cost in the supplier's currency, its lead time
 * when it differs from the supplier's usual one, and whether it is the product's preferred supplier
 * (at most one per product). inventory.draftPo orders from the preferred supplier when it is active,
 * else from the active supplier with the lowest unit cost (compared in the base currency), then the
 * shortest lead time.
 */
export const SupplierProduct = defineEntity({
  name: 'SupplierProduct',
  properties: {
    id: p.integer().primary().autoincrement(),
    supplier: () => p.manyToOne(Supplier).deleteRule('cascade'),
    product: () => p.manyToOne(Product).deleteRule('cascade').index(),
    /** The supplier's own code for the product, when it has one. */
    supplierSku: p.string().nullable(),
    unitCostMinor: p.integer(),
    /** Null: the supplier's `leadTimeDays`. */
    leadTimeDays: p.integer().nullable(),
    preferred: p.boolean().default(false),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['supplier', 'product'], name: 'supplier_product_supplier_product_unique' }],
  indexes: [
    {
      name: 'supplier_product_preferred_unique',
      expression: 'create unique index "supplier_product_preferred_unique" on "supplier_product" ("product_id") where "preferred"',
    },
  ],
  checks: [{ name: 'supplier_product_terms_valid', expression: 'unit_cost_minor >= 0 and (lead_time_days is null or lead_time_days >= 0)' }],
});
export type ISupplierProduct = InferEntity<typeof SupplierProduct>;

export const PURCHASE_ORDER_STATUSES = ['draft', 'approved', 'sent', 'partially_received', 'received', 'cancelled'] as const;

/** Stock on its way in. Lines not yet received count as inbound supply by expected date. */
export const PurchaseOrder = defineEntity({
  name: 'PurchaseOrder',
  properties: {
    id: p.integer().primary().autoincrement(),
    number: p.string().unique(),
    supplier: () => p.manyToOne(Supplier),
    warehouse: () => p.manyToOne(Warehouse),
    status: p.enum(PURCHASE_ORDER_STATUSES).default('draft'),
    currency: p.string().length(3),
    expectedAt: p.datetime().nullable(),
    createdBy: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    lines: () => p.oneToMany(PurchaseOrderLine).mappedBy('purchaseOrder'),
  },
});
export type IPurchaseOrder = InferEntity<typeof PurchaseOrder>;

export const PurchaseOrderLine = defineEntity({
  name: 'PurchaseOrderLine',
  properties: {
    id: p.integer().primary().autoincrement(),
    purchaseOrder: () => p.manyToOne(PurchaseOrder).deleteRule('cascade').index(),
    product: () => p.manyToOne(Product).index(),
    quantity: p.integer(),
    received: p.integer().default(0),
    unitCostMinor: p.integer(),
  },
  checks: [{ name: 'purchase_order_line_received_le_quantity', expression: 'received <= quantity and received >= 0 and quantity > 0' }],
});
export type IPurchaseOrderLine = InferEntity<typeof PurchaseOrderLine>;
