import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../entities/index.ts';
import { prepare, sql } from './db.server.ts';

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

const INSERT_AUDIT = prepare('audit_insert', `insert into audit_event (at, actor_type, actor_id, actor_label, ip, action, entity_type, entity_id, before, after)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`);

/**
 * `audit`, written at once with a prepared statement instead of at the next flush: for busy paths
 * (order intake) that do not otherwise flush. Same row, same transaction.
 */
export async function auditNow(em: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
  const json = (v: Record<string, unknown> | null | undefined) => (v == null ? null : JSON.stringify(v));
  await sql(em, INSERT_AUDIT, [
    new Date(), actor.type, actor.id == null ? null : String(actor.id), actor.label ?? null, actor.ip ?? null,
    entry.action, entry.entityType, entry.entityId == null ? null : String(entry.entityId), json(entry.before), json(entry.after),
  ]);
}
