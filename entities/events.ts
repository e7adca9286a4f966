import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Who did what to which entity, with the state before and after. Written in the same transaction as the change. */
export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    at: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
    actorType: p.enum(['user', 'api_key', 'system', 'anonymous'] as const),
    actorId: p.string().nullable(),
    actorLabel: p.string().nullable(),
    action: p.string().index(),
    entityType: p.string(),
    entityId: p.string().nullable(),
    before: p.json<Record<string, unknown>>().nullable(),
    after: p.json<Record<string, unknown>>().nullable(),
    ip: p.string().nullable(),
  },
  indexes: [{ properties: ['entityType', 'entityId'] }],
});
export type IAuditEvent = InferEntity<typeof AuditEvent>;

/**
 * Transactional outbox. A row is written with the change it announces; an insert trigger NOTIFYs
 * listeners (web nodes push it to browsers, the dispatcher starts workflows).
 */
export const OutboxEvent = defineEntity({
  name: 'OutboxEvent',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    topic: p.string(),
    type: p.string(),
    payload: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    dispatchedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['dispatchedAt'], where: { dispatchedAt: null }, name: 'outbox_event_undispatched_idx' }],
  // Wakes LISTENers (web nodes, the workflow dispatcher) when rows commit. Once per statement, with
  // no payload, so Postgres folds a transaction's wake-ups into one: listeners read every row after
  // the last one they handled, however many arrived (a batch of intake writes dozens at once).
  triggers: [{ name: 'outbox_event_notify', timing: 'after', events: ['insert'], forEach: 'statement', body: `perform pg_notify('outbox', ''); return null;` }],
});
export type IOutboxEvent = InferEntity<typeof OutboxEvent>;
