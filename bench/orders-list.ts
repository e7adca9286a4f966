// The orders list at scale: how long one page takes over 100k+ orders (or more), through listOrders(),
// the very function the /orders route and GET /api/v1/orders call, with each filter, text search, a deep
// page and combined filters. In the same run and on the same data, the baselines:
//   - before: the list query as it was (bench/lib/orders-list-before.ts) on the indexes of that time;
//   - new query, old indexes: today's query without this change's indexes (what the query shape alone buys);
//   - floor: `select * from sales_order order by id desc limit 50`, the cheapest page there is.
// The old indexes are put back inside a transaction that is rolled back, so both sets see the same rows.
//
//   npm run bench -- orders-list [--orders 100000] [--runs 25] [--port 55701] [--keep]   (or node bench/orders-list.ts …)
//   --keep leaves PostgreSQL and the loaded database up after the figures (to look at plans) until Ctrl-C.
//
// Data: `--orders` orders over two years (bulk SQL with generate_series, deterministic), one customer per
// five orders with realistic names, 1–3 lines per order, reservations by status, 3% split over two
// warehouses, channels and warehouses of uneven size. Figures only: the bench fails on a crash, never on a
// slow figure. It also prints what the new indexes cost: their size, build time and the extra time per
// inserted order.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { startEmbeddedPostgres } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { seedDemoData } from '../scripts/seed/demo.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { listOrders, parseOrderFilters, type OrderFilters } from '../app/modules/orders/queries.server.ts';
import { listOrdersBefore } from './lib/orders-list-before.ts';
import { benchTeardown } from './lib/teardown.ts';
import { seedBulkOrders } from './lib/bulk-orders.ts';

const { values: flags } = parseArgs({
  options: {
    orders: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '25' },
    port: { type: 'string', default: '55701' },
    keep: { type: 'boolean', default: false },
  },
});
const ORDERS = Number(flags.orders);
const RUNS = Number(flags.runs);
const PG_PORT = Number(flags.port);
if (!(ORDERS >= 1000 && Number.isInteger(ORDERS)) || !(RUNS >= 3) || !(PG_PORT > 0))
  throw new Error('--orders takes a whole number ≥ 1000, --runs ≥ 3, --port a port');
const WARMUP = 3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_DIR = path.join(root, '.data', 'bench', 'orders-list-postgres');
const DATABASE = 'bench_orders_list';

/** The indexes Migration20261124173000_order_list_and_picking adds, and the ones it replaced. */
const NEW_INDEXES: [string, string][] = [
  ['sales_order_placed_at_id_index', 'create index "sales_order_placed_at_id_index" on "sales_order" ("placed_at", "id")'],
  ['sales_order_status_placed_at_id_index', 'create index "sales_order_status_placed_at_id_index" on "sales_order" ("status", "placed_at", "id")'],
  ['sales_order_channel_placed_at_id_index', 'create index "sales_order_channel_placed_at_id_index" on "sales_order" ("channel_id", "placed_at", "id")'],
  ['sales_order_customer_placed_at_id_index', 'create index "sales_order_customer_placed_at_id_index" on "sales_order" ("customer_id", "placed_at", "id")'],
  ['sales_order_total_minor_id_index', 'create index "sales_order_total_minor_id_index" on "sales_order" ("total_minor", "id")'],
  [
    'sales_order_search_trgm_index',
    'create index "sales_order_search_trgm_index" on "sales_order" using gin ("number" gin_trgm_ops, "external_id" gin_trgm_ops)',
  ],
  ['customer_search_trgm_index', 'create index "customer_search_trgm_index" on "customer" using gin ("name" gin_trgm_ops, "email" gin_trgm_ops)'],
];
const OLD_INDEXES: [string, string][] = [
  ['sales_order_placed_at_index', 'create index "sales_order_placed_at_index" on "sales_order" ("placed_at")'],
  ['sales_order_status_index', 'create index "sales_order_status_index" on "sales_order" ("status")'],
  ['sales_order_channel_id_index', 'create index "sales_order_channel_id_index" on "sales_order" ("channel_id")'],
  ['sales_order_customer_id_index', 'create index "sales_order_customer_id_index" on "sales_order" ("customer_id")'],
];

// ---------------------------------------------------------------------------------------------
// Teardown in reverse order, on success, on error and on Ctrl-C.

const cleanup = benchTeardown();
const checkInterrupted = cleanup.checkInterrupted;

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

interface Case {
  name: string;
  params: string;
  note?: string;
}
type Variant = 'before' | 'newOldIdx' | 'new';
const VARIANT_LABEL: Record<Variant, string> = {
  before: 'before (old query, old indexes)',
  newOldIdx: 'new query, old indexes',
  new: 'new query, new indexes',
};

/** Run times in ms. A query slower than SLOW_MS is timed once only (shown as "1 run"), so a large --orders stays practical. */
const SLOW_MS = 2000;
async function time(fn: () => Promise<unknown>): Promise<number[]> {
  const t0 = performance.now();
  await fn();
  const once = performance.now() - t0;
  if (once > SLOW_MS) return [once];
  for (let i = 1; i < WARMUP; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
    checkInterrupted();
  }
  return out;
}

async function main(): Promise<number> {
  const started = performance.now();
  console.log(`[bench] orders-list: ${ORDERS.toLocaleString('en')} orders, ${WARMUP} warm-up + ${RUNS} timed runs per query and variant`);

  // Durability off (fsync, synchronous_commit): it only speeds up loading; every timed query is a read.
  const pgServer = await startEmbeddedPostgres({ dir: PG_DIR, port: PG_PORT, fast: true });
  cleanup.add('PostgreSQL', () => pgServer.stop());
  await pgServer.dropDatabase(DATABASE);
  await pgServer.ensureDatabase(DATABASE);
  cleanup.add('the bench database', () => pgServer.dropDatabase(DATABASE));
  const url = pgServer.urlFor(DATABASE);
  await migrateUp(url);
  const orm = await createOrm({ url });
  cleanup.add('the ORM', () => orm.close());
  await seedDemoData(orm, { size: 'small', passwordFor: () => 'x' });
  checkInterrupted();

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  cleanup.add('the set-up connection', () => db.end());
  // Load without the new indexes, then build them (timed), as a migration on a full table would.
  for (const [name] of NEW_INDEXES) await db.query(`drop index "${name}"`);
  let t0 = performance.now();
  await seedBulkOrders(db, { orders: ORDERS, days: 730 });
  const loadSeconds = seconds(t0);
  t0 = performance.now();
  const builds: string[] = [];
  for (const [name, sql] of NEW_INDEXES) {
    const t = performance.now();
    await db.query(sql);
    builds.push(`${name} ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const buildSeconds = seconds(t0);
  await db.query('vacuum analyze');
  checkInterrupted();
  const {
    rows: [counts],
  } = await db.query<Record<string, string>>(
    `select (select count(*) from sales_order) as orders, (select count(*) from customer) as customers, (select count(*) from order_line) as lines,
            (select count(*) from reservation) as reservations, pg_size_pretty(pg_total_relation_size('sales_order')) as order_size`,
  );
  const { rows: sizes } = await db.query<{ name: string; size: string }>(
    `select c.relname as name, pg_size_pretty(pg_relation_size(c.oid)) as size from pg_class c where c.relname = any($1::text[]) order by c.relname`,
    [NEW_INDEXES.map(([n]) => n)],
  );

  // Representative values from the data.
  const {
    rows: [pick],
  } = await db.query<Record<string, string | number>>(
    `select (select number from sales_order order by id offset (select count(*) / 2 from sales_order) limit 1) as number,
            (select customer_id from sales_order group by customer_id order by count(*) desc, customer_id limit 1) as customer,
            (select split_part(email, '@', 1) from customer where email like '%@bench.example' order by id offset 4242 % (select count(*) from customer where email like '%@bench.example') limit 1) as email,
            to_char(now() - interval '365 days', 'YYYY-MM-DD') as week_from, to_char(now() - interval '358 days', 'YYYY-MM-DD') as week_to,
            to_char(now() - interval '90 days', 'YYYY-MM-DD') as quarter_from`,
  );
  const cases: Case[] = [
    { name: 'first page, newest first (default)', params: '' },
    { name: 'status = on_hold (holds queue)', params: 'status=on_hold' },
    { name: 'status = picking', params: 'status=picking' },
    { name: 'channel = momo (5%)', params: 'channel=momo' },
    { name: 'warehouse = TPE (7%)', params: 'warehouse=TPE' },
    { name: "one customer's orders", params: `customer=${pick.customer}` },
    { name: 'one week a year ago', params: `from=${pick.week_from}&to=${pick.week_to}` },
    { name: 'search: an order number', params: `q=${pick.number}` },
    { name: 'search: part of an email', params: `q=${String(pick.email).slice(0, -1)}` },
    { name: 'search: a surname (~1 in 60 customers)', params: 'q=Kowalski' },
    { name: 'search: two letters (whole values only)', params: 'q=li' },
    { name: 'sort by total, largest first', params: 'sort=total&dir=desc' },
    { name: 'sort by status', params: 'sort=status&dir=asc' },
    { name: 'page 200 by offset (rows 9,951–10,000)', params: 'page=200' },
    {
      name: 'combined: web + EWR + completed, last 90 days, by total',
      params: `channel=web&warehouse=EWR&status=completed&from=${pick.quarter_from}&sort=total&dir=desc`,
    },
    { name: 'combined: shipped + search "Smith"', params: 'status=shipped&q=Smith' },
  ];

  // Keyset: the page after row 10,000 and after row 50,000 (cursors from the new query's offset pages).
  const em = orm.em.fork() as EntityManager;
  const cursorAt = async (rows: number) => (await listOrders(em, parseOrderFilters(new URLSearchParams(`page=${rows / 50}`)))).nextCursor!;
  const deep = [10_000, Math.min(50_000, Math.floor(ORDERS / 2 / 50) * 50)];
  const keysetCases = await Promise.all(
    deep.map(async (rows) => ({
      name: `next page by cursor after row ${rows.toLocaleString('en')}`,
      params: `after=${await cursorAt(rows)}&page=${rows / 50 + 1}`,
      note: 'keyset',
    })),
  );
  const offsetDeep: Case = { name: `page ${deep[1] / 50 + 1} by offset (after row ${deep[1].toLocaleString('en')})`, params: `page=${deep[1] / 50 + 1}` };
  const all = [...cases, offsetDeep, ...keysetCases];

  const results = new Map<string, Partial<Record<Variant, number[]>> & { matched?: string }>();
  const measure = async (variant: Variant, tem: EntityManager) => {
    for (const c of all) {
      const f: OrderFilters = parseOrderFilters(new URLSearchParams(c.params));
      const entry = results.get(c.name) ?? {};
      if (variant === 'before') {
        if (c.note === 'keyset') continue; // the old query had no cursor
        entry.before = await time(() => listOrdersBefore(tem, f));
      } else {
        entry[variant] = await time(() => listOrders(tem, f));
        if (variant === 'new') {
          const r = await listOrders(tem, f);
          entry.matched = `${r.totalCapped ? '>' : ''}${r.total.toLocaleString('en')}`;
        }
      }
      results.set(c.name, entry);
    }
  };

  // The old indexes, inside a transaction that is rolled back: same rows, same statistics.
  class Rollback extends Error {}
  const insertCost: Record<string, number> = {};
  const insertOrders = async (tem: EntityManager, label: string) => {
    const N = 2000;
    const [{ cid, chid }] = await tem.execute<{ cid: number; chid: number }[]>(
      `select (select min(id) from customer) as cid, (select min(id) from channel) as chid`,
    );
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      const [cust] = await tem.execute<{ id: number }[]>(`insert into customer (email, name, created_at) values (?, ?, now()) returning id`, [
        `ins-${label}-${i}@bench.example`,
        `Insert Test ${i}`,
      ]);
      await tem.execute(
        `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, placed_at, created_at, updated_at)
         values (?, ?, ?, 'USD', 1000, 1000, 'awaiting_payment', 'test-card', '{}', now(), now(), now())`,
        [chid, `INS-${label}-${i}`, i % 2 ? cust.id : cid],
      );
    }
    insertCost[label] = (performance.now() - t) / N;
  };
  console.log(`[bench] measuring with the old indexes…`);
  try {
    await orm.em.fork().transactional(async (tem) => {
      for (const [name] of NEW_INDEXES) await tem.execute(`drop index "${name}"`);
      for (const [, sql] of OLD_INDEXES) await tem.execute(sql);
      await tem.execute('analyze sales_order');
      await measure('before', tem as EntityManager);
      await measure('newOldIdx', tem as EntityManager);
      await insertOrders(tem as EntityManager, 'old');
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  console.log(`[bench] measuring with the new indexes…`);
  await measure('new', orm.em.fork() as EntityManager);
  try {
    await orm.em.fork().transactional(async (tem) => {
      await insertOrders(tem as EntityManager, 'new');
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  const floor = await time(() => em.execute('select * from sales_order order by id desc limit 50'));

  const cores = os.cpus().length;
  const [load1] = os.loadavg();
  console.log('');
  console.log(
    `Machine: nproc ${cores} (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${load1.toFixed(1)} at the end (a shared machine: other work ran alongside); Node ${process.version}, PostgreSQL 17 (embedded)`,
  );
  console.log(
    `Data: ${Number(counts.orders).toLocaleString('en')} orders (${counts.order_size} with indexes), ${Number(counts.customers).toLocaleString('en')} customers, ${Number(counts.lines).toLocaleString('en')} lines, ${Number(counts.reservations).toLocaleString('en')} reservations; loaded in ${loadSeconds} s, new indexes built in ${buildSeconds} s (${builds.join(', ')})`,
  );
  console.log(`Index sizes: ${sizes.map((s) => `${s.name} ${s.size}`).join(', ')}`);
  console.log(
    `One page = 50 rows, count capped at 10,000. p50 / p95 in ms over ${RUNS} runs each (after ${WARMUP} warm-ups; a query over ${SLOW_MS / 1000} s runs once), one connection, no concurrency.`,
  );
  console.log('');
  console.log(`| query | matches | ${VARIANT_LABEL.before} | ${VARIANT_LABEL.newOldIdx} | ${VARIANT_LABEL.new} | before ÷ new (p50) |`);
  console.log('|:--|--:|--:|--:|--:|--:|');
  for (const c of all) {
    const r = results.get(c.name)!;
    const cell = (xs?: number[]) => (!xs ? '—' : xs.length === 1 ? `${ms(xs[0])} (1 run)` : `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))}`);
    const ratio = r.before && r.new ? `${(pct(r.before, 50) / pct(r.new, 50)).toFixed(1)}×` : '—';
    console.log(`| ${c.name} | ${r.matched ?? ''} | ${cell(r.before)} | ${cell(r.newOldIdx)} | ${cell(r.new)} | ${ratio} |`);
  }
  console.log(`| floor: select * … order by id desc limit 50 | 50 | | | ${ms(pct(floor, 50))} / ${ms(pct(floor, 95))} | |`);
  console.log('');
  console.log(
    `Write cost of the indexes: one new customer + one order row, inserted one statement at a time in a transaction: ${insertCost.old.toFixed(3)} ms with the old indexes, ${insertCost.new.toFixed(3)} ms with the new (${((insertCost.new - insertCost.old) * 1000).toFixed(0)} µs per order).`,
  );
  console.log(`[bench] done in ${seconds(started)} s`);
  if (flags.keep) {
    console.log(`[bench] --keep: the database is up at ${url}; Ctrl-C stops it.`);
    while (!cleanup.interrupted) await new Promise((r) => setTimeout(r, 500));
  }
  return 0;
}

await cleanup.exitWith(main);
