// Chaos run: steady order load through the API and the seeded flows while the stack is hurt on purpose,
// then an audit of what survived. Not a test (it takes minutes and its figures depend on the machine).
//
//   npm run chaos [-- --rate 20 --seconds 120 --settle 120]
//
// The stack is the embedded one `npm start` runs (PostgreSQL, the Temporal dev server on its SQLite file,
// a worker and a web process, the last two under the same supervisor as `npm start`), on ports of its own.
// A client sends `--rate` orders a second for `--seconds`, each with an Idempotency-Key, and behaves as a
// good integration does: a 503 or a dropped connection is retried with the same key after Retry-After.
// Meanwhile, at fixed points: kill -9 the worker, kill -9 the web process, restart PostgreSQL, restart the
// Temporal dev server, kill -9 the worker again. A prober measures the time from each fault until the
// console is whole again (/healthz 200, an order accepted and a flow step finished after the fault).
//
// After the load, it waits (up to `--settle` s) for every accepted order's run to reach its resting point
// in the Standard order flow (the pick list made, waiting to be packed), then prints: orders accepted,
// client answers by status (503 is allowed during an outage, 500 never), accepted orders lost, runs missing
// or stuck, duplicate authorisations / captures / refunds / shipments / pick lists, oversold levels,
// outbox events never delivered, and the recovery time after each fault (goal: at most 15 s). It exits 1
// when a goal is missed.
//
// Rate: 100 orders a second is beyond what two cores run through the Standard flow (about 34 runs/s, see
// `npm run bench -- workflows`), so runs would queue for minutes after the load; 20/s keeps up, and any
// rate can be asked for.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Agent } from 'undici';
import { startEmbeddedPostgres, type EmbeddedDb } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { findOrBuildTemporalCli, startTemporalDevServer, type DevServer } from '../scripts/lib/temporal-cli.ts';
import { buildIfStale, root, superviseNodeChild } from '../scripts/lib/stack.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { seedDemoData } from '../scripts/seed/demo.ts';
import { benchTeardown } from './lib/teardown.ts';

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '120' },
    settle: { type: 'string', default: '120' },
  },
});
const RATE = Number(flags.rate),
  SECONDS = Number(flags.seconds),
  SETTLE = Number(flags.settle);
for (const [k, v] of Object.entries({ rate: RATE, seconds: SECONDS, settle: SETTLE }))
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`--${k} takes a positive number`);

const PG_PORT = 55611,
  TEMPORAL_PORT = 7611,
  WEB_PORT = 3611;
const DATA = path.join(root, '.data', 'bench', 'chaos');
const DATABASE = 'chaos';
const SKU = 'CHAOS-1';
const RECOVERY_GOAL_S = 15;
const WEB = `http://127.0.0.1:${WEB_PORT}`;

const cleanup = benchTeardown();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Fault {
  at: number;
  name: string;
  run: () => Promise<void>;
  injectedAt?: number;
  recoveredAt?: number;
}

async function main(): Promise<number> {
  buildIfStale();
  fs.rmSync(DATA, { recursive: true, force: true });
  const pgDir = path.join(DATA, 'postgres'),
    temporalFile = path.join(DATA, 'temporal', 'temporal.db');
  let postgres: EmbeddedDb = await startEmbeddedPostgres({ dir: pgDir, port: PG_PORT });
  cleanup.add('PostgreSQL', () => postgres.stop());
  await postgres.ensureDatabase(DATABASE);
  const url = postgres.urlFor(DATABASE);
  await migrateUp(url);
  const orm = await createOrm({ url });
  const creds = await seedDemoData(orm, { size: 'small', passwordFor: (role) => `${role}-chaos` });
  await orm.close();
  const db = new pg.Pool({ connectionString: url, max: 2 });
  db.on('error', () => {});
  cleanup.add('the audit connection', () => db.end());
  // One SKU in stock everywhere, far more than the run sells: every refusal would be a bug, not a shortage.
  await db.query(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ($1, $1, 'Chaos widget', 100, 10, 10, 10, 1500, 'USD')`,
    [SKU],
  );
  await db.query(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                  select p.id, w.id, 1000000, 0, 0, 10, now() from product p, warehouse w where p.sku = $1`,
    [SKU],
  );

  const cli = findOrBuildTemporalCli(root);
  let temporal: DevServer = await startTemporalDevServer({ cli, port: TEMPORAL_PORT, dbFile: temporalFile });
  cleanup.add('the Temporal dev server', () => temporal.stop());
  const env = {
    DATABASE_URL: url,
    TEMPORAL_ADDRESS: temporal.address,
    PORT: String(WEB_PORT),
    HOST: '127.0.0.1',
    API_RATE_LIMIT: '0',
    TEMPORAL_TASK_QUEUE: 'chaos',
  };
  const worker = superviseNodeChild('worker', 'worker.ts', env);
  cleanup.add('the worker', () => worker.stop());
  const web = superviseNodeChild('web', 'web.ts', env);
  cleanup.add('the web process', () => web.stop());
  await waitHealthy(60_000);
  log(`stack up: ${RATE} orders/s for ${SECONDS} s, then up to ${SETTLE} s to settle`);

  const faults: Fault[] = [
    {
      at: 0.12,
      name: 'kill -9 the worker',
      run: async () => {
        worker.process.kill('SIGKILL');
      },
    },
    {
      at: 0.3,
      name: 'kill -9 the web process',
      run: async () => {
        web.process.kill('SIGKILL');
      },
    },
    {
      at: 0.48,
      name: 'restart PostgreSQL',
      run: async () => {
        await postgres.stop();
        postgres = await startEmbeddedPostgres({ dir: pgDir, port: PG_PORT });
      },
    },
    {
      at: 0.66,
      name: 'restart the Temporal dev server',
      run: async () => {
        await temporal.stop();
        temporal = await startTemporalDevServer({ cli, port: TEMPORAL_PORT, dbFile: temporalFile });
      },
    },
    {
      at: 0.84,
      name: 'kill -9 the worker again',
      run: async () => {
        worker.process.kill('SIGKILL');
      },
    },
  ];

  // ---- load ----
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  cleanup.add('the HTTP client', () => agent.close());
  const statuses = new Map<string, number>();
  const count = (s: string) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  const accepted = new Map<string, number>(); // externalId → order id
  const gaveUp: string[] = [];
  let lastAcceptedAt = 0;
  const sendOrder = async (n: number) => {
    const externalId = `CHAOS-${n}`;
    const body = JSON.stringify({
      channel: 'web',
      externalId,
      customer: { email: `chaos${n % 500}@example.com`, name: `Chaos Buyer ${n % 500}` },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 },
      currency: 'USD',
      lines: [{ sku: SKU, quantity: 1, unitPrice: 1500 }],
      paymentMethod: 'test-card',
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      let status: string;
      let retryAfter = 1;
      try {
        const res = await fetch(`${WEB}/api/v1/orders`, {
          method: 'POST',
          body,
          dispatcher: agent,
          signal: AbortSignal.timeout(15_000),
          headers: { Authorization: `Bearer ${creds.apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': externalId },
        } as RequestInit);
        status = String(res.status);
        retryAfter = Number(res.headers.get('retry-after') ?? 1) || 1;
        const answer = (await res.json().catch(() => null)) as { id?: number } | null;
        if (res.status === 201 && answer?.id) {
          accepted.set(externalId, answer.id);
          lastAcceptedAt = Date.now();
        }
      } catch {
        status = 'connection error';
      }
      count(status);
      if (status === '201' || (status.startsWith('4') && status !== '429') || Date.now() > deadline) {
        if (status !== '201') gaveUp.push(`${externalId}: ${status}`);
        return;
      }
      await sleep(Math.min(retryAfter, 5) * 1000);
    }
  };

  // Whole again: /healthz 200, an order accepted after the fault, and a flow step finished after it (only a
  // worker that is up, connected to Temporal and to the database finishes steps).
  const stepEndedSince = async (t: number) =>
    (await db.query('select 1 from workflow_run_step where ended_at > $1 limit 1', [new Date(t + 100)]).catch(() => ({ rows: [] }))).rows.length > 0;
  const prober = async (fault: Fault) => {
    const t0 = fault.injectedAt!;
    for (;;) {
      await sleep(200);
      if (lastAcceptedAt > t0 && (await healthy()) && (await stepEndedSince(t0))) {
        fault.recoveredAt = Date.now();
        return;
      }
      if (Date.now() - t0 > 120_000) return;
    }
  };

  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let n = 0;
  let nextFault = 0;
  const probes: Promise<void>[] = [];
  while (Date.now() - started < SECONDS * 1000) {
    cleanup.checkInterrupted();
    const elapsed = (Date.now() - started) / 1000;
    while (n < elapsed * RATE) {
      const p = sendOrder(++n).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    const f = faults[nextFault];
    if (f && elapsed >= f.at * SECONDS) {
      nextFault++;
      log(`fault: ${f.name}`);
      f.injectedAt = Date.now();
      await f.run();
      probes.push(prober(f));
    }
    await sleep(10);
  }
  log(`load done: ${n} orders sent; waiting for retries in flight…`);
  await Promise.all(inFlight);
  await Promise.all(probes);

  // ---- settle: every accepted order's run reaches its resting point ----
  const ids = [...accepted.values()];
  const settleUntil = Date.now() + SETTLE * 1000;
  let unsettled: number[] = ids;
  while (Date.now() < settleUntil && unsettled.length) {
    await sleep(2000);
    const { rows } = await db
      .query<{ id: number }>(
        `select o.id from unnest($1::int[]) as o(id)
      where not exists (select 1 from workflow_run r where r.workflow_id = 'order-' || o.id
        and (r.status <> 'running' or exists (select 1 from workflow_run_step s where s.run_id = r.id and s.node_id = 'pick' and s.status = 'done')))`,
        [unsettled],
      )
      .catch(() => ({ rows: unsettled.map((id) => ({ id })) }));
    unsettled = rows.map((r) => Number(r.id));
    log(`settling: ${ids.length - unsettled.length} of ${ids.length} runs at rest`);
  }

  // ---- audit ----
  const one = async (q: string, p: unknown[] = []) => Number(Object.values((await db.query(q, p)).rows[0] ?? { n: 0 })[0] ?? 0);
  const lost = ids.length - (await one('select count(*) from sales_order where id = any($1::int[])', [ids]));
  const missing = await one(
    `select count(*) from unnest($1::int[]) as o(id) where not exists (select 1 from workflow_run r where r.workflow_id = 'order-' || o.id)`,
    [ids],
  );
  const stuck = unsettled.length - missing;
  const failedRuns = await one(`select count(*) from workflow_run where workflow_id = any($1::text[]) and status in ('failed', 'terminated')`, [
    ids.map((id) => `order-${id}`),
  ]);
  const dupAuth = await one(`select count(*) from (select order_id from payment where provider = 'test-card' group by order_id having count(*) > 1) x`);
  const dupOps = async (kind: string) =>
    one(`select count(*) from (select payment_id from payment_operation where kind = $1 and succeeded group by payment_id having count(*) > 1) x`, [kind]);
  const dupCapture = await dupOps('capture'),
    dupRefund = await dupOps('refund');
  const dupShip = await one(`select count(*) from (select order_id, warehouse_id from shipment group by order_id, warehouse_id having count(*) > 1) x`);
  const dupPick =
    await one(`select count(*) from (select l.order_id, p.warehouse_id from pick_list_line l join pick_list p on p.id = l.pick_list_id where p.status <> 'cancelled'
                             group by l.order_id, l.product_id, p.warehouse_id having count(distinct p.id) > 1) x`);
  const oversold = await one('select count(*) from inventory_level where reserved > on_hand or on_hand < 0 or reserved < 0');
  const reservedMismatch = await one(
    `select abs(coalesce((select sum(reserved) from inventory_level l join product p on p.id = l.product_id where p.sku = $1), 0)
    - coalesce((select sum(r.quantity) from reservation r join product p on p.id = r.product_id where p.sku = $1 and r.status = 'active'), 0))`,
    [SKU],
  );
  const undelivered = await one(`select count(*) from outbox_event where dispatched_at is null and created_at < now() - interval '30 seconds'`);
  const fiveHundreds = [...statuses].filter(([s]) => s.startsWith('5') && s !== '503').reduce((a, [, c]) => a + c, 0);

  console.log('\nChaos run');
  console.log(`  load: ${RATE} orders/s for ${SECONDS} s (${n} orders), retried with the same Idempotency-Key after 503 / a dropped connection`);
  console.log(
    `  orders accepted:                 ${accepted.size} of ${n}${gaveUp.length ? ` (not accepted: ${gaveUp.slice(0, 5).join('; ')}${gaveUp.length > 5 ? ' …' : ''})` : ''}`,
  );
  console.log(
    `  client answers by status:        ${[...statuses]
      .sort()
      .map(([s, c]) => `${s}: ${c}`)
      .join(', ')}`,
  );
  const goals: [string, number, number][] = [
    ['500s (503 allowed during outages)', fiveHundreds, 0],
    ['accepted orders lost', lost, 0],
    ['orders refused for good', gaveUp.length, 0],
    ['runs missing', missing, 0],
    ['runs stuck (not at rest after settling)', stuck, 0],
    ['runs failed or terminated', failedRuns, 0],
    ['duplicate authorisations', dupAuth, 0],
    ['duplicate captures', dupCapture, 0],
    ['duplicate refunds', dupRefund, 0],
    ['duplicate shipments', dupShip, 0],
    ['duplicate pick lists', dupPick, 0],
    ['oversold levels', oversold, 0],
    ['reserved units not matching active reservations', reservedMismatch, 0],
    ['outbox events never delivered', undelivered, 0],
  ];
  let missed = 0;
  for (const [what, value, goal] of goals) {
    const ok = value <= goal;
    if (!ok) missed++;
    console.log(`  ${what.padEnd(48)} ${String(value).padStart(6)}  (goal ${goal})${ok ? '' : '  MISSED'}`);
  }
  console.log('  recovery after each fault (until /healthz is 200, an order is accepted and a flow step finishes after it):');
  for (const f of faults) {
    const s = f.injectedAt && f.recoveredAt ? (f.recoveredAt - f.injectedAt) / 1000 : null;
    const ok = s !== null && s <= RECOVERY_GOAL_S;
    if (!ok) missed++;
    console.log(`    ${f.name.padEnd(36)} ${s === null ? 'did not recover' : `${s.toFixed(1)} s`}  (goal <= ${RECOVERY_GOAL_S} s)${ok ? '' : '  MISSED'}`);
  }
  console.log(`  restarts by the supervisor: worker ${worker.restarts()}, web ${web.restarts()}`);
  console.log(missed ? `\n${missed} goal(s) missed` : '\nevery goal met');
  return missed ? 1 : 0;
}

async function healthy(): Promise<boolean> {
  try {
    const res = await fetch(`${WEB}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function waitHealthy(ms: number) {
  const t0 = Date.now();
  while (!(await healthy())) {
    if (Date.now() - t0 > ms) throw new Error('the stack did not become healthy');
    await sleep(300);
  }
}

await cleanup.exitWith(main);
