// The fulfilment, returns and payment-method rollups against the base tables: a random workload (orders in
// several channels, payment methods and countries over two weeks; cancels with and without reasons, holds
// at intake and by staff, released or not; failed and successful payments; shipments, deliveries; returns
// and exchanges, some rejected) is rolled up by the refresher, and every figure the reports show must equal
// the one computed here straight from orders, shipments, payments and returns. Percentiles come from the
// histograms: the bucket counts must match, and the percentile is the one histogram.ts defines from them
// (which must lie in the bucket the exact percentile of the orders falls in). Marking everything again or
// rebuilding changes nothing; the orders list's drill-down filters find the orders a figure counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { cancelOrder, holdOrder, releaseHold } from '../../app/modules/orders/service.server.ts';
import { createPayment } from '../../app/modules/payments/service.server.ts';
import { confirmPick, packOrder, pickListsForOrders, recordTrackingEvent, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { requestReturn } from '../../app/modules/returns/service.server.ts';
import { endReturn } from '../../app/modules/returns/rma.server.ts';
import { rebuildRollups, refreshDirtyMinutes } from '../../app/modules/analytics/rollups.server.ts';
import { fulfilmentReport, type FulfilFigures } from '../../app/modules/analytics/fulfilment-report.server.ts';
import { returnsReport, type ReturnFigures } from '../../app/modules/analytics/returns-report.server.ts';
import { paymentMethods } from '../../app/modules/analytics/payment-methods.server.ts';
import { salesReport } from '../../app/modules/analytics/reports.server.ts';
import { toBaseMinor } from '../../app/lib/money.ts';
import { BUCKETS, bucketOf, bucketRange, percentile, STAGES, type Stage } from '../../app/modules/analytics/histogram.ts';
import { FULFIL_COLUMNS, OPS_TABLES } from '../../app/modules/analytics/ops-rollups.server.ts';
import { listOrders, parseOrderFilters } from '../../app/modules/orders/queries.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'analytics fulfilment test' };
const BASE = 'USD';
const OPTS = { baseCurrency: BASE, timeZone: 'UTC' };
const DAY = 86_400_000;
const HOUR = 3_600_000;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);
const today = new Date().toISOString().slice(0, 10);
const dayIso = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** A small deterministic random generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function refreshAll() {
  while ((await refreshDirtyMinutes(db.orm, OPTS)) > 0);
}

// ---- The figures, straight from the base tables ----

interface BaseOrder {
  id: number;
  placed_at: Date;
  status: string;
  channel: string;
  warehouse: string;
  country: string;
  promised_by: Date | null;
  hold_history: string[];
  cancel_reason: string | null;
  payment_method: string;
  currency: string;
  total_minor: number;
  total_base_minor: number | null;
  units: string | null;
  first_shipped: Date | null;
  n_ship: string;
  n_delivered: string;
  last_delivered: Date | null;
  pay_failed: boolean;
}

async function baseOrders(): Promise<BaseOrder[]> {
  return sql<BaseOrder>(
    `select o.id, o.placed_at, o.status, c.code as channel, coalesce(w.code, 'none') as warehouse, coalesce(o.shipping_address ->> 'country', '') as country,
            o.promised_by, o.hold_history, o.cancel_reason, o.payment_method, o.currency, o.total_minor, o.total_base_minor,
            (select sum(quantity) from order_line l where l.order_id = o.id) as units,
            (select min(shipped_at) from shipment s where s.order_id = o.id) as first_shipped,
            (select count(*) from shipment s where s.order_id = o.id) as n_ship,
            (select count(delivered_at) from shipment s where s.order_id = o.id) as n_delivered,
            (select max(delivered_at) from shipment s where s.order_id = o.id) as last_delivered,
            exists (select 1 from payment p join payment_operation op on op.payment_id = p.id where p.order_id = o.id and not op.succeeded) as pay_failed
       from sales_order o join channel c on c.id = o.channel_id left join warehouse w on w.id = o.warehouse_id`,
  );
}

const countryOf = (o: { country: string }) => o.country.slice(0, 2).toUpperCase() || '--';
const deliveredAt = (o: BaseOrder) => (Number(o.n_ship) > 0 && Number(o.n_delivered) === Number(o.n_ship) ? new Date(o.last_delivered!) : null);
const hoursBetween = (a: Date, b: Date) => (b.getTime() - a.getTime()) / HOUR;
/** The stage durations of an order in hours (null: not reached). */
function durations(o: BaseOrder): Record<Stage, number | null> {
  const placed = new Date(o.placed_at);
  const shipped = o.first_shipped ? new Date(o.first_shipped) : null;
  const delivered = deliveredAt(o);
  return {
    ship: shipped ? hoursBetween(placed, shipped) : null,
    transit: shipped && delivered ? hoursBetween(shipped, delivered) : null,
    total: delivered ? hoursBetween(placed, delivered) : null,
  };
}
const cancelKey = (reason: string | null) =>
  (reason ?? '')
    .trim()
    .replace(/[0-9]+/g, '#')
    .slice(0, 200);

interface Filter {
  channel?: string;
  warehouse?: string;
  country?: string;
}
const matches = (o: { channel: string; warehouse: string; country: string }, f: Filter) =>
  (!f.channel || o.channel === f.channel) && (!f.warehouse || o.warehouse === f.warehouse) && (!f.country || countryOf(o) === f.country);
const placedIn = (o: BaseOrder, from: string, to: string) => {
  const t = new Date(o.placed_at).getTime();
  return t >= Date.parse(`${from}T00:00:00Z`) && t < Date.parse(`${to}T00:00:00Z`) + DAY;
};

/** The fulfilment figures of the orders placed in [from, to] (whole UTC days) that match f. */
function expectedFulfil(orders: BaseOrder[], from: string, to: string, f: Filter = {}): FulfilFigures {
  const hist = Object.fromEntries(STAGES.map((s) => [s, Array<number>(BUCKETS).fill(0)])) as Record<Stage, number[]>;
  const c = { orders: 0, cancelled: 0, shipped: 0, shipPromised: 0, shipLate: 0, delivered: 0, deliverPromised: 0, deliverLate: 0, held: 0, payFailed: 0 };
  for (const o of orders) {
    if (!placedIn(o, from, to) || !matches(o, f)) continue;
    c.orders++;
    if (o.status === 'cancelled') c.cancelled++;
    if (o.hold_history.length) c.held++;
    if (o.pay_failed) c.payFailed++;
    const promised = o.promised_by ? new Date(o.promised_by) : null;
    if (o.first_shipped) {
      c.shipped++;
      if (promised) {
        c.shipPromised++;
        if (new Date(o.first_shipped) > promised) c.shipLate++;
      }
    }
    const delivered = deliveredAt(o);
    if (delivered) {
      c.delivered++;
      if (promised) {
        c.deliverPromised++;
        if (delivered > promised) c.deliverLate++;
      }
    }
    const d = durations(o);
    for (const s of STAGES) if (d[s] !== null) hist[s][bucketOf(d[s])]++;
  }
  const rate = (n: number, d: number) => (d > 0 ? n / d : null);
  const pct = (p: number) => Object.fromEntries(STAGES.map((s) => [s, percentile(hist[s], p)])) as Record<Stage, number | null>;
  return {
    ...c,
    hist,
    p50: pct(0.5),
    p90: pct(0.9),
    shipLateRate: rate(c.shipLate, c.shipPromised),
    deliverLateRate: rate(c.deliverLate, c.deliverPromised),
    heldRate: rate(c.held, c.orders),
    payFailedRate: rate(c.payFailed, c.orders),
    cancelledRate: rate(c.cancelled, c.orders),
  };
}

/** Counts by key of the orders placed in the range that match f. */
function countBy(orders: BaseOrder[], from: string, to: string, f: Filter, keys: (o: BaseOrder) => string[]) {
  const out = new Map<string, number>();
  for (const o of orders) if (placedIn(o, from, to) && matches(o, f)) for (const k of keys(o)) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}
const asMap = <T extends { orders: number }>(xs: T[], key: (x: T) => string) => new Map(xs.map((x) => [key(x), x.orders]));

interface BaseReturn {
  id: number;
  order_id: number;
  created_at: Date;
  status: string;
  reason: string;
  resolution: string;
  lines: { sku: string; quantity: number }[];
  channel: string;
  warehouse: string;
  country: string;
}
interface BaseLine {
  placed_at: Date;
  status: string;
  channel: string;
  warehouse: string;
  country: string;
  sku: string;
  quantity: number;
}

const baseReturns = () =>
  sql<BaseReturn>(
    `select r.id, r.order_id, r.created_at, r.status, r.reason, r.resolution, r.lines, c.code as channel, coalesce(w.code, 'none') as warehouse,
            coalesce(o.shipping_address ->> 'country', '') as country
       from return_request r join sales_order o on o.id = r.order_id join channel c on c.id = o.channel_id left join warehouse w on w.id = o.warehouse_id`,
  );
const baseLines = () =>
  sql<BaseLine>(
    `select o.placed_at, o.status, c.code as channel, coalesce(w.code, 'none') as warehouse, coalesce(o.shipping_address ->> 'country', '') as country, l.sku, l.quantity
       from order_line l join sales_order o on o.id = l.order_id join channel c on c.id = o.channel_id left join warehouse w on w.id = o.warehouse_id`,
  );
const inDays = (at: Date, from: string, to: string) => {
  const t = new Date(at).getTime();
  return t >= Date.parse(`${from}T00:00:00Z`) && t < Date.parse(`${to}T00:00:00Z`) + DAY;
};

/** Returns opened in [from, to] (not rejected or expired) matching f and `keep`, against units sold in orders placed then. */
function expectedReturns(
  returns: BaseReturn[],
  lines: BaseLine[],
  from: string,
  to: string,
  f: Filter = {},
  keep: { returned?: (r: BaseReturn) => boolean; sku?: string } = {},
): ReturnFigures {
  let n = 0;
  let units = 0;
  for (const r of returns) {
    if (['rejected', 'expired'].includes(r.status) || !inDays(r.created_at, from, to) || !matches(r, f) || (keep.returned && !keep.returned(r))) continue;
    const mine = r.lines.filter((l) => !keep.sku || l.sku === keep.sku);
    if (!mine.length) continue;
    n++;
    units += mine.reduce((a, l) => a + l.quantity, 0);
  }
  const sold = lines
    .filter((l) => l.status !== 'cancelled' && inDays(l.placed_at, from, to) && matches(l, f) && (!keep.sku || l.sku === keep.sku))
    .reduce((a, l) => a + l.quantity, 0);
  return { returns: n, units, sold, rate: sold > 0 ? units / sold : null };
}

/** Each month row is the sum of its days' rows (and there is none for a month without days). */
async function expectMonthsAreSumsOfDays() {
  const f = FULFIL_COLUMNS.map((c) => `sum(${c})::int as ${c}`).join(', ');
  expect(await sql(`select month, channel_id, warehouse_id, country, ${FULFIL_COLUMNS.join(', ')} from fulfil_month order by 1, 2, 3, 4`)).toEqual(
    await sql(
      `select date_trunc('month', day)::date as month, channel_id, warehouse_id, country, ${f} from fulfil_day group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
    ),
  );
  expect(
    await sql(
      `select facet, month, key, channel_id, warehouse_id, country, orders, units, amount_base_minor, failed from ops_facet_month order by 1, 2, 3, 4, 5, 6`,
    ),
  ).toEqual(
    await sql(
      `select facet, date_trunc('month', day)::date as month, key, channel_id, warehouse_id, country, sum(orders)::int as orders, sum(units)::int as units,
              sum(amount_base_minor)::bigint as amount_base_minor, sum(failed)::int as failed
         from ops_facet_day group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6`,
    ),
  );
  // The totals over channel, warehouse and country that unfiltered reports read: the sums of the rows they total.
  const sums = 'sum(orders)::int as orders, sum(units)::int as units, sum(amount_base_minor)::bigint as amount_base_minor, sum(failed)::int as failed';
  for (const time of ['day', 'month'])
    expect(await sql(`select facet, ${time}, key, orders, units, amount_base_minor, failed from ops_facet_${time}_total order by 1, 2, 3`), time).toEqual(
      await sql(`select facet, ${time}, key, ${sums} from ops_facet_${time} group by 1, 2, 3 order by 1, 2, 3`),
    );
  expect((await sql<{ n: number }>('select count(*)::int as n from ops_facet_day_total'))[0].n).toBeGreaterThan(0);
}

// ---- The workload ----

/** Picked, packed and shipped, through the fulfilment module as the warehouse does it. */
async function pickPackShip(id: number) {
  const { created, existing } = await pickListsForOrders(db.orm, { orderIds: [id] }, actor);
  for (const list of [...created, ...existing]) {
    const lines = await sql<{ sku: string; quantity: number }>('select sku, quantity from pick_list_line where pick_list_id = ? and order_id = ?', [
      list.id,
      id,
    ]);
    for (const l of lines) await confirmPick(db.orm, list.id, l.sku, actor, l.quantity);
  }
  await packOrder(db.orm, id, actor);
  await shipOrder(db.orm, id, actor);
}

const CANCEL_REASONS = ['customer changed mind', 'fraud suspected', undefined, '  Out of stock  '];
const METHODS = ['card', 'manual', 'bank_transfer', 'cash_on_delivery'];

beforeAll(async () => {
  db = await createTestDatabase('aful');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  const rnd = random(20261207);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const products = await sql<{ sku: string }>(
    `select p.sku from product p where p.active and exists (select 1 from inventory_level l where l.product_id = p.id and l.on_hand - l.reserved > 80) order by p.sku limit 6`,
  );
  const channels = [
    { code: 'web', currencies: ['USD', 'EUR'] },
    { code: 'app', currencies: ['USD'] },
    { code: 'tmall', currencies: ['CNY'] },
    { code: 'momo', currencies: ['TWD'] },
  ];
  const places = [
    { country: 'US', city: 'Boston', lat: 42.36, lng: -71.06 },
    { country: 'CN', city: 'Shanghai', lat: 31.23, lng: 121.47 },
    { country: 'TW', city: 'Taipei', lat: 25.03, lng: 121.56 },
    { country: 'GB', city: 'London', lat: 51.5, lng: -0.12 },
  ];
  let returnsMade = 0;
  for (let i = 0; i < 90; i++) {
    const channel = pick(channels);
    const place = pick(places);
    const method = pick(METHODS);
    const placedAt = Date.now() - Math.floor(rnd() * 13 * DAY) - HOUR;
    const r = await createOrder(
      db.orm,
      {
        channel: channel.code,
        externalId: `FUL-${i}`,
        customer: { email: `ful${i % 23}@example.com`, name: `Ful ${i % 23}` },
        // One in eight without coordinates: held at intake.
        shippingAddress: { line1: '1 Main St', city: place.city, country: place.country, ...(rnd() < 0.125 ? {} : { lat: place.lat, lng: place.lng }) },
        currency: pick(channel.currencies),
        lines: Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({
          sku: pick(products).sku,
          quantity: 1 + Math.floor(rnd() * 3),
          unitPrice: 500 + Math.floor(rnd() * 9_000),
        })),
        paymentMethod: method,
        deliveryMethod: 'standard',
        placedAt: new Date(placedAt).toISOString(),
        ...(rnd() < 0.85 ? { promisedBy: new Date(placedAt + Math.floor(rnd() * 8 * DAY)).toISOString() } : {}),
      },
      { actor, baseCurrency: BASE },
    );
    if (r.replayed) continue;
    const id = r.order.id;
    const status = async () => (await sql<{ status: string }>('select status from sales_order where id = ?', [id]))[0].status;
    const fate = rnd();
    if (fate < 0.12) {
      await cancelOrder(db.orm, id, actor, i % 3 === 0 ? `ticket macro run ${1000 + i}` : pick(CANCEL_REASONS));
      continue;
    }
    if (fate < 0.22 && (await status()) !== 'on_hold') await holdOrder(db.orm, id, actor, 'look at it');
    if ((await status()) === 'on_hold') {
      const next = rnd();
      if (next < 0.3) continue; // still held
      if (next < 0.45) {
        await cancelOrder(db.orm, id, actor, 'fraud suspected');
        continue;
      }
      await releaseHold(db.orm, id, actor, 'checked');
    }
    // Paying: a card may be declined first; some never pay.
    if (method === 'card') {
      if (rnd() < 0.35)
        await createPayment(db.orm, id, { provider: 'test-card', method: 'card', token: 'tok_chargeDeclined' }, `ful-decl-${id}`, actor).catch(() => null);
      if (rnd() < 0.2) continue; // gave up
      await createPayment(db.orm, id, { provider: 'test-card', method: 'card', token: 'tok_visa' }, `ful-pay-${id}`, actor);
      const [auth] = await sql<{ id: number }>(`select id from payment where order_id = ? and status = 'authorised'`, [id]);
      const { capturePayment } = await import('../../app/modules/payments/service.server.ts');
      await capturePayment(db.orm, auth.id, undefined, `ful-cap-${id}`, actor);
    } else {
      if (rnd() < 0.15) continue; // awaiting payment
      await createPayment(db.orm, id, { provider: 'manual', method }, `ful-pay-${id}`, actor);
    }
    if (rnd() < 0.25) continue; // paid, not shipped yet
    await pickPackShip(id);
    if (rnd() < 0.3) continue; // on its way
    const parcels = await sql<{ tracking_number: string }>('select tracking_number from shipment where order_id = ?', [id]);
    const arrived = new Date(Date.now() + Math.floor(rnd() * 120 * HOUR) + 60_000);
    for (const p of parcels) await recordTrackingEvent(db.orm, p.tracking_number, { status: 'delivered', occurredAt: arrived.toISOString() }, 'test', actor);
    if (rnd() < 0.5) continue;
    const lines = await sql<{ sku: string; quantity: number }>('select sku, quantity from order_line where order_id = ? order by id', [id]);
    const rma = await requestReturn(
      db.orm,
      id,
      {
        reason: pick(['damaged', 'wrong_item', 'size_or_fit', 'no_longer_needed'] as const),
        resolution: ++returnsMade % 3 === 0 ? 'exchange' : 'refund',
        lines: lines.slice(0, 1 + Math.floor(rnd() * lines.length)).map((l) => ({ sku: l.sku, quantity: 1 + Math.floor(rnd() * l.quantity) })),
      },
      actor,
      'test',
    );
    // Opened some days ago (the returns report counts a return on the day it was opened); one in four refused.
    await sql(`update return_request set created_at = created_at - ? * interval '1 hour' where id = ?`, [Math.floor(rnd() * 12 * 24), rma.id]);
    if (returnsMade % 4 === 2) await db.orm.em.fork().transactional((em) => endReturn(em, rma.id, 'rejected', actor));
  }
  await refreshAll();
}, 300_000);
afterAll(async () => {
  await db?.drop();
});

describe('returns rollups', () => {
  it('give the returns report by day, channel, warehouse, reason, resolution and product as the base tables give them', async () => {
    const [returns, lines] = [await baseReturns(), await baseLines()];
    const from = dayIso(-13);
    const report = await returnsReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'previous' }, today);
    expect(report.totals.returns).toBeGreaterThan(3);
    expect(returns.some((r) => r.status === 'rejected')).toBe(true);
    expect(report.totals).toEqual(expectedReturns(returns, lines, from, today));
    expect(report.series).toHaveLength(14);
    for (const { bucket, ...figures } of report.series) expect(figures, bucket).toEqual(expectedReturns(returns, lines, bucket, bucket));
    expect(report.previous!.totals).toEqual(expectedReturns(returns, lines, dayIso(-27), dayIso(-14)));
    for (const { channel, ...figures } of report.byChannel) expect(figures, channel).toEqual(expectedReturns(returns, lines, from, today, { channel }));
    for (const { warehouse, ...figures } of report.byWarehouse) expect(figures, warehouse).toEqual(expectedReturns(returns, lines, from, today, { warehouse }));
    expect(report.byReason.length).toBeGreaterThan(1);
    for (const { reason, ...figures } of report.byReason)
      expect(figures, reason).toEqual({
        ...expectedReturns(returns, lines, from, today, {}, { returned: (r) => r.reason === reason }),
        sold: report.totals.sold,
        rate: expectedReturns(returns, lines, from, today, {}, { returned: (r) => r.reason === reason }).units / report.totals.sold,
      });
    expect(report.byResolution.map((r) => r.resolution).sort()).toEqual(['exchange', 'refund']);
    for (const { resolution, ...figures } of report.byResolution)
      expect(figures.units, resolution).toBe(expectedReturns(returns, lines, from, today, {}, { returned: (r) => r.resolution === resolution }).units);
    for (const { sku, name, ...figures } of report.byProduct) {
      expect(name).toBeTruthy();
      expect(figures, sku).toEqual(expectedReturns(returns, lines, from, today, {}, { sku }));
    }
    // Filtered.
    for (const f of [{ channel: 'web' }, { country: 'US' }, { warehouse: 'EWR' }] as Filter[]) {
      const r = await returnsReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none', ...f }, today);
      expect(r.totals, JSON.stringify(f)).toEqual(expectedReturns(returns, lines, from, today, f));
    }
  });

  it('opens the orders behind a returns figure', async () => {
    const from = dayIso(-13);
    const report = await returnsReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none' }, today);
    const orders = async (q: Record<string, string>) =>
      (await listOrders(db.orm.em.fork(), parseOrderFilters(new URLSearchParams({ returnFrom: from, returnTo: today, pageSize: '200', ...q })))).total;
    const returns = (await baseReturns()).filter((r) => !['rejected', 'expired'].includes(r.status) && inDays(r.created_at, from, today));
    const ordersOf = (keep: (r: BaseReturn) => boolean) => new Set(returns.filter(keep).map((r) => r.order_id)).size;
    expect(await orders({ returned: '1' })).toBe(ordersOf(() => true));
    expect(ordersOf(() => true)).toBeGreaterThan(3);
    for (const r of report.byReason) expect(await orders({ returnReason: r.reason }), r.reason).toBe(ordersOf((x) => x.reason === r.reason));
    for (const r of report.byResolution)
      expect(await orders({ returnResolution: r.resolution }), r.resolution).toBe(ordersOf((x) => x.resolution === r.resolution));
    for (const p of report.byProduct) expect(await orders({ returnSku: p.sku }), p.sku).toBe(ordersOf((x) => x.lines.some((l) => l.sku === p.sku)));
  });
});

describe('payment methods', () => {
  it('give each method its orders, revenue and failures as the orders give them, adding up to the sales report', async () => {
    const orders = await baseOrders();
    const rates = new Map(
      (await sql<{ currency: string; rate_per_base: string }>('select currency, rate_per_base from exchange_rate')).map((r) => [r.currency, r.rate_per_base]),
    );
    const from = dayIso(-13);
    for (const f of [{}, { channel: 'web' }, { country: 'CN' }] as Filter[]) {
      const methods = await paymentMethods(db.orm.em.fork(), from, today, f);
      const expected = new Map<string, { orders: number; revenue: number; failed: number }>();
      for (const o of orders) {
        if (!placedIn(o, from, today) || !matches(o, f)) continue;
        const e = expected.get(o.payment_method) ?? { orders: 0, revenue: 0, failed: 0 };
        e.orders++;
        if (o.pay_failed) e.failed++;
        if (o.status !== 'cancelled') e.revenue += o.total_base_minor ?? toBaseMinor(o.total_minor, o.currency, BASE, rates.get(o.currency) ?? 1);
        expected.set(o.payment_method, e);
      }
      expect(new Map(methods.map((m) => [m.method, { orders: m.orders, revenue: m.revenue, failed: m.failed }])), JSON.stringify(f)).toEqual(expected);
      const sales = await salesReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none', ...f }, 'UTC', today);
      expect(methods.reduce((n, m) => n + m.revenue, 0)).toBe(sales.totals.revenue);
      expect(methods.reduce((n, m) => n + m.orders, 0)).toBe(sales.totals.orders);
      const shares = methods.reduce((n, m) => n + (m.revenueShare ?? 0), 0);
      if (sales.totals.revenue) expect(shares).toBeCloseTo(1, 9);
    }
    expect(orders.some((o) => placedIn(o, from, today) && o.payment_method === 'card' && o.pay_failed)).toBe(true);
  });
});

describe('fulfilment rollups', () => {
  it('leave nothing marked once refreshed, and count every order once', async () => {
    expect(await sql('select minute from analytics_dirty_minute')).toEqual([]);
    expect(await sql('select minute from ops_dirty_minute')).toEqual([]);
    const [{ n }] = await sql<{ n: string }>('select count(*) as n from sales_order');
    const [{ m }] = await sql<{ m: string }>('select sum(orders) as m from fulfil_day');
    expect(Number(m)).toBe(Number(n));
  });

  it('give the report day by day, with the previous period and breakdowns, as the base tables give them', async () => {
    const orders = await baseOrders();
    const from = dayIso(-13);
    const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'previous' }, today);
    expect(report.series).toHaveLength(14);
    // The workload covers what the report is about.
    expect(report.totals.shipped).toBeGreaterThan(10);
    expect(report.totals.delivered).toBeGreaterThan(5);
    expect(report.totals.shipLate).toBeGreaterThan(0);
    expect(report.totals.held).toBeGreaterThan(0);
    expect(report.totals.payFailed).toBeGreaterThan(0);
    expect(report.totals.cancelled).toBeGreaterThan(0);
    expect(report.totals).toEqual(expectedFulfil(orders, from, today));
    for (const p of report.series) {
      const { bucket, ...figures } = p;
      expect(figures, bucket).toEqual(expectedFulfil(orders, bucket, bucket));
    }
    expect(report.previous!.totals).toEqual(expectedFulfil(orders, dayIso(-27), dayIso(-14)));
    for (const { channel, ...figures } of report.byChannel) expect(figures, channel).toEqual(expectedFulfil(orders, from, today, { channel }));
    for (const { warehouse, ...figures } of report.byWarehouse) expect(figures, warehouse).toEqual(expectedFulfil(orders, from, today, { warehouse }));
    expect(report.byChannel.reduce((n, c) => n + c.orders, 0)).toBe(report.totals.orders);

    // Weekly buckets add up to the same totals.
    const weekly = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'week', compare: 'none' }, today);
    expect(weekly.previous).toBeNull();
    expect(weekly.series.reduce((n, p) => n + p.shipped, 0)).toBe(report.totals.shipped);
  });

  it('filters by channel, warehouse and country as the base tables do', async () => {
    const orders = await baseOrders();
    const from = dayIso(-13);
    for (const f of [{ channel: 'web' }, { warehouse: 'EWR' }, { country: 'TW' }, { channel: 'tmall', country: 'CN' }, { warehouse: 'none' }] as Filter[]) {
      const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none', ...f }, today);
      expect(report.totals, JSON.stringify(f)).toEqual(expectedFulfil(orders, from, today, f));
    }
  });

  it('reads percentiles from the histogram in the bucket the exact percentile falls in', async () => {
    const orders = await baseOrders();
    const from = dayIso(-13);
    const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none' }, today);
    for (const s of STAGES) {
      const xs = orders
        .filter((o) => placedIn(o, from, today))
        .map((o) => durations(o)[s])
        .filter((x): x is number => x !== null)
        .sort((a, b) => a - b);
      expect(xs.length, s).toBeGreaterThan(3);
      for (const p of [0.5, 0.9] as const) {
        const exact = xs[Math.ceil(p * xs.length) - 1];
        const got = (p === 0.5 ? report.totals.p50 : report.totals.p90)[s]!;
        const [lo, hi] = bucketRange(bucketOf(exact));
        expect(got, `${s} p${p * 100}`).toBeGreaterThanOrEqual(lo);
        expect(got, `${s} p${p * 100}`).toBeLessThanOrEqual(hi ?? Infinity);
      }
    }
    // The definition itself: [4 orders in 0–1 h, 6 in 2–4 h] → p50 is one order into the 2–4 h bucket.
    expect(percentile([4, 0, 6], 0.5)).toBeCloseTo(2 + (1 / 6) * 2, 1);
    expect(percentile([0, 0, 0], 0.5)).toBeNull();
  });

  it('counts holds, cancellations and payment failures by reason and method as the orders give them', async () => {
    const orders = await baseOrders();
    const from = dayIso(-13);
    const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none' }, today);
    expect(asMap(report.holds, (h) => h.reason)).toEqual(countBy(orders, from, today, {}, (o) => o.hold_history));
    expect(report.holds.map((h) => h.reason)).toEqual(expect.arrayContaining(['manual', 'address_without_coordinates']));
    expect(asMap(report.cancels, (c) => c.reason)).toEqual(
      countBy(orders, from, today, {}, (o) => (o.status === 'cancelled' ? [cancelKey(o.cancel_reason)] : [])),
    );
    // Numbers are folded, so a reason that carries one counts as one reason; none given is ''.
    expect(report.cancels.map((c) => c.reason)).toEqual(expect.arrayContaining(['ticket macro run #', 'fraud suspected']));
    expect(asMap(report.paymentFailures, (p) => p.method)).toEqual(countBy(orders, from, today, {}, (o) => [o.payment_method]));
    expect(new Map(report.paymentFailures.map((p) => [p.method, p.failed]))).toEqual(
      new Map(
        [...countBy(orders, from, today, {}, (o) => [o.payment_method]).keys()].map((m) => [
          m,
          orders.filter((o) => placedIn(o, from, today) && o.payment_method === m && o.pay_failed).length,
        ]),
      ),
    );
    expect(report.paymentFailures.find((p) => p.method === 'card')!.failed).toBeGreaterThan(0);
  });

  it('opens the orders behind a figure: the orders list finds as many as the report counts', async () => {
    const from = dayIso(-13);
    const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none' }, today);
    const total = async (q: Record<string, string>) =>
      (await listOrders(db.orm.em.fork(), parseOrderFilters(new URLSearchParams({ from, to: today, pageSize: '200', ...q })))).total;
    expect(await total({ shipLate: '1' })).toBe(report.totals.shipLate);
    expect(await total({ deliverLate: '1' })).toBe(report.totals.deliverLate);
    expect(await total({ paymentFailed: 'any' })).toBe(report.totals.payFailed);
    for (const h of report.holds) expect(await total({ holdReason: h.reason }), h.reason).toBe(h.orders);
    for (const c of report.cancels) expect(await total({ cancelReason: c.reason || '-' }), c.reason).toBe(c.orders);
    for (const p of report.paymentFailures) {
      expect(await total({ paymentMethod: p.method }), p.method).toBe(p.orders);
      expect(await total({ paymentMethod: p.method, paymentFailed: 'any' }), p.method).toBe(p.failed);
    }
    for (const s of STAGES)
      for (const [k, n] of report.totals.hist[s].entries()) {
        if (!n) continue;
        const [lo, hi] = bucketRange(k);
        expect(await total({ took: `${s}:${lo}-${hi ?? ''}` }), `${s} bucket ${k}`).toBe(n);
      }
    const tw = report.byChannel.find((c) => c.channel === 'momo');
    if (tw) expect(await total({ channel: 'momo' })).toBe(tw.orders);
    const orders = await baseOrders();
    expect(await total({ country: 'TW' })).toBe(expectedFulfil(orders, from, today, { country: 'TW' }).orders);
  });

  it('keeps each month the sum of its days, and reads whole months from them', async () => {
    await expectMonthsAreSumsOfDays();
    const orders = await baseOrders();
    const [returns, lines] = [await baseReturns(), await baseLines()];
    const from = `${dayIso(-40).slice(0, 7)}-01`;
    const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'month', compare: 'previous' }, today);
    const returned = await returnsReport(db.orm.em.fork(), { from, to: today, granularity: 'month', compare: 'none' }, today);
    expect(report.totals).toEqual(expectedFulfil(orders, from, today));
    expect(returned.totals).toEqual(expectedReturns(returns, lines, from, today));
    for (const [i, p] of report.series.entries()) {
      const end = i + 1 < report.series.length ? new Date(Date.parse(`${report.series[i + 1].bucket}T00:00:00Z`) - DAY).toISOString().slice(0, 10) : today;
      const { bucket, ...figures } = p;
      expect(figures, bucket).toEqual(expectedFulfil(orders, bucket, end));
      const { bucket: _b, ...r } = returned.series[i];
      expect(r, bucket).toEqual(expectedReturns(returns, lines, bucket, end));
    }
    expect(report.totals.orders).toBeGreaterThan(0);
    for (const { reason, ...figures } of returned.byReason)
      expect(figures.units, reason).toBe(expectedReturns(returns, lines, from, today, {}, { returned: (r) => r.reason === reason }).units);
    for (const { sku, name: _n, ...figures } of returned.byProduct) expect(figures, sku).toEqual(expectedReturns(returns, lines, from, today, {}, { sku }));
  });

  it('follows changes as they commit, and a redelivery or a rebuild changes nothing', async () => {
    const [o] = await sql<{ id: number }>(`select id from sales_order where status = 'on_hold' and external_id like 'FUL-%' order by id limit 1`);
    await cancelOrder(db.orm, o.id, actor, 'held too long 42 days');
    expect((await sql('select minute from analytics_dirty_minute')).length).toBeGreaterThan(0);
    await refreshAll();
    const from = dayIso(-13);
    const report = await fulfilmentReport(db.orm.em.fork(), { from, to: today, granularity: 'day', compare: 'none' }, today);
    expect(report.cancels.find((c) => c.reason === 'held too long # days')?.orders).toBe(1);
    expect(report.totals).toEqual(expectedFulfil(await baseOrders(), from, today));

    await expectMonthsAreSumsOfDays();
    const snapshot = async () => Promise.all(OPS_TABLES.map((t) => sql(`select * from ${t} order by 1, 2, 3, 4, 5, 6`)));
    const before = await snapshot();
    await sql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing`);
    await sql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', created_at) from return_request on conflict do nothing`);
    await refreshAll();
    expect(await snapshot()).toEqual(before);
    await rebuildRollups(db.orm, OPTS);
    expect(await snapshot()).toEqual(before);
  });
});

describe('warnings', () => {
  const order = async (ref: string, method: string, daysAgo: number, lines = [{ sku: 'WARN-PAY', quantity: 1, unitPrice: 1000 }]) => {
    const r = await createOrder(
      db.orm,
      {
        channel: 'web',
        externalId: ref,
        customer: { email: 'warn-ops@example.com', name: 'Warn Ops' },
        shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
        currency: 'USD',
        lines,
        paymentMethod: method,
        placedAt: new Date(Date.now() - daysAgo * DAY - HOUR).toISOString(),
      },
      { actor, baseCurrency: BASE },
    );
    if (r.replayed) throw new Error(`${ref} was taken already`);
    return r.order.id;
  };
  const declined = (id: number) =>
    createPayment(db.orm, id, { provider: 'test-card', method: 'card', token: 'tok_chargeDeclined' }, `warn-decl-${id}`, actor).catch(() => null);

  it('names a payment method whose failures doubled this week, and a SKU whose return rate did, each linking to its orders', async () => {
    const { warnings } = await import('../../app/modules/analytics/warnings.server.ts');
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency)
       values ('WARN-PAY', 'WARNPAY', 'Warned pay', 1, 1, 1, 1, 1000, 'USD'), ('WARN-RET', 'WARNRET', 'Warned return', 1, 1, 1, 1, 1000, 'USD')`,
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
       select p.id, w.id, 500, 0, 0, 0, now() from product p, warehouse w where p.sku in ('WARN-PAY', 'WARN-RET') and w.code = 'EWR'`,
    );
    // wallet: 4 of 12 orders declined this week, none of 10 last week. voucher: 2 of 10 both weeks.
    for (let i = 0; i < 12; i++) {
      const id = await order(`WARN-W-${i}`, 'wallet', i % 5);
      if (i < 4) await declined(id);
    }
    for (let i = 0; i < 10; i++) await order(`WARN-WL-${i}`, 'wallet', 8 + (i % 5));
    for (const [week, ago] of [
      ['now', 1],
      ['last', 9],
    ] as const)
      for (let i = 0; i < 10; i++) {
        const id = await order(`WARN-V-${week}-${i}`, 'voucher', ago);
        if (i < 2) await declined(id);
      }
    // WARN-RET: 8 units sold this week of which 3 came back; 10 sold last week, none back.
    for (let i = 0; i < 4; i++) {
      const id = await order(`WARN-R-${i}`, 'manual', 1, [{ sku: 'WARN-RET', quantity: 2, unitPrice: 1000 }]);
      await createPayment(db.orm, id, { provider: 'manual', method: 'cash' }, `warn-ret-pay-${id}`, actor);
      await pickPackShip(id);
      if (i < 3) await requestReturn(db.orm, id, { reason: 'damaged', lines: [{ sku: 'WARN-RET', quantity: 1 }] }, actor, 'test');
    }
    await order('WARN-RL', 'manual', 9, [{ sku: 'WARN-RET', quantity: 10, unitPrice: 1000 }]);
    await refreshAll();

    const found = await warnings(db.orm.em.fork(), today);
    const wallet = found.find((w) => w.kind === 'paymentFailures' && w.method === 'wallet');
    expect(wallet).toMatchObject({ kind: 'paymentFailures', failed: 4, orders: 12, lastWeek: 0 });
    expect(wallet?.kind === 'paymentFailures' && wallet.thisWeek).toBeCloseTo(4 / 12, 6);
    expect(found.find((w) => w.kind === 'paymentFailures' && w.method === 'voucher')).toBeUndefined();
    const ret = found.find((w) => w.kind === 'returnRate' && w.sku === 'WARN-RET');
    expect(ret).toMatchObject({ kind: 'returnRate', returned: 3, sold: 8, lastWeek: 0 });
    expect(found.find((w) => w.kind === 'returnRate' && w.sku === 'WARN-PAY')).toBeUndefined();

    // Each links to the orders it is about.
    const count = async (link: string) => (await listOrders(db.orm.em.fork(), parseOrderFilters(new URL(link, 'http://x').searchParams))).total;
    expect(await count(wallet!.link)).toBe(4);
    expect(await count(ret!.link)).toBe(3);
  });
});
