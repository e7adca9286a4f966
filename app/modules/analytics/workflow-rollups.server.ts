// The workflow report's rollups (workflow_day, workflow_step_day), kept as the sales and service ones are:
// statement triggers on workflow_run and workflow_run_step mark the minute a changed run started in
// (workflow_dirty_minute) and NOTIFY `analytics`; the refresher takes marked minutes (skip locked), turns
// them into business days and recomputes each day whole from the runs started in it and their steps. Exact
// and idempotent by construction; `rebuildWorkflowRollups` is the same for every day there is. Everything is
// counted on the day its run started, as the runs list filters them, so a drill-down lists what a figure
// counts.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { stepHistogramKeys, STEP_TIME_EDGES_MS } from '../../../entities/analytics.ts';
import { DAYS_CTE } from './service-rollups.server.ts';

export const WORKFLOW_BATCH = 500;
export const STEP_HIST_COLUMNS = stepHistogramKeys();
const EDGES_SQL = `'{${STEP_TIME_EDGES_MS.join(',')}}'::bigint[]`;
const MS = (a: string, b: string) => `greatest(0, floor(extract(epoch from ${a} - ${b}) * 1000))::bigint`;

/** workflow_day's rows for the days in `d(d, lo, hi)`. */
export const WORKFLOW_DAY_SELECT = `
  select d.d as day, coalesce(r.definition_id, 0) as definition_id, coalesce(r.version_id, 0) as version_id, r.status,
         count(*)::int as runs, count(r.ended_at)::int as ended, coalesce(sum(${MS('r.ended_at', 'r.started_at')}) filter (where r.ended_at is not null), 0)::bigint as ms
    from d join workflow_run r on r.started_at >= d.lo and r.started_at < d.hi
   group by 1, 2, 3, 4`;

/** workflow_step_day's rows for the days in `d(d, lo, hi)`: the finished steps of the runs started then. */
export const WORKFLOW_STEP_SELECT = `
  b as (
    select d.d, coalesce(r.definition_id, 0) as definition_id, coalesce(r.version_id, 0) as version_id, s.node_id, s.status,
           ${MS('s.ended_at', 's.started_at')} as ms
      from d join workflow_run r on r.started_at >= d.lo and r.started_at < d.hi
      join workflow_run_step s on s.run_id = r.id
     where s.ended_at is not null and s.started_at is not null
  ), h as (select b.*, width_bucket(b.ms, ${EDGES_SQL}) as hb from b)
  select d as day, definition_id, version_id, node_id, status, count(*)::int as steps, coalesce(sum(ms), 0)::bigint as ms,
         ${STEP_HIST_COLUMNS.map((c, i) => `(count(*) filter (where hb = ${i}))::int as ${c}`).join(', ')}
    from h group by 1, 2, 3, 4, 5`;

export async function recomputeWorkflowDays(em: EntityManager, days: string[], timeZone: string): Promise<void> {
  if (!days.length) return;
  const list = `{${days.join(',')}}`;
  const params = [timeZone, timeZone, list];
  await em.execute('delete from workflow_day where day = any(?::date[])', [list]);
  await em.execute(`insert into workflow_day (day, definition_id, version_id, status, runs, ended, ms) with ${DAYS_CTE} ${WORKFLOW_DAY_SELECT}`, params);
  await em.execute('delete from workflow_step_day where day = any(?::date[])', [list]);
  await em.execute(
    `insert into workflow_step_day (day, definition_id, version_id, node_id, status, steps, ms, ${STEP_HIST_COLUMNS.join(', ')})
     with ${DAYS_CTE}, ${WORKFLOW_STEP_SELECT}`,
    params,
  );
}

/** Takes up to `batch` marked minutes and recomputes their business days; returns how many minutes (0: none marked). */
export async function refreshWorkflowDays(orm: MikroORM, timeZone: string, batch = WORKFLOW_BATCH): Promise<number> {
  return orm.em.fork().transactional(async (em) => {
    const taken = await em.execute<{ minute: Date }[]>(
      `delete from workflow_dirty_minute where minute in (select minute from workflow_dirty_minute order by minute desc limit ? for update skip locked) returning minute`,
      [batch],
    );
    if (!taken.length) return 0;
    const f = new Intl.DateTimeFormat('en-CA', { timeZone });
    const days = [...new Set(taken.map((t) => f.format(new Date(t.minute))))].sort();
    await recomputeWorkflowDays(em, days, timeZone);
    return taken.length;
  });
}

/** Recomputes every day that has runs (`npm run analytics:rebuild`); returns the days done. */
export async function rebuildWorkflowRollups(orm: MikroORM, timeZone: string, onProgress?: (done: number, total: number) => void): Promise<number> {
  const em = orm.em.fork();
  await em.execute('truncate workflow_day, workflow_step_day, workflow_dirty_minute');
  const rows = await em.execute<{ day: string }[]>(`select distinct to_char(started_at at time zone ?, 'YYYY-MM-DD') as day from workflow_run order by 1`, [
    timeZone,
  ]);
  const days = rows.map((r) => r.day);
  for (let i = 0; i < days.length; i += 7) {
    await orm.em.fork().transactional((tx) => recomputeWorkflowDays(tx, days.slice(i, i + 7), timeZone));
    onProgress?.(Math.min(days.length, i + 7), days.length);
  }
  return days.length;
}
