// Order intake throughput: orders per second through POST /api/v1/orders on the embedded stack (the
// built web server as a child process, embedded PostgreSQL with the durability settings of `npm start`),
// next to a raw `pg` baseline doing the same work in one transaction per order (the shape intake had
// before group commit), in the same run, on the same database, with the same concurrency and the same
// connection pool size. The API batches the orders that arrive together into one transaction
// (app/lib/group-commit.server.ts), so "API as % of raw" above 100% is what group commit buys over the
// plain one-order transaction, HTTP, JSON, zod and ORM included.
//
//   npm run bench -- orders [--seconds 10] [--warmup 2] [--buyers 64] [--profile]   (or node bench/orders.ts …)
//
// Scenarios: `hot` (every buyer orders the same SKU: one inventory row, so every reservation queues on
// its row lock) and `spread` (buyer i always orders BENCH-i: no lock contention). After each scenario
// the reservations are checked against the inventory levels. The bench fails only on a crash or an
// oversell, never because a figure is low.
//
// `--profile` also runs the web server under `--cpu-prof` and summarises where its CPU went while it
// took orders, and measures variants of the raw transaction (bench/lib/raw-intake.ts: unprepared
// statements, the stock reserved first instead of last) and the cost of one bare round trip, to put
// figures on what the shape of the transaction buys.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Agent, request } from 'undici';
import { startEmbeddedPostgres } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { stopProcess } from '../scripts/lib/process.ts';
import { seedDemoData } from '../scripts/seed/demo.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { rawOrder, Refused, type OrderBody, type RawContext, type RawMode } from './lib/raw-intake.ts';
import { summariseProfile } from './lib/cpuprofile.ts';
import { cpuMinus, cpuMs, machineBusyMs, ownCpu, postgresCpu, processCpu, type Cpu } from './lib/proc-cpu.ts';

// Build into, and serve from, a folder of the bench's own, so it never races another build or test run.
// (stack.ts reads OMS_BUILD_DIR when it is loaded, hence the late import.)
process.env.OMS_BUILD_DIR ??= '.data/build-bench';
const { buildIfStale, buildDir, root } = await import('../scripts/lib/stack.ts');

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    buyers: { type: 'string', default: '64' },
    profile: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(flags.seconds);
const WARMUP = Number(flags.warmup);
const BUYERS = Number(flags.buyers);
if (!(SECONDS > 0) || !(WARMUP >= 0) || !(BUYERS > 0 && Number.isInteger(BUYERS))) throw new Error('--seconds, --warmup and --buyers take positive numbers');

const PG_PORT = 55501;
const PG_DIR = path.join(root, '.data', 'bench', 'postgres');
const PROFILE_DIR = path.join(root, '.data', 'bench', 'profiles');
const DATABASE = 'bench_orders';
/** The web server's pool size (DB_POOL_MAX, default 10); the raw baseline gets the same. */
const POOL_MAX = Number(process.env.DB_POOL_MAX ?? 10);
const STOCK = 10_000_000;
const CUSTOMERS = 1000;
const HOT_SKU = 'BENCH-HOT';
const spreadSku = (i: number) => `BENCH-${i}`;
const BOSTON = { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 };
const RUN = Date.now().toString(36);
type Scenario = 'hot' | 'spread';
const skuFor = (scenario: Scenario, buyer: number) => (scenario === 'hot' ? HOT_SKU : spreadSku(buyer));

/** A valid one-line order that goes straight to awaiting_payment (no hold: small total, coordinates, standard delivery). */
function orderBody(tag: string, buyer: number, seq: number, sku: string): OrderBody {
  const c = Math.floor(Math.random() * CUSTOMERS);
  return {
    channel: 'web',
    externalId: `${RUN}-${tag}-${buyer}-${seq}`,
    customer: { email: `buyer${c}@bench.test`, name: `Bench Buyer ${c}` },
    shippingAddress: BOSTON,
    currency: 'USD',
    lines: [{ sku, quantity: 1, unitPrice: 1999 }],
    paymentMethod: 'test-card',
    deliveryMethod: 'standard',
    shipping: 0,
    tax: 0,
    taxIncluded: false,
    discount: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Teardown: whatever was started is stopped in reverse order, on success, on error and on Ctrl-C.

const cleanups: { name: string; fn: () => Promise<unknown> }[] = [];
const stopping = new AbortController();
process.on('SIGINT', () => {
  if (stopping.signal.aborted) {
    console.error('second Ctrl-C: exiting without cleanup');
    process.exit(130);
  }
  console.error('\ninterrupted: stopping…');
  stopping.abort();
});
const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    stopping.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
const checkInterrupted = () => {
  if (stopping.signal.aborted) throw new Error('interrupted');
};

async function teardown() {
  for (const c of cleanups.reverse()) {
    try {
      await c.fn();
    } catch (e) {
      console.error(`[bench] stopping ${c.name} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc: this process (the load generator, or the whole client side in the raw
// baseline), the web server, PostgreSQL (postmaster, its live children, and the children it reaped),
// and the whole machine, so that other work on a shared machine shows up instead of skewing silently.

interface CpuSample {
  bench: Cpu;
  web: Cpu;
  postgres: Cpu;
  machine: number;
}
function cpuNow(webPid: number | null, postmasterPid: number): CpuSample {
  return { bench: ownCpu(), web: webPid ? processCpu(webPid) : { user: 0, sys: 0 }, postgres: postgresCpu(postmasterPid), machine: machineBusyMs() };
}
const minus = cpuMinus;
const ms = cpuMs;

// ---------------------------------------------------------------------------------------------
// The load driver: BUYERS async loops, each issuing one order after the other, through a warm-up and
// a measured window. Throughput and latency count what completed inside the window.

interface Outcome {
  ok: boolean;
  status: string;
  sku: string;
  detail?: string;
}
interface Run {
  label: string;
  done: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  failures: Map<string, number>;
  cpu: CpuSample;
}

/** Successful orders per SKU over the whole run, warm-ups included: what the stock check expects. */
const succeeded = new Map<string, number>();

async function drive(
  label: string,
  op: (buyer: number, seq: number) => Promise<Outcome>,
  cpu: () => CpuSample,
  opts: { seconds?: number; warmup?: number } = {},
): Promise<Run> {
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let t0 = Infinity,
    t1 = Infinity;
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const samples: string[] = [];
  const loops = Array.from({ length: BUYERS }, async (_, buyer) => {
    for (let seq = 0; phase !== 'done' && !stopping.signal.aborted; seq++) {
      const start = performance.now();
      let r: Outcome;
      try {
        r = await op(buyer, seq);
      } catch (e) {
        r = { ok: false, status: `error: ${e instanceof Error ? e.message : e}`, sku: '' };
      }
      const end = performance.now();
      if (r.ok) {
        succeeded.set(r.sku, (succeeded.get(r.sku) ?? 0) + 1);
        if (end >= t0 && end <= t1) latencies.push(end - start);
      } else {
        failures.set(r.status, (failures.get(r.status) ?? 0) + 1);
        if (samples.length < 3) samples.push(`${r.status}${r.detail ? `: ${r.detail.slice(0, 300)}` : ''}`);
      }
    }
  });
  await sleep((opts.warmup ?? WARMUP) * 1000);
  const cpu0 = cpu();
  t0 = performance.now();
  phase = 'measure';
  await sleep((opts.seconds ?? SECONDS) * 1000);
  t1 = performance.now();
  const cpu1 = cpu();
  phase = 'done';
  await Promise.all(loops);
  checkInterrupted();
  const seconds = (t1 - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
  const run: Run = {
    label,
    done: sorted.length,
    seconds,
    perSecond: sorted.length / seconds,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    failures,
    cpu: {
      bench: minus(cpu1.bench, cpu0.bench),
      web: minus(cpu1.web, cpu0.web),
      postgres: minus(cpu1.postgres, cpu0.postgres),
      machine: cpu1.machine - cpu0.machine,
    },
  };
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  console.log(
    `[bench] ${label.padEnd(24)} ${run.perSecond.toFixed(0).padStart(6)}/s  p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms  failed ${failed}`,
  );
  for (const s of samples) console.log(`[bench]   e.g. ${s}`);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Integrity: no level reserves more than it holds, and every bench SKU's active reservations add up
// to its levels' reserved and to the orders this run saw succeed.

interface Check {
  oversold: number;
  mismatched: string[];
}
async function checkStock(db: pg.Client): Promise<Check> {
  const {
    rows: [{ oversold }],
  } = await db.query<{ oversold: number }>('select count(*)::int as oversold from inventory_level where reserved > on_hand');
  const { rows } = await db.query<{ sku: string; reserved: number; active: number }>(
    `select p.sku, sum(l.reserved)::int as reserved,
            coalesce((select sum(r.quantity) from reservation r where r.product_id = p.id and r.status = 'active'), 0)::int as active
       from product p join inventory_level l on l.product_id = p.id
      where p.sku like 'BENCH-%' group by p.id, p.sku order by p.sku`,
  );
  const mismatched = rows
    .filter((r) => r.reserved !== r.active || r.reserved !== (succeeded.get(r.sku) ?? 0))
    .map((r) => `${r.sku}: levels reserve ${r.reserved}, active reservations ${r.active}, orders that succeeded ${succeeded.get(r.sku) ?? 0}`);
  return { oversold, mismatched };
}

// Same work? Rows written and tables read per order by each path, from pg_stat_user_tables (the
// counters of a connection are flushed when it closes, so snapshots are taken after the pool and the
// web server are gone). A difference in writes means raw-intake.ts is out of step with intake.

type TableCounts = Map<string, { writes: number; scans: number }>;
async function tableCounts(db: pg.Client): Promise<TableCounts> {
  await new Promise((r) => setTimeout(r, 700)); // let closing backends flush their counters
  const { rows } = await db.query<{ relname: string; writes: string; scans: string }>(
    `select relname, n_tup_ins + n_tup_upd + n_tup_del as writes, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) as scans from pg_stat_user_tables`,
  );
  return new Map(rows.map((r) => [r.relname, { writes: Number(r.writes), scans: Number(r.scans) }]));
}
const ordersSoFar = () => [...succeeded].filter(([sku]) => sku.startsWith('BENCH-')).reduce((n, [, v]) => n + v, 0);
interface Work {
  table: string;
  raw: { writes: number; scans: number };
  api: { writes: number; scans: number };
}
function workPerOrder(t0: TableCounts, t1: TableCounts, t2: TableCounts, rawOrders: number, apiOrders: number): Work[] {
  const per = (a: TableCounts, b: TableCounts, table: string, n: number) => ({
    writes: ((b.get(table)?.writes ?? 0) - (a.get(table)?.writes ?? 0)) / Math.max(n, 1),
    scans: ((b.get(table)?.scans ?? 0) - (a.get(table)?.scans ?? 0)) / Math.max(n, 1),
  });
  return [...t2.keys()]
    .sort()
    .map((table) => ({ table, raw: per(t0, t1, table, rawOrders), api: per(t1, t2, table, apiOrders) }))
    .filter((w) => w.raw.writes + w.raw.scans + w.api.writes + w.api.scans >= 0.01);
}

// ---------------------------------------------------------------------------------------------
// The web server, started as tests/support/app.ts starts it.

interface WebServer {
  child: ChildProcess;
  url: string;
  startedAt: number;
}
let stoppingWeb = false;
let webCrashed = '';
function startWeb(env: Record<string, string>, nodeArgs: string[]): Promise<WebServer> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'scripts', 'web.ts')], {
    cwd: root,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let forwarded = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web.ts did not start within 60 s:\n${output}`)), 60_000);
    let ready = false;
    child.stdout!.on('data', (b: Buffer) => {
      if (ready) return;
      output += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, url: m[1].replace('localhost', '127.0.0.1'), startedAt });
      }
    });
    // Whatever the server complains about under load is worth seeing, but not ten thousand times.
    child.stderr!.on('data', (b: Buffer) => {
      output += b.toString();
      if (forwarded++ < 20) process.stderr.write(`[web] ${b.toString()}`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`web.ts exited (${code}) during start-up:\n${output}`));
      else if (!stoppingWeb) {
        webCrashed = `the web server exited during the run (code ${code}, signal ${signal})`;
        console.error(`[bench] ${webCrashed}`);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------

interface Results {
  runs: Map<string, Run>;
  checks: Map<string, Check>;
  floor?: Run;
  work?: Work[];
}

async function main(): Promise<number> {
  const started = Date.now();
  console.log(`[bench] orders: ${BUYERS} buyers, ${WARMUP} s warm-up + ${SECONDS} s per scenario, pool ${POOL_MAX}${flags.profile ? ', with --profile' : ''}`);
  buildIfStale();
  checkInterrupted();

  // Set-up: embedded PostgreSQL of the bench's own, a fresh database, the schema, the small demo data,
  // and stock to sell that no run can exhaust.
  const pgServer = await startEmbeddedPostgres({ dir: PG_DIR, port: PG_PORT });
  cleanups.push({ name: 'PostgreSQL', fn: () => pgServer.stop() });
  const postmasterPid = Number(fs.readFileSync(path.join(PG_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]);
  await pgServer.dropDatabase(DATABASE);
  await pgServer.ensureDatabase(DATABASE);
  cleanups.push({ name: 'the bench database', fn: () => pgServer.dropDatabase(DATABASE) });
  const url = pgServer.urlFor(DATABASE);
  await migrateUp(url);
  const orm = await createOrm({ url });
  let apiKey: string;
  try {
    apiKey = (await seedDemoData(orm, { size: 'small', passwordFor: () => 'x' })).apiKey;
  } finally {
    await orm.close();
  }
  checkInterrupted();

  const benchSkus = [HOT_SKU, ...Array.from({ length: BUYERS }, (_, i) => spreadSku(i))];
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    await setup.query(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency)
       select s, 'B-' || s, s, 100, 10, 10, 10, 1999, 'USD' from unnest($1::text[]) s`,
      [benchSkus],
    );
    await setup.query(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
       select p.id, w.id, case when w.code = 'EWR' then $2::int else 0 end, 0, 0, 10, now()
         from product p cross join warehouse w where p.sku = any($1::text[])`,
      [benchSkus, STOCK],
    );
    // Statistics, as a database in use has them (autovacuum analyses at most once a minute): without
    // them the planner cannot tell the unique (channel, external id) index from the channel's order-list
    // index, and a prepared statement may keep a plan that reads every order of the channel.
    await setup.query('analyze');
  } finally {
    await setup.end(); // closing flushes its table counters, which must not count as the baseline's
  }
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  cleanups.push({ name: 'the check connection', fn: () => db.end() });
  const {
    rows: [key],
  } = await db.query<{ id: number; name: string }>('select id, name from api_key where revoked_at is null order by id limit 1');
  const {
    rows: [settings],
  } = await db.query<Settings>(
    `select version(), current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit, current_setting('full_page_writes') as full_page_writes`,
  );
  console.log(
    `[bench] set up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${benchSkus.length} bench SKUs with ${STOCK.toLocaleString('en')} units each at EWR, ${CUSTOMERS} buyer emails`,
  );

  const results: Results = { runs: new Map(), checks: new Map() };
  let failed = false;
  const verify = async (label: string) => {
    const c = await checkStock(db);
    results.checks.set(label, c);
    const ok = c.oversold === 0 && c.mismatched.length === 0;
    if (!ok) failed = true;
    console.log(`[bench]   stock check: ${c.oversold} oversold level(s), ${c.mismatched.length} SKU(s) whose reservations do not add up${ok ? ' — ok' : ''}`);
    for (const m of c.mismatched.slice(0, 5)) console.log(`[bench]     ${m}`);
  };

  // 1. The raw baseline (and with --profile its variants), while no web server runs: the server's
  //    outbox relay would otherwise take CPU from it.
  const counts0 = await tableCounts(db);
  const pool = new pg.Pool({ connectionString: url, max: POOL_MAX });
  pool.on('error', () => {}); // an idle client losing its connection at shutdown is no news
  cleanups.push({ name: 'the baseline pool', fn: () => pool.end() });
  const ctx: RawContext = { pool, actor: { type: 'api_key', id: key.id, label: key.name, ip: '127.0.0.1' }, baseCurrency: 'USD' };
  const rawCpu = () => cpuNow(null, postmasterPid);
  const raw = async (label: string, scenario: Scenario, mode: RawMode) => {
    results.runs.set(
      label,
      await drive(
        label,
        async (buyer, seq) => {
          const sku = skuFor(scenario, buyer);
          try {
            await rawOrder(ctx, orderBody(`${mode}-${scenario}`, buyer, seq, sku), mode);
            return { ok: true, status: 'ok', sku };
          } catch (e) {
            return { ok: false, status: e instanceof Refused ? `refused: ${e.message}` : `error: ${e instanceof Error ? e.message : e}`, sku };
          }
        },
        rawCpu,
      ),
    );
    await verify(label);
  };
  await raw('raw hot', 'hot', 'intake');
  await raw('raw spread', 'spread', 'intake');
  if (flags.profile) {
    await raw('raw hot, reserve first', 'hot', 'reserve-first');
    await raw('raw spread, unprepared', 'spread', 'unprepared');
    // The floor: one bare round trip (`select 1`) through the same pool at the same concurrency.
    results.floor = await drive(
      'round trip (select 1)',
      async () => {
        await pool.query('select 1');
        return { ok: true, status: 'ok', sku: '(none)' };
      },
      rawCpu,
      { seconds: 3, warmup: 1 },
    );
  }
  await pool.end();
  cleanups.pop();
  const rawOrders = ordersSoFar();
  const counts1 = await tableCounts(db);

  // 2. The HTTP API, through the built web server.
  const profileDir = path.join(PROFILE_DIR, RUN);
  if (flags.profile) fs.mkdirSync(profileDir, { recursive: true });
  const web = await startWeb(
    {
      DATABASE_URL: url,
      PORT: '0',
      HOST: '127.0.0.1',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      DB_POOL_MAX: String(POOL_MAX),
      // The per-key limit stays on (its cost is part of every API request) but far above what the bench sends.
      API_RATE_LIMIT: '100000000',
      OMS_BUILD_DIR: path.relative(root, buildDir),
    },
    flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  cleanups.push({
    name: 'the web server',
    fn: () => {
      stoppingWeb = true;
      return stopProcess(web.child);
    },
  });
  const agent = new Agent({ connections: BUYERS, keepAliveTimeout: 30_000 });
  cleanups.push({ name: 'the HTTP client', fn: () => agent.close() });
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const apiFrom = Date.now();
  for (const scenario of ['hot', 'spread'] as const) {
    const label = `api ${scenario}`;
    results.runs.set(
      label,
      await drive(
        label,
        async (buyer, seq) => {
          const sku = skuFor(scenario, buyer);
          const res = await request(`${web.url}/api/v1/orders`, {
            method: 'POST',
            dispatcher: agent,
            headers,
            body: JSON.stringify(orderBody(`api-${scenario}`, buyer, seq, sku)),
          });
          const text = await res.body.text();
          return res.statusCode === 201 ? { ok: true, status: '201', sku } : { ok: false, status: `HTTP ${res.statusCode}`, sku, detail: text };
        },
        () => cpuNow(web.child.pid ?? null, postmasterPid),
      ),
    );
    await verify(label);
  }
  const apiTo = Date.now();
  await cleanups.pop()!.fn();
  await cleanups.pop()!.fn(); // the web server writes its profile as it exits
  results.work = workPerOrder(counts0, counts1, await tableCounts(db), rawOrders, ordersSoFar() - rawOrders);

  report(results, settings);

  if (flags.profile) {
    const files = fs
      .readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(profileDir, f));
    if (!files.length) console.log(`\nNo .cpuprofile was written to ${profileDir}.`);
    for (const file of files) {
      // Only the samples taken while the API scenarios ran: start-up and shutdown are left out.
      const summary = summariseProfile(file, { fromMs: apiFrom - web.startedAt, toMs: apiTo - web.startedAt, top: 25 });
      console.log(`\nWeb server CPU profile while it took orders (${path.relative(root, file)}; again: node bench/lib/cpuprofile.ts <file>):`);
      console.log(summary.lines.join('\n'));
    }
  }
  if (webCrashed) console.error(`[bench] failed: ${webCrashed}`);
  return failed || webCrashed ? 1 : 0;
}

interface Settings {
  version: string;
  fsync: string;
  synchronous_commit: string;
  full_page_writes: string;
}

function report({ runs, checks, floor, work }: Results, settings: Settings) {
  const cores = os.availableParallelism();
  const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const pct = (a: number, b: number) => `${f0((100 * a) / b)}%`;
  const failures = (r: Run | undefined) => (r ? [...r.failures.values()].reduce((a, b) => a + b, 0) : 0);
  const table = (head: string[], rows: string[][]) => {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
    return [line(head), `|${w.map((n, i) => (i === 0 ? `:${'-'.repeat(n + 1)}` : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
  };
  const run = (label: string) => runs.get(label)!;

  console.log('');
  console.log(
    `Machine: nproc ${cores} (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; ${settings.version.split(',')[0]}`,
  );
  console.log(
    `PostgreSQL durability as npm start: fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}, full_page_writes=${settings.full_page_writes}`,
  );
  console.log(
    `${BUYERS} concurrent buyers; ${WARMUP} s warm-up + ${SECONDS} s measured per scenario; DB pool ${POOL_MAX} connections for the web server and the raw baseline alike (DB_POOL_MAX)`,
  );
  if (flags.profile) console.log("The web server ran under --cpu-prof: the API figures include the profiler's overhead.");
  console.log('');
  const rows = (['hot', 'spread'] as const).map((s) => {
    const api = run(`api ${s}`),
      base = run(`raw ${s}`);
    const oversold = (checks.get(`api ${s}`)?.oversold ?? 0) + (checks.get(`raw ${s}`)?.oversold ?? 0);
    return [
      s === 'hot' ? `hot (${BUYERS} buyers, 1 SKU)` : `spread (${BUYERS} SKUs)`,
      f0(api.perSecond),
      f0(base.perSecond),
      pct(api.perSecond, base.perSecond),
      `${f1(api.p50)} ms`,
      `${f1(api.p95)} ms`,
      `${f1(api.p99)} ms`,
      String(failures(api)),
      String(oversold),
    ];
  });
  console.log(table(['scenario', 'API orders/s', 'raw pg orders/s', 'API as % of raw', 'p50', 'p95', 'p99', 'non-201', 'oversold'], rows));
  console.log(
    'p50/p95/p99: API latency seen by the buyer. non-201: API answers other than 201 (warm-up included). oversold: inventory levels with reserved > on_hand.',
  );
  console.log(
    'raw pg: the same work on a plain pg pool, one order per transaction; the API commits the orders that arrive together in one transaction (group commit).',
  );
  const rawFailures = failures(runs.get('raw hot')) + failures(runs.get('raw spread'));
  if (rawFailures) console.log(`The raw baseline had ${rawFailures} failed transaction(s).`);
  console.log(
    `Ratios: API/raw hot ${pct(run('api hot').perSecond, run('raw hot').perSecond)}, spread ${pct(run('api spread').perSecond, run('raw spread').perSecond)}; ` +
      `hot/spread API ${pct(run('api hot').perSecond, run('api spread').perSecond)}, raw ${pct(run('raw hot').perSecond, run('raw spread').perSecond)}`,
  );
  const best = Math.max(run('api hot').perSecond, run('api spread').perSecond);
  const clean = [...checks.values()].every((c) => c.oversold === 0 && c.mismatched.length === 0);
  console.log(
    `Target ≥ 2,000 API orders/s on 2 cores with 0 oversell: ${best >= 2000 && clean ? 'met' : 'not met'} (best API figure ${f0(best)} orders/s, ${clean ? 'no oversell' : 'OVERSOLD'})`,
  );

  console.log('');
  console.log('Where the CPU went (measured windows; CPU ms per order, from /proc):');
  const perOrder = (r: Run, c: Cpu) => (r.done ? `${(ms(c) / r.done).toFixed(2)} (${(c.sys / r.done).toFixed(2)})` : '–');
  const detail = [...runs.values(), ...(floor ? [floor] : [])].map((r) => {
    const ours = ms(r.cpu.bench) + ms(r.cpu.web) + ms(r.cpu.postgres);
    const wall = r.seconds * 1000 * cores;
    return [
      r.label,
      f0(r.perSecond),
      `${f1(r.p50)} / ${f1(r.p95)} / ${f1(r.p99)}`,
      perOrder(r, r.cpu.bench),
      ms(r.cpu.web) ? perOrder(r, r.cpu.web) : '–',
      perOrder(r, r.cpu.postgres),
      r.done ? (ours / r.done).toFixed(2) : '–',
      pct(ours, wall),
      pct(Math.max(0, r.cpu.machine - ours), wall),
    ];
  });
  console.log(table(['run', 'per s', 'p50 / p95 / p99 ms', 'bench (sys)', 'web (sys)', 'postgres (sys)', 'total', 'CPU used', 'other load'], detail));
  console.log(
    `bench: this process (the HTTP load generator in api runs, the whole client side in raw runs); (sys): the kernel's part. CPU used: share of all ${cores} cores.`,
  );
  console.log('other load: CPU the rest of the machine used meanwhile (more than a few % means other work skewed the figures).');
  for (const r of runs.values()) for (const [status, n] of r.failures) console.log(`  ${r.label}: ${n} × ${status}`);

  if (work?.length) {
    console.log('');
    console.log('Same work? Per order, rows written and scans started per table (pg_stat_user_tables), raw baseline vs API:');
    const f2 = (n: number) => n.toFixed(2);
    // A statement more or less shows as a whole row per order; fractions come from data-dependent writes
    // (a customer whose tier moves gets a customer update and a second audit row).
    // rate_limit is the HTTP layer's (the per-key limit counts every API request), not intake's.
    const differs = work.filter((w) => w.table !== 'rate_limit' && Math.abs(w.raw.writes - w.api.writes) >= 0.5);
    console.log(
      table(
        ['table', 'raw writes', 'API writes', 'raw scans', 'API scans'],
        work.map((w) => [w.table, f2(w.raw.writes), `${f2(w.api.writes)}${differs.includes(w) ? ' ≠' : ''}`, f2(w.raw.scans), f2(w.api.scans)]),
      ),
    );
    console.log('Scans only the API makes are expected: api_key (authenticating the request), outbox_event (the live relay reading what was committed);');
    console.log('rate_limit is written once per API request by the per-key limit (HTTP layer, not intake).');
    console.log("scans also count the bench's own stock checks, and move with the plans Postgres picks as the tables grow (the API runs second).");
    if (differs.length)
      console.log(
        `WARNING: the raw baseline writes different rows than intake (${differs.map((w) => w.table).join(', ')}): bench/lib/raw-intake.ts is out of step with app/modules/orders/intake.server.ts.`,
      );
    else console.log('The raw baseline writes the same rows per order as the API (fractions: writes that depend on the data, such as customer tier changes).');
  }
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(stopping.signal.aborted ? '[bench] interrupted' : `[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
  code = 1;
} finally {
  await teardown();
}
process.exit(code);
