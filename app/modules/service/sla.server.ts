// The SLA clock of a ticket. `refreshSla` is called by the tickets module in the same transaction as
// every change to a ticket (created; status, priority, team or customer changed; a customer message;
// an agent reply) and recomputes the clock from the ticket as it now stands:
//
// - the policy: the most specific active one matching the ticket's priority, channel and customer
//   tier (a null field matches anything; ties go to the lowest id);
// - the targets that run: first response (from creation until the first agent reply), next response
//   (from a customer message newer than the last agent reply, once the first response is done) and
//   resolution (until solved / closed / merged);
// - business time in the team's calendar (none: 24×7), per target: the business time used before the
//   current running stretch, and when that stretch began. The due time is its start plus what is left.
// - pauses: status pending (waiting on the customer) or on_hold, or waiting on the order
//   (`pauseSlaForOrder`, e.g. a return in transit). A pause banks the business time used and clears
//   the due columns (`slaClock.remainingMs` says what is left); a resume starts a new stretch, due =
//   now + what is left, in business time.
// - `slaNextCheckAt`: the earliest warning (due − warnBefore, in business time) or breach not yet
//   fired, which the SLA watcher (sla-watcher.server.ts) fires exactly once and then advances.
//
// The clock lives in `ticket.sla_clock` (entities/service.ts SlaClock); the ticket row is locked
// (FOR UPDATE) while it is recomputed, so the watcher (SKIP LOCKED) and a change never interleave.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { SLA_TARGETS, type SlaClock, type SlaTarget, type SlaTargetClock, type TicketStatus } from '../../../entities/service.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db, jsonb } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { addBusinessMs, businessMsBetween, type CalendarSpec } from './sla.ts';

const MINUTE = 60_000;
/** Statuses in which nothing runs any more. */
export const TERMINAL_STATUSES: readonly TicketStatus[] = ['solved', 'closed', 'merged'];
/** Postgres channel the SLA watcher listens on (a due time already reached is fired at once). */
export const SLA_CHANNEL = 'ticket_sla';

export interface SlaPolicyRow {
  id: number;
  firstResponseMinutes: number;
  nextResponseMinutes: number;
  resolutionMinutes: number;
  warnBeforeMinutes: number;
}

/** The most specific active policy for the ticket's priority, channel and customer tier (ties: lowest id), or null. */
export async function choosePolicy(em: EntityManager, t: { priority: string; channel: string; tier: string | null }): Promise<SlaPolicyRow | null> {
  const row = await db(em)
    .selectFrom('sla_policy')
    .select(['id', 'first_response_minutes', 'next_response_minutes', 'resolution_minutes', 'warn_before_minutes'])
    .where('active', '=', true)
    .where((eb) => eb.or([eb('priority', 'is', null), eb('priority', '=', t.priority as never)]))
    .where((eb) => eb.or([eb('channel', 'is', null), eb('channel', '=', t.channel as never)]))
    .where((eb) => (t.tier === null ? eb('tier', 'is', null) : eb.or([eb('tier', 'is', null), eb('tier', '=', t.tier)])))
    .orderBy(sql`(priority is not null)::int + (channel is not null)::int + (tier is not null)::int`, 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row
    ? {
        id: row.id,
        firstResponseMinutes: row.first_response_minutes,
        nextResponseMinutes: row.next_response_minutes,
        resolutionMinutes: row.resolution_minutes,
        warnBeforeMinutes: row.warn_before_minutes,
      }
    : null;
}

/** The calendar of a team (null: no team or no calendar, 24×7). */
export async function teamCalendar(em: EntityManager, teamId: number | null): Promise<CalendarSpec | null> {
  if (teamId === null) return null;
  const row = await db(em)
    .selectFrom('team as t')
    .innerJoin('business_calendar as c', 'c.id', 't.calendar_id')
    .select(['c.time_zone', 'c.hours', 'c.holidays'])
    .where('t.id', '=', teamId)
    .executeTakeFirst();
  return row ? { timeZone: row.time_zone, hours: row.hours, holidays: row.holidays } : null;
}

const minutesFor = (p: SlaPolicyRow, target: SlaTarget) =>
  target === 'first_response' ? p.firstResponseMinutes : target === 'next_response' ? p.nextResponseMinutes : p.resolutionMinutes;

const iso = (d: Date) => d.toISOString();
const ms = (s: string | null | undefined) => (s ? Date.parse(s) : Number.NaN);
const time = (d: Date | string | null) => (d === null ? null : new Date(d));

/** Why the clock stands still for a ticket in this state, or null while it runs. */
export function pauseReason(status: TicketStatus, clock: SlaClock | null): 'customer' | 'on_hold' | 'order' | null {
  if (TERMINAL_STATUSES.includes(status)) return null;
  if (status === 'pending') return 'customer';
  if (status === 'on_hold') return 'on_hold';
  return clock?.orderPause ? 'order' : null;
}

export interface TicketClockInput {
  status: TicketStatus;
  createdAt: Date;
  firstRespondedAt: Date | null;
  lastCustomerMessageAt: Date | null;
  lastAgentReplyAt: Date | null;
  slaPausedAt: Date | null;
  clock: SlaClock | null;
}

export interface ComputedClock {
  clock: SlaClock;
  pausedFor: 'customer' | 'on_hold' | 'order' | null;
  pausedAt: Date | null;
  due: Record<SlaTarget, Date | null>;
  nextCheckAt: Date | null;
}

/**
 * The clock of a ticket at `now` (pure): what `refreshSla` stores. Business time comes from `cal`,
 * the targets from `policy` (none: the clock still counts, nothing is due).
 */
export function computeClock(t: TicketClockInput, policy: SlaPolicyRow | null, cal: CalendarSpec | null, now: Date): ComputedClock {
  const prev = t.clock ?? {};
  const first = !prev.targets;
  const terminal = TERMINAL_STATUSES.includes(t.status);
  const pausedFor = pauseReason(t.status, prev);
  const stopped = terminal || pausedFor !== null;
  const applies: Record<SlaTarget, boolean> = {
    first_response: !terminal && !t.firstRespondedAt,
    next_response:
      !terminal &&
      !!t.firstRespondedAt &&
      !!t.lastCustomerMessageAt &&
      (!t.lastAgentReplyAt || t.lastCustomerMessageAt.getTime() > t.lastAgentReplyAt.getTime()),
    // Solved keeps the resolution clock (stopped), so that a reopened ticket goes on from where it was.
    resolution: t.status !== 'merged' && t.status !== 'closed',
  };
  const targets: NonNullable<SlaClock['targets']> = {};
  const remainingMs: NonNullable<SlaClock['remainingMs']> = {};
  const overdueUnfired = (st: SlaTargetClock) => !st.breached && st.dueAt !== null && ms(st.dueAt) <= now.getTime();
  for (const target of SLA_TARGETS) {
    const old = prev.targets?.[target];
    if (!applies[target]) {
      // Answered or closed: gone, unless a breach fell due before and the watcher has yet to fire it.
      if (old && overdueUnfired(old)) targets[target] = { ...old, since: null, warnAt: null, done: true };
      continue;
    }
    let st: SlaTargetClock;
    if (old && !old.done) st = { ...old };
    else {
      const start = target === 'next_response' ? (t.lastCustomerMessageAt ?? now) : first || target === 'first_response' ? t.createdAt : now;
      st = { usedMs: 0, since: iso(new Date(Math.min(start.getTime(), now.getTime()))), dueAt: null, warnAt: null, warned: false, breached: false };
    }
    if (stopped && st.since !== null) {
      st.usedMs += businessMsBetween(new Date(st.since), now, cal);
      st.since = null;
    } else if (!stopped && st.since === null) st.since = iso(now);
    if (st.since !== null && policy) {
      const total = minutesFor(policy, target) * MINUTE;
      const warnMs = policy.warnBeforeMinutes * MINUTE;
      const left = total - st.usedMs;
      const since = new Date(st.since);
      st.dueAt = iso(addBusinessMs(since, Math.max(0, left), cal));
      st.warnAt = !st.warned && !st.breached && warnMs > 0 && warnMs < total && left > warnMs ? iso(addBusinessMs(since, left - warnMs, cal)) : null;
    } else {
      // Standing still (or no policy): nothing falls due, except what fell due before and is not fired yet.
      if (!overdueUnfired(st)) st.dueAt = null;
      if (st.warned || st.warnAt === null || ms(st.warnAt) > now.getTime()) st.warnAt = null;
      if (policy && pausedFor !== null) remainingMs[target] = Math.max(0, minutesFor(policy, target) * MINUTE - st.usedMs);
    }
    targets[target] = st;
  }
  const clock: SlaClock = { targets, ...(prev.orderPause ? { orderPause: prev.orderPause } : {}), ...(pausedFor ? { remainingMs } : {}) };
  const checks: number[] = [];
  for (const st of Object.values(targets)) {
    if (!st.warned && st.warnAt) checks.push(ms(st.warnAt));
    if (!st.breached && st.dueAt) checks.push(ms(st.dueAt));
  }
  const runningDue = (target: SlaTarget) => {
    const st = targets[target];
    return st && st.since !== null && st.dueAt && !st.done ? new Date(st.dueAt) : null;
  };
  return {
    clock,
    pausedFor,
    pausedAt: pausedFor ? (t.slaPausedAt ?? now) : null,
    due: { first_response: runningDue('first_response'), next_response: runningDue('next_response'), resolution: runningDue('resolution') },
    nextCheckAt: checks.length ? new Date(Math.min(...checks)) : null,
  };
}

/**
 * Recomputes the ticket's SLA policy, due times, pause state and next check, in em's transaction
 * (the ticket row is locked until it ends). Call it after every change to a ticket, once the change
 * is flushed: it reads and writes the row with SQL. Throws 404 for an unknown ticket.
 */
export async function refreshSla(em: EntityManager, ticketId: number, now: Date = new Date()): Promise<void> {
  await em.flush();
  const t = await db(em)
    .selectFrom('ticket as t')
    .leftJoin('customer as c', 'c.id', 't.customer_id')
    .select([
      't.id',
      't.status',
      't.priority',
      't.channel',
      't.team_id',
      't.created_at',
      't.first_responded_at',
      't.last_customer_message_at',
      't.last_agent_reply_at',
      't.sla_paused_at',
      't.sla_clock',
      't.sla_policy_id',
      'c.tier',
    ])
    .where('t.id', '=', ticketId)
    .forUpdate('t')
    .executeTakeFirst();
  if (!t) throw new DomainError(404, 'not_found', `No ticket ${ticketId}.`);
  const policy = await choosePolicy(em, { priority: t.priority, channel: t.channel, tier: t.tier ?? null });
  const cal = await teamCalendar(em, t.team_id);
  const c = computeClock(
    {
      status: t.status,
      createdAt: new Date(t.created_at),
      firstRespondedAt: time(t.first_responded_at),
      lastCustomerMessageAt: time(t.last_customer_message_at),
      lastAgentReplyAt: time(t.last_agent_reply_at),
      slaPausedAt: time(t.sla_paused_at),
      clock: t.sla_clock,
    },
    policy,
    cal,
    now,
  );
  await db(em)
    .updateTable('ticket')
    .set({
      sla_policy_id: policy?.id ?? null,
      first_response_due_at: c.due.first_response,
      next_response_due_at: c.due.next_response,
      resolution_due_at: c.due.resolution,
      sla_paused_for: c.pausedFor,
      sla_paused_at: c.pausedAt,
      sla_clock: jsonb(c.clock),
      sla_next_check_at: c.nextCheckAt,
    })
    .where('id', '=', ticketId)
    .execute();
  // Already due (an overdue breach, a warning whose time has come): the watcher hears of it on commit.
  if (c.nextCheckAt && c.nextCheckAt.getTime() <= now.getTime()) await sql`select pg_notify(${SLA_CHANNEL}, ${String(ticketId)})`.execute(db(em));
}

/** The open tickets of an order, locked, with their clocks. */
async function openTicketsOfOrder(em: EntityManager, orderId: number) {
  return db(em)
    .selectFrom('ticket')
    .select(['id', 'number', 'sla_clock', 'sla_paused_for'])
    .where('order_id', '=', orderId)
    .where('status', 'not in', TERMINAL_STATUSES)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * Stops the clocks of the order's open tickets while it waits on the order (a return in transit, a
 * carrier delay), in em's transaction, with an audit event per ticket. A ticket already waiting on
 * the order is left as it is. Returns the tickets paused.
 */
export async function pauseSlaForOrder(
  em: EntityManager,
  orderId: number,
  reason: string,
  actor: Actor,
  now: Date = new Date(),
): Promise<{ ticketIds: number[] }> {
  const why = reason.trim().slice(0, 200) || 'order';
  const paused: number[] = [];
  for (const t of await openTicketsOfOrder(em, orderId)) {
    const clock: SlaClock = t.sla_clock ?? {};
    if (clock.orderPause) continue;
    await db(em)
      .updateTable('ticket')
      .set({ sla_clock: jsonb({ ...clock, orderPause: { reason: why, at: iso(now) } }) })
      .where('id', '=', t.id)
      .execute();
    await refreshSla(em, t.id, now);
    audit(em, actor, {
      action: 'ticket.sla_paused',
      entityType: 'Ticket',
      entityId: t.id,
      before: { slaPausedFor: t.sla_paused_for },
      after: { number: t.number, orderId, waitingOn: 'order', reason: why },
    });
    paused.push(t.id);
  }
  return { ticketIds: paused };
}

/** Starts again the clocks `pauseSlaForOrder` stopped (each from what it had left), with an audit event per ticket. Returns the tickets resumed. */
export async function resumeSlaForOrder(em: EntityManager, orderId: number, actor: Actor, now: Date = new Date()): Promise<{ ticketIds: number[] }> {
  const resumed: number[] = [];
  for (const t of await openTicketsOfOrder(em, orderId)) {
    const clock: SlaClock = t.sla_clock ?? {};
    if (!clock.orderPause) continue;
    const { orderPause, ...rest } = clock;
    await db(em)
      .updateTable('ticket')
      .set({ sla_clock: jsonb(rest) })
      .where('id', '=', t.id)
      .execute();
    await refreshSla(em, t.id, now);
    audit(em, actor, {
      action: 'ticket.sla_resumed',
      entityType: 'Ticket',
      entityId: t.id,
      before: { waitingOn: 'order', reason: orderPause.reason, since: orderPause.at },
      after: { number: t.number, orderId },
    });
    resumed.push(t.id);
  }
  return { ticketIds: resumed };
}
