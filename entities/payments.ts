import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Order } from './orders.ts';

export const PAYMENT_STATUSES = ['pending', 'authorised', 'captured', 'partially_captured', 'partially_refunded', 'refunded', 'voided', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** One payment of an order through one provider. Amounts are integer minor units of `currency`. */
export const Payment = defineEntity({
  name: 'Payment',
  properties: {
    id: p.integer().primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule('cascade').index(),
    provider: p.string(),
    method: p.string(),
    currency: p.string().length(3),
    amountMinor: p.integer(),
    authorisedMinor: p.integer().default(0),
    capturedMinor: p.integer().default(0),
    refundedMinor: p.integer().default(0),
    status: p.enum(PAYMENT_STATUSES).default('pending'),
    providerRef: p.string().nullable(),
    cardLast4: p.string().length(4).nullable(),
    failureCode: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  checks: [
    { name: 'payment_captured_le_authorised', expression: 'captured_minor <= greatest(authorised_minor, amount_minor)' },
    { name: 'payment_refunded_le_captured', expression: 'refunded_minor <= captured_minor' },
  ],
});
export type IPayment = InferEntity<typeof Payment>;

/**
 * Every call to a provider, keyed by its idempotency key: a retried call finds its first result
 * here and never charges, captures or refunds twice.
 */
export const PaymentOperation = defineEntity({
  name: 'PaymentOperation',
  properties: {
    id: p.integer().primary().autoincrement(),
    payment: () => p.manyToOne(Payment).deleteRule('cascade').index(),
    kind: p.enum(['authorise', 'capture', 'void', 'refund', 'mark_paid'] as const),
    amountMinor: p.integer(),
    idempotencyKey: p.string().unique(),
    succeeded: p.boolean(),
    errorCode: p.string().nullable(),
    providerRef: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  // The dashboard's "payment failures today": failed attempts by time.
  indexes: [
    {
      name: 'payment_operation_failed_created_at_index',
      expression: 'create index "payment_operation_failed_created_at_index" on "payment_operation" ("created_at") where not "succeeded"',
    },
  ],
  // A failed attempt marks its order's minute for the analytics refresher (migration Migration20261207113000_ops_rollups).
  triggers: [
    {
      name: 'payment_operation_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "payment_operation_dirty_insert" after insert on "payment_operation" referencing new table as new_rows for each statement execute function "payment_operation_mark_dirty_fn"()',
    },
  ],
});
export type IPaymentOperation = InferEntity<typeof PaymentOperation>;
