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
    /** Indexed: the analytics refresher reads the returns opened in a minute. */
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  // Opening or changing a return marks the minute it was opened in for the analytics refresher (migration Migration20261207113000_ops_rollups).
  triggers: [
    {
      name: 'return_request_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "return_request_dirty_insert" after insert on "return_request" referencing new table as new_rows for each statement execute function "return_request_mark_dirty_fn"()',
    },
    {
      name: 'return_request_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "return_request_dirty_update" after update on "return_request" referencing new table as new_rows old table as old_rows for each statement execute function "return_request_mark_dirty_fn"()',
    },
  ],
});
export type IReturnRequest = InferEntity<typeof ReturnRequest>;
