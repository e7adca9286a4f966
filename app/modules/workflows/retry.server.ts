// Retrying a failed (or compensated) run from the step that failed (issue 5).
//
// The failed run's state (node outputs, which node failed) is read from Temporal: its `state` query
// while it can still be answered, else a compensated run's result; failing both, the recorded
// WorkflowRunStep rows and the run's trigger. A new `interpreter` run, `<original>-retry-<n>`, then
// resumes at the failed node with that context, on the run's pinned version or on the definition's
// latest version (refused when the failed node no longer exists there).
import type { MikroORM } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Plan, RunContext } from '../../../workflows/graph.ts';
import type { InterpreterInput, RunState, StepState } from '../../../workflows/interpreter.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';
import { ensureRun } from './runs.server.ts';
import { latestVersion } from './service.server.ts';

export const RETRYABLE_STATUSES = ['failed', 'compensated'] as const;
export type RetryVersion = 'pinned' | 'latest';

/** What a retry needs from the failed run: the node outputs so far, the failed node, each node's status. */
export interface FailedRunState {
  context: RunContext;
  failedNodeId: string;
  statuses: Record<string, StepState['status']>;
  source: 'query' | 'result' | 'rows';
}

const QUERY_DEADLINE_MS = 5_000;

/** The failed run's state from Temporal (query, then result), else from the recorded rows. */
export async function readFailedState(
  orm: MikroORM,
  client: Client,
  run: { id: number; workflowId: string; triggerType: string; triggerPayload: Record<string, unknown> },
): Promise<FailedRunState | null> {
  const fromState = (s: RunState, source: FailedRunState['source']): FailedRunState | null => {
    const failed = Object.entries(s.steps ?? {}).find(([, st]) => st.status === 'failed');
    if (!failed || !s.context) return null;
    return { context: s.context, failedNodeId: failed[0], statuses: Object.fromEntries(Object.entries(s.steps).map(([id, st]) => [id, st.status])), source };
  };
  const handle = client.workflow.getHandle(run.workflowId);
  try {
    const s = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query<RunState>('state'));
    const r = fromState(s, 'query');
    if (r) return r;
  } catch {
    /* not queryable (no worker, history gone): try the result */
  }
  try {
    const s = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.result() as Promise<RunState>);
    const r = s && typeof s === 'object' ? fromState(s, 'result') : null;
    if (r) return r;
  } catch {
    /* a failed run's result is its failure, which carries no state */
  }
  const rows = await db(orm.em.fork())
    .selectFrom('workflow_run_step')
    .select(['node_id', 'status', 'output_summary'])
    .$narrowType<{ status: StepState['status']; output_summary: { output?: unknown } | null }>()
    .where('run_id', '=', run.id)
    .orderBy(
      (eb) => eb.fn.coalesce('started_at', 'ended_at'),
      (ob) => ob.asc().nullsLast(),
    )
    .orderBy('id')
    .execute();
  const failed = rows.find((r) => r.status === 'failed');
  if (!failed) return null;
  const nodes: Record<string, Record<string, unknown>> = {};
  for (const r of rows) {
    const out = r.output_summary?.output;
    if (r.status !== 'failed' && out && typeof out === 'object' && !Array.isArray(out)) nodes[r.node_id] = out as Record<string, unknown>;
  }
  return {
    context: { trigger: { type: run.triggerType, payload: run.triggerPayload }, nodes } as RunContext,
    failedNodeId: failed.node_id,
    statuses: Object.fromEntries(rows.map((r) => [r.node_id, r.status])),
    source: 'rows',
  };
}

/** Fresh steps for the chosen plan: what the failed run finished counts as done (skipped stays skipped), the rest waits. */
function resumeSteps(plan: Plan, statuses: Record<string, StepState['status']>, failedNodeId: string): Record<string, StepState> {
  return Object.fromEntries(
    Object.keys(plan.nodes).map((id) => {
      const old = id === failedNodeId ? undefined : statuses[id];
      if (old === 'done' || old === 'compensated') return [id, { status: 'done', visits: 1 } satisfies StepState];
      if (old === 'skipped') return [id, { status: 'skipped', visits: 0 } satisfies StepState];
      return [id, { status: 'waiting', visits: 0 } satisfies StepState];
    }),
  );
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Starts a retry of a failed or compensated run from its failed node; returns the new workflow id.
 * 404 when the run is unknown; 409 when it is not failed/compensated (`run_not_retryable`), when no
 * failed node can be found (`no_failed_step`), when the chosen version is unknown (`no_version`), or
 * when the failed node is not in the latest graph (`node_missing`).
 */
export async function retryRun(
  orm: MikroORM,
  client: Client,
  taskQueue: string,
  workflowId: string,
  opts: { version: RetryVersion },
  actor: Actor,
): Promise<string> {
  const em = orm.em.fork();
  const run = await db(em)
    .selectFrom('workflow_run')
    .select(['id', 'workflow_id', 'status', 'definition_id', 'version_id', 'trigger_type', 'trigger_payload'])
    .where('workflow_id', '=', workflowId)
    .executeTakeFirst();
  if (!run) throw new DomainError(404, 'not_found', `No run ${workflowId}.`);
  if (!(RETRYABLE_STATUSES as readonly string[]).includes(run.status)) {
    throw new DomainError(409, 'run_not_retryable', `Run ${workflowId} is ${run.status}; only failed or compensated runs can be retried.`, {
      params: { status: run.status },
    });
  }
  const trigger = { type: run.trigger_type, payload: run.trigger_payload ?? {} };

  let version: { id: number; number: number; plan: Plan } | null = null;
  if (opts.version === 'latest') {
    if (run.definition_id != null) {
      const v = await latestVersion(em, Number(run.definition_id));
      if (v) version = { id: v.id, number: v.number, plan: v.plan };
    }
  } else if (run.version_id != null) {
    const v = await db(em).selectFrom('workflow_version').select(['id', 'number', 'plan']).where('id', '=', run.version_id).executeTakeFirst();
    if (v) version = { id: Number(v.id), number: Number(v.number), plan: v.plan };
  }
  if (!version)
    throw new DomainError(409, 'no_version', `Run ${workflowId} has no ${opts.version} version to retry on.`, { params: { version: opts.version } });

  const state = await readFailedState(orm, client, { id: Number(run.id), workflowId, triggerType: trigger.type, triggerPayload: trigger.payload });
  if (!state) throw new DomainError(409, 'no_failed_step', `Run ${workflowId} has no failed step to retry from.`);
  if (!version.plan.nodes[state.failedNodeId]) {
    throw new DomainError(409, 'node_missing', `Node ${state.failedNodeId} is not in version ${version.number}.`, {
      field: 'version',
      params: { node: state.failedNodeId, version: version.number },
    });
  }

  // Backslash is LIKE's escape character.
  const previous = await db(em)
    .selectFrom('workflow_run')
    .select('workflow_id')
    .where('workflow_id', 'like', `${workflowId.replace(/[\\%_]/g, '\\$&')}-retry-%`)
    .execute();
  const pattern = new RegExp(`^${escapeRegex(workflowId)}-retry-\\d+$`);
  const n = previous.filter((r) => pattern.test(r.workflow_id)).length + 1;
  const newId = `${workflowId}-retry-${n}`;

  const context: RunContext = { ...state.context, trigger: state.context.trigger ?? trigger, nodes: { ...state.context.nodes } };
  delete context.nodes[state.failedNodeId];
  const input: InterpreterInput = {
    plan: version.plan,
    trigger,
    resume: { nodeId: state.failedNodeId, context, steps: resumeSteps(version.plan, state.statuses, state.failedNodeId), compensations: [] },
  };
  try {
    await client.workflow.start('interpreter', { taskQueue, workflowId: newId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError)
      throw new DomainError(409, 'retry_exists', `A retry ${newId} was already started.`, { params: { workflowId: newId } });
    throw new DomainError(503, 'temporal_unavailable', `Temporal refused the retry: ${(e as Error).message}`);
  }
  await orm.em.fork().transactional(async (tx) => {
    const runId = await ensureRun(tx, newId, {
      triggerType: trigger.type,
      triggerPayload: trigger.payload,
      definitionId: run.definition_id == null ? null : Number(run.definition_id),
      versionId: version.id,
    });
    audit(tx, actor, {
      action: 'workflow.run_retried',
      entityType: 'WorkflowRun',
      entityId: Number(run.id),
      after: {
        workflowId: newId,
        runId,
        from: workflowId,
        nodeId: state.failedNodeId,
        version: opts.version,
        versionNumber: version.number,
        source: state.source,
      },
    });
    publish(tx, 'workflows', 'run.updated', { workflowId: newId, runId, event: 'started', status: 'running', retryOf: workflowId });
  });
  return newId;
}
