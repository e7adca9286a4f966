// The service rollups against the base tables: a random ticket workload (tickets in every channel, moved
// between teams, agents and priorities, tagged, answered, solved, closed, reopened, merged, rated, with SLA
// breaches fired) is spread over three weeks and rolled up by the refresher, and every figure of the service
// report must equal the same figure computed here straight from the tickets, in a business time zone whose
// days are not UTC's. Marking everything again (a redelivery) or rebuilding changes nothing; a change moves
// the figures once the refresher runs; the queue's drill-down filters list the very tickets a figure counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { refreshDirtyMinutes } from '../../app/modules/analytics/rollups.server.ts';
import { rebuildServiceRollups, refreshServiceDays } from '../../app/modules/analytics/service-rollups.server.ts';
import { bucketBounds, bucketOf, emptySums, figuresOf, type ServiceFigures, type ServiceSums } from '../../app/modules/analytics/service-figures.ts';
import { serviceReport, type ServiceReportFilters } from '../../app/modules/analytics/service-report.server.ts';
import { recordCsat } from '../../app/modules/service/csat.server.ts';
import { listTickets, parseQueueFilters } from '../../app/modules/service/queries.server.ts';
import { mergeTickets, receiveMessage, reply, updateTicket } from '../../app/modules/service/tickets.server.ts';
import { TICKET_CHANNELS, TICKET_PRIORITIES } from '../../entities/constants.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const TZ = 'Asia/Taipei';
const actor = { ...SYSTEM, label: 'service analytics test' };
const MINUTE = 60_000;
const DAY = 86_400_000;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);
const dayIn = (d: Date | string) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(d));
const today = () => dayIn(new Date());
const shift = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function refreshAll() {
  while ((await refreshServiceDays(db.orm, TZ)) > 0);
  while ((await refreshDirtyMinutes(db.orm, { baseCurrency: 'USD', timeZone: TZ })) > 0);
}

interface BaseTicket {
  id: number;
  status: string;
  channel: string;
  team_id: number | null;
  priority: string;
  assignee_id: number | null;
  tags: string[];
  created_at: Date;
  first_responded_at: Date | null;
  solved_at: Date | null;
  closed_at: Date | null;
  sla_policy_id: number | null;
  rating: number | null;
  rated_at: Date | null;
  fr_breach: boolean;
  res_breach: boolean;
}

const baseTickets = () =>
  sql<BaseTicket>(
    `select t.id, t.status, t.channel, t.team_id, t.priority, t.assignee_id, t.tags, t.created_at, t.first_responded_at, t.solved_at, t.closed_at, t.sla_policy_id,
            c.rating, c.created_at as rated_at,
            exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = 'first_response' and e.kind = 'breach') as fr_breach,
            exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = 'resolution' and e.kind = 'breach') as res_breach
       from ticket t left join csat_response c on c.ticket_id = t.id`,
  );

const inRange = (d: Date | null, from: string, to: string) => d !== null && dayIn(d) >= from && dayIn(d) <= to;
const secs = (a: Date, b: Date) => Math.max(0, Math.floor((new Date(a).getTime() - new Date(b).getTime()) / 1000));

/** The sums of tickets matching `keep` over the business days [from, to], from the tickets themselves; and the raw times. */
function sumsFromBase(rows: BaseTicket[], from: string, to: string, keep: (t: BaseTicket) => boolean) {
  const s: ServiceSums = emptySums();
  const frt: number[] = [];
  const res: number[] = [];
  for (const t of rows) {
    if (t.status === 'merged' || !keep(t)) continue;
    if (inRange(t.created_at, from, to)) s.created++;
    if (t.first_responded_at && inRange(t.first_responded_at, from, to)) {
      const x = secs(t.first_responded_at, t.created_at);
      s.responded++;
      s.frtSeconds += x;
      s.frtHist[bucketOf(x)]++;
      frt.push(x);
      if (t.sla_policy_id !== null) {
        s.frtSla++;
        if (t.fr_breach) s.frtSlaMissed++;
      }
    }
    const resolvedAt = ['solved', 'closed'].includes(t.status) ? (t.solved_at ?? t.closed_at) : null;
    if (resolvedAt && inRange(resolvedAt, from, to)) {
      const x = secs(resolvedAt, t.created_at);
      s.solved++;
      s.resSeconds += x;
      s.resHist[bucketOf(x)]++;
      res.push(x);
      if (t.sla_policy_id !== null) {
        s.resSla++;
        if (t.res_breach) s.resSlaMissed++;
      }
    }
    if (t.rating !== null && inRange(t.rated_at, from, to)) s.csat[t.rating - 1]++;
  }
  return { sums: s, frt, res };
}

const matches = (f: ServiceReportFilters) => (t: BaseTicket) =>
  (!f.channel || t.channel === f.channel) && (!f.team || t.team_id === f.team) && (!f.priority || t.priority === f.priority);

/** The exact p-quantile (percentile_disc) lies inside the bucket the histogram's estimate names. */
function expectInBucket(times: number[], p: number, estimate: number | null) {
  if (!times.length) return expect(estimate).toBeNull();
  const sorted = [...times].sort((a, b) => a - b);
  const exact = sorted[Math.ceil(p * sorted.length) - 1];
  const [lo, hi] = bucketBounds(bucketOf(exact));
  expect(estimate!).toBeGreaterThanOrEqual(lo);
  if (hi !== null) expect(estimate!).toBeLessThanOrEqual(hi);
}

beforeAll(async () => {
  db = await createTestDatabase('anasvc');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  const rnd = random(20261207);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const teams = (await sql<{ id: number }>('select id from team order by id')).map((t) => Number(t.id));
  const agents = (await sql<{ id: number; email: string }>(`select id, email from app_user where role in ('agent', 'ops_manager') and active order by id`)).map(
    (a) => ({ type: 'user' as const, id: Number(a.id), label: a.email }),
  );
  expect(teams.length).toBeGreaterThan(0);
  expect(agents.length).toBeGreaterThan(0);
  const channels = TICKET_CHANNELS.filter((c) => c !== 'flow');
  const tags = ['where-is-my-order', 'refund', 'damaged', 'invoice', 'address'];
  const tx = <T>(fn: (em: Parameters<Parameters<typeof db.orm.em.transactional>[0]>[0]) => Promise<T>) => db.orm.em.fork().transactional(fn);
  const made: number[] = [];
  for (let i = 0; i < 90; i++) {
    const r = await tx((em) =>
      receiveMessage(em, actor, {
        channel: pick(channels),
        source: 'api',
        fromEmail: `svc${i % 23}@example.com`,
        fromName: `Svc ${i % 23}`,
        subject: `Question ${i}`,
        body: `Hello, question number ${i}.`,
        tags: rnd() < 0.7 ? [pick(tags), ...(rnd() < 0.3 ? [pick(tags)] : [])] : [],
        priority: pick(TICKET_PRIORITIES),
      }),
    );
    const id = r.ticketId;
    made.push(id);
    const who = pick(agents);
    if (rnd() < 0.6) await tx((em) => updateTicket(em, who, id, { teamId: rnd() < 0.15 ? null : pick(teams), assigneeId: rnd() < 0.2 ? null : who.id }));
    if (rnd() < 0.3) await tx((em) => updateTicket(em, who, id, { priority: pick(TICKET_PRIORITIES), tags: rnd() < 0.5 ? [pick(tags)] : [] }));
    const fate = rnd();
    if (fate < 0.75) await tx((em) => reply(em, who, id, { body: 'On it.', agentName: 'Agent', status: fate < 0.4 ? 'solved' : 'pending' }));
    if (fate >= 0.4 && fate < 0.6) await tx((em) => updateTicket(em, who, id, { status: 'solved' }));
    if (fate >= 0.85 && fate < 0.92) await tx((em) => updateTicket(em, who, id, { status: 'closed' })); // closed unanswered
    if (fate < 0.6 && rnd() < 0.2) await tx((em) => updateTicket(em, who, id, { status: 'open' })); // reopened
    if (fate < 0.6 && rnd() < 0.25) await tx((em) => updateTicket(em, who, id, { status: 'closed' }));
    // Spread over three weeks: created up to 20 days ago, answered minutes to days later, solved later still.
    const created = new Date(Date.now() - Math.floor(rnd() * 20 * DAY) - 3 * 3_600_000);
    const responded = new Date(created.getTime() + Math.floor(rnd() ** 3 * 3 * DAY) + Math.floor(rnd() * 90_000));
    const solved = new Date(responded.getTime() + Math.floor(rnd() ** 2 * 4 * DAY));
    await sql(
      `update ticket set created_at = ?, first_responded_at = case when first_responded_at is null then null else ?::timestamptz end,
              solved_at = case when solved_at is null then null else ?::timestamptz end, closed_at = case when closed_at is null then null else ?::timestamptz end
        where id = ?`,
      [created, responded, solved, new Date(solved.getTime() + 3_600_000), id],
    );
    const [t] = await sql<{ token: string; status: string; sla_policy_id: number | null }>('select token, status, sla_policy_id from ticket where id = ?', [
      id,
    ]);
    if (t.status === 'solved' && rnd() < 0.7) {
      await recordCsat(db.orm, t.token, { rating: 1 + Math.floor(rnd() * 5), comment: rnd() < 0.3 ? 'ok' : '' }, actor);
      await sql('update csat_response set created_at = ? where ticket_id = ?', [new Date(solved.getTime() + Math.floor(rnd() * DAY)), id]);
    }
    // Breaches as the SLA watcher fires them (a ticket without a policy never has one).
    if (t.sla_policy_id !== null && rnd() < 0.3)
      await sql(`insert into ticket_sla_event (ticket_id, target, kind, due_at, fired_at) values (?, 'first_response', 'breach', ?, now())`, [id, created]);
    if (t.sla_policy_id !== null && rnd() < 0.3)
      await sql(`insert into ticket_sla_event (ticket_id, target, kind, due_at, fired_at) values (?, 'resolution', 'breach', ?, now())`, [id, created]);
  }
  // Two duplicates merged away: they count nowhere.
  const open = await sql<{ id: number }>(`select id from ticket where status in ('new', 'open', 'pending') and id = any(?::int[]) order by id limit 4`, [
    `{${made.join(',')}}`,
  ]);
  await tx((em) => mergeTickets(em, actor, open[0].id, open[1].id));
  await tx((em) => mergeTickets(em, actor, open[2].id, open[3].id));
  await refreshAll();
}, 240_000);
afterAll(async () => {
  await db?.drop();
});

/** The report's figures for these filters against the tickets', for [from, to]. */
async function check(from: string, to: string, f: ServiceReportFilters = {}) {
  const rows = await baseTickets();
  const report = await serviceReport(db.orm.em.fork(), { from, to, compare: 'previous', ...f }, today());
  const want = sumsFromBase(rows, from, to, matches(f));
  const label = `${from}…${to} ${JSON.stringify(f)}`;
  expect(report.totals, label).toEqual(figuresOf(want.sums));
  expectInBucket(want.frt, 0.5, report.totals.firstResponse.p50);
  expectInBucket(want.frt, 0.9, report.totals.firstResponse.p90);
  expectInBucket(want.res, 0.5, report.totals.resolution.p50);
  expectInBucket(want.res, 0.9, report.totals.resolution.p90);
  // Day by day.
  for (const p of report.series) {
    const d = sumsFromBase(rows, p.day, p.day, matches(f)).sums;
    expect({ day: p.day, created: p.created, solved: p.solved }).toEqual({ day: p.day, created: d.created, solved: d.solved });
  }
  // The period before.
  const prev = report.previous!;
  expect(prev.totals, `${label} previous`).toEqual(figuresOf(sumsFromBase(rows, prev.from, prev.to, matches(f)).sums));
  // Breakdowns (means, SLA, CSAT; no histograms).
  const small = (x: ServiceFigures) => ({
    ...x,
    firstResponse: { ...x.firstResponse, p50: null, p90: null, distribution: [] },
    resolution: { ...x.resolution, p50: null, p90: null, distribution: [] },
  });
  for (const r of report.byTeam) {
    const s = sumsFromBase(rows, from, to, (t) => matches(f)(t) && (t.team_id ?? 0) === Number(r.key)).sums;
    expect(small(r), `team ${r.key}`).toMatchObject(small(figuresOf(s)));
  }
  for (const r of report.byAgent) {
    const s = sumsFromBase(rows, from, to, (t) => matches(f)(t) && (t.assignee_id ?? 0) === Number(r.key) && (t.team_id ?? 0) === r.teamId).sums;
    expect(small(r), `agent ${r.key}`).toMatchObject(small(figuresOf(s)));
  }
  for (const r of report.byChannel)
    expect(small(r)).toMatchObject(small(figuresOf(sumsFromBase(rows, from, to, (t) => matches(f)(t) && t.channel === r.key).sums)));
  for (const r of report.byPriority)
    expect(small(r)).toMatchObject(small(figuresOf(sumsFromBase(rows, from, to, (t) => matches(f)(t) && t.priority === r.key).sums)));
  const activity = (k: string, key: (t: BaseTicket) => string) => {
    const s = sumsFromBase(rows, from, to, (t) => matches(f)(t) && key(t) === k).sums;
    return s.created + s.solved + s.responded + s.csat.reduce((a, b) => a + b, 0) > 0;
  };
  // Every key with activity has its row.
  const teamKeys = new Set(rows.map((t) => String(t.team_id ?? 0)).filter((k) => activity(k, (t) => String(t.team_id ?? 0))));
  expect(new Set(report.byTeam.map((r) => r.key))).toEqual(teamKeys);
  // Contact reasons: tickets created per tag.
  const tagCounts = new Map<string, number>();
  for (const t of rows)
    if (t.status !== 'merged' && matches(f)(t) && inRange(t.created_at, from, to))
      for (const tag of t.tags.length ? [...new Set(t.tags)] : ['']) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + 1);
  expect(new Map(report.reasons.map((r) => [r.tag, r.tickets]))).toEqual(tagCounts);
  // Tickets per 100 orders: orders placed in the range, every channel.
  const [o] = await sql<{ n: string }>(
    `select count(*) as n from sales_order where placed_at >= (?::date)::timestamp at time zone ? and placed_at < (?::date + 1)::timestamp at time zone ?`,
    [from, TZ, to, TZ],
  );
  expect(report.orders).toBe(Number(o.n));
  expect(report.perHundredOrders).toBe(Number(o.n) ? Math.round((want.sums.created / Number(o.n)) * 10_000) / 100 : null);
  return report;
}

describe('service rollups', () => {
  it('leave nothing marked once refreshed, and count every ticket but the merged', async () => {
    expect(await sql('select minute from service_dirty_minute')).toEqual([]);
    const [{ n }] = await sql<{ n: string }>(`select count(*) as n from ticket where status <> 'merged'`);
    const [{ m }] = await sql<{ m: string }>('select sum(created) as m from service_day');
    expect(Number(m)).toBe(Number(n));
    const [{ a }] = await sql<{ a: string }>('select sum(created) as a from service_agent_day');
    expect(Number(a)).toBe(Number(n));
    const [{ r }] = await sql<{ r: string }>('select sum(csat1 + csat2 + csat3 + csat4 + csat5) as r from service_day');
    expect(Number(r)).toBeGreaterThan(5);
  });

  it('give every figure of the service report, for any range and filter, as the tickets give it', async () => {
    const d = today();
    const report = await check(shift(d, -20), d);
    // The workload is wide enough to mean something.
    expect(report.totals.created).toBeGreaterThan(60);
    expect(report.totals.firstResponse.count).toBeGreaterThan(20);
    expect(report.totals.resolution.count).toBeGreaterThan(10);
    expect(report.totals.slaFirstResponse.missed).toBeGreaterThan(0);
    expect(report.totals.csat.responses).toBeGreaterThan(5);
    expect(report.byAgent.length).toBeGreaterThan(1);
    expect(report.reasons.length).toBeGreaterThan(2);
    await check(shift(d, -6), d);
    await check(shift(d, -13), shift(d, -7), { channel: 'email' });
    await check(shift(d, -20), d, { priority: 'high' });
    const [team] = await sql<{ id: number }>('select team_id as id from ticket where team_id is not null group by team_id order by count(*) desc limit 1');
    await check(shift(d, -20), d, { team: Number(team.id) });
    await check(d, d);
  });

  it('follow a ticket that changes (reopened, moved, rated again), and a redelivery or rebuild changes nothing', async () => {
    const d = today();
    const [t] = await sql<{ id: number; token: string }>(`select id, token from ticket where status = 'solved' order by id limit 1`);
    await db.orm.em.fork().transactional((em) => updateTicket(em, actor, t.id, { status: 'open', priority: 'urgent' }));
    await recordCsat(db.orm, t.token, { rating: 2 }, actor);
    expect((await sql('select minute from service_dirty_minute')).length).toBeGreaterThan(0);
    await refreshAll();
    await check(shift(d, -20), d);
    // A change to what the rollup does not read (a new message's search text) marks nothing.
    await sql(`update ticket set search_text = search_text || ' more', message_count = message_count + 1 where id = ?`, [t.id]);
    expect(await sql('select minute from service_dirty_minute')).toEqual([]);
    const before = await sql('select * from service_day order by 1, 2, 3, 4, 5');
    const tagsBefore = await sql('select * from service_day_tag order by 1, 2, 3, 4, 5');
    const agentsBefore = await sql('select * from service_agent_day order by 1, 2, 3, 4, 5');
    // Redelivered marks: every minute of every ticket again.
    await sql(
      `insert into service_dirty_minute (minute)
       select date_trunc('minute', v.m) from ticket t cross join lateral (values (t.created_at), (t.first_responded_at), (t.solved_at), (t.closed_at)) as v(m) where v.m is not null
       union select date_trunc('minute', created_at) from csat_response
       on conflict do nothing`,
    );
    await refreshAll();
    expect(await sql('select * from service_day order by 1, 2, 3, 4, 5')).toEqual(before);
    await rebuildServiceRollups(db.orm, TZ);
    expect(await sql('select * from service_day order by 1, 2, 3, 4, 5')).toEqual(before);
    expect(await sql('select * from service_day_tag order by 1, 2, 3, 4, 5')).toEqual(tagsBefore);
    // The totals the unfiltered contact reasons read are the sums of the rows they total.
    expect(await sql('select day, tag, tickets from service_day_tag_total order by 1, 2')).toEqual(
      await sql('select day, tag, sum(tickets)::int as tickets from service_day_tag group by 1, 2 order by 1, 2'),
    );
    expect(await sql('select * from service_agent_day order by 1, 2, 3, 4, 5')).toEqual(agentsBefore);
  });

  it('drills down to the queue: the tickets a figure counts are the tickets the queue lists with the same filters', async () => {
    const d = today();
    const [agent] = await sql<{ id: number }>(`select id from app_user where role = 'agent' limit 1`);
    const all = async (params: Record<string, string>) => {
      const ids: number[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await listTickets(
          db.orm.em.fork(),
          agent.id,
          parseQueueFilters(new URLSearchParams({ view: 'all', ...params, ...(after ? { after } : {}) })),
          TZ,
        );
        ids.push(...page.rows.map((r) => r.id));
        if (!page.nextCursor) return ids;
        after = page.nextCursor;
      }
    };
    const report = await serviceReport(db.orm.em.fork(), { from: shift(d, -20), to: d, compare: 'none' }, d);
    const busiest = [...report.series].sort((a, b) => b.created - a.created)[0];
    expect((await all({ dates: 'created', from: busiest.day, to: busiest.day })).length).toBe(busiest.created);
    const solvedDay = [...report.series].sort((a, b) => b.solved - a.solved)[0];
    expect((await all({ dates: 'resolved', from: solvedDay.day, to: solvedDay.day })).length).toBe(solvedDay.solved);
    expect((await all({ dates: 'created', from: shift(d, -20), to: d })).length).toBe(report.totals.created);
    const email = report.byChannel.find((c) => c.key === 'email')!;
    expect((await all({ channel: 'email', dates: 'created', from: shift(d, -20), to: d })).length).toBe(email.created);
    expect((await all({ sla: 'missed_first_response', dates: 'responded', from: shift(d, -20), to: d })).length).toBe(report.totals.slaFirstResponse.missed);
    expect((await all({ sla: 'missed_resolution', dates: 'resolved', from: shift(d, -20), to: d })).length).toBe(report.totals.slaResolution.missed);
    const agentRow = report.byAgent.find((a) => a.key !== '0' && a.teamId && a.created > 0)!;
    expect((await all({ assignee: agentRow.key, team: String(agentRow.teamId), dates: 'created', from: shift(d, -20), to: d })).length).toBe(agentRow.created);
    const reason = report.reasons.find((r) => r.tag)!;
    expect((await all({ tag: reason.tag, dates: 'created', from: shift(d, -20), to: d })).length).toBe(reason.tickets);
    const [open] = await sql<{ n: string }>(`select count(*) as n from ticket where status in ('new', 'open', 'pending', 'on_hold')`);
    expect((await all({ state: 'open' })).length).toBe(Number(open.n));
  });
});

describe('the ticket tiles of the dashboard', () => {
  it('count open tickets and those whose SLA is at risk as the tickets do, link to the same queue view, and move when a ticket changes', async () => {
    const { dashboard, tileLinks, TILES_BY_ROLE } = await import('../../app/modules/analytics/dashboard.server.ts');
    const open = await sql<{ id: number; sla_policy_id: number | null }>(
      `select id, sla_policy_id from ticket where status in ('new', 'open') and sla_policy_id is not null order by id limit 3`,
    );
    expect(open.length).toBe(3);
    // One due in 5 minutes, one overdue, one due in 3 days.
    await sql(`update ticket set first_response_due_at = now() + interval '5 minutes', next_response_due_at = null, resolution_due_at = null where id = ?`, [
      open[0].id,
    ]);
    await sql(`update ticket set resolution_due_at = now() - interval '1 hour' where id = ?`, [open[1].id]);
    await sql(
      `update ticket set first_response_due_at = now() + interval '3 days', next_response_due_at = null, resolution_due_at = now() + interval '4 days' where id = ?`,
      [open[2].id],
    );
    const rows = await sql<{ id: number; status: string; due: Date | null; warn: number | null }>(
      `select t.id, t.status, least(t.first_response_due_at, t.next_response_due_at, t.resolution_due_at) as due, p.warn_before_minutes as warn
         from ticket t left join sla_policy p on p.id = t.sla_policy_id`,
    );
    const isOpen = (r: { status: string }) => ['new', 'open', 'pending', 'on_hold'].includes(r.status);
    const atRisk = rows.filter((r) => isOpen(r) && r.due !== null && new Date(r.due).getTime() <= Date.now() + (r.warn ?? 0) * MINUTE).map((r) => Number(r.id));
    expect(atRisk).toEqual(expect.arrayContaining([open[0].id, open[1].id]));
    expect(atRisk).not.toContain(open[2].id);
    const d = await dashboard(db.orm.em.fork(), TZ);
    expect(d.counts.ticketsOpen).toBe(rows.filter(isOpen).length);
    expect(d.counts.slaAtRisk).toBe(atRisk.length);
    // The tile's queue view lists exactly those tickets.
    const [agent] = await sql<{ id: number }>(`select id from app_user where role = 'agent' limit 1`);
    const page = await listTickets(db.orm.em.fork(), agent.id, parseQueueFilters(new URLSearchParams('view=all&sla=at_risk&sort=due')), TZ);
    expect(page.rows.map((r) => r.id).sort()).toEqual([...atRisk].sort());
    expect(tileLinks('2026-12-07', 'agent').slaAtRisk).toBe('/service?view=all&sla=at_risk&sort=due');
    expect(tileLinks('2026-12-07', 'agent').ticketsOpen).toBe('/service?view=all&state=open');
    // Executives may not open the queue: their tiles open the service report.
    expect(tileLinks('2026-12-07', 'executive').ticketsOpen).toBe('/analytics/service?from=2026-12-07&to=2026-12-07');
    for (const role of ['admin', 'ops_manager', 'executive', 'agent'] as const)
      expect(TILES_BY_ROLE[role]).toEqual(expect.arrayContaining(['ticketsOpen', 'slaAtRisk']));
    expect(TILES_BY_ROLE.warehouse).not.toContain('ticketsOpen');

    // A ticket solved: the refresher recomputes its days and tells the dashboards once for the batch.
    await refreshAll();
    const [{ last }] = await sql<{ last: number | null }>(`select max(id) as last from outbox_event`);
    await db.orm.em.fork().transactional((em) => updateTicket(em, actor, open[1].id, { status: 'solved' }));
    await db.orm.em.fork().transactional((em) => updateTicket(em, actor, open[0].id, { priority: 'low' }));
    await refreshAll();
    const events = await sql<{ topic: string; type: string }>(`select topic, type from outbox_event where id > ? and topic = 'dashboards'`, [last ?? 0]);
    expect(events).toEqual([{ topic: 'dashboards', type: 'service.refreshed' }]);
    const after = await dashboard(db.orm.em.fork(), TZ);
    expect(after.counts.ticketsOpen).toBe(d.counts.ticketsOpen - 1);
    expect(after.counts.slaAtRisk).toBeLessThan(d.counts.slaAtRisk);
  });
});
