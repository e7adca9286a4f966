import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../entities/index.ts';
import { prepare, sql } from './db.server.ts';
import { outboxColumns, outboxInsertSql, publishMany, type OutboxRow } from './outbox.server.ts';

export interface Actor {
  type: 'user' | 'api_key' | 'system' | 'anonymous';
  id?: string | number | null;
  label?: string | null;
  ip?: string | null;
}

export const SYSTEM: Actor = { type: 'system', label: 'system' };

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/**
 * Records an audit event in the entity manager's unit of work, so it commits (or rolls back)
 * together with the change it describes.
 */
export function audit(em: EntityManager, actor: Actor, entry: AuditEntry): void {
  em.create(AuditEvent, {
    actorType: actor.type,
    actorId: actor.id == null ? null : String(actor.id),
    actorLabel: actor.label ?? null,
    ip: actor.ip ?? null,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId == null ? null : String(entry.entityId),
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}

const INSERT_AUDIT = prepare(
  'audit_insert',
  `insert into audit_event (at, actor_type, actor_id, actor_label, ip, action, entity_type, entity_id, before, after)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
);

/**
 * `audit`, written at once with a prepared statement instead of at the next flush: for busy paths
 * (order intake) that do not otherwise flush. Same row, same transaction.
 */
export async function auditNow(em: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
  const json = (v: Record<string, unknown> | null | undefined) => (v == null ? null : JSON.stringify(v));
  await sql(em, INSERT_AUDIT, [
    new Date(),
    actor.type,
    actor.id == null ? null : String(actor.id),
    actor.label ?? null,
    actor.ip ?? null,
    entry.action,
    entry.entityType,
    entry.entityId == null ? null : String(entry.entityId),
    json(entry.before),
    json(entry.after),
  ]);
}

/** The INSERT of many audit events from nine text[] parameters, numbered by `param` (for statements that write more). */
function auditInsertSql(param: (n: number) => string): string {
  const cols = Array.from({ length: 9 }, (_, i) => `${param(i + 1)}::text[]`).join(', ');
  return `insert into audit_event (at, actor_type, actor_id, actor_label, ip, action, entity_type, entity_id, before, after)
  select now(), t.actor_type, t.actor_id, t.actor_label, t.ip, t.action, t.entity_type, t.entity_id, t.before::jsonb, t.after::jsonb
    from unnest(${cols}) as t(actor_type, actor_id, actor_label, ip, action, entity_type, entity_id, before, after)`;
}

export interface AuditRow {
  actor: Actor;
  entry: AuditEntry;
}

/** auditInsertSql's parameters. */
function auditColumns(events: readonly AuditRow[]): unknown[] {
  const json = (v: Record<string, unknown> | null | undefined) => (v == null ? null : JSON.stringify(v));
  const col = <V>(f: (e: AuditRow) => V) => events.map(f);
  return [
    col((e) => e.actor.type),
    col((e) => (e.actor.id == null ? null : String(e.actor.id))),
    col((e) => e.actor.label ?? null),
    col((e) => e.actor.ip ?? null),
    col((e) => e.entry.action),
    col((e) => e.entry.entityType),
    col((e) => (e.entry.entityId == null ? null : String(e.entry.entityId))),
    col((e) => json(e.entry.before)),
    col((e) => json(e.entry.after)),
  ];
}

const INSERT_AUDITS = prepare(
  'audit_insert_many',
  auditInsertSql((n) => `$${n}`),
);
const INSERT_AUDITS_AND_OUTBOX = prepare(
  'audit_and_outbox_insert_many',
  `with audited as (${auditInsertSql((n) => `$${n}`)})
  ${outboxInsertSql((n) => `$${n + 9}`)}`,
);

/** `auditNow` for many events (each with its own actor) in one statement. */
export async function auditMany(em: EntityManager, events: readonly AuditRow[]): Promise<void> {
  if (!events.length) return;
  await sql(em, INSERT_AUDITS, auditColumns(events));
}

/** `auditMany` and `publishMany` in one statement (one round trip), for busy paths (intake's batches). */
export async function auditAndPublishMany(em: EntityManager, audits: readonly AuditRow[], events: readonly OutboxRow[]): Promise<void> {
  if (!audits.length) return publishMany(em, events);
  if (!events.length) return auditMany(em, audits);
  await sql(em, INSERT_AUDITS_AND_OUTBOX, [...auditColumns(audits), ...outboxColumns(events)]);
}
