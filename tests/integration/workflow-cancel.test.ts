// Runs cancelled from outside their flow (Temporal's Web UI "Request cancellation", `temporal workflow
// cancel`, a client's WorkflowHandle.cancel()), on the real PostgreSQL and the real Temporal dev server
// with the real activities: the interpreter undoes what the run did, newest first, once each, as the
// `cancel` signal does (stock released, card authorisation voided or capture refunded, pick list and
// purchase order cancelled, the supplier told), withdraws the task a person had open, records the run
// and its steps as cancelled and compensated, and closes as cancelled in Temporal; the run reconciler
// then leaves the recorded run as it is.
import crypto from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { compileGraph } from '../../app/modules/workflows/compile.server.ts';
import { enrichPayload } from '../../app/modules/workflows/dispatcher.server.ts';
import { ensureRun } from '../../app/modules/workflows/runs.server.ts';
import { reconcileRuns } from '../../app/modules/workflows/reconciler.server.ts';
import { poNumberForKey } from '../../activities/nodes/index.ts';
import type { Graph } from '../../workflows/graph.ts';
import type { InterpreterInput, RunState } from '../../workflows/interpreter.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { REORDER, STANDARD_ORDER, buildGraph } from '../../scripts/seed/workflows.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWorker } from '../support/worker.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

const taskQueue = `cancel-${crypto.randomUUID().slice(0, 8)}`;
const actor = { ...SYSTEM, label: 'tester' };
let db: TestDatabase, worker: Awaited<ReturnType<typeof startTestWorker>> | undefined, connection: Connection, client: Client;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);
let n = 0;

/**
 * The drawn flow of an order that a person approves after its card is authorised and before it is
 * captured: trigger → validate → reserve → authorise → approve → capture → end.
 */
const APPROVE_BEFORE_CAPTURE: Graph = buildGraph(
  [
    ['trigger', 'control.trigger', { event: 'order.created' }, 0],
    ['validate', 'orders.validate', {}, 0],
    ['reserve', 'orders.reserve', {}, 0],
    ['authorise', 'payments.authorise', {}, 0],
    ['approve', 'control.human', { title: 'Approve the charge', roles: ['ops_manager'], timeout: '1d' }, 0],
    ['capture', 'payments.capture', {}, 0],
    ['end', 'control.end', { result: 'complete' }, 0],
    ['stop', 'control.end', { result: 'complete' }, 1],
  ],
  [
    ['trigger', 'out', 'validate'],
    ['validate', 'ok', 'reserve'],
    ['validate', 'hold', 'stop'],
    ['reserve', 'ok', 'authorise'],
    ['reserve', 'insufficient', 'stop'],
    ['authorise', 'ok', 'approve'],
    ['authorise', 'declined', 'stop'],
    ['approve', 'approved', 'capture'],
    ['approve', 'rejected', 'stop'],
    ['approve', 'timeout', 'stop'],
    ['capture', 'ok', 'end'],
    ['capture', 'failed', 'stop'],
  ],
);

const planOf = (graph: Graph) => {
  const c = compileGraph(graph);
  if (!c.ok) throw new Error(JSON.stringify(c.errors));
  return c.plan;
};

/** Starts a run as the dispatcher does (its row first), and waits until it waits at `nodeId`. */
async function startWaiting(graph: Graph, trigger: InterpreterInput['trigger'], nodeId: string): Promise<WorkflowHandle> {
  const workflowId = `cancel-${crypto.randomUUID().slice(0, 8)}`;
  const plan = planOf(graph);
  await ensureRun(db.orm.em.fork(), workflowId, { triggerType: trigger.type, triggerPayload: trigger.payload, planHash: plan.hash });
  const h = await client.workflow.start('interpreter', { taskQueue, workflowId, args: [{ plan, trigger } satisfies InterpreterInput] });
  await waitFor(async () => (await h.query<RunState>('state')).waitingFor.some((w) => w.nodeId === nodeId));
  return h;
}

/** Cancels the run from outside, as the Web UI or the CLI does, and waits until Temporal has closed it. */
async function cancelInTemporal(h: WorkflowHandle) {
  await h.cancel();
  await expect(h.result()).rejects.toThrow();
  expect((await h.describe()).status.name).toBe('CANCELLED');
}

async function newOrder(sku: string, paymentMethod = 'test-card') {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `CANCEL-${++n}`,
      customer: { email: 'cancel@example.com', name: 'Cancel Tester' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 },
      currency: 'USD',
      lines: [{ sku, quantity: 2, unitPrice: 12_000 }],
      paymentMethod,
      deliveryMethod: 'standard',
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  const payload = await enrichPayload(db.orm.em.fork(), 'order.created', { orderId: r.order.id, number: r.order.number });
  return { order: r.order, trigger: { type: 'order.created', payload } };
}

const runOf = async (workflowId: string) =>
  (await sql('select id, status, error, ended_at is not null as ended, updated_at from workflow_run where workflow_id = ?', [workflowId]))[0];
const stepsOf = async (workflowId: string) =>
  Object.fromEntries(
    (
      await sql<{ node_id: string; status: string; compensation: boolean; error: string | null; ended: boolean }>(
        `select s.node_id, s.status, s.compensation, s.error, s.ended_at is not null as ended from workflow_run_step s join workflow_run r on r.id = s.run_id where r.workflow_id = ?`,
        [workflowId],
      )
    ).map((s) => [s.node_id, { status: s.status, compensation: s.compensation, error: s.error, ended: s.ended }]),
  );
const reservationsOf = (orderId: number) => sql<{ status: string }>('select status from reservation where order_id = ? order by id', [orderId]);
const reservedOf = async (sku: string) =>
  Number((await sql(`select sum(l.reserved) as n from inventory_level l join product p on p.id = l.product_id where p.sku = ?`, [sku]))[0].n);
const paymentOf = async (orderId: number) =>
  (
    await sql<{ id: number; status: string; authorised_minor: number; captured_minor: number; refunded_minor: number }>(
      'select id, status, authorised_minor, captured_minor, refunded_minor from payment where order_id = ?',
      [orderId],
    )
  )[0];
const operationsOf = async (paymentId: number) =>
  (await sql<{ kind: string }>('select kind from payment_operation where payment_id = ? order by id', [paymentId])).map((o) => o.kind);
/** The undos the run-history interceptor announced, in order. */
const undoneOf = async (workflowId: string) =>
  (
    await sql<{ node_id: string }>(
      `select payload ->> 'nodeId' as node_id from outbox_event where type = 'run.step' and payload ->> 'workflowId' = ? and payload ->> 'status' = 'compensated' order by id`,
      [workflowId],
    )
  ).map((r) => r.node_id);
const finishedEvents = (workflowId: string) =>
  sql<{ status: string }>(
    `select payload ->> 'status' as status from outbox_event where type = 'run.updated' and payload ->> 'workflowId' = ? and payload ->> 'event' = 'finished'`,
    [workflowId],
  );

/** The reconciler, looking at every running row however fresh, leaves the recorded run alone. */
async function expectReconcilerLeaves(workflowId: string) {
  const before = await runOf(workflowId);
  expect((await reconcileRuns(db.orm, client, { staleMs: 0 })).map((c) => c.workflowId)).not.toContain(workflowId);
  expect(await runOf(workflowId)).toEqual(before);
  expect(await sql(`select id from audit_event where action = 'workflow.run_closed' and entity_id = ?`, [String(before.id)])).toEqual([]);
}

beforeAll(async () => {
  db = await createTestDatabase('cancel');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  for (const sku of ['CXL-1', 'CXL-2']) {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 100, 10, 10, 10, 12000, 'USD')`,
      [sku, `B-${sku}`, sku],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then 100 else 0 end, 0, 0, 0, 'A-01-1', now() from product p, warehouse w where p.sku = ?`,
      [sku],
    );
  }
  worker = await startTestWorker({ orm: db.orm, taskQueue });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await db?.drop();
});

describe('a run cancelled in Temporal', () => {
  it('waiting on a person after authorising: voids the authorisation, releases the stock, withdraws the task, once each', async () => {
    const { order, trigger } = await newOrder('CXL-1');
    const h = await startWaiting(APPROVE_BEFORE_CAPTURE, trigger, 'approve');
    const [task] = await sql<{ id: number; status: string }>('select id, status from human_task where workflow_id = ?', [h.workflowId]);
    expect(task.status).toBe('open');
    expect(await reservedOf('CXL-1')).toBe(2);
    expect(await paymentOf(order.id)).toMatchObject({ status: 'authorised', authorised_minor: 24_000 });

    await cancelInTemporal(h);

    // Undone, newest first, once: the authorisation is voided, the stock released; nothing was captured.
    const payment = await paymentOf(order.id);
    expect(payment).toMatchObject({ status: 'voided', captured_minor: 0 });
    expect(await operationsOf(payment.id)).toEqual(['authorise', 'void']);
    expect((await reservationsOf(order.id)).map((r) => r.status)).not.toContain('active');
    expect(await reservedOf('CXL-1')).toBe(0);
    expect(await sql(`select id from audit_event where action = 'inventory.released' and entity_id = ?`, [String(order.id)])).toHaveLength(1);
    expect(await undoneOf(h.workflowId)).toEqual(['authorise', 'reserve']);

    // The task is withdrawn, announced as closed; the run and its steps say what happened.
    expect((await sql('select status from human_task where id = ?', [task.id]))[0].status).toBe('cancelled');
    expect(
      await sql(`select payload ->> 'status' as status from outbox_event where type = 'task.closed' and payload ->> 'workflowId' = ?`, [h.workflowId]),
    ).toEqual([{ status: 'cancelled' }]);
    expect(await runOf(h.workflowId)).toMatchObject({ status: 'cancelled', error: 'Cancelled in Temporal', ended: true });
    expect(await stepsOf(h.workflowId)).toMatchObject({
      validate: { status: 'done' },
      reserve: { status: 'compensated', compensation: true, ended: true },
      authorise: { status: 'compensated', compensation: true, ended: true },
      approve: { status: 'cancelled', error: 'Cancelled in Temporal', ended: true },
    });
    expect((await stepsOf(h.workflowId)).capture).toBeUndefined();
    expect(await finishedEvents(h.workflowId)).toEqual([{ status: 'cancelled' }]);

    await expectReconcilerLeaves(h.workflowId);
  });

  it('in the seeded Standard order, waiting to be packed: refunds the capture, cancels the pick list, releases the stock', async () => {
    const { order, trigger } = await newOrder('CXL-2');
    const h = await startWaiting(STANDARD_ORDER, trigger, 'await_packed');
    const [list] = await sql<{ id: number; status: string }>(
      'select distinct pk.id, pk.status from pick_list pk join pick_list_line l on l.pick_list_id = pk.id where l.order_id = ?',
      [order.id],
    );
    expect(list.status).toBe('open');
    expect(await paymentOf(order.id)).toMatchObject({ status: 'captured', captured_minor: 24_000 });

    // Its SLA timers (a trigger's slaAfter) end with it rather than fail its workflow tasks.
    await cancelInTemporal(h);

    const payment = await paymentOf(order.id);
    expect(payment).toMatchObject({ status: 'refunded', refunded_minor: 24_000 });
    expect(await operationsOf(payment.id)).toEqual(['authorise', 'capture', 'refund']);
    expect(await undoneOf(h.workflowId)).toEqual(['pick', 'capture', 'authorise', 'reserve']);
    expect((await sql('select status from pick_list where id = ?', [list.id]))[0].status).toBe('cancelled');
    expect((await reservationsOf(order.id)).map((r) => r.status)).not.toContain('active');
    expect(await reservedOf('CXL-2')).toBe(0);
    expect(await runOf(h.workflowId)).toMatchObject({ status: 'cancelled', error: 'Cancelled in Temporal' });
    expect(await stepsOf(h.workflowId)).toMatchObject({
      reserve: { status: 'compensated' },
      authorise: { status: 'compensated' },
      capture: { status: 'compensated' },
      pick: { status: 'compensated' },
      route: { status: 'done' },
      await_packed: { status: 'cancelled', ended: true },
    });
    expect((await stepsOf(h.workflowId)).ship).toBeUndefined();
    expect(await finishedEvents(h.workflowId)).toEqual([{ status: 'cancelled' }]);

    await expectReconcilerLeaves(h.workflowId);
  });

  it('in the seeded Reorder, waiting for the goods: cancels the sent purchase order and tells the supplier once', async () => {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('CXL-PO', 'B-CXL-PO', 'CXL-PO', 100, 1, 1, 1, 1000, 'USD')`,
    );
    const [level] = await sql<{
      id: number;
    }>(`insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                                               select p.id, w.id, 0, 0, 10, 20, now() from product p, warehouse w where p.sku = 'CXL-PO' and w.code = 'EWR' returning id`);
    await sql(`insert into supplier_product (supplier_id, product_id, unit_cost_minor, preferred, updated_at)
               select s.id, p.id, 500, true, now() from supplier s, product p where s.code = 'SZ-SOURCING' and p.sku = 'CXL-PO'`);
    const h = await startWaiting(REORDER, { type: 'stock.low', payload: { levelId: Number(level.id), sku: 'CXL-PO', warehouse: 'EWR' } }, 'await_goods');
    const number = poNumberForKey(`${h.workflowId}:draft_po:1`);
    expect((await sql('select status from purchase_order where number = ?', [number]))[0].status).toBe('sent');

    await cancelInTemporal(h);

    expect((await sql('select status from purchase_order where number = ?', [number]))[0].status).toBe('cancelled');
    expect(await sql(`select template from notification where idempotency_key = ?`, [`purchase-order-cancelled:${number}`])).toEqual([
      { template: 'purchase_order_cancelled' },
    ]);
    expect(await runOf(h.workflowId)).toMatchObject({ status: 'cancelled', error: 'Cancelled in Temporal' });
    expect(await stepsOf(h.workflowId)).toMatchObject({
      draft_po: { status: 'compensated' },
      send_po: { status: 'done' },
      await_goods: { status: 'cancelled' },
    });

    await expectReconcilerLeaves(h.workflowId);
  });
});
