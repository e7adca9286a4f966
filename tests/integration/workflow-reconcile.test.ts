// Runs ended from outside their flow, on the real PostgreSQL and the real Temporal dev server: a run
// waiting on a person is terminated with the Temporal client (as the Web UI or `temporal workflow
// terminate` would) and another times out; the worker's reconciler records them (status, end time, the
// open task withdrawn, the steps still waiting ended with the run, an audit event, the live
// `run.updated` event), leaves running runs alone, and the console's run list filter and run view show
// the new status of the run and of its steps. A run cancelled in Temporal records its own end (see
// workflow-cancel.test.ts), which the reconciler leaves; it records one that could not.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Duration } from '@temporalio/common';
import type { Plan } from '../../workflows/graph.ts';
import { ensureRun } from '../../app/modules/workflows/runs.server.ts';
import { reconcileRuns, startRunReconciler } from '../../app/modules/workflows/reconciler.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startTestWorker } from '../support/worker.ts';
import { Browser } from '../support/http.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

let app: TestApp, testWorker: Awaited<ReturnType<typeof startTestWorker>> | undefined, connection: Connection, client: Client;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(q, p);

/** trigger → a human approval (an open task in the inbox) → end. */
const plan: Plan = {
  hash: crypto.randomUUID(),
  trigger: 't',
  nodes: {
    t: {
      id: 't',
      type: 'control.trigger',
      label: 't',
      kind: 'control',
      primitive: 'trigger',
      timeoutMs: 10_000,
      retries: 1,
      config: {},
      next: { out: ['approve'] },
      incoming: 0,
    },
    approve: {
      id: 'approve',
      type: 'control.human',
      label: 'approve',
      kind: 'control',
      primitive: 'human',
      timeoutMs: 10_000,
      retries: 1,
      config: { title: 'Approve', roles: ['ops_manager'], timeout: '1h' },
      next: { approved: ['end'], rejected: ['end'], timeout: ['end'] },
      incoming: 1,
    },
    end: {
      id: 'end',
      type: 'control.end',
      label: 'end',
      kind: 'control',
      primitive: 'end',
      timeoutMs: 10_000,
      retries: 1,
      config: { result: 'complete' },
      next: {},
      incoming: 1,
    },
  },
};

const runOf = async (workflowId: string) => (await sql('select * from workflow_run where workflow_id = ?', [workflowId]))[0] ?? null;
const taskOf = async (workflowId: string) => (await sql('select * from human_task where workflow_id = ?', [workflowId]))[0] ?? null;
const stepsOf = async (workflowId: string) =>
  sql<{ node_id: string; status: string; error: string | null; ended: boolean }>(
    `select s.node_id, s.status, s.error, s.ended_at is not null as ended from workflow_run_step s join workflow_run r on r.id = s.run_id where r.workflow_id = ? order by s.node_id`,
    [workflowId],
  );

/** Starts a run (its row written as the dispatcher does) and waits until it waits on its task (its step recorded as such). */
async function waitingRun(opts: { workflowExecutionTimeout?: Duration } = {}): Promise<string> {
  const workflowId = `reconcile-${crypto.randomUUID().slice(0, 8)}`;
  const trigger = { type: 'manual', payload: { orderId: 1 } };
  await client.workflow.start('interpreter', { taskQueue: app.taskQueue, workflowId, args: [{ plan, trigger }], ...opts });
  await ensureRun(app.db.orm.em.fork(), workflowId, { triggerType: trigger.type, triggerPayload: trigger.payload });
  await waitFor(async () => (await taskOf(workflowId))?.status === 'open');
  await waitFor(async () => (await stepsOf(workflowId)).some((s) => s.node_id === 'approve' && ['waiting', 'running'].includes(s.status)));
  return workflowId;
}

/** Visibility (what the reconciler asks) trails the history by a moment. */
const reconcile = async (workflowId: string) =>
  waitFor(async () => (await reconcileRuns(app.db.orm, client, { staleMs: 0 })).find((c) => c.workflowId === workflowId));

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  testWorker = await startTestWorker({ orm: app.db.orm, taskQueue: app.taskQueue });
}, 180_000);

afterAll(async () => {
  await testWorker?.stop();
  await connection?.close();
  await app?.stop();
});

describe('runs ended from outside their flow', () => {
  it('records a run terminated in Temporal as terminated, withdraws its task, audits and announces it', async () => {
    const workflowId = await waitingRun();
    const other = await waitingRun();
    await client.workflow.getHandle(workflowId).terminate('stopped by an operator');

    expect(await reconcile(workflowId)).toEqual({ workflowId, status: 'terminated', temporal: 'TERMINATED' });
    const run = await runOf(workflowId);
    expect(run).toMatchObject({ status: 'terminated', error: 'Terminated in Temporal' });
    expect(run.ended_at).not.toBeNull();
    expect((await taskOf(workflowId)).status).toBe('cancelled');
    const [event] = await sql<{ actor_type: string; actor_label: string; before: Record<string, unknown>; after: { steps: unknown[] } }>(
      `select actor_type, actor_label, before, after from audit_event where action = 'workflow.run_closed' and entity_id = ?`,
      [String(run.id)],
    );
    expect(event).toMatchObject({
      actor_type: 'system',
      actor_label: 'run reconciler',
      before: { status: 'running' },
      after: { status: 'terminated', temporalStatus: 'TERMINATED' },
    });
    expect(
      await sql(`select payload from outbox_event where type = 'run.updated' and payload ->> 'workflowId' = ? and payload ->> 'status' = 'terminated'`, [
        workflowId,
      ]),
    ).toHaveLength(1);
    expect(await sql(`select payload from outbox_event where type = 'task.closed' and payload ->> 'workflowId' = ?`, [workflowId])).toHaveLength(1);
    // The step that was waiting on the person ends with the run; those done stay done. The live event and the audit name it.
    expect(await stepsOf(workflowId)).toEqual([
      { node_id: 'approve', status: 'terminated', error: 'Terminated in Temporal', ended: true },
      { node_id: 't', status: 'done', error: null, ended: true },
    ]);
    expect(
      (
        await sql(
          `select payload -> 'steps' as steps from outbox_event where type = 'run.updated' and payload ->> 'workflowId' = ? and payload ->> 'status' = 'terminated'`,
          [workflowId],
        )
      )[0].steps,
    ).toEqual([{ nodeId: 'approve', status: 'terminated' }]);
    expect(event.after.steps).toEqual([{ nodeId: 'approve', before: expect.stringMatching(/^(waiting|running)$/), status: 'terminated' }]);

    // The run still waiting is left alone, and a second look changes nothing.
    expect((await reconcileRuns(app.db.orm, client, { staleMs: 0 })).map((c) => c.workflowId)).not.toContain(workflowId);
    expect(await runOf(other)).toMatchObject({ status: 'running', ended_at: null });
    expect((await taskOf(other)).status).toBe('open');
    expect((await stepsOf(other)).find((s) => s.node_id === 'approve')).toMatchObject({ status: expect.stringMatching(/^(waiting|running)$/), ended: false });
    expect(await sql(`select id from audit_event where action = 'workflow.run_closed' and entity_id = ?`, [String(run.id)])).toHaveLength(1);
    await client.workflow.getHandle(other).terminate('clean up');
  });

  it('records a run that timed out in Temporal as failed', async () => {
    const workflowId = await waitingRun({ workflowExecutionTimeout: '2s' });
    await waitFor(async () => (await client.workflow.getHandle(workflowId).describe()).status.name === 'TIMED_OUT', 10_000);
    expect(await reconcile(workflowId)).toEqual({ workflowId, status: 'failed', temporal: 'TIMED_OUT' });
    expect(await runOf(workflowId)).toMatchObject({ status: 'failed', error: 'Timed out in Temporal' });
    expect((await stepsOf(workflowId)).find((s) => s.node_id === 'approve')).toEqual({
      node_id: 'approve',
      status: 'terminated',
      error: 'Timed out in Temporal',
      ended: true,
    });
  });

  it('leaves a run cancelled in Temporal as the run recorded it, and records one that could not as cancelled, its waiting step too', async () => {
    const workflowId = await waitingRun();
    await client.workflow.getHandle(workflowId).cancel();
    await waitFor(async () => (await client.workflow.getHandle(workflowId).describe()).status.name === 'CANCELLED', 10_000);
    // The run recorded its own end (cancellation-saga): nothing is left for the reconciler.
    expect(await runOf(workflowId)).toMatchObject({ status: 'cancelled', error: 'Cancelled in Temporal' });
    expect((await stepsOf(workflowId)).find((s) => s.node_id === 'approve')).toMatchObject({ status: 'cancelled', ended: true });
    expect((await taskOf(workflowId)).status).toBe('cancelled');
    expect((await reconcileRuns(app.db.orm, client, { staleMs: 0 })).map((c) => c.workflowId)).not.toContain(workflowId);
    expect(await sql(`select id from audit_event where action = 'workflow.run_closed' and entity_id = ?`, [String((await runOf(workflowId)).id)])).toEqual([]);

    // As a run that closed without recording it would be (one started before cancellation-saga, or whose worker could not write).
    const { id } = await runOf(workflowId);
    await sql(`update workflow_run set status = 'running', error = null, ended_at = null where id = ?`, [id]);
    await sql(`update workflow_run_step set status = 'waiting', error = null, ended_at = null where run_id = ? and node_id = 'approve'`, [id]);
    expect(await reconcile(workflowId)).toEqual({ workflowId, status: 'cancelled', temporal: 'CANCELLED' });
    expect(await runOf(workflowId)).toMatchObject({ status: 'cancelled', error: 'Cancelled in Temporal' });
    expect((await stepsOf(workflowId)).find((s) => s.node_id === 'approve')).toMatchObject({ status: 'cancelled', ended: true });
  });

  it('runs in the worker: at start, and then for runs unchanged for its interval', async () => {
    const workflowId = await waitingRun();
    await client.workflow.getHandle(workflowId).terminate('stopped by an operator');
    const logged: string[] = [];
    const reconciler = startRunReconciler({
      orm: app.db.orm,
      temporal: async () => client,
      intervalMs: 200,
      log: { info: (m: string) => logged.push(m), warn: () => {} },
    });
    try {
      await waitFor(async () => (await runOf(workflowId))?.status === 'terminated');
    } finally {
      await reconciler.stop();
    }
    expect(logged).toContain(`run ${workflowId} was terminated in Temporal; recorded as terminated`);
  });

  it('shows terminated runs in the run list filter and the run view', async () => {
    const [{ workflow_id: workflowId }] = await sql<{ workflow_id: string }>(
      `select workflow_id from workflow_run where status = 'terminated' order by id limit 1`,
    );
    const ops = new Browser(app.url);
    await ops.login(app.credentials.users.find((u) => u.role === 'ops_manager')!.email, app.password('ops_manager'));
    const list = await (await ops.get('/workflows?status=terminated')).text();
    expect(list).toContain('<option value="terminated" selected="">Terminated</option>');
    expect(list).toContain(workflowId);
    expect(await (await ops.get('/workflows?status=running')).text()).not.toContain(workflowId);
    const view = await (await ops.get(`/workflows/runs/${encodeURIComponent(workflowId)}`)).text();
    expect(view).toMatch(/data-testid="run-status" data-status="terminated">Terminated</);
    expect(view).toMatch(/<tr data-node="approve">.*?<td>terminated<\/td>/s);
    await ops.post('/locale', { locale: 'zh-TW', redirectTo: '/' });
    expect(await (await ops.get(`/workflows/runs/${encodeURIComponent(workflowId)}`)).text()).toMatch(/<tr data-node="approve">.*?<td>已終止<\/td>/s);
  });
});
