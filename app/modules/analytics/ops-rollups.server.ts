// The rollups of the fulfilment, returns and payment-method reports, kept exactly like the sales rollups
// (rollups.server.ts hands it the minutes it recomputed, in a transaction of its own): each marked minute is
// recomputed from the base tables, its hour from its minutes, its business day from its hours, and the day's
// month by the difference of its old and new day rows (reports over whole months read months).
// - fulfil_*: of the orders placed in the minute, per channel × warehouse × country: shipped, delivered,
//   late against the promised date, ever held, with a failed payment, cancelled, and per stage a
//   histogram of hours (received → shipped, shipped → delivered, received → delivered) for percentiles;
// - ops_facet_*: the same orders by hold reason, cancel reason, payment method and SKU sold; and the
//   returns opened in the minute (not rejected or expired) by reason, resolution and SKU; ops_facet_day_total
//   and ops_facet_month_total: the same summed over channel, warehouse and country, for unfiltered reports.
// Shipments, failed payment attempts and returns mark their minutes by statement triggers (migration
// Migration20261207113000_ops_rollups), as sales_order does. A return counts under its order's channel,
// warehouse and country as they are when its minute is recomputed: all three are settled before an order
// ships, so before anything of it can come back.
import type { EntityManager } from '@mikro-orm/postgresql';
import { ALL_BUCKET_COLUMNS, BOUNDS_HOURS, BUCKETS, STAGES } from './histogram.ts';
import { BASE_TOTAL, cancelKey, COUNTRY, daysOf, hoursOf, timestamps } from './rollup-sql.ts';
import { fxCte } from '../customers/queries.server.ts';

export const OPS_TABLES = [
  'fulfil_minute',
  'fulfil_hour',
  'fulfil_day',
  'fulfil_month',
  'ops_facet_minute',
  'ops_facet_hour',
  'ops_facet_day',
  'ops_facet_month',
  'ops_facet_day_total',
  'ops_facet_month_total',
];

/** The fulfilment rollup's figures, in column order. */
export const FULFIL_COUNTS = [
  'orders',
  'cancelled',
  'shipped',
  'ship_promised',
  'ship_late',
  'delivered',
  'deliver_promised',
  'deliver_late',
  'held',
  'pay_failed',
] as const;
export const FULFIL_COLUMNS = [...FULFIL_COUNTS, ...ALL_BUCKET_COLUMNS];
const FACET_COLUMNS = ['orders', 'units', 'amount_base_minor', 'failed'];
const DIMS = 'channel_id, warehouse_id, country';

/** The facets kept, and what they count (see entities/analytics.ts). */
export const FACETS = ['hold', 'cancel', 'payment', 'sold', 'return_reason', 'return_resolution', 'return_sku'] as const;
export type Facet = (typeof FACETS)[number];

const BOUNDS = `'{${BOUNDS_HOURS.join(',')}}'::numeric[]`;
/** The histogram bucket of the hours from `a` to `b` (null when either is null); see histogram.ts. */
const bucket = (a: string, b: string) => `width_bucket(extract(epoch from ${b} - ${a}) / 3600, ${BOUNDS})`;

export async function recomputeOps(em: EntityManager, minutes: Date[], { baseCurrency, timeZone }: { baseCurrency: string; timeZone: string }) {
  if (!minutes.length) return;
  const list = timestamps(minutes);
  await em.execute('delete from fulfil_minute where minute = any(?::timestamptz[])', [list]);
  await em.execute('delete from ops_facet_minute where minute = any(?::timestamptz[])', [list]);
  const fx = fxCte(baseCurrency);
  const stageBucket = { ship: 'b_ship', transit: 'b_transit', total: 'b_total' } as const;
  const histogram = STAGES.flatMap((s) => Array.from({ length: BUCKETS }, (_, k) => `count(*) filter (where ${stageBucket[s]} = ${k})`)).join(', ');
  // One statement reads the orders of the minutes once and writes both minute rollups.
  await em.execute(
    `with ${fx.sql},
     o as (
       select d.m, o.id, o.channel_id, coalesce(o.warehouse_id, 0) as warehouse_id, ${COUNTRY} as country, o.status, o.placed_at, o.promised_by,
              o.hold_history, ${cancelKey('o.cancel_reason')} as cancel_key, o.payment_method, ${BASE_TOTAL} as base_total, l.units,
              s.first_shipped, d2.delivered_at,
              exists (select 1 from payment p join payment_operation op on op.payment_id = p.id where p.order_id = o.id and not op.succeeded) as pay_failed,
              ${bucket('o.placed_at', 's.first_shipped')} as b_ship,
              ${bucket('s.first_shipped', 'd2.delivered_at')} as b_transit,
              ${bucket('o.placed_at', 'd2.delivered_at')} as b_total
         from unnest(?::timestamptz[]) as d(m)
         join sales_order o on o.placed_at >= d.m and o.placed_at < d.m + interval '1 minute'
         left join fx on fx.currency = o.currency
         left join lateral (select sum(quantity) as units from order_line where order_id = o.id) l on true
         left join lateral (select min(shipped_at) as first_shipped, count(*) as n, count(delivered_at) as nd, max(delivered_at) as last_delivered
                              from shipment where order_id = o.id) s on true
         cross join lateral (select case when s.n > 0 and s.nd = s.n then s.last_delivered end as delivered_at) d2),
     f as (
       insert into fulfil_minute (minute, ${DIMS}, ${FULFIL_COLUMNS.join(', ')})
       select m, ${DIMS}, count(*), count(*) filter (where status = 'cancelled'),
              count(first_shipped), count(*) filter (where first_shipped is not null and promised_by is not null), count(*) filter (where first_shipped > promised_by),
              count(delivered_at), count(*) filter (where delivered_at is not null and promised_by is not null), count(*) filter (where delivered_at > promised_by),
              count(*) filter (where cardinality(hold_history) > 0), count(*) filter (where pay_failed),
              ${histogram}
         from o group by m, ${DIMS}
       returning 1)
     insert into ops_facet_minute (minute, facet, key, ${DIMS}, ${FACET_COLUMNS.join(', ')})
     select m, 'hold', r, ${DIMS}, count(*), 0, 0, 0 from o cross join unnest(o.hold_history) r group by m, r, ${DIMS}
     union all
     select m, 'cancel', cancel_key, ${DIMS}, count(*), 0, 0, 0 from o where status = 'cancelled' group by m, cancel_key, ${DIMS}
     union all
     select m, 'payment', payment_method, ${DIMS}, count(*), coalesce(sum(units) filter (where status <> 'cancelled'), 0),
            coalesce(sum(base_total) filter (where status <> 'cancelled'), 0), count(*) filter (where pay_failed)
       from o group by m, payment_method, ${DIMS}
     union all
     select o.m, 'sold', l.sku, ${DIMS}, count(distinct o.id), sum(l.quantity), 0, 0
       from o join order_line l on l.order_id = o.id where o.status <> 'cancelled' group by o.m, l.sku, ${DIMS}`,
    [...fx.params, list],
  );
  // Returns opened in the minutes, as their order's channel, warehouse and country.
  await em.execute(
    `with rl as (
       select d.m, r.id, r.reason, r.resolution, x ->> 'sku' as sku, (x ->> 'quantity')::int as quantity,
              o.channel_id, coalesce(o.warehouse_id, 0) as warehouse_id, ${COUNTRY} as country
         from unnest(?::timestamptz[]) as d(m)
         join return_request r on r.created_at >= d.m and r.created_at < d.m + interval '1 minute' and r.status not in ('rejected', 'expired')
         join sales_order o on o.id = r.order_id
         cross join jsonb_array_elements(r.lines) x)
     insert into ops_facet_minute (minute, facet, key, ${DIMS}, ${FACET_COLUMNS.join(', ')})
     select m, 'return_reason', reason, ${DIMS}, count(distinct id), sum(quantity), 0, 0 from rl group by m, reason, ${DIMS}
     union all
     select m, 'return_resolution', resolution, ${DIMS}, count(distinct id), sum(quantity), 0, 0 from rl group by m, resolution, ${DIMS}
     union all
     select m, 'return_sku', sku, ${DIMS}, count(distinct id), sum(quantity), 0, 0 from rl group by m, sku, ${DIMS}`,
    [list],
  );

  // Their hours from the minutes, their days from the hours.
  const hours = hoursOf(minutes);
  const fulfilSums = FULFIL_COLUMNS.map((c) => `sum(${c})`).join(', ');
  const facetSums = FACET_COLUMNS.map((c) => `sum(${c})`).join(', ');
  await em.execute('delete from fulfil_hour where hour = any(?::timestamptz[])', [hours]);
  await em.execute(
    `insert into fulfil_hour (hour, ${DIMS}, ${FULFIL_COLUMNS.join(', ')})
     select h.h, ${DIMS}, ${fulfilSums}
       from unnest(?::timestamptz[]) as h(h) join fulfil_minute m on m.minute >= h.h and m.minute < h.h + interval '1 hour'
      group by h.h, ${DIMS}`,
    [hours],
  );
  await em.execute('delete from ops_facet_hour where hour = any(?::timestamptz[])', [hours]);
  await em.execute(
    `insert into ops_facet_hour (hour, facet, key, ${DIMS}, ${FACET_COLUMNS.join(', ')})
     select h.h, facet, key, ${DIMS}, ${facetSums}
       from unnest(?::timestamptz[]) as h(h) join ops_facet_minute m on m.minute >= h.h and m.minute < h.h + interval '1 hour'
      group by h.h, facet, key, ${DIMS}`,
    [hours],
  );
  // Days from their hours. Each month is kept as the sum of its days by difference: the old rows of the days
  // recomputed are taken off their months and the new ones added, in this transaction, so a month costs the
  // rows of the days that changed, not every row of the month (and rebuilding starts them from empty).
  const days = daysOf(minutes, timeZone);
  const months = `{${[
    ...new Set(
      days
        .slice(1, -1)
        .split(',')
        .map((d) => `${d.slice(0, 7)}-01`),
    ),
  ].join(',')}}`;
  const facets = `{${FACETS.join(',')}}`;
  const toMonths = (table: 'fulfil' | 'ops_facet', rows: string, sign: '' | '-') => {
    const keys = table === 'fulfil' ? DIMS : `facet, key, ${DIMS}`;
    const columns = table === 'fulfil' ? FULFIL_COLUMNS : FACET_COLUMNS;
    return `insert into ${table}_month (month, ${keys}, ${columns.join(', ')})
            select date_trunc('month', day)::date, ${keys}, ${columns.map((c) => `${sign}sum(${c})`).join(', ')} from ${rows} group by 1, ${keys}
            on conflict (${table === 'fulfil' ? `month, ${DIMS}` : `facet, month, key, ${DIMS}`})
            do update set ${columns.map((c) => `${c} = ${table}_month.${c} + excluded.${c}`).join(', ')}`;
  };
  await em.execute(`with old as (delete from fulfil_day where day = any(?::date[]) returning *) ${toMonths('fulfil', 'old', '-')}`, [days]);
  await em.execute(
    `with new as (
       insert into fulfil_day (day, ${DIMS}, ${FULFIL_COLUMNS.join(', ')})
       select d.d, ${DIMS}, ${fulfilSums}
         from unnest(?::date[]) as d(d) join fulfil_hour h on h.hour >= d.d::timestamp at time zone ? and h.hour < (d.d + 1)::timestamp at time zone ?
        group by d.d, ${DIMS}
       returning *)
     ${toMonths('fulfil', 'new', '')}`,
    [days, timeZone, timeZone],
  );
  await em.execute('delete from fulfil_month where month = any(?::date[]) and orders = 0', [months]);
  await em.execute(
    `with old as (delete from ops_facet_day where facet = any(?::text[]) and day = any(?::date[]) returning *) ${toMonths('ops_facet', 'old', '-')}`,
    [facets, days],
  );
  await em.execute(
    `with new as (
       insert into ops_facet_day (day, facet, key, ${DIMS}, ${FACET_COLUMNS.join(', ')})
       select d.d, facet, key, ${DIMS}, ${facetSums}
         from unnest(?::date[]) as d(d) join ops_facet_hour h on h.hour >= d.d::timestamp at time zone ? and h.hour < (d.d + 1)::timestamp at time zone ?
        group by d.d, facet, key, ${DIMS}
       returning *)
     ${toMonths('ops_facet', 'new', '')}`,
    [days, timeZone, timeZone],
  );
  // A month row whose days are all gone: every figure counts orders or returns, so none left means all zero.
  await em.execute('delete from ops_facet_month where facet = any(?::text[]) and month = any(?::date[]) and orders = 0', [facets, months]);

  // The same summed over channel, warehouse and country (what unfiltered reports read): the days recomputed
  // from their rows, then their months from the days' totals (a month is a few thousand of those).
  await em.execute('delete from ops_facet_day_total where facet = any(?::text[]) and day = any(?::date[])', [facets, days]);
  await em.execute(
    `insert into ops_facet_day_total (facet, day, key, ${FACET_COLUMNS.join(', ')})
     select facet, day, key, ${facetSums} from ops_facet_day where facet = any(?::text[]) and day = any(?::date[]) group by facet, day, key`,
    [facets, days],
  );
  await em.execute('delete from ops_facet_month_total where facet = any(?::text[]) and month = any(?::date[])', [facets, months]);
  await em.execute(
    `insert into ops_facet_month_total (facet, month, key, ${FACET_COLUMNS.join(', ')})
     select t.facet, m.m, t.key, ${facetSums}
       from unnest(?::date[]) as m(m) join ops_facet_day_total t on t.facet = any(?::text[]) and t.day >= m.m and t.day < (m.m + interval '1 month')::date
      group by t.facet, m.m, t.key`,
    [months, facets],
  );
}
