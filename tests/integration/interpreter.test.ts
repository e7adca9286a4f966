// The interpreter on the real Temporal dev server, with small recording activities standing in for
// the business steps (their own behaviour is tested elsewhere against the real database).
import path from 'node:path';
import { CancelledFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeActivityInput, Plan, PlanNode } from '../../workflows/graph.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

const taskQueue = `interp-${Date.now()}`;
const calls: { activity: string; key: string; nodeId: string; attempt: number; at: number; end?: number }[] = [];
const events: string[] = [];
/** The state each run recorded at its end (the `finished` run event), by workflow id. */
const finals = new Map<string, RunState>();
/** Plans of the sub-flows, by definition key. */
const subPlans = new Map<string, Plan>();
const counters = new Map<string, number>();
let worker: Worker, running: Promise<void>, client: Client, connection: Connection, bundle: WorkflowBundleWithSourceMap;

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
const activities = {
  'test.step': async (i: NodeActivityInput) => {
    const call = { activity: 'test.step', key: i.key, nodeId: i.nodeId, attempt: Context.current().info.attempt, at: Date.now() } as (typeof calls)[number];
    calls.push(call);
    if (i.config.failTimes && Context.current().info.attempt <= Number(i.config.failTimes)) throw new Error('flaky');
    if (i.config.sleep) await sleepMs(Number(i.config.sleep));
    call.end = Date.now();
    return { handle: (i.config.handle as string) ?? 'ok', output: { value: i.config.value ?? i.nodeId } };
  },
  'test.fail': async (i: NodeActivityInput) => {
    calls.push({ activity: 'test.fail', key: i.key, nodeId: i.nodeId, attempt: Context.current().info.attempt, at: Date.now() });
    throw ApplicationFailure.nonRetryable('card processor down');
  },
  'test.count': async (i: NodeActivityInput) => {
    calls.push({ activity: 'test.count', key: i.key, nodeId: i.nodeId, attempt: Context.current().info.attempt, at: Date.now() });
    counters.set(i.workflowId, (counters.get(i.workflowId) ?? 0) + 1);
    return { output: { n: counters.get(i.workflowId) } };
  },
  'test.undo': async (i: NodeActivityInput) => {
    calls.push({ activity: 'test.undo', key: i.key, nodeId: i.nodeId, attempt: Context.current().info.attempt, at: Date.now() });
    return {};
  },
  'notifications.alert': async (i: NodeActivityInput) => {
    calls.push({ activity: 'notifications.alert', key: i.key, nodeId: i.nodeId, attempt: Context.current().info.attempt, at: Date.now() });
    return { output: { message: i.config.message } };
  },
  'workflow.openTask': async (i: NodeActivityInput) => {
    events.push(`open:${i.nodeId}`, `open:${i.workflowId}:${i.nodeId}`);
    return {};
  },
  'workflow.closeTask': async (i: NodeActivityInput) => {
    events.push(`close:${i.nodeId}:${i.config.decision}`, `close:${i.workflowId}:${i.nodeId}`);
    return {};
  },
  'workflow.runEvent': async (e: { event: string; workflowId: string; state: RunState }) => {
    events.push(`${e.event}:${e.workflowId}`);
    if (e.event === 'finished') finals.set(e.workflowId, e.state);
  },
  'workflow.resolvePlan': async (i: { definition: string }) => subPlans.get(i.definition)!,
};

beforeAll(async () => {
  bundle = await bundleWorkflowCode({
    workflowsPath: path.resolve('workflows/index.ts'),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: console.error } as never,
  });
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address: testEnv.temporalAddress }),
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  running = worker.run();
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
}, 120_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
});

/** A plan from a compact description: [id, kind/primitive or activity, config, {handle: [targets]}]. */
type Spec = [string, string, Record<string, unknown>, Record<string, string[]>, string?];
function plan(specs: Spec[]): Plan {
  const nodes: Record<string, PlanNode> = {};
  for (const [id, what, config, next, compensation] of specs) {
    const control = ['trigger', 'condition', 'switch', 'split', 'join', 'delay', 'signal', 'human', 'subflow', 'end'].includes(what);
    nodes[id] = {
      id,
      type: control ? `control.${what}` : what,
      label: id,
      kind: control ? 'control' : 'activity',
      primitive: control ? (what as PlanNode['primitive']) : undefined,
      activity: control ? undefined : what,
      compensation,
      timeoutMs: 10_000,
      retries: 3,
      config,
      next,
      incoming: 0,
    };
  }
  for (const n of Object.values(nodes)) for (const t of Object.values(n.next).flat()) nodes[t].incoming++;
  return { hash: 'test', trigger: specs[0][0], nodes };
}
const start = (p: Plan, payload: Record<string, unknown> = {}, id = `run-${Math.random().toString(36).slice(2)}`) =>
  client.workflow.start('interpreter', { taskQueue, workflowId: id, args: [{ plan: p, trigger: { type: 'manual', payload } }] });
const run = async (p: Plan, payload: Record<string, unknown> = {}) => {
  const h = await start(p, payload);
  return { id: h.workflowId, state: (await h.result()) as RunState };
};
const callsOf = (id: string) => calls.filter((c) => c.key.startsWith(`${id}:`));

describe('interpreter', () => {
  it('takes one branch of a condition, skips the other, and runs the merge once', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['c'] }],
      ['c', 'condition', { expression: 'total > 100' }, { true: ['big'], false: ['small'] }],
      ['big', 'test.step', {}, { ok: ['merge'] }],
      ['small', 'test.step', {}, { ok: ['merge'] }],
      ['merge', 'test.step', {}, { ok: [] }],
    ]);
    const { id, state } = await run(p, { total: 250 });
    expect(state.status).toBe('completed');
    expect(callsOf(id).map((c) => c.nodeId)).toEqual(['big', 'merge']);
    expect(state.steps.small.status).toBe('skipped');
    expect(state.steps.merge).toMatchObject({ status: 'done', visits: 1 });
    expect(callsOf(id).map((c) => c.key)).toEqual([`${id}:big:1`, `${id}:merge:1`]);
  });

  it('routes a switch by value and falls back to default', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['s'] }],
      [
        's',
        'switch',
        {
          expression: 'method',
          cases: [
            { value: 'card', handle: 'card' },
            { value: 'cash', handle: 'cash' },
          ],
        },
        { card: ['a'], cash: ['b'], default: ['c'] },
      ],
      ['a', 'test.step', {}, {}],
      ['b', 'test.step', {}, {}],
      ['c', 'test.step', {}, {}],
    ]);
    expect(callsOf((await run(p, { method: 'cash' })).id).map((c) => c.nodeId)).toEqual(['b']);
    expect(callsOf((await run(p, { method: 'iou' })).id).map((c) => c.nodeId)).toEqual(['c']);
  });

  it('runs parallel branches concurrently and the join exactly once', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['split'] }],
      ['split', 'split', { branches: ['a', 'b', 'c'] }, { a: ['A'], b: ['B'], c: ['C'] }],
      ['A', 'test.step', { sleep: 300 }, { ok: ['join'] }],
      ['B', 'test.step', { sleep: 300 }, { ok: ['join'] }],
      ['C', 'condition', { expression: 'false' }, { true: ['C2'], false: [] }],
      ['C2', 'test.step', {}, { ok: ['join'] }],
      ['join', 'join', {}, { out: ['after'] }],
      ['after', 'test.step', {}, {}],
    ]);
    // C's false handle leads nowhere: the dead path through C2 still reaches the join.
    p.nodes.C.next.false = [];
    const { id, state } = await run(p);
    const byNode = Object.fromEntries(callsOf(id).map((c) => [c.nodeId, c]));
    expect(Object.keys(byNode).sort()).toEqual(['A', 'B', 'after']);
    expect(byNode.A.at).toBeLessThan(byNode.B.end!);
    expect(byNode.B.at).toBeLessThan(byNode.A.end!);
    expect(state.steps.join).toMatchObject({ status: 'done', visits: 1 });
    expect(state.steps.after.visits).toBe(1);
    expect(state.steps.C2.status).toBe('skipped');
  });

  it('keeps the activity key the same across retries', async () => {
    const { id } = await run(
      plan([
        ['t', 'trigger', {}, { out: ['x'] }],
        ['x', 'test.step', { failTimes: 2 }, {}],
      ]),
    );
    const x = callsOf(id);
    expect(x.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(x.map((c) => c.key))).toEqual(new Set([`${id}:x:1`]));
  });

  it('waits for a human decision: approve, reject, or time out', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['h'] }],
      ['h', 'human', { title: 'Approve refund', roles: ['ops_manager'], timeout: '2s' }, { approved: ['yes'], rejected: ['no'], timeout: ['late'] }],
      ['yes', 'test.step', {}, {}],
      ['no', 'test.step', {}, {}],
      ['late', 'test.step', {}, {}],
    ]);
    for (const decision of ['approved', 'rejected'] as const) {
      const h = await start(p);
      await waitFor(async () => (await h.query<RunState>('state')).waitingFor.some((w) => w.kind === 'human'));
      await h.signal('decision', { nodeId: 'h', decision, by: 'olivia@demo.test' });
      const state = (await h.result()) as RunState;
      expect(callsOf(h.workflowId).map((c) => c.nodeId)).toEqual([decision === 'approved' ? 'yes' : 'no']);
      expect(state.context.nodes.h).toMatchObject({ decision, by: 'olivia@demo.test' });
      expect(events).toContain(`close:h:${decision}`);
    }
    const late = await run(p);
    expect(callsOf(late.id).map((c) => c.nodeId)).toEqual(['late']);
  });

  it('takes a signal that arrived before the flow reached its wait', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['slow'] }],
      ['slow', 'test.step', { sleep: 500 }, { ok: ['w'] }],
      ['w', 'signal', { signal: 'payment_confirmed', timeout: '10s' }, { received: ['paid'], timeout: ['unpaid'] }],
      ['paid', 'test.step', { value: '=nodes.w.amount' }, {}],
      ['unpaid', 'test.step', {}, {}],
    ]);
    const h = await start(p);
    await h.signal('payment_confirmed', { amount: 4200 });
    const state = (await h.result()) as RunState;
    expect(callsOf(h.workflowId).map((c) => c.nodeId)).toEqual(['slow', 'paid']);
    expect(state.context.nodes.paid).toEqual({ value: 4200 });
  });

  it('on a failure mid-flow runs the compensations in reverse order, once each', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['reserve'] }],
      ['reserve', 'test.step', {}, { ok: ['authorise'] }, 'test.undo'],
      ['authorise', 'test.step', {}, { ok: ['capture'] }, 'test.undo'],
      ['capture', 'test.fail', {}, { ok: [] }, 'test.undo'],
    ]);
    const h = await start(p);
    const state = (await h.result()) as RunState;
    expect(state.status).toBe('compensated');
    expect(callsOf(h.workflowId).map((c) => `${c.activity}:${c.nodeId}`)).toEqual([
      'test.step:reserve',
      'test.step:authorise',
      'test.fail:capture',
      'test.undo:authorise',
      'test.undo:reserve',
    ]);
    expect(
      callsOf(h.workflowId)
        .filter((c) => c.activity === 'test.undo')
        .map((c) => c.key),
    ).toEqual([`${h.workflowId}:authorise:1:undo`, `${h.workflowId}:reserve:1:undo`]);
    expect(state.steps.capture.status).toBe('failed');
    expect(state.steps.reserve.status).toBe('compensated');
  });

  it('fails plainly when nothing needs undoing', async () => {
    const h = await start(
      plan([
        ['t', 'trigger', {}, { out: ['x'] }],
        ['x', 'test.fail', {}, {}],
      ]),
    );
    await expect(h.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  });

  it('cancels a waiting run and undoes what it did', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['reserve'] }],
      ['reserve', 'test.step', {}, { ok: ['wait'] }, 'test.undo'],
      ['wait', 'signal', { signal: 'delivered' }, { received: ['done'] }],
      ['done', 'test.step', {}, {}],
    ]);
    const h = await start(p);
    await waitFor(async () => (await h.query<RunState>('state')).waitingFor.length > 0);
    await h.signal('cancel', { reason: 'customer cancelled' });
    const state = (await h.result()) as RunState;
    expect(state.status).toBe('cancelled');
    expect(callsOf(h.workflowId).map((c) => `${c.activity}:${c.nodeId}`)).toEqual(['test.step:reserve', 'test.undo:reserve']);
  });

  /** A run cancelled from outside (the Web UI, `temporal workflow cancel`, a client's cancel()) closes as cancelled. */
  const cancelledInTemporal = async (h: Awaited<ReturnType<typeof start>>) => {
    const failure = await h.result().then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await h.describe()).status.name).toBe('CANCELLED');
    return finals.get(h.workflowId)!;
  };
  const undone = (id: string) =>
    callsOf(id)
      .filter((c) => c.activity === 'test.undo')
      .map((c) => c.key);

  it('cancelled in Temporal while waiting, undoes what it did newest first, once each, and closes as cancelled', async () => {
    const p = plan([
      ['t', 'trigger', { slaNode: 'done', slaAfter: '1h' }, { out: ['reserve'] }],
      ['reserve', 'test.step', {}, { ok: ['authorise'] }, 'test.undo'],
      ['authorise', 'test.step', {}, { ok: ['wait'] }, 'test.undo'],
      ['wait', 'signal', { signal: 'payment_confirmed' }, { received: ['done'] }],
      ['done', 'test.step', {}, {}],
    ]);
    const h = await start(p);
    await waitFor(async () => (await h.query<RunState>('state')).waitingFor.length > 0);
    await h.cancel();
    const state = await cancelledInTemporal(h);
    expect(callsOf(h.workflowId).map((c) => `${c.activity}:${c.nodeId}`)).toEqual([
      'test.step:reserve',
      'test.step:authorise',
      'test.undo:authorise',
      'test.undo:reserve',
    ]);
    expect(undone(h.workflowId)).toEqual([`${h.workflowId}:authorise:1:undo`, `${h.workflowId}:reserve:1:undo`]);
    expect(state).toMatchObject({
      status: 'cancelled',
      error: 'Cancelled in Temporal',
      waitingFor: [],
      steps: {
        reserve: { status: 'compensated' },
        authorise: { status: 'compensated' },
        wait: { status: 'cancelled', error: 'Cancelled in Temporal' },
        done: { status: 'waiting', visits: 0 },
      },
    });
    expect(events.filter((e) => e === `finished:${h.workflowId}`)).toHaveLength(1);
    // The closed run still answers the state query (its history replays to the same end).
    expect(await h.query<RunState>('state')).toMatchObject({ status: 'cancelled', steps: { wait: { status: 'cancelled' } } });
  });

  it('cancelled in Temporal while a step is in flight, lets the step finish and undoes it too', async () => {
    for (const local of [false, true]) {
      const p = plan([
        ['t', 'trigger', {}, { out: ['reserve'] }],
        ['reserve', 'test.step', {}, { ok: ['slow'] }, 'test.undo'],
        ['slow', 'test.step', { sleep: 1_500 }, { ok: ['wait'] }, 'test.undo'],
        ['wait', 'signal', { signal: 'delivered' }, { received: ['after'] }],
        ['after', 'test.step', {}, {}],
      ]);
      if (local) p.nodes.slow.local = true;
      const h = await start(p);
      await waitFor(async () => callsOf(h.workflowId).some((c) => c.nodeId === 'slow'));
      await h.cancel();
      const state = await cancelledInTemporal(h);
      expect(
        callsOf(h.workflowId).map((c) => `${c.activity}:${c.nodeId}`),
        local ? 'local' : 'ordinary',
      ).toEqual(['test.step:reserve', 'test.step:slow', 'test.undo:slow', 'test.undo:reserve']);
      expect(state.steps).toMatchObject({ reserve: { status: 'compensated' }, slow: { status: 'compensated' }, after: { status: 'waiting', visits: 0 } });
      expect(state.steps.wait.status, local ? 'local' : 'ordinary').toMatch(/^(waiting|cancelled)$/);
    }
  });

  it('cancelled in Temporal with branches waiting on a person and a timer, ends both and opens nothing new', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['reserve'] }],
      ['reserve', 'test.step', {}, { ok: ['split'] }, 'test.undo'],
      ['split', 'split', { branches: ['a', 'b'] }, { a: ['approve'], b: ['pause'] }],
      ['approve', 'human', { title: 'Approve', roles: ['ops_manager'], timeout: '1h' }, { approved: ['join'], rejected: ['join'], timeout: ['join'] }],
      ['pause', 'delay', { duration: '1h' }, { out: ['join'] }],
      ['join', 'join', {}, { out: ['after'] }],
      ['after', 'test.step', {}, {}],
    ]);
    const h = await start(p);
    await waitFor(async () => (await h.query<RunState>('state')).waitingFor.length === 2);
    await h.cancel();
    const state = await cancelledInTemporal(h);
    expect(undone(h.workflowId)).toEqual([`${h.workflowId}:reserve:1:undo`]);
    expect(state.steps).toMatchObject({
      approve: { status: 'cancelled' },
      pause: { status: 'cancelled' },
      join: { status: 'waiting' },
      after: { status: 'waiting' },
    });
    // The task was opened once and not closed as decided: the run's finished event withdraws it (workflow-cancel.test.ts).
    expect(events.filter((e) => e.startsWith(`open:${h.workflowId}:`) || e.startsWith(`close:${h.workflowId}:`))).toEqual([`open:${h.workflowId}:approve`]);
    expect(callsOf(h.workflowId).map((c) => c.nodeId)).toEqual(['reserve', 'reserve']);
  });

  it("cancelled in Temporal during a sub-flow, undoes the sub-flow's steps, then its own", async () => {
    subPlans.set(
      'child',
      plan([
        ['ct', 'trigger', {}, { out: ['hold'] }],
        ['hold', 'test.step', {}, { ok: ['wait'] }, 'test.undo'],
        ['wait', 'signal', { signal: 'delivered' }, { received: [] }],
      ]),
    );
    const p = plan([
      ['t', 'trigger', {}, { out: ['reserve'] }],
      ['reserve', 'test.step', {}, { ok: ['sub'] }, 'test.undo'],
      ['sub', 'subflow', { definition: 'child' }, { ok: ['after'], error: ['after'] }],
      ['after', 'test.step', {}, {}],
    ]);
    const h = await start(p);
    const child = `${h.workflowId}/sub/1`;
    await waitFor(
      async () => callsOf(child).some((c) => c.nodeId === 'hold') && (await client.workflow.getHandle(child).query<RunState>('state')).waitingFor.length > 0,
    );
    await h.cancel();
    const state = await cancelledInTemporal(h);
    expect((await client.workflow.getHandle(child).describe()).status.name).toBe('CANCELLED');
    expect(finals.get(child)).toMatchObject({ status: 'cancelled', steps: { hold: { status: 'compensated' }, wait: { status: 'cancelled' } } });
    // The sub-flow's undo comes first (the run waits for its child to close), and nothing runs after the sub-flow.
    const order = calls.filter((c) => c.activity === 'test.undo' && (c.key.startsWith(`${child}:`) || c.key.startsWith(`${h.workflowId}:`))).map((c) => c.key);
    expect(order).toEqual([`${child}:hold:1:undo`, `${h.workflowId}:reserve:1:undo`]);
    expect(state.steps).toMatchObject({ reserve: { status: 'compensated' }, sub: { status: 'cancelled' }, after: { status: 'waiting', visits: 0 } });
  });

  it('loops through a delay and answers the state query while running', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['check'] }],
      ['check', 'test.count', {}, { ok: ['again'] }],
      ['again', 'condition', { expression: 'nodes.check.n < 3' }, { true: ['pause'], false: ['end'] }],
      ['pause', 'delay', { duration: '1s' }, { out: ['check'] }],
      ['end', 'end', { result: 'complete' }, {}],
    ]);
    const h = await start(p);
    await waitFor(async () => (await h.query<RunState>('state')).waitingFor.some((w) => w.kind === 'delay'));
    const state = (await h.result()) as RunState;
    expect(state.status).toBe('completed');
    expect(state.steps.check.visits).toBe(3);
    expect(state.steps.pause.visits).toBe(2);
    expect(callsOf(h.workflowId).map((c) => c.key)).toEqual([1, 2, 3].map((v) => `${h.workflowId}:check:${v}`));
  });

  // A loop on one branch of a split, a join after it: while the loop goes round, its condition sends a
  // dead token down the exit it did not take; the join must not count that as the branch having come.
  const loopBranch = (exit: Record<string, string[]>): Spec[] => [
    ['t', 'trigger', {}, { out: ['split'] }],
    ['split', 'split', { branches: ['a', 'b'] }, { a: ['check'], b: ['other'] }],
    ['check', 'test.count', {}, { ok: ['again'] }],
    [
      'again',
      'switch',
      {
        expression: "nodes.check.n < 3 ? 'more' : 'stop'",
        cases: [
          { value: 'more', handle: 'more' },
          { value: 'stop', handle: 'stop' },
        ],
      },
      { more: ['pause'], ...exit },
    ],
    ['pause', 'delay', { duration: '1s' }, { out: ['check'] }],
    ['other', 'test.step', {}, { ok: ['join'] }],
    ['join', 'join', {}, { out: ['after'] }],
    ['after', 'test.step', {}, {}],
  ];
  const started = (id: string, nodeId: string) => callsOf(id).find((c) => c.nodeId === nodeId)!.at;

  it('waits at a join after a loop until the loop has left by its exit', async () => {
    const p = plan([
      ...loopBranch({ stop: ['exit'], default: ['never'] }),
      ['exit', 'test.step', {}, { ok: ['join'] }],
      ['never', 'test.step', {}, { ok: ['join'] }],
    ]);
    const { id, state } = await run(p);
    expect(state.status).toBe('completed');
    expect(state.steps).toMatchObject({
      check: { visits: 3 },
      pause: { visits: 2 },
      exit: { status: 'done', visits: 1 },
      never: { status: 'skipped', visits: 0 },
      join: { status: 'done', visits: 1 },
      after: { status: 'done', visits: 1 },
    });
    expect(callsOf(id).filter((c) => c.nodeId === 'check')).toHaveLength(3);
    expect(started(id, 'after')).toBeGreaterThanOrEqual(callsOf(id).find((c) => c.nodeId === 'exit')!.end!);
  });

  it('takes an exit straight into the join only once the loop leaves by it', async () => {
    const { id, state } = await run(plan(loopBranch({ stop: ['join'], default: ['join'] })));
    expect(state.steps).toMatchObject({ check: { visits: 3 }, join: { status: 'done', visits: 1 }, after: { status: 'done', visits: 1 } });
    expect(started(id, 'after')).toBeGreaterThan(callsOf(id).filter((c) => c.nodeId === 'check')[2].at);
  });

  it('sends the dead token of an exit the loop never took once the loop has finished', async () => {
    // The loop ends at an end node of its own; the join learns that branch a will not come only then.
    const p = plan([...loopBranch({ stop: ['finish'], default: ['join'] }), ['finish', 'end', { result: 'complete' }, {}]]);
    const { id, state } = await run(p);
    expect(state.steps).toMatchObject({
      check: { visits: 3 },
      finish: { status: 'done' },
      join: { status: 'done', visits: 1 },
      after: { status: 'done', visits: 1 },
    });
    expect(started(id, 'after')).toBeGreaterThan(callsOf(id).filter((c) => c.nodeId === 'check')[2].at);
  });

  it("holds an inner loop's dead exit until the inner loop is done, inside an outer loop", async () => {
    // Outer loop: split → (inner loop of three turns | other) → join → round again once. The join
    // inside the outer loop waits for the inner loop each time round.
    const p = plan([
      ['t', 'trigger', {}, { out: ['split'] }],
      ['split', 'split', { branches: ['a', 'b'] }, { a: ['inner'], b: ['other'] }],
      ['inner', 'test.count', {}, { ok: ['turn'] }],
      ['turn', 'condition', { expression: 'nodes.inner.n % 3 != 0' }, { true: ['pause'], false: ['join'] }],
      ['pause', 'delay', { duration: '1s' }, { out: ['inner'] }],
      ['other', 'test.step', {}, { ok: ['join'] }],
      ['join', 'join', {}, { out: ['again'] }],
      ['again', 'condition', { expression: 'nodes.inner.n < 6' }, { true: ['rest'], false: ['after'] }],
      ['rest', 'delay', { duration: '1s' }, { out: ['split'] }],
      ['after', 'test.step', {}, {}],
    ]);
    const { id, state } = await run(p);
    expect(state.status).toBe('completed');
    expect(state.steps).toMatchObject({
      inner: { visits: 6 },
      pause: { visits: 4 },
      other: { visits: 2 },
      join: { visits: 2 },
      again: { visits: 2 },
      after: { status: 'done', visits: 1 },
    });
    expect(
      callsOf(id)
        .map((c) => c.nodeId)
        .filter((n) => n !== 'other'),
    ).toEqual(['inner', 'inner', 'inner', 'inner', 'inner', 'inner', 'after']);
  }, 30_000);

  it('passes a dead token through a loop that is never entered', async () => {
    const p = plan([
      ['t', 'trigger', {}, { out: ['split'] }],
      ['split', 'split', { branches: ['a', 'b'] }, { a: ['gate'], b: ['other'] }],
      ['gate', 'condition', { expression: 'false' }, { true: ['check'], false: ['plain'] }],
      ['check', 'test.count', {}, { ok: ['again'] }],
      ['again', 'condition', { expression: 'nodes.check.n < 3' }, { true: ['pause'], false: ['exit'] }],
      ['pause', 'delay', { duration: '1s' }, { out: ['check'] }],
      ['exit', 'test.step', {}, { ok: ['join'] }],
      ['plain', 'test.step', {}, { ok: ['join'] }],
      ['other', 'test.step', {}, { ok: ['join'] }],
      ['join', 'join', {}, { out: ['after'] }],
      ['after', 'test.step', {}, {}],
    ]);
    const { id, state } = await run(p);
    expect(state.steps).toMatchObject({
      check: { status: 'skipped' },
      again: { status: 'skipped' },
      pause: { status: 'skipped' },
      exit: { status: 'skipped' },
      join: { status: 'done', visits: 1 },
      after: { status: 'done', visits: 1 },
    });
    expect(
      callsOf(id)
        .map((c) => c.nodeId)
        .sort(),
    ).toEqual(['after', 'other', 'plain']);
  });

  it('raises an SLA alert from a timer when a step is not reached in time, and none when it is', async () => {
    const p = plan([
      ['t', 'trigger', { slaNode: 'pick', slaAfter: '1s' }, { out: ['wait'] }],
      ['wait', 'signal', { signal: 'payment_confirmed', timeout: '3s' }, { received: ['pick'], timeout: ['pick'] }],
      ['pick', 'test.step', {}, {}],
    ]);
    const late = await run(p, { number: 'SO-LATE' });
    expect(late.state.status).toBe('completed');
    expect(
      callsOf(late.id)
        .filter((c) => c.activity === 'notifications.alert')
        .map((c) => c.key),
    ).toEqual([`${late.id}:sla:unprocessed`]);

    const h = await start(p, { number: 'SO-FAST' });
    await h.signal('payment_confirmed', {});
    await h.result();
    expect(callsOf(h.workflowId).some((c) => c.activity === 'notifications.alert')).toBe(false);
  });

  it('replays its own histories deterministically', async () => {
    const ids = [...new Set(calls.map((c) => c.key.split(':')[0]))].slice(0, 6);
    const histories = await Promise.all(ids.map(async (workflowId) => ({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() })));
    const results = Worker.runReplayHistories({ workflowBundle: bundle }, histories);
    for await (const r of results) expect(r.error, r.workflowId).toBeUndefined();
  });
});
