// The sales rollups (sales_minute, sales_hour) and how they are kept. Statement triggers on sales_order
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
import { closeStockDays, recomputeProductHours, truncateProductRollups } from './product-rollups.server.ts';
import { recomputeMargins, truncateMarginRollups } from './margin-rollups.server.ts';
import { rebuildCohorts, recomputeCustomersOf } from './cohort-rollups.server.ts';
import { marksOf } from './marks.ts';

/** Minutes recomputed per transaction. */
const BATCH = 120;

/** Revenue of an order in the base currency: its own figure, or (orders from before it was kept) the current rate. */
export const BASE_TOTAL = 'coalesce(o.total_base_minor, round(o.total_minor * fx.factor))';
const BASE_DISCOUNT = 'round(o.discount_minor * coalesce(o.total_base_minor::numeric / nullif(o.total_minor, 0), fx.factor))';
/** The rollup's country of an order: the shipping address's ISO code, `--` when it has none. */
export const COUNTRY = `coalesce(nullif(upper(left(o.shipping_address ->> 'country', 2)), ''), '--')`;

const FIGURES = 'orders, cancelled, units, revenue_base_minor, discount_base_minor, held, shipped, shipped_late, ship_seconds';

/** Recomputes the rollup rows of these minutes from the orders, and of the hours they are in from their minutes (in em's transaction). */
/** Where figures are converted to and where days begin. */
export interface RollupOptions {
  baseCurrency: string;
  timeZone: string;
}

async function recomputeMinutes(em: EntityManager, minutes: Date[], { baseCurrency, timeZone }: RollupOptions, customers = true): Promise<void> {
  if (!minutes.length) return;
  const marks = marksOf(minutes, timeZone);
  const list = marks.minuteList;
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
  const hours = marks.hourList;
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
  const days = marks.dayList;
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
  // The products and margin reports' rollups, from the same marks.
  await recomputeProductHours(em, marks, { baseCurrency, timeZone });
  await recomputeMargins(em, marks, { baseCurrency, timeZone });
  // The rebuild does the customers once at the end, from every order at once.
  if (customers) await recomputeCustomersOf(em, marks, { baseCurrency, timeZone });
}

/**
 * Takes up to BATCH marked minutes (newest first: what dashboards show) and recomputes them; returns how
 * many (0: nothing was marked). Announces `analytics.refreshed` on the dashboards topic, so open
 * dashboards read the new figures.
 */
export async function refreshDirtyMinutes(orm: MikroORM, opts: RollupOptions, batch = BATCH, customers = true): Promise<number> {
  return orm.em.fork().transactional(async (em) => {
    // One refresh at a time: two recomputing the same hour or day would each insert its rows.
    await em.execute(`select pg_advisory_xact_lock(hashtext('analytics_refresh'))`);
    // Business days that have ended since the last refresh get their closing stock.
    await closeStockDays(em, opts.timeZone);
    const taken = await em.execute<{ minute: Date }[]>(
      `delete from analytics_dirty_minute where minute in (select minute from analytics_dirty_minute order by minute desc limit ? for update skip locked) returning minute`,
      [batch],
    );
    if (!taken.length) return 0;
    const minutes = taken.map((t) => new Date(t.minute));
    await recomputeMinutes(em, minutes, opts, customers);
    const newest = Math.max(...minutes.map((m) => m.getTime()));
    publish(em, 'dashboards', 'analytics.refreshed', { minutes: minutes.length, newest: new Date(newest).toISOString() });
    return minutes.length;
  });
}

/** Marks every minute that has orders and recomputes them all (`npm run analytics:rebuild`); returns the minutes done. */
export async function rebuildRollups(orm: MikroORM, opts: RollupOptions, onProgress?: (done: number, total: number) => void): Promise<number> {
  const em = orm.em.fork();
  await em.execute('truncate sales_minute, sales_hour, sales_day');
  await truncateProductRollups(em);
  await truncateMarginRollups(em);
  await em.execute(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing`);
  const [{ n }] = await em.execute<{ n: string }[]>('select count(*) as n from analytics_dirty_minute');
  const total = Number(n);
  let done = 0;
  // A day of minutes per transaction: a rebuild has no reader waiting on any one minute.
  for (let k = await refreshDirtyMinutes(orm, opts, 1440, false); k > 0; k = await refreshDirtyMinutes(orm, opts, 1440, false)) {
    done += k;
    onProgress?.(done, total);
  }
  // Customer cohorts from every order in one pass (under the refresher's lock, so a live refresh waits for it).
  await orm.em.fork().transactional(async (tem) => {
    await tem.execute(`select pg_advisory_xact_lock(hashtext('analytics_refresh'))`);
    await rebuildCohorts(tem, opts);
  });
  return done;
}

/** Runs the refresher in this process (the worker): on every `analytics` NOTIFY, and each second as a safety net. */
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
    run: async () => (await refreshDirtyMinutes(orm, { baseCurrency: config.BASE_CURRENCY, timeZone: config.BUSINESS_TIME_ZONE })) >= BATCH,
  });
}
