import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../entities/index.ts';

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
