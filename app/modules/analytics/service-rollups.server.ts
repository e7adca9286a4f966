// The service desk's rollups (service_day, service_day_tag and its total over channel, team and priority) and
// how they are kept, as the sales ones are (rollups.server.ts): statement triggers on ticket, csat_response and
// ticket_sla_event mark the minutes a change touches (service_dirty_minute, in the change's own transaction: a
// ticket's creation, first reply, solve or close, and rating, before and after the change) and NOTIFY
// `analytics`. The refresher takes marked minutes (skip locked), turns them into business days, and recomputes
// each day whole from the tickets: exact and idempotent by construction, so a redelivered mark only computes
// the same figures again and `rebuildServiceRollups` is the same thing for every day there is. A day is small
// (a few thousand tickets at the busiest desk), and reads three indexes (created, first responded, resolved)
// and the day's ratings.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { histogramKeys, SERVICE_TIME_BUCKETS, SERVICE_TIME_EDGES_MINUTES } from '../../../entities/analytics.ts';
import { publish } from '../../lib/outbox.server.ts';

/** Minutes taken per transaction (a day's worth of marks usually folds into one or two days). */
export const SERVICE_BATCH = 500;

/** The histogram edges in seconds, as an SQL array literal for width_bucket (bucket 0: under a minute). */
export const EDGES_SQL = `'{${SERVICE_TIME_EDGES_MINUTES.map((m) => m * 60).join(',')}}'::int[]`;
const snake = (k: string) => k.replace(/H(\d\d)$/, '_h$1');
export const FRT_COLUMNS = histogramKeys('frt').map(snake);
export const RES_COLUMNS = histogramKeys('res').map(snake);
/** The counts and sums of both service rollups (service_agent_day has only these). */
export const SERVICE_COUNTS = [
  'created',
  'solved',
  'responded',
  'frt_seconds',
  'res_seconds',
  'frt_sla',
  'frt_sla_missed',
  'res_sla',
  'res_sla_missed',
  'csat1',
  'csat2',
  'csat3',
  'csat4',
  'csat5',
] as const;
/** Everything service_day sums, in column order after its key. */
export const SERVICE_FIGURES = [...SERVICE_COUNTS, ...FRT_COLUMNS, ...RES_COLUMNS] as const;

const seconds = (a: string, b: string) => `greatest(0, floor(extract(epoch from ${a} - ${b})))::int`;
const RESOLVED_AT = 'coalesce(t.solved_at, t.closed_at)';
/** A ticket counts as resolved while it is solved or closed (closed unsolved included), at its solve (else close) time. */
const RESOLVED = `t.status in ('solved', 'closed')`;
const breached = (target: string) =>
  `case when t.sla_policy_id is null then null else exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = '${target}' and e.kind = 'breach') end`;
const KEY = `t.channel, coalesce(t.team_id, 0) as team_id, t.priority, coalesce(t.assignee_id, 0) as assignee_id`;

/**
 * The CTEs `ev` and `b` for the days in `d(d, lo, hi)`: one row per thing that happened on a day to a ticket
 * (created, first answered, resolved, rated) with its key, time, bucket and SLA verdict, from the base tables.
 */
const EVENTS = `
  ev as (
    select d.d, ${KEY}, 1 as created, 0 as solved, null::int as frt, null::int as res, null::boolean as frt_missed, null::boolean as res_missed, null::int as rating
      from d join ticket t on t.created_at >= d.lo and t.created_at < d.hi where t.status <> 'merged'
    union all
    select d.d, ${KEY}, 0, 0, ${seconds('t.first_responded_at', 't.created_at')}, null, ${breached('first_response')}, null, null
      from d join ticket t on t.first_responded_at >= d.lo and t.first_responded_at < d.hi where t.first_responded_at is not null and t.status <> 'merged'
    union all
    select d.d, ${KEY}, 0, 1, null, ${seconds(RESOLVED_AT, 't.created_at')}, null, ${breached('resolution')}, null
      from d join ticket t on ${RESOLVED_AT} >= d.lo and ${RESOLVED_AT} < d.hi where ${RESOLVED}
    union all
    select d.d, ${KEY}, 0, 0, null, null, null, null, c.rating
      from d join csat_response c on c.created_at >= d.lo and c.created_at < d.hi join ticket t on t.id = c.ticket_id where t.status <> 'merged'
  ),
  b as materialized (select ev.*, width_bucket(frt, ${EDGES_SQL}) as fb, width_bucket(res, ${EDGES_SQL}) as rb from ev)`;

const COUNTS_SELECT = `sum(created)::int as created, sum(solved)::int as solved, count(frt)::int as responded,
         coalesce(sum(frt), 0)::bigint as frt_seconds, coalesce(sum(res), 0)::bigint as res_seconds,
         count(frt_missed)::int as frt_sla, (count(*) filter (where frt_missed))::int as frt_sla_missed,
         count(res_missed)::int as res_sla, (count(*) filter (where res_missed))::int as res_sla_missed,
         ${[1, 2, 3, 4, 5].map((r) => `(count(*) filter (where rating = ${r}))::int as csat${r}`).join(', ')}`;
const HIST_SELECT = [
  ...Array.from({ length: SERVICE_TIME_BUCKETS }, (_, i) => `(count(*) filter (where fb = ${i}))::int as ${FRT_COLUMNS[i]}`),
  ...Array.from({ length: SERVICE_TIME_BUCKETS }, (_, i) => `(count(*) filter (where rb = ${i}))::int as ${RES_COLUMNS[i]}`),
].join(', ');

/**
 * Both rollups' rows for the days in `d`, in one statement over the base tables: service_agent_day per
 * assignee, service_day (with the histograms) without.
 */
const SERVICE_DAYS_INSERT = `
  agents as (
    insert into service_agent_day (day, channel, team_id, priority, assignee_id, ${SERVICE_COUNTS.join(', ')})
    select d, channel, team_id, priority, assignee_id, ${COUNTS_SELECT} from b group by 1, 2, 3, 4, 5
  )
  insert into service_day (day, channel, team_id, priority, ${SERVICE_FIGURES.join(', ')})
  select d, channel, team_id, priority, ${COUNTS_SELECT}, ${HIST_SELECT} from b group by 1, 2, 3, 4`;

/** The rows of service_day_tag for the days in `d`: tickets created per key and tag ('' untagged). */
export const SERVICE_TAG_SELECT = `
  select d.d as day, t.channel, coalesce(t.team_id, 0) as team_id, t.priority, coalesce(g.tag, '') as tag, count(*)::int as tickets
    from d join ticket t on t.created_at >= d.lo and t.created_at < d.hi
    left join lateral (select distinct x as tag from unnest(t.tags) as x) g on true
   where t.status <> 'merged'
   group by 1, 2, 3, 4, 5`;

/** The `d(d, lo, hi)` CTE for the dates of parameter 1 in the time zone of parameter 2. */
export const DAYS_CTE = `d as (select d.d, d.d::timestamp at time zone ? as lo, (d.d + 1)::timestamp at time zone ? as hi from unnest(?::date[]) as d(d))`;

/** Recomputes the rollup rows of these business days (YYYY-MM-DD) from the tickets, in em's transaction. */
export async function recomputeServiceDays(em: EntityManager, days: string[], timeZone: string): Promise<void> {
  if (!days.length) return;
  const list = `{${days.join(',')}}`;
  await em.execute('delete from service_day where day = any(?::date[])', [list]);
  await em.execute('delete from service_agent_day where day = any(?::date[])', [list]);
  await em.execute(`with ${DAYS_CTE}, ${EVENTS}, ${SERVICE_DAYS_INSERT}`, [timeZone, timeZone, list]);
  await em.execute('delete from service_day_tag where day = any(?::date[])', [list]);
  await em.execute(`insert into service_day_tag (day, channel, team_id, priority, tag, tickets) with ${DAYS_CTE} ${SERVICE_TAG_SELECT}`, [
    timeZone,
    timeZone,
    list,
  ]);
  await em.execute('delete from service_day_tag_total where day = any(?::date[])', [list]);
  await em.execute(
    'insert into service_day_tag_total (day, tag, tickets) select day, tag, sum(tickets) from service_day_tag where day = any(?::date[]) group by 1, 2',
    [list],
  );
}

const dayOf = (timeZone: string) => {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone });
  return (d: Date) => f.format(d);
};

/**
 * Takes up to `batch` marked minutes (newest first) and recomputes the business days they fall in; returns
 * how many minutes (0: nothing was marked). Announces `service.refreshed` on the dashboards topic, so open
 * dashboards read the ticket tiles again (one announcement per batch, however many tickets changed).
 */
export async function refreshServiceDays(orm: MikroORM, timeZone: string, batch = SERVICE_BATCH): Promise<number> {
  return orm.em.fork().transactional(async (em) => {
    const taken = await em.execute<{ minute: Date }[]>(
      `delete from service_dirty_minute where minute in (select minute from service_dirty_minute order by minute desc limit ? for update skip locked) returning minute`,
      [batch],
    );
    if (!taken.length) return 0;
    const toDay = dayOf(timeZone);
    const days = [...new Set(taken.map((t) => toDay(new Date(t.minute))))].sort();
    await recomputeServiceDays(em, days, timeZone);
    publish(em, 'dashboards', 'service.refreshed', { days });
    return taken.length;
  });
}

/** Recomputes every day that has tickets or ratings (`npm run analytics:rebuild`); returns the days done. */
export async function rebuildServiceRollups(orm: MikroORM, timeZone: string, onProgress?: (done: number, total: number) => void): Promise<number> {
  const em = orm.em.fork();
  await em.execute('truncate service_day, service_agent_day, service_day_tag, service_day_tag_total, service_dirty_minute');
  const rows = await em.execute<{ day: string }[]>(
    `select distinct to_char(m at time zone ?, 'YYYY-MM-DD') as day
       from (select created_at as m from ticket union select first_responded_at from ticket union select solved_at from ticket
             union select closed_at from ticket union select created_at from csat_response) x
      where m is not null order by 1`,
    [timeZone],
  );
  const days = rows.map((r) => r.day);
  // A month of days per transaction: a rebuild has no reader waiting on any one day.
  for (let i = 0; i < days.length; i += 31) {
    await orm.em.fork().transactional((tx) => recomputeServiceDays(tx, days.slice(i, i + 31), timeZone));
    onProgress?.(Math.min(days.length, i + 31), days.length);
  }
  return days.length;
}
