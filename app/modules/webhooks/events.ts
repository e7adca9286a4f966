// The event types an endpoint can subscribe to, and which outbox rows they are. Plain code: the
// settings screen lists the same types (checkboxes) that the fan-out (deliveries.server.ts) maps.

export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.shipped',
  'order.delivered',
  'order.cancelled',
  'return.requested',
  'return.received',
  'return.refunded',
  'stock.low',
  'purchase_order.sent',
  'ticket.created',
  'ticket.solved',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const isWebhookEventType = (s: unknown): s is WebhookEventType => typeof s === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s);

/** The outbox types the fan-out reads (the rest can never be a webhook). */
export const SOURCE_OUTBOX_TYPES = [
  'order.created',
  'order.status_changed',
  'return.requested',
  'return.updated',
  'stock.low',
  'po.updated',
  'ticket.created',
  'ticket.solved',
] as const;

const ORDER_STATUS_EVENTS: Record<string, WebhookEventType> = {
  paid: 'order.paid',
  shipped: 'order.shipped',
  delivered: 'order.delivered',
  cancelled: 'order.cancelled',
};
const RETURN_STATUS_EVENTS: Record<string, WebhookEventType> = { received: 'return.received', refunded: 'return.refunded' };

/** The webhook event an outbox row is, or null (a status change nobody subscribes to, …). */
export function webhookEventOf(type: string, payload: Record<string, unknown>): WebhookEventType | null {
  switch (type) {
    case 'order.created':
    case 'return.requested':
    case 'stock.low':
    case 'ticket.created':
    case 'ticket.solved':
      return type;
    case 'order.status_changed':
      return ORDER_STATUS_EVENTS[String(payload.to ?? '')] ?? null;
    case 'return.updated':
      return RETURN_STATUS_EVENTS[String(payload.status ?? '')] ?? null;
    case 'po.updated':
      return payload.status === 'sent' ? 'purchase_order.sent' : null;
    default:
      return null;
  }
}

/** The JSON a receiver gets (versioned): `{ type, timestamp, data, version: 1 }`. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  version: 1;
}

export const webhookBody = (type: string, at: Date, data: Record<string, unknown>): string =>
  JSON.stringify({ type, timestamp: at.toISOString(), data, version: 1 } satisfies WebhookPayload);

/** Methods the designer's HTTP request step can send. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
