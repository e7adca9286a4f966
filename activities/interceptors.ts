// Worker interceptor that records run history: every business-node activity (its input is a
// NodeActivityInput), ordinary or local, upserts its WorkflowRunStep as done or failed, with timing and
// short summaries, and announces `run.step` on the workflows topic for the live run view. A step that
// is still going after RUNNING_AFTER_MS is first recorded (and announced) as running; a quicker one is
// recorded once, when it ends, in one statement (row and announcement), which keeps the bookkeeping of
// the many short steps to one round trip each.
// Recording is best effort: a bookkeeping failure is logged and never fails the activity itself.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, ActivityExecuteInput, Next } from '@temporalio/worker';
import type { NodeActivityInput, NodeActivityResult } from '../workflows/graph.ts';
import { publishNow } from '../app/lib/outbox.server.ts';
import { ensureRun, parseActivityKey, runIdOf, stepCompensation, stepFinished, stepRecorded, stepStarted } from '../app/modules/workflows/runs.server.ts';

function isNodeActivityInput(v: unknown): v is NodeActivityInput {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.key === 'string' && typeof o.workflowId === 'string' && typeof o.nodeId === 'string';
}

type Log = Pick<Console, 'warn'>;

/** A step still going after this long is shown as running; a quicker one only as done (or failed). */
export const RUNNING_AFTER_MS = 250;

class StepRecorder implements ActivityInboundCallsInterceptor {
  private readonly orm: MikroORM;
  private readonly ctx: Context;
  private readonly log: Log;
  constructor(orm: MikroORM, ctx: Context, log: Log) {
    this.orm = orm;
    this.ctx = ctx;
    this.log = log;
  }

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const arg = input.args[0];
    const type = this.ctx.info.activityType;
    // The interpreter's own activities (run events, tasks, plans) are recorded by workflow.runEvent.
    if (!isNodeActivityInput(arg) || type.startsWith('workflow.')) return next(input);
    const { visit, undo } = parseActivityKey(arg.key, arg.workflowId);
    const attempt = this.ctx.info.attempt;
    const t0 = performance.now();
    let runId: number | null = null;
    /** Finds (or creates) the run row and records the step as started (or its undo as begun); announces it when it is still going. */
    const recordStart = async (em: EntityManager, going: boolean) => {
      runId =
        (await runIdOf(em, arg.workflowId)) ??
        (await ensureRun(em, arg.workflowId, { triggerType: arg.context?.trigger?.type ?? 'manual', triggerPayload: arg.context?.trigger?.payload ?? {} }));
      if (undo) await stepCompensation(em, runId, arg.nodeId, { phase: 'started' });
      else {
        await stepStarted(em, runId, arg.nodeId, { visit, attempt, input: { activity: type, attempt, config: arg.config }, agoMs: performance.now() - t0 });
        if (going) await publishNow(em, 'workflows', 'run.step', { workflowId: arg.workflowId, nodeId: arg.nodeId, status: 'running', attempt });
      }
    };
    let early: Promise<boolean> | null = null;
    const timer = setTimeout(() => {
      early = this.record((em) => recordStart(em, true));
    }, RUNNING_AFTER_MS);
    /**
     * Records how the step ended, and its start too unless that is recorded already: a quick step (not
     * an undo) in one statement (unless its run has no row yet), anything else in one transaction.
     */
    const finish = async (ended: { status: 'done' | 'failed'; output?: unknown; error?: string; event: Record<string, unknown> }) => {
      clearTimeout(timer);
      const startRecorded = early !== null && (await early);
      if (!startRecorded && !undo) {
        const input = { activity: type, attempt, config: arg.config };
        const recorded = await this.attempt((em) =>
          stepRecorded(em, arg.workflowId, arg.nodeId, { visit, attempt, input, agoMs: performance.now() - t0, ...ended }),
        );
        if (recorded !== false) return;
      }
      await this.record(async (em) => {
        if (!startRecorded) await recordStart(em, false);
        if (undo) await stepCompensation(em, runId!, arg.nodeId, ended.status === 'done' ? { phase: 'done' } : { phase: 'failed', error: ended.error });
        else await stepFinished(em, runId!, arg.nodeId, { status: ended.status, output: ended.output, error: ended.error });
        await publishNow(em, 'workflows', 'run.step', ended.event);
      });
    };
    try {
      const result = (await next(input)) as NodeActivityResult | undefined;
      await finish({
        status: 'done',
        output: { handle: result?.handle ?? 'ok', output: result?.output ?? null },
        event: { workflowId: arg.workflowId, nodeId: arg.nodeId, status: undo ? 'compensated' : 'done' },
      });
      return result;
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
      await finish({ status: 'failed', error: message, event: { workflowId: arg.workflowId, nodeId: arg.nodeId, status: 'failed', attempt, error: message } });
      throw e;
    }
  }

  /** Runs fn's one statement (atomic on its own, so no transaction); null when it failed (logged, never thrown). */
  private async attempt<T>(fn: (em: EntityManager) => Promise<T>): Promise<T | null> {
    try {
      return await fn(this.orm.em.fork());
    } catch (e) {
      this.log.warn(`[run-history] could not record a step: ${(e as Error).message}`);
      return null;
    }
  }

  /** Runs fn in a transaction of its own; false when it failed (logged, never thrown). */
  private async record(fn: (em: EntityManager) => Promise<void>): Promise<boolean> {
    try {
      await this.orm.em.fork().transactional(fn);
      return true;
    } catch (e) {
      this.log.warn(`[run-history] could not record a step: ${(e as Error).message}`);
      return false;
    }
  }
}

/** `interceptors: { activity: [recordRunSteps({ orm })] }` in Worker.create. */
export function recordRunSteps({ orm, log = console }: { orm: MikroORM; log?: Log }): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new StepRecorder(orm, ctx, log) });
}
