import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** What a delivery is doing: waiting for (another) attempt, delivered, given up, or stopped (its endpoint disabled). */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * An admin's subscription: events of the chosen types are POSTed, signed per Standard Webhooks, to
 * `url`. `secret` signs; after a rotation `previousSecret` signs too until `previousSecretExpiresAt`.
 * An endpoint that keeps failing is disabled (`disabledReason`) and the admins are told.
 */
export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  properties: {
    id: p.integer().primary().autoincrement(),
    url: p.string().length(2048),
    description: p.string().nullable(),
    eventTypes: p.json<string[]>(),
    secret: p.string(),
    previousSecret: p.string().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    enabled: p.boolean().default(true),
    disabledReason: p.string().nullable(),
    /** Failed attempts since the last success (any delivery). */
    consecutiveFailures: p.integer().default(0),
    /** The first failed attempt since the last success. */
    failingSince: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IWebhookEndpoint = InferEntity<typeof WebhookEndpoint>;

/**
 * One event (or a flow's `http.sendWebhook` step) to deliver to one endpoint: made once per
 * (endpoint, dedupe key) — `event:<outbox id>` for the fan-out, `step:<activity key>` for a step,
 * `event:<outbox id>:redeliver:<n>` for an admin's redelivery — and carried by its own Temporal
 * workflow (`webhook-delivery-<id>`). `body` is the exact JSON that is signed and sent every attempt.
 */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    endpoint: () => p.manyToOne(WebhookEndpoint).deleteRule('cascade'),
    dedupeKey: p.string(),
    outboxEventId: p.bigint('number').nullable(),
    eventType: p.string(),
    body: p.text(),
    status: p.enum(WEBHOOK_DELIVERY_STATUSES).default('pending'),
    attempts: p.integer().default(0),
    lastStatusCode: p.integer().nullable(),
    lastError: p.text().nullable(),
    nextAttemptAt: p.datetime().nullable(),
    /** When its workflow was started (null: the starter has yet to, e.g. Temporal was down). */
    workflowStartedAt: p.datetime().nullable(),
    redeliveryOf: p.bigint('number').nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    completedAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['endpoint', 'dedupeKey'], name: 'webhook_delivery_endpoint_dedupe_unique' }],
  indexes: [
    { properties: ['endpoint', 'createdAt'], name: 'webhook_delivery_endpoint_created_index' },
    { properties: ['status', 'workflowStartedAt'], name: 'webhook_delivery_status_started_index' },
  ],
});
export type IWebhookDelivery = InferEntity<typeof WebhookDelivery>;

/** One HTTP attempt of a delivery: what came back (status, first 1 KB of the body), how long it took, or why it failed. */
export const WebhookAttempt = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempt',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    delivery: () => p.manyToOne(WebhookDelivery).deleteRule('cascade'),
    attempt: p.integer(),
    at: p.datetime(),
    ok: p.boolean(),
    statusCode: p.integer().nullable(),
    latencyMs: p.integer(),
    responseExcerpt: p.text().nullable(),
    error: p.text().nullable(),
  },
  uniques: [{ properties: ['delivery', 'attempt'], name: 'webhook_attempt_delivery_attempt_unique' }],
});
export type IWebhookAttempt = InferEntity<typeof WebhookAttempt>;

/** Hosts (names or addresses) an admin allows outbound calls to although they are private (the SSRF guard's allow-list). */
export const WebhookAllowedHost = defineEntity({
  name: 'WebhookAllowedHost',
  tableName: 'webhook_allowed_host',
  properties: {
    host: p.string().primary(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IWebhookAllowedHost = InferEntity<typeof WebhookAllowedHost>;

/**
 * Where the webhook fan-out is in the outbox: every event up to `lastId` is settled (deliveries made).
 * `pendingSeq` is the outbox sequence as a pass saw it, with `pendingXmax` the xmax of the snapshot
 * taken just after: once every transaction older than that has ended, no row up to `pendingSeq` can
 * still appear, and `lastId` moves there.
 */
export const WebhookCursor = defineEntity({
  name: 'WebhookCursor',
  tableName: 'webhook_cursor',
  properties: {
    name: p.string().primary(),
    lastId: p.bigint('number'),
    pendingSeq: p.bigint('number').nullable(),
    pendingXmax: p.bigint('number').nullable(),
    updatedAt: p.datetime(),
  },
});
export type IWebhookCursor = InferEntity<typeof WebhookCursor>;
