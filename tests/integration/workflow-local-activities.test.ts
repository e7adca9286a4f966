// Local activities on the real Temporal dev server and the real database: a node whose type is local
// runs inside the workflow task (a marker in the history, no scheduled activity), under the same key as
// an ordinary activity, with the same retries; and the run-history interceptor records its step like
// any other: one write when the step is quick, `running` first when it takes longer than RUNNING_AFTER_MS.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import protos from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeActivityInput, Plan, PlanNode } from '../../workflows/graph.ts';
import type { InterpreterInput, RunState } from '../../workflows/interpreter.ts';
import { RUNNING_AFTER_MS } from '../../activities/interceptors.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWorker } from '../support/worker.ts';
import { testEnv } from '../support/env.ts';

const taskQueue = `local-${crypto.randomUUID().slice(0, 8)}`;
const EventType = protos.temporal.api.enums.v1.EventType;
let db: TestDatabase, worker: Awaited<ReturnType<typeof startTestWorker>> | undefined, connection: Connection, client: Client;
const calls: { nodeId: string; key: string; attempt: number; local: boolean }[] = [];
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);

const activities = {
  'test.work': async (i: NodeActivityInput) => {
    const { attempt, isLocal } = Context.current().info;
    calls.push({ nodeId: i.nodeId, key: i.key, attempt, local: isLocal });
    if (i.config.failTimes && attempt <= Number(i.config.failTimes)) throw new Error(`flaky ${attempt}`);
    if (i.config.sleep) await new Promise((r) => setTimeout(r, Number(i.config.sleep)));
    return { output: { node: i.nodeId } };
  },
};

/** trigger → the steps in a line; [id, config, local]. */
function line(steps: [string, Record<string, unknown>, boolean][]): Plan {
  const nodes: Record<string, PlanNode> = {
    t: {
      id: 't',
      type: 'control.trigger',
      label: 't',
      kind: 'control',
      primitive: 'trigger',
      timeoutMs: 0,
      retries: 0,
      config: {},
      next: { out: [steps[0][0]] },
      incoming: 0,
    },
  };
  steps.forEach(([id, config, local], i) => {
    nodes[id] = {
      id,
      type: 'test.work',
      label: id,
      kind: 'activity',
      activity: 'test.work',
      ...(local ? { local } : {}),
      timeoutMs: 10_000,
      retries: 3,
      config,
      next: { ok: steps[i + 1] ? [steps[i + 1][0]] : [] },
      incoming: 1,
    };
  });
  return { hash: crypto.randomUUID(), trigger: 't', nodes };
}

async function run(p: Plan) {
  const input: InterpreterInput = { plan: p, trigger: { type: 'manual', payload: {} } };
  const h = await client.workflow.start('interpreter', { taskQueue, workflowId: `local-${crypto.randomUUID().slice(0, 8)}`, args: [input] });
  const state = (await h.result()) as RunState;
  const events = (await h.fetchHistory()).events ?? [];
  const [row] = await sql<{ id: number }>('select id from workflow_run where workflow_id = ?', [h.workflowId]);
  const steps = Object.fromEntries(
    (
      await sql<{
        node_id: string;
        status: string;
        visits: number;
        started_at: Date;
        ended_at: Date;
        input_summary: Record<string, unknown> | null;
        output_summary: Record<string, unknown> | null;
        error: string | null;
      }>('select node_id, status, visits, started_at, ended_at, input_summary, output_summary, error from workflow_run_step where run_id = ?', [row.id])
    ).map((s) => [s.node_id, s]),
  );
  const announced = (
    await sql<{ payload: { nodeId: string; status: string; attempt?: number } }>(
      `select payload from outbox_event where type = 'run.step' and payload ->> 'workflowId' = ? order by id`,
      [h.workflowId],
    )
  ).map((r) => r.payload);
  return { id: h.workflowId, state, events, steps, announced, calls: calls.filter((c) => c.key.startsWith(`${h.workflowId}:`)) };
}

beforeAll(async () => {
  db = await createTestDatabase('local');
  worker = await startTestWorker({ orm: db.orm, taskQueue, activities });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await db?.drop();
});

describe('local activities', () => {
  it('run local nodes inside the workflow task and ordinary ones as scheduled activities, under the same keys', async () => {
    const r = await run(
      line([
        ['a', {}, true],
        ['b', {}, false],
        ['c', {}, true],
      ]),
    );
    expect(r.state.status).toBe('completed');
    expect(r.calls.map((c) => [c.nodeId, c.key, c.local])).toEqual([
      ['a', `${r.id}:a:1`, true],
      ['b', `${r.id}:b:1`, false],
      ['c', `${r.id}:c:1`, true],
    ]);
    // One scheduled activity (b); a and c are markers, as are the run's own bookkeeping events.
    const scheduled = r.events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name)).toEqual(['test.work']);
    expect(r.events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).length).toBeGreaterThanOrEqual(4);
    expect(r.state.context.nodes).toMatchObject({ a: { node: 'a' }, b: { node: 'b' }, c: { node: 'c' } });
  });

  it('are recorded in the run history like any step: once when quick, as running first when slow', async () => {
    const r = await run(
      line([
        ['quick', {}, true],
        ['slow', { sleep: RUNNING_AFTER_MS + 400 }, true],
        ['remote', {}, false],
      ]),
    );
    expect(r.steps.quick).toMatchObject({
      status: 'done',
      visits: 1,
      input_summary: { activity: 'test.work', attempt: 1, config: {} },
      output_summary: { handle: 'ok', output: { node: 'quick' } },
      error: null,
    });
    expect(r.steps.slow).toMatchObject({ status: 'done', visits: 1, output_summary: { handle: 'ok', output: { node: 'slow' } } });
    expect(r.steps.remote).toMatchObject({ status: 'done', visits: 1 });
    for (const s of Object.values(r.steps)) expect(new Date(s.ended_at).getTime()).toBeGreaterThanOrEqual(new Date(s.started_at).getTime());
    expect(new Date(r.steps.slow.ended_at).getTime() - new Date(r.steps.slow.started_at).getTime()).toBeGreaterThanOrEqual(RUNNING_AFTER_MS + 300);
    const of = (nodeId: string) => r.announced.filter((a) => a.nodeId === nodeId).map((a) => a.status);
    expect(of('slow')).toEqual(['running', 'done']);
    // A quick step is announced once, done (a loaded machine may make it slow enough to show running first).
    for (const nodeId of ['quick', 'remote']) expect(of(nodeId).join()).toMatch(/^(running,)?done$/);
  });

  it('retry under the same key, and the step shows each failed attempt and the final outcome', async () => {
    const r = await run(line([['flaky', { failTimes: 2 }, true]]));
    expect(r.state.status).toBe('completed');
    expect(r.calls.map((c) => [c.key, c.attempt, c.local])).toEqual([1, 2, 3].map((n) => [`${r.id}:flaky:1`, n, true]));
    expect(r.steps.flaky).toMatchObject({ status: 'done', visits: 1, input_summary: { attempt: 3 }, error: null });
    expect(r.announced.filter((a) => a.status !== 'running')).toEqual([
      { workflowId: r.id, nodeId: 'flaky', status: 'failed', attempt: 1, error: 'flaky 1' },
      { workflowId: r.id, nodeId: 'flaky', status: 'failed', attempt: 2, error: 'flaky 2' },
      { workflowId: r.id, nodeId: 'flaky', status: 'done' },
    ]);
  });
});
