// Retrying a failed run from its failed step (issue 5), on the real PostgreSQL and the real Temporal
// dev server: an in-process worker with a test activity that fails while a flag is set; the retry
// resumes at the failed node with the earlier outputs, does not run the earlier steps again, and is
// recorded as its own run (same definition, the chosen version) with an audit event. The run view's
// retry action does the same for someone who may edit workflows.
import crypto from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeActivityInput, Plan, PlanNode } from '../../workflows/graph.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import type { Actor } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { ensureRun } from '../../app/modules/workflows/runs.server.ts';
import { readFailedState, retryRun } from '../../app/modules/workflows/retry.server.ts';
import { createDefinition } from '../../app/modules/workflows/service.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startTestWorker } from '../support/worker.ts';
import { Browser } from '../support/http.ts';
import { testEnv } from '../support/env.ts';

let app: TestApp, testWorker: Awaited<ReturnType<typeof startTestWorker>> | undefined, connection: Connection, client: Client, definitionId: number;
const actor: Actor = { type: 'user', id: 2, label: 'olivia@demo.test' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(q, p);

let failing = true;
const calls: { workflowId: string; nodeId: string; value?: unknown }[] = [];
const testActivities = {
  'test.retryStep': async (i: NodeActivityInput) => {
    calls.push({ workflowId: i.workflowId, nodeId: i.nodeId, value: i.config.from });
    if (i.config.flaky && failing) throw ApplicationFailure.nonRetryable('service down');
    return { output: { value: `${i.nodeId}-out`, from: i.config.from ?? null } };
  },
};

/** a → b (fails while the flag is set) → c, which reads a's output from the context. */
function plan(nodeIds = ['a', 'b', 'c']): Plan {
  const nodes: Record<string, PlanNode> = {
    t: {
      id: 't',
      type: 'control.trigger',
      label: 't',
      kind: 'control',
      primitive: 'trigger',
      timeoutMs: 10_000,
      retries: 1,
      config: {},
      next: { out: [nodeIds[0]] },
      incoming: 0,
    },
  };
  nodeIds.forEach((id, i) => {
    nodes[id] = {
      id,
      type: 'test.retryStep',
      label: id,
      kind: 'activity',
      activity: 'test.retryStep',
      timeoutMs: 10_000,
      retries: 1,
      config: id === 'b' ? { flaky: true } : id === 'c' ? { from: '=nodes.a.value' } : {},
      next: { ok: nodeIds[i + 1] ? [nodeIds[i + 1]] : [] },
      incoming: 1,
    };
  });
  return { hash: crypto.randomUUID(), trigger: 't', nodes };
}

async function addVersion(p: Plan): Promise<number> {
  const graph = {
    nodes: Object.keys(p.nodes).map((id, i) => ({ id, type: p.nodes[id].type, position: { x: 0, y: i * 100 }, data: { config: p.nodes[id].config } })),
    edges: [],
  };
  const [v] = await sql<{ id: number }>(
    `insert into workflow_version (definition_id, number, graph, plan, hash, message, author, published_at)
     select ?, coalesce(max(number), 0) + 1, ?, ?, ?, 'test', 'test', now() from workflow_version where definition_id = ? returning id`,
    [definitionId, JSON.stringify(graph), JSON.stringify(p), p.hash, definitionId],
  );
  return Number(v.id);
}

/** Starts a run of the version (its row written as the dispatcher would) and waits for it to fail. */
async function failedRun(): Promise<string> {
  failing = true;
  const p = plan();
  const versionId = await addVersion(p);
  const workflowId = `retry-test-${crypto.randomUUID().slice(0, 8)}`;
  const trigger = { type: 'manual', payload: { orderId: 1 } };
  const handle = await client.workflow.start('interpreter', { taskQueue: app.taskQueue, workflowId, args: [{ plan: p, trigger }] });
  await ensureRun(app.db.orm.em.fork(), workflowId, { triggerType: trigger.type, triggerPayload: trigger.payload, definitionId, versionId });
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const [run] = await sql('select status from workflow_run where workflow_id = ?', [workflowId]);
  expect(run.status).toBe('failed');
  return workflowId;
}

const callsOf = (workflowId: string) => calls.filter((c) => c.workflowId === workflowId).map((c) => c.nodeId);
const domainError = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return { status: e.status, code: e.code };
    throw e;
  }
  throw new Error('no error');
};

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  testWorker = await startTestWorker({ orm: app.db.orm, taskQueue: app.taskQueue, activities: testActivities });
  ({ id: definitionId } = await createDefinition(app.db.orm, { key: 'retry-test', name: 'Retry test', kind: 'other' }, actor));
}, 180_000);

afterAll(async () => {
  await testWorker?.stop();
  await connection?.close();
  await app?.stop();
});

describe('retrying a failed run', () => {
  it('resumes at the failed step on the pinned version without running the earlier steps again', async () => {
    const original = await failedRun();
    expect(callsOf(original)).toEqual(['a', 'b']);
    // A newer version without the failed node: retrying on it is refused.
    await addVersion(plan(['a', 'c']));
    expect(await domainError(retryRun(app.db.orm, client, app.taskQueue, original, { version: 'latest' }, actor))).toEqual({
      status: 409,
      code: 'node_missing',
    });

    failing = false;
    const retryId = await retryRun(app.db.orm, client, app.taskQueue, original, { version: 'pinned' }, actor);
    expect(retryId).toBe(`${original}-retry-1`);
    const state = (await client.workflow.getHandle(retryId).result()) as RunState;
    expect(state.status).toBe('completed');
    expect(callsOf(retryId)).toEqual(['b', 'c']);
    // c read a's output, carried over from the failed run.
    expect(calls.find((c) => c.workflowId === retryId && c.nodeId === 'c')!.value).toBe('a-out');
    expect(state.steps.a.status).toBe('done');
    expect(state.steps.b).toMatchObject({ status: 'done', visits: 1 });

    const [orig] = await sql('select definition_id, version_id from workflow_run where workflow_id = ?', [original]);
    const [row] = await sql('select definition_id, version_id, status from workflow_run where workflow_id = ?', [retryId]);
    expect(row).toMatchObject({ definition_id: orig.definition_id, version_id: orig.version_id, status: 'completed' });
    const steps = await sql<{ node_id: string; status: string }>(
      'select s.node_id, s.status from workflow_run_step s join workflow_run r on r.id = s.run_id where r.workflow_id = ?',
      [retryId],
    );
    expect(Object.fromEntries(steps.map((s) => [s.node_id, s.status]))).toMatchObject({ b: 'done', c: 'done' });
    const audits = await sql<{ after: Record<string, unknown> }>(`select after from audit_event where action = 'workflow.run_retried'`);
    expect(audits.map((a) => a.after)).toContainEqual(expect.objectContaining({ workflowId: retryId, from: original, nodeId: 'b', version: 'pinned' }));

    // Only failed or compensated runs can be retried.
    expect(await domainError(retryRun(app.db.orm, client, app.taskQueue, retryId, { version: 'pinned' }, actor))).toEqual({
      status: 409,
      code: 'run_not_retryable',
    });
  });

  it('numbers further retries and falls back to the recorded steps when Temporal no longer answers the query', async () => {
    const original = await failedRun();
    failing = true;
    const first = await retryRun(app.db.orm, client, app.taskQueue, original, { version: 'pinned' }, actor);
    await expect(client.workflow.getHandle(first).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    failing = false;
    // The retry also failed at b; retrying the original again takes the next number.
    const second = await retryRun(app.db.orm, client, app.taskQueue, original, { version: 'pinned' }, actor);
    expect(second).toBe(`${original}-retry-2`);
    expect(((await client.workflow.getHandle(second).result()) as RunState).status).toBe('completed');
    expect(callsOf(second)).toEqual(['b', 'c']);

    // Without an answer from Temporal the recorded steps and the trigger give the same picture.
    const silent = {
      withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
      workflow: { getHandle: () => ({ query: () => Promise.reject(new Error('gone')), result: () => Promise.reject(new Error('gone')) }) },
    } as unknown as Client;
    const [row] = await sql('select id from workflow_run where workflow_id = ?', [first]);
    const fromRows = await readFailedState(app.db.orm, silent, {
      id: Number(row.id),
      workflowId: first,
      triggerType: 'manual',
      triggerPayload: { orderId: 1 },
    });
    expect(fromRows).toMatchObject({
      source: 'rows',
      failedNodeId: 'b',
      statuses: { a: 'done', b: 'failed' },
      context: { trigger: { type: 'manual', payload: { orderId: 1 } }, nodes: { a: { value: 'a-out' } } },
    });
  });

  it('offers the retry on the run view to editors, with CSRF, and redirects to the new run', async () => {
    const original = await failedRun();
    failing = false;
    const user = (role: string) => app.credentials.users.find((u) => u.role === role)!;
    const agent = new Browser(app.url);
    await agent.login(user('agent').email, app.password('agent'));
    expect(await (await agent.get(`/workflows/runs/${original}`)).text()).not.toContain('data-testid="run-retry"');
    expect((await agent.post(`/workflows/runs/${original}`, { intent: 'retry', version: 'pinned' })).status).toBe(403);

    const ops = new Browser(app.url);
    await ops.login(user('ops_manager').email, app.password('ops_manager'));
    expect(await (await ops.get(`/workflows/runs/${original}`)).text()).toContain('data-testid="run-retry"');
    expect((await ops.post(`/workflows/runs/${original}`, { intent: 'retry', version: 'pinned' }, { csrf: false })).status).toBe(403);
    const res = await ops.post(`/workflows/runs/${original}`, { intent: 'retry', version: 'pinned' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/workflows/runs/${original}-retry-1`);
    expect(((await client.workflow.getHandle(`${original}-retry-1`).result()) as RunState).status).toBe('completed');
    expect(callsOf(`${original}-retry-1`)).toEqual(['b', 'c']);

    // The latest version lacks b: refused with the reason shown on the page.
    await addVersion(plan(['a', 'c']));
    const refused = await ops.post(`/workflows/runs/${original}`, { intent: 'retry', version: 'latest' });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('data-testid="run-retry-error"');
  });
});
