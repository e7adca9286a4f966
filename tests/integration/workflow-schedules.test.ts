// Bindings that start flows without an event, on the real PostgreSQL and the real Temporal dev server:
// a `schedule` binding gets a Temporal Schedule (created, paused, deleted with the binding), whose tick
// starts the flow through the dispatcher; a `manual` binding starts it from "Run now" with an input.
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createBinding, createDefinition, deleteBinding, publish, updateBinding } from '../../app/modules/workflows/service.server.ts';
import { parseCron, runBindingNow, scheduleIdFor, syncSchedules } from '../../app/modules/workflows/schedules.server.ts';
import { dispatchPass } from '../../app/modules/workflows/dispatcher.server.ts';
import type { Graph } from '../../workflows/graph.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWorker } from '../support/worker.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
let connection: Connection;
let client: Client;
let definitionId: number;
const taskQueue = `schedules-${Date.now()}`;
const actor = { ...SYSTEM, label: 'tester' };
const quiet = { info: () => {}, warn: () => {}, error: (...a: unknown[]) => console.error(...a) };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const dispatch = () => dispatchPass({ orm: db.orm, temporal: async () => client, taskQueue, log: quiet });

const node = (id: string, type: string, config: Record<string, unknown> = {}, y = 0) => ({ id, type, position: { x: 0, y }, data: { config } });
/** trigger → a condition on the input → end: enough to see the run start, read its trigger and finish. */
const nightly: Graph = {
  nodes: [
    node('trigger', 'control.trigger', { event: 'schedule' }),
    node('check', 'control.condition', { expression: "input.note = 'hello' or $exists(firing)" }, 100),
    node('end', 'control.end', {}, 200),
    node('other', 'control.end', {}, 300),
  ],
  edges: [
    { id: 'a', source: 'trigger', sourceHandle: 'out', target: 'check' },
    { id: 'b', source: 'check', sourceHandle: 'true', target: 'end' },
    { id: 'c', source: 'check', sourceHandle: 'false', target: 'other' },
  ],
};

beforeAll(async () => {
  db = await createTestDatabase('schedules');
  definitionId = (await createDefinition(db.orm, { key: 'nightly', name: 'Nightly', kind: 'other', graph: nightly }, actor)).id;
  await publish(db.orm, definitionId, 'v1', actor);
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  worker = await startTestWorker({ orm: db.orm, taskQueue });
}, 120_000);

afterAll(async () => {
  await syncSchedules(db.orm, client, taskQueue).catch(() => {});
  await worker?.stop();
  await connection?.close();
  await db?.drop();
});

const runOf = (workflowId: string) =>
  sql<{ status: string; trigger_type: string; trigger_payload: Record<string, unknown> }>(
    'select status, trigger_type, trigger_payload from workflow_run where workflow_id = ?',
    [workflowId],
  ).then((r) => r[0] ?? null);

describe('cron expressions', () => {
  it('takes five-field UTC crons (checked by cron-parser) and says when they run next', () => {
    expect(parseCron('0 6 * * 1-5', 2, new Date('2026-12-04T07:00:00Z'))).toEqual({ next: ['2026-12-07T06:00:00.000Z', '2026-12-08T06:00:00.000Z'] });
    for (const bad of ['every day', '* * * *', '61 * * * *', '* * * * * *', '0 6 * * MONX', '']) expect(parseCron(bad), bad).toBeNull();
  });

  it('refuses a binding with a bad cron, naming the field, and writes nothing', async () => {
    await expect(createBinding(db.orm, { event: 'schedule', cron: 'every day', definitionId, active: true }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'cron', code: 'invalid_cron' })],
    });
    expect(await sql(`select count(*)::int as n from workflow_binding where cron = 'every day'`)).toEqual([{ n: 0 }]);
  });
});

describe('a schedule binding', () => {
  it('gets a Temporal Schedule that follows it (paused, deleted), and its tick starts the flow once', async () => {
    const binding = await createBinding(db.orm, { event: 'schedule', cron: '0 6 * * *', definitionId, active: true }, actor);
    expect(await syncSchedules(db.orm, client, taskQueue)).toEqual({ created: 1, updated: 0, deleted: 0 });
    const handle = client.schedule.getHandle(scheduleIdFor(taskQueue, binding.id));
    const described = await handle.describe();
    expect(described.state.paused).toBe(false);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'fireBinding', taskQueue, args: [{ bindingId: binding.id }] });

    // A tick (triggered now instead of at 06:00): the firing is recorded once, and the dispatcher starts the run.
    await handle.trigger();
    await waitFor(
      'the firing',
      async () => (await sql(`select 1 from outbox_event where type = 'schedule' and (payload ->> 'bindingId')::int = ?`, [binding.id])).length > 0,
    );
    const pass = await dispatch();
    const started = pass.outcomes.find((o) => o.kind === 'started' && o.workflowId.startsWith(`schedule-${binding.id}-`));
    expect(started).toBeTruthy();
    const workflowId = (started as { workflowId: string }).workflowId;
    const run = await waitFor('the run to complete', async () => {
      const r = await runOf(workflowId);
      return r?.status === 'completed' ? r : null;
    });
    expect(run).toMatchObject({ trigger_type: 'schedule', trigger_payload: expect.objectContaining({ bindingId: binding.id }) });
    expect(await sql(`select count(*)::int as n from outbox_event where type = 'schedule' and (payload ->> 'bindingId')::int = ?`, [binding.id])).toEqual([
      { n: 1 },
    ]);

    // Deactivated: paused. Deleted: gone.
    await updateBinding(db.orm, binding.id, { active: false }, actor);
    expect(await syncSchedules(db.orm, client, taskQueue, binding.id)).toMatchObject({ updated: 1 });
    expect((await handle.describe()).state.paused).toBe(true);
    await updateBinding(db.orm, binding.id, { cron: '30 22 * * 5', active: true }, actor);
    await syncSchedules(db.orm, client, taskQueue, binding.id);
    expect((await handle.describe()).state.paused).toBe(false);
    await deleteBinding(db.orm, binding.id, actor);
    expect(await syncSchedules(db.orm, client, taskQueue)).toMatchObject({ deleted: 1 });
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

describe('a manual binding', () => {
  it('starts its flow from "Run now" with the input given, audited; refuses bad input and other bindings', async () => {
    const binding = await createBinding(db.orm, { event: 'manual', definitionId, active: true }, actor);
    const { requestId } = await runBindingNow(db.orm, binding.id, { note: 'hello' }, actor);
    const pass = await dispatch();
    const workflowId = `manual-${binding.id}-${requestId}`;
    expect(pass.outcomes).toContainEqual(expect.objectContaining({ kind: 'started', workflowId }));
    const run = await waitFor('the run to complete', async () => {
      const r = await runOf(workflowId);
      return r?.status === 'completed' ? r : null;
    });
    expect(run.trigger_payload).toMatchObject({ bindingId: binding.id, input: { note: 'hello' } });
    expect(await sql(`select count(*)::int as n from audit_event where action = 'workflow.run_requested' and entity_id = ?`, [String(binding.id)])).toEqual([
      { n: 1 },
    ]);

    const manualRows = () => sql(`select count(*)::int as n from outbox_event where type = 'manual'`);
    const before = await manualRows();
    await expect(runBindingNow(db.orm, binding.id, { note: 'x\u0000' }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'input.note', code: 'nul_character' })],
    });
    await expect(runBindingNow(db.orm, binding.id, [1, 2], actor)).rejects.toMatchObject({ status: 422 });
    // A card number would end up in Temporal's history with the trigger.
    await expect(runBindingNow(db.orm, binding.id, { payment: { card: '4242 4242 4242 4242' } }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'input.payment.card', code: 'card_number_not_allowed' })],
    });
    const onEvent = await createBinding(db.orm, { event: 'order.created', definitionId, active: true }, actor);
    await expect(runBindingNow(db.orm, onEvent.id, {}, actor)).rejects.toMatchObject({ status: 409, code: 'not_runnable' });
    await updateBinding(db.orm, binding.id, { active: false }, actor);
    await expect(runBindingNow(db.orm, binding.id, {}, actor)).rejects.toMatchObject({ status: 409, code: 'binding_inactive' });
    expect(await manualRows()).toEqual(before);
  });
});
