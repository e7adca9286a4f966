// The products, stock, margin and customer-cohort rollups against the base tables: a random workload (orders in
// several channels and currencies, most over two weeks and some up to five months back, some split over two
// warehouses, some of a product no supplier offers, some shipped on a carrier rule without a rate; cancels, holds,
// shipments, returns; stock received, damaged and counted on earlier days) is rolled up by the refresher in a
// business time zone that is not UTC, and every figure must equal the same figure computed here from orders,
// lines, reservations, shipments, the ledger and the levels; so must each report built on them. Orders that
// change a customer's cohort are followed; marking everything again (a redelivery) or rebuilding changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { cancelOrder, holdOrder } from '../../app/modules/orders/service.server.ts';
import { createPayment } from '../../app/modules/payments/service.server.ts';
import { confirmPick, packOrder, pickListsForOrders, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { requestReturn } from '../../app/modules/returns/service.server.ts';
import { adjustStock } from '../../app/modules/inventory/service.server.ts';
import { listOrders } from '../../app/modules/orders/queries.server.ts';
import { OrderFilters } from '../../app/modules/orders/filters.ts';
import { rebuildRollups, refreshDirtyMinutes } from '../../app/modules/analytics/rollups.server.ts';
import { closeStockDays } from '../../app/modules/analytics/product-rollups.server.ts';
import { productsReport, ProductsQuery } from '../../app/modules/analytics/products.server.ts';
import { marginReport, MarginQuery } from '../../app/modules/analytics/margin.server.ts';
import { addMonths, cohortReport, CohortQuery } from '../../app/modules/analytics/cohorts.server.ts';
import { addDays, todayIn } from '../../app/modules/analytics/range.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'analytics products test' };
const BASE = 'USD';
const TZ = 'Asia/Shanghai'; // UTC+8 all year: business days end at 16:00 UTC.
const OPTS = { baseCurrency: BASE, timeZone: TZ };
const DAY = 86_400_000;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);
const dayOf = (d: Date | string) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(d));
const endOf = (day: string) => Date.parse(`${addDays(day, 1)}T00:00:00+08:00`);

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

interface Part {
  main: boolean;
  day: string;
  orderId: number;
  productId: number;
  channelId: number;
  warehouseId: number;
  units: number;
  revenue: number;
  cost: number;
  uncosted: number;
}

/** Every order × product × warehouse of the orders not cancelled, computed from orders, lines and reservations. */
async function partsFromBase(): Promise<Part[]> {
  const orders = await sql<{
    id: number;
    placed_at: Date;
    status: string;
    channel_id: number;
    warehouse_id: number | null;
    total_minor: number;
    total_base_minor: number;
  }>(`select id, placed_at, status, channel_id, warehouse_id, total_minor, total_base_minor from sales_order`);
  const lines = await sql<{ order_id: number; product_id: number; quantity: number; total_minor: number; unit_cost_base_minor: number | null }>(
    'select order_id, product_id, quantity, total_minor, unit_cost_base_minor from order_line',
  );
  const reservations = await sql<{ order_id: number; product_id: number; warehouse_id: number; quantity: number; status: string }>(
    'select order_id, product_id, warehouse_id, quantity, status from reservation',
  );
  const byOrder = new Map<number, typeof lines>();
  for (const l of lines) byOrder.set(l.order_id, [...(byOrder.get(l.order_id) ?? []), l]);
  const out: Part[] = [];
  for (const o of orders) {
    if (o.status === 'cancelled') continue;
    expect(o.total_base_minor, 'every order here keeps its base total').not.toBeNull();
    const products = new Map<number, { units: number; revenue: number; cost: number; uncosted: number }>();
    for (const l of byOrder.get(o.id) ?? []) {
      const p = products.get(l.product_id) ?? { units: 0, revenue: 0, cost: 0, uncosted: 0 };
      p.units += l.quantity;
      // Multiplied first, as integers, then divided: exact to the half, rounded half away from zero (all positive here).
      p.revenue += o.total_minor ? Math.round((l.total_minor * o.total_base_minor) / o.total_minor) : 0;
      if (l.unit_cost_base_minor === null) p.uncosted += l.quantity;
      else p.cost += l.quantity * l.unit_cost_base_minor;
      products.set(l.product_id, p);
    }
    for (const [productId, p] of products) {
      const held = new Map<number, number>();
      for (const r of reservations)
        if (r.order_id === o.id && r.product_id === productId && r.status !== 'released')
          held.set(r.warehouse_id, (held.get(r.warehouse_id) ?? 0) + r.quantity);
      const rest = p.units - [...held.values()].reduce((n, q) => n + q, 0);
      const own = o.warehouse_id ?? 0;
      if (rest > 0) held.set(own, (held.get(own) ?? 0) + rest);
      const shares = [...held].filter(([, q]) => q > 0);
      // The order counts once: where most of the units are, then the lowest warehouse id.
      const [main] = [...shares].sort(([wa, qa], [wb, qb]) => qb - qa || wa - wb)[0];
      for (const [warehouseId, q] of shares) {
        out.push({
          main: warehouseId === main,
          day: dayOf(o.placed_at),
          orderId: o.id,
          productId,
          channelId: o.channel_id,
          warehouseId,
          units: q,
          revenue: Math.round((p.revenue * q) / p.units),
          cost: Math.round((p.cost * q) / p.units),
          uncosted: Math.round((p.uncosted * q) / p.units),
        });
      }
    }
  }
  return out;
}

/** Stock at each closed day's end per level, from the levels and the ledger. */
async function stockFromBase(today: string): Promise<Map<string, number>> {
  const levels = await sql<{ product_id: number; warehouse_id: number; on_hand: number }>('select product_id, warehouse_id, on_hand from inventory_level');
  const moves = await sql<{ product_id: number; warehouse_id: number; quantity: number; at: Date }>(
    'select product_id, warehouse_id, quantity, at from stock_movement',
  );
  const [{ first }] = await sql<{ first: Date }>('select least((select min(placed_at) from sales_order), (select min(at) from stock_movement)) as first');
  const yesterday = addDays(today, -1);
  const out = new Map<string, number>();
  for (let d = dayOf(first) < yesterday ? dayOf(first) : yesterday; d <= yesterday; d = addDays(d, 1)) {
    for (const l of levels) {
      const later = moves
        .filter((m) => m.product_id === l.product_id && m.warehouse_id === l.warehouse_id && new Date(m.at).getTime() >= endOf(d))
        .reduce((n, m) => n + m.quantity, 0);
      out.set(`${d}|${l.product_id}|${l.warehouse_id}`, l.on_hand - later);
    }
  }
  return out;
}

interface OrderMarginRow {
  orderId: number;
  day: string;
  channelId: number;
  warehouseId: number;
  revenue: number;
  goods: number;
  uncostedUnits: number;
  shipping: number;
  parcels: number;
  uncostedParcels: number;
  margin: number;
}

/** Each order's margin (not cancelled), from the order, its lines and its shipments. */
async function marginsFromBase(): Promise<OrderMarginRow[]> {
  const orders = await sql<{
    id: number;
    placed_at: Date;
    status: string;
    channel_id: number;
    warehouse_id: number | null;
    total_minor: number;
    tax_minor: number;
    total_base_minor: number;
  }>(`select id, placed_at, status, channel_id, warehouse_id, total_minor, tax_minor, total_base_minor from sales_order where status <> 'cancelled'`);
  const lines = await sql<{ order_id: number; quantity: number; unit_cost_base_minor: number | null }>(
    'select order_id, quantity, unit_cost_base_minor from order_line',
  );
  const parcels = await sql<{ order_id: number; cost: number | null }>('select order_id, shipping_cost_base_minor as cost from shipment');
  return orders.map((o) => {
    const mine = lines.filter((l) => l.order_id === o.id);
    const boxes = parcels.filter((p) => p.order_id === o.id);
    const revenue = o.total_minor ? Math.round(((o.total_minor - o.tax_minor) * o.total_base_minor) / o.total_minor) : 0;
    const goods = mine.reduce((n, l) => n + (l.unit_cost_base_minor === null ? 0 : l.quantity * l.unit_cost_base_minor), 0);
    const shipping = boxes.reduce((n, p) => n + (p.cost ?? 0), 0);
    return {
      orderId: Number(o.id),
      day: dayOf(o.placed_at),
      channelId: Number(o.channel_id),
      warehouseId: Number(o.warehouse_id ?? 0),
      revenue,
      goods,
      uncostedUnits: mine.filter((l) => l.unit_cost_base_minor === null).reduce((n, l) => n + l.quantity, 0),
      shipping,
      parcels: boxes.length,
      uncostedParcels: boxes.filter((p) => p.cost === null).length,
      margin: revenue - goods - shipping,
    };
  });
}

/** The cohort tables as the orders give them: per customer and month, per customer, per cohort and month, per cohort and frequency. */
async function cohortsFromBase() {
  const orders = await sql<{ customer_id: number; placed_at: Date; total_base_minor: number }>(
    `select customer_id, placed_at, total_base_minor from sales_order where status <> 'cancelled'`,
  );
  const monthOf = (d: Date) => `${dayOf(d).slice(0, 7)}-01`;
  const months = new Map<string, { orders: number; revenue: number }>();
  const customers = new Map<number, { first: number; last: number; orders: number; revenue: number }>();
  for (const o of orders) {
    const key = `${o.customer_id}|${monthOf(o.placed_at)}`;
    const m = months.get(key) ?? { orders: 0, revenue: 0 };
    m.orders++;
    m.revenue += Number(o.total_base_minor);
    months.set(key, m);
    const t = new Date(o.placed_at).getTime();
    const c = customers.get(Number(o.customer_id)) ?? { first: t, last: t, orders: 0, revenue: 0 };
    c.first = Math.min(c.first, t);
    c.last = Math.max(c.last, t);
    c.orders++;
    c.revenue += Number(o.total_base_minor);
    customers.set(Number(o.customer_id), c);
  }
  const cohortOf = (id: number) => monthOf(new Date(customers.get(id)!.first));
  const customerMonth = Object.fromEntries(
    [...months].map(([key, m]) => {
      const [id, month] = key.split('|');
      return [key, { cohort: cohortOf(Number(id)), month, orders: m.orders, revenue: m.revenue }];
    }),
  );
  const customerCohort = Object.fromEntries(
    [...customers].map(([id, c]) => [
      id,
      { cohort: cohortOf(id), first: new Date(c.first).toISOString(), last: new Date(c.last).toISOString(), orders: c.orders, revenue: c.revenue },
    ]),
  );
  const cohortMonth: Record<string, { customers: number; orders: number; revenue: number }> = {};
  for (const m of Object.values(customerMonth)) {
    const c = (cohortMonth[`${m.cohort}|${m.month}`] ??= { customers: 0, orders: 0, revenue: 0 });
    c.customers++;
    c.orders += m.orders;
    c.revenue += m.revenue;
  }
  const cohortFrequency: Record<string, { customers: number; revenue: number }> = {};
  for (const c of Object.values(customerCohort)) {
    const f = (cohortFrequency[`${c.cohort}|${Math.min(c.orders, 10)}`] ??= { customers: 0, revenue: 0 });
    f.customers++;
    f.revenue += c.revenue;
  }
  return { customerMonth, customerCohort, cohortMonth, cohortFrequency };
}

/** The cohort tables as stored, in the shape cohortsFromBase gives. */
async function cohortsStored() {
  const d = (v: unknown) => new Date(v as string).toISOString();
  return {
    customerMonth: Object.fromEntries(
      (
        await sql<Record<string, string | number>>(
          `select customer_id, to_char(month, 'YYYY-MM-DD') as month, to_char(cohort, 'YYYY-MM-DD') as cohort, orders, revenue_base_minor from customer_month`,
        )
      ).map((r) => [`${r.customer_id}|${r.month}`, { cohort: r.cohort, month: r.month, orders: Number(r.orders), revenue: Number(r.revenue_base_minor) }]),
    ),
    customerCohort: Object.fromEntries(
      (
        await sql<Record<string, string | number>>(
          `select customer_id, to_char(cohort, 'YYYY-MM-DD') as cohort, first_order_at, last_order_at, orders, revenue_base_minor from customer_cohort`,
        )
      ).map((r) => [
        String(r.customer_id),
        { cohort: r.cohort, first: d(r.first_order_at), last: d(r.last_order_at), orders: Number(r.orders), revenue: Number(r.revenue_base_minor) },
      ]),
    ),
    cohortMonth: Object.fromEntries(
      (
        await sql<Record<string, string | number>>(
          `select to_char(cohort, 'YYYY-MM-DD') as cohort, to_char(month, 'YYYY-MM-DD') as month, customers, orders, revenue_base_minor from cohort_month`,
        )
      ).map((r) => [`${r.cohort}|${r.month}`, { customers: Number(r.customers), orders: Number(r.orders), revenue: Number(r.revenue_base_minor) }]),
    ),
    cohortFrequency: Object.fromEntries(
      (
        await sql<Record<string, string | number>>(
          `select to_char(cohort, 'YYYY-MM-DD') as cohort, orders, customers, revenue_base_minor from cohort_frequency`,
        )
      ).map((r) => [`${r.cohort}|${r.orders}`, { customers: Number(r.customers), revenue: Number(r.revenue_base_minor) }]),
    ),
  };
}

const band = (m: OrderMarginRow) => (m.revenue <= 0 ? -2 : m.margin < 0 ? -1 : Math.min(Math.floor((m.margin * 10) / m.revenue), 5));

const productDayRows = async () =>
  new Map(
    (
      await sql<{
        day: string;
        product_id: number;
        channel_id: number;
        warehouse_id: number;
        orders: number;
        units: number;
        revenue: string;
        cost: string;
        uncosted: number;
      }>(
        `select to_char(day, 'YYYY-MM-DD') as day, product_id, channel_id, warehouse_id, orders, units, revenue_base_minor as revenue, cost_base_minor as cost, uncosted_units as uncosted from product_day`,
      )
    ).map((r) => [
      `${r.day}|${r.product_id}|${r.channel_id}|${r.warehouse_id}`,
      { orders: r.orders, units: r.units, revenue: Number(r.revenue), cost: Number(r.cost), uncosted: r.uncosted },
    ]),
  );

let today: string;

beforeAll(async () => {
  db = await createTestDatabase('anp');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  today = todayIn(TZ);
  const rnd = random(20261207);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  // A product no supplier offers (its lines have no cost), and one stocked thinly in two warehouses (orders split).
  await sql(
    `insert into product (sku, barcode, name, category, weight_grams, length_mm, width_mm, height_mm, price_minor, currency)
     values ('NOCOST-1', 'NOCOST1', 'Unsourced', 'Toys', 100, 1, 1, 1, 1500, 'USD'), ('SPLIT-1', 'SPLIT1', 'Scarce', 'Home', 100, 1, 1, 1, 2500, 'USD'),
            ('DEAD-1', 'DEAD1', 'Unloved', 'Home', 100, 1, 1, 1, 9900, 'USD')`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
     select p.id, w.id, case when p.sku = 'NOCOST-1' then 300 when p.sku = 'DEAD-1' then case when w.code = 'TPE' then 40 else 0 end
                             when w.code in ('EWR', 'RNO') then 12 else 0 end, 0, 0, 0, now()
       from product p, warehouse w where p.sku in ('NOCOST-1', 'SPLIT-1', 'DEAD-1')`,
  );
  await sql(
    `insert into supplier_product (supplier_id, product_id, unit_cost_minor, preferred, updated_at)
     select s.id, p.id, case p.sku when 'SPLIT-1' then 1100 else 700 end, false, now() from supplier s, product p where s.code = 'ACME' and p.sku in ('SPLIT-1', 'DEAD-1')`,
  );
  // SF's rule has no rate: its parcels (to China and Taiwan) cost what we do not know.
  await sql(`update carrier set rules = (select jsonb_agg(r - 'costMinor' - 'costPerKgMinor') from jsonb_array_elements(rules) r) where code = 'sf'`);
  const stocked = await sql<{ sku: string }>(
    `select p.sku from product p where p.active and p.sku not in ('SPLIT-1') and exists (select 1 from inventory_level l where l.product_id = p.id and l.on_hand - l.reserved > 60) order by p.sku limit 8`,
  );
  const skus = [...stocked.map((s) => s.sku), 'NOCOST-1'];
  const channels = [
    { code: 'web', currencies: ['USD', 'EUR', 'GBP'] },
    { code: 'app', currencies: ['USD', 'EUR'] },
    { code: 'tmall', currencies: ['CNY'] },
    { code: 'momo', currencies: ['TWD'] },
  ];
  const places = [
    { country: 'US', city: 'Boston', lat: 42.36, lng: -71.06 },
    { country: 'US', city: 'Denver', lat: 39.74, lng: -104.99 },
    { country: 'CN', city: 'Shanghai', lat: 31.23, lng: 121.47 },
    { country: 'TW', city: 'Taipei', lat: 25.03, lng: 121.56 },
  ];
  for (let i = 0; i < 70; i++) {
    const channel = pick(channels);
    const place = pick(places);
    const split = i % 9 === 4;
    let r;
    try {
      r = await createOrder(
        db.orm,
        {
          channel: channel.code,
          externalId: `ANP-${i}`,
          customer: { email: `anp${i % 13}@example.com`, name: `Anp ${i % 13}` },
          shippingAddress: { line1: '1 Main St', city: place.city, country: place.country, lat: place.lat, lng: place.lng },
          currency: pick(channel.currencies),
          lines: [
            ...Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
              sku: pick(skus),
              quantity: 1 + Math.floor(rnd() * 3),
              unitPrice: 500 + Math.floor(rnd() * 20_000),
            })),
            ...(split ? [{ sku: 'SPLIT-1', quantity: 14, unitPrice: 2500 }] : []),
          ],
          discount: rnd() < 0.3 ? 100 : 0,
          paymentMethod: 'manual',
          deliveryMethod: 'standard',
          // Most in the last two weeks; every fourth up to five months back, so customers span several cohorts.
          placedAt: new Date(Date.now() - Math.floor(rnd() * (i % 4 === 0 ? 150 : 13) * DAY)).toISOString(),
        },
        { actor, baseCurrency: BASE },
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'insufficient_stock') continue;
      throw e;
    }
    if (r.replayed) continue;
    const id = r.order.id;
    const fate = rnd();
    if (fate < 0.15) await cancelOrder(db.orm, id, actor, 'test');
    else if (fate < 0.25) await holdOrder(db.orm, id, actor, 'test');
    else if (fate < 0.55) {
      await createPayment(db.orm, id, { provider: 'manual', method: 'cash' }, `anp-pay-${id}`, actor);
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
      if (fate < 0.32) {
        const [line] = await sql<{ sku: string }>('select sku from order_line where order_id = ? limit 1', [id]);
        await requestReturn(db.orm, id, { reason: 'damaged', lines: [{ sku: line.sku, quantity: 1 }] }, actor, 'test');
      }
    }
  }
  // Stock received, written off and counted by hand.
  const levels = await sql<{ sku: string; warehouse: string }>(
    `select p.sku, w.code as warehouse from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku in (?) order by 1, 2`,
    [skus],
  );
  for (let i = 0; i < 16; i++) {
    const l = pick(levels);
    const kind = pick(['receipt', 'damage', 'cycle_count'] as const);
    try {
      await adjustStock(
        db.orm,
        { sku: l.sku, warehouse: l.warehouse, kind, quantity: kind === 'cycle_count' ? Math.floor(rnd() * 50) : 1 + Math.floor(rnd() * 20), reason: 'test' },
        actor,
      );
    } catch (e) {
      if ((e as { status?: number }).status !== 409 && (e as { status?: number }).status !== 422) throw e;
    }
  }
  // The ledger's rows spread over the last ten days, as a history would have them (nothing has been rolled up yet).
  await sql(`update stock_movement set at = at - (abs(hashint4(id::int)) % 10) * interval '1 day' - (abs(hashint4(id::int * 7)) % 24) * interval '1 hour'`);
  await refreshAll();
}, 240_000);
afterAll(async () => {
  await db?.drop();
});

describe('products, stock, margin and cohort rollups', () => {
  it('hold, for every day × product × channel × warehouse, what the orders, lines and reservations give', async () => {
    const expected = new Map<string, { orders: Set<number>; units: number; revenue: number; cost: number; uncosted: number }>();
    const totals = new Map<string, { orders: Set<number>; units: number; revenue: number; cost: number; uncosted: number }>();
    for (const p of await partsFromBase()) {
      const key = `${p.day}|${p.productId}|${p.channelId}|${p.warehouseId}`;
      const e = expected.get(key) ?? { orders: new Set<number>(), units: 0, revenue: 0, cost: 0, uncosted: 0 };
      if (p.main) e.orders.add(p.orderId);
      const t = totals.get(`${p.day}|${p.productId}`) ?? { orders: new Set<number>(), units: 0, revenue: 0, cost: 0, uncosted: 0 };
      t.orders.add(p.orderId);
      t.units += p.units;
      t.revenue += p.revenue;
      t.cost += p.cost;
      t.uncosted += p.uncosted;
      totals.set(`${p.day}|${p.productId}`, t);
      e.units += p.units;
      e.revenue += p.revenue;
      e.cost += p.cost;
      e.uncosted += p.uncosted;
      expected.set(key, e);
    }
    const actual = await productDayRows();
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, e] of expected)
      expect(actual.get(key), key).toEqual({ orders: e.orders.size, units: e.units, revenue: e.revenue, cost: e.cost, uncosted: e.uncosted });
    // Over every channel and warehouse, each order once.
    const dayTotals = await sql<Record<string, string | number>>(
      `select to_char(day, 'YYYY-MM-DD') as day, product_id, orders, units, revenue_base_minor, cost_base_minor, uncosted_units from product_day_total`,
    );
    expect(
      Object.fromEntries(
        dayTotals.map((r) => [
          `${r.day}|${r.product_id}`,
          {
            orders: Number(r.orders),
            units: Number(r.units),
            revenue: Number(r.revenue_base_minor),
            cost: Number(r.cost_base_minor),
            uncosted: Number(r.uncosted_units),
          },
        ]),
      ),
    ).toEqual(Object.fromEntries([...totals].map(([k, t]) => [k, { ...t, orders: t.orders.size }])));
    // The workload reached what it was meant to: split orders, unsourced lines, several warehouses.
    const [{ split }] = await sql<{ split: string }>(
      `select count(*) as split from sales_order where warehouse_id is null and status <> 'cancelled' and external_id like 'ANP-%'`,
    );
    expect(Number(split)).toBeGreaterThan(0);
    expect([...expected.values()].some((e) => e.uncosted > 0)).toBe(true);
    expect(new Set([...expected.keys()].map((k) => k.split('|')[3])).size).toBeGreaterThan(2);
  });

  it('keep each closed day’s stock as the levels and the ledger give it', async () => {
    const expected = await stockFromBase(today);
    const actual = new Map(
      (
        await sql<{ day: string; product_id: number; warehouse_id: number; on_hand: number }>(
          `select to_char(day, 'YYYY-MM-DD') as day, product_id, warehouse_id, on_hand from stock_day`,
        )
      ).map((r) => [`${r.day}|${r.product_id}|${r.warehouse_id}`, r.on_hand]),
    );
    expect(actual.size).toBe(expected.size);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    // The history moved: some level held a different amount on some day than it does now.
    const [{ moved }] = await sql<{ moved: string }>(
      `select count(*) as moved from stock_day s join inventory_level l on l.product_id = s.product_id and l.warehouse_id = s.warehouse_id where s.on_hand <> l.on_hand`,
    );
    expect(Number(moved)).toBeGreaterThan(0);
  });

  it('give the products report the figures the base tables give, filtered and compared', async () => {
    const parts = await partsFromBase();
    const stock = await stockFromBase(today);
    const products = new Map((await sql<{ id: number; category: string | null }>('select id, category from product')).map((p) => [Number(p.id), p.category]));
    const channels = new Map((await sql<{ id: number; code: string }>('select id, code from channel')).map((c) => [c.code, Number(c.id)]));
    const warehouses = new Map((await sql<{ id: number; code: string }>('select id, code from warehouse')).map((w) => [w.code, Number(w.id)]));
    const levels = await sql<{ product_id: number; warehouse_id: number; on_hand: number; reserved: number }>(
      'select product_id, warehouse_id, on_hand, reserved from inventory_level',
    );
    for (const filter of [{}, { channel: 'web' }, { warehouse: 'EWR' }, { category: 'Toys' }, { channel: 'tmall', warehouse: 'SHA' }] as {
      channel?: string;
      warehouse?: string;
      category?: string;
    }[]) {
      const from = addDays(today, -6);
      const report = await productsReport(db.orm.em.fork(), ProductsQuery.parse({ from, to: today, ...filter }), today, BASE);
      const label = JSON.stringify(filter);
      const keep = (p: Part) =>
        (!filter.channel || p.channelId === channels.get(filter.channel)) &&
        (!filter.warehouse || p.warehouseId === warehouses.get(filter.warehouse)) &&
        (!filter.category || products.get(p.productId) === filter.category);
      const inRange = (p: Part, a: string, b: string) => p.day >= a && p.day <= b;
      const sum = (xs: Part[], f: (p: Part) => number) => xs.reduce((n, p) => n + f(p), 0);
      const now = parts.filter((p) => keep(p) && inRange(p, from, today));
      const before = parts.filter((p) => keep(p) && inRange(p, addDays(from, -7), addDays(from, -1)));
      expect(report.totals, label).toMatchObject({
        units: sum(now, (p) => p.units),
        revenue: sum(now, (p) => p.revenue),
        cost: sum(now, (p) => p.cost),
        previousUnits: sum(before, (p) => p.units),
        previousRevenue: sum(before, (p) => p.revenue),
      });
      expect(report.totals.units, label).toBeGreaterThan(0);
      for (const r of report.rows) {
        const mine = (xs: Part[]) => xs.filter((p) => p.productId === r.productId);
        expect({ units: r.units, revenue: r.revenue, previousUnits: r.previousUnits, previousRevenue: r.previousRevenue }, `${label} ${r.sku}`).toEqual({
          units: sum(mine(now), (p) => p.units),
          revenue: sum(mine(now), (p) => p.revenue),
          previousUnits: sum(mine(before), (p) => p.units),
          previousRevenue: sum(mine(before), (p) => p.revenue),
        });
        // Stock over the range: each closed day's close and today's level, in the chosen warehouses.
        const mineLevels = levels.filter((l) => l.product_id === r.productId && (!filter.warehouse || l.warehouse_id === warehouses.get(filter.warehouse)));
        if (!mineLevels.length) continue;
        const closes: number[] = [];
        for (let d = from; d < today; d = addDays(d, 1)) closes.push(mineLevels.reduce((n, l) => n + stock.get(`${d}|${l.product_id}|${l.warehouse_id}`)!, 0));
        const onHand = mineLevels.reduce((n, l) => n + l.on_hand, 0);
        closes.push(onHand);
        expect({ stockDays: r.stockDays, stockoutDays: r.stockoutDays, onHand: r.onHand }, `${label} ${r.sku} stock`).toEqual({
          stockDays: closes.length,
          stockoutDays: closes.filter((c) => c <= 0).length,
          onHand,
        });
        const average = closes.reduce((n, c) => n + c, 0) / closes.length;
        expect(r.averageOnHand, `${label} ${r.sku} average`).toBe(Math.round(average * 10) / 10);
      }
      // Day by day: units sold, on hand at each close (today: now) and the SKUs with none, over the products stocked here.
      const stockedHere = [
        ...new Set(levels.filter((l) => !filter.warehouse || l.warehouse_id === warehouses.get(filter.warehouse)).map((l) => l.product_id)),
      ].filter((id) => !filter.category || products.get(id) === filter.category);
      expect(report.daily.map((d) => d.day)).toEqual(Array.from({ length: 7 }, (_, i) => addDays(from, i)));
      for (const d of report.daily) {
        const closes = stockedHere.map((id) =>
          levels
            .filter((l) => l.product_id === id && (!filter.warehouse || l.warehouse_id === warehouses.get(filter.warehouse)))
            .reduce((n, l) => n + (d.day === today ? l.on_hand : stock.get(`${d.day}|${l.product_id}|${l.warehouse_id}`)!), 0),
        );
        expect(d, `${label} ${d.day}`).toEqual({
          day: d.day,
          units: sum(
            now.filter((p) => p.day === d.day),
            (p) => p.units,
          ),
          revenue: sum(
            now.filter((p) => p.day === d.day),
            (p) => p.revenue,
          ),
          onHand: closes.reduce((n, c) => n + c, 0),
          outOfStock: closes.filter((c) => c <= 0).length,
        });
      }
      // Each category's figures are its products'.
      for (const c of report.categories) {
        const xs = now.filter((p) => (products.get(p.productId) ?? null) === c.category);
        expect({ units: c.units, revenue: c.revenue }, `${label} ${c.category}`).toEqual({
          units: sum(xs, (p) => p.units),
          revenue: sum(xs, (p) => p.revenue),
        });
      }
    }
  });

  it('name dead stock: on hand, and no sale in the idle window', async () => {
    const report = await productsReport(db.orm.em.fork(), ProductsQuery.parse({ idle: 30 }), today, BASE);
    const sold = new Set((await partsFromBase()).filter((p) => p.day > addDays(today, -30) && p.units > 0).map((p) => p.productId));
    const onHand = await sql<{ product_id: number; on_hand: string }>(
      `select l.product_id, sum(l.on_hand) as on_hand from inventory_level l join product p on p.id = l.product_id where p.active group by l.product_id`,
    );
    const dead = onHand.filter((l) => Number(l.on_hand) > 0 && !sold.has(Number(l.product_id))).map((l) => Number(l.product_id));
    expect(report.stock.dead.skus).toBe(dead.length);
    expect(report.idle.length).toBe(Math.min(25, report.stock.dead.skus + report.stock.slow.skus));
    const listed = report.idle.filter((i) => i.kind === 'dead');
    for (const i of listed) expect(dead).toContain(i.productId);
    // The product that never sold is dead, worth its stock at its supplier's cost, and never sold.
    const home = await productsReport(db.orm.em.fork(), ProductsQuery.parse({ idle: 30, warehouse: 'TPE', category: 'Home' }), today, BASE);
    const never = home.idle.find((i) => i.sku === 'DEAD-1');
    expect(never).toMatchObject({ kind: 'dead', onHand: 40, value: 40 * 700, lastSale: null });
  });

  it('drill to the orders with the product: the orders list filters by SKU', async () => {
    const [{ sku }] = await sql<{ sku: string }>(
      `select p.sku from order_line l join product p on p.id = l.product_id group by p.sku order by count(*) desc limit 1`,
    );
    const from = addDays(today, -7);
    const page = await listOrders(db.orm.em.fork(), OrderFilters.parse({ sku, from, to: today, pageSize: 200 }));
    const expected = await sql<{ id: number }>(
      `select distinct o.id from sales_order o join order_line l on l.order_id = o.id join product p on p.id = l.product_id
        where p.sku = ? and o.placed_at >= ?::date and o.placed_at < ?::date + 1 order by o.id`,
      [sku, from, today],
    );
    expect(page.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(expected.map((e) => Number(e.id)));
    expect(page.total).toBe(expected.length);
    expect((await listOrders(db.orm.em.fork(), OrderFilters.parse({ sku: 'NO-SUCH-SKU' }))).rows).toEqual([]);
  });

  it('keep each order’s margin, and each day’s by channel, warehouse and band, as the orders, lines and shipments give them', async () => {
    const expected = await marginsFromBase();
    const actual = await sql<Record<string, string | number>>(
      `select order_id, to_char(day, 'YYYY-MM-DD') as day, channel_id, warehouse_id, revenue_base_minor, goods_cost_base_minor, uncosted_units,
              shipping_cost_base_minor, parcels, uncosted_parcels, margin_base_minor from order_margin order by order_id`,
    );
    expect(
      actual.map((r) => ({
        orderId: Number(r.order_id),
        day: r.day,
        channelId: Number(r.channel_id),
        warehouseId: Number(r.warehouse_id),
        revenue: Number(r.revenue_base_minor),
        goods: Number(r.goods_cost_base_minor),
        uncostedUnits: Number(r.uncosted_units),
        shipping: Number(r.shipping_cost_base_minor),
        parcels: Number(r.parcels),
        uncostedParcels: Number(r.uncosted_parcels),
        margin: Number(r.margin_base_minor),
      })),
    ).toEqual(expected.sort((a, b) => a.orderId - b.orderId));
    // The workload has costed and uncosted parcels, losses and unsourced units.
    expect(expected.some((m) => m.parcels > m.uncostedParcels)).toBe(true);
    expect(expected.some((m) => m.uncostedParcels > 0)).toBe(true);
    expect(expected.some((m) => m.uncostedUnits > 0)).toBe(true);

    const days = new Map<string, Record<string, number>>();
    for (const m of expected) {
      const key = `${m.day}|${m.channelId}|${m.warehouseId}|${band(m)}`;
      const d = days.get(key) ?? { orders: 0, revenue: 0, goods: 0, uncostedUnits: 0, shipping: 0, parcels: 0, uncostedParcels: 0, incomplete: 0 };
      d.orders++;
      d.revenue += m.revenue;
      d.goods += m.goods;
      d.uncostedUnits += m.uncostedUnits;
      d.shipping += m.shipping;
      d.parcels += m.parcels;
      d.uncostedParcels += m.uncostedParcels;
      if (m.uncostedUnits > 0 || m.uncostedParcels > 0) d.incomplete++;
      days.set(key, d);
    }
    const rows = await sql<Record<string, string | number>>(`select to_char(day, 'YYYY-MM-DD') as day, * from margin_day`);
    expect(
      Object.fromEntries(
        rows.map((r) => [
          `${r.day}|${r.channel_id}|${r.warehouse_id}|${r.band}`,
          {
            orders: Number(r.orders),
            revenue: Number(r.revenue_base_minor),
            goods: Number(r.goods_cost_base_minor),
            uncostedUnits: Number(r.uncosted_units),
            shipping: Number(r.shipping_cost_base_minor),
            parcels: Number(r.parcels),
            uncostedParcels: Number(r.uncosted_parcels),
            incomplete: Number(r.incomplete),
          },
        ]),
      ),
    ).toEqual(Object.fromEntries(days));
  });

  it('give the margin report the figures the base tables give: totals, over time, by channel, by band, the worst orders', async () => {
    const all = await marginsFromBase();
    const channels = new Map((await sql<{ id: number; code: string }>('select id, code from channel')).map((c) => [Number(c.id), c.code]));
    for (const filter of [{}, { channel: 'web' }, { warehouse: 'EWR' }] as { channel?: string; warehouse?: string }[]) {
      const from = addDays(today, -9);
      const report = await marginReport(db.orm.em.fork(), MarginQuery.parse({ from, to: today, granularity: 'day', ...filter }), today);
      const label = JSON.stringify(filter);
      const warehouseId = filter.warehouse ? Number((await sql<{ id: number }>('select id from warehouse where code = ?', [filter.warehouse]))[0].id) : null;
      const keep = (m: OrderMarginRow) =>
        (!filter.channel || channels.get(m.channelId) === filter.channel) && (warehouseId === null || m.warehouseId === warehouseId);
      const within = (a: string, b: string) => all.filter((m) => keep(m) && m.day >= a && m.day <= b);
      const sums = (xs: OrderMarginRow[]) => ({
        orders: xs.length,
        revenue: xs.reduce((n, m) => n + m.revenue, 0),
        goodsCost: xs.reduce((n, m) => n + m.goods, 0),
        shippingCost: xs.reduce((n, m) => n + m.shipping, 0),
        margin: xs.reduce((n, m) => n + m.margin, 0),
        uncostedUnits: xs.reduce((n, m) => n + m.uncostedUnits, 0),
        uncostedParcels: xs.reduce((n, m) => n + m.uncostedParcels, 0),
        incomplete: xs.filter((m) => m.uncostedUnits > 0 || m.uncostedParcels > 0).length,
      });
      const now = within(from, today);
      expect(report.totals, label).toMatchObject(sums(now));
      expect(report.totals.orders, label).toBeGreaterThan(0);
      expect(report.previous!.totals, label).toMatchObject(sums(within(addDays(from, -10), addDays(from, -1))));
      expect(report.series).toHaveLength(10);
      for (const p of report.series) expect(p, `${label} ${p.bucket}`).toMatchObject(sums(within(p.bucket, p.bucket)));
      for (const c of report.byChannel) expect(c, `${label} ${c.channel}`).toMatchObject(sums(now.filter((m) => channels.get(m.channelId) === c.channel)));
      for (const b of report.bands) expect(b.orders, `${label} band ${b.band}`).toBe(now.filter((m) => band(m) === b.band).length);
      const worst = [...now].sort((a, b) => a.margin - b.margin || a.orderId - b.orderId).slice(0, 15);
      expect(
        report.worst.map((w) => [w.orderId, w.margin]),
        label,
      ).toEqual(worst.map((w) => [w.orderId, w.margin]));
    }
  });

  it('keep customers by month and cohort as the orders give them, and follow orders that change a customer’s cohort', async () => {
    expect(await cohortsStored()).toEqual(await cohortsFromBase());
    const stored = await cohortsStored();
    expect(new Set(Object.values(stored.customerMonth).map((m) => m.cohort)).size).toBeGreaterThan(2);
    expect(Object.values(stored.cohortMonth).some((c) => c.customers > 0)).toBe(true);

    // A customer's first order cancelled (their cohort moves later), and an order placed months before another's first (earlier).
    const [first] = await sql<{ id: number; customer_id: number }>(
      `select distinct on (customer_id) id, customer_id from sales_order
        where status in ('awaiting_payment', 'paid', 'on_hold') and customer_id in (select customer_id from sales_order where status <> 'cancelled' group by customer_id having count(distinct date_trunc('month', placed_at)) > 1)
        order by customer_id, placed_at`,
    );
    expect(first).toBeDefined();
    await cancelOrder(db.orm, first.id, actor, 'changed mind');
    const [someone] = await sql<{ email: string }>(
      `select email from customer where id = (select customer_id from customer_month order by cohort desc, customer_id limit 1)`,
    );
    const [sku] = await sql<{ sku: string }>(
      `select p.sku from product p join inventory_level l on l.product_id = p.id where p.active group by p.sku order by sum(l.on_hand - l.reserved) desc limit 1`,
    );
    await createOrder(
      db.orm,
      {
        channel: 'web',
        externalId: 'ANP-EARLY',
        customer: { email: someone.email, name: 'Early' },
        shippingAddress: { line1: '1 Main St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
        currency: 'USD',
        lines: [{ sku: sku.sku, quantity: 1, unitPrice: 4200 }],
        paymentMethod: 'manual',
        placedAt: new Date(Date.now() - 200 * DAY).toISOString(),
      },
      { actor, baseCurrency: BASE },
    );
    await refreshAll();
    expect(await cohortsStored()).toEqual(await cohortsFromBase());
  });

  it('give the cohort report the figures the base tables give', async () => {
    const base = await cohortsFromBase();
    for (const months of [6, 12]) {
      const report = await cohortReport(db.orm.em.fork(), CohortQuery.parse({ months: String(months) }), today);
      const last = `${today.slice(0, 7)}-01`;
      expect(report.months).toHaveLength(months);
      expect(report.months[months - 1]).toBe(last);
      const cells = Object.entries(base.cohortMonth).map(([key, c]) => ({ cohort: key.split('|')[0], month: key.split('|')[1], ...c }));
      for (const r of report.newVsReturning) {
        const mine = cells.filter((c) => c.month === r.month);
        expect(r, r.month).toEqual({
          month: r.month,
          newCustomers: mine.filter((c) => c.cohort === r.month).reduce((n, c) => n + c.customers, 0),
          returningCustomers: mine.filter((c) => c.cohort < r.month).reduce((n, c) => n + c.customers, 0),
          newOrders: mine.filter((c) => c.cohort === r.month).reduce((n, c) => n + c.orders, 0),
          returningOrders: mine.filter((c) => c.cohort < r.month).reduce((n, c) => n + c.orders, 0),
          newRevenue: mine.filter((c) => c.cohort === r.month).reduce((n, c) => n + c.revenue, 0),
          returningRevenue: mine.filter((c) => c.cohort < r.month).reduce((n, c) => n + c.revenue, 0),
        });
      }
      for (const r of report.retention) {
        expect(r.customers, r.cohort).toBe(base.cohortMonth[`${r.cohort}|${r.cohort}`]?.customers ?? 0);
        r.active.forEach((a, k) => {
          const month = addMonths(r.cohort, k + 1);
          expect(a, `${r.cohort} +${k + 1}`).toBe(month > last ? null : (base.cohortMonth[`${r.cohort}|${month}`]?.customers ?? 0));
        });
      }
      const inRange = Object.values(base.customerCohort).filter((c) => c.cohort >= report.months[0]);
      for (const f of report.frequency) {
        const xs = inRange.filter((c) => Math.min(c.orders, 10) === f.orders);
        expect(f, `${months} months, ${f.orders} orders`).toEqual({ orders: f.orders, customers: xs.length, revenue: xs.reduce((n, c) => n + c.revenue, 0) });
      }
      const top = Object.entries(base.customerCohort)
        .sort(([a, x], [b, y]) => y.revenue - x.revenue || Number(a) - Number(b))
        .slice(0, 20);
      expect(report.top.map((c) => [c.customerId, c.revenue, c.orders])).toEqual(top.map(([id, c]) => [Number(id), c.revenue, c.orders]));
    }
    // The retention table has someone coming back.
    const twelve = await cohortReport(db.orm.em.fork(), CohortQuery.parse({}), today);
    expect(twelve.retention.some((r) => r.active.some((a) => (a ?? 0) > 0))).toBe(true);
  });

  it('are the same after a redelivery of every mark and after a rebuild', async () => {
    const snapshot = async () => ({
      cohorts: await cohortsStored(),
      margin: await sql('select * from order_margin order by 1'),
      marginDay: await sql('select * from margin_day order by 1, 2, 3, 4'),
      hour: await sql('select * from product_hour order by 1, 2, 3, 4'),
      day: await sql('select * from product_day order by 1, 2, 3, 4'),
      dayTotal: await sql('select * from product_day_total order by 1, 2'),
      // A rebuild also writes the days before the first the refresher closed (an order was placed back then since).
      stock: await sql('select * from stock_day where day >= ?::date order by 1, 2, 3', [firstClosed]),
    });
    const [{ first: firstClosed }] = await sql<{ first: string }>(`select to_char(min(day), 'YYYY-MM-DD') as first from stock_day`);
    const before = await snapshot();
    expect(before.hour.length).toBeGreaterThan(0);
    await sql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing`);
    await refreshAll();
    expect(await snapshot()).toEqual(before);
    await rebuildRollups(db.orm, OPTS);
    expect(await snapshot()).toEqual(before);
  });

  it('close each day once it has ended, as on hand stood at its end', async () => {
    const later = addDays(today, 2);
    await db.orm.em.fork().transactional((em) => closeStockDays(em, TZ, later));
    const rows = await sql<{ day: string; product_id: number; warehouse_id: number; on_hand: number }>(
      `select to_char(day, 'YYYY-MM-DD') as day, product_id, warehouse_id, on_hand from stock_day where day >= ?::date`,
      [today],
    );
    const levels = await sql<{ product_id: number; warehouse_id: number; on_hand: number }>('select product_id, warehouse_id, on_hand from inventory_level');
    expect(rows.length).toBe(2 * levels.length);
    const now = new Map(levels.map((l) => [`${l.product_id}|${l.warehouse_id}`, l.on_hand]));
    for (const r of rows) expect(r.on_hand).toBe(now.get(`${r.product_id}|${r.warehouse_id}`));
    await sql('delete from stock_day where day >= ?::date', [today]);
  });
});
