// One workflow type runs any published graph. The compiled plan is part of the input, so editing a
// flow never changes a run already going. Deterministic: no I/O here, only activities and timers.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import jsonata from 'jsonata';
import type { NodeActivityInput, NodeActivityResult, Plan, PlanNode, RunContext } from './graph.ts';
import { Walk, type LoopExits } from './walk.ts';
import { parseDuration } from './duration.ts';

/** `cancelled`: the step was running or waiting when the run was cancelled (cancellation-saga). */
export type StepStatus = 'waiting' | 'running' | 'done' | 'failed' | 'compensated' | 'skipped' | 'cancelled';

export interface StepState {
  status: StepStatus;
  visits: number;
  handle?: string;
  startedAt?: number;
  endedAt?: number;
  error?: string;
}

export interface RunState {
  status: 'running' | 'completed' | 'failed' | 'compensated' | 'cancelled';
  steps: Record<string, StepState>;
  context: RunContext;
  waitingFor: { nodeId: string; kind: 'signal' | 'human' | 'delay'; name?: string; until?: number }[];
  error?: string;
}

export interface InterpreterInput {
  plan: Plan;
  trigger: RunContext['trigger'];
  /** Continue as new once the history has more events than this (default HISTORY_LIMIT; tests pass a small one). */
  historyLimit?: number;
  /** Set by continue-as-new (and by a retry from a failed step): where to pick up. */
  resume?: Resume;
}

export interface Resume {
  nodeId: string;
  context: RunContext;
  steps: Record<string, StepState>;
  compensations: Compensation[];
  /** Signals and decisions received but not taken yet, and arrivals at joins still waiting for other branches. */
  received?: Record<string, Record<string, unknown>[]>;
  decisions?: Record<string, Decision>;
  arrivals?: Record<string, { live: number; dead: number }>;
  /** Per loop (by its head): the dead tokens held back at its exits, and the exits taken or already told dead. */
  loops?: Record<string, LoopExits>;
}

export type { LoopExits } from './walk.ts';

type Decision = { decision: 'approved' | 'rejected'; comment?: string; by?: string };

export interface Compensation {
  nodeId: string;
  activity: string;
  input: NodeActivityInput;
}

export const signals = {
  payment_confirmed: defineSignal<[Record<string, unknown>?]>('payment_confirmed'),
  packed: defineSignal<[Record<string, unknown>?]>('packed'),
  delivered: defineSignal<[Record<string, unknown>?]>('delivered'),
  goods_received: defineSignal<[Record<string, unknown>?]>('goods_received'),
  custom: defineSignal<[{ name: string; payload?: Record<string, unknown> }]>('custom'),
  cancel: defineSignal<[{ reason?: string }?]>('cancel'),
  decision: defineSignal<[{ nodeId: string; decision: 'approved' | 'rejected'; comment?: string; by?: string }]>('decision'),
};
const stateQuery = defineQuery<RunState>('state');

/** Bookkeeping the worker records (run row, waiting steps, final state); local, so cheap. */
const bookkeeping = proxyLocalActivities<{
  'workflow.runEvent': (e: {
    workflowId: string;
    event: 'started' | 'waiting' | 'finished';
    planHash: string;
    trigger: RunContext['trigger'];
    state: RunState;
  }) => Promise<void>;
}>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5 } });

const HISTORY_LIMIT = 8_000;

/** The run's error when it was cancelled from outside its flow (as the run reconciler words it). */
const CANCELLED_IN_TEMPORAL = 'Cancelled in Temporal';

class RunCancelled extends Error {}

export async function interpreter(input: InterpreterInput): Promise<RunState> {
  const { plan } = input;
  const info = workflowInfo();
  const state: RunState = {
    status: 'running',
    steps: input.resume?.steps ?? Object.fromEntries(Object.keys(plan.nodes).map((id) => [id, { status: 'waiting' as StepStatus, visits: 0 }])),
    context: input.resume?.context ?? { trigger: input.trigger, nodes: {} },
    waitingFor: [],
  };
  const compensations: Compensation[] = input.resume?.compensations ?? [];
  const received: Record<string, Record<string, unknown>[]> = input.resume?.received ?? {};
  const decisions: Record<string, Decision> = input.resume?.decisions ?? {};
  let cancelled: { reason?: string } | null = null;

  const buffer = (name: string) => (payload?: Record<string, unknown>) => {
    (received[name] ??= []).push(payload ?? {});
  };
  setHandler(signals.payment_confirmed, buffer('payment_confirmed'));
  setHandler(signals.packed, buffer('packed'));
  setHandler(signals.delivered, buffer('delivered'));
  setHandler(signals.goods_received, buffer('goods_received'));
  setHandler(signals.custom, ({ name, payload }) => buffer(`custom:${name}`)(payload));
  setHandler(signals.cancel, (c) => {
    cancelled ??= c ?? {};
  });
  setHandler(signals.decision, (d) => {
    decisions[d.nodeId] ??= d;
  });
  setHandler(stateQuery, () => state);

  // Changes made after runs had begun are patched, so that a run replays the way it began. Each
  // version keeps what the ones before it brought, and a new run records only the latest marker
  // (every marker costs the history two events and the server a search-attribute update):
  //   sla-timers        SLA alerts from timers in the run
  //   local-activities  quick steps on our own database as local activities
  //   loop-exits        dead tokens leave a loop only once it has finished (see arrive below)
  //   cancellation-saga a cancellation requested from outside (Temporal's Web UI or CLI, a client's
  //                     cancel()) ends the run as the cancel signal does: steps in flight finish first,
  //                     the saga and the run's end are recorded, and the run closes as cancelled
  // Read before the first local activity: after a crash its marker and what follows can land in
  // different workflow tasks, and a patch read after it would then replay as absent.
  const cancellationSaga = patched('cancellation-saga');
  const loopExits = cancellationSaga || patched('loop-exits');
  const localActivities = loopExits || patched('local-activities');
  // SLA timers, armed again after a continue-as-new (not in a retry, which is a run of its own).
  const slaTimers = (!input.resume || !!info.continuedFromExecutionRunId) && (localActivities || patched('sla-timers'));
  /** The run's root scope: cancelled when Temporal is asked to cancel the run. */
  const root = CancellationScope.current();
  const cancelledInTemporal = () => cancellationSaga && root.consideredCancelled;
  /** Steps in flight when the run is cancelled finish first (they are then undone or never happened); the SDK's default reports them cancelled at once. */
  const onCancel = cancellationSaga ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : {};

  const event = (e: 'started' | 'waiting' | 'finished') =>
    bookkeeping['workflow.runEvent']({ workflowId: info.workflowId, event: e, planHash: plan.hash, trigger: input.trigger, state });
  if (!input.resume) await event('started');
  if (slaTimers) watchSla();

  function watchSla() {
    const trigger = plan.nodes[plan.trigger]?.config ?? {};
    const alerts = proxyActivities<Record<string, (i: NodeActivityInput) => Promise<NodeActivityResult>>>({ startToCloseTimeout: '30 seconds' });
    const reached = (nodeId: unknown) => typeof nodeId === 'string' && (state.steps[nodeId]?.visits ?? 0) > 0;
    const raise = (kind: string, message: string) =>
      alerts['notifications.alert']({
        key: `${info.workflowId}:sla:${kind}`,
        workflowId: info.workflowId,
        nodeId: `sla:${kind}`,
        config: { message, severity: 'warning', kind },
        context: state.context,
      });
    const watch = async (ms: number, nodeId: unknown, kind: string, message: string) => {
      if (ms <= 0 || reached(nodeId)) return;
      try {
        await condition(() => reached(nodeId) || state.status !== 'running', ms);
        if (!reached(nodeId) && state.status === 'running') await raise(kind, message);
      } catch (e) {
        // A cancelled run's timers end with it (unhandled, the rejection would fail every workflow task).
        if (!isCancellation(e)) throw e;
      }
    };
    const subject = String(input.trigger.payload.number ?? info.workflowId);
    if (trigger.slaNode && trigger.slaAfter) {
      // From the start of the chain of runs, so that a run continued as new keeps its deadline.
      const due = input.resume
        ? Math.max(1, durationMs(String(trigger.slaAfter)) - (Date.now() - info.startTime.getTime()))
        : durationMs(String(trigger.slaAfter));
      void watch(due, trigger.slaNode, 'unprocessed', `${subject} is not processed after ${trigger.slaAfter}`);
    }
    const promisedBy = input.trigger.payload.promisedBy;
    if (trigger.shipNode && typeof promisedBy === 'string' && !Number.isNaN(Date.parse(promisedBy))) {
      const due = Date.parse(promisedBy) - durationMs(String(trigger.shipMargin ?? '1d')) - Date.now();
      void watch(Math.max(1, due), trigger.shipNode, 'unshipped', `${subject} is not shipped and is promised by ${promisedBy}`);
    }
  }

  const evaluate = async (expression: string): Promise<unknown> => {
    const data = { ...state.context.trigger.payload, trigger: state.context.trigger, nodes: state.context.nodes };
    return jsonata(expression).evaluate(data);
  };
  const resolveConfig = async (config: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) out[k] = typeof v === 'string' && v.startsWith('=') ? await evaluate(v.slice(1)) : v;
    return out;
  };
  const activity = (node: PlanNode, name: string) => {
    const proxy = node.local && localActivities ? proxyLocalActivities : proxyActivities;
    return proxy<Record<string, (i: NodeActivityInput) => Promise<NodeActivityResult>>>({
      startToCloseTimeout: node.timeoutMs || 30_000,
      retry: { maximumAttempts: node.retries || 5, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
      ...onCancel,
    })[name];
  };

  /** Waits until `done()` or the timeout; a cancel interrupts any wait. Returns false on timeout. */
  const waitFor = async (nodeId: string, kind: 'signal' | 'human' | 'delay', done: () => boolean, timeoutMs?: number, name?: string) => {
    state.waitingFor.push({ nodeId, kind, name, until: timeoutMs ? Date.now() + timeoutMs : undefined });
    await event('waiting');
    const ok = timeoutMs ? await condition(() => done() || !!cancelled, timeoutMs) : (await condition(() => done() || !!cancelled), true);
    state.waitingFor = state.waitingFor.filter((w) => w.nodeId !== nodeId);
    if (cancelled) throw new RunCancelled(cancelled.reason ?? 'cancelled');
    return ok && done();
  };

  /** The handles a node takes when it runs (its output goes into the context). */
  async function execute(node: PlanNode, visit: number): Promise<string[]> {
    const key = `${info.workflowId}:${node.id}:${visit}`;
    if (node.kind === 'activity') {
      const config = await resolveConfig(node.config);
      const payload: NodeActivityInput = { key, workflowId: info.workflowId, nodeId: node.id, config, context: state.context };
      const result = await activity(node, node.activity!)(payload);
      state.context.nodes[node.id] = result.output ?? {};
      if (node.compensation)
        compensations.push({ nodeId: node.id, activity: node.compensation, input: { ...payload, key: `${key}:undo`, context: state.context } });
      return [result.handle ?? 'ok'];
    }
    switch (node.primitive) {
      case 'trigger':
        return ['out'];
      case 'condition':
        return [(await evaluate(String(node.config.expression))) ? 'true' : 'false'];
      case 'switch': {
        const value = await evaluate(String(node.config.expression));
        const match = (node.config.cases as { value: string; handle: string }[]).find((c) => String(value) === c.value);
        return [match?.handle ?? 'default'];
      }
      case 'split':
        return node.config.branches as string[];
      case 'join':
        return ['out'];
      case 'delay': {
        const ms = durationMs(String(node.config.duration));
        await waitFor(node.id, 'delay', () => false, ms);
        return ['out'];
      }
      case 'signal': {
        const name = node.config.signal === 'custom' ? `custom:${node.config.name}` : String(node.config.signal);
        const got = await waitFor(
          node.id,
          'signal',
          () => (received[name]?.length ?? 0) > 0,
          node.config.timeout ? durationMs(String(node.config.timeout)) : undefined,
          name,
        );
        if (!got) return ['timeout'];
        state.context.nodes[node.id] = received[name]!.shift()!;
        return ['received'];
      }
      case 'human': {
        const tasks = proxyActivities<Record<string, (i: NodeActivityInput) => Promise<NodeActivityResult>>>({
          startToCloseTimeout: '30 seconds',
          ...onCancel,
        });
        await tasks['workflow.openTask']({ key, workflowId: info.workflowId, nodeId: node.id, config: node.config, context: state.context });
        const decided = await waitFor(node.id, 'human', () => !!decisions[node.id], durationMs(String(node.config.timeout ?? '2d')));
        const decision = decided ? decisions[node.id] : null;
        await tasks['workflow.closeTask']({
          key,
          workflowId: info.workflowId,
          nodeId: node.id,
          config: { decision: decision?.decision ?? 'timeout', comment: decision?.comment, by: decision?.by },
          context: state.context,
        });
        delete decisions[node.id];
        state.context.nodes[node.id] = { decision: decision?.decision ?? 'timeout', comment: decision?.comment ?? null, by: decision?.by ?? null };
        return [decision?.decision ?? 'timeout'];
      }
      case 'subflow': {
        const resolve = proxyActivities<{ 'workflow.resolvePlan': (i: { definition: string }) => Promise<Plan> }>({ startToCloseTimeout: '10 seconds' });
        try {
          const child = await resolve['workflow.resolvePlan']({ definition: String(node.config.definition) });
          const result = await executeChild(interpreter, {
            workflowId: `${info.workflowId}/${node.id}/${visit}`,
            args: [{ plan: child, trigger: state.context.trigger }],
          });
          state.context.nodes[node.id] = { status: result.status };
          return [result.status === 'completed' ? 'ok' : 'error'];
        } catch (e) {
          // The run itself cancelled (which cancels the sub-flow too) is no error of the sub-flow's.
          if (cancelledInTemporal() && isCancellation(e)) throw e;
          state.context.nodes[node.id] = { error: (e as Error).message };
          return ['error'];
        }
      }
      case 'end': {
        const result = String(node.config.result ?? 'complete');
        if (result === 'fail') throw ApplicationFailure.nonRetryable(String(node.config.message ?? 'flow ended in failure'), 'FlowFailed');
        if (result === 'compensate') throw new CompensateRequested(String(node.config.message ?? 'compensation requested'));
        return [];
      }
      default:
        throw ApplicationFailure.nonRetryable(`unknown primitive ${node.primitive}`);
    }
  }

  // The tokens' moves (joins, dead paths, loop exits) are walk.ts's, which the simulation shares.
  const walk = new Walk(
    plan,
    loopExits,
    {
      run: (id) => run(id),
      skipped: (id) => {
        const step = state.steps[id];
        if (step.status === 'waiting') step.status = 'skipped';
      },
    },
    input.resume ? { nodeId: input.resume.nodeId, arrivals: input.resume.arrivals ?? {}, loops: input.resume.loops } : undefined,
  );
  const historyLimit = input.historyLimit ?? HISTORY_LIMIT;
  /** A resumed run first runs the node it stopped at, without continuing as new again. */
  let resuming = !!input.resume;
  async function run(id: string): Promise<void> {
    if (cancelled) throw new RunCancelled(cancelled.reason ?? 'cancelled');
    // A step that finished after the cancellation went no further than its own node.
    if (cancelledInTemporal()) throw new CancelledFailure(CANCELLED_IN_TEMPORAL);
    // A long or looping run starts afresh when its history grows, at a point where only this token is
    // moving (workflowInfo() is read afresh: it changes with every workflow task).
    const { historyLength, continueAsNewSuggested } = workflowInfo();
    if (!resuming && walk.moving === 1 && (historyLength > historyLimit || continueAsNewSuggested) && state.steps[id].visits > 0) {
      await continueAsNew<typeof interpreter>({
        plan,
        trigger: input.trigger,
        historyLimit: input.historyLimit,
        resume: { nodeId: id, context: state.context, steps: state.steps, compensations, received, decisions, ...walk.saved() },
      });
    }
    resuming = false;
    const node = plan.nodes[id];
    const step = state.steps[id];
    step.visits++;
    step.status = 'running';
    step.startedAt = Date.now();
    let handles: string[];
    try {
      handles = await execute(node, step.visits);
    } catch (e) {
      // The step the run was cancelled at (by the cancel signal or in Temporal) ends cancelled, not failed.
      const stopped = cancellationSaga && (e instanceof RunCancelled || (isCancellation(e) && root.consideredCancelled));
      step.status = stopped ? 'cancelled' : 'failed';
      step.endedAt = Date.now();
      step.error = stopped && !(e instanceof RunCancelled) ? CANCELLED_IN_TEMPORAL : e instanceof Error ? e.message : String(e);
      throw e;
    }
    step.status = 'done';
    step.endedAt = Date.now();
    step.handle = handles.join(',');
    await walk.leave(id, handles);
  }

  // With cancellation-saga, a cancellation requested while the run undoes its steps or records its end stops neither.
  const shielded = <T>(fn: () => Promise<T>) => (cancellationSaga ? CancellationScope.nonCancellable(fn) : fn());
  const finished = () => shielded(() => event('finished'));
  try {
    await run(input.resume?.nodeId ?? plan.trigger);
    state.status = 'completed';
  } catch (e) {
    if (e instanceof Error && e.name === 'ContinueAsNew') throw e;
    // Cancelled from outside its flow (cancellation-saga): undone and recorded as with the cancel signal.
    const outside = cancellationSaga && isCancellation(e) && root.consideredCancelled;
    const reason = outside ? CANCELLED_IN_TEMPORAL : e instanceof Error ? e.message : String(e);
    state.error = reason;
    if (outside) state.waitingFor = [];
    // Saga: undo what was done, newest first, each undo keyed so a retry never undoes twice.
    await shielded(async () => {
      for (const c of [...compensations].reverse()) {
        await proxyActivities<Record<string, (i: NodeActivityInput) => Promise<NodeActivityResult>>>({
          startToCloseTimeout: '1 minute',
          retry: { maximumAttempts: 10 },
        })[c.activity](c.input);
        state.steps[c.nodeId].status = 'compensated';
      }
    });
    state.status = e instanceof RunCancelled || outside ? 'cancelled' : compensations.length ? 'compensated' : 'failed';
    // Temporal shows the run cancelled, as it was asked to (the run's row already says so: the reconciler leaves it).
    if (outside) {
      await finished();
      throw e;
    }
    if (state.status === 'failed' && !(e instanceof CompensateRequested)) {
      await finished();
      throw e instanceof ApplicationFailure ? e : ApplicationFailure.nonRetryable(reason, 'FlowFailed');
    }
  }
  await finished();
  return state;
}

class CompensateRequested extends Error {}

/** "1h30m" → milliseconds (duration.ts); a run whose flow has a bad one fails for good. */
function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw ApplicationFailure.nonRetryable(`bad duration ${text}`);
  return ms;
}
