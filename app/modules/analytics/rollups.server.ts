// The sales rollups (sales_minute, sales_hour, sales_day) and how they are kept; the fulfilment, returns and
// payment-method rollups (ops-rollups.server.ts) and the products, stock, margin and cohort rollups
// (product-, margin- and cohort-rollups.server.ts) are kept by the same refresher from the same marks. Statement triggers on sales_order
// mark the minutes an order change touches (analytics_dirty_minute) in the same transaction, and NOTIFY
// `analytics`. The refresher takes marked minutes (skip locked: any number of workers may run it),
// recomputes each minute from the orders placed in it, and each hour they fall in from its minutes.
// Recomputing is exact and idempotent by construction: a redelivered or repeated mark only computes the
// same figures again, and `rebuildRollups` is the same thing for every minute there is. A minute is
// small (a few thousand orders at the busiest), so a refresh stays short however busy the hour is.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { startListening } from '../../lib/listen.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { fxCte } from '../customers/queries.server.ts';
import { refreshServiceDays, SERVICE_BATCH } from './service-rollups.server.ts';
import { refreshWorkflowDays, WORKFLOW_BATCH } from './workflow-rollups.server.ts';
import { BASE_DISCOUNT, BASE_TOTAL, COUNTRY, daysOf, hoursOf, timestamps } from './rollup-sql.ts';
import { recomputeOps, OPS_TABLES } from './ops-rollups.server.ts';
import { closeStockDays, PRODUCT_TABLES, recomputeProductHours } from './product-rollups.server.ts';
import { MARGIN_TABLES, recomputeMargins } from './margin-rollups.server.ts';
import { rebuildCohorts, recomputeCustomersOf } from './cohort-rollups.server.ts';

export { BASE_TOTAL, COUNTRY };

/** Minutes recomputed per transaction. */
const BATCH = 120;

const FIGURES = 'orders, cancelled, units, revenue_base_minor, discount_base_minor, held, shipped, shipped_late, ship_seconds';

/** Recomputes the rollup rows of these minutes from the orders, and of the hours they are in from their minutes (in em's transaction). */
/** Where figures are converted to and where days begin. */
export interface RollupOptions {
  baseCurrency: string;
  timeZone: string;
}

async function recomputeMinutes(em: EntityManager, minutes: Date[], { baseCurrency, timeZone }: RollupOptions): Promise<void> {
  if (!minutes.length) return;
  const list = timestamps(minutes);
  await em.execute('delete from sales_minute where minute = any(?::timestamptz[])', [list]);
  const fx = fxCte(baseCurrency);
  await em.execute(
    `with ${fx.sql}
     insert into sales_minute (minute, channel_id, warehouse_id, country, ${FIGURES})
     select d.m, o.channel_id, coalesce(o.warehouse_id, 0), ${COUNTRY},
            count(*), count(*) filter (where o.status = 'cancelled'),
            coalesce(sum(l.units) filter (where o.status <> 'cancelled'), 0),
            coalesce(sum(${BASE_TOTAL}) filter (where o.status <> 'cancelled'), 0),
            coalesce(sum(${BASE_DISCOUNT}) filter (where o.status <> 'cancelled'), 0),
            count(*) filter (where o.status = 'on_hold'),
            count(s.first), count(*) filter (where s.first > o.promised_by),
            coalesce(sum(floor(extract(epoch from s.first - o.placed_at))::bigint), 0)
       from unnest(?::timestamptz[]) as d(m)
       join sales_order o on o.placed_at >= d.m and o.placed_at < d.m + interval '1 minute'
       left join fx on fx.currency = o.currency
       left join lateral (select sum(quantity) as units from order_line where order_id = o.id) l on true
       left join lateral (select min(shipped_at) as first from shipment where order_id = o.id) s on true
      group by d.m, o.channel_id, coalesce(o.warehouse_id, 0), ${COUNTRY}`,
    [...fx.params, list],
  );
  const hours = hoursOf(minutes);
  await em.execute('delete from sales_hour where hour = any(?::timestamptz[])', [hours]);
  await em.execute(
    `insert into sales_hour (hour, channel_id, warehouse_id, country, ${FIGURES})
     select h.h, m.channel_id, m.warehouse_id, m.country,
            sum(m.orders), sum(m.cancelled), sum(m.units), sum(m.revenue_base_minor), sum(m.discount_base_minor), sum(m.held), sum(m.shipped), sum(m.shipped_late), sum(m.ship_seconds)
       from unnest(?::timestamptz[]) as h(h)
       join sales_minute m on m.minute >= h.h and m.minute < h.h + interval '1 hour'
      group by h.h, m.channel_id, m.warehouse_id, m.country`,
    [hours],
  );
  // The business days those hours fall in, from their hours.
  const days = daysOf(minutes, timeZone);
  await em.execute('delete from sales_day where day = any(?::date[])', [days]);
  await em.execute(
    `insert into sales_day (day, channel_id, warehouse_id, country, ${FIGURES})
     select d.d, h.channel_id, h.warehouse_id, h.country,
            sum(h.orders), sum(h.cancelled), sum(h.units), sum(h.revenue_base_minor), sum(h.discount_base_minor), sum(h.held), sum(h.shipped), sum(h.shipped_late), sum(h.ship_seconds)
       from unnest(?::date[]) as d(d)
       join sales_hour h on h.hour >= d.d::timestamp at time zone ? and h.hour < (d.d + 1)::timestamp at time zone ?
      group by d.d, h.channel_id, h.warehouse_id, h.country`,
    [days, timeZone, timeZone],
  );
  // The fulfilment, returns and payment-method rollups of the same minutes are recomputed next, in a
  // transaction of their own (refreshOpsMinutes), so the dashboards' figures commit without waiting for them.
  await em.execute(`insert into ops_dirty_minute (minute) select unnest(?::timestamptz[]) on conflict do nothing`, [list]);
}

/**
 * Takes up to BATCH marked minutes (newest first: what dashboards show) and recomputes their sales rollups,
 * then (in a second transaction) up to BATCH minutes of the fulfilment, returns and payment-method rollups;
 * returns how many minutes the busier of the two took (0: nothing was marked). Announces
 * `analytics.refreshed` on the dashboards topic, so open dashboards read the new figures.
 */
export async function refreshDirtyMinutes(orm: MikroORM, opts: RollupOptions, batch = BATCH, customers = true): Promise<number> {
  const sales = await orm.em.fork().transactional(async (em) => {
    const taken = await em.execute<{ minute: Date }[]>(
      `delete from analytics_dirty_minute where minute in (select minute from analytics_dirty_minute order by minute desc limit ? for update skip locked) returning minute`,
      [batch],
    );
    if (!taken.length) return 0;
    const minutes = taken.map((t) => new Date(t.minute));
    await recomputeMinutes(em, minutes, opts);
    const newest = Math.max(...minutes.map((m) => m.getTime()));
    publish(em, 'dashboards', 'analytics.refreshed', { minutes: minutes.length, newest: new Date(newest).toISOString() });
    return minutes.length;
  });
  return Math.max(sales, await refreshOpsMinutes(orm, opts, batch, customers));
}

/**
 * The fulfilment, returns and payment-method rollups, and the products, margin and cohort rollups, of up to
 * `batch` minutes whose sales rollups were recomputed (ops_dirty_minute, written in that transaction, so a crash
 * between the two loses nothing); and the closing stock of the business days ended since the last run.
 * `customers` false: the rebuild, which does the customers once at the end from every order at once.
 */
async function refreshOpsMinutes(orm: MikroORM, opts: RollupOptions, batch: number, customers = true): Promise<number> {
  return orm.em.fork().transactional(async (em) => {
    // One at a time: two recomputing the same hour or day would each insert its rows, and the cohort sums move by
    // the difference between what a customer's rows were and are.
    await em.execute(`select pg_advisory_xact_lock(hashtext('analytics_report_rollups'))`);
    await closeStockDays(em, opts.timeZone);
    const taken = await em.execute<{ minute: Date }[]>(
      `delete from ops_dirty_minute where minute in (select minute from ops_dirty_minute order by minute desc limit ? for update skip locked) returning minute`,
      [batch],
    );
    if (taken.length) {
      const minutes = taken.map((t) => new Date(t.minute));
      await recomputeOps(em, minutes, opts);
      await recomputeProductHours(em, minutes, opts);
      await recomputeMargins(em, minutes, opts);
      if (customers) await recomputeCustomersOf(em, minutes, opts);
    }
    return taken.length;
  });
}

/** Marks every minute that has orders (or returns opened) and recomputes them all (`npm run analytics:rebuild`); returns the minutes done. */
export async function rebuildRollups(orm: MikroORM, opts: RollupOptions, onProgress?: (done: number, total: number) => void): Promise<number> {
  const em = orm.em.fork();
  await em.execute(`truncate sales_minute, sales_hour, sales_day, ops_dirty_minute, ${[...OPS_TABLES, ...PRODUCT_TABLES, ...MARGIN_TABLES].join(', ')}`);
  await em.execute(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing`);
  // Returns are counted in the minute they were opened.
  await em.execute(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', created_at) from return_request on conflict do nothing`);
  const [{ n }] = await em.execute<{ n: string }[]>('select count(*) as n from analytics_dirty_minute');
  const total = Number(n);
  let done = 0;
  // A day of minutes per transaction: a rebuild has no reader waiting on any one minute.
  for (let k = await refreshDirtyMinutes(orm, opts, 1440, false); k > 0; k = await refreshDirtyMinutes(orm, opts, 1440, false)) {
    done += k;
    onProgress?.(done, total);
  }
  // Customer cohorts from every order in one pass (under the report rollups' lock, so a live refresh waits for it).
  await orm.em.fork().transactional(async (tem) => {
    await tem.execute(`select pg_advisory_xact_lock(hashtext('analytics_report_rollups'))`);
    await rebuildCohorts(tem, opts);
  });
  return done;
}

/**
 * Runs the refresher in this process (the worker): on every `analytics` NOTIFY, and each second as a safety
 * net. It keeps the sales rollups, the service desk's (service-rollups.server.ts) and the flows'
 * (workflow-rollups.server.ts), whose triggers NOTIFY the same channel.
 */
export function startAnalyticsRefresher(
  orm: MikroORM,
  config: { DATABASE_URL: string; BASE_CURRENCY: string; BUSINESS_TIME_ZONE: string },
  log: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void },
): () => Promise<void> {
  return startListening({
    databaseUrl: config.DATABASE_URL,
    channel: 'analytics',
    pollMs: 1_000,
    // Under a flood of orders the current minute is marked again and again: recompute it at most four
    // times a second rather than after every commit (figures stay well within a second of the orders).
    restMs: 250,
    log,
    run: async () => {
      const sales = await refreshDirtyMinutes(orm, { baseCurrency: config.BASE_CURRENCY, timeZone: config.BUSINESS_TIME_ZONE });
      const service = await refreshServiceDays(orm, config.BUSINESS_TIME_ZONE);
      const workflows = await refreshWorkflowDays(orm, config.BUSINESS_TIME_ZONE);
      return sales >= BATCH || service >= SERVICE_BATCH || workflows >= WORKFLOW_BATCH;
    },
  });
}
