import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Order } from './orders.ts';

import { NOTIFICATION_TEMPLATES } from './constants.ts';

export { NOTIFICATION_TEMPLATES, type NotificationTemplate } from './constants.ts';

/**
 * An email to a customer. Written in the transaction of the event it announces; a sender delivers
 * it over SMTP (SMTP_URL), and without SMTP it stays here as `held` for the console to show.
 */
export const Notification = defineEntity({
  name: 'Notification',
  properties: {
    id: p.integer().primary(),
    order: () => p.manyToOne(Order).nullable().index(),
    template: p.enum(NOTIFICATION_TEMPLATES),
    locale: p.string(),
    to: p.string(),
    subject: p.string(),
    text: p.text(),
    html: p.text(),
    status: p.enum(['queued', 'sent', 'failed', 'held'] as const).default('queued').index(),
    attempts: p.integer().default(0),
    error: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    sentAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['order', 'template'], name: 'notification_order_template_unique' }],
});
export type INotification = InferEntity<typeof Notification>;
