// Helpers for tests that call the domain services directly: what a refusal carries, and the audit
// events a change wrote.
import { expect } from 'vitest';
import { DomainError } from '../../app/lib/errors.ts';
import type { TestDatabase } from './db.ts';

/** The DomainError `p` is refused with (the test fails if it resolves, or fails with anything else). */
export async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DomainError);
  return e as DomainError;
}

/** The audit events of `action`, oldest first: who, on which row, and the before and after they record. */
export const auditEvents = async (db: TestDatabase, action: string) =>
  (await db.orm.em.getConnection().execute(`select actor_label, entity_id, before, after from audit_event where action = ? order by id`, [action])) as {
    actor_label: string;
    entity_id: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  }[];

/** Removes the demo's service desk (tickets, teams, calendars, SLA policies, agent profiles), for tests that set up their own. */
export async function clearDemoDesk(db: TestDatabase): Promise<void> {
  const c = db.orm.em.getConnection();
  await c.execute('delete from ticket');
  await c.execute('delete from agent_profile');
  await c.execute('delete from team');
  await c.execute('delete from business_calendar');
  await c.execute('delete from sla_policy');
}
