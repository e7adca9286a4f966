// The run reconciler (runs in the worker). A run ended from outside its flow — terminated or cancelled
// in Temporal's Web UI or CLI, or timed out — never runs its own code again, so nothing records the
// end: its row would stay `running`. At worker start and then every RUN_RECONCILE_MS, the runs our
// database thinks are running, and that have not changed for that long, are looked up in Temporal
// (a visibility query per 100 of them); those that have closed get their status, end time, audit
// event and `run.updated` event as any other run end does. Their steps that were still running or
// waiting end with them (cancelled, or terminated), in the same transaction, so that the run view's
// canvas and step list, which follow `run.updated` live, stop showing them as live.
import { syncSchedules } from './schedules.server.ts';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { Client, WorkflowExecutionInfo, WorkflowExecutionStatusName } from '@temporalio/client';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import type { RunStatus, RunStepStatus } from '../../../entities/workflows.ts';
import { closeOpenSteps, updateRun } from './runs.server.ts';

const RECONCILER: Actor = { type: 'system', label: 'run reconciler' };
const CHUNK = 100;
const LIST_TIMEOUT_MS = 30_000;

type ClosedStep = Extract<RunStepStatus, 'cancelled' | 'terminated'>;

/**
 * How a close in Temporal reads in our run list, and what becomes of the steps still running or
 * waiting then (a run that completed in Temporal has none left to close).
 */
const CLOSED_AS: Partial<Record<WorkflowExecutionStatusName, { status: RunStatus; error: string | null; steps: ClosedStep | null }>> = {
  TERMINATED: { status: 'terminated', error: 'Terminated in Temporal', steps: 'terminated' },
  CANCELLED: { status: 'cancelled', error: 'Cancelled in Temporal', steps: 'cancelled' },
  TIMED_OUT: { status: 'failed', error: 'Timed out in Temporal', steps: 'terminated' },
  FAILED: { status: 'failed', error: 'Failed in Temporal', steps: 'terminated' },
  COMPLETED: { status: 'completed', error: null, steps: null },
};

export interface ReconcileLog {
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
}

/**
 * One look at the running rows not updated for `staleMs`: records the ones Temporal has closed (a
 * continued-as-new run is still going). Returns what it changed.
 */
export async function reconcileRuns(
  orm: MikroORM,
  client: Client,
  opts: { staleMs: number },
): Promise<{ workflowId: string; status: RunStatus; temporal: WorkflowExecutionStatusName }[]> {
  const rows = await db(orm.em.fork())
    .selectFrom('workflow_run')
    .select('workflow_id')
    .where('status', '=', 'running')
    .where('updated_at', '<', sql<Date>`now() - ${opts.staleMs} * interval '1 millisecond'`)
    .orderBy('id')
    .execute();
  const changed: Awaited<ReturnType<typeof reconcileRuns>> = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const ids = rows.slice(i, i + CHUNK).map((r) => `'${r.workflow_id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
    const query = `WorkflowId IN (${ids.join(', ')}) AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'`;
    const closed = await client.withDeadline(Date.now() + LIST_TIMEOUT_MS, async () => {
      const found: WorkflowExecutionInfo[] = [];
      for await (const w of client.workflow.list({ query })) found.push(w);
      return found;
    });
    for (const w of closed) {
      const as = CLOSED_AS[w.status.name];
      if (!as) continue;
      const done = await orm.em.fork().transactional(async (em) => {
        const run = await db(em).selectFrom('workflow_run').select(['id', 'status']).where('workflow_id', '=', w.workflowId).forUpdate().executeTakeFirst();
        if (!run || run.status !== 'running') return false;
        const runId = Number(run.id);
        await updateRun(em, runId, w.workflowId, { status: as.status, finished: true, error: as.error });
        const steps = as.steps
          ? (await closeOpenSteps(em, runId, { status: as.steps, error: as.error ?? as.status })).map((s) => ({ ...s, status: as.steps }))
          : [];
        audit(em, RECONCILER, {
          action: 'workflow.run_closed',
          entityType: 'WorkflowRun',
          entityId: runId,
          before: { status: 'running' },
          after: { status: as.status, temporalStatus: w.status.name, closedAt: w.closeTime?.toISOString() ?? null, steps },
        });
        publish(em, 'workflows', 'run.updated', {
          workflowId: w.workflowId,
          runId,
          event: 'finished',
          status: as.status,
          waitingFor: [],
          steps: steps.map((s) => ({ nodeId: s.nodeId, status: s.status })),
        });
        return true;
      });
      if (done) changed.push({ workflowId: w.workflowId, status: as.status, temporal: w.status.name });
    }
  }
  return changed;
}

/** Reconciles now and every `intervalMs` (runs unchanged for that long); a failed look is logged and tried next time. */
export function startRunReconciler(opts: { orm: MikroORM; temporal: () => Promise<Client>; intervalMs: number; log: ReconcileLog; taskQueue?: string }): {
  stop(): Promise<void>;
} {
  let running: Promise<void> | null = null;
  let lastWarn = 0;
  const tick = () => {
    running ??= (async () => {
      try {
        const client = await opts.temporal();
        const changed = await reconcileRuns(opts.orm, client, { staleMs: opts.intervalMs });
        for (const c of changed) opts.log.info(`run ${c.workflowId} was ${c.temporal.toLowerCase()} in Temporal; recorded as ${c.status}`);
        // Schedule bindings changed while Temporal was away reach their schedules here.
        if (opts.taskQueue) {
          const s = await syncSchedules(opts.orm, client, opts.taskQueue);
          if (s.created + s.deleted) opts.log.info(`schedules: ${s.created} created, ${s.deleted} deleted`);
        }
      } catch (e) {
        if (Date.now() - lastWarn > 10 * opts.intervalMs) {
          lastWarn = Date.now();
          opts.log.warn(`could not reconcile runs with Temporal (${(e as Error).message}); trying again`);
        }
      }
    })().finally(() => {
      running = null;
    });
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
