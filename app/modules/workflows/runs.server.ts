// Run history: the rows the console shows for each interpreter run (WorkflowRun, WorkflowRunStep)
// and the live events that go with them. Written by the worker (activity interceptor, the
// `workflow.runEvent` local activity) and by the dispatcher that starts runs.
import type { EntityManager } from '@mikro-orm/postgresql';
import { outboxInsertPerRowSql, publishNow } from '../../lib/outbox.server.ts';
import { db, prepare, sql } from '../../lib/db.server.ts';
import { sql as ksql } from 'kysely';
import type { RunStatus, RunStepStatus } from '../../../entities/workflows.ts';

/** Summaries are for people reading the run view: short JSON, cut at about 2 KB. */
export const SUMMARY_LIMIT = 2048;

export function summarize(value: unknown): unknown {
  if (value === undefined) return null;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return { unserialisable: true };
  }
  if (text === undefined) return null;
  if (text.length <= SUMMARY_LIMIT) return JSON.parse(text) as unknown;
  return { truncated: true, bytes: text.length, preview: text.slice(0, SUMMARY_LIMIT - 100) };
}

/** What a run (or a human task) is about, from its trigger, for links from that entity's page. */
export function entityOf(triggerType: string, payload: Record<string, unknown> | undefined): { type: string; id: string } | null {
  const p = payload ?? {};
  const id = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && v !== '') ? String(v) : null);
  if (triggerType === 'return.requested' && id(p.returnId)) return { type: 'ReturnRequest', id: id(p.returnId)! };
  if (triggerType === 'stock.low' && id(p.levelId)) return { type: 'InventoryLevel', id: id(p.levelId)! };
  if (id(p.orderId)) return { type: 'Order', id: id(p.orderId)! };
  return null;
}

export { parseDuration } from '../../../workflows/duration.ts';

export interface RunInit {
  triggerType: string;
  triggerPayload: Record<string, unknown>;
  definitionId?: number | null;
  versionId?: number | null;
  /** Used to find the version when neither id is known (a run started outside the dispatcher, a sub-flow). */
  planHash?: string;
}

// Run history is written for every step of every run, so its statements are prepared once per
// connection (app/lib/db.server.ts) rather than parsed and planned each time.
// With no version id given, the version is the newest with the plan's hash ($8), if any, and its
// definition the definition unless one is given.
const ENSURE_RUN = prepare(
  'run_ensure',
  `with v as (select id, definition_id from workflow_version where $3::int is null and hash = $8 order by id desc limit 1)
   insert into workflow_run (workflow_id, definition_id, version_id, trigger_type, trigger_payload, status, started_at, entity_type, entity_id, updated_at)
     values ($1, coalesce($2::int, (select definition_id from v)), coalesce($3::int, (select id from v)), $4, $5, 'running', now(), $6, $7, now())
     on conflict (workflow_id) do update set
       definition_id = coalesce(workflow_run.definition_id, excluded.definition_id),
       version_id = coalesce(workflow_run.version_id, excluded.version_id),
       entity_type = coalesce(workflow_run.entity_type, excluded.entity_type),
       entity_id = coalesce(workflow_run.entity_id, excluded.entity_id)
     returning id`,
);
const RUN_ID = prepare('run_id_of', 'select id from workflow_run where workflow_id = $1');
const STEP_STARTED = prepare(
  'run_step_started',
  `insert into workflow_run_step (run_id, node_id, status, visits, started_at, input_summary, compensation)
     values ($1, $2, 'running', $3, now() - $4::int * interval '1 millisecond', $5, false)
     on conflict (run_id, node_id) do update set
       status = 'running',
       started_at = case when excluded.visits > workflow_run_step.visits or $6 = 1 or workflow_run_step.started_at is null then excluded.started_at else workflow_run_step.started_at end,
       error = case when excluded.visits > workflow_run_step.visits or $6 = 1 then null else workflow_run_step.error end,
       visits = greatest(workflow_run_step.visits, excluded.visits),
       ended_at = null,
       input_summary = excluded.input_summary`,
);
const STEP_FINISHED = prepare(
  'run_step_finished',
  'update workflow_run_step set status = $1, ended_at = now(), output_summary = coalesce($2::jsonb, output_summary), error = $3 where run_id = $4 and node_id = $5',
);
const UNDO_STARTED = prepare('run_step_undo_started', 'update workflow_run_step set compensation = true where run_id = $1 and node_id = $2');
const UNDO_DONE = prepare(
  'run_step_undo_done',
  `update workflow_run_step set compensation = true, status = 'compensated', ended_at = now(), error = null where run_id = $1 and node_id = $2`,
);
const UNDO_FAILED = prepare('run_step_undo_failed', 'update workflow_run_step set compensation = true, error = $3 where run_id = $1 and node_id = $2');

/**
 * The run's row id, creating the row when it is missing. A row that exists keeps what it has
 * (its pinned version especially); only unknown fields are filled in.
 */
export async function ensureRun(em: EntityManager, workflowId: string, init: RunInit): Promise<number> {
  const entity = entityOf(init.triggerType, init.triggerPayload);
  const [row] = await sql<{ id: number }>(em, ENSURE_RUN, [
    workflowId,
    init.definitionId ?? null,
    init.versionId || null,
    init.triggerType,
    JSON.stringify(init.triggerPayload ?? {}),
    entity?.type ?? null,
    entity?.id ?? null,
    init.planHash || null,
  ]);
  return Number(row.id);
}

/** The run's id when its row exists. */
export async function runIdOf(em: EntityManager, workflowId: string): Promise<number | null> {
  const [row] = await sql<{ id: number }>(em, RUN_ID, [workflowId]);
  return row ? Number(row.id) : null;
}

/** `<workflowId>:<nodeId>:<visit>[:undo]` → its parts (node ids may contain ':'; the workflow id is given). */
export function parseActivityKey(key: string, workflowId: string): { visit: number; undo: boolean } {
  const rest = key.startsWith(`${workflowId}:`) ? key.slice(workflowId.length + 1) : key;
  const parts = rest.split(':');
  const undo = parts.at(-1) === 'undo';
  const visit = Number(parts.at(undo ? -2 : -1));
  return { visit: Number.isInteger(visit) && visit > 0 ? visit : 1, undo };
}

/**
 * An activity node started (attempt ≥ 1), `agoMs` before now (recorded late: by the database's clock,
 * so that a worker's skewed clock never puts the start after the end). Later attempts keep the first
 * start time and the last error.
 */
export async function stepStarted(em: EntityManager, runId: number, nodeId: string, s: { visit: number; attempt: number; input: unknown; agoMs?: number }) {
  await sql(em, STEP_STARTED, [runId, nodeId, s.visit, Math.max(0, Math.round(s.agoMs ?? 0)), JSON.stringify(summarize(s.input)), s.attempt]);
}

export async function stepFinished(
  em: EntityManager,
  runId: number,
  nodeId: string,
  s: { status: 'done' | 'failed'; output?: unknown; error?: string | null },
) {
  await sql(em, STEP_FINISHED, [s.status, s.output === undefined ? null : JSON.stringify(summarize(s.output)), s.error ?? null, runId, nodeId]);
}

const STEP_RECORDED = prepare(
  'run_step_recorded',
  `with step as (
    insert into workflow_run_step (run_id, node_id, status, visits, started_at, ended_at, input_summary, output_summary, error, compensation)
    select r.id, $2::text, $3::text, $4::int, now() - $5::int * interval '1 millisecond', now(), $6::jsonb, $7::jsonb, $8::text, false
      from workflow_run r where r.workflow_id = $1
    on conflict (run_id, node_id) do update set
      status = excluded.status,
      started_at = case when excluded.visits > workflow_run_step.visits or $9 = 1 or workflow_run_step.started_at is null then excluded.started_at else workflow_run_step.started_at end,
      error = excluded.error,
      visits = greatest(workflow_run_step.visits, excluded.visits),
      ended_at = excluded.ended_at,
      input_summary = excluded.input_summary,
      output_summary = coalesce(excluded.output_summary, workflow_run_step.output_summary)
    returning run_id)
  ${outboxInsertPerRowSql('step', 'workflows', 'run.step', '$10')}
  returning id`,
);

/**
 * A step that ended before it was recorded as started (most do, activities/interceptors.ts), in one
 * statement: the row as `stepStarted` and then `stepFinished` leave it, and `event` announced as
 * `run.step` on the workflows topic. False, with nothing written, when the run has no row yet.
 */
export async function stepRecorded(
  em: EntityManager,
  workflowId: string,
  nodeId: string,
  s: {
    visit: number;
    attempt: number;
    input: unknown;
    agoMs?: number;
    status: 'done' | 'failed';
    output?: unknown;
    error?: string | null;
    event: Record<string, unknown>;
  },
): Promise<boolean> {
  const rows = await sql(em, STEP_RECORDED, [
    workflowId,
    nodeId,
    s.status,
    s.visit,
    Math.max(0, Math.round(s.agoMs ?? 0)),
    JSON.stringify(summarize(s.input)),
    s.output === undefined ? null : JSON.stringify(summarize(s.output)),
    s.error ?? null,
    s.attempt,
    JSON.stringify(s.event),
  ]);
  return rows.length > 0;
}

/** A compensation (undo) of a node ran: `compensated` when it succeeded, its error otherwise. */
export async function stepCompensation(em: EntityManager, runId: number, nodeId: string, s: { phase: 'started' | 'done' | 'failed'; error?: string | null }) {
  if (s.phase === 'started') {
    await sql(em, UNDO_STARTED, [runId, nodeId]);
  } else if (s.phase === 'done') {
    await sql(em, UNDO_DONE, [runId, nodeId]);
  } else {
    await sql(em, UNDO_FAILED, [runId, nodeId, `undo failed: ${s.error ?? ''}`.slice(0, 2000)]);
  }
}

/** The interpreter's own view of its steps (RunState.steps), merged so that no step moves backwards. */
export interface StateStep {
  nodeId: string;
  status: RunStepStatus;
  visits: number;
  startedAt?: number;
  endedAt?: number;
  error?: string;
  handle?: string;
  output?: unknown;
}

const RANK = `(case %s when 'waiting' then 0 when 'running' then 1 when 'compensated' then 3 else 2 end)`;
const rank = (col: string) => RANK.replace('%s', col);

/**
 * Upserts steps from a RunState snapshot. For the same visit a status only moves forward
 * (waiting → running → done/failed/skipped → compensated), so a snapshot taken while an activity was
 * still in flight never undoes what the activity interceptor has recorded since.
 */
export async function mergeStateSteps(em: EntityManager, runId: number, steps: StateStep[]) {
  const rows = steps
    .filter((s) => s.visits > 0 || s.status !== 'waiting')
    .map((s) => ({
      node_id: s.nodeId,
      status: s.status,
      visits: s.visits,
      started_at: s.startedAt ? new Date(s.startedAt).toISOString() : null,
      ended_at: s.endedAt && s.status !== 'running' ? new Date(s.endedAt).toISOString() : null,
      output: s.handle !== undefined || s.output !== undefined ? summarize({ handle: s.handle ?? null, output: s.output ?? null }) : null,
      error: s.error ?? null,
    }));
  if (!rows.length) return;
  await sql(em, MERGE_STEPS, [runId, JSON.stringify(rows)]);
}

const MERGE_STEPS = (() => {
  const s = 'workflow_run_step',
    x = 'excluded';
  const takeNew = `(${x}.visits > ${s}.visits or (${x}.visits = ${s}.visits and ${rank(`${x}.status`)} > ${rank(`${s}.status`)}))`;
  return prepare(
    'run_merge_steps',
    `insert into workflow_run_step (run_id, node_id, status, visits, started_at, ended_at, output_summary, error, compensation)
     select $1::int, r.node_id, r.status, r.visits, r.started_at, r.ended_at, r.output, r.error, false
       from jsonb_to_recordset($2::jsonb) as r(node_id text, status text, visits int, started_at timestamptz, ended_at timestamptz, output jsonb, error text)
     on conflict (run_id, node_id) do update set
       status = case when ${takeNew} then ${x}.status else ${s}.status end,
       started_at = case when ${x}.visits > ${s}.visits then ${x}.started_at else coalesce(${s}.started_at, ${x}.started_at) end,
       ended_at = case when ${takeNew} then coalesce(${x}.ended_at, case when ${x}.status = 'running' then null else ${s}.ended_at end) else ${s}.ended_at end,
       output_summary = case when ${x}.visits > ${s}.visits or ${s}.output_summary is null then ${x}.output_summary else ${s}.output_summary end,
       error = case when ${takeNew} then coalesce(${x}.error, ${s}.error) else ${s}.error end,
       visits = greatest(${s}.visits, ${x}.visits)`,
  );
})();

/**
 * The steps of a run ended from outside its flow that were still running or waiting (an activity in
 * flight, a wait on a person, a timer or a signal): they end with the run, as `status`, with the
 * reason as their error, so the canvas and the step list stop showing them as live. Returns them.
 */
export async function closeOpenSteps(
  em: EntityManager,
  runId: number,
  u: { status: Extract<RunStepStatus, 'cancelled' | 'terminated'>; error: string },
): Promise<{ nodeId: string; before: RunStepStatus }[]> {
  const rows = await db(em)
    .updateTable('workflow_run_step as s')
    .from((eb) =>
      eb
        .selectFrom('workflow_run_step')
        .select(['id', 'status'])
        .where('run_id', '=', runId)
        .where('status', 'in', ['running', 'waiting'])
        .orderBy('id')
        .forUpdate()
        .as('o'),
    )
    .set({ status: u.status, ended_at: ksql`now()`, error: u.error.slice(0, 2000) })
    .whereRef('s.id', '=', 'o.id')
    .returning(['s.node_id', 'o.status as before'])
    .execute();
  return rows.map((r) => ({ nodeId: r.node_id, before: r.before }));
}

const UPDATE_RUN = prepare(
  'run_update',
  'update workflow_run set status = $1, ended_at = case when $2 then coalesce(ended_at, now()) else null end, error = $3, updated_at = now() where id = $4',
);
const WITHDRAW_TASKS = prepare(
  'run_withdraw_tasks',
  `update human_task set status = 'cancelled', decided_at = now() where workflow_id = $1 and status = 'open' returning id, node_id`,
);

/** Sets the run's status; a finished run gets its end time, and any task still open on it is withdrawn. */
export async function updateRun(em: EntityManager, runId: number, workflowId: string, u: { status: RunStatus; finished: boolean; error?: string | null }) {
  await sql(em, UPDATE_RUN, [u.status, u.finished, u.error ?? null, runId]);
  if (u.finished) {
    const closed = await sql<{ id: number; node_id: string }>(em, WITHDRAW_TASKS, [workflowId]);
    for (const t of closed) await publishNow(em, 'workflows', 'task.closed', { taskId: Number(t.id), workflowId, nodeId: t.node_id, status: 'cancelled' });
  }
}
