// Records one history per seeded flow (Standard order, Standard return, Reorder) on the real stack,
// for tests/integration/workflow-replay.test.ts: the real activities on a fresh test database with the
// small demo data, an in-process worker with the interpreter bundle, and the signals and decisions
// each run waits for sent as the console and the warehouse would send them. Plus one flow drawn for
// the interpreter's loop rules (LOOP_JOIN): a loop on one branch of a split, and a join after it; and
// (standard-order-cancelled) a Standard order run cancelled in Temporal while it waits to be packed, as
// the Web UI's "Request cancellation" would, which undoes its steps and closes as cancelled.
//
//   node scripts/record-workflow-histories.ts [--tag <change>] [--workflows <dir with an older workflows/index.ts>] [--only <flow>,...]
//
// Starts its own PostgreSQL and Temporal dev server (ports from OMS_TEST_PG_PORT / OMS_TEST_TEMPORAL_PORT,
// default 55621 / 7621) unless OMS_TEST_PG_ADMIN_URL and TEMPORAL_ADDRESS name running ones. Writes
// tests/fixtures/workflow-histories/<flow key>[.<tag>].json (JSON as `temporal workflow show --output json`
// writes it). After a patched change to the interpreter, record with a tag naming the patch and keep the
// older fixtures: the replay test then covers the runs from before the change and those after it.
// `--workflows` records with another copy of the workflow code (e.g. `git show` of the version before a
// patch, copied under .data/), for the runs that version started. `--only` records just the flows named
// (standard-return needs the order of standard-order, which then runs without being written).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '../tests/support/histories.ts';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createActivities } from '../activities/index.ts';
import { recordRunSteps } from '../activities/interceptors.ts';
import { SYSTEM } from '../app/lib/audit.server.ts';
import { createOrder } from '../app/modules/orders/intake.server.ts';
import { confirmPick, packOrder, recordTrackingEvent } from '../app/modules/fulfilment/service.server.ts';
import { requestReturn } from '../app/modules/returns/service.server.ts';
import { compileGraph } from '../app/modules/workflows/compile.server.ts';
import { enrichPayload, workflowIdFor } from '../app/modules/workflows/dispatcher.server.ts';
import type { Graph } from '../workflows/graph.ts';
import type { InterpreterInput, RunState } from '../workflows/interpreter.ts';
import { SEED_FLOWS } from './seed/workflows.ts';
import { seedDemoData } from './seed/demo.ts';
import { root } from './lib/stack.ts';
import { orStop } from './lib/startup.ts';

const FIXTURE_DIR = path.join(root, 'tests', 'fixtures', 'workflow-histories');
const actor = { ...SYSTEM, label: 'history recorder' };
const quiet = { info: () => {}, warn: () => {}, error: (...a: unknown[]) => console.error(...a) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const planOf = (graph: Graph) => {
  const c = compileGraph(graph);
  if (!c.ok) throw new Error(`seeded flow does not compile: ${JSON.stringify(c.errors)}`);
  return c.plan;
};
const node = (id: string, type: string, config: Record<string, unknown>, x: number, y: number) => ({ id, type, position: { x, y }, data: { config } });
const edge = (source: string, sourceHandle: string, target: string) => ({ id: `${source}-${sourceHandle}-${target}`, source, sourceHandle, target });

/**
 * Partial receipts: the goods come in parts (a signal each) until one says `complete`, while the
 * other branch waits a second; the join after both then waits a second more. The loop's condition
 * sends a dead token down its exit each time it goes round, which the join must not count.
 */
export const LOOP_JOIN: Graph = {
  nodes: [
    node('start', 'control.trigger', { event: 'manual' }, 0, 0),
    node('split', 'control.split', { branches: ['receive', 'notify'] }, 0, 100),
    node('receive', 'control.signal', { signal: 'goods_received' }, -150, 200),
    node('complete', 'control.condition', { expression: 'nodes.receive.complete = true' }, -150, 300),
    node('notify', 'control.delay', { duration: '1s' }, 150, 200),
    node('join', 'control.join', {}, 0, 400),
    node('settle', 'control.delay', { duration: '1s' }, 0, 500),
    node('end', 'control.end', { result: 'complete' }, 0, 600),
  ],
  edges: [
    edge('start', 'out', 'split'),
    edge('split', 'receive', 'receive'),
    edge('split', 'notify', 'notify'),
    edge('receive', 'received', 'complete'),
    edge('complete', 'false', 'receive'),
    edge('complete', 'true', 'join'),
    edge('notify', 'out', 'join'),
    edge('join', 'out', 'settle'),
    edge('settle', 'out', 'end'),
  ],
};

const graphOf = (key: string) => (key === 'loop-join' ? LOOP_JOIN : SEED_FLOWS.find((f) => f.key === key)!.graph);
const RECORDED_FLOWS = ['standard-order', 'standard-return', 'reorder', 'loop-join', 'standard-order-cancelled'] as const;

/** What a run waits for next; null once it has finished. */
async function nextWait(h: WorkflowHandle, seen: Set<string>, ms = 60_000): Promise<RunState['waitingFor'][number] | null> {
  const t0 = Date.now();
  for (;;) {
    const d = await h.describe();
    if (d.status.name !== 'RUNNING') {
      if (d.status.name !== 'COMPLETED') throw new Error(`${h.workflowId} ended ${d.status.name}`);
      return null;
    }
    const state = await h.query<RunState>('state');
    const w = state.waitingFor.find((x) => !seen.has(`${x.nodeId}:${state.steps[x.nodeId]?.visits}`));
    if (w) {
      seen.add(`${w.nodeId}:${state.steps[w.nodeId]?.visits}`);
      return w;
    }
    if (Date.now() - t0 > ms) throw new Error(`${h.workflowId} neither waits nor finishes: ${JSON.stringify(state.steps)}`);
    await sleep(100);
  }
}

/**
 * Drives a run to its end: approves every human step, and for each signal step does what makes it
 * true in the world first (`before`), then sends the signal.
 */
async function drive(h: WorkflowHandle, before: Record<string, () => Promise<void>> = {}) {
  const seen = new Set<string>();
  for (let w = await nextWait(h, seen); w; w = await nextWait(h, seen)) {
    if (w.kind === 'human') await h.signal('decision', { nodeId: w.nodeId, decision: 'approved', by: 'recorder@demo.test' });
    else if (w.kind === 'signal' && w.name) {
      await before[w.name]?.();
      await h.signal(w.name, {});
    } else throw new Error(`${h.workflowId} waits on ${JSON.stringify(w)}, which the recorder cannot end`);
  }
  const state = (await h.result()) as RunState;
  if (state.status !== 'completed') throw new Error(`${h.workflowId} ended ${state.status}: ${state.error}`);
  return state;
}

/** Sends each part of the receipt once the run waits for it, the other branch's second past, and the last part complete. */
async function driveLoopJoin(h: WorkflowHandle, parts: number) {
  for (let part = 1; part <= parts; part++) {
    for (const t0 = Date.now(); ;) {
      const state = await h.query<RunState>('state');
      if (state.steps.notify.status === 'done' && state.steps.receive.visits === part && state.waitingFor.some((w) => w.nodeId === 'receive')) break;
      if (Date.now() - t0 > 30_000) throw new Error(`${h.workflowId} does not wait for part ${part}: ${JSON.stringify(state.steps)}`);
      await sleep(100);
    }
    await h.signal('goods_received', { part, complete: part === parts });
  }
  const state = (await h.result()) as RunState;
  if (state.status !== 'completed') throw new Error(`${h.workflowId} ended ${state.status}: ${state.error}`);
  return state;
}

async function start(
  client: Client,
  taskQueue: string,
  orm: MikroORM,
  flow: string,
  event: 'order.created' | 'return.requested' | 'stock.low',
  raw: Record<string, unknown>,
) {
  const payload = await enrichPayload(orm.em.fork(), event, raw);
  const workflowId = workflowIdFor(event, payload, new Date())!;
  const input: InterpreterInput = { plan: planOf(graphOf(flow)), trigger: { type: event, payload } };
  return client.workflow.start('interpreter', { taskQueue, workflowId, args: [input] });
}

async function recordHistories(opts: {
  orm: MikroORM;
  temporalAddress: string;
  outDir?: string;
  tag?: string;
  workflowsPath?: string;
  only?: readonly string[];
}): Promise<Record<string, string>> {
  const { orm } = opts;
  const want = (flow: string) => !opts.only || opts.only.includes(flow);
  const outDir = opts.outDir ?? FIXTURE_DIR;
  const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(q, p);
  const taskQueue = `record-${Date.now()}`;
  const bundle = await bundleWorkflowCode({
    workflowsPath: opts.workflowsPath ?? path.join(root, 'workflows', 'index.ts'),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: console.error } as never,
  });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: opts.temporalAddress }),
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities({ orm }),
    interceptors: { activity: [recordRunSteps({ orm, log: quiet })] },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection });
  const written: Record<string, string> = {};
  const save = async (flow: string, h: WorkflowHandle) => {
    const file = path.join(outDir, `${flow}${opts.tag ? `.${opts.tag}` : ''}.json`);
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(file, `${historyToJSON(await h.fetchHistory())}\n`);
    written[flow] = file;
  };
  try {
    if (want('loop-join')) {
      const h = await client.workflow.start('interpreter', {
        taskQueue,
        workflowId: `loop-join-${Date.now()}`,
        args: [{ plan: planOf(LOOP_JOIN), trigger: { type: 'manual', payload: {} } } satisfies InterpreterInput],
      });
      await driveLoopJoin(h, 3);
      await save('loop-join', h);
    }
    if (!['standard-order', 'standard-return', 'reorder', 'standard-order-cancelled'].some(want)) return written;

    // Stock of the recorder's own: a sellable SKU and one below its reorder point, both in Newark only.
    for (const [sku, onHand, reorderPoint] of [
      ['REC-1', 100, 0],
      ['REC-LOW', 4, 30],
    ] as const) {
      await sql(
        `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 100, 10, 10, 10, 12000, 'USD')`,
        [sku, `B-${sku}`, sku],
      );
      await sql(
        `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
                 select p.id, w.id, case when w.code = 'EWR' then ? else 0 end, 0, ?, 20, 'A-01-1', now() from product p, warehouse w where p.sku = ?`,
        [onHand, reorderPoint, sku],
      );
    }
    // The low one is bought from the first active demo supplier (a draft needs a supplier offering it).
    await sql(`insert into supplier_product (supplier_id, product_id, unit_cost_minor, preferred, updated_at)
               select (select id from supplier where active order by id limit 1), p.id, 5400, true, now() from product p where p.sku = 'REC-LOW'`);

    const newOrder = async (suffix = '') => {
      const created = await createOrder(
        orm,
        {
          channel: 'web',
          externalId: `REC-${Date.now()}${suffix}`,
          customer: { email: 'recorder@example.com', name: 'History Recorder' },
          shippingAddress: { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 },
          currency: 'USD',
          lines: [{ sku: 'REC-1', quantity: 2, unitPrice: 12000 }],
          paymentMethod: 'test-card',
          deliveryMethod: 'standard',
        },
        { actor, baseCurrency: 'USD' },
      );
      if (created.replayed) throw new Error('order replayed');
      return created.order;
    };

    // 0. A card order reserved, authorised, captured, routed and put on a pick list, then cancelled in
    //    Temporal while it waits to be packed: it undoes the pick list, the capture, the authorisation
    //    and the reservation, and closes as cancelled.
    if (want('standard-order-cancelled')) {
      const cancelled = await newOrder('-X');
      const run = await start(client, taskQueue, orm, 'standard-order', 'order.created', { orderId: cancelled.id, number: cancelled.number });
      const t0 = Date.now();
      while (!(await run.query<RunState>('state')).waitingFor.some((w) => w.nodeId === 'await_packed')) {
        if (Date.now() - t0 > 60_000) throw new Error(`${run.workflowId} does not wait to be packed`);
        await sleep(100);
      }
      await run.cancel();
      await run.result().then(
        () => {
          throw new Error(`${run.workflowId} completed although cancelled`);
        },
        () => {},
      );
      const { status } = await run.describe();
      if (status.name !== 'CANCELLED') throw new Error(`${run.workflowId} ended ${status.name}`);
      await save('standard-order-cancelled', run);
    }
    if (!['standard-order', 'standard-return', 'reorder'].some(want)) return written;

    // 1. Standard order: a card order is validated, reserved, authorised, captured, routed and put on a
    //    pick list; the warehouse picks and packs it (→ packed), it ships, and the carrier delivers it.
    const order = await newOrder();
    const orderRun = await start(client, taskQueue, orm, 'standard-order', 'order.created', { orderId: order.id, number: order.number });
    await drive(orderRun, {
      packed: async () => {
        const lines = await sql<{ pick_list_id: number; sku: string; quantity: number }>(
          'select pl.pick_list_id, pl.sku, pl.quantity from pick_list_line pl join pick_list pk on pk.id = pl.pick_list_id where pl.order_id = ? and pk.status <> ?',
          [order.id, 'cancelled'],
        );
        for (const l of lines) await confirmPick(orm, l.pick_list_id, l.sku, actor, l.quantity);
        await packOrder(orm, order.id, actor);
      },
      delivered: async () => {
        for (const s of await sql<{ tracking_number: string }>('select tracking_number from shipment where order_id = ?', [order.id])) {
          await recordTrackingEvent(orm, s.tracking_number, { status: 'delivered' }, 'recorder', actor);
        }
      },
    });
    if (want('standard-order')) await save('standard-order', orderRun);
    if (!want('standard-return') && !want('reorder')) return written;

    // 2. Standard return of both units (worth more than the approval threshold, so a person approves
    //    it); the parcel arrives, passes inspection, is restocked and refunded.
    if (want('standard-return')) {
      const rma = await requestReturn(
        orm,
        order.id,
        { reason: 'size_or_fit', resolution: 'refund', lines: [{ sku: 'REC-1', quantity: 2 }] },
        actor,
        'recorder',
      );
      const returnRun = await start(client, taskQueue, orm, 'standard-return', 'return.requested', {
        returnId: rma.id,
        rma: rma.number,
        orderId: order.id,
        number: order.number,
        reason: 'size_or_fit',
        resolution: 'refund',
        lines: [{ sku: 'REC-1', quantity: 2 }],
      });
      await drive(returnRun);
      await save('standard-return', returnRun);
    }
    if (!want('reorder')) return written;

    // 3. Reorder for the level below its reorder point: a PO is drafted (approved when it needs a
    //    person), sent, and the goods arrive.
    const [level] = await sql<{ id: number }>(
      `select l.id from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = 'REC-LOW' and w.code = 'EWR'`,
    );
    const reorderRun = await start(client, taskQueue, orm, 'reorder', 'stock.low', { levelId: Number(level.id), sku: 'REC-LOW', warehouse: 'EWR' });
    await drive(reorderRun);
    await save('reorder', reorderRun);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: flags } = parseArgs({ options: { tag: { type: 'string' }, workflows: { type: 'string' }, only: { type: 'string' } } });
  if (flags.tag !== undefined && !/^[a-z0-9-]+$/.test(flags.tag)) throw new Error('--tag takes lower-case letters, digits and dashes');
  const only = flags.only?.split(',').map((f) => f.trim());
  const unknown = only?.filter((f) => !(RECORDED_FLOWS as readonly string[]).includes(f));
  if (unknown?.length) throw new Error(`--only takes flows among ${RECORDED_FLOWS.join(', ')}; not ${unknown.join(', ')}`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { startTestInfra } = await import('../tests/support/infra.ts');
  const infra =
    process.env.OMS_TEST_PG_ADMIN_URL && process.env.TEMPORAL_ADDRESS
      ? null
      : await startTestInfra({
          name: 'record-histories',
          pgPort: Number(process.env.OMS_TEST_PG_PORT ?? 55621),
          temporalPort: Number(process.env.OMS_TEST_TEMPORAL_PORT ?? 7621),
        });
  if (infra) Object.assign(process.env, infra.env);
  const { createTestDatabase } = await import('../tests/support/db.ts');
  const { testEnv } = await import('../tests/support/env.ts');
  const db = await orStop(infra ? [infra] : [], () => createTestDatabase('record'));
  let code = 0;
  try {
    await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
    const written = await recordHistories({
      orm: db.orm,
      temporalAddress: testEnv.temporalAddress,
      tag: flags.tag,
      only,
      workflowsPath: flags.workflows ? path.resolve(flags.workflows, 'index.ts') : undefined,
    });
    for (const [flow, file] of Object.entries(written)) console.log(`${flow}: ${path.relative(root, file)} (${fs.statSync(file).size} bytes)`);
  } catch (e) {
    console.error(e instanceof Error ? e.stack : e);
    code = 1;
  } finally {
    await db.drop();
    await infra?.stop();
  }
  process.exit(code);
}
