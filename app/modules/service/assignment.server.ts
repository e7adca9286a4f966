// Placeholder until round-robin assignment lands from the `sla` branch (autoAssign keeps this signature).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../lib/audit.server.ts';

export async function autoAssign(_em: EntityManager, _ticketId: number, _actor: Actor): Promise<number | null> {
  return null;
}
