// The analytics rollups against the base tables: a random workload (orders in several channels and
// currencies over two weeks, cancels, holds, shipments, partial refunds and returns) is rolled up by the
// refresher, and every report figure must equal the same figure computed here straight from the orders.
// Marking everything again (a redelivery) or rebuilding changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { toBaseMinor } from '../../app/lib/money.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { cancelOrder, holdOrder } from '../../app/modules/orders/service.server.ts';
import { createPayment, refundPayment } from '../../app/modules/payments/service.server.ts';
import { confirmPick, packOrder, pickListsForOrders, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { requestReturn } from '../../app/modules/returns/service.server.ts';
import { rebuildRollups, refreshDirtyMinutes } from '../../app/modules/analytics/rollups.server.ts';
import { salesBetween, salesReport, type SalesFigures } from '../../app/modules/analytics/reports.server.ts';
import { changeDashboardLayout, dashboard, dashboardLayout, TILES_BY_ROLE } from '../../app/modules/analytics/dashboard.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import type { Role } from '../../entities/constants.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'analytics test' };
const BASE = 'USD';
const OPTS = { baseCurrency: BASE, timeZone: 'UTC' };
const DAY = 86_400_000;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);

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

interface BaseOrder {
  placed_at: Date;
  status: string;
  currency: string;
  total_minor: number;
  total_base_minor: number | null;
  discount_minor: number;
  channel: string;
  warehouse: string | null;
  country: string | null;
  promised_by: Date | null;
  shipped_at: Date | null;
  units: string | null;
}

/** The figures of orders placed in [from, to), computed from the base tables only. */
async function fromBaseTables(
  from: Date,
  to: Date,
  filter: { channel?: string; warehouse?: string; country?: string } = {},
): Promise<Omit<SalesFigures, 'aov' | 'shipHours'>> {
  const rates = new Map(
    (await sql<{ currency: string; rate_per_base: string }>('select currency, rate_per_base from exchange_rate')).map((r) => [r.currency, r.rate_per_base]),
  );
  const rows = await sql<BaseOrder>(
    `select o.placed_at, o.status, o.currency, o.total_minor, o.total_base_minor, o.discount_minor, c.code as channel, w.code as warehouse,
            upper(o.shipping_address ->> 'country') as country, o.promised_by,
            (select min(shipped_at) from shipment s where s.order_id = o.id) as shipped_at,
            (select sum(quantity) from order_line l where l.order_id = o.id) as units
       from sales_order o join channel c on c.id = o.channel_id left join warehouse w on w.id = o.warehouse_id
      where o.placed_at >= ? and o.placed_at < ?`,
    [from, to],
  );
  const out = { orders: 0, cancelled: 0, units: 0, revenue: 0, discount: 0, held: 0, shipped: 0, shippedLate: 0, shipSeconds: 0 };
  for (const o of rows) {
    if (filter.channel && o.channel !== filter.channel) continue;
    if (filter.warehouse && (o.warehouse ?? 'none') !== filter.warehouse) continue;
    if (filter.country && (o.country || '--') !== filter.country) continue;
    out.orders++;
    if (o.status === 'on_hold') out.held++;
    if (o.shipped_at) {
      out.shipped++;
      if (o.promised_by && new Date(o.shipped_at) > new Date(o.promised_by)) out.shippedLate++;
      out.shipSeconds += Math.floor((new Date(o.shipped_at).getTime() - new Date(o.placed_at).getTime()) / 1000);
    }
    if (o.status === 'cancelled') {
      out.cancelled++;
      continue;
    }
    out.units += Number(o.units ?? 0);
    const base = o.total_base_minor ?? toBaseMinor(o.total_minor, o.currency, BASE, rates.get(o.currency) ?? 1);
    out.revenue += base;
    out.discount += o.total_minor ? Math.round((o.discount_minor * base) / o.total_minor) : 0;
  }
  return out;
}

const strip = ({ aov: _a, shipHours: _h, ...f }: SalesFigures) => f;

beforeAll(async () => {
  db = await createTestDatabase('ana');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  const rnd = random(20261206);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const products = await sql<{ sku: string }>(
    `select p.sku from product p where p.active and exists (select 1 from inventory_level l where l.product_id = p.id and l.on_hand - l.reserved > 50) order by p.sku limit 8`,
  );
  const channels = [
    { code: 'web', currencies: ['USD', 'EUR', 'GBP'] },
    { code: 'app', currencies: ['USD', 'EUR'] },
    { code: 'tmall', currencies: ['CNY'] },
    { code: 'momo', currencies: ['TWD'] },
  ];
  const places = [
    { country: 'US', city: 'Boston', lat: 42.36, lng: -71.06 },
    { country: 'CN', city: 'Shanghai', lat: 31.23, lng: 121.47 },
    { country: 'TW', city: 'Taipei', lat: 25.03, lng: 121.56 },
    { country: 'GB', city: 'London', lat: 51.5, lng: -0.12 },
  ];
  for (let i = 0; i < 60; i++) {
    const channel = pick(channels);
    const currency = pick(channel.currencies);
    const place = pick(places);
    const r = await createOrder(
      db.orm,
      {
        channel: channel.code,
        externalId: `ANA-${i}`,
        customer: { email: `ana${i % 17}@example.com`, name: `Ana ${i % 17}` },
        shippingAddress: { line1: '1 Main St', city: place.city, country: place.country, lat: place.lat, lng: place.lng },
        currency,
        lines: Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
          sku: pick(products).sku,
          quantity: 1 + Math.floor(rnd() * 3),
          unitPrice: 500 + Math.floor(rnd() * 20_000),
        })),
        discount: rnd() < 0.3 ? 100 : 0,
        paymentMethod: 'manual',
        deliveryMethod: 'standard',
        placedAt: new Date(Date.now() - Math.floor(rnd() * 13 * DAY)).toISOString(),
        promisedBy: new Date(Date.now() - Math.floor(rnd() * 10 * DAY) + 3 * DAY).toISOString(),
      },
      { actor, baseCurrency: BASE },
    );
    if (r.replayed) continue;
    const id = r.order.id;
    const fate = rnd();
    if (fate < 0.15) await cancelOrder(db.orm, id, actor, 'test');
    else if (fate < 0.25) await holdOrder(db.orm, id, actor, 'test');
    else if (fate < 0.6) {
      const paid = await createPayment(db.orm, id, { provider: 'manual', method: 'cash' }, `ana-pay-${id}`, actor);
      if (fate < 0.45) {
        // Picked, packed and shipped, through the fulfilment module like the warehouse does.
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
        if (fate < 0.3)
          await requestReturn(
            db.orm,
            id,
            {
              reason: 'damaged',
              lines: [{ sku: (await sql<{ sku: string }>('select sku from order_line where order_id = ? limit 1', [id]))[0].sku, quantity: 1 }],
            },
            actor,
            'test',
          );
      } else if (paid.captured > 100) await refundPayment(db.orm, paid.id, 100, `ana-refund-${id}`, actor);
    }
  }
  await refreshAll();
}, 180_000);
afterAll(async () => {
  await db?.drop();
});

describe('sales rollups', () => {
  it('leave nothing marked once refreshed, and cover every order', async () => {
    expect(await sql('select minute from analytics_dirty_minute')).toEqual([]);
    const [{ n }] = await sql<{ n: string }>('select count(*) as n from sales_order');
    const [{ m }] = await sql<{ m: string }>('select sum(orders) as m from sales_hour');
    expect(Number(m)).toBe(Number(n));
    expect(Number(n)).toBeGreaterThan(60);
  });

  it('give every range, whole hours or not, the figures the orders give', async () => {
    const now = Date.now();
    const ranges: [Date, Date][] = [
      [new Date(now - 14 * DAY), new Date(now + 60_000)],
      [new Date(now - 3 * DAY - 17 * 60_000), new Date(now - DAY + 41 * 60_000)],
      [new Date(now - 90 * 60_000), new Date(now)],
      [new Date(now - 5 * DAY + 7 * 60_000), new Date(now - 5 * DAY + 52 * 60_000)],
    ];
    for (const [from, to] of ranges) {
      const em = db.orm.em.fork();
      expect(strip(await salesBetween(em, from, to)), `${from.toISOString()} → ${to.toISOString()}`).toEqual(await fromBaseTables(from, to));
      expect(strip(await salesBetween(em, from, to, { channel: 'web' }))).toEqual(await fromBaseTables(from, to, { channel: 'web' }));
      expect(strip(await salesBetween(em, from, to, { country: 'TW' }))).toEqual(await fromBaseTables(from, to, { country: 'TW' }));
    }
  });

  it('gives the sales report day by day, with the previous period and breakdowns, as the orders give them', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const day = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) + n * DAY);
    const report = await salesReport(
      db.orm.em.fork(),
      { from: day(-6).toISOString().slice(0, 10), to: today, granularity: 'day', compare: 'previous' },
      'UTC',
      today,
    );
    expect(report.series).toHaveLength(7);
    for (const [i, p] of report.series.entries()) expect(strip(p), p.bucket).toMatchObject(await fromBaseTables(day(i - 6), day(i - 5)));
    expect(report.previous!.series).toHaveLength(7);
    expect(strip(report.previous!.totals)).toEqual(await fromBaseTables(day(-13), day(-6)));
    expect(strip(report.totals)).toEqual(await fromBaseTables(day(-6), day(1)));
    const web = report.byChannel.find((c) => c.channel === 'web');
    expect(web && strip({ ...web, channel: undefined } as unknown as SalesFigures)).toMatchObject(await fromBaseTables(day(-6), day(1), { channel: 'web' }));
    expect(report.byCountry.reduce((n, c) => n + c.revenue, 0)).toBe(report.totals.revenue);
    const weekly = await salesReport(
      db.orm.em.fork(),
      { from: day(-13).toISOString().slice(0, 10), to: today, granularity: 'week', compare: 'none' },
      'UTC',
      today,
    );
    expect(weekly.totals.revenue).toBe((await fromBaseTables(day(-13), day(1))).revenue);
  });

  it('follow an order that changes (a cancel moves revenue at once the refresher runs), and a redelivery or rebuild changes nothing', async () => {
    const [o] = await sql<{ id: number; placed_at: Date }>(
      `select id, placed_at from sales_order where status in ('awaiting_payment', 'paid') and external_id like 'ANA-%' order by id limit 1`,
    );
    const from = new Date(new Date(o.placed_at).getTime() - DAY);
    const to = new Date(new Date(o.placed_at).getTime() + DAY);
    await cancelOrder(db.orm, o.id, actor, 'changed mind');
    expect(await sql('select minute from analytics_dirty_minute')).toHaveLength(1);
    await refreshAll();
    const after = strip(await salesBetween(db.orm.em.fork(), from, to));
    expect(after).toEqual(await fromBaseTables(from, to));
    // Redelivered marks: every minute again.
    await sql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing`);
    await refreshAll();
    expect(strip(await salesBetween(db.orm.em.fork(), from, to))).toEqual(after);
    const before = await sql('select * from sales_hour order by 1, 2, 3, 4');
    await rebuildRollups(db.orm, OPTS);
    expect(await sql('select * from sales_hour order by 1, 2, 3, 4')).toEqual(before);
  });

  it('fills the dashboard from the same figures and the live state of the orders', async () => {
    const d = await dashboard(db.orm.em.fork(), 'UTC');
    const midnight = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    expect(strip(d.today)).toEqual(await fromBaseTables(midnight, new Date(Date.parse(d.asOf))));
    const [late] = await sql<{ n: string }>(
      `select count(*) as n from sales_order where status in ('received', 'validated', 'on_hold', 'awaiting_payment', 'paid', 'allocated', 'picking', 'packed') and promised_by < now()`,
    );
    expect(d.counts.late).toBe(Number(late.n));
    expect(d.counts.late).toBeGreaterThan(0);
    const [held] = await sql<{ n: string }>(`select count(*) as n from sales_order where status = 'on_hold'`);
    expect(d.counts.onHold).toBe(Number(held.n));
  });
});

describe('each user arranges their own dashboard', () => {
  it('shows, hides, moves and resizes tiles of their role only, saved per user and audited; a tile outside the role writes nothing', async () => {
    const [warehouse] = await sql<{ id: number }>(`select id from app_user where role = 'warehouse' limit 1`);
    const [exec] = await sql<{ id: number }>(`select id from app_user where role = 'executive' limit 1`);
    const w = { id: warehouse.id, role: 'warehouse' as const };
    const tiles = async (change: Record<string, string>) => (await changeDashboardLayout(db.orm, w, change, actor)).tiles;
    const layout = (u: { id: number; role: Role } = w) => dashboardLayout(db.orm.em.fork(), u);
    expect((await layout()).tiles).toEqual(TILES_BY_ROLE.warehouse);
    expect((await layout()).sizes).toEqual({ awaitingShipment: 's', late: 's', onHold: 's', lowStock: 's', stockouts: 's' });
    expect(await tiles({ change: 'hide', tile: 'onHold' })).toEqual(['awaitingShipment', 'late', 'lowStock', 'stockouts']);
    expect(await tiles({ change: 'up', tile: 'lowStock' })).toEqual(['awaitingShipment', 'lowStock', 'late', 'stockouts']);
    expect(await tiles({ change: 'up', tile: 'awaitingShipment' })).toEqual(['awaitingShipment', 'lowStock', 'late', 'stockouts']);
    expect(await tiles({ change: 'show', tile: 'onHold' })).toEqual(['awaitingShipment', 'lowStock', 'late', 'stockouts', 'onHold']);
    expect((await changeDashboardLayout(db.orm, w, { change: 'resize', tile: 'late', size: 'l' }, actor)).sizes.late).toBe('l');
    expect((await changeDashboardLayout(db.orm, w, { change: 'resize', tile: 'stockouts', size: 'm' }, actor)).sizes.stockouts).toBe('m');
    expect(await layout()).toEqual({
      tiles: ['awaitingShipment', 'lowStock', 'late', 'stockouts', 'onHold'],
      sizes: { awaitingShipment: 's', late: 'l', onHold: 's', lowStock: 's', stockouts: 'm' },
    });
    // Only the sizes chosen away from the default are stored.
    expect(await sql('select sizes from dashboard_layout where user_id = ?', [w.id])).toEqual([{ sizes: { late: 'l', stockouts: 'm' } }]);
    // Someone else's dashboard is their own.
    const theirs = await layout({ id: exec.id, role: 'executive' });
    expect(theirs.tiles).toEqual(TILES_BY_ROLE.executive);
    expect(theirs.sizes.perMinute).toBe('l');

    const audited = async () => Number((await sql<{ n: string }>(`select count(*) as n from audit_event where action = 'user.dashboard_arranged'`))[0].n);
    const before = await audited();
    await expect(changeDashboardLayout(db.orm, w, { change: 'show', tile: 'revenue' }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'tile' })],
    });
    await expect(changeDashboardLayout(db.orm, w, { change: 'spin', tile: 'late' }, actor)).rejects.toMatchObject({ status: 422 });
    await expect(changeDashboardLayout(db.orm, w, { change: 'hide', tile: '<script>' }, actor)).rejects.toMatchObject({ status: 422 });
    await expect(changeDashboardLayout(db.orm, w, { change: 'resize', tile: 'late', size: 'xl' }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'size' })],
    });
    await expect(changeDashboardLayout(db.orm, w, { change: 'resize', tile: 'late' }, actor)).rejects.toMatchObject({ status: 422 });
    // The chart is never narrower than two columns.
    await expect(
      changeDashboardLayout(db.orm, { id: exec.id, role: 'executive' }, { change: 'resize', tile: 'perMinute', size: 's' }, actor),
    ).rejects.toMatchObject({ status: 422, errors: [expect.objectContaining({ field: 'size', code: 'too_small' })] });
    expect(await audited()).toBe(before);
    expect((await layout()).tiles).toEqual(['awaitingShipment', 'lowStock', 'late', 'stockouts', 'onHold']);

    const reset = await changeDashboardLayout(db.orm, w, { change: 'reset' }, actor);
    expect(reset.tiles).toEqual(TILES_BY_ROLE.warehouse);
    expect(reset.sizes.late).toBe('s');
    expect(await sql('select user_id from dashboard_layout where user_id = ?', [w.id])).toEqual([]);
    expect(await audited()).toBe(before + 1);
  });
});

describe('warnings with a suggestion', () => {
  it('names a SKU that runs out before its next delivery, and a channel whose late rate doubled', async () => {
    const { warnings } = await import('../../app/modules/analytics/warnings.server.ts');
    const { insertDraftPo } = await import('../../app/modules/purchasing/service.server.ts');
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('WARN-1', 'WARN1', 'Warned', 1, 1, 1, 1, 1000, 'USD')`,
    );
    // Only in Newark, 16 on hand; Reno holds 30 to spare.
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
       select p.id, w.id, case w.code when 'EWR' then 16 when 'RNO' then 30 else 0 end, 0, 0, 0, now() from product p, warehouse w where p.sku = 'WARN-1' and w.code in ('EWR', 'RNO')`,
    );
    // 14 units sold from Newark over the last weeks: half a unit a day, 2 left, so 4 days of cover.
    for (let i = 0; i < 7; i++) {
      await createOrder(
        db.orm,
        {
          channel: 'web',
          externalId: `WARN-${i}`,
          customer: { email: 'warn@example.com', name: 'Warn' },
          shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
          currency: 'USD',
          lines: [{ sku: 'WARN-1', quantity: 2, unitPrice: 1000 }],
          paymentMethod: 'manual',
          placedAt: new Date(Date.now() - (i + 1) * 3 * DAY).toISOString(),
        },
        { actor, baseCurrency: BASE },
      );
    }
    const today = new Date().toISOString().slice(0, 10);
    const find = async () => (await warnings(db.orm.em.fork(), today)).find((w) => w.kind === 'stockout' && w.sku === 'WARN-1');
    expect(await find()).toMatchObject({
      warehouse: 'EWR',
      available: 2,
      perDay: 0.5,
      daysLeft: 4,
      inbound: null,
      spareAt: { warehouse: 'RNO', available: 30 },
    });

    // A PO due in 10 days does not arrive in time: the warning names it and links to it.
    const [ids] = await sql<{ product: number; warehouse: number; supplier: number }>(
      `select p.id as product, w.id as warehouse, (select min(id) from supplier) as supplier from product p, warehouse w where p.sku = 'WARN-1' and w.code = 'EWR'`,
    );
    const poId = await db.orm.em.fork().transactional((em) =>
      insertDraftPo(em, {
        number: 'PO-WARN',
        supplierId: ids.supplier,
        warehouseId: ids.warehouse,
        currency: 'USD',
        leadTimeDays: 10,
        createdBy: 'test',
        productId: ids.product,
        quantity: 50,
        unitCostMinor: 500,
      }),
    );
    expect(await find()).toMatchObject({ inbound: { number: 'PO-WARN', id: poId, inDays: 10 }, link: `/purchasing/${poId}` });
    // Delivered in 2 days instead: in time, no warning.
    await sql(`update purchase_order set expected_at = now() + interval '2 days' where id = ?`, [poId]);
    expect(await find()).toBeUndefined();

    // The csv channel's late shipments: 50% this week against 5% the week before.
    const [csv] = await sql<{ id: number }>(`select id from channel where code = 'csv'`);
    await sql(
      `insert into sales_day (day, channel_id, warehouse_id, country, orders, cancelled, units, revenue_base_minor, discount_base_minor, held, shipped, shipped_late, ship_seconds)
       values (?::date - 2, ?, 0, 'ZZ', 40, 0, 40, 0, 0, 0, 40, 20, 0), (?::date - 9, ?, 0, 'ZZ', 40, 0, 40, 0, 0, 0, 40, 2, 0)`,
      [today, csv.id, today, csv.id],
    );
    const late = (await warnings(db.orm.em.fork(), today)).find((w) => w.kind === 'lateRate' && w.channel === 'csv');
    expect(late).toMatchObject({ link: '/analytics?channel=csv&granularity=day' });
    expect(late && late.kind === 'lateRate' && late.thisWeek >= 2 * late.lastWeek).toBe(true);
  });
});
