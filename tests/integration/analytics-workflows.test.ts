// The flow report against the run history: random runs of the demo's flows (each version pinned, steps
// started and finished as the engine records them, every outcome, steps from milliseconds to days) spread
// over three weeks are rolled up by the refresher, and every figure of the report must equal the same
// figure computed here from workflow_run and workflow_run_step; the runs list's filters list what a figure
// counts; a redelivery or a rebuild changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_TIME_EDGES_MS } from '../../entities/constants.ts';
import { histogramPercentile } from '../../app/modules/analytics/service-figures.ts';
import { rebuildWorkflowRollups, refreshWorkflowDays } from '../../app/modules/analytics/workflow-rollups.server.ts';
import { runFigures, workflowReport } from '../../app/modules/analytics/workflow-report.server.ts';
import { ensureRun, stepFinished, stepStarted, updateRun } from '../../app/modules/workflows/runs.server.ts';
import { listRuns, RunFilters } from '../../app/modules/workflows/queries.server.ts';
import type { RunStatus } from '../../entities/workflows.ts';
import type { Graph } from '../../workflows/graph.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const TZ = 'America/Los_Angeles';
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
  while ((await refreshWorkflowDays(db.orm, TZ)) > 0);
}

/** The bucket of a time (ms) as width_bucket gives it. */
const bucketOf = (ms: number) => {
  let i = 0;
  while (i < STEP_TIME_EDGES_MS.length && ms >= STEP_TIME_EDGES_MS[i]) i++;
  return i;
};

interface BaseRun {
  id: number;
  key: string | null;
  number: number | null;
  status: string;
  started_at: Date;
  ended_at: Date | null;
}
interface BaseStep {
  run_id: number;
  node_id: string;
  status: string;
  started_at: Date | null;
  ended_at: Date | null;
}

beforeAll(async () => {
  db = await createTestDatabase('anawf');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  const versions = await sql<{ id: number; definition_id: number; graph: Graph }>('select id, definition_id, graph from workflow_version order by id');
  expect(versions.length).toBeGreaterThan(1);
  const rnd = random(20261208);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const OUTCOMES: RunStatus[] = ['completed', 'completed', 'completed', 'failed', 'compensated', 'cancelled', 'terminated', 'running'];
  for (let i = 0; i < 140; i++) {
    const v = pick(versions.slice(0, 4));
    const workflowId = `wf-report-${i}`;
    await db.orm.em.fork().transactional(async (em) => {
      const runId = await ensureRun(em, workflowId, { triggerType: 'manual', triggerPayload: { i }, definitionId: v.definition_id, versionId: v.id });
      const nodes = v.graph.nodes.slice(0, 2 + Math.floor(rnd() * 4));
      for (const [k, n] of nodes.entries()) {
        await stepStarted(em, runId, n.id, { visit: 1, attempt: 1, input: { k } });
        const fate = rnd();
        if (fate < 0.75) await stepFinished(em, runId, n.id, { status: 'done' });
        else if (fate < 0.85) await stepFinished(em, runId, n.id, { status: 'failed', error: 'boom' });
        else if (fate < 0.9)
          await em.execute(`update workflow_run_step set status = 'skipped', ended_at = now() where run_id = ? and node_id = ?`, [runId, n.id]);
        // else: still running
      }
      const status = pick(OUTCOMES);
      await updateRun(em, runId, workflowId, { status, finished: status !== 'running' });
    });
    // Spread over three weeks; each step takes from milliseconds to two days.
    const started = new Date(Date.now() - Math.floor(rnd() * 20 * DAY) - 60_000);
    await sql(`update workflow_run set started_at = ?, ended_at = case when ended_at is null then null else ?::timestamptz end where workflow_id = ?`, [
      started,
      new Date(started.getTime() + Math.floor(rnd() * 3 * DAY)),
      workflowId,
    ]);
    const steps = await sql<{ id: number }>(
      'select s.id from workflow_run_step s join workflow_run r on r.id = s.run_id where r.workflow_id = ? order by s.id',
      [workflowId],
    );
    let at = started.getTime();
    for (const s of steps) {
      const took = Math.floor(10 ** (rnd() * 8.2)); // 1 ms … ~2 days
      await sql(`update workflow_run_step set started_at = ?, ended_at = case when ended_at is null then null else ?::timestamptz end where id = ?`, [
        new Date(at),
        new Date(at + took),
        s.id,
      ]);
      at += took;
    }
  }
  await refreshAll();
}, 240_000);
afterAll(async () => {
  await db?.drop();
});

async function base() {
  const runs = await sql<BaseRun>(
    `select r.id, d.key, v.number, r.status, r.started_at, r.ended_at from workflow_run r
       left join workflow_definition d on d.id = r.definition_id left join workflow_version v on v.id = r.version_id`,
  );
  const steps = await sql<BaseStep>('select run_id, node_id, status, started_at, ended_at from workflow_run_step');
  return { runs, steps };
}

async function check(from: string, to: string, filter: { flow?: string; version?: number } = {}) {
  const { runs, steps } = await base();
  const report = await workflowReport(db.orm.em.fork(), { from, to, compare: 'previous', ...filter }, today());
  const keep = (r: BaseRun, a = from, b = to) =>
    dayIn(r.started_at) >= a && dayIn(r.started_at) <= b && (!filter.flow || r.key === filter.flow) && (!filter.version || r.number === filter.version);
  const ms = (a: Date, b: Date) => Math.max(0, Math.floor(new Date(a).getTime() - new Date(b).getTime()));
  const figuresOf = (rs: BaseRun[]) => {
    const by = new Map<string, { status: string; runs: number; ended: number; ms: number }>();
    for (const r of rs) {
      const x = by.get(r.status) ?? { status: r.status, runs: 0, ended: 0, ms: 0 };
      x.runs++;
      if (r.ended_at) {
        x.ended++;
        x.ms += ms(r.ended_at, r.started_at);
      }
      by.set(r.status, x);
    }
    return runFigures([...by.values()]);
  };
  const inRange = runs.filter((r) => keep(r));
  const label = `${from}…${to} ${JSON.stringify(filter)}`;
  expect(report.totals, label).toEqual(figuresOf(inRange));
  expect(report.previous!.totals).toEqual(figuresOf(runs.filter((r) => keep(r, report.previous!.from, report.previous!.to))));
  for (const p of report.series) {
    const day = inRange.filter((r) => dayIn(r.started_at) === p.day);
    expect(p, p.day).toEqual({ day: p.day, runs: day.length, failed: day.filter((r) => ['failed', 'compensated'].includes(r.status)).length });
  }
  // Per flow and version.
  const groups = new Map<string, BaseRun[]>();
  for (const r of inRange) groups.set(`${r.key}/${r.number}`, [...(groups.get(`${r.key}/${r.number}`) ?? []), r]);
  expect(report.flows.length).toBe(groups.size);
  for (const f of report.flows) expect(f, `${f.flowKey} v${f.version}`).toMatchObject(figuresOf(groups.get(`${f.flowKey}/${f.version}`)!));
  // Per step: the finished steps of those runs.
  const runOf = new Map(inRange.map((r) => [r.id, r]));
  const stepGroups = new Map<string, BaseStep[]>();
  for (const s of steps) {
    const r = runOf.get(s.run_id);
    if (!r || !s.ended_at || !s.started_at) continue;
    const k = `${r.key}/${r.number}/${s.node_id}`;
    stepGroups.set(k, [...(stepGroups.get(k) ?? []), s]);
  }
  expect(report.steps.length).toBe(stepGroups.size);
  for (const s of report.steps) {
    const all = stepGroups.get(`${s.flowKey}/${s.version}/${s.nodeId}`)!;
    const timed = all.filter((x) => x.status !== 'skipped').map((x) => ms(x.ended_at!, x.started_at!));
    const hist = new Array<number>(STEP_TIME_EDGES_MS.length + 1).fill(0);
    for (const x of timed) hist[bucketOf(x)]++;
    expect(s, `${s.flowKey} v${s.version} ${s.nodeId}`).toMatchObject({
      steps: timed.length,
      failed: all.filter((x) => x.status === 'failed').length,
      skipped: all.filter((x) => x.status === 'skipped').length,
      meanMs: timed.length ? Math.round(timed.reduce((a, b) => a + b, 0) / timed.length) : null,
      p50: histogramPercentile(hist, 0.5, STEP_TIME_EDGES_MS),
      p90: histogramPercentile(hist, 0.9, STEP_TIME_EDGES_MS),
    });
    expect(s.type).toBeTruthy();
    // The exact median lies in the bucket the estimate names.
    if (timed.length) {
      const exact = [...timed].sort((a, b) => a - b)[Math.ceil(timed.length / 2) - 1];
      const i = bucketOf(exact);
      expect(s.p50!).toBeGreaterThanOrEqual(i === 0 ? 0 : STEP_TIME_EDGES_MS[i - 1]);
      if (i < STEP_TIME_EDGES_MS.length) expect(s.p50!).toBeLessThanOrEqual(STEP_TIME_EDGES_MS[i]);
    }
  }
  return report;
}

describe('flow report', () => {
  it('gives runs per flow and version, failure rates and time per step as the run history gives them', async () => {
    const d = today();
    const report = await check(shift(d, -20), d);
    expect(report.totals.runs).toBe(140);
    expect(report.totals.failed).toBeGreaterThan(0);
    expect(report.flows.length).toBeGreaterThan(1);
    expect(report.steps.some((s) => s.p90 !== null && s.p90 > 60_000)).toBe(true);
    await check(shift(d, -6), d);
    const top = report.flows[0];
    await check(shift(d, -20), shift(d, -3), { flow: top.flowKey! });
    await check(shift(d, -20), d, { flow: top.flowKey!, version: top.version! });
  });

  it('drills down to the runs list: a flow and version over the days lists the runs it counts', async () => {
    const d = today();
    const report = await workflowReport(db.orm.em.fork(), { from: shift(d, -20), to: d, compare: 'none' }, d);
    for (const f of report.flows.slice(0, 3)) {
      const filters = RunFilters.parse({ flow: f.flowKey, version: String(f.version), from: shift(d, -20), to: d });
      expect((await listRuns(db.orm.em.fork(), filters, 10_000, TZ)).rows.length).toBe(f.runs);
      const failed = RunFilters.parse({ flow: f.flowKey, version: String(f.version), from: shift(d, -20), to: d, status: 'failed' });
      expect((await listRuns(db.orm.em.fork(), failed, 10_000, TZ)).rows.length).toBe(f.failed);
    }
    const busiest = [...report.series].sort((a, b) => b.runs - a.runs)[0];
    expect((await listRuns(db.orm.em.fork(), RunFilters.parse({ from: busiest.day, to: busiest.day }), 10_000, TZ)).rows.length).toBe(busiest.runs);
  });

  it('follows a run that ends, and a redelivery or rebuild changes nothing', async () => {
    const [r] = await sql<{ id: number; workflow_id: string }>(`select id, workflow_id from workflow_run where status = 'running' order by id limit 1`);
    await db.orm.em.fork().transactional((em) => updateRun(em, r.id, r.workflow_id, { status: 'failed', finished: true, error: 'late' }));
    expect((await sql('select minute from workflow_dirty_minute')).length).toBe(1);
    await refreshAll();
    const d = today();
    await check(shift(d, -20), d);
    const before = await sql('select * from workflow_step_day order by 1, 2, 3, 4, 5');
    const runsBefore = await sql('select * from workflow_day order by 1, 2, 3, 4');
    await sql(`insert into workflow_dirty_minute (minute) select distinct date_trunc('minute', started_at) from workflow_run on conflict do nothing`);
    await refreshAll();
    expect(await sql('select * from workflow_step_day order by 1, 2, 3, 4, 5')).toEqual(before);
    await rebuildWorkflowRollups(db.orm, TZ);
    expect(await sql('select * from workflow_step_day order by 1, 2, 3, 4, 5')).toEqual(before);
    expect(await sql('select * from workflow_day order by 1, 2, 3, 4')).toEqual(runsBefore);
  });
});
