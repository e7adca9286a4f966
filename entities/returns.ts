import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Order } from './orders.ts';

export const RETURN_STATUSES = ['requested', 'approved', 'rejected', 'expired', 'received', 'inspected', 'refunded', 'exchanged', 'closed'] as const;
import { RETURN_REASONS } from './constants.ts';

export { RETURN_REASONS, type ReturnReason } from './constants.ts';

/** A return (RMA): which lines come back, why, and what the customer wants instead. */
export const ReturnRequest = defineEntity({
  name: 'ReturnRequest',
  properties: {
    id: p.integer().primary().autoincrement(),
    number: p.string().unique(),
    order: () => p.manyToOne(Order).index(),
    status: p.enum(RETURN_STATUSES).default('requested'),
    reason: p.enum(RETURN_REASONS),
    comment: p.text().nullable(),
    resolution: p.enum(['refund', 'exchange'] as const).default('refund'),
    lines: p.json<{ sku: string; quantity: number; replacementSku?: string }[]>(),
    source: p.string(),
    /** The zero-charge order that ships the replacement goods of an exchange. */
    replacementOrder: () => p.manyToOne(Order).nullable().index(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type IReturnRequest = InferEntity<typeof ReturnRequest>;
