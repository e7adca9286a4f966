// Who works a ticket. Round robin within the ticket's team: of the available agents (AgentProfile)
// whose open tickets (new, open, pending, on hold) are fewer than their capacity, the one given a
// ticket longest ago (never first) gets it. Skills are languages: when any agent of the team answers
// in the ticket's language, only those agents are considered.
//
// Concurrency: the team's agent profiles are locked (FOR UPDATE, in user id order) before counting,
// so two tickets assigned at once queue on the same rows and the second sees the first's assignment:
// no agent is filled beyond capacity. Every change is audited and published as `ticket.assigned`
// (topic service) in the caller's transaction.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { can, type Role } from '../../lib/permissions.ts';
import { publish } from '../../lib/outbox.server.ts';
import { TERMINAL_STATUSES } from './sla.server.ts';

/** Statuses that count against an agent's capacity. */
export const OPEN_STATUSES = ['new', 'open', 'pending', 'on_hold'] as const;
/** How many waiting tickets one re-offer looks at. */
const REOFFER_LIMIT = 200;

type How = 'auto' | 'manual' | 'take' | 'away';

async function lockTicket(em: EntityManager, ticketId: number) {
  const t = await db(em)
    .selectFrom('ticket')
    .select(['id', 'number', 'status', 'team_id', 'language', 'assignee_id'])
    .where('id', '=', ticketId)
    .forUpdate()
    .executeTakeFirst();
  if (!t) throw new DomainError(404, 'not_found', `No ticket ${ticketId}.`);
  return t;
}

async function setAssignee(
  em: EntityManager,
  t: { id: number; number: string; team_id: number | null; assignee_id: number | null },
  userId: number | null,
  how: How,
  actor: Actor,
): Promise<void> {
  await db(em).updateTable('ticket').set({ assignee_id: userId, updated_at: new Date() }).where('id', '=', t.id).execute();
  if (userId !== null)
    await db(em)
      .updateTable('agent_profile')
      .set({ last_assigned_at: sql<Date>`clock_timestamp()` })
      .where('user_id', '=', userId)
      .execute();
  audit(em, actor, {
    action: userId === null ? 'ticket.unassigned' : 'ticket.assigned',
    entityType: 'Ticket',
    entityId: t.id,
    before: { assigneeId: t.assignee_id },
    after: { number: t.number, assigneeId: userId, how },
  });
  publish(em, 'service', 'ticket.assigned', {
    ticketId: t.id,
    number: t.number,
    teamId: t.team_id,
    assigneeId: userId,
    previousAssigneeId: t.assignee_id,
    how,
  });
}

/** Open tickets per user, for the users given. */
async function openCounts(em: EntityManager, userIds: number[]): Promise<Map<number, number>> {
  if (!userIds.length) return new Map();
  const rows = await db(em)
    .selectFrom('ticket')
    .select(['assignee_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('assignee_id', 'in', userIds)
    .where('status', 'in', OPEN_STATUSES)
    .groupBy('assignee_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.assignee_id), Number(r.n)]));
}

/**
 * Gives an unassigned, open ticket of a team to the next agent by round robin (see above), in em's
 * transaction. Returns who got it: null when the ticket has no team, is already assigned or finished,
 * or no agent has room (it waits; `reofferWaiting` offers it again when someone frees up).
 */
export async function autoAssign(em: EntityManager, ticketId: number, actor: Actor, opts: { exclude?: number[] } = {}): Promise<{ assigneeId: number | null }> {
  const t = await lockTicket(em, ticketId);
  if (t.assignee_id !== null) return { assigneeId: t.assignee_id };
  if (t.team_id === null || TERMINAL_STATUSES.includes(t.status)) return { assigneeId: null };
  const team = await db(em)
    .selectFrom('agent_profile as a')
    .innerJoin('app_user as u', 'u.id', 'a.user_id')
    .select(['a.user_id', 'a.skills', 'a.capacity', 'a.available', 'a.last_assigned_at'])
    .where('a.team_id', '=', t.team_id)
    .where('u.active', '=', true)
    .orderBy('a.user_id')
    .forUpdate(['a'])
    .execute();
  const speaks = team.some((a) => a.skills.includes(t.language));
  const candidates = team
    .filter((a) => a.available && !opts.exclude?.includes(a.user_id) && (!speaks || a.skills.includes(t.language)))
    .sort((a, b) => {
      const x = a.last_assigned_at ? new Date(a.last_assigned_at).getTime() : -Infinity;
      const y = b.last_assigned_at ? new Date(b.last_assigned_at).getTime() : -Infinity;
      return x - y || a.user_id - b.user_id;
    });
  const counts = await openCounts(
    em,
    candidates.map((a) => a.user_id),
  );
  const chosen = candidates.find((a) => (counts.get(a.user_id) ?? 0) < a.capacity);
  if (!chosen) return { assigneeId: null };
  await setAssignee(em, t, chosen.user_id, 'auto', actor);
  return { assigneeId: chosen.user_id };
}

/**
 * Offers waiting tickets (open, unassigned; oldest first) of a team, or of every team (null), to the
 * agents with room: call it when an agent frees up (solves a ticket, gets more capacity) or comes
 * back. Returns the tickets assigned.
 */
export async function reofferWaiting(
  em: EntityManager,
  teamId: number | null,
  actor: Actor,
): Promise<{ assigned: { ticketId: number; assigneeId: number }[] }> {
  const waiting = await db(em)
    .selectFrom('ticket')
    .select(['id'])
    .where('assignee_id', 'is', null)
    .where('status', 'in', ['new', 'open'])
    .$if(teamId !== null, (q) => q.where('team_id', '=', teamId!))
    .$if(teamId === null, (q) => q.where('team_id', 'is not', null))
    .orderBy('created_at')
    .orderBy('id')
    .limit(REOFFER_LIMIT)
    .execute();
  const assigned: { ticketId: number; assigneeId: number }[] = [];
  for (const { id } of waiting) {
    const r = await autoAssign(em, id, actor);
    if (r.assigneeId !== null) assigned.push({ ticketId: id, assigneeId: r.assigneeId });
  }
  return { assigned };
}

const AGENT_ROLES = (['admin', 'ops_manager', 'agent'] as const satisfies readonly Role[]).filter((r) => can(r, 'service.manage'));

/**
 * Assigns a ticket by hand (userId null: unassigns it), in em's transaction. The assignee must be an
 * active user who may work tickets (422 on `assignee`); a hand-made assignment may exceed the agent's
 * capacity. Assigning the current assignee again does nothing.
 */
export async function assignTicket(
  em: EntityManager,
  ticketId: number,
  userId: number | null,
  actor: Actor,
): Promise<{ assigneeId: number | null; changed: boolean }> {
  const t = await lockTicket(em, ticketId);
  if (userId !== null) {
    const user = await db(em).selectFrom('app_user').select(['id', 'role', 'active']).where('id', '=', userId).executeTakeFirst();
    if (!user || !user.active || !(AGENT_ROLES as readonly string[]).includes(user.role))
      throw invalid([{ field: 'assignee', code: 'invalid_assignee', messageKey: 'sla.errors.assigneeInvalid', params: { value: userId } }]);
    // The profile is locked like autoAssign's, so a concurrent automatic choice counts this ticket.
    await db(em).selectFrom('agent_profile').select('user_id').where('user_id', '=', userId).forUpdate().execute();
  }
  if (t.assignee_id === userId) return { assigneeId: userId, changed: false };
  if (TERMINAL_STATUSES.includes(t.status))
    throw new DomainError(409, 'ticket_finished', `Ticket ${t.number} is ${t.status}.`, { params: { status: t.status } });
  await setAssignee(em, t, userId, 'manual', actor);
  return { assigneeId: userId, changed: true };
}

/** The signed-in agent takes the ticket (it becomes theirs, whoever had it). */
export async function takeTicket(
  em: EntityManager,
  ticketId: number,
  user: { id: number; email: string },
  actor?: Actor,
): Promise<{ assigneeId: number; changed: boolean }> {
  const who: Actor = actor ?? { type: 'user', id: user.id, label: user.email };
  const t = await lockTicket(em, ticketId);
  if (t.assignee_id === user.id) return { assigneeId: user.id, changed: false };
  if (TERMINAL_STATUSES.includes(t.status))
    throw new DomainError(409, 'ticket_finished', `Ticket ${t.number} is ${t.status}.`, { params: { status: t.status } });
  await db(em).selectFrom('agent_profile').select('user_id').where('user_id', '=', user.id).forUpdate().execute();
  await setAssignee(em, t, user.id, 'take', who);
  return { assigneeId: user.id, changed: true };
}

/**
 * An agent goes away or comes back, in em's transaction (404 without an agent profile). Going away:
 * their tickets nobody has answered yet (status new) go back to the team and are offered to the
 * others. Coming back: the team's waiting tickets are offered (to them among others).
 */
export async function setAvailability(
  em: EntityManager,
  userId: number,
  available: boolean,
  actor: Actor,
): Promise<{ changed: boolean; reassigned: { ticketId: number; assigneeId: number | null }[] }> {
  // Their unanswered tickets are locked before the profile: the order autoAssign takes (ticket, then profiles).
  const unanswered = available
    ? []
    : await db(em)
        .selectFrom('ticket')
        .select(['id', 'number', 'team_id', 'assignee_id'])
        .where('assignee_id', '=', userId)
        .where('status', '=', 'new')
        .orderBy('created_at')
        .orderBy('id')
        .forUpdate()
        .execute();
  const profile = await db(em)
    .selectFrom('agent_profile')
    .select(['user_id', 'team_id', 'available'])
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  if (!profile) throw new DomainError(404, 'not_found', `No agent profile for user ${userId}.`);
  if (profile.available === available) return { changed: false, reassigned: [] };
  await db(em).updateTable('agent_profile').set({ available }).where('user_id', '=', userId).execute();
  audit(em, actor, {
    action: 'agent.availability_changed',
    entityType: 'AgentProfile',
    entityId: userId,
    before: { available: !available },
    after: { available },
  });
  const reassigned: { ticketId: number; assigneeId: number | null }[] = [];
  if (!available) {
    for (const t of unanswered) {
      await setAssignee(em, t, null, 'away', actor);
      reassigned.push({ ticketId: t.id, assigneeId: (await autoAssign(em, t.id, actor, { exclude: [userId] })).assigneeId });
    }
  } else {
    for (const r of (await reofferWaiting(em, profile.team_id, actor)).assigned) reassigned.push(r);
  }
  return { changed: true, reassigned };
}
