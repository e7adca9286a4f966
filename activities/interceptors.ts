// Worker interceptor that records run history: every business-node activity (its input is a
// NodeActivityInput) upserts its WorkflowRunStep as running, then done or failed, with timing and
// short summaries, and announces `run.step` on the workflows topic for the live run view.
// Recording is best effort: a bookkeeping failure is logged and never fails the activity itself.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, ActivityExecuteInput, Next } from '@temporalio/worker';
import type { NodeActivityInput, NodeActivityResult } from '../workflows/graph.ts';
import { publish } from '../app/lib/outbox.server.ts';
import { ensureRun, parseActivityKey, runIdOf, stepCompensation, stepFinished, stepStarted } from '../app/modules/workflows/runs.server.ts';

export function isNodeActivityInput(v: unknown): v is NodeActivityInput {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.key === 'string' && typeof o.workflowId === 'string' && typeof o.nodeId === 'string';
}

type Log = Pick<Console, 'warn'>;

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
    let runId: number | null = null;
    await this.record(async (em) => {
      runId = (await runIdOf(em, arg.workflowId))
        ?? await ensureRun(em, arg.workflowId, { triggerType: arg.context?.trigger?.type ?? 'manual', triggerPayload: arg.context?.trigger?.payload ?? {} });
      if (undo) await stepCompensation(em, runId, arg.nodeId, { phase: 'started' });
      else {
        await stepStarted(em, runId, arg.nodeId, { visit, attempt, input: { activity: type, attempt, config: arg.config } });
        publish(em, 'workflows', 'run.step', { workflowId: arg.workflowId, nodeId: arg.nodeId, status: 'running', attempt });
      }
    });
    try {
      const result = (await next(input)) as NodeActivityResult | undefined;
      if (runId != null) {
        const id = runId;
        await this.record(async (em) => {
          if (undo) await stepCompensation(em, id, arg.nodeId, { phase: 'done' });
          else await stepFinished(em, id, arg.nodeId, { status: 'done', output: { handle: result?.handle ?? 'ok', output: result?.output ?? null } });
          publish(em, 'workflows', 'run.step', { workflowId: arg.workflowId, nodeId: arg.nodeId, status: undo ? 'compensated' : 'done' });
        });
      }
      return result;
    } catch (e) {
      if (runId != null) {
        const id = runId;
        const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
        await this.record(async (em) => {
          if (undo) await stepCompensation(em, id, arg.nodeId, { phase: 'failed', error: message });
          else await stepFinished(em, id, arg.nodeId, { status: 'failed', error: message });
          publish(em, 'workflows', 'run.step', { workflowId: arg.workflowId, nodeId: arg.nodeId, status: 'failed', attempt, error: message });
        });
      }
      throw e;
    }
  }

  private async record(fn: (em: ReturnType<MikroORM['em']['fork']>) => Promise<void>) {
    try {
      await this.orm.em.fork().transactional(fn);
    } catch (e) {
      this.log.warn(`[run-history] could not record a step: ${(e as Error).message}`);
    }
  }
}

/** `interceptors: { activity: [recordRunSteps({ orm })] }` in Worker.create. */
export function recordRunSteps({ orm, log = console }: { orm: MikroORM; log?: Log }): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new StepRecorder(orm, ctx, log) });
}
