// Continue-as-new on the real Temporal dev server and the real database: looping runs with a small
// history limit (part of the workflow input) start afresh in the same workflow id, carry their context,
// steps, compensations, buffered signals and SLA deadline over, and complete; the run row and its
// steps (written by workflow.runEvent and the activity interceptor, keyed by workflow id) follow the
// chain of runs. Small test activities stand in for the business steps.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeActivityInput, Plan, PlanNode } from '../../workflows/graph.ts';
import type { InterpreterInput, RunState } from '../../workflows/interpreter.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWorker } from '../support/worker.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

const taskQueue = `can-${crypto.randomUUID().slice(0, 8)}`;
const HISTORY_LIMIT = 40;
const EventType = protos.temporal.api.enums.v1.EventType;
let db: TestDatabase, worker: Awaited<ReturnType<typeof startTestWorker>> | undefined, connection: Connection, client: Client;
const calls: { activity: string; key: string; workflowId: string; nodeId: string }[] = [];
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);

const record = (activity: string, i: NodeActivityInput) => calls.push({ activity, key: i.key, workflowId: i.workflowId, nodeId: i.nodeId });
const activities = {
  /** Counts from the run's context: n of the node's previous output + 1 (so a lost context starts again at 1). */
  'test.count': async (i: NodeActivityInput) => {
    record('test.count', i);
    return { output: { n: Number(i.context.nodes[i.nodeId]?.n ?? 0) + 1 } };
  },
  'test.step': async (i: NodeActivityInput) => {
    record('test.step', i);
    return { output: { at: i.nodeId } };
  },
  'test.undo': async (i: NodeActivityInput) => {
    record('test.undo', i);
    return {};
  },
};

/** A plan from [id, primitive or activity, config, {handle: [targets]}, compensation?, local?]. */
type Spec = [string, string, Record<string, unknown>, Record<string, string[]>, string?, boolean?];
function plan(specs: Spec[]): Plan {
  const nodes: Record<string, PlanNode> = {};
  for (const [id, what, config, next, compensation, local] of specs) {
    const control = ['trigger', 'condition', 'split', 'join', 'signal', 'end'].includes(what);
    nodes[id] = {
      id,
      type: control ? `control.${what}` : what,
      label: id,
      kind: control ? 'control' : 'activity',
      primitive: control ? (what as PlanNode['primitive']) : undefined,
      activity: control ? undefined : what,
      compensation,
      ...(local ? { local } : {}),
      timeoutMs: 10_000,
      retries: 3,
      config,
      next,
      incoming: 0,
    };
  }
  for (const n of Object.values(nodes)) for (const t of Object.values(n.next).flat()) nodes[t].incoming++;
  return { hash: crypto.randomUUID(), trigger: specs[0][0], nodes };
}

/** count → more? → wait for the custom signal "next" → count …, until count has run `times` times. */
const loop = (times: number, opts: { local?: boolean; trigger?: Record<string, unknown> } = {}) =>
  plan([
    ['t', 'trigger', opts.trigger ?? {}, { out: ['count'] }],
    ['count', 'test.count', {}, { ok: ['more'] }, 'test.undo', opts.local],
    ['more', 'condition', { expression: `nodes.count.n < ${times}` }, { true: ['next'], false: ['done'] }],
    ['next', 'signal', { signal: 'custom', name: 'next', timeout: '1m' }, { received: ['count'], timeout: ['done'] }],
    ['done', 'end', { result: 'complete' }, {}],
  ]);

const start = (p: Plan) => {
  const input: InterpreterInput = { plan: p, trigger: { type: 'manual', payload: {} }, historyLimit: HISTORY_LIMIT };
  return client.workflow.start('interpreter', { taskQueue, workflowId: `can-${crypto.randomUUID().slice(0, 8)}`, args: [input] });
};

/** The runs of a workflow id from its first: each one's id, how it closed, and its history's length. */
async function chain(workflowId: string, firstRunId: string) {
  const runs: { runId: string; status: string; events: number }[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const events: protos.temporal.api.history.v1.IHistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const last = events.at(-1)!;
    runs.push({ runId, status: EventType[last.eventType!], events: events.length });
    runId =
      last.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        ? last.workflowExecutionContinuedAsNewEventAttributes!.newExecutionRunId!
        : undefined;
  }
  return runs;
}

/** The run's final state, or a failure (rather than a test timeout) when it stalls. */
async function resultWithin(h: Awaited<ReturnType<typeof start>>, ms: number): Promise<RunState> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      async () => reject(new Error(`${h.workflowId} did not finish within ${ms} ms: ${JSON.stringify((await h.query<RunState>('state')).steps)}`)),
      ms,
    );
  });
  try {
    return (await Promise.race([h.result(), stalled])) as RunState;
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `next` each time the run waits for it (so every turn of the loop takes a workflow task of its own). */
async function drive(h: Awaited<ReturnType<typeof start>>, signals: number) {
  for (let sent = 0; sent < signals; sent++) {
    await waitFor(async () => {
      const s = await h.query<RunState>('state');
      return s.waitingFor.some((w) => w.nodeId === 'next') && s.steps.next.visits === sent + 1;
    });
    await h.signal('custom', { name: 'next' });
  }
}

const keysOf = (workflowId: string, activity: string) => calls.filter((c) => c.workflowId === workflowId && c.activity === activity).map((c) => c.key);

beforeAll(async () => {
  db = await createTestDatabase('can');
  worker = await startTestWorker({ orm: db.orm, taskQueue, activities });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await db?.drop();
});

describe('continue-as-new', () => {
  it('starts afresh when the history passes the limit, keeps its context, steps and buffered signals, and completes', async () => {
    const h = await start(loop(12));
    // All the signals at once: most wait in the run's buffer, across the continue-as-new, until the loop takes them.
    for (let i = 0; i < 11; i++) await h.signal('custom', { name: 'next' });
    const state = await resultWithin(h, 30_000);

    const runs = await chain(h.workflowId, h.firstExecutionRunId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.slice(0, -1).every((r) => r.status === 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW')).toBe(true);
    expect(runs.at(-1)!.status).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);

    expect(state.status).toBe('completed');
    expect(state.context.nodes.count).toEqual({ n: 12 });
    expect(state.steps).toMatchObject({
      count: { status: 'done', visits: 12 },
      more: { visits: 12 },
      next: { visits: 11 },
      done: { status: 'done', visits: 1 },
    });
    // Each turn ran once, under its own key, whichever run of the chain it fell in.
    expect(keysOf(h.workflowId, 'test.count')).toEqual(Array.from({ length: 12 }, (_, i) => `${h.workflowId}:count:${i + 1}`));

    // One run row for the whole chain, finished, with the steps of every run in it.
    const rows = await sql<{ id: number; status: string; ended_at: Date | null }>('select id, status, ended_at from workflow_run where workflow_id = ?', [
      h.workflowId,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'completed' });
    expect(rows[0].ended_at).not.toBeNull();
    const steps = Object.fromEntries(
      (
        await sql<{ node_id: string; status: string; visits: number; output_summary: unknown }>(
          'select node_id, status, visits, output_summary from workflow_run_step where run_id = ?',
          [rows[0].id],
        )
      ).map((s) => [s.node_id, s]),
    );
    expect(steps.count).toMatchObject({ status: 'done', visits: 12, output_summary: { handle: 'ok', output: { n: 12 } } });
    expect(steps.next).toMatchObject({ status: 'done', visits: 11 });
    expect(steps.done).toMatchObject({ status: 'done', visits: 1 });
  }, 90_000);

  it('undoes the steps of earlier runs of the chain when cancelled after a continue-as-new (local activities)', async () => {
    const h = await start(loop(100, { local: true }));
    await drive(h, 12);
    await waitFor(async () => (await chain(h.workflowId, h.firstExecutionRunId)).length >= 2 && (await h.query<RunState>('state')).waitingFor.length > 0);
    await h.signal('cancel', { reason: 'customer cancelled' });
    const state = await resultWithin(h, 30_000);

    expect(state.status).toBe('cancelled');
    expect((await chain(h.workflowId, h.firstExecutionRunId)).length).toBeGreaterThanOrEqual(2);
    expect(keysOf(h.workflowId, 'test.count')).toHaveLength(13);
    // Every count is undone, newest first, the ones from before the continue-as-new too.
    expect(keysOf(h.workflowId, 'test.undo')).toEqual(Array.from({ length: 13 }, (_, i) => `${h.workflowId}:count:${13 - i}:undo`));
    expect(state.steps.count.status).toBe('compensated');
    const [run] = await sql<{ id: number; status: string }>('select id, status from workflow_run where workflow_id = ?', [h.workflowId]);
    expect(run.status).toBe('cancelled');
    const [step] = await sql<{ status: string; visits: number; compensation: boolean }>(
      'select status, visits, compensation from workflow_run_step where run_id = ? and node_id = ?',
      [run.id, 'count'],
    );
    expect(step).toEqual({ status: 'compensated', visits: 13, compensation: true });
  }, 90_000);

  it('keeps its SLA deadline across a continue-as-new, and raises the alert once', async () => {
    // The flow is "processed" when it reaches done; 3 s after the start it has not, in its second run.
    const h = await start(loop(12, { trigger: { slaNode: 'done', slaAfter: '3s' } }));
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) await h.signal('custom', { name: 'next' });
    await waitFor(async () => (await chain(h.workflowId, h.firstExecutionRunId)).length >= 2 && (await h.query<RunState>('state')).steps.next.visits === 11);
    const alerts = () =>
      sql<{ after: { key: string } }>(`select after from audit_event where action = 'workflow.alert_raised' and entity_id = ?`, [h.workflowId]);
    await waitFor(async () => (await alerts()).length > 0, 10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3_000);
    await h.signal('custom', { name: 'next' });
    const state = await resultWithin(h, 30_000);
    expect(state.status).toBe('completed');
    expect((await alerts()).map((a) => a.after.key)).toEqual([`${h.workflowId}:sla:unprocessed`]);
  }, 90_000);

  it('keeps a join after a loop waiting across a continue-as-new until the loop has finished', async () => {
    // split → (count → more? → wait for "next" → count … | other) → join → after. Each turn, the
    // wait's unused timeout exit (into the join) is held; it reaches the join only when the loop ends
    // at its own end step, in a later run of the chain than the one other's token reached the join in.
    const h = await start(
      plan([
        ['t', 'trigger', {}, { out: ['split'] }],
        ['split', 'split', { branches: ['a', 'b'] }, { a: ['count'], b: ['other'] }],
        ['count', 'test.count', {}, { ok: ['more'] }],
        ['more', 'condition', { expression: 'nodes.count.n < 12' }, { true: ['next'], false: ['finish'] }],
        ['next', 'signal', { signal: 'custom', name: 'next', timeout: '1m' }, { received: ['count'], timeout: ['join'] }],
        ['finish', 'end', { result: 'complete' }, {}],
        ['other', 'test.step', {}, { ok: ['join'] }],
        ['join', 'join', {}, { out: ['after'] }],
        ['after', 'test.step', {}, {}],
      ]),
    );
    for (let i = 0; i < 11; i++) await h.signal('custom', { name: 'next' });
    const state = await resultWithin(h, 30_000);

    expect((await chain(h.workflowId, h.firstExecutionRunId)).length).toBeGreaterThanOrEqual(2);
    expect(state.status).toBe('completed');
    expect(state.steps).toMatchObject({
      count: { visits: 12 },
      next: { visits: 11 },
      finish: { status: 'done' },
      join: { status: 'done', visits: 1 },
      after: { status: 'done', visits: 1 },
    });
    const order = calls.filter((c) => c.workflowId === h.workflowId).map((c) => c.nodeId);
    expect(order.lastIndexOf('count')).toBeLessThan(order.indexOf('after'));
  }, 90_000);

  it('never continues as new while a sibling branch is on its way', async () => {
    // The loop's step fans out to p and q by one handle (no split node), which meet at a join before
    // the loop goes on. p and q are local, so the first node to see the history past the limit after
    // count's workflow task is p: continuing as new there would lose q (and leave the join waiting for
    // it forever); the run goes on until the join has brought the branches together.
    const h = await start(
      plan([
        ['t', 'trigger', {}, { out: ['count'] }],
        ['count', 'test.count', {}, { ok: ['p', 'q'] }],
        ['p', 'test.step', {}, { ok: ['pq'] }, undefined, true],
        ['q', 'test.step', {}, { ok: ['pq'] }, undefined, true],
        ['pq', 'join', {}, { out: ['more'] }],
        ['more', 'condition', { expression: 'nodes.count.n < 8' }, { true: ['count'], false: ['after'] }],
        ['after', 'test.step', {}, {}],
      ]),
    );
    const state = await resultWithin(h, 30_000);

    expect((await chain(h.workflowId, h.firstExecutionRunId)).length).toBeGreaterThanOrEqual(2);
    expect(state.status).toBe('completed');
    expect(state.steps).toMatchObject({ count: { visits: 8 }, p: { visits: 8 }, q: { visits: 8 }, pq: { visits: 8 }, after: { status: 'done', visits: 1 } });
    const steps = calls.filter((c) => c.workflowId === h.workflowId && c.activity === 'test.step').map((c) => c.key);
    for (const node of ['p', 'q'])
      expect(steps.filter((k) => k.includes(`:${node}:`))).toEqual(Array.from({ length: 8 }, (_, i) => `${h.workflowId}:${node}:${i + 1}`));
    expect(steps.filter((k) => k.includes(':after:'))).toEqual([`${h.workflowId}:after:1`]);
  }, 90_000);
});
