// Workflow throughput: Standard-order runs completed per second through the interpreter (the one
// `interpreter` workflow running a compiled graph), next to a baseline measured in the same run — the
// same steps written by hand as a plain Temporal workflow (bench/lib/hand-written-order.ts) — on the
// same Temporal dev server, the same in-process worker, the same database and the same real activities.
//
//   npm run bench -- workflows [--runs 150] [--concurrency 50] [--rounds 4] [--warmup 100] [--profile] [--temporal-file]
//
// The flow is the Standard order's activity steps in a line, without waits, so that runs finish on
// their own: validate → reserve → authorise → capture → route → email (an order paid by the simulated
// card). The steps whose node types are local (plugins/: validate, reserve, route, email) run as local
// activities in both variants; authorise and capture as ordinary ones. Every run has an order of its
// own, taken through intake before the clock starts. Variants alternate round by round (interpreter,
// hand-written, interpreter, …) so that a warming JIT, a growing database or a neighbour's load do not
// favour one. Runs are started with bounded concurrency (a start waits until one of `--concurrency`
// runs in flight has completed); runs/s = runs ÷ wall time from the first start to the last completion.
// On a machine this busy (PostgreSQL, Temporal and the worker share two cores) a round's figure swings
// with whatever else the database and the server are doing at the time (checkpoints, autovacuum,
// Temporal's own housekeeping), so several short alternating rounds are measured and the median of the
// per-round ratios is printed next to the totals. CPU per run is read from /proc for this process
// (worker and client), the Temporal dev server and PostgreSQL, and what every other process used is
// printed too: on a shared machine it is the figure that stays put when runs/s does not.
// `--profile` adds a V8 profile of this process over the measured rounds (the workflow code itself runs
// in the SDK's worker thread, which it does not see); `--temporal-file` runs Temporal on its SQLite
// file as `npm start` does, instead of in memory as the tests do. Afterwards every order must have
// exactly one capture. The bench fails only on a crash, a failed run or a double capture, never because
// a figure is low.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import protos from '@temporalio/proto';
import { summariseProfile } from './lib/cpuprofile.ts';
import { machineBusyMs, ownCpuMs, postgresCpuMs, processCpuMs } from './lib/proc-cpu.ts';
import { startEmbeddedPostgres } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { findOrBuildTemporalCli, startTemporalDevServer } from '../scripts/lib/temporal-cli.ts';
import { startTogether } from '../scripts/lib/startup.ts';
import { root } from '../scripts/lib/stack.ts';
import { seedDemoData } from '../scripts/seed/demo.ts';
import { buildGraph } from '../scripts/seed/workflows.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { SYSTEM } from '../app/lib/audit.server.ts';
import { createOrder } from '../app/modules/orders/intake.server.ts';
import { compileGraph } from '../app/modules/workflows/compile.server.ts';
import { enrichPayload } from '../app/modules/workflows/dispatcher.server.ts';
import { createActivities } from '../activities/index.ts';
import { recordRunSteps } from '../activities/interceptors.ts';
import { HAND_WRITTEN_STEPS } from './lib/hand-written-order.ts';
import type { Plan, RunContext } from '../workflows/graph.ts';
import type { RunState } from '../workflows/interpreter.ts';
import { benchTeardown } from './lib/teardown.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '150' },
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '100' },
    profile: { type: 'boolean', default: false },
    'temporal-file': { type: 'boolean', default: false },
  },
});
const RUNS = Number(flags.runs);
const CONCURRENCY = Number(flags.concurrency);
const ROUNDS = Number(flags.rounds);
const WARMUP = Number(flags.warmup);
for (const [name, v] of Object.entries({ runs: RUNS, concurrency: CONCURRENCY, rounds: ROUNDS }))
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${name} takes a positive whole number`);
if (!(Number.isInteger(WARMUP) && WARMUP >= 0)) throw new Error('--warmup takes a whole number');

const PG_PORT = 55601;
const TEMPORAL_PORT = 7601;
const PG_DIR = path.join(root, '.data', 'bench', 'workflows-postgres');
const TEMPORAL_FILE = path.join(root, '.data', 'bench', 'workflows-temporal', 'temporal.db');
const DATABASE = 'bench_workflows';
const POOL_MAX = Number(process.env.DB_POOL_MAX ?? 10);
const TASK_QUEUE = 'bench-workflows';
const SKU = 'BENCH-WF';
const RUN = Date.now().toString(36);
const BOSTON = { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 };
const quiet = { info: () => {}, warn: () => {}, error: (...a: unknown[]) => console.error(...a) };

/** The Standard order's activity steps in a line (node ids as in the seeded flow), each failure handle to a stop. */
function linePlan(): Plan {
  const steps = HAND_WRITTEN_STEPS.map(([id, type, config]) => [id, type, config, 0] as [string, string, Record<string, unknown>, number]);
  const failures: Record<string, string> = { validate: 'hold', reserve: 'insufficient', authorise: 'declined', capture: 'failed' };
  const wires: [string, string, string][] = [['trigger', 'out', HAND_WRITTEN_STEPS[0][0]]];
  HAND_WRITTEN_STEPS.forEach(([id], i) => {
    wires.push([id, 'ok', HAND_WRITTEN_STEPS[i + 1]?.[0] ?? 'end']);
    if (failures[id]) wires.push([id, failures[id], 'stop']);
  });
  const graph = buildGraph(
    [
      ['trigger', 'control.trigger', { event: 'order.created' }, 0],
      ...steps,
      ['end', 'control.end', { result: 'complete' }, 0],
      ['stop', 'control.end', { result: 'complete', message: 'stopped' }, 1],
    ],
    wires,
  );
  const compiled = compileGraph(graph);
  if (!compiled.ok) throw new Error(`the bench's line graph does not compile: ${JSON.stringify(compiled.errors)}`);
  // A fair comparison: the baseline runs as local activities exactly the steps the plan does.
  for (const [id, , , local] of HAND_WRITTEN_STEPS) {
    if (!!compiled.plan.nodes[id].local !== local)
      throw new Error(`step ${id}: the plan runs it as a ${compiled.plan.nodes[id].local ? 'local' : 'ordinary'} activity, the hand-written workflow does not`);
  }
  return compiled.plan;
}

// ---------------------------------------------------------------------------------------------
// Teardown in reverse order, on success, on error and on Ctrl-C.

const cleanup = benchTeardown();
const checkInterrupted = cleanup.checkInterrupted;
/** The path, with no file (or SQLite side file) left there by an earlier run. */
const freshFile = (file: string) => {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
  return file;
};

// ---------------------------------------------------------------------------------------------

type Variant = 'interpreter' | 'hand-written';
/** CPU ms used during a round: this process (worker + client), the Temporal dev server, PostgreSQL, the whole machine. */
interface Cpu {
  bench: number;
  temporal: number;
  postgres: number;
  machine: number;
}
interface Round {
  variant: Variant;
  round: number;
  runs: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  failed: string[];
  cpu: Cpu;
}

async function main(): Promise<number> {
  const started = Date.now();
  console.log(`[bench] workflows: ${RUNS} runs per round, ${ROUNDS} round(s) per variant, ${CONCURRENCY} in flight, ${WARMUP} warm-up runs per variant`);
  Runtime.install({ logger: new DefaultLogger('WARN') });

  // If one fails to start, the other is stopped once up (it is in no cleanup yet).
  const [pgServer, temporal] = await startTogether([
    () => startEmbeddedPostgres({ dir: PG_DIR, port: PG_PORT }),
    () =>
      startTemporalDevServer({ cli: findOrBuildTemporalCli(root), port: TEMPORAL_PORT, dbFile: flags['temporal-file'] ? freshFile(TEMPORAL_FILE) : undefined }),
  ]);
  cleanup.add('PostgreSQL', () => pgServer.stop());
  cleanup.add('the Temporal dev server', () => temporal.stop());
  await pgServer.dropDatabase(DATABASE);
  await pgServer.ensureDatabase(DATABASE);
  cleanup.add('the bench database', () => pgServer.dropDatabase(DATABASE));
  const url = pgServer.urlFor(DATABASE);
  await migrateUp(url);
  const orm = await createOrm({ url, poolMax: POOL_MAX });
  cleanup.add('the ORM', () => orm.close());
  await seedDemoData(orm, { size: 'small', passwordFor: () => 'x' });
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  cleanup.add('the check connection', () => setup.end());
  // Only the bench's runs: no flow bound to order.created starts anything (there is no dispatcher either).
  await setup.query(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ($1, $2, $1, 100, 10, 10, 10, 1999, 'USD')`,
    [SKU, `B-${SKU}`],
  );
  await setup.query(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                     select p.id, w.id, case when w.code = 'EWR' then 10000000 else 0 end, 0, 0, 10, now() from product p cross join warehouse w where p.sku = $1`,
    [SKU],
  );
  checkInterrupted();

  // One order per run, taken through intake (as POST /api/v1/orders does) before any clock starts.
  const perVariant = WARMUP + RUNS * ROUNDS;
  const triggers: RunContext['trigger'][] = [];
  const t0 = Date.now();
  for (let i = 0; i < perVariant * 2; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, perVariant * 2 - i) }, async (_, j) => {
        const r = await createOrder(
          orm,
          {
            channel: 'web',
            externalId: `${RUN}-${i + j}`,
            customer: { email: `wf${(i + j) % 500}@bench.test`, name: `Bench Buyer ${(i + j) % 500}` },
            shippingAddress: BOSTON,
            currency: 'USD',
            lines: [{ sku: SKU, quantity: 1, unitPrice: 1999 }],
            paymentMethod: 'test-card',
            deliveryMethod: 'standard',
          },
          { actor: { ...SYSTEM, label: 'bench' }, baseCurrency: 'USD' },
        );
        if (r.replayed) throw new Error('order replayed');
        triggers[i + j] = {
          type: 'order.created',
          payload: await enrichPayload(orm.em.fork(), 'order.created', { orderId: r.order.id, number: r.order.number }),
        };
      }),
    );
    checkInterrupted();
  }
  console.log(`[bench] ${triggers.length} orders taken in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // The worker: both workflow types from one bundle, the real activities, the run-history interceptor —
  // as scripts/worker.ts registers them.
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'bench', 'lib', 'workflow-bundle.ts'),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: console.error } as never,
  });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: temporal.address }),
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    activities: createActivities({ orm }),
    interceptors: { activity: [recordRunSteps({ orm, log: quiet })] },
  });
  const running = worker.run();
  cleanup.add('the worker', async () => {
    worker.shutdown();
    await running;
  });
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.add('the Temporal client', () => connection.close());
  const client = new Client({ connection });
  const plan = linePlan();
  const postmasterPid = Number(fs.readFileSync(path.join(PG_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const cpuNow = (): Cpu => ({
    bench: ownCpuMs(),
    temporal: processCpuMs(temporal.process.pid!),
    postgres: postgresCpuMs(postmasterPid),
    machine: machineBusyMs(),
  });
  console.log(`[bench] set up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const next: Record<Variant, number> = { interpreter: 0, 'hand-written': perVariant };
  const workflowIds: string[] = [];
  const runOne = async (variant: Variant): Promise<{ ms: number; error?: string }> => {
    const trigger = triggers[next[variant]++];
    const workflowId = `bench-${variant}-${trigger.payload.orderId}`;
    workflowIds.push(workflowId);
    const t = performance.now();
    try {
      const state =
        variant === 'interpreter'
          ? ((await client.workflow.execute('interpreter', { taskQueue: TASK_QUEUE, workflowId, args: [{ plan, trigger }] })) as RunState)
          : ((await client.workflow.execute('handWrittenOrder', { taskQueue: TASK_QUEUE, workflowId, args: [{ trigger }] })) as RunState);
      const stopped = Object.values(state.steps).some((s) => s.handle && s.handle !== 'ok' && s.handle !== 'out');
      if (state.status !== 'completed' || stopped || state.steps.email?.status !== 'done')
        return { ms: performance.now() - t, error: `${workflowId} ended ${state.status} without reaching email` };
      return { ms: performance.now() - t };
    } catch (e) {
      return { ms: performance.now() - t, error: `${workflowId}: ${e instanceof Error ? e.message : e}` };
    }
  };
  const measure = async (variant: Variant, round: number, runs: number): Promise<Round> => {
    const latencies: number[] = [];
    const failed: string[] = [];
    let left = runs;
    const cpu0 = cpuNow(),
      t = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, runs) }, async () => {
        while (left > 0 && !cleanup.interrupted) {
          left--;
          const r = await runOne(variant);
          latencies.push(r.ms);
          if (r.error) failed.push(r.error);
        }
      }),
    );
    const seconds = (performance.now() - t) / 1000;
    const cpu1 = cpuNow();
    checkInterrupted();
    const sorted = Float64Array.from(latencies).sort();
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const r: Round = {
      variant,
      round,
      runs,
      seconds,
      perSecond: runs / seconds,
      p50: q(0.5),
      p95: q(0.95),
      failed,
      cpu: {
        bench: cpu1.bench - cpu0.bench,
        temporal: cpu1.temporal - cpu0.temporal,
        postgres: cpu1.postgres - cpu0.postgres,
        machine: cpu1.machine - cpu0.machine,
      },
    };
    if (round > 0)
      console.log(
        `[bench] round ${round} ${variant.padEnd(12)} ${r.perSecond.toFixed(1).padStart(7)} runs/s  p50 ${r.p50.toFixed(0)} ms  p95 ${r.p95.toFixed(0)} ms  failed ${failed.length}`,
      );
    for (const f of failed.slice(0, 3)) console.log(`[bench]   e.g. ${f}`);
    return r;
  };

  if (WARMUP) {
    await measure('interpreter', 0, WARMUP);
    await measure('hand-written', 0, WARMUP);
  }
  const rounds: Round[] = [];
  const profiler = flags.profile ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Variant[] = round % 2 ? ['interpreter', 'hand-written'] : ['hand-written', 'interpreter'];
    for (const v of order) rounds.push(await measure(v, round, RUNS));
  }
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    const file = path.join(root, '.data', 'bench', 'profiles', `workflows-${RUN}.cpuprofile`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    console.log(
      `\nBench process CPU profile over the measured rounds, both variants (${path.relative(root, file)}; again: node bench/lib/cpuprofile.ts <file>):`,
    );
    for (const line of summariseProfile(file, { top: 20 }).lines) console.log(`  ${line}`);
  }

  // Same work, once each: one authorisation and one capture per order that ran.
  const {
    rows: [ops],
  } = await setup.query<{ orders: number; doubled: number; uncaptured: number }>(
    `select count(*)::int as orders, count(*) filter (where captures > 1 or auths > 1)::int as doubled, count(*) filter (where captures = 0)::int as uncaptured
       from (select o.id, count(*) filter (where op.kind = 'capture' and op.succeeded) as captures, count(*) filter (where op.kind = 'authorise' and op.succeeded) as auths
               from sales_order o left join payment p on p.order_id = o.id left join payment_operation op on op.payment_id = p.id
              where o.id = any($1) group by o.id) x`,
    [
      triggers
        .slice(0, next.interpreter)
        .concat(triggers.slice(perVariant, next['hand-written']))
        .map((t) => t.payload.orderId),
    ],
  );

  // What the runs cost Temporal: events per history, activity retries and workflow task trouble, over a sample.
  const EventType = protos.temporal.api.enums.v1.EventType;
  const histories: Record<Variant, HistoryStats> = { interpreter: emptyStats(), 'hand-written': emptyStats() };
  for (const variant of ['interpreter', 'hand-written'] as const) {
    const sample = workflowIds.filter((id) => id.startsWith(`bench-${variant}-`)).slice(-50);
    for (const id of sample) {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const h = histories[variant];
      h.runs++;
      h.events += events.length;
      h.bytes += events.reduce((n, e) => n + protos.temporal.api.history.v1.HistoryEvent.encode(e).len, 0);
      h.workflowTasks += events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length;
      h.taskTrouble += events.filter(
        (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED || e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
      ).length;
      h.retries += events.filter(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
      ).length;
    }
  }

  report(rounds, ops, histories);
  const failedRuns = rounds.reduce((n, r) => n + r.failed.length, 0);
  return failedRuns || ops.doubled || ops.uncaptured ? 1 : 0;
}

interface HistoryStats {
  runs: number;
  events: number;
  bytes: number;
  workflowTasks: number;
  taskTrouble: number;
  retries: number;
}
const emptyStats = (): HistoryStats => ({ runs: 0, events: 0, bytes: 0, workflowTasks: 0, taskTrouble: 0, retries: 0 });

function report(rounds: Round[], ops: { orders: number; doubled: number; uncaptured: number }, histories: Record<Variant, HistoryStats>) {
  const cores = os.availableParallelism();
  const of = (v: Variant) => rounds.filter((r) => r.variant === v);
  const total = (rs: Round[]) => {
    const runs = rs.reduce((n, r) => n + r.runs, 0),
      s = rs.reduce((n, r) => n + r.seconds, 0);
    return { runs, seconds: s, perSecond: runs / s };
  };
  const interp = total(of('interpreter')),
    hand = total(of('hand-written'));
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const sum = (rs: Round[], f: (r: Round) => number) => rs.reduce((n, r) => n + f(r), 0);
  const busy = (rs: Round[]) => sum(rs, (r) => r.cpu.machine) / sum(rs, (r) => r.seconds * 1000 * cores);
  const perRun = (rs: Round[], f: (c: Cpu) => number) => sum(rs, (r) => f(r.cpu)) / sum(rs, (r) => r.runs);
  const others = (c: Cpu) => Math.max(0, c.machine - c.bench - c.temporal - c.postgres);
  console.log('');
  console.log(`Machine: nproc ${cores} (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}`);
  console.log(
    `${RUNS} runs × ${ROUNDS} round(s) per variant, ${CONCURRENCY} in flight; one in-process worker (default options, as scripts/worker.ts), DB pool ${POOL_MAX}; Temporal dev server ${flags['temporal-file'] ? 'on its SQLite file (as npm start runs it)' : 'in memory'}`,
  );
  console.log('Flow: validate → reserve → authorise → capture → route → email, real activities on PostgreSQL, simulated card gateway');
  console.log('');
  console.log(
    '| variant | runs/s (all rounds) | per round | p50 / p95 of one run | CPU per run: bench process / Temporal / PostgreSQL | other processes | machine busy |',
  );
  console.log('|:--|--:|--:|--:|--:|--:|--:|');
  for (const [v, t] of [
    ['interpreter', interp],
    ['hand-written', hand],
  ] as const) {
    const rs = of(v);
    const cpu = [perRun(rs, (c) => c.bench), perRun(rs, (c) => c.temporal), perRun(rs, (c) => c.postgres)].map((x) => x.toFixed(1)).join(' / ');
    console.log(
      `| ${v} | ${t.perSecond.toFixed(1)} | ${rs.map((r) => r.perSecond.toFixed(1)).join(' / ')} | ${median(rs.map((r) => r.p50)).toFixed(0)} / ${median(rs.map((r) => r.p95)).toFixed(0)} ms | ${cpu} ms | ${((100 * sum(rs, (r) => others(r.cpu))) / sum(rs, (r) => r.seconds * 1000 * cores)).toFixed(0)}% | ${(100 * busy(rs)).toFixed(0)}% |`,
    );
  }
  console.log(
    "bench process: worker, activities and client together. other processes: share of all cores used by anything but these three (a shared machine's neighbours). machine busy: share of all cores in use.",
  );
  const ratio = interp.perSecond / hand.perSecond;
  const perRound = of('interpreter').map((r, i) => r.perSecond / of('hand-written')[i].perSecond);
  console.log(
    `Interpreter as % of hand-written: ${(100 * ratio).toFixed(0)}% over all rounds, median of the rounds ${(100 * median(perRound)).toFixed(0)}% (per round: ${perRound.map((x) => `${(100 * x).toFixed(0)}%`).join(', ')})`,
  );
  console.log(
    `Target (issue 4): ≥ 30 runs/s on 2 cores and interpreter ≥ 85% of hand-written: ${interp.perSecond >= 30 && ratio >= 0.85 ? 'met' : 'not met'} on this machine (nproc ${cores}).`,
  );
  console.log('');
  console.log(
    'Per run, over the last 50 runs of each variant: history events, history bytes, workflow tasks, failed or timed-out workflow tasks, activity retries:',
  );
  for (const [v, h] of Object.entries(histories)) {
    const per = (n: number) => (n / Math.max(h.runs, 1)).toFixed(1);
    console.log(
      `  ${v.padEnd(12)} ${per(h.events)} events, ${(h.bytes / Math.max(h.runs, 1) / 1024).toFixed(1)} KiB, ${per(h.workflowTasks)} workflow tasks, ${h.taskTrouble} task failures/timeouts, ${h.retries} activity retries (of ${h.runs} runs)`,
    );
  }
  console.log(`Payments: ${ops.orders} orders ran, ${ops.doubled} authorised or captured more than once, ${ops.uncaptured} not captured.`);
}

await cleanup.exitWith(main);
