// Analytics at scale: every dashboard and report figure (sales, fulfilment, returns, payment methods, flows) through
// the very functions the pages call, over a year of orders (1M by default, about 3M lines, a parcel for each
// shipped one, returns, declined payments), next to the naive query a report would otherwise run (GROUP BY
// over orders, lines, shipments, payments and returns) on the same data in the same run; the products & stock,
// margin and customer-cohort reports likewise (lines costed at their product's offer and parcels at a carrier
// rate, as intake and shipping record them).
// Flow runs for one order in four (about 250k, six steps each) feed the flows report the same way.
// Then freshness: orders taken through intake while the refresher runs, each timed from its commit until
// the rollup the dashboard reads counts it.
//
// The service desk's reports the same way over `--tickets` tickets (200k by default, inserted with SQL over the
// same year, with first replies, solves, closes, ratings and SLA breaches): each function the service page
// calls, next to the naive query over ticket, ticket_sla_event and csat_response.
//
//   npm run bench -- analytics [--orders 1000000] [--tickets 200000] [--only sales|tickets] [--cases <regexp>] [--runs 15] [--fresh 120] [--port 55711] [--keep] [--reuse]
//
// --keep leaves the loaded database in place; --reuse times again on it when it holds the same load (same orders
// and tickets, loaded today), else loads it and keeps it. Loading and rebuilding every rollup takes about 20 minutes.
//
// Goals (issue #11): every report ≤ 100 ms p95 and ≥ 20× the naive query; freshness p95 ≤ 2 s. Figures only:
// the bench fails on a crash, never on a slow figure.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startEmbeddedPostgres } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { seedDemoData } from '../scripts/seed/demo.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { SYSTEM } from '../app/lib/audit.server.ts';
import { createOrder } from '../app/modules/orders/intake.server.ts';
import { fxCte } from '../app/modules/customers/queries.server.ts';
import { rebuildRollups, startAnalyticsRefresher, BASE_TOTAL, COUNTRY } from '../app/modules/analytics/rollups.server.ts';
import { rebuildServiceRollups } from '../app/modules/analytics/service-rollups.server.ts';
import { salesBetween, salesReport, today } from '../app/modules/analytics/reports.server.ts';
import { dashboard } from '../app/modules/analytics/dashboard.server.ts';
import { productsReport, ProductsQuery } from '../app/modules/analytics/products.server.ts';
import { marginReport, MarginQuery } from '../app/modules/analytics/margin.server.ts';
import { cohortReport, CohortQuery } from '../app/modules/analytics/cohorts.server.ts';
import { LINE_REVENUE } from '../app/modules/analytics/product-rollups.server.ts';
import { NET_REVENUE } from '../app/modules/analytics/margin-rollups.server.ts';
import { unitCostSql } from '../app/modules/purchasing/costs.ts';
import { fulfilmentReport } from '../app/modules/analytics/fulfilment-report.server.ts';
import { returnsReport } from '../app/modules/analytics/returns-report.server.ts';
import { paymentMethods } from '../app/modules/analytics/payment-methods.server.ts';
import { cancelKey } from '../app/modules/analytics/rollup-sql.ts';
import { OPS_TABLES } from '../app/modules/analytics/ops-rollups.server.ts';
import { benchTeardown } from './lib/teardown.ts';
import { serviceBenchCases, seedBulkTickets } from './lib/bulk-tickets.ts';
import { seedBulkOrders } from './lib/bulk-orders.ts';
import { seedBulkRuns } from './lib/bulk-runs.ts';
import { rebuildWorkflowRollups } from '../app/modules/analytics/workflow-rollups.server.ts';
import { workflowReport } from '../app/modules/analytics/workflow-report.server.ts';

const { values: flags } = parseArgs({
  options: {
    orders: { type: 'string', default: '1000000' },
    tickets: { type: 'string', default: '200000' },
    only: { type: 'string', default: '' },
    runs: { type: 'string', default: '15' },
    fresh: { type: 'string', default: '120' },
    port: { type: 'string', default: '55711' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    cases: { type: 'string', default: '' },
  },
});
const ORDERS = Number(flags.orders);
const RUNS = Number(flags.runs);
const FRESH = Number(flags.fresh);
const PG_PORT = Number(flags.port);
const TICKETS = Number(flags.tickets);
const ONLY = flags.only;
if (!['', 'sales', 'tickets'].includes(ONLY)) throw new Error('--only sales or --only tickets');
const SERVICE = TICKETS > 0 && ONLY !== 'sales';
if (!(ORDERS >= 1000) || !(RUNS >= 3) || !(FRESH >= 10)) throw new Error('--orders ≥ 1000, --runs ≥ 3, --fresh ≥ 10');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_DIR = path.join(root, '.data', 'bench', 'analytics-postgres');
const DATABASE = 'bench_analytics';
const BASE = 'USD';
const TZ = 'UTC';

const cleanup = benchTeardown();
const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

async function timed(fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  for (let i = 0; i < 2; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** What a report would run without rollups: the same figures grouped straight from the base tables. */
function naive(db: pg.Client, from: Date, to: Date, bucket: 'hour' | 'day' | 'week' | 'month' | null, channel?: number) {
  const fx = fxCte(BASE);
  let n = 0;
  const sqlText = fx.sql.replace(/\?/g, () => `$${++n}`);
  return db.query(
    `with ${sqlText}
     select ${bucket ? `date_trunc('${bucket}', o.placed_at at time zone 'UTC')` : 'null'} as b, ${COUNTRY} as country,
            count(*), count(*) filter (where o.status = 'cancelled'), coalesce(sum(l.units) filter (where o.status <> 'cancelled'), 0),
            coalesce(sum(${BASE_TOTAL}) filter (where o.status <> 'cancelled'), 0), count(s.first), count(*) filter (where s.first > o.promised_by)
       from sales_order o
       left join fx on fx.currency = o.currency
       left join lateral (select sum(quantity) as units from order_line where order_id = o.id) l on true
       left join lateral (select min(shipped_at) as first from shipment where order_id = o.id) s on true
      where o.placed_at >= $${n + 1} and o.placed_at < $${n + 2}${channel ? ` and o.channel_id = $${n + 3}` : ''}
      group by 1, 2`,
    [...fx.params, from, to, ...(channel ? [channel] : [])],
  );
}

/** The fulfilment report without rollups: per bucket, channel and warehouse, counts and exact percentiles over the orders; holds, cancellations and payment failures by reason and method. */
async function naiveFulfilment(db: pg.Client, from: Date, to: Date, bucket: 'day' | 'week' | 'month', warehouse?: number, breakdowns = true) {
  const hours = (a: string, b: string) => `extract(epoch from ${b} - ${a}) / 3600`;
  const pct = (p: number, a: string, b: string) => `percentile_cont(${p}) within group (order by ${hours(a, b)})`;
  const where = `o.placed_at >= $1 and o.placed_at < $2${warehouse ? ' and o.warehouse_id = $3' : ''}`;
  const params = [from, to, ...(warehouse ? [warehouse] : [])];
  const b = `date_trunc('${bucket}', o.placed_at at time zone 'UTC')`;
  await db.query(
    `select ${b} as b, ${breakdowns ? 'o.channel_id, o.warehouse_id' : 'null, null'}, count(*), count(*) filter (where o.status = 'cancelled'),
            count(s.first), count(*) filter (where s.first is not null and o.promised_by is not null), count(*) filter (where s.first > o.promised_by),
            count(s.delivered), count(*) filter (where s.delivered > o.promised_by), count(*) filter (where cardinality(o.hold_history) > 0),
            count(*) filter (where exists (select 1 from payment p join payment_operation op on op.payment_id = p.id where p.order_id = o.id and not op.succeeded)),
            ${pct(0.5, 'o.placed_at', 's.first')}, ${pct(0.9, 'o.placed_at', 's.first')}, ${pct(0.5, 's.first', 's.delivered')}, ${pct(0.9, 's.first', 's.delivered')},
            ${pct(0.5, 'o.placed_at', 's.delivered')}, ${pct(0.9, 'o.placed_at', 's.delivered')}
       from sales_order o
       left join lateral (select min(shipped_at) as first, case when count(*) > 0 and count(delivered_at) = count(*) then max(delivered_at) end as delivered
                            from shipment where order_id = o.id) s on true
      where ${where}
      group by grouping sets ((${b}), ${breakdowns ? '(o.channel_id), (o.warehouse_id), ()' : '()'})`,
    params,
  );
  if (!breakdowns) return;
  await db.query(
    `select 'hold', r, count(*) from sales_order o cross join unnest(o.hold_history) r where ${where} group by 2
     union all
     select 'cancel', ${cancelKey('o.cancel_reason')}, count(*) from sales_order o where ${where} and o.status = 'cancelled' group by 2
     union all
     select 'payment', o.payment_method,
            count(*) filter (where exists (select 1 from payment p join payment_operation op on op.payment_id = p.id where p.order_id = o.id and not op.succeeded))
       from sales_order o where ${where} group by 2`,
    params,
  );
}

/** The returns report without rollups: returns opened per bucket, channel, warehouse, reason, resolution and SKU against units sold. */
async function naiveReturns(db: pg.Client, from: Date, to: Date, bucket: 'day' | 'week' | 'month', breakdowns = true) {
  await db.query(
    `with rl as (
       select r.id, r.created_at, r.reason, r.resolution, x ->> 'sku' as sku, (x ->> 'quantity')::int as quantity, o.channel_id, o.warehouse_id
         from return_request r join sales_order o on o.id = r.order_id cross join jsonb_array_elements(r.lines) x
        where r.created_at >= $1 and r.created_at < $2 and r.status not in ('rejected', 'expired'))
     select date_trunc('${bucket}', created_at at time zone 'UTC'), ${breakdowns ? 'channel_id, warehouse_id, reason, resolution, sku' : 'null, null, null, null, null'}, count(distinct id), sum(quantity)
       from rl group by grouping sets ((date_trunc('${bucket}', created_at at time zone 'UTC')), ${breakdowns ? '(channel_id), (warehouse_id), (reason), (resolution), (sku), ()' : '()'})`,
    [from, to],
  );
  await db.query(
    `select date_trunc('${bucket}', o.placed_at at time zone 'UTC'), ${breakdowns ? 'o.channel_id, o.warehouse_id, l.sku' : 'null, null, null'}, sum(l.quantity)
       from sales_order o join order_line l on l.order_id = o.id
      where o.placed_at >= $1 and o.placed_at < $2 and o.status <> 'cancelled'
      group by grouping sets ((date_trunc('${bucket}', o.placed_at at time zone 'UTC')), ${breakdowns ? '(o.channel_id), (o.warehouse_id), (l.sku), ()' : '()'})`,
    [from, to],
  );
}

/** Payment methods without rollups: orders, revenue and orders with a failed attempt per method. */
function naivePaymentMethods(db: pg.Client, from: Date, to: Date) {
  const fx = fxCte(BASE);
  let n = 0;
  const sqlText = fx.sql.replace(/\?/g, () => `$${++n}`);
  return db.query(
    `with ${sqlText}
     select o.payment_method, count(*), coalesce(sum(${BASE_TOTAL}) filter (where o.status <> 'cancelled'), 0),
            count(*) filter (where exists (select 1 from payment p join payment_operation op on op.payment_id = p.id where p.order_id = o.id and not op.succeeded))
       from sales_order o left join fx on fx.currency = o.currency
      where o.placed_at >= $${n + 1} and o.placed_at < $${n + 2}
      group by 1`,
    [...fx.params, from, to],
  );
}

/** The products, stock, margin and cohort reports' rollups. */
const PRODUCT_TABLES = [
  'product_hour',
  'product_day',
  'product_day_total',
  'stock_day',
  'order_margin',
  'margin_day',
  'customer_month',
  'customer_cohort',
  'cohort_month',
  'cohort_frequency',
];

/** Positional placeholders for pg ($1, $2, …) in a statement written with `?`, after `offset` earlier ones. */
const positional = (text: string, offset = 0) => {
  let n = offset;
  return text.replace(/\?/g, () => `$${++n}`);
};

/** The products report without rollups: sales per product over both periods from lines and orders, stock per day from the ledger, last sales. */
async function naiveProducts(db: pg.Client, from: string, to: string, prevFrom: string, todayIso: string, f: { channel?: number; warehouse?: number } = {}) {
  const fx = fxCte(BASE);
  const where = [f.channel ? `o.channel_id = ${f.channel}` : null, f.warehouse ? `coalesce(o.warehouse_id, 0) = ${f.warehouse}` : null].filter(Boolean);
  const and = where.map((w) => ` and ${w}`).join('');
  await db.query(
    `with ${positional(fx.sql)}
     select l.product_id, sum(l.quantity) filter (where o.placed_at >= $${fx.params.length + 1}::date), sum(${LINE_REVENUE}) filter (where o.placed_at >= $${fx.params.length + 1}::date),
            sum(l.quantity) filter (where o.placed_at < $${fx.params.length + 1}::date), sum(${LINE_REVENUE}) filter (where o.placed_at < $${fx.params.length + 1}::date),
            sum(l.quantity * l.unit_cost_base_minor)
       from sales_order o join order_line l on l.order_id = o.id left join fx on fx.currency = o.currency
      where o.status <> 'cancelled' and o.placed_at >= $${fx.params.length + 2}::date and o.placed_at < $${fx.params.length + 3}::date + 1${and}
      group by l.product_id`,
    [...fx.params, from, prevFrom, to],
  );
  await db.query(
    `select d.d, l.product_id, sum(l.on_hand - coalesce((select sum(m.quantity) from stock_movement m where m.product_id = l.product_id and m.warehouse_id = l.warehouse_id and m.at >= d.d + interval '1 day'), 0))
       from generate_series($1::date, $2::date, interval '1 day') as d(d) cross join inventory_level l${f.warehouse ? ` where l.warehouse_id = ${f.warehouse}` : ''}
      group by 1, 2`,
    [from, todayIso],
  );
  await db.query(
    `select l.product_id, max(o.placed_at) from sales_order o join order_line l on l.order_id = o.id where o.status <> 'cancelled'${and} group by l.product_id`,
  );
}

/** The margin report without rollups: each order's net revenue, goods and shipping cost, grouped by bucket and channel, and the worst orders. */
async function naiveMargin(db: pg.Client, from: Date, to: Date, bucket: 'day' | 'month') {
  const fx = fxCte(BASE);
  const n = fx.params.length;
  const orders = `with ${positional(fx.sql)}, m as (
      select o.id, o.placed_at, o.channel_id, ${NET_REVENUE} as revenue, l.cost as goods, s.cost as shipping
        from sales_order o left join fx on fx.currency = o.currency
        left join lateral (select coalesce(sum(quantity * unit_cost_base_minor), 0) as cost from order_line where order_id = o.id) l on true
        left join lateral (select coalesce(sum(shipping_cost_base_minor), 0) as cost from shipment where order_id = o.id) s on true
       where o.status <> 'cancelled' and o.placed_at >= $${n + 1} and o.placed_at < $${n + 2})`;
  await db.query(
    `${orders} select date_trunc('${bucket}', placed_at at time zone 'UTC'), channel_id, count(*), sum(revenue), sum(goods), sum(shipping) from m group by grouping sets ((1), (2))`,
    [...fx.params, from, to],
  );
  await db.query(`${orders} select * from m order by revenue - goods - shipping, id limit 15`, [...fx.params, from, to]);
}

/** The cohort report without rollups: each customer's first month from all their orders, then activity by month, frequency, top customers. */
async function naiveCohorts(db: pg.Client, first: Date) {
  const fx = fxCte(BASE);
  const n = fx.params.length;
  const counted = `with ${positional(fx.sql)}, o as (select o.customer_id, o.placed_at, ${BASE_TOTAL} as revenue from sales_order o left join fx on fx.currency = o.currency where o.status <> 'cancelled'),
    c as (select customer_id, date_trunc('month', min(placed_at)) as cohort, count(*) as orders, sum(revenue) as revenue from o group by customer_id)`;
  await db.query(
    `${counted} select c.cohort, date_trunc('month', o.placed_at), count(distinct o.customer_id), count(*), sum(o.revenue)
       from o join c using (customer_id) where c.cohort >= $${n + 1} group by 1, 2`,
    [...fx.params, first],
  );
  await db.query(`${counted} select cohort, least(orders, 10), count(*) from c where cohort >= $${n + 1} group by 1, 2`, [...fx.params, first]);
  await db.query(`${counted} select * from c order by revenue desc limit 20`, fx.params);
}

/** The flows report without rollups: runs by status, per day, per flow and version, and each step's exact p50 / p90 and mean. */
async function naiveFlows(db: pg.Client, from: Date, to: Date, detail = true) {
  await db.query(
    `select status, count(*), count(ended_at), sum(extract(epoch from ended_at - started_at)) from workflow_run where started_at >= $1 and started_at < $2 group by 1`,
    [from, to],
  );
  if (!detail) return;
  await db.query(
    `select date_trunc('day', started_at at time zone 'UTC'), count(*), count(*) filter (where status in ('failed', 'compensated'))
       from workflow_run where started_at >= $1 and started_at < $2 group by 1`,
    [from, to],
  );
  await db.query(
    `select definition_id, version_id, status, count(*), count(ended_at), sum(extract(epoch from ended_at - started_at))
       from workflow_run where started_at >= $1 and started_at < $2 group by 1, 2, 3`,
    [from, to],
  );
  await db.query(
    `select r.definition_id, r.version_id, s.node_id, count(*) filter (where s.status <> 'skipped'), count(*) filter (where s.status = 'failed'),
            count(*) filter (where s.status = 'skipped'),
            percentile_cont(array[0.5, 0.9]) within group (order by extract(epoch from s.ended_at - s.started_at)) filter (where s.status <> 'skipped'),
            avg(extract(epoch from s.ended_at - s.started_at)) filter (where s.status <> 'skipped')
       from workflow_run r join workflow_run_step s on s.run_id = r.id
      where r.started_at >= $1 and r.started_at < $2 and s.ended_at is not null and s.started_at is not null
      group by 1, 2, 3`,
    [from, to],
  );
}

/** What the bench database holds, if it was loaded before (`--reuse`). */
async function loadedBefore(pgServer: { ensureDatabase(d: string): Promise<void> }, url: string): Promise<string | null> {
  await pgServer.ensureDatabase(DATABASE);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ what: string }>(`select what from bench_load`).catch(() => ({ rows: [] }));
    return rows[0]?.what ?? null;
  } finally {
    await c.end();
  }
}

/** Loads a year of orders, lines, parcels, returns, flow runs (and tickets) and rebuilds every rollup from them. */
async function load(orm: MikroORM, db: pg.Client) {
  await seedDemoData(orm, { size: 'small', passwordFor: () => 'x' });
  let t0 = performance.now();
  await seedBulkOrders(db, { orders: ORDERS, days: 365, shipments: true, countries: true, opsFacts: true, lines: [2, 4] });
  // What intake and shipping record: each line's unit cost (its product's offer), each parcel's carrier cost.
  await db.query(
    `update order_line l set unit_cost_base_minor = c.cost from (select p.id, ${unitCostSql('p.id', `'${BASE}'`, '2')} as cost from product p) c where c.id = l.product_id`,
  );
  await db.query(`update shipment set shipping_cost_base_minor = 650 + 110 * ceil(weight_grams / 1000.0)::int`);
  await db.query('vacuum analyze');
  const {
    rows: [counts],
  } = await db.query<Record<string, string>>(
    'select (select count(*) from sales_order) as orders, (select count(*) from order_line) as lines, (select count(*) from shipment) as shipments, (select count(*) from return_request) as returns',
  );
  console.log(
    `[bench] loaded ${Number(counts.orders).toLocaleString('en')} orders, ${Number(counts.lines).toLocaleString('en')} lines, ${Number(counts.shipments).toLocaleString('en')} shipments, ${Number(counts.returns).toLocaleString('en')} returns in ${secs(t0)} s`,
  );

  t0 = performance.now();
  const flowRuns = await seedBulkRuns(db, { everyNth: 4, steps: 6 });
  await db.query('vacuum analyze workflow_run, workflow_run_step');
  console.log(
    `[bench] loaded ${flowRuns.runs.toLocaleString('en')} flow runs of ${flowRuns.flows} flows with ${flowRuns.steps.toLocaleString('en')} steps in ${secs(t0)} s`,
  );

  if (SERVICE) {
    t0 = performance.now();
    const n = await seedBulkTickets(db, { tickets: TICKETS, days: 365 });
    console.log(
      `[bench] loaded ${n.tickets.toLocaleString('en')} tickets (${n.ratings.toLocaleString('en')} ratings, ${n.breaches.toLocaleString('en')} SLA breaches, ${n.agents} agents in ${n.teams} teams) in ${secs(t0)} s`,
    );
  }

  t0 = performance.now();
  let shown = 0;
  const minutes = await rebuildRollups(orm, { baseCurrency: BASE, timeZone: TZ }, (done, total) => {
    if (performance.now() - shown > 5000) {
      shown = performance.now();
      console.log(`[bench] rollups: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} minutes`);
    }
  });
  await db.query(`vacuum analyze sales_minute, sales_hour, sales_day, ${[...OPS_TABLES, ...PRODUCT_TABLES].join(', ')}`);
  const {
    rows: [rollup],
  } = await db.query<Record<string, string>>(
    `select (select count(*) from sales_minute) as minutes, (select count(*) from sales_hour) as hours, (select count(*) from sales_day) as days,
            pg_size_pretty(pg_total_relation_size('sales_minute') + pg_total_relation_size('sales_hour') + pg_total_relation_size('sales_day')) as size,
            (select count(*) from fulfil_day) as fulfil_days, (select count(*) from ops_facet_day) as facet_days,
            pg_size_pretty(${OPS_TABLES.map((t) => `pg_total_relation_size('${t}')`).join(' + ')}) as ops_size`,
  );
  console.log(
    `[bench] rebuilt the rollups (${minutes.toLocaleString('en')} minutes → ${rollup.minutes} minute rows, ${rollup.hours} hour rows, ${rollup.days} day rows, ${rollup.size}; fulfilment and facets: ${rollup.fulfil_days} + ${rollup.facet_days} day rows, ${rollup.ops_size} in all) in ${secs(t0)} s`,
  );

  t0 = performance.now();
  const flowDays = await rebuildWorkflowRollups(orm, TZ);
  await db.query('vacuum analyze workflow_day, workflow_step_day');
  const {
    rows: [wr],
  } = await db.query<Record<string, string>>(
    `select (select count(*) from workflow_day) as days, (select count(*) from workflow_step_day) as steps,
            pg_size_pretty(pg_total_relation_size('workflow_day') + pg_total_relation_size('workflow_step_day')) as size`,
  );
  console.log(`[bench] rebuilt the flow rollups (${flowDays} days → ${wr.days} day rows, ${wr.steps} step rows, ${wr.size}) in ${secs(t0)} s`);

  const sizes = await db.query<{ name: string; rows: string; size: string }>(
    `select t as name, (xpath('/row/n/text()', query_to_xml('select count(*) as n from ' || t, false, true, '')))[1]::text as rows, pg_size_pretty(pg_total_relation_size(t)) as size
       from unnest($1::text[]) as t`,
    [PRODUCT_TABLES],
  );
  console.log(
    `[bench] products, margin and cohort rollups: ${sizes.rows.map((r) => `${r.name} ${Number(r.rows).toLocaleString('en')} rows (${r.size})`).join(', ')}`,
  );
  if (SERVICE) {
    t0 = performance.now();
    const days = await rebuildServiceRollups(orm, TZ);
    await db.query('vacuum analyze service_day, service_day_tag');
    const {
      rows: [sr],
    } = await db.query<Record<string, string>>(
      `select (select count(*) from service_day) as rows, (select count(*) from service_day_tag) as tags,
              pg_size_pretty(pg_total_relation_size('service_day') + pg_total_relation_size('service_day_tag')) as size`,
    );
    console.log(`[bench] rebuilt the service rollups (${days} days → ${sr.rows} day rows, ${sr.tags} tag rows, ${sr.size}) in ${secs(t0)} s`);
  }
}

async function main() {
  const started = performance.now();
  console.log(`[bench] analytics: ${ORDERS.toLocaleString('en')} orders over a year, ${RUNS} timed runs per report, ${FRESH} orders for freshness`);
  const pgServer = await startEmbeddedPostgres({ dir: PG_DIR, port: PG_PORT, fast: true });
  cleanup.add('PostgreSQL', () => pgServer.stop());
  const url = pgServer.urlFor(DATABASE);
  const LOAD = `${ORDERS} orders, ${SERVICE ? TICKETS : 0} tickets, loaded ${new Date().toISOString().slice(0, 10)}`;
  const reused = flags.reuse && (await loadedBefore(pgServer, url)) === LOAD;
  if (!reused) {
    await pgServer.dropDatabase(DATABASE);
    await pgServer.ensureDatabase(DATABASE);
  }
  if (!flags.keep && !flags.reuse) cleanup.add('the bench database', () => pgServer.dropDatabase(DATABASE));
  await migrateUp(url);
  const orm = await createOrm({ url });
  cleanup.add('the ORM', () => orm.close());
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  cleanup.add('the bench connection', () => db.end());
  if (reused) console.log(`[bench] reusing the database loaded before (${LOAD})`);
  else await load(orm, db);
  await db.query(
    `create table if not exists bench_load (what text not null); truncate bench_load; insert into bench_load values ($1)`.replace('$1', `'${LOAD}'`),
  );
  const {
    rows: [counts],
  } = await db.query<Record<string, string>>('select count(*) as orders from sales_order');

  const em = () => orm.em.fork();
  const { midnight, now } = await today(em(), TZ);
  const todayIso = now.toISOString().slice(0, 10);
  const day = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString().slice(0, 10);
  const {
    rows: [web],
  } = await db.query<{ id: number }>(`select id from channel where code = 'web'`);
  const {
    rows: [ewr],
  } = await db.query<{ id: number }>(`select id from warehouse where code = 'EWR'`);
  const at = (d: string) => new Date(`${d}T00:00:00Z`);
  const tomorrow = new Date(at(todayIso).getTime() + 86_400_000);

  const cases: { name: string; ours: () => Promise<unknown>; naive: () => Promise<unknown> }[] = [
    {
      name: 'dashboard (today vs yesterday vs last week, per minute, live counts)',
      ours: () => dashboard(em(), TZ),
      naive: async () => {
        await naive(db, midnight, now, null);
        await naive(db, new Date(midnight.getTime() - 86_400_000), new Date(now.getTime() - 86_400_000), null);
        await naive(db, new Date(midnight.getTime() - 7 * 86_400_000), new Date(now.getTime() - 7 * 86_400_000), null);
      },
    },
    {
      name: 'sales, last 30 days by day, with the 30 before',
      ours: () => salesReport(em(), { from: day(29), to: todayIso, granularity: 'day', compare: 'previous' }, TZ, todayIso),
      naive: async () => {
        await naive(db, at(day(29)), tomorrow, 'day');
        await naive(db, at(day(59)), at(day(29)), 'day');
      },
    },
    {
      name: 'sales, last 90 days by week, channel web, with the 90 before',
      ours: () => salesReport(em(), { from: day(89), to: todayIso, granularity: 'week', compare: 'previous', channel: 'web' }, TZ, todayIso),
      naive: async () => {
        await naive(db, at(day(89)), tomorrow, 'week', web.id);
        await naive(db, at(day(179)), at(day(89)), 'week', web.id);
      },
    },
    {
      name: 'sales, last 365 days by month',
      ours: () => salesReport(em(), { from: day(364), to: todayIso, granularity: 'month', compare: 'none' }, TZ, todayIso),
      naive: () => naive(db, at(day(364)), tomorrow, 'month'),
    },
    {
      name: 'products & stock, last 30 days, with the 30 before',
      ours: () => productsReport(em(), ProductsQuery.parse({ from: day(29), to: todayIso }), todayIso, BASE),
      naive: () => naiveProducts(db, day(29), todayIso, day(59), todayIso),
    },
    {
      name: 'products & stock, last 90 days, channel web, warehouse EWR',
      ours: () => productsReport(em(), ProductsQuery.parse({ from: day(89), to: todayIso, channel: 'web', warehouse: 'EWR' }), todayIso, BASE),
      naive: () => naiveProducts(db, day(89), todayIso, day(179), todayIso, { channel: web.id, warehouse: ewr.id }),
    },
    {
      name: 'products & stock, last 365 days',
      ours: () => productsReport(em(), ProductsQuery.parse({ from: day(364), to: todayIso, compare: 'none' }), todayIso, BASE),
      naive: () => naiveProducts(db, day(364), todayIso, day(364), todayIso),
    },
    {
      name: 'margin, last 30 days by day, with the 30 before',
      ours: () => marginReport(em(), MarginQuery.parse({ from: day(29), to: todayIso }), todayIso),
      naive: async () => {
        await naiveMargin(db, at(day(29)), tomorrow, 'day');
        await naiveMargin(db, at(day(59)), at(day(29)), 'day');
      },
    },
    {
      name: 'margin, last 365 days by month',
      ours: () => marginReport(em(), MarginQuery.parse({ from: day(364), to: todayIso, granularity: 'month', compare: 'none' }), todayIso),
      naive: () => naiveMargin(db, at(day(364)), tomorrow, 'month'),
    },
    {
      name: 'customer cohorts, last 12 months',
      ours: () => cohortReport(em(), CohortQuery.parse({ months: '12' }), todayIso),
      naive: () => naiveCohorts(db, new Date(`${day(340).slice(0, 7)}-01T00:00:00Z`)),
    },
    {
      name: 'sales, an arbitrary 10 days 13 hours 7 minutes (minute edges)',
      ours: () => salesBetween(em(), new Date(now.getTime() - 10 * 86_400_000 - 47_220_000), new Date(now.getTime() - 3_600_000 * 5 - 60_000 * 7)),
      naive: () => naive(db, new Date(now.getTime() - 10 * 86_400_000 - 47_220_000), new Date(now.getTime() - 3_600_000 * 5 - 60_000 * 7), null),
    },
  ];

  const ops = { compare: 'previous' as const, granularity: 'day' as const };
  cases.push(
    {
      name: 'fulfilment, last 30 days by day, with the 30 before',
      ours: () => fulfilmentReport(em(), { from: day(29), to: todayIso, ...ops }, todayIso),
      naive: async () => {
        await naiveFulfilment(db, at(day(29)), tomorrow, 'day');
        await naiveFulfilment(db, at(day(59)), at(day(29)), 'day', undefined, false);
      },
    },
    {
      name: 'fulfilment, last 90 days by week, warehouse EWR, with the 90 before',
      ours: () => fulfilmentReport(em(), { from: day(89), to: todayIso, ...ops, granularity: 'week', warehouse: 'EWR' }, todayIso),
      naive: async () => {
        await naiveFulfilment(db, at(day(89)), tomorrow, 'week', ewr.id);
        await naiveFulfilment(db, at(day(179)), at(day(89)), 'week', ewr.id, false);
      },
    },
    {
      name: 'fulfilment, last 365 days by month',
      ours: () => fulfilmentReport(em(), { from: day(364), to: todayIso, ...ops, granularity: 'month', compare: 'none' }, todayIso),
      naive: () => naiveFulfilment(db, at(day(364)), tomorrow, 'month'),
    },
    {
      name: 'returns, last 30 days by day, with the 30 before',
      ours: () => returnsReport(em(), { from: day(29), to: todayIso, ...ops }, todayIso),
      naive: async () => {
        await naiveReturns(db, at(day(29)), tomorrow, 'day');
        await naiveReturns(db, at(day(59)), at(day(29)), 'day', false);
      },
    },
    {
      name: 'returns, last 365 days by month',
      ours: () => returnsReport(em(), { from: day(364), to: todayIso, ...ops, granularity: 'month', compare: 'none' }, todayIso),
      naive: () => naiveReturns(db, at(day(364)), tomorrow, 'month'),
    },
    {
      name: 'payment methods, last 30 days',
      ours: () => paymentMethods(em(), day(29), todayIso, {}),
      naive: () => naivePaymentMethods(db, at(day(29)), tomorrow),
    },
    {
      name: 'flows, last 30 days with the 30 before (runs, failures, time per step)',
      ours: () => workflowReport(em(), { from: day(29), to: todayIso, compare: 'previous' }, todayIso),
      naive: async () => {
        await naiveFlows(db, at(day(29)), tomorrow);
        await naiveFlows(db, at(day(59)), at(day(29)), false);
      },
    },
    {
      name: 'flows, last 365 days',
      ours: () => workflowReport(em(), { from: day(364), to: todayIso, compare: 'none' }, todayIso),
      naive: () => naiveFlows(db, at(day(364)), tomorrow),
    },
  );
  if (SERVICE) {
    cases.splice(0, ONLY === 'tickets' ? cases.length : 0, ...serviceBenchCases(db, em, todayIso, TZ));
  }

  const rows: string[][] = [];
  // --cases: time only the reports whose name matches (the data and rollups are the same either way).
  const wanted = flags.cases ? new RegExp(flags.cases, 'i') : null;
  for (const c of cases.filter((x) => !wanted || wanted.test(x.name))) {
    const ours = await timed(c.ours);
    const base = await timed(c.naive, Math.max(3, Math.ceil(RUNS / 3)));
    const speed = pct(base, 50) / pct(ours, 50);
    rows.push([
      c.name,
      ms(pct(ours, 50)),
      ms(pct(ours, 95)),
      ms(pct(base, 50)),
      ms(pct(base, 95)),
      `${speed.toFixed(0)}×`,
      pct(ours, 95) <= 100 && speed >= 20 ? 'met' : 'MISSED',
    ]);
  }

  // Freshness: orders through intake with the refresher running, each timed from its commit until the rollup counts it.
  const stopRefresher = startAnalyticsRefresher(
    orm,
    { DATABASE_URL: url, BASE_CURRENCY: BASE, BUSINESS_TIME_ZONE: TZ },
    { info: () => {}, warn: (...a) => console.warn('[refresher]', ...a) },
  );
  cleanup.add('the refresher', stopRefresher);
  const {
    rows: [stocked],
  } = await db.query<{ sku: string }>(
    `select p.sku from product p join inventory_level l on l.product_id = p.id where p.active group by p.sku order by sum(l.on_hand - l.reserved) desc limit 1`,
  );
  await db.query(`update inventory_level set on_hand = on_hand + 100000 where product_id = (select id from product where sku = $1)`, [stocked.sku]);
  const lags: number[] = [];
  for (let i = 0; i < (ONLY === 'tickets' ? 0 : FRESH); i++) {
    const r = await createOrder(
      orm,
      {
        channel: 'web',
        externalId: `FRESH-${Date.now().toString(36)}-${i}`,
        customer: { email: `fresh${i % 10}@bench.example`, name: 'Fresh Bench' },
        shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
        currency: 'USD',
        lines: [{ sku: stocked.sku, quantity: 1, unitPrice: 1000 }],
        paymentMethod: 'manual',
      },
      { actor: SYSTEM, baseCurrency: BASE },
    );
    const committed = performance.now();
    if (r.replayed) continue;
    const id = r.order.id;
    for (;;) {
      const { rows: seen } = await db.query<{ n: string; m: string }>(
        `select (select count(*) from sales_order where placed_at >= date_trunc('minute', o.placed_at) and placed_at < date_trunc('minute', o.placed_at) + interval '1 minute' and id <= $1) as n,
                (select coalesce(sum(orders), 0) from sales_minute where minute = date_trunc('minute', o.placed_at)) as m
           from sales_order o where o.id = $1`,
        [id],
      );
      if (Number(seen[0].m) >= Number(seen[0].n)) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    lags.push(performance.now() - committed);
    await new Promise((res) => setTimeout(res, 50));
  }

  console.log('');
  console.log(
    `Reports (ms), through the functions the pages call, and the naive GROUP BY over the base tables on the same ${Number(counts.orders).toLocaleString('en')} orders${SERVICE ? ` and ${TICKETS.toLocaleString('en')} tickets` : ''}:`,
  );
  const head = ['report', 'p50', 'p95', 'naive p50', 'naive p95', 'faster', 'goal ≤100 ms p95, ≥20×'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log('');
  if (lags.length)
    console.log(
      `Freshness (order committed → counted by the rollup the dashboard reads), ${lags.length} orders: p50 ${ms(pct(lags, 50))} ms, p95 ${ms(pct(lags, 95))} ms, max ${ms(Math.max(...lags))} ms — goal p95 ≤ 2000 ms: ${pct(lags, 95) <= 2000 ? 'met' : 'MISSED'}`,
    );
  console.log(`[bench] analytics done in ${secs(started)} s`);
}

await cleanup.exitWith(main);
