import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Order } from './orders.ts';

import { MAIL_TEMPLATES } from './constants.ts';

export { MAIL_TEMPLATES, NOTIFICATION_TEMPLATES, type MailTemplate, type NotificationTemplate } from './constants.ts';

/**
 * An email to a customer, a staff member (an alert) or a supplier (a purchase order). Written in the
 * transaction of the event it announces; a sender delivers it over SMTP (SMTP_URL), and without
 * SMTP it stays here as `held` for the console to show. Customer mail is one per order and
 * template; other mail is one per `idempotencyKey` (derived from the workflow step's key).
 */
export const Notification = defineEntity({
  name: 'Notification',
  properties: {
    id: p.integer().primary().autoincrement(),
    order: () => p.manyToOne(Order).nullable().index(),
    template: p.enum(MAIL_TEMPLATES),
    locale: p.string(),
    to: p.string(),
    /** Customer mail is rendered when it is sent: until then subject, text and html are null. */
    subject: p.string().nullable(),
    text: p.text().nullable(),
    html: p.text().nullable(),
    /** What the caller passed for the template (`data`, `publicUrl`), kept for rendering at send time. */
    data: p.json<Record<string, unknown>>().nullable(),
    status: p
      .enum(['queued', 'sent', 'failed', 'held'] as const)
      .default('queued')
      .index(),
    attempts: p.integer().default(0),
    error: p.text().nullable(),
    /** A failed attempt's back-off: not tried again before this time (any worker, after any restart). */
    nextAttemptAt: p.datetime().nullable(),
    /** Lease of the sender sending it now; a row whose lease ran out (its sender died) is due again. */
    claimedUntil: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    sentAt: p.datetime().nullable(),
    idempotencyKey: p.string().nullable().unique(),
  },
  uniques: [{ properties: ['order', 'template'], name: 'notification_order_template_unique' }],
});
export type INotification = InferEntity<typeof Notification>;
