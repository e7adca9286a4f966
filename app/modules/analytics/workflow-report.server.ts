// The flow report (/analytics/workflows): runs per flow and version with their outcome and failure rate,
// runs and failures per day, and the time each step takes (p50 / p90 per node of each version, its type
// read from the version's graph), over a range of business days (by the day a run started, as the runs list
// filters) and the period before it. Read from the rollups (workflow_day, workflow_step_day).
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { STEP_TIME_EDGES_MS } from '../../../entities/constants.ts';
import type { FlowTranslations } from '../../../entities/workflows.ts';
import type { Graph } from '../../../workflows/graph.ts';
import { Id } from '../../lib/ids.ts';
import { addDays, daysBetween, ReportRange, resolveRange } from './range.ts';
import { histogramPercentile } from './service-figures.ts';
import { STEP_HIST_COLUMNS } from './workflow-rollups.server.ts';

export const WorkflowReportQuery = ReportRange.extend({
  flow: z.string().trim().max(100).optional().catch(undefined),
  version: Id.optional().catch(undefined),
});
export type WorkflowReportQuery = z.infer<typeof WorkflowReportQuery>;
type Filters = Pick<WorkflowReportQuery, 'flow' | 'version'>;

/** Run outcomes counted as failures: failed, and failed then undone (compensated). */
export const FAILED_STATUSES = ['failed', 'compensated'] as const;

export interface RunFigures {
  runs: number;
  running: number;
  completed: number;
  failed: number;
  compensated: number;
  cancelled: number;
  terminated: number;
  /** Failed or compensated over the runs that ended (null with none). */
  failureRate: number | null;
  /** Mean start → end of the runs that ended, ms. */
  meanMs: number | null;
}

export interface FlowRow extends RunFigures {
  flowKey: string | null;
  flow: string | null;
  flowTranslations: FlowTranslations;
  version: number | null;
}

export interface StepRow {
  flowKey: string | null;
  flow: string | null;
  flowTranslations: FlowTranslations;
  version: number | null;
  nodeId: string;
  type: string | null;
  label: string | null;
  labels: Partial<Record<string, string>>;
  /** Finished (not skipped), of which failed; and the skipped. */
  steps: number;
  failed: number;
  skipped: number;
  p50: number | null;
  p90: number | null;
  meanMs: number | null;
}

export interface WorkflowReport {
  from: string;
  to: string;
  totals: RunFigures;
  previous: { from: string; to: string; totals: RunFigures } | null;
  series: { day: string; runs: number; failed: number }[];
  flows: FlowRow[];
  steps: StepRow[];
}

function where(f: Filters): { sql: string; params: unknown[] } {
  const w: string[] = [];
  const params: unknown[] = [];
  if (f.flow) {
    w.push('w.definition_id = (select id from workflow_definition where key = ?)');
    params.push(f.flow);
  }
  if (f.version) {
    w.push('w.version_id = (select v.id from workflow_version v join workflow_definition d on d.id = v.definition_id where d.key = ? and v.number = ?)');
    params.push(f.flow ?? '', f.version);
  }
  return { sql: w.map((x) => ` and ${x}`).join(''), params };
}

type StatusRow = { status: string; runs: string | number; ended: string | number; ms: string | number };

/** Outcome counts from rows of (status, runs, ended, ms). */
export function runFigures(rows: readonly StatusRow[]): RunFigures {
  const by = (s: string) => rows.filter((r) => r.status === s).reduce((n, r) => n + Number(r.runs), 0);
  const runs = rows.reduce((n, r) => n + Number(r.runs), 0);
  const ended = rows.reduce((n, r) => n + Number(r.ended), 0);
  const ms = rows.reduce((n, r) => n + Number(r.ms), 0);
  const failed = by('failed');
  const compensated = by('compensated');
  const finished = runs - by('running');
  return {
    runs,
    running: by('running'),
    completed: by('completed'),
    failed,
    compensated,
    cancelled: by('cancelled'),
    terminated: by('terminated'),
    failureRate: finished ? (failed + compensated) / finished : null,
    meanMs: ended ? Math.round(ms / ended) : null,
  };
}

async function totals(em: EntityManager, from: string, to: string, f: Filters): Promise<RunFigures> {
  const w = where(f);
  const rows = await em.execute<StatusRow[]>(
    `select w.status, sum(w.runs) as runs, sum(w.ended) as ended, sum(w.ms) as ms from workflow_day w where w.day >= ?::date and w.day <= ?::date${w.sql} group by w.status`,
    [from, to, ...w.params],
  );
  return runFigures(rows);
}

export async function workflowReport(em: EntityManager, q: WorkflowReportQuery, todayIso: string): Promise<WorkflowReport> {
  const { from, to, previous } = resolveRange(q, todayIso);
  const f: Filters = { flow: q.flow, version: q.version };
  const w = where(f);
  const range = [from, to, ...w.params];
  const [cur, prev, daily, flowRows, stepRows] = await Promise.all([
    totals(em, from, to, f),
    previous ? totals(em, previous.from, previous.to, f) : Promise.resolve(null),
    em.execute<{ day: string; runs: string; failed: string }[]>(
      `select to_char(w.day, 'YYYY-MM-DD') as day, sum(w.runs) as runs, coalesce(sum(w.runs) filter (where w.status in ('failed', 'compensated')), 0) as failed
         from workflow_day w where w.day >= ?::date and w.day <= ?::date${w.sql} group by w.day`,
      range,
    ),
    em.execute<(StatusRow & { definition_id: number; version_id: number })[]>(
      `select w.definition_id, w.version_id, w.status, sum(w.runs) as runs, sum(w.ended) as ended, sum(w.ms) as ms
         from workflow_day w where w.day >= ?::date and w.day <= ?::date${w.sql} group by 1, 2, 3`,
      range,
    ),
    em.execute<Record<string, string | number>[]>(
      `select w.definition_id, w.version_id, w.node_id, w.status, sum(w.steps) as steps, sum(w.ms) as ms, ${STEP_HIST_COLUMNS.map((c) => `sum(w.${c}) as ${c}`).join(', ')}
         from workflow_step_day w where w.day >= ?::date and w.day <= ?::date${w.sql} group by 1, 2, 3, 4`,
      range,
    ),
  ]);
  // Names and graphs of the flows and versions seen.
  const defIds = [...new Set(flowRows.map((r) => Number(r.definition_id)).filter(Boolean))];
  const verIds = [...new Set([...flowRows, ...stepRows].map((r) => Number(r.version_id)).filter(Boolean))];
  const [defs, versions] = await Promise.all([
    defIds.length
      ? em.execute<{ id: number; key: string; name: string; translations: FlowTranslations }[]>(
          'select id, key, name, translations from workflow_definition where id = any(?::int[])',
          [`{${defIds.join(',')}}`],
        )
      : Promise.resolve([]),
    verIds.length
      ? em.execute<{ id: number; number: number; graph: Graph }[]>('select id, number, graph from workflow_version where id = any(?::int[])', [
          `{${verIds.join(',')}}`,
        ])
      : Promise.resolve([]),
  ]);
  const defOf = new Map(defs.map((d) => [Number(d.id), d]));
  const verOf = new Map(versions.map((v) => [Number(v.id), v]));
  const flowOf = (definitionId: number, versionId: number) => {
    const d = defOf.get(definitionId);
    return { flowKey: d?.key ?? null, flow: d?.name ?? null, flowTranslations: d?.translations ?? {}, version: verOf.get(versionId)?.number ?? null };
  };

  const groups = new Map<string, { definitionId: number; versionId: number; rows: StatusRow[] }>();
  for (const r of flowRows) {
    const key = `${r.definition_id}/${r.version_id}`;
    const g = groups.get(key) ?? { definitionId: Number(r.definition_id), versionId: Number(r.version_id), rows: [] };
    g.rows.push(r);
    groups.set(key, g);
  }
  const flows: FlowRow[] = [...groups.values()]
    .map((g) => ({ ...flowOf(g.definitionId, g.versionId), ...runFigures(g.rows) }))
    .sort((a, b) => b.runs - a.runs || (a.flowKey ?? '').localeCompare(b.flowKey ?? '') || (b.version ?? 0) - (a.version ?? 0));

  const stepGroups = new Map<string, { definitionId: number; versionId: number; nodeId: string; rows: Record<string, string | number>[] }>();
  for (const r of stepRows) {
    const key = `${r.definition_id}/${r.version_id}/${r.node_id}`;
    const g = stepGroups.get(key) ?? { definitionId: Number(r.definition_id), versionId: Number(r.version_id), nodeId: String(r.node_id), rows: [] };
    g.rows.push(r);
    stepGroups.set(key, g);
  }
  const steps: StepRow[] = [...stepGroups.values()].map((g) => {
    const timed = g.rows.filter((r) => r.status !== 'skipped');
    const hist = STEP_HIST_COLUMNS.map((c) => timed.reduce((n, r) => n + Number(r[c]), 0));
    const n = timed.reduce((a, r) => a + Number(r.steps), 0);
    const ms = timed.reduce((a, r) => a + Number(r.ms), 0);
    const node = verOf.get(g.versionId)?.graph?.nodes?.find((x) => x.id === g.nodeId);
    return {
      ...flowOf(g.definitionId, g.versionId),
      nodeId: g.nodeId,
      type: node?.type ?? null,
      label: node?.data?.label ?? null,
      labels: node?.data?.labels ?? {},
      steps: n,
      failed: g.rows.filter((r) => r.status === 'failed').reduce((a, r) => a + Number(r.steps), 0),
      skipped: g.rows.filter((r) => r.status === 'skipped').reduce((a, r) => a + Number(r.steps), 0),
      p50: histogramPercentile(hist, 0.5, STEP_TIME_EDGES_MS),
      p90: histogramPercentile(hist, 0.9, STEP_TIME_EDGES_MS),
      meanMs: n ? Math.round(ms / n) : null,
    };
  });
  // Flow by flow (busiest first), version by version (newest first), slowest step first.
  const flowRank = new Map(flows.map((x, i) => [`${x.flowKey}/${x.version}`, i]));
  steps.sort(
    (a, b) =>
      (flowRank.get(`${a.flowKey}/${a.version}`) ?? 1e9) - (flowRank.get(`${b.flowKey}/${b.version}`) ?? 1e9) ||
      (b.p90 ?? -1) - (a.p90 ?? -1) ||
      a.nodeId.localeCompare(b.nodeId),
  );

  const found = new Map(daily.map((r) => [r.day, r]));
  const series = Array.from({ length: daysBetween(from, to) + 1 }, (_, i) => {
    const day = addDays(from, i);
    const r = found.get(day);
    return { day, runs: Number(r?.runs ?? 0), failed: Number(r?.failed ?? 0) };
  });
  return { from, to, totals: cur, previous: previous && prev ? { ...previous, totals: prev } : null, series, flows, steps };
}
