import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Channel, Product, Warehouse } from './catalog.ts';
import { Customer, type Address } from './customers.ts';

export const ORDER_STATUSES = [
  'received', 'validated', 'on_hold', 'awaiting_payment', 'paid', 'allocated', 'picking', 'packed',
  'shipped', 'delivered', 'completed', 'cancelled', 'returned', 'partially_returned', 'backordered',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const Order = defineEntity({
  name: 'Order',
  tableName: 'sales_order',
  properties: {
    id: p.integer().primary(),
    number: p.string().unique(),
    channel: () => p.manyToOne(Channel).index(),
    externalId: p.string(),
    customer: () => p.manyToOne(Customer).index(),
    currency: p.string().length(3),
    subtotalMinor: p.integer(),
    shippingMinor: p.integer().default(0),
    taxMinor: p.integer().default(0),
    totalMinor: p.integer(),
    status: p.enum(ORDER_STATUSES).index(),
    holdReason: p.string().nullable(),
    paymentMethod: p.string(),
    shippingAddress: p.json<Address>(),
    warehouse: () => p.manyToOne(Warehouse).nullable().index(),
    promisedBy: p.datetime().nullable(),
    placedAt: p.datetime().index(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    lines: () => p.oneToMany(OrderLine).mappedBy('order'),
  },
  uniques: [{ properties: ['channel', 'externalId'] }],
});
export type IOrder = InferEntity<typeof Order>;

export const OrderLine = defineEntity({
  name: 'OrderLine',
  properties: {
    id: p.integer().primary(),
    order: () => p.manyToOne(Order).deleteRule('cascade').index(),
    product: () => p.manyToOne(Product).index(),
    sku: p.string(),
    name: p.string(),
    quantity: p.integer(),
    unitPriceMinor: p.integer(),
    totalMinor: p.integer(),
  },
  checks: [{ name: 'order_line_quantity_positive', expression: 'quantity > 0' }],
});
export type IOrderLine = InferEntity<typeof OrderLine>;
