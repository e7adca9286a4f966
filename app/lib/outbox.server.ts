import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEvent } from '../../entities/index.ts';
import type { Topic } from './permissions.ts';

/**
 * Announces a domain event. The row joins the caller's transaction; after commit a trigger
 * NOTIFYs `outbox`, and every web node pushes it to the browsers subscribed to `topic`.
 */
export function publish(em: EntityManager, topic: Topic, type: string, payload: Record<string, unknown>): void {
  em.create(OutboxEvent, { topic, type, payload });
}
