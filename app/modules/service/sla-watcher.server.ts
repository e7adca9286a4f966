// The SLA watcher (runs in the worker): fires each ticket's SLA warnings and breaches once, durably.
//
// A pass claims tickets whose `sla_next_check_at` has come (the partial index on it; FOR UPDATE SKIP
// LOCKED, so several watchers share the work and never take the same ticket), and in ONE transaction
// per batch: records each warning / breach that fell due as a `ticket_sla_event` row (unique per
// ticket, target, kind and due time: ON CONFLICT DO NOTHING), and only for the rows it inserted
// publishes `ticket.sla_warning` / `ticket.sla_breached` (topic service), rings the alert bell, mails
// the team lead (the ops managers for a team without one) and audits; then marks the clock's targets
// fired and advances `sla_next_check_at` to the next thing due. A crash before the commit leaves
// everything to the next pass; after it, the event rows and the advanced check say it is done, so a
// restart neither loses nor repeats a breach.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { Locale } from '../../../entities/constants.ts';
import type { SlaClock, SlaTarget, SlaTargetClock } from '../../../entities/service.ts';
import { auditMany, SYSTEM, type AuditRow } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { startListening } from '../../lib/listen.server.ts';
import { publishMany, type OutboxRow } from '../../lib/outbox.server.ts';
import { enqueueMail, publicUrl } from '../notifications/service.server.ts';
import { emailLocale } from '../notifications/templates.ts';
import { renderSlaMail, type SlaEventKind } from './sla-mail.ts';
import { SLA_CHANNEL } from './sla.server.ts';

export const SLA_BATCH = 500;
const ACTOR = { ...SYSTEM, label: 'sla watcher' };

export interface SlaFiring {
  ticketId: number;
  number: string;
  target: SlaTarget;
  kind: SlaEventKind;
  dueAt: Date;
}

export interface SlaPassResult {
  claimed: number;
  fired: SlaFiring[];
  /** A full batch was claimed: there may be more due at once. */
  more: boolean;
}

interface Claimed {
  id: number;
  number: string;
  subject: string;
  sla_clock: SlaClock | null;
  order_id: number | null;
  customer_id: number | null;
  team_id: number | null;
  assignee_id: number | null;
  team_name: string | null;
  lead_id: number | null;
}

/** What falls due on a clock by `now` (warnings before breaches), the clock with them marked fired, and the next check. */
export function dueOnClock(
  clock: SlaClock | null,
  now: Date,
): { due: { target: SlaTarget; kind: SlaEventKind; dueAt: Date }[]; clock: SlaClock; next: Date | null } {
  const targets: NonNullable<SlaClock['targets']> = {};
  const due: { target: SlaTarget; kind: SlaEventKind; dueAt: Date }[] = [];
  const checks: number[] = [];
  const t = now.getTime();
  for (const [target, old] of Object.entries(clock?.targets ?? {}) as [SlaTarget, SlaTargetClock][]) {
    const st = { ...old };
    if (!st.warned && st.warnAt && st.dueAt && Date.parse(st.warnAt) <= t) {
      due.push({ target, kind: 'warning', dueAt: new Date(st.dueAt) });
      st.warned = true;
      st.warnAt = null;
    }
    if (!st.breached && st.dueAt && Date.parse(st.dueAt) <= t) {
      due.push({ target, kind: 'breach', dueAt: new Date(st.dueAt) });
      st.breached = true;
      st.warned = true;
      st.warnAt = null;
    }
    // A finished target kept only for its overdue breach is gone once that is fired.
    if (st.done && st.breached) continue;
    if (!st.warned && st.warnAt) checks.push(Date.parse(st.warnAt));
    if (!st.breached && st.dueAt) checks.push(Date.parse(st.dueAt));
    targets[target] = st;
  }
  return { due, clock: { ...clock, targets }, next: checks.length ? new Date(Math.min(...checks)) : null };
}

/** Who hears of a ticket's SLA by mail: the team's lead, else the active ops managers. */
async function recipients(em: EntityManager, leadIds: number[]) {
  const users = await db(em)
    .selectFrom('app_user')
    .select(['id', 'email', 'name', 'locale', 'role'])
    .where('active', '=', true)
    .where((eb) => eb.or([eb('role', '=', 'ops_manager'), ...(leadIds.length ? [eb('id', 'in', leadIds)] : [])]))
    .orderBy('id')
    .execute();
  const byId = new Map(users.map((u) => [u.id, u]));
  const managers = users.filter((u) => u.role === 'ops_manager');
  return (leadId: number | null) => {
    const lead = leadId === null ? undefined : byId.get(leadId);
    return lead ? [lead] : managers;
  };
}

/**
 * One pass: claims up to `batch` tickets whose next check has come and fires what fell due, in one
 * transaction. `now` is when "due" is judged (tests move it; default the clock).
 */
export async function fireDueSla(orm: MikroORM, opts: { batch?: number; now?: Date } = {}): Promise<SlaPassResult> {
  const batch = opts.batch ?? SLA_BATCH;
  const now = opts.now ?? new Date();
  return orm.em.fork().transactional(async (em) => {
    const claimed: Claimed[] = await db(em)
      .selectFrom('ticket as t')
      .leftJoin('team as tm', 'tm.id', 't.team_id')
      .select([
        't.id',
        't.number',
        't.subject',
        't.sla_clock',
        't.order_id',
        't.customer_id',
        't.team_id',
        't.assignee_id',
        'tm.name as team_name',
        'tm.lead_id',
      ])
      .where('t.sla_next_check_at', '<=', now)
      .orderBy('t.sla_next_check_at')
      .limit(batch)
      .forUpdate(['t'])
      .skipLocked()
      .execute();
    if (!claimed.length) return { claimed: 0, fired: [], more: false };

    const updates: { id: number; clock: SlaClock; next: Date | null }[] = [];
    const candidates: (SlaFiring & { ticket: Claimed })[] = [];
    for (const t of claimed) {
      const r = dueOnClock(t.sla_clock, now);
      updates.push({ id: t.id, clock: r.clock, next: r.next });
      for (const d of r.due) candidates.push({ ...d, ticketId: t.id, number: t.number, ticket: t });
    }

    // The event rows decide what is new: a row already there (fired before a crash's restart, or by another watcher) is not fired again.
    const inserted = candidates.length
      ? (
          await sql<{ ticket_id: number; target: string; kind: string; due_at: Date }>`
            insert into ticket_sla_event (ticket_id, target, kind, due_at, fired_at)
            select v.ticket_id, v.target, v.kind, v.due_at, clock_timestamp()
              from unnest(${candidates.map((c) => c.ticketId)}::int[], ${candidates.map((c) => c.target)}::text[],
                          ${candidates.map((c) => c.kind)}::text[], ${candidates.map((c) => c.dueAt.toISOString())}::timestamptz[])
                   as v(ticket_id, target, kind, due_at)
            on conflict do nothing
            returning ticket_id, target, kind, due_at`.execute(db(em))
        ).rows
      : [];
    const key = (ticketId: number, target: string, kind: string, dueAt: Date) => `${ticketId}|${target}|${kind}|${new Date(dueAt).getTime()}`;
    const isNew = new Set(inserted.map((r) => key(r.ticket_id, r.target, r.kind, r.due_at)));
    const fired = candidates.filter((c) => isNew.has(key(c.ticketId, c.target, c.kind, c.dueAt)));

    if (fired.length) {
      const mailTo = await recipients(em, [...new Set(fired.map((f) => f.ticket.lead_id).filter((x): x is number => x !== null))]);
      const events: OutboxRow[] = [];
      const audits: AuditRow[] = [];
      const base = publicUrl();
      for (const f of fired) {
        const t = f.ticket;
        const type = f.kind === 'warning' ? 'ticket.sla_warning' : 'ticket.sla_breached';
        const payload = {
          ticketId: t.id,
          number: t.number,
          target: f.target,
          kind: f.kind,
          dueAt: f.dueAt.toISOString(),
          orderId: t.order_id,
          customerId: t.customer_id,
          teamId: t.team_id,
          assigneeId: t.assignee_id,
        };
        events.push({ topic: 'service', type, payload });
        // The bell (as raiseStaffAlert rings it), once per fired event.
        events.push({
          topic: 'dashboards',
          type: 'alert.raised',
          payload: {
            message: `${t.number}: ${f.target.replace('_', ' ')} ${f.kind === 'warning' ? 'due soon' : 'breached'}`,
            messageKey: `sla.alert.${f.kind}`,
            params: { number: t.number, target: f.target },
            severity: f.kind === 'warning' ? 'warning' : 'critical',
            key: `sla:${t.id}:${f.target}:${f.kind}:${f.dueAt.toISOString()}`,
            ticketId: t.id,
          },
        });
        const emailed: string[] = [];
        for (const user of mailTo(t.lead_id)) {
          const locale: Locale = emailLocale(user.locale);
          const mail = renderSlaMail(locale, {
            recipientName: user.name,
            number: t.number,
            subject: t.subject,
            target: f.target,
            kind: f.kind,
            dueAt: f.dueAt,
            teamName: t.team_name,
            ticketUrl: `${base}/service/${t.id}`,
          });
          const id = await enqueueMail(em, {
            key: `sla:${t.id}:${f.target}:${f.kind}:${f.dueAt.getTime()}:user:${user.id}`,
            template: 'staff_alert',
            to: user.email,
            locale,
            mail,
          });
          if (id !== null) emailed.push(user.email);
        }
        audits.push({
          actor: ACTOR,
          entry: {
            action: f.kind === 'warning' ? 'ticket.sla_warning' : 'ticket.sla_breached',
            entityType: 'Ticket',
            entityId: t.id,
            after: { number: t.number, target: f.target, dueAt: f.dueAt.toISOString(), emailed },
          },
        });
      }
      await publishMany(em, events);
      await auditMany(em, audits);
    }

    await sql`
      update ticket t set sla_clock = v.clock::jsonb, sla_next_check_at = v.next
        from unnest(${updates.map((u) => u.id)}::int[], ${updates.map((u) => JSON.stringify(u.clock))}::text[],
                    ${updates.map((u) => u.next?.toISOString() ?? null)}::timestamptz[]) as v(id, clock, next)
       where t.id = v.id`.execute(db(em));
    return { claimed: claimed.length, fired: fired.map(({ ticket: _t, ...f }) => f), more: claimed.length === batch };
  });
}

export interface SlaWatcherOptions {
  orm: MikroORM;
  databaseUrl: string;
  /** How often it looks without being told (default 1 s). */
  pollMs?: number;
  batch?: number;
  log: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void };
}

/** Starts the watcher: a pass every `pollMs`, and on NOTIFY ticket_sla (a due time already reached); returns stop(). */
export function startSlaWatcher(opts: SlaWatcherOptions): () => Promise<void> {
  return startListening({
    databaseUrl: opts.databaseUrl,
    channel: SLA_CHANNEL,
    pollMs: opts.pollMs ?? 1_000,
    log: opts.log,
    run: async () => {
      const r = await fireDueSla(opts.orm, { batch: opts.batch });
      if (r.fired.length) opts.log.info(`fired ${r.fired.length} SLA warning(s)/breach(es) on ${r.claimed} ticket(s)`);
      return r.more;
    },
  });
}
