import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

import { CHANNEL_KINDS, MOVEMENT_KINDS, PICK_METHODS } from './constants.ts';

export { CHANNEL_KINDS, MOVEMENT_KINDS, type ChannelKind, type MovementKind } from './constants.ts';

export const Channel = defineEntity({
  name: 'Channel',
  properties: {
    id: p.integer().primary().autoincrement(),
    code: p.string().unique(),
    name: p.string(),
    kind: p.enum(CHANNEL_KINDS),
    /** Accepted ISO 4217 currencies. */
    currencies: p.array(),
    /** Adapter for inbound webhooks (shopify, woocommerce) and the secret that signs them. */
    adapter: p.string().nullable(),
    webhookSecret: p.string().nullable().hidden(),
    active: p.boolean().default(true),
  },
});
export type IChannel = InferEntity<typeof Channel>;

export const Warehouse = defineEntity({
  name: 'Warehouse',
  properties: {
    id: p.integer().primary().autoincrement(),
    code: p.string().unique(),
    name: p.string(),
    line1: p.string(),
    city: p.string(),
    postalCode: p.string().nullable(),
    country: p.string().length(2),
    lat: p.double(),
    lng: p.double(),
    active: p.boolean().default(true),
    /** How this warehouse picks when pick lists are made for chosen orders (the orders list's bulk action). */
    pickMethod: p.enum(PICK_METHODS).default('single'),
    /** Orders per list for the batch and wave methods. */
    pickBatchSize: p.integer().default(10),
  },
});
export type IWarehouse = InferEntity<typeof Warehouse>;

export const Product = defineEntity({
  name: 'Product',
  properties: {
    id: p.integer().primary().autoincrement(),
    sku: p.string().unique(),
    barcode: p.string().unique(),
    name: p.string(),
    category: p.string().nullable(),
    weightGrams: p.integer(),
    lengthMm: p.integer(),
    widthMm: p.integer(),
    heightMm: p.integer(),
    /** List price in minor units of `currency`. */
    priceMinor: p.integer(),
    currency: p.string().length(3),
    active: p.boolean().default(true),
  },
  // Replacement suggestions (tracking page): each group walks one of these in display order, reading
  // the filtered columns from the index, and stops after the products it shows.
  indexes: [
    {
      name: 'product_category_name_sku_index',
      expression:
        'create index "product_category_name_sku_index" on "product" ("category", "name", "sku") include ("price_minor", "currency", "id") where "active"',
    },
    {
      name: 'product_name_sku_index',
      expression: 'create index "product_name_sku_index" on "product" ("name", "sku") include ("category", "price_minor", "currency", "id") where "active"',
    },
  ],
});
export type IProduct = InferEntity<typeof Product>;

/** Stock of one SKU in one warehouse. ATP = onHand - reserved; the CHECKs make overselling impossible. */
export const InventoryLevel = defineEntity({
  name: 'InventoryLevel',
  properties: {
    id: p.integer().primary().autoincrement(),
    product: () => p.manyToOne(Product),
    warehouse: () => p.manyToOne(Warehouse).index(),
    onHand: p.integer().default(0),
    reserved: p.integer().default(0),
    reorderPoint: p.integer().default(0),
    reorderQuantity: p.integer().default(0),
    /** Bin location, e.g. B-04-2; its first letter is the pick zone. */
    bin: p.string().nullable(),
    /** Set when ATP fell to the reorder point (stock.low raised once); cleared when it recovers. */
    lowStockSince: p.datetime().nullable(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['product', 'warehouse'] }],
  checks: [
    { name: 'inventory_level_reserved_le_on_hand', expression: 'reserved <= on_hand' },
    { name: 'inventory_level_non_negative', expression: 'reserved >= 0 and on_hand >= 0' },
  ],
});
export type IInventoryLevel = InferEntity<typeof InventoryLevel>;

/** Units of `currency` per one unit of the base currency (settings). */
export const ExchangeRate = defineEntity({
  name: 'ExchangeRate',
  properties: {
    currency: p.string().length(3).primary(),
    ratePerBase: p.decimal('number').precision(18).scale(8),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type IExchangeRate = InferEntity<typeof ExchangeRate>;

/** The inventory ledger: every change to on-hand stock, with its reason and who made it. */
export const StockMovement = defineEntity({
  name: 'StockMovement',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    product: () => p.manyToOne(Product),
    warehouse: () => p.manyToOne(Warehouse),
    kind: p.enum(MOVEMENT_KINDS),
    quantity: p.integer(),
    onHandAfter: p.integer(),
    reason: p.text().nullable(),
    reference: p.string().nullable(),
    actorLabel: p.string().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['product', 'warehouse'] }],
});
export type IStockMovement = InferEntity<typeof StockMovement>;
