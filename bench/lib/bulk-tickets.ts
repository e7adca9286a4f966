// The service desk at scale for bench/analytics.ts: tickets inserted with SQL over a year (three bench teams of
// four agents on top of the demo's desk, five channels, four priorities, tags, the demo's SLA policies), most
// answered, solved or closed at skewed delays, some rated and some with SLA breaches fired; and the cases the
// bench times: each function the service report calls, next to the naive query over the base tables.
import type { EntityManager } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { contactReasons, serviceBreakdowns, serviceReport, serviceSeries, serviceTotals } from '../../app/modules/analytics/service-report.server.ts';

const TAGS = ['where-is-my-order', 'refund', 'damaged', 'invoice', 'address-change', 'return', 'payment', 'size-exchange'];

export async function seedBulkTickets(
  db: pg.Client,
  opts: { tickets: number; days: number },
): Promise<{ tickets: number; ratings: number; breaches: number; agents: number; teams: number }> {
  const teams: number[] = [];
  for (let i = 1; i <= 3; i++)
    teams.push((await db.query<{ id: number }>(`insert into team (name, created_at) values ($1, now()) returning id`, [`Bench team ${i}`])).rows[0].id);
  const agents: number[] = [];
  for (let i = 1; i <= 12; i++)
    agents.push(
      (
        await db.query<{ id: number }>(
          `insert into app_user (email, name, password_hash, role, created_at) values ($1, $2, 'x', 'agent', now()) returning id`,
          [`bench-agent-${i}@bench.example`, `Bench agent ${i}`],
        )
      ).rows[0].id,
    );
  const policies = (await db.query<{ id: number }>('select id from sla_policy order by id')).rows.map((r) => r.id);
  const BATCH = 50_000;
  for (let start = 1; start <= opts.tickets; start += BATCH) {
    const end = Math.min(opts.tickets, start + BATCH - 1);
    // `g * 0` ties each random draw to its row (a lateral subquery without it runs once).
    await db.query(
      `insert into ticket (subject, status, priority, channel, language, team_id, assignee_id, tags, token, created_at, updated_at,
                           first_responded_at, solved_at, closed_at, sla_policy_id, message_count)
       select 'Bench ticket ' || g, x.status, x.priority, x.channel, 'en', x.team, x.assignee, x.tags, md5(g::text || ':' || random()::text),
              x.created, x.created,
              case when x.status <> 'new' and not (x.status = 'closed' and x.f2 < 0.15) then least(now(), x.created + x.frt) end,
              case when x.status = 'solved' or (x.status = 'closed' and x.f2 >= 0.3) then least(now(), x.created + x.frt + x.res) end,
              case when x.status = 'closed' then least(now(), x.created + x.frt + x.res + interval '1 day') end,
              x.policy, 2
         from generate_series($1::int, $2::int) as g
        cross join lateral (
          select t.*, $4::int[] as agents from (
            select case when f < 0.55 then 'solved' when f < 0.70 then 'closed' when f < 0.80 then 'pending' when f < 0.92 then 'open' else 'new' end as status,
                   (array['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + floor(random() * 6)::int + g * 0] as priority,
                   (array['email', 'email', 'email', 'tracking_page', 'api', 'phone'])[1 + floor(random() * 6)::int + g * 0] as channel,
                   case when ti < 3 then ($3::int[])[1 + ti] end as team,
                   case when ti < 3 and random() + g * 0 > 0.1 then ($4::int[])[1 + ti * 4 + floor(random() * 4)::int] end as assignee,
                   case when tg < 0.2 then '{}'::text[] when tg < 0.8 then array[($5::text[])[1 + floor(random() * 8)::int + g * 0]]
                        else array[($5::text[])[1 + floor(random() * 8)::int + g * 0], ($5::text[])[1 + floor(random() * 8)::int]] end as tags,
                   now() - random() * make_interval(days => $6::int) - interval '1 minute' + g * interval '0' as created,
                   make_interval(secs => 60 + power(random(), 3) * 3 * 86400 + g * 0) as frt,
                   make_interval(secs => 600 + power(random(), 2) * 6 * 86400 + g * 0) as res,
                   case when random() + g * 0 < 0.9 then ($7::int[])[1 + floor(random() * cardinality($7::int[]))::int] end as policy,
                   f2
              from (select random() + g * 0 as f, floor(random() * 3.3)::int + g * 0 as ti, random() + g * 0 as tg, random() + g * 0 as f2) r) t
        ) x`,
      [start, end, teams, agents, TAGS, opts.days, policies],
    );
  }
  // SLA breaches as the watcher fires them: a fifth of the answered tickets with a policy missed their first
  // response, a tenth of the resolved ones their resolution.
  const fr = await db.query(
    `insert into ticket_sla_event (ticket_id, target, kind, due_at, fired_at)
     select id, 'first_response', 'breach', created_at + interval '1 hour', created_at + interval '1 hour'
       from ticket where subject like 'Bench ticket %' and sla_policy_id is not null and first_responded_at is not null and random() < 0.2`,
  );
  const res = await db.query(
    `insert into ticket_sla_event (ticket_id, target, kind, due_at, fired_at)
     select id, 'resolution', 'breach', created_at + interval '8 hours', created_at + interval '8 hours'
       from ticket where subject like 'Bench ticket %' and sla_policy_id is not null and status in ('solved', 'closed') and random() < 0.1`,
  );
  // Ratings on two in five solved tickets, mostly happy, within a day of the solve.
  const rated = await db.query(
    `insert into csat_response (ticket_id, rating, created_at)
     select id, (array[1, 2, 3, 4, 4, 5, 5, 5, 5, 5])[1 + floor(random() * 10)::int], least(now(), solved_at + random() * interval '1 day')
       from ticket where subject like 'Bench ticket %' and solved_at is not null and random() < 0.4`,
  );
  return {
    tickets: opts.tickets,
    ratings: rated.rowCount ?? 0,
    breaches: (fr.rowCount ?? 0) + (res.rowCount ?? 0),
    agents: agents.length,
    teams: teams.length,
  };
}

/** Parameters $1 … $3 of every naive query: the first and last business day, and the time zone. */
const BOUNDS = `b as (select ($1::date)::timestamp at time zone $3 as lo, ($2::date + 1)::timestamp at time zone $3 as hi)`;
const SECS = (a: string) => `greatest(0, floor(extract(epoch from ${a} - t.created_at)))`;
const channelWhere = (channel?: string) => (channel ? ` and t.channel = '${channel}'` : '');

/** The report's totals straight from ticket, ticket_sla_event and csat_response (exact percentiles). */
function naiveTotals(db: pg.Client, from: string, to: string, tz: string, channel?: string) {
  const c = channelWhere(channel);
  return db.query(
    `with ${BOUNDS},
     fr as (select ${SECS('t.first_responded_at')} as s, t.sla_policy_id is not null as targeted,
                   exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = 'first_response' and e.kind = 'breach') as missed
              from ticket t, b where t.first_responded_at >= b.lo and t.first_responded_at < b.hi and t.status <> 'merged'${c}),
     rs as (select ${SECS('coalesce(t.solved_at, t.closed_at)')} as s, t.sla_policy_id is not null as targeted,
                   exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = 'resolution' and e.kind = 'breach') as missed
              from ticket t, b where t.status in ('solved', 'closed') and coalesce(t.solved_at, t.closed_at) >= b.lo and coalesce(t.solved_at, t.closed_at) < b.hi${c})
     select (select count(*) from ticket t, b where t.created_at >= b.lo and t.created_at < b.hi and t.status <> 'merged'${c}) as created,
            (select row(count(*), sum(s), percentile_disc(0.5) within group (order by s), percentile_disc(0.9) within group (order by s),
                        count(*) filter (where targeted), count(*) filter (where targeted and missed)) from fr) as first_response,
            (select row(count(*), sum(s), percentile_disc(0.5) within group (order by s), percentile_disc(0.9) within group (order by s),
                        count(*) filter (where targeted), count(*) filter (where targeted and missed)) from rs) as resolution,
            (select array_agg(n order by rating) from (select c.rating, count(*) as n from csat_response c join ticket t on t.id = c.ticket_id, b
                                                        where c.created_at >= b.lo and c.created_at < b.hi and t.status <> 'merged'${c} group by c.rating) x) as csat`,
    [from, to, tz],
  );
}

function naiveSeries(db: pg.Client, from: string, to: string, tz: string, channel?: string) {
  const c = channelWhere(channel);
  return db.query(
    `with ${BOUNDS}
     select day, sum(created), sum(solved) from (
       select (t.created_at at time zone $3)::date as day, 1 as created, 0 as solved from ticket t, b where t.created_at >= b.lo and t.created_at < b.hi and t.status <> 'merged'${c}
       union all
       select (coalesce(t.solved_at, t.closed_at) at time zone $3)::date, 0, 1 from ticket t, b
        where t.status in ('solved', 'closed') and coalesce(t.solved_at, t.closed_at) >= b.lo and coalesce(t.solved_at, t.closed_at) < b.hi${c}) x
     group by day`,
    [from, to, tz],
  );
}

function naiveBreakdowns(db: pg.Client, from: string, to: string, tz: string, channel?: string) {
  const c = channelWhere(channel);
  const key = 't.team_id, t.assignee_id, t.channel, t.priority';
  return db.query(
    `with ${BOUNDS},
     ev as (
       select ${key}, 1 as created, 0 as solved, null::numeric as frt, null::numeric as res, null::boolean as frt_missed, null::boolean as res_missed, null::int as rating
         from ticket t, b where t.created_at >= b.lo and t.created_at < b.hi and t.status <> 'merged'${c}
       union all
       select ${key}, 0, 0, ${SECS('t.first_responded_at')}, null,
              case when t.sla_policy_id is not null then exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = 'first_response' and e.kind = 'breach') end, null, null
         from ticket t, b where t.first_responded_at >= b.lo and t.first_responded_at < b.hi and t.status <> 'merged'${c}
       union all
       select ${key}, 0, 1, null, ${SECS('coalesce(t.solved_at, t.closed_at)')}, null,
              case when t.sla_policy_id is not null then exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = 'resolution' and e.kind = 'breach') end, null
         from ticket t, b where t.status in ('solved', 'closed') and coalesce(t.solved_at, t.closed_at) >= b.lo and coalesce(t.solved_at, t.closed_at) < b.hi${c}
       union all
       select ${key}, 0, 0, null, null, null, null, cr.rating
         from csat_response cr join ticket t on t.id = cr.ticket_id, b where cr.created_at >= b.lo and cr.created_at < b.hi and t.status <> 'merged'${c})
     select team_id, assignee_id, channel, priority, sum(created), sum(solved), avg(frt), avg(res), count(frt_missed), count(*) filter (where frt_missed),
            count(res_missed), count(*) filter (where res_missed), avg(rating), count(rating)
       from ev group by grouping sets ((team_id), (team_id, assignee_id), (channel), (priority))`,
    [from, to, tz],
  );
}

function naiveReasons(db: pg.Client, from: string, to: string, tz: string, channel?: string) {
  return db.query(
    `with ${BOUNDS}
     select coalesce(g.tag, '') as tag, count(*) from ticket t cross join b
       left join lateral (select distinct x as tag from unnest(t.tags) as x) g on true
      where t.created_at >= b.lo and t.created_at < b.hi and t.status <> 'merged'${channelWhere(channel)}
      group by 1 order by 2 desc limit 20`,
    [from, to, tz],
  );
}

const day = (today: string, n: number) => new Date(Date.parse(`${today}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/** What the bench times: the service page's functions and the naive queries giving the same figures. */
export function serviceBenchCases(db: pg.Client, em: () => EntityManager, today: string, tz: string) {
  const whole = async (from: string, to: string, prev: [string, string] | null, channel?: string) => {
    await Promise.resolve();
    await naiveTotals(db, from, to, tz, channel);
    await naiveSeries(db, from, to, tz, channel);
    await naiveBreakdowns(db, from, to, tz, channel);
    await naiveReasons(db, from, to, tz, channel);
    if (prev) {
      await naiveTotals(db, prev[0], prev[1], tz, channel);
      await naiveSeries(db, prev[0], prev[1], tz, channel);
    }
  };
  return [
    {
      name: 'service report, last 30 days with the 30 before (the whole page)',
      ours: () => serviceReport(em(), { from: day(today, 29), to: today, compare: 'previous' }, today),
      naive: () => whole(day(today, 29), today, [day(today, 59), day(today, 30)]),
    },
    {
      name: 'service report, last 90 days, email only, with the 90 before',
      ours: () => serviceReport(em(), { from: day(today, 89), to: today, compare: 'previous', channel: 'email' }, today),
      naive: () => whole(day(today, 89), today, [day(today, 179), day(today, 90)], 'email'),
    },
    {
      name: 'service report, last 365 days',
      ours: () => serviceReport(em(), { from: day(today, 364), to: today, compare: 'none' }, today),
      naive: () => whole(day(today, 364), today, null),
    },
    {
      name: 'service totals (p50/p90, SLA, CSAT), last 30 days',
      ours: () => serviceTotals(em(), day(today, 29), today),
      naive: () => naiveTotals(db, day(today, 29), today, tz),
    },
    {
      name: 'service created/solved per day, last 30 days',
      ours: () => serviceSeries(em(), day(today, 29), today),
      naive: () => naiveSeries(db, day(today, 29), today, tz),
    },
    {
      name: 'service by team, agent, channel, priority, last 30 days',
      ours: () => serviceBreakdowns(em(), day(today, 29), today),
      naive: () => naiveBreakdowns(db, day(today, 29), today, tz),
    },
    {
      name: 'service contact reasons, last 30 days (with the 30 before)',
      ours: () => contactReasons(em(), day(today, 29), today, { from: day(today, 59), to: day(today, 30) }),
      naive: async () => {
        await naiveReasons(db, day(today, 29), today, tz);
        await naiveReasons(db, day(today, 59), day(today, 30), tz);
      },
    },
  ];
}
