// The interpreter's own activities: run bookkeeping (local), human tasks, and sub-flow plans.
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import type { NodeActivityInput, NodeActivityResult, Plan, RunContext } from '../workflows/graph.ts';
import type { RunState } from '../workflows/interpreter.ts';
import { publishNow } from '../app/lib/outbox.server.ts';
import { ensureRun, mergeStateSteps, updateRun, type StateStep } from '../app/modules/workflows/runs.server.ts';
import { closeTask, openTask } from '../app/modules/workflows/tasks.server.ts';
import { latestVersion } from '../app/modules/workflows/service.server.ts';

export interface RunEvent {
  workflowId: string;
  event: 'started' | 'waiting' | 'finished';
  planHash: string;
  trigger: RunContext['trigger'];
  state: RunState;
}

export function workflowActivities({ orm }: { orm: MikroORM }) {
  return {
    /**
     * Records the run and its steps from the interpreter's state (at start, at each wait, at the end),
     * and announces `run.updated` on the workflows topic.
     */
    async 'workflow.runEvent'(e: RunEvent): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const runId = await ensureRun(em, e.workflowId, { triggerType: e.trigger.type, triggerPayload: e.trigger.payload, planHash: e.planHash });
        const steps: StateStep[] = Object.entries(e.state.steps).map(([nodeId, s]) => ({
          nodeId,
          status: s.status,
          visits: s.visits,
          startedAt: s.startedAt,
          endedAt: s.endedAt,
          error: s.error,
          handle: s.handle,
          output: e.state.context.nodes[nodeId],
        }));
        await mergeStateSteps(em, runId, steps);
        const finished = e.event === 'finished';
        await updateRun(em, runId, e.workflowId, { status: finished ? e.state.status : 'running', finished, error: e.state.error ?? null });
        await publishNow(em, 'workflows', 'run.updated', {
          workflowId: e.workflowId,
          runId,
          event: e.event,
          status: finished ? e.state.status : 'running',
          waitingFor: e.state.waitingFor.map((w) => ({ nodeId: w.nodeId, kind: w.kind, name: w.name ?? null })),
        });
      });
    },

    /** Opens the console task a human node waits on (idempotent by the activity key). */
    async 'workflow.openTask'(input: NodeActivityInput): Promise<NodeActivityResult> {
      const r = await orm.em.fork().transactional((em) => openTask(em, input));
      return { output: { taskId: r.taskId } };
    },

    /** Closes it with the outcome the run saw (approved, rejected, or timeout). */
    async 'workflow.closeTask'(input: NodeActivityInput): Promise<NodeActivityResult> {
      const r = await orm.em.fork().transactional((em) => closeTask(em, input));
      return { output: { closed: r.closed } };
    },

    /** A sub-flow's plan: the latest published version of the definition with that key. */
    async 'workflow.resolvePlan'(i: { definition: string }): Promise<Plan> {
      const v = await latestVersion(orm.em.fork(), i.definition);
      if (!v) throw ApplicationFailure.nonRetryable(`No published version of workflow "${i.definition}"`, 'DefinitionNotPublished');
      return v.plan;
    },
  };
}
