// Placeholder until the SLA clock lands from the `sla` branch (refreshSla keeps this signature).
import type { EntityManager } from '@mikro-orm/postgresql';

export async function refreshSla(_em: EntityManager, _ticketId: number, _now?: Date): Promise<void> {}
