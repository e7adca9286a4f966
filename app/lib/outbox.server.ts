import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEvent } from '../../entities/index.ts';
import type { Topic } from './permissions.ts';
import { sql as ksql } from 'kysely';
import { db, prepare, sql } from './db.server.ts';

/**
 * Announces a domain event. The row joins the caller's transaction; after commit a trigger
 * NOTIFYs `outbox`, and every web node pushes it to the browsers subscribed to `topic`.
 */
export function publish(em: EntityManager, topic: Topic, type: string, payload: Record<string, unknown>): void {
  em.create(OutboxEvent, { topic, type, payload });
}

const INSERT_OUTBOX = prepare('outbox_insert', 'insert into outbox_event (topic, type, payload, created_at) values ($1, $2, $3, $4)');

/** `publish`, written at once with a prepared statement instead of at the next flush (busy paths). */
export async function publishNow(em: EntityManager, topic: Topic, type: string, payload: Record<string, unknown>): Promise<void> {
  await sql(em, INSERT_OUTBOX, [topic, type, JSON.stringify(payload), new Date()]);
}

/** The INSERT of many outbox rows from three text[] parameters, numbered by `param` (for statements that write more). */
export function outboxInsertSql(param: (n: number) => string): string {
  return `insert into outbox_event (topic, type, payload, created_at)
  select t.topic, t.type, t.payload::jsonb, now() from unnest(${param(1)}::text[], ${param(2)}::text[], ${param(3)}::text[]) with ordinality as t(topic, type, payload, n) order by t.n`;
}

export interface OutboxRow {
  topic: Topic;
  type: string;
  payload: Record<string, unknown>;
}

/** outboxInsertSql's parameters. */
export const outboxColumns = (events: readonly OutboxRow[]) => [
  events.map((e) => e.topic),
  events.map((e) => e.type),
  events.map((e) => JSON.stringify(e.payload)),
];

const INSERT_OUTBOX_MANY = prepare(
  'outbox_insert_many',
  outboxInsertSql((n) => `$${n}`),
);

/** `publishNow` for many events in one statement (inserted, and so delivered, in the order given). */
export async function publishMany(em: EntityManager, events: readonly OutboxRow[]): Promise<void> {
  if (!events.length) return;
  await sql(em, INSERT_OUTBOX_MANY, outboxColumns(events));
}

/**
 * The INSERT of one outbox row per row of the CTE `source` (topic and type fixed, payload the jsonb
 * parameter `payload`): for a statement that records something and announces it in one round trip.
 */
export function outboxInsertPerRowSql(source: string, topic: Topic, type: string, payload: string): string {
  return `insert into outbox_event (topic, type, payload, created_at) select '${topic}', '${type.replace(/'/g, "''")}', ${payload}::jsonb, now() from ${source}`;
}

/** Marks events handed to the workflow dispatcher. */
export async function markDispatched(em: EntityManager, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await db(em)
    .updateTable('outbox_event')
    .set({ dispatched_at: ksql`now()` })
    .where(
      'id',
      'in',
      ids.map((n) => Math.trunc(n)),
    )
    .execute();
}
