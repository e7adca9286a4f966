// The SLA clock and the SLA watcher against the real database: policies chosen by priority, channel
// and tier; due times in 24×7 and in business hours (with a holiday); the clock paused by status and
// by the order (pauseSlaForOrder and the service.waitOnOrder node); warnings and breaches fired
// exactly once, across a "restart" (a fresh ORM, as a new worker process has) and with two watchers
// at once.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrm } from '../../app/lib/db.server.ts';
import { pauseSlaForOrder, refreshSla, resumeSlaForOrder } from '../../app/modules/service/sla.server.ts';
import { fireDueSla } from '../../app/modules/service/sla-watcher.server.ts';
import { nodeActivities } from '../../activities/nodes/index.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { clearDemoDesk } from '../support/domain.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'tester' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const MIN = 60_000;
/** A Monday, 00:00 UTC. */
const T0 = new Date('2026-12-07T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
let policyDefault = 0;
let policyUrgent = 0;
let policyVip = 0;
let teamPlain = 0;
let teamShanghai = 0;
let leadEmail = '';
let orderId = 0;
let customerId = 0;

beforeAll(async () => {
  db = await createTestDatabase('sla');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // These tests set up their own desk (teams, calendars, policies), so the demo's goes.
  await clearDemoDesk(db);
  const id = async (q: string, p: unknown[] = []) => Number((await sql<{ id: number }>(q, p))[0].id);
  policyDefault = await id(
    `insert into sla_policy (name, first_response_minutes, next_response_minutes, resolution_minutes, warn_before_minutes, active, created_at) values ('Default', 60, 30, 480, 15, true, now()) returning id`,
  );
  policyUrgent = await id(
    `insert into sla_policy (name, priority, channel, first_response_minutes, next_response_minutes, resolution_minutes, warn_before_minutes, active, created_at) values ('Urgent mail', 'urgent', 'email', 15, 10, 120, 5, true, now()) returning id`,
  );
  policyVip = await id(
    `insert into sla_policy (name, tier, first_response_minutes, next_response_minutes, resolution_minutes, warn_before_minutes, active, created_at) values ('VIP', 'vip', 20, 20, 240, 5, true, now()) returning id`,
  );
  await sql(
    `insert into sla_policy (name, priority, first_response_minutes, next_response_minutes, resolution_minutes, active, created_at) values ('Off', 'urgent', 1, 1, 1, false, now())`,
  );
  const cal = await id(
    `insert into business_calendar (name, time_zone, hours, holidays, created_at) values ('Shanghai office', 'Asia/Shanghai', ?::jsonb, ?::jsonb, now()) returning id`,
    [JSON.stringify([1, 2, 3, 4, 5].map((day) => ({ day, from: 540, to: 1080 }))), JSON.stringify(['2026-12-08'])],
  );
  const lead = (await sql<{ id: number; email: string }>(`select id, email from app_user where role = 'agent' limit 1`))[0];
  leadEmail = lead.email;
  teamPlain = await id(`insert into team (name, created_at) values ('Plain', now()) returning id`);
  teamShanghai = await id(`insert into team (name, calendar_id, lead_id, created_at) values ('Shanghai', ?, ?, now()) returning id`, [cal, lead.id]);
  const o = (await sql<{ id: number; customer_id: number }>(`select id, customer_id from sales_order order by id limit 1`))[0];
  orderId = o.id;
  customerId = o.customer_id;
});
afterAll(async () => {
  await db?.drop();
});

interface TicketOpts {
  status?: string;
  priority?: string;
  channel?: string;
  teamId?: number | null;
  customerId?: number | null;
  orderId?: number | null;
  createdAt?: Date;
}

/** A ticket row as the tickets module would write it, then its clock as refreshSla sets it on creation. */
async function newTicket(o: TicketOpts = {}): Promise<number> {
  const created = o.createdAt ?? T0;
  const [row] = await sql<{ id: number }>(
    `insert into ticket (subject, status, priority, channel, team_id, customer_id, order_id, token, created_at, updated_at)
     values ('Where is my parcel', ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      o.status ?? 'new',
      o.priority ?? 'normal',
      o.channel ?? 'email',
      o.teamId === undefined ? teamPlain : o.teamId,
      o.customerId ?? null,
      o.orderId ?? null,
      crypto.randomBytes(16).toString('hex'),
      created,
      created,
    ],
  );
  await refresh(row.id, created);
  return row.id;
}

const refresh = (id: number, now: Date) => db.orm.em.fork().transactional((em) => refreshSla(em, id, now));
/** A change the tickets module would make, then refreshSla in the same transaction. */
const change = (id: number, set: string, now: Date, p: unknown[] = []) =>
  db.orm.em.fork().transactional(async (em) => {
    await em.execute(`update ticket set ${set} where id = ?`, [...p, id]);
    await refreshSla(em, id, now);
  });

interface Row {
  sla_policy_id: number | null;
  first_response_due_at: Date | null;
  next_response_due_at: Date | null;
  resolution_due_at: Date | null;
  sla_paused_for: string | null;
  sla_paused_at: Date | null;
  sla_next_check_at: Date | null;
  sla_clock: { remainingMs?: Record<string, number>; orderPause?: { reason: string } | null };
}
const get = async (id: number) => (await sql<Row>(`select * from ticket where id = ?`, [id]))[0];
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const events = (id: number) =>
  sql<{ target: string; kind: string; due_at: Date; fired_at: Date }>(
    `select target, kind, due_at, fired_at from ticket_sla_event where ticket_id = ? order by id`,
    [id],
  );

describe('SLA clock', () => {
  it('chooses the most specific active policy', async () => {
    const normal = await newTicket();
    const urgent = await newTicket({ priority: 'urgent' });
    const urgentPhone = await newTicket({ priority: 'urgent', channel: 'phone' });
    await sql(`update customer set tier = 'vip' where id = ?`, [customerId]);
    const vip = await newTicket({ customerId });
    expect((await get(normal)).sla_policy_id).toBe(policyDefault);
    expect((await get(urgent)).sla_policy_id).toBe(policyUrgent);
    // The inactive urgent policy and the email-only one do not apply to a phone call.
    expect((await get(urgentPhone)).sla_policy_id).toBe(policyDefault);
    expect((await get(vip)).sla_policy_id).toBe(policyVip);
    // A priority change picks the policy again, and the due times with it.
    await change(normal, `priority = 'urgent'`, at(1));
    const r = await get(normal);
    expect(r.sla_policy_id).toBe(policyUrgent);
    expect(iso(r.first_response_due_at)).toBe(at(15).toISOString());
  });

  it('runs 24×7 without a calendar: first response, resolution, and the warning as the next check', async () => {
    const id = await newTicket();
    const r = await get(id);
    expect(iso(r.first_response_due_at)).toBe(at(60).toISOString());
    expect(iso(r.resolution_due_at)).toBe(at(480).toISOString());
    expect(r.next_response_due_at).toBeNull();
    expect(iso(r.sla_next_check_at)).toBe(at(45).toISOString());
    // The first reply ends the first-response target; a later customer message starts next response.
    await change(id, `first_responded_at = ?, last_agent_reply_at = ?, status = 'open'`, at(30), [at(30), at(30)]);
    expect((await get(id)).first_response_due_at).toBeNull();
    await change(id, `last_customer_message_at = ?`, at(100), [at(100)]);
    expect(iso((await get(id)).next_response_due_at)).toBe(at(130).toISOString());
    await change(id, `last_agent_reply_at = ?`, at(110), [at(110)]);
    expect((await get(id)).next_response_due_at).toBeNull();
  });

  it('pauses while pending or on hold and resumes with the time that was left', async () => {
    const id = await newTicket();
    await change(id, `status = 'pending'`, at(20));
    let r = await get(id);
    expect(r.sla_paused_for).toBe('customer');
    expect(iso(r.sla_paused_at)).toBe(at(20).toISOString());
    expect([r.first_response_due_at, r.resolution_due_at, r.sla_next_check_at]).toEqual([null, null, null]);
    expect(r.sla_clock.remainingMs).toEqual({ first_response: 40 * MIN, resolution: 460 * MIN });
    await change(id, `status = 'open'`, at(200));
    r = await get(id);
    expect([r.sla_paused_for, r.sla_paused_at]).toEqual([null, null]);
    expect(iso(r.first_response_due_at)).toBe(at(240).toISOString());
    expect(iso(r.resolution_due_at)).toBe(at(660).toISOString());
    await change(id, `status = 'on_hold'`, at(210));
    r = await get(id);
    expect(r.sla_paused_for).toBe('on_hold');
    expect(r.sla_clock.remainingMs).toEqual({ first_response: 30 * MIN, resolution: 450 * MIN });
    await change(id, `status = 'open'`, at(300));
    expect(iso((await get(id)).first_response_due_at)).toBe(at(330).toISOString());
    // Solved: nothing runs, nothing is checked.
    await change(id, `status = 'solved', first_responded_at = ?`, at(310), [at(310)]);
    r = await get(id);
    expect([r.first_response_due_at, r.resolution_due_at, r.sla_next_check_at, r.sla_paused_for]).toEqual([null, null, null, null]);
  });

  it('pauses the open tickets of an order while it waits on the order, audited, and resumes them', async () => {
    const a = await newTicket({ orderId });
    const b = await newTicket({ orderId, status: 'pending' });
    const done = await newTicket({ orderId, status: 'solved' });
    const r = await db.orm.em.fork().transactional((em) => pauseSlaForOrder(em, orderId, 'return in transit', actor, at(10)));
    expect(r.ticketIds.sort()).toEqual([a, b].sort());
    expect((await get(a)).sla_paused_for).toBe('order');
    expect((await get(a)).first_response_due_at).toBeNull();
    expect((await get(done)).sla_clock.orderPause ?? null).toBeNull();
    // Pausing again changes nothing; a status round trip keeps the order pause.
    expect((await db.orm.em.fork().transactional((em) => pauseSlaForOrder(em, orderId, 'again', actor, at(11)))).ticketIds).toEqual([]);
    await change(a, `status = 'pending'`, at(12));
    await change(a, `status = 'open'`, at(13));
    expect((await get(a)).sla_paused_for).toBe('order');
    const audits = await sql<{ entity_id: string; after: { reason: string } }>(
      `select entity_id, after from audit_event where action = 'ticket.sla_paused' order by id`,
    );
    expect(audits.map((x) => Number(x.entity_id)).sort()).toEqual([a, b].sort());
    expect(audits[0].after.reason).toBe('return in transit');

    const back = await db.orm.em.fork().transactional((em) => resumeSlaForOrder(em, orderId, actor, at(70)));
    expect(back.ticketIds.sort()).toEqual([a, b].sort());
    const ra = await get(a);
    expect(ra.sla_paused_for).toBeNull();
    // 10 minutes used before the pause: 50 left from 70.
    expect(iso(ra.first_response_due_at)).toBe(at(120).toISOString());
    // b is still pending on the customer.
    expect((await get(b)).sla_paused_for).toBe('customer');
    expect(Number((await sql<{ n: string }>(`select count(*) as n from audit_event where action = 'ticket.sla_resumed'`))[0].n)).toBe(2);
  });

  it('pauses and resumes through the service.waitOnOrder node (a retry changes nothing)', async () => {
    const [o] = await sql<{ id: number }>(`select id from sales_order where id <> ? order by id limit 1`, [orderId]);
    const id = await newTicket({ orderId: o.id, createdAt: new Date(Date.now() - 5 * MIN) });
    const act = nodeActivities({ orm: db.orm });
    const input = (mode: string) => ({
      key: `wf-sla-${mode}:wait:1`,
      workflowId: `wf-sla-${mode}`,
      nodeId: 'wait',
      config: { mode },
      context: { trigger: { type: 'return.requested', payload: { orderId: o.id } }, nodes: {} },
    });
    const first = await act['service.waitOnOrder'](input('pause'));
    expect(first).toEqual({ handle: 'ok', output: { orderId: o.id, mode: 'pause', ticketIds: [id] } });
    expect((await act['service.waitOnOrder'](input('pause'))).output?.ticketIds).toEqual([]);
    expect((await get(id)).sla_paused_for).toBe('order');
    expect((await act['service.waitOnOrder'](input('resume'))).output?.ticketIds).toEqual([id]);
    expect((await get(id)).sla_paused_for).toBeNull();
    expect((await get(id)).first_response_due_at).not.toBeNull();
  });

  it('counts business hours in the team calendar, skipping a holiday and the night', async () => {
    // Monday 7 December 17:30 Shanghai (09:30Z); Tuesday 8 December is a holiday.
    const id = await newTicket({ teamId: teamShanghai, createdAt: new Date('2026-12-07T09:30:00Z') });
    const r = await get(id);
    // 30 minutes on Monday, 30 more on Wednesday from 09:00 → 09:30 Shanghai = 01:30Z.
    expect(iso(r.first_response_due_at)).toBe('2026-12-09T01:30:00.000Z');
    // The warning 15 business minutes before: Wednesday 09:15 Shanghai.
    expect(iso(r.sla_next_check_at)).toBe('2026-12-09T01:15:00.000Z');
    // Paused over the holiday from Monday 17:50 (20 minutes used, 40 left) to Wednesday 10:00: due 10:40.
    await change(id, `status = 'pending'`, new Date('2026-12-07T09:50:00Z'));
    expect((await get(id)).sla_clock.remainingMs?.first_response).toBe(40 * MIN);
    await change(id, `status = 'open'`, new Date('2026-12-09T02:00:00Z'));
    expect(iso((await get(id)).first_response_due_at)).toBe('2026-12-09T02:40:00.000Z');
  });
});

describe('SLA watcher', () => {
  it('warns before it breaches, each once, mails the lead, publishes and audits', async () => {
    const base = new Date('2026-11-02T00:00:00Z');
    await sql(`update customer set tier = 'standard' where id = ?`, [customerId]);
    const id = await newTicket({ teamId: teamShanghai, createdAt: base, orderId, customerId });
    await sql(`update team set calendar_id = null where id = ?`, [teamShanghai]);
    await refresh(id, base);
    const due = new Date(base.getTime() + 60 * MIN);
    // Not yet due: nothing.
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 44 * MIN) });
    expect(await events(id)).toEqual([]);
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 46 * MIN) });
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 47 * MIN) });
    expect((await events(id)).map((e) => [e.target, e.kind, iso(e.due_at)])).toEqual([['first_response', 'warning', due.toISOString()]]);
    expect(iso((await get(id)).sla_next_check_at)).toBe(due.toISOString());
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 61 * MIN) });
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 62 * MIN) });
    const fired = await events(id);
    expect(fired.map((e) => [e.target, e.kind])).toEqual([
      ['first_response', 'warning'],
      ['first_response', 'breach'],
    ]);
    expect(new Date(fired[0].fired_at).getTime()).toBeLessThan(new Date(fired[1].fired_at).getTime());
    // Next: the resolution warning (480 − 15 minutes).
    expect(iso((await get(id)).sla_next_check_at)).toBe(new Date(base.getTime() + 465 * MIN).toISOString());

    const outbox = await sql<{ topic: string; type: string; payload: Record<string, unknown> }>(
      `select topic, type, payload from outbox_event where payload->>'ticketId' = ? order by id`,
      [String(id)],
    );
    expect(outbox.filter((e) => e.topic === 'service').map((e) => e.type)).toEqual(['ticket.sla_warning', 'ticket.sla_breached']);
    expect(outbox.find((e) => e.type === 'ticket.sla_breached')!.payload).toMatchObject({
      ticketId: id,
      target: 'first_response',
      dueAt: due.toISOString(),
      orderId,
      customerId,
      teamId: teamShanghai,
      assigneeId: null,
    });
    expect(outbox.filter((e) => e.type === 'alert.raised').map((e) => e.payload.severity)).toEqual(['warning', 'critical']);
    const mails = await sql<{ to: string; subject: string }>(`select "to", subject from notification where idempotency_key like ? order by id`, [
      `sla:${id}:%`,
    ]);
    expect(mails.map((m) => m.to)).toEqual([leadEmail, leadEmail]);
    expect(mails[1].subject).toContain('TK-');
    expect(
      (
        await sql<{ action: string }>(
          `select action from audit_event where entity_type = 'Ticket' and entity_id = ? and action like 'ticket.sla_%' order by id`,
          [String(id)],
        )
      ).map((a) => a.action),
    ).toEqual(['ticket.sla_warning', 'ticket.sla_breached']);
  });

  it('mails the ops managers when the team has no lead', async () => {
    const base = new Date('2026-11-03T00:00:00Z');
    const id = await newTicket({ teamId: teamPlain, createdAt: base });
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 61 * MIN) });
    const ops = await sql<{ email: string }>(`select email from app_user where role = 'ops_manager' and active order by id`);
    const mails = await sql<{ to: string }>(`select "to" from notification where idempotency_key like ? order by id`, [`sla:${id}:first_response:breach:%`]);
    expect(mails.map((m) => m.to)).toEqual(ops.map((o) => o.email));
  });

  it('fires a breach exactly once across a restart and with two watchers at once', async () => {
    const base = new Date('2026-11-04T00:00:00Z');
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(await newTicket({ createdAt: new Date(base.getTime() + i * 1000) }));
    const now = new Date(base.getTime() + 70 * MIN);
    // A watcher that fires, then "stops" (its process and ORM gone); a new one runs the same moment again.
    const orms: MikroORM[] = [];
    const fresh = async () => {
      const orm = await createOrm({ url: db.url, poolMax: 4 });
      orms.push(orm);
      return orm;
    };
    const w1 = await fresh();
    const r1 = await fireDueSla(w1, { now, batch: 10 });
    expect(r1.claimed).toBe(10);
    await w1.close();
    const w2 = await fresh();
    const w3 = await fresh();
    // Two watchers at once over the rest (and the first ten again), in small batches until nothing is due.
    const drain = async (orm: MikroORM) => {
      for (let i = 0; i < 20 && (await fireDueSla(orm, { now, batch: 7 })).claimed > 0; i++);
    };
    await Promise.all([drain(w2), drain(w3)]);
    await fireDueSla(w2, { now, batch: 100 });
    await Promise.all([w2.close(), w3.close()]);
    const rows = await sql<{ ticket_id: number; kind: string; n: string }>(
      `select ticket_id, kind, count(*) as n from ticket_sla_event where ticket_id in (${ids.join(',')}) group by ticket_id, kind order by ticket_id, kind`,
    );
    expect(rows.length).toBe(80);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
    const published = await sql<{ n: string }>(
      `select count(*) as n from outbox_event where type = 'ticket.sla_breached' and (payload->>'ticketId')::int in (${ids.join(',')})`,
    );
    expect(Number(published[0].n)).toBe(40);
    const audited = await sql<{ n: string }>(
      `select count(*) as n from audit_event where action = 'ticket.sla_breached' and entity_type = 'Ticket' and entity_id::int in (${ids.join(',')})`,
    );
    expect(Number(audited[0].n)).toBe(40);
  });

  it('fires a breach that fell due just before the clock was paused, once', async () => {
    const base = new Date('2026-11-05T00:00:00Z');
    const id = await newTicket({ createdAt: base });
    // Breached at +60, paused at +60.5 before any watcher ran.
    await change(id, `status = 'pending'`, new Date(base.getTime() + 60.5 * MIN));
    expect(iso((await get(id)).sla_next_check_at)).toBe(new Date(base.getTime() + 45 * MIN).toISOString());
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 61 * MIN) });
    expect((await events(id)).map((e) => e.kind)).toEqual(['warning', 'breach']);
    // Resumed later: first response is over its time; no second breach.
    await change(id, `status = 'open'`, new Date(base.getTime() + 120 * MIN));
    await fireDueSla(db.orm, { now: new Date(base.getTime() + 121 * MIN) });
    expect((await events(id)).filter((e) => e.target === 'first_response').map((e) => e.kind)).toEqual(['warning', 'breach']);
  });
});
