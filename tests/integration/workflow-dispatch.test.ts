// From outbox row to finished run, on the real PostgreSQL and the real Temporal dev server: the
// dispatcher starts runs with deterministic ids (a duplicate start is harmless, an unreachable
// Temporal only delays, and so does one that hangs: no transaction or lock is held while it is called),
// the worker's interceptor and run events record the history, a human task
// appears in the console inbox for its roles and the decision API (or the inbox page) completes it,
// and order status changes reach the run as signals.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import type { Actor } from '../../app/lib/audit.server.ts';
import { dispatchPass, releaseLease, startDispatcher, takeLease, type Dispatcher } from '../../app/modules/workflows/dispatcher.server.ts';
import { createBinding, createDefinition, publish } from '../../app/modules/workflows/service.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startTestWorker } from '../support/worker.ts';
import { tcpProxy } from '../support/proxy.ts';
import { Browser, signIn } from '../support/http.ts';
import { testEnv } from '../support/env.ts';
import { sleep, waitFor } from '../support/wait.ts';

let app: TestApp,
  testWorker: Awaited<ReturnType<typeof startTestWorker>> | undefined,
  connection: Connection,
  client: Client,
  dispatcher: Dispatcher | null = null;
const actor: Actor = { type: 'user', id: 2, label: 'olivia@demo.test' };
const quiet = { info: () => {}, warn: () => {}, error: (...a: unknown[]) => console.error(...a) };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(q, p);
const emailed: string[] = [];

/** Stand-ins for the business steps this flow uses (their own tests cover the real ones). */
const testActivities = {
  'notifications.email': async (i: NodeActivityInput) => {
    emailed.push(i.key);
    return { output: { template: i.config.template, queued: true } };
  },
};

const node = (id: string, type: string, config: Record<string, unknown>, y: number) => ({ id, type, position: { x: 0, y }, data: { config } });
const edge = (source: string, handle: string, target: string) => ({ id: `${source}.${handle}->${target}`, source, sourceHandle: handle, target });

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  testWorker = await startTestWorker({ orm: app.db.orm, taskQueue: app.taskQueue, activities: testActivities });

  // Only this test's flow listens to order.created (the seeded flows need the real business steps).
  await sql('update workflow_binding set active = false');
  const { id } = await createDefinition(
    app.db.orm,
    {
      key: 'approval-test',
      name: 'Approval test',
      kind: 'order',
      graph: {
        nodes: [
          node('trigger', 'control.trigger', { event: 'order.created' }, 0),
          node('approve', 'control.human', { title: 'Approve this order', roles: ['ops_manager'], timeout: '1h' }, 100),
          node('email', 'notifications.email', { template: 'order_confirmation' }, 200),
          node('wait_packed', 'control.signal', { signal: 'packed', timeout: '1h' }, 300),
          node('end', 'control.end', { result: 'complete' }, 400),
          node('end_rejected', 'control.end', { result: 'complete', message: 'rejected' }, 200),
        ],
        edges: [
          edge('trigger', 'out', 'approve'),
          edge('approve', 'approved', 'email'),
          edge('approve', 'rejected', 'end_rejected'),
          edge('approve', 'timeout', 'end_rejected'),
          edge('email', 'ok', 'wait_packed'),
          edge('wait_packed', 'received', 'end'),
          edge('wait_packed', 'timeout', 'end'),
        ],
      },
    },
    actor,
  );
  await publish(app.db.orm, id, 'test', actor);
  await createBinding(app.db.orm, { event: 'order.created', definitionId: id, priority: 1 }, actor);
}, 180_000);

afterAll(async () => {
  await dispatcher?.stop();
  await testWorker?.stop();
  await connection?.close();
  await app?.stop();
});

const outbox = async (type: string, payload: Record<string, unknown>, topic = 'orders') =>
  Number(
    (
      await sql<{ id: string }>(`insert into outbox_event (topic, type, payload, created_at) values (?, ?, ?, now()) returning id`, [
        topic,
        type,
        JSON.stringify(payload),
      ])
    )[0].id,
  );
const dispatched = async (id: number) => !!(await sql('select dispatched_at from outbox_event where id = ?', [id]))[0].dispatched_at;
const runOf = async (workflowId: string) => (await sql('select * from workflow_run where workflow_id = ?', [workflowId]))[0] ?? null;
/** The columns of a workflow_run_step row the tests read (timestamps arrive as Dates, summaries as parsed jsonb). */
interface StepRow {
  node_id: string;
  status: string;
  visits: number;
  started_at: Date | null;
  ended_at: Date | null;
  input_summary: Record<string, unknown> | null;
  output_summary: Record<string, unknown> | null;
  error: string | null;
}
const stepsOf = async (workflowId: string): Promise<Record<string, StepRow>> =>
  Object.fromEntries(
    (await sql<StepRow>('select s.* from workflow_run_step s join workflow_run r on r.id = s.run_id where r.workflow_id = ?', [workflowId])).map((s) => [
      s.node_id,
      s,
    ]),
  );
const openTaskOf = async (workflowId: string) =>
  (await sql<{ id: number; node_id: string; status: string }>(`select * from human_task where workflow_id = ? and status = 'open'`, [workflowId]))[0] ?? null;
const orderIds = async () => (await sql<{ id: number }>('select id from sales_order order by id limit 5')).map((r) => Number(r.id));
const signedIn = (role: string) => signIn(app, role);
const decide = (b: Browser, taskId: number, body: unknown) =>
  fetch(`${app.url}/api/v1/workflows/tasks/${taskId}/decision`, {
    method: 'POST',
    headers: { Cookie: b.cookieHeader, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('dispatching', () => {
  it('keeps a start waiting while Temporal is unreachable, then starts it', async () => {
    const [orderId] = await orderIds();
    const row = await outbox('order.created', { orderId, number: 'T-1' });
    const down = await dispatchPass({
      orm: app.db.orm,
      temporal: () => Promise.reject(new Error('connect ECONNREFUSED')),
      taskQueue: app.taskQueue,
      log: quiet,
    });
    expect(down.blocked?.message).toMatch(/ECONNREFUSED/);
    expect(await dispatched(row)).toBe(false);
    expect(await runOf(`order-${orderId}`)).toBeNull();

    const up = await dispatchPass({ orm: app.db.orm, temporal: async () => client, taskQueue: app.taskQueue, log: quiet });
    expect(up.blocked).toBeUndefined();
    expect(up.outcomes).toContainEqual(expect.objectContaining({ outboxId: row, kind: 'started', workflowId: `order-${orderId}` }));
    expect(await dispatched(row)).toBe(true);
  });

  it('holds no transaction or lock while Temporal is slow: the call times out, the row waits, another pass is turned away', async () => {
    const proxy = await tcpProxy(testEnv.temporalAddress);
    const slowConnection = await Connection.connect({ address: proxy.address });
    try {
      const slow = new Client({ connection: slowConnection });
      await slow.workflow.count(); // connected through the proxy before it stalls
      const orderId = (await orderIds())[4];
      const row = await outbox('order.created', { orderId, number: 'T-5' });
      proxy.stall();
      const pass = dispatchPass({ orm: app.db.orm, temporal: async () => slow, taskQueue: app.taskQueue, log: quiet, callTimeoutMs: 1_500 });
      await waitFor(async () => (await sql(`select holder from lease where name = 'outbox'`)).length > 0);
      await sleep(300); // the start call is on its way to the stalled Temporal now
      // Meanwhile: no transaction of ours is open, the row is free to lock, and a second dispatcher is turned away (not made to wait).
      expect(await sql(`select pid from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`)).toEqual([]);
      await app.db.orm.em.fork().transactional((em) => em.execute('select id from outbox_event where id = ? for update nowait', [row]));
      expect(await dispatchPass({ orm: app.db.orm, temporal: async () => client, taskQueue: app.taskQueue, log: quiet })).toMatchObject({
        busy: true,
        claimed: 0,
      });

      const r = await pass;
      expect(r.blocked?.message).toMatch(/deadline/i);
      expect(await dispatched(row)).toBe(false);
      expect(await sql(`select holder from lease where name = 'outbox'`)).toEqual([]);

      proxy.resume();
      const up = await dispatchPass({ orm: app.db.orm, temporal: async () => client, taskQueue: app.taskQueue, log: quiet });
      expect(up.outcomes).toContainEqual(expect.objectContaining({ outboxId: row, workflowId: `order-${orderId}` }));
      expect(await dispatched(row)).toBe(true);
    } finally {
      proxy.resume();
      await slowConnection.close();
      await proxy.close();
    }
  });

  it('keeps the lease from a second dispatcher until its holder lets go or it expires', async () => {
    const em = app.db.orm.em.fork();
    expect(await takeLease(em, 'test', 'a', 400)).toBe(true);
    expect(await takeLease(em, 'test', 'b', 400)).toBe(false);
    expect(await takeLease(em, 'test', 'a', 400)).toBe(true); // renewed by its holder
    await sleep(500);
    expect(await takeLease(em, 'test', 'b', 60_000)).toBe(true); // a died: b takes over once it expired
    await releaseLease(em, 'test', 'a');
    expect(await takeLease(em, 'test', 'a', 400)).toBe(false); // a's release does not free b's lease
    await releaseLease(em, 'test', 'b');
    expect(await takeLease(em, 'test', 'a', 400)).toBe(true);
    await releaseLease(em, 'test', 'a');
  });

  it('starts order-<id> from an outbox row, records the run and its steps, and shrugs off a duplicate start', async () => {
    dispatcher = startDispatcher({ orm: app.db.orm, databaseUrl: app.db.url, temporal: async () => client, taskQueue: app.taskQueue, log: quiet, pollMs: 300 });
    const [, orderId] = await orderIds();
    const workflowId = `order-${orderId}`;
    const row = await outbox('order.created', { orderId, number: 'T-2' });
    await waitFor(() => dispatched(row));
    const run = await waitFor(() => runOf(workflowId));
    const [def] = await sql(
      `select d.id, v.id as version_id from workflow_definition d join workflow_version v on v.definition_id = d.id where d.key = 'approval-test'`,
    );
    expect(run).toMatchObject({
      status: 'running',
      trigger_type: 'order.created',
      entity_type: 'Order',
      entity_id: String(orderId),
      definition_id: def.id,
      version_id: def.version_id,
    });
    // The trigger carries the order's facts for expressions and filters.
    const [order] = await sql('select payment_method, total_minor from sales_order where id = ?', [orderId]);
    expect(run.trigger_payload).toMatchObject({ orderId, number: 'T-2', paymentMethod: order.payment_method, totalMinor: Number(order.total_minor) });

    const firstRunId = (await client.workflow.getHandle(workflowId).describe()).runId;
    const again = await outbox('order.created', { orderId, number: 'T-2' });
    await waitFor(() => dispatched(again));
    expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(firstRunId);
    expect(await sql('select id from workflow_run where workflow_id = ?', [workflowId])).toHaveLength(1);

    // The run waits on its human step; the task is in the inbox of the roles that may decide it.
    const task = await waitFor(() => openTaskOf(workflowId));
    expect(task).toMatchObject({ node_id: 'approve', title: 'Approve this order', roles: ['ops_manager'], entity_type: 'Order', entity_id: String(orderId) });
    const steps = await waitFor(async () => {
      const s = await stepsOf(workflowId);
      return s.approve?.status === 'running' ? s : null;
    });
    expect(steps.trigger).toMatchObject({ status: 'done', visits: 1 });
    expect(steps.approve).toMatchObject({ status: 'running', visits: 1 });
    expect(
      await sql(`select id from outbox_event where topic = 'workflows' and type = 'task.opened' and payload ->> 'workflowId' = ?`, [workflowId]),
    ).toHaveLength(1);
  });

  it('shows the task to its roles only, and the decision API completes it (once)', async () => {
    const [, orderId] = await orderIds();
    const workflowId = `order-${orderId}`;
    const task = await waitFor(() => openTaskOf(workflowId));

    const ops = await signedIn('ops_manager');
    const agent = await signedIn('agent');
    const inboxOps = await ops.get('/workflows/tasks');
    expect(inboxOps.status).toBe(200);
    expect(await inboxOps.text()).toContain(`data-testid="task-${task.id}"`);
    const inboxAgent = await agent.get('/workflows/tasks');
    expect(inboxAgent.status).toBe(200);
    expect(await inboxAgent.text()).not.toContain(`data-testid="task-${task.id}"`);
    expect((await (await signedIn('warehouse')).get('/workflows/tasks')).status).toBe(403);

    const refused = await decide(agent, task.id, { decision: 'approved' });
    expect(refused.status).toBe(403);
    expect((await openTaskOf(workflowId))?.id).toBe(task.id);
    expect((await decide(ops, task.id, { decision: 'maybe' })).status).toBe(422);

    const ok = await decide(ops, task.id, { decision: 'approved', comment: 'looks fine' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      id: task.id,
      status: 'approved',
      decidedBy: app.credentials.users.find((u) => u.role === 'ops_manager')!.email,
      comment: 'looks fine',
    });
    expect((await decide(ops, task.id, { decision: 'rejected' })).status).toBe(409);
    expect(await sql(`select id from audit_event where action = 'workflow.task_decided' and entity_id = ?`, [String(task.id)])).toHaveLength(1);

    // The run went on: the email step ran (recorded by the interceptor) and it now waits to be packed.
    const steps = await waitFor(async () => {
      const s = await stepsOf(workflowId);
      return s.wait_packed?.status === 'running' ? s : null;
    });
    expect(steps.approve).toMatchObject({ status: 'done', output_summary: { handle: 'approved', output: { decision: 'approved', comment: 'looks fine' } } });
    expect(steps.email).toMatchObject({
      status: 'done',
      visits: 1,
      input_summary: { activity: 'notifications.email', config: { template: 'order_confirmation' } },
      output_summary: { handle: 'ok', output: { queued: true } },
    });
    expect(new Date(steps.email.ended_at!).getTime()).toBeGreaterThanOrEqual(new Date(steps.email.started_at!).getTime());
    expect(emailed).toEqual([`${workflowId}:email:1`]);
    // Announced done (and running first only if it took longer than RUNNING_AFTER_MS, activities/interceptors.ts).
    const announced = await sql(`select payload from outbox_event where type = 'run.step' and payload ->> 'workflowId' = ? order by id`, [workflowId]);
    expect(announced.at(-1)).toEqual({ payload: { workflowId, nodeId: 'email', status: 'done' } });
    expect(announced.slice(0, -1)).toEqual(announced.length === 2 ? [{ payload: { workflowId, nodeId: 'email', status: 'running', attempt: 1 } }] : []);
  });

  it('forwards order status changes as signals, and the run completes', async () => {
    const [, orderId, other] = await orderIds();
    const workflowId = `order-${orderId}`;
    const ignored = await outbox('order.status_changed', { orderId: other, from: 'picking', to: 'packed' }); // no run for that order: nothing to do
    const unrelated = await outbox('order.status_changed', { orderId, from: 'received', to: 'validated' });
    const packed = await outbox('order.status_changed', { orderId, from: 'picking', to: 'packed' });
    await waitFor(async () => (await dispatched(ignored)) && (await dispatched(unrelated)) && dispatched(packed));
    const run = await waitFor(async () => {
      const r = await runOf(workflowId);
      return r?.status === 'completed' ? r : null;
    });
    expect(run.ended_at).not.toBeNull();
    const steps = await stepsOf(workflowId);
    expect(Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, s.status]))).toEqual({
      trigger: 'done',
      approve: 'done',
      email: 'done',
      wait_packed: 'done',
      end: 'done',
      end_rejected: 'skipped',
    });
    expect(steps.wait_packed.output_summary).toMatchObject({ handle: 'received', output: { to: 'packed' } });
    expect((await sql(`select status from human_task where workflow_id = ?`, [workflowId]))[0].status).toBe('approved');
    const updates = await sql<{ payload: { event: string; status: string } }>(
      `select payload from outbox_event where type = 'run.updated' and payload ->> 'workflowId' = ? order by id`,
      [workflowId],
    );
    expect(updates.map((u) => u.payload.event)).toEqual(expect.arrayContaining(['started', 'waiting', 'finished']));
    expect(updates.at(-1)!.payload).toMatchObject({ event: 'finished', status: 'completed' });
  });

  it('lets the inbox page reject a task with its CSRF token', async () => {
    const [, , , orderId] = await orderIds();
    const workflowId = `order-${orderId}`;
    await outbox('order.created', { orderId, number: 'T-4' });
    const task = await waitFor(() => openTaskOf(workflowId));
    const ops = await signedIn('ops_manager');
    expect((await ops.post('/workflows/tasks', { id: String(task.id), decision: 'rejected', comment: 'no' }, { csrf: false })).status).toBe(403);
    const res = await ops.post('/workflows/tasks', { id: String(task.id), decision: 'rejected', comment: 'no' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-testid="task-decided"');
    const run = await waitFor(async () => {
      const r = await runOf(workflowId);
      return r?.status === 'completed' ? r : null;
    });
    expect(run.status).toBe('completed');
    const steps = await stepsOf(workflowId);
    expect(steps.end_rejected.status).toBe('done');
    expect(steps.email.status).toBe('skipped');
  });

  it('marks rows nothing listens to as dispatched without starting anything', async () => {
    const row = await outbox('return.requested', { returnId: 424242, orderId: 1 }, 'service');
    const other = await outbox('stock.adjusted', { levelId: 1 }, 'inventory');
    await waitFor(async () => (await dispatched(row)) && dispatched(other));
    expect(await runOf('return-424242')).toBeNull();
  });
});
