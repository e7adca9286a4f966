// The Standard order's activity steps without waits, written by hand: validate → reserve → authorise →
// capture → route → email, stopping at the first step that does not answer `ok`. No graph, no plan, no
// expressions. It exists as the baseline of bench/workflows.ts, so it calls the same activities with
// the same inputs, keys (workflow id : node id : 1), timeouts and retries as the interpreter does for
// the bench's line graph, as local activities where the node types are local (plugins/), and records
// the run the same way (workflow.runEvent at start and end).
import { proxyActivities, proxyLocalActivities, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { NodeActivityInput, NodeActivityResult, RunContext } from '../../workflows/graph.ts';
import type { RunState, StepState } from '../../workflows/interpreter.ts';

/** The steps in order: node id (also the key's middle part), activity, config, and whether it runs as a local activity. */
export const HAND_WRITTEN_STEPS = [
  ['validate', 'orders.validate', {}, true],
  ['reserve', 'orders.reserve', {}, true],
  ['authorise', 'payments.authorise', {}, false],
  ['capture', 'payments.capture', {}, false],
  ['route', 'orders.route', {}, true],
  ['email', 'notifications.email', { template: 'order_confirmation' }, true],
] as const satisfies readonly (readonly [string, string, Record<string, unknown>, boolean])[];

type Step = (i: NodeActivityInput) => Promise<NodeActivityResult>;
const retry: RetryPolicy = { maximumAttempts: 5, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };
const acts = proxyActivities<Record<string, Step>>({ startToCloseTimeout: 30_000, retry });
const localActs = proxyLocalActivities<Record<string, Step>>({ startToCloseTimeout: 30_000, retry });
const bookkeeping = proxyLocalActivities<{
  'workflow.runEvent': (e: {
    workflowId: string;
    event: 'started' | 'finished';
    planHash: string;
    trigger: RunContext['trigger'];
    state: RunState;
  }) => Promise<void>;
}>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5 } });

export async function handWrittenOrder(input: { trigger: RunContext['trigger'] }): Promise<RunState> {
  const { workflowId } = workflowInfo();
  const steps: Record<string, StepState> = Object.fromEntries(HAND_WRITTEN_STEPS.map(([id]) => [id, { status: 'waiting', visits: 0 }]));
  const state: RunState = { status: 'running', steps, context: { trigger: input.trigger, nodes: {} }, waitingFor: [] };
  const event = (e: 'started' | 'finished') =>
    bookkeeping['workflow.runEvent']({ workflowId, event: e, planHash: 'hand-written', trigger: input.trigger, state });
  await event('started');
  for (const [nodeId, activity, config, local] of HAND_WRITTEN_STEPS) {
    const step = steps[nodeId];
    step.visits = 1;
    step.status = 'running';
    step.startedAt = Date.now();
    const result = await (local ? localActs : acts)[activity]({ key: `${workflowId}:${nodeId}:1`, workflowId, nodeId, config, context: state.context });
    state.context.nodes[nodeId] = result.output ?? {};
    step.status = 'done';
    step.endedAt = Date.now();
    step.handle = result.handle ?? 'ok';
    if (step.handle !== 'ok') break;
  }
  state.status = 'completed';
  await event('finished');
  return state;
}
