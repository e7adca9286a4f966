// Crash safety of order runs: the real web server and the real worker (with its outbox dispatcher) as
// child processes, card orders through the API, and the worker killed with SIGKILL — once right after
// the orders are taken (runs starting, activities in flight) and once while every run waits to be
// packed — and replaced by a fresh one. Every run still completes, and no order is authorised or
// captured twice.
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { confirmPick, packOrder, recordTrackingEvent } from '../../app/modules/fulfilment/service.server.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

const ORDERS = 6;
const SKU = 'CRASH-1';
const actor = { ...SYSTEM, label: 'crash test' };
const BOSTON = { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 };

let app: TestApp, db: pg.Client, connection: Connection, client: Client;

beforeAll(async () => {
  app = await startTestApp();
  db = new pg.Client({ connectionString: app.db.url });
  await db.connect();
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  const {
    rows: [p],
  } = await db.query(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ($1, $2, $1, 100, 10, 10, 10, 1999, 'USD') returning id`,
    [SKU, `B-${SKU}`],
  );
  await db.query(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                  select $1, w.id, case when w.code = 'EWR' then 500 else 0 end, 0, 0, 10, now() from warehouse w`,
    [p.id],
  );
}, 120_000);

afterAll(async () => {
  await db?.end();
  await connection?.close();
  await app?.stop();
});

async function createOrder(i: number): Promise<number> {
  const res = await fetch(`${app.url}/api/v1/orders`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      channel: 'web',
      externalId: `CRASH-${Date.now()}-${i}`,
      customer: { email: `crash${i}@example.com`, name: `Crash Buyer ${i}` },
      shippingAddress: BOSTON,
      currency: 'USD',
      lines: [{ sku: SKU, quantity: 1, unitPrice: 1999 }],
      paymentMethod: 'test-card',
      deliveryMethod: 'standard',
    }),
  });
  const body = (await res.json()) as { id: number };
  expect(res.status).toBe(201);
  return body.id;
}

const stateOf = (orderId: number) => client.workflow.getHandle(`order-${orderId}`).query<RunState>('state');
const waitingFor = (signal: string) => async (orderId: number) => (await stateOf(orderId)).waitingFor.some((w) => w.kind === 'signal' && w.name === signal);
const all = async (ids: number[], pred: (id: number) => Promise<boolean>) => (await Promise.all(ids.map(pred))).every(Boolean);

async function killAndRestartWorker() {
  await app.stopWorker('SIGKILL');
  await app.startWorker();
}

// The first kill lands while runs are in their first workflow task: its retry can record the 'started'
// local activity's marker in one task and what follows in the next, and after the second kill every
// run is replayed from scratch (no sticky cache). A `patched()` read after that local activity then
// failed as non-deterministic and stalled the run; the interpreter reads its patches before it.
describe('order runs across worker crashes', () => {
  it('complete, with one authorisation and one capture per order', async () => {
    const orderIds: number[] = [];
    for (let i = 0; i < ORDERS; i++) orderIds.push(await createOrder(i));

    // Crash 1: as soon as the dispatcher has started the first run, while its activities are in flight.
    await waitFor('a first run to start', async () => (await client.workflow.getHandle(`order-${orderIds[0]}`).describe()).status.name === 'RUNNING', 30_000);
    await killAndRestartWorker();

    // Every run gets through payment and routing to the pick list, then waits to be packed.
    await waitFor('every run to wait for packing', () => all(orderIds, waitingFor('packed')), 150_000);
    const captured = await db.query(
      `select count(*)::int as n from payment_operation op join payment p on p.id = op.payment_id where p.order_id = any($1) and op.kind = 'capture' and op.succeeded`,
      [orderIds],
    );
    expect(captured.rows[0].n).toBe(ORDERS);

    // Crash 2: while every run waits on its signal.
    await killAndRestartWorker();

    // The warehouse picks and packs; the dispatcher of the new worker forwards `packed`, the runs ship.
    for (const orderId of orderIds) {
      const { rows } = await db.query(
        `select pl.pick_list_id, pl.sku, pl.quantity from pick_list_line pl join pick_list pk on pk.id = pl.pick_list_id where pl.order_id = $1 and pk.status <> 'cancelled'`,
        [orderId],
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const l of rows) await confirmPick(app.db.orm, l.pick_list_id, l.sku, actor, l.quantity);
      await packOrder(app.db.orm, orderId, actor);
    }
    await waitFor('every run to wait for delivery', () => all(orderIds, waitingFor('delivered')), 120_000);

    // The carrier delivers (→ delivered, forwarded as a signal) and every run completes.
    const { rows: shipments } = await db.query(`select tracking_number from shipment where order_id = any($1)`, [orderIds]);
    expect(shipments).toHaveLength(ORDERS);
    for (const s of shipments) await recordTrackingEvent(app.db.orm, s.tracking_number, { status: 'delivered' }, 'crash test', actor);
    const results = await Promise.all(orderIds.map((id) => client.workflow.getHandle(`order-${id}`).result() as Promise<RunState>));
    expect(results.map((r) => r.status)).toEqual(orderIds.map(() => 'completed'));
    for (const r of results) {
      expect(r.steps.capture).toMatchObject({ status: 'done', visits: 1 });
      expect(r.steps.ship).toMatchObject({ status: 'done', visits: 1 });
    }

    // Exactly one authorisation and one capture per order, whatever was retried.
    const { rows: ops } = await db.query<{ order_id: number; kind: string; n: number }>(
      `select p.order_id, op.kind, count(*)::int as n from payment_operation op join payment p on p.id = op.payment_id
        where p.order_id = any($1) and op.succeeded group by p.order_id, op.kind order by p.order_id, op.kind`,
      [orderIds],
    );
    expect(ops).toEqual(
      orderIds.flatMap((id) => [
        { order_id: id, kind: 'authorise', n: 1 },
        { order_id: id, kind: 'capture', n: 1 },
      ]),
    );
    const { rows: payments } = await db.query(`select order_id, count(*)::int as n from payment where order_id = any($1) group by order_id`, [orderIds]);
    expect(payments.map((p) => p.n)).toEqual(orderIds.map(() => 1));
    const { rows: runs } = await db.query(`select status from workflow_run where workflow_id = any($1)`, [orderIds.map((id) => `order-${id}`)]);
    expect(runs.map((r) => r.status)).toEqual(orderIds.map(() => 'completed'));
  }, 420_000);
});
