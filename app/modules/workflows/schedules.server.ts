// Bindings that start flows without an event: `schedule` (on a cron, through a Temporal Schedule per
// binding, visible and pausable in the Temporal UI) and `manual` (a person's "Run now", with an input).
// Both end up as one outbox row (`schedule` / `manual`, carrying the binding id), so that the dispatcher
// starts every run the same way: pinned to the flow's latest version, recorded for the console.
//
// A schedule's action starts the tiny `fireBinding` workflow (workflows/schedule.ts), whose one activity
// writes that row once per firing. The schedules follow the bindings: each change to a binding syncs its
// schedule when Temporal answers, and the worker syncs them all at start and with the run reconciler, so
// a change made while Temporal was down still lands.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { CronExpressionParser } from 'cron-parser';
import { sql } from 'kysely';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { advisoryLock, db } from '../../lib/db.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { findFault } from '../../lib/boundary.ts';
import { publish } from '../../lib/outbox.server.ts';
import { luhnValid } from '../payments/providers/test-card.ts';

/**
 * A binding's schedule id: `<task queue>-binding-<id>` (`oms-binding-12`), so that consoles sharing a
 * Temporal namespace (several environments, the test suite) each keep to their own schedules.
 */
const schedulePrefix = (taskQueue: string) => `${taskQueue}-binding-`;
export const scheduleIdFor = (taskQueue: string, bindingId: number) => `${schedulePrefix(taskQueue)}${bindingId}`;

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week, UTC), as Temporal Schedules
 * take it, checked by cron-parser; with its next runs for the console. Null when it is not one.
 */
export function parseCron(expr: string, count = 3, from = new Date()): { next: string[] } | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  try {
    const it = CronExpressionParser.parse(fields.join(' '), { tz: 'UTC', currentDate: from });
    return { next: Array.from({ length: count }, () => it.next().toDate().toISOString()) };
  } catch {
    return null;
  }
}

interface ScheduleBinding {
  id: number;
  cron: string | null;
  active: boolean;
  key: string;
}

async function scheduleBindings(em: EntityManager): Promise<ScheduleBinding[]> {
  const rows = await db(em)
    .selectFrom('workflow_binding as b')
    .innerJoin('workflow_definition as d', 'd.id', 'b.definition_id')
    .select(['b.id', 'b.cron', 'b.active', 'd.key'])
    .where('b.event', '=', 'schedule')
    .orderBy('b.id')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), cron: r.cron, active: r.active, key: r.key }));
}

export interface SyncResult {
  created: number;
  updated: number;
  deleted: number;
}

/**
 * Makes Temporal's schedules match the `schedule` bindings: one schedule per binding (its cron, paused
 * while the binding is inactive), none for bindings that are gone. Only this console's schedules (named
 * after its task queue) are touched. `only` limits the work to one binding (after its change).
 */
export async function syncSchedules(orm: MikroORM, client: Client, taskQueue: string, only?: number): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, deleted: 0 };
  const bindings = (await scheduleBindings(orm.em.fork())).filter((b) => only === undefined || b.id === only);
  const wanted = new Map(bindings.filter((b) => b.cron && parseCron(b.cron)).map((b) => [scheduleIdFor(taskQueue, b.id), b]));
  const existing = new Set<string>();
  if (only === undefined) {
    const prefix = schedulePrefix(taskQueue);
    for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) existing.add(s.scheduleId);
  } else {
    const id = scheduleIdFor(taskQueue, only);
    try {
      await client.schedule.getHandle(id).describe();
      existing.add(id);
    } catch (e) {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    }
  }
  for (const [scheduleId, b] of wanted) {
    const spec = { cronExpressions: [b.cron!] };
    const action = { type: 'startWorkflow' as const, workflowType: 'fireBinding', taskQueue, args: [{ bindingId: b.id }], workflowId: `fire-${scheduleId}` };
    const note = `Binding ${b.id}: runs flow ${b.key}`;
    if (!existing.has(scheduleId)) {
      await client.schedule.create({ scheduleId, spec, action, state: { paused: !b.active, note } });
      result.created++;
    } else {
      await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action, state: { ...prev.state, paused: !b.active, note } }));
      result.updated++;
    }
  }
  for (const scheduleId of existing) {
    if (wanted.has(scheduleId)) continue;
    await client.schedule.getHandle(scheduleId).delete();
    result.deleted++;
  }
  return result;
}

/**
 * Records one firing of a schedule binding (the `fireBinding` workflow's activity): an outbox row the
 * dispatcher turns into a run, written once per firing however often the activity is retried.
 */
export async function fireBinding(orm: MikroORM, bindingId: number, firing: string): Promise<{ queued: boolean }> {
  return orm.em.fork().transactional(async (em) => {
    await advisoryLock(em, `fire:${firing}`);
    const seen = await db(em)
      .selectFrom('outbox_event')
      .select(sql.lit(1).as('one'))
      .where('type', '=', 'schedule')
      .where(sql<string>`payload ->> 'firing'`, '=', firing)
      .limit(1)
      .executeTakeFirst();
    if (seen) return { queued: false };
    publish(em, 'workflows', 'schedule', { bindingId, firing, firedAt: new Date().toISOString() });
    return { queued: true };
  });
}

/**
 * A person's "Run now" on a `manual` or `schedule` binding, with an input object the run's expressions read
 * (as `input`). Refused with the field at fault; audited; the dispatcher starts the run.
 */
export async function runBindingNow(orm: MikroORM, bindingId: number, rawInput: unknown, actor: Actor): Promise<{ requestId: string }> {
  if (rawInput === null || typeof rawInput !== 'object' || Array.isArray(rawInput)) throw invalid([fieldError('input', 'invalid_type')]);
  const fault = findFault(rawInput, 'input');
  if (fault) throw invalid([fault]);
  if (JSON.stringify(rawInput).length > 20_000) throw invalid([fieldError('input', 'too_big', { max: 20_000 })]);
  // The input becomes the run's trigger, kept in Temporal's history: no card number may go there.
  const card = findCardNumber(rawInput, 'input');
  if (card) throw invalid([fieldError(card, 'card_number_not_allowed')]);
  return orm.em.fork().transactional(async (em) => {
    const b = await db(em).selectFrom('workflow_binding').select(['event', 'active']).where('id', '=', bindingId).forUpdate().executeTakeFirst();
    if (!b) throw new DomainError(404, 'not_found', `No binding ${bindingId}.`);
    if (b.event !== 'manual' && b.event !== 'schedule')
      throw new DomainError(409, 'not_runnable', `Binding ${bindingId} starts on ${b.event}, not by hand.`, { params: { event: b.event } });
    if (!b.active) throw new DomainError(409, 'binding_inactive', `Binding ${bindingId} is paused.`);
    const requestId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    publish(em, 'workflows', 'manual', { bindingId, requestId, input: rawInput, requestedBy: actor.label ?? null });
    audit(em, actor, { action: 'workflow.run_requested', entityType: 'WorkflowBinding', entityId: bindingId, after: { requestId, input: rawInput } });
    return { requestId };
  });
}

/** The path of the first string in `value` that is a card number (12–19 digits, spaces or dashes between, Luhn-valid), or null. */
function findCardNumber(value: unknown, path: string): string | null {
  if (typeof value === 'string' || typeof value === 'number') {
    const digits = String(value).replace(/[\s-]/g, '');
    return /^\d{12,19}$/.test(digits) && luhnValid(digits) ? path : null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = findCardNumber(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return null;
}
