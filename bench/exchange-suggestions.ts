// Replacement suggestions on the tracking page over a large catalogue: how long exchangeOptions() (the
// tracking page loader's call) takes for one returned product and for an order of five, at several
// price points. In the same run and on the same data, the baselines:
//   - before: the query as it was (bench/lib/exchange-suggestions-before.ts);
//   - new query, no new indexes: today's query with the suggestion indexes dropped (rolled back after).
// It also checks that the new query returns exactly what the old one did, for every case.
//
//   npm run bench -- exchange-suggestions [--products 100000] [--runs 20] [--port 55702] [--keep]
//
// Data (deterministic, bulk SQL): `--products` products in 1,000 categories (2% without one), prices
// 5.00–505.00, 95% USD and 5% EUR, 97% active, stocked in two of four warehouses, 25% out of stock
// everywhere. Figures only: the bench fails on a crash or a wrong answer, never on a slow figure.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { exchangeOptions } from '../app/modules/returns/service.server.ts';
import { exchangeOptionsBefore } from './lib/exchange-suggestions-before.ts';
import { benchTeardown } from './lib/teardown.ts';

const { values: flags } = parseArgs({
  options: {
    products: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '20' },
    port: { type: 'string', default: '55702' },
    keep: { type: 'boolean', default: false },
  },
});
const PRODUCTS = Number(flags.products);
const RUNS = Number(flags.runs);
const PG_PORT = Number(flags.port);
if (!(PRODUCTS >= 1000 && Number.isInteger(PRODUCTS)) || !(RUNS >= 3) || !(PG_PORT > 0))
  throw new Error('--products takes a whole number ≥ 1000, --runs ≥ 3, --port a port');
const WARMUP = 3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_DIR = path.join(root, '.data', 'bench', 'exchange-suggestions-postgres');
const DATABASE = 'bench_exchange_suggestions';
const INDEXES = ['product_category_name_sku_index', 'product_name_sku_index'];

const cleanup = benchTeardown();
const checkInterrupted = cleanup.checkInterrupted;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

async function seedCatalogue(db: pg.Client) {
  await db.query(`insert into warehouse (code, name, line1, city, country, lat, lng) values
    ('W1', 'One', 'x', 'c', 'US', 40, -74), ('W2', 'Two', 'x', 'c', 'US', 39, -119), ('W3', 'Three', 'x', 'c', 'CN', 31, 121), ('W4', 'Four', 'x', 'c', 'TW', 25, 121)`);
  await db.query(
    `insert into product (sku, barcode, name, category, weight_grams, length_mm, width_mm, height_mm, price_minor, currency, active)
     select 'P-' || lpad(i::text, 7, '0'), 'B' || i, initcap(md5(i::text)), case when abs(hashint4(i * 13)) % 50 = 0 then null else 'cat-' || abs(hashint4(i * 7)) % 1000 end,
            500, 1, 1, 1, 500 + abs(hashint4(i * 11)) % 50000, case when abs(hashint4(i * 17)) % 20 = 0 then 'EUR' else 'USD' end, abs(hashint4(i * 19)) % 100 >= 3
       from generate_series(1, $1::int) i`,
    [PRODUCTS],
  );
  // Two warehouses per product; a quarter of the products out of stock (or fully reserved) everywhere.
  await db.query(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, updated_at)
     select p.id, w.id, x.on_hand, case when x.out then x.on_hand else 0 end, now()
       from product p
       join warehouse w on (abs(hashint4(p.id)) + w.id) % 2 = 0
       cross join lateral (select abs(hashint4(p.id * 23)) % 4 = 0 as out, abs(hashint4(p.id * 29 + w.id)) % 20 as on_hand) x`,
  );
}

type Case = { name: string; skus: string[] };

async function main(): Promise<number> {
  console.log(`[bench] exchange-suggestions: ${PRODUCTS.toLocaleString('en')} products, ${WARMUP} warm-up + ${RUNS} timed runs per case and variant`);
  const pgServer = await startEmbeddedPostgres({ dir: PG_DIR, port: PG_PORT, fast: true });
  cleanup.add('PostgreSQL', () => pgServer.stop());
  await pgServer.dropDatabase(DATABASE);
  await pgServer.ensureDatabase(DATABASE);
  cleanup.add('the bench database', () => pgServer.dropDatabase(DATABASE));
  const url = pgServer.urlFor(DATABASE);
  await migrateUp(url);
  const orm = await createOrm({ url, poolMax: 2 });
  cleanup.add('the ORM', () => orm.close());
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  cleanup.add('the set-up connection', () => db.end());
  const t0 = performance.now();
  await seedCatalogue(db);
  await db.query('vacuum analyze');
  console.log(`[bench] loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  checkInterrupted();

  // Returned products at a price percentile (USD, active, with a category), and one without a category.
  const atPercentile = async (p: number) =>
    (
      await db.query<{ sku: string }>(
        `select sku from product where active and currency = 'USD' and category is not null order by price_minor, id
      offset (select (count(*) * $1::float8)::int from product where active and currency = 'USD' and category is not null) limit 1`,
        [p],
      )
    ).rows[0].sku;
  const {
    rows: [uncategorised],
  } = await db.query<{ sku: string }>(
    `select sku from product where active and category is null and currency = 'USD' order by abs(price_minor - 25000), id limit 1`,
  );
  const cases: Case[] = [
    { name: 'one product, median price', skus: [await atPercentile(0.5)] },
    { name: 'one product, 10th percentile price', skus: [await atPercentile(0.1)] },
    { name: 'one product, 1st percentile price', skus: [await atPercentile(0.01)] },
    { name: 'one product, the cheapest (worst case)', skus: [await atPercentile(0)] },
    { name: 'one product without a category', skus: [uncategorised.sku] },
    {
      name: 'an order of five (5th–95th pct)',
      skus: [await atPercentile(0.05), await atPercentile(0.3), await atPercentile(0.5), await atPercentile(0.7), await atPercentile(0.95)],
    },
  ];

  const time = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < WARMUP; i++) await fn();
    const out: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
      checkInterrupted();
    }
    return out;
  };
  const fmt = (xs: number[]) => `p50 ${ms(pct(xs, 50)).padStart(6)} ms  p95 ${ms(pct(xs, 95)).padStart(6)} ms`;
  let wrong = 0;
  console.log(`\n${'case'.padEnd(42)} ${'before'.padEnd(30)} ${'new query, no new indexes'.padEnd(30)} new`);
  for (const c of cases) {
    const em = orm.em.fork();
    const expected = await exchangeOptionsBefore(em, c.skus);
    const got = await exchangeOptions(em, c.skus);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      wrong++;
      console.error(`[bench] ${c.name}: the new query answers differently from the old one`);
    }
    const before = await time(() => exchangeOptionsBefore(orm.em.fork(), c.skus));
    // The indexes dropped inside a transaction that is rolled back: the same rows, the old indexes.
    const tx = orm.em.fork();
    await tx.begin();
    let noIndexes: number[];
    try {
      for (const name of INDEXES) await tx.execute(`drop index "${name}"`);
      noIndexes = await time(() => exchangeOptions(tx, c.skus));
    } finally {
      await tx.rollback();
    }
    const after = await time(() => exchangeOptions(orm.em.fork(), c.skus));
    const n = Object.values(got)
      .map((xs) => xs.length)
      .join('+');
    console.log(`${`${c.name} (${n})`.padEnd(42)} ${fmt(before).padEnd(30)} ${fmt(noIndexes).padEnd(30)} ${fmt(after)}`);
  }
  const { rows: sizes } = await db.query<{ name: string; size: string }>(
    `select relname as name, pg_size_pretty(pg_relation_size(oid)) as size from pg_class where relname = any($1::text[]) order by relname`,
    [INDEXES],
  );
  console.log(`\nindex sizes: ${sizes.map((s) => `${s.name} ${s.size}`).join(', ')}; product table ${PRODUCTS.toLocaleString('en')} rows`);
  console.log('(a shared 2-core machine: other work ran at the same time; compare columns of one run, not runs)');
  if (flags.keep) {
    console.log(`[bench] --keep: ${url} stays up until Ctrl-C`);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (cleanup.interrupted) {
          clearInterval(t);
          resolve();
        }
      }, 200);
    });
  }
  return wrong ? 1 : 0;
}

await cleanup.exitWith(main);
