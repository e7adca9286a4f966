// The replenishment plan against the real tables: a product sold with a known weekly pattern (one more
// unit every week) at one warehouse, with a sale at another, one attributed by its reservation and a
// cancelled order that must not count, gets Holt's trend, the reorder point and quantity worked out here
// by hand, and the flag that its present policy is off. Accepting writes the level and its audit row
// in one go (and starts a reorder when the new point puts the level below it); bad input is refused
// with 422 naming the field and writes nothing; the page does the same over HTTP, for the roles allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { replenishmentPlan } from '../../app/modules/analytics/replenishment.server.ts';
import { changeReorderPolicy } from '../../app/modules/inventory/service.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { signIn, type Browser } from '../support/http.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'replenishment test' };
const WEEK = 7 * 86_400_000;
const asOf = new Date();
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);
const one = async <T = Record<string, unknown>>(q: string, p: unknown[] = []) => (await sql<T>(q, p))[0];

let productId: number;
let ewr: number;
let rno: number;
let levelId: number;

/** An order of one line placed `weeksAgo` weeks (and half a week) before asOf; its id and line id. */
async function order(n: number, weeksAgo: number, quantity: number, warehouseId: number | null, status = 'shipped') {
  const placed = new Date(asOf.getTime() - weeksAgo * WEEK - WEEK / 2);
  const { id } = await one<{ id: number }>(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, total_base_minor, status, payment_method,
                              shipping_address, warehouse_id, placed_at, created_at, updated_at)
     values ((select id from channel where code = 'web'), ?, (select min(id) from customer), 'USD', ?, ?, ?, ?, 'manual', '{"line1":"1 Main St","city":"Boston","country":"US"}',
             ?, ?, ?, ?) returning id`,
    [`REPL-${n}`, quantity * 1000, quantity * 1000, quantity * 1000, status, warehouseId, placed, placed, placed],
  );
  const line = await one<{ id: number }>(
    `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor) values (?, ?, 'REPL-TREND', 'Trend widget', ?, 1000, ?) returning id`,
    [id, productId, quantity, quantity * 1000],
  );
  return { id, lineId: line.id };
}

beforeAll(async () => {
  db = await createTestDatabase('rep');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  ewr = (await one<{ id: number }>(`select id from warehouse where code = 'EWR'`)).id;
  rno = (await one<{ id: number }>(`select id from warehouse where code = 'RNO'`)).id;
  productId = (
    await one<{ id: number }>(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency, active)
       values ('REPL-TREND', '9990000000001', 'Trend widget', 100, 10, 10, 10, 1000, 'USD', true) returning id`,
    )
  ).id;
  levelId = (
    await one<{ id: number }>(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) values (?, ?, 500, 0, 20, 100, now()) returning id`,
      [productId, ewr],
    )
  ).id;
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) values (?, ?, 80, 0, 20, 100, now())`,
    [productId, rno],
  );
  // Two suppliers offer it; the preferred one's own lead time for it is 14 days (its usual is 21).
  await sql(
    `insert into supplier_product (supplier_id, product_id, unit_cost_minor, lead_time_days, preferred, updated_at) values
       ((select id from supplier where code = 'SZ-SOURCING'), ?, 300, 14, true, now()),
       ((select id from supplier where code = 'ACME'), ?, 100, null, false, now())`,
    [productId, productId],
  );
  // At EWR: 4 units 25 weeks ago, one more each week, 29 in the last week. Week 10 ago (19 units) is an
  // order routed to RNO whose units were reserved at EWR; it counts at EWR.
  for (let ago = 25; ago >= 0; ago--) {
    const units = 4 + (25 - ago);
    if (ago === 10) {
      const o = await order(100 + ago, ago, units, rno);
      await sql(
        `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at) values (?, ?, ?, ?, ?, 'consumed', now())`,
        [o.id, o.lineId, productId, ewr, units],
      );
    } else await order(100 + ago, ago, units, ewr);
  }
  // Cancelled: never demand. At RNO: 6 units three weeks ago.
  await order(200, 1, 100, ewr, 'cancelled');
  await order(201, 3, 6, rno);
}, 180_000);
afterAll(async () => {
  await db?.drop();
});

describe('the replenishment plan', () => {
  it('reads the weekly units per warehouse from the orders, the reservation deciding where', async () => {
    const plan = await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND' }, { asOf });
    const [atEwr, atRno] = plan.rows;
    expect(atEwr).toMatchObject({ levelId, warehouse: 'EWR', onHand: 500, atp: 500, reorderPoint: 20, reorderQuantity: 100 });
    expect(atEwr.history).toEqual(Array.from({ length: 26 }, (_, i) => 4 + i));
    expect(atEwr.soldLast4).toBe(26 + 27 + 28 + 29);
    expect(atRno.warehouse).toBe('RNO');
    expect(atRno.history).toEqual([...Array<number>(22).fill(0), 6, 0, 0, 0]);
  });

  it("forecasts the trend with Holt and suggests the point and quantity from the preferred supplier's lead time", async () => {
    const [row] = (await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND', warehouse: 'EWR' }, { asOf })).rows;
    expect(row).toMatchObject({ leadTimeDays: 14, leadTimeSource: 'preferred', supplier: 'SZ-SOURCING' });
    expect(row.forecast.method).toBe('holt');
    expect(row.forecast.fallback).toBeNull();
    expect(row.forecast.heldOut!.mae).toBeCloseTo(0, 6);
    expect(row.forecast.sigma).toBeCloseTo(0, 6);
    row.forecast.forecast.forEach((v, h) => expect(v).toBeCloseTo(30 + h, 6));
    expect(row.forecastNext4).toBeCloseTo(30 + 31 + 32 + 33, 6);
    // Two weeks of lead time: 30 + 31 = 61 units, no safety stock needed for an error of 0; the order
    // covers the lead time and 4 weeks of review: 30 + … + 35 = 195.
    expect(row.suggestion).toMatchObject({ leadTimeWeeks: 2, reorderPoint: 61, reorderQuantity: 195 });
    // 500 units at 126 a month (4.5 a day).
    expect(row.daysOfCover).toBeCloseTo(500 / (126 / 28), 6);
    expect(row.differs).toBe(true);
    const different = await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND', different: '1' }, { asOf });
    expect(different.rows.map((r) => r.warehouse)).toContain('EWR');
  });

  it('says when there is not enough history, and uses the default lead time without a supplier', async () => {
    const [row] = (await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND', warehouse: 'RNO' }, { asOf })).rows;
    expect(row.forecast).toMatchObject({ method: 'mean', fallback: 'not_enough_history', weeksUsed: 4 });
    expect(row.forecast.forecast[0]).toBeCloseTo(1.5, 9);
    await sql(`delete from supplier_product where product_id = ?`, [productId]);
    const [bare] = (await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND', warehouse: 'RNO' }, { asOf })).rows;
    expect(bare).toMatchObject({ leadTimeDays: 7, leadTimeSource: 'default', supplier: null });
    await sql(
      `insert into supplier_product (supplier_id, product_id, unit_cost_minor, lead_time_days, preferred, updated_at) values ((select id from supplier where code = 'SZ-SOURCING'), ?, 300, 14, true, now())`,
      [productId],
    );
  });

  it('covers every level of the seeded catalogue without failing', async () => {
    const plan = await replenishmentPlan(db.orm.em.fork(), {}, { asOf });
    const [{ n }] = await sql<{ n: string }>(
      `select count(*) as n from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.active and w.active`,
    );
    expect(plan.rows).toHaveLength(Number(n));
    for (const r of plan.rows) {
      expect(r.suggestion.reorderPoint).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(r.suggestion.reorderQuantity)).toBe(true);
    }
  });
});

describe('accepting a suggestion', () => {
  const snapshot = () =>
    sql(`select (select json_agg(l order by l.id) from inventory_level l) as levels, (select count(*) from audit_event) as audits,
                (select count(*) from outbox_event) as events`);

  it('refuses bad input with 422 naming the field, writing nothing', async () => {
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ levelId, reorderPoint: '-1', reorderQuantity: '10' }, 'reorderPoint'],
      [{ levelId, reorderPoint: '10', reorderQuantity: '1.5' }, 'reorderQuantity'],
      [{ levelId, reorderPoint: 'lots', reorderQuantity: '10' }, 'reorderPoint'],
      [{ levelId, reorderPoint: '10', reorderQuantity: '99999999' }, 'reorderQuantity'],
      [{ levelId: 'x', reorderPoint: '10', reorderQuantity: '10' }, 'levelId'],
      [{ reorderPoint: '10', reorderQuantity: '10' }, 'levelId'],
      [{ levelId: '987654321', reorderPoint: '10', reorderQuantity: '10' }, 'levelId'],
    ];
    for (const [input, field] of cases) {
      const e = await changeReorderPolicy(db.orm, input, actor).catch((x: unknown) => x);
      expect(e, JSON.stringify(input)).toBeInstanceOf(DomainError);
      expect((e as DomainError).status).toBe(422);
      expect((e as DomainError).field, JSON.stringify(input)).toBe(field);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('writes the point and quantity with the audit row in one transaction', async () => {
    const [row] = (await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND', warehouse: 'EWR' }, { asOf })).rows;
    const r = await changeReorderPolicy(
      db.orm,
      { levelId: String(row.levelId), reorderPoint: String(row.suggestion.reorderPoint), reorderQuantity: String(row.suggestion.reorderQuantity) },
      actor,
      { source: 'replenishment' },
    );
    expect(r).toMatchObject({
      levelId,
      before: { reorderPoint: 20, reorderQuantity: 100 },
      reorderPoint: 61,
      reorderQuantity: 195,
      low: false,
      becameLow: false,
    });
    expect(await one(`select reorder_point, reorder_quantity, low_stock_since from inventory_level where id = ?`, [levelId])).toEqual({
      reorder_point: 61,
      reorder_quantity: 195,
      low_stock_since: null,
    });
    expect(
      await sql(`select actor_label, entity_type, entity_id, before, after from audit_event where action = 'inventory.reorder_policy_changed' order by id`),
    ).toEqual([
      {
        actor_label: 'replenishment test',
        entity_type: 'InventoryLevel',
        entity_id: String(levelId),
        before: { reorderPoint: 20, reorderQuantity: 100 },
        after: { reorderPoint: 61, reorderQuantity: 195, source: 'replenishment' },
      },
    ]);
    const [again] = (await replenishmentPlan(db.orm.em.fork(), { sku: 'REPL-TREND', warehouse: 'EWR' }, { asOf })).rows;
    expect(again.differs).toBe(false);
  });

  it('marks the level low and announces it (what starts the Reorder flow) when the new point reaches what is available', async () => {
    const rnoLevel = (await one<{ id: number }>(`select id from inventory_level where product_id = ? and warehouse_id = ?`, [productId, rno])).id;
    const r = await changeReorderPolicy(db.orm, { levelId: rnoLevel, reorderPoint: 80, reorderQuantity: 50 }, actor);
    expect(r).toMatchObject({ atp: 80, low: true, becameLow: true });
    expect(await one(`select low_stock_since is not null as low from inventory_level where id = ?`, [rnoLevel])).toEqual({ low: true });
    expect(await sql(`select payload from outbox_event where type = 'stock.low' and (payload ->> 'levelId')::int = ?`, [rnoLevel])).toEqual([
      { payload: { levelId: rnoLevel, sku: 'REPL-TREND', warehouse: 'RNO' } },
    ]);
    // Lowered again: no longer low.
    expect(await changeReorderPolicy(db.orm, { levelId: rnoLevel, reorderPoint: 10, reorderQuantity: 50 }, actor)).toMatchObject({ low: false });
    expect(await one(`select low_stock_since from inventory_level where id = ?`, [rnoLevel])).toEqual({ low_stock_since: null });
  });
});

describe('the replenishment page over HTTP', () => {
  let app: TestApp;
  let ops: Browser;
  let level: { id: number; sku: string; code: string };
  const appSql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.fork().getConnection().execute<T[]>(q, p);
  /** The levels and the inventory audit trail (signing in is audited too, so other rows may come). */
  const state = async () =>
    JSON.stringify(
      await appSql(
        `select (select json_agg(l order by l.id) from inventory_level l) as levels, (select count(*) from audit_event where action like 'inventory.%') as audits`,
      ),
    );
  beforeAll(async () => {
    app = await startTestApp({ worker: false });
    ops = await signIn(app, 'ops_manager');
    [level] = await appSql<{ id: number; sku: string; code: string }>(
      `select l.id, p.sku, w.code from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id
        where p.active and w.active order by p.sku, w.code limit 1`,
    );
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('is linked from analytics and shows the plan with Accept buttons to an ops manager', async () => {
    expect(await (await ops.get('/analytics')).text()).toContain('href="/analytics/replenishment"');
    const res = await ops.get(`/analytics/replenishment?warehouse=${level.code}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="replenishment-table"');
    expect(html).toContain(`data-level="${level.id}"`);
    expect(html).toContain('data-testid="accept"');
    expect(html).toContain('data-testid="replenishment-chart"');
    const rows = (
      await appSql<{ n: string }>(
        `select count(*) as n from inventory_level l join warehouse w on w.id = l.warehouse_id join product p on p.id = l.product_id where w.code = ? and p.active`,
        [level.code],
      )
    )[0];
    expect(html.match(/data-testid="replenishment-row"/g)).toHaveLength(Number(rows.n));
  });

  it('lets an executive look but not accept, and keeps the warehouse role out', async () => {
    const exec = await signIn(app, 'executive');
    const html = await (await exec.get('/analytics/replenishment')).text();
    expect(html).toContain('data-testid="replenishment-table"');
    expect(html).not.toContain('data-testid="accept"');
    const before = await state();
    expect((await exec.post('/analytics/replenishment', { levelId: String(level.id), reorderPoint: '5', reorderQuantity: '5' })).status).toBe(403);
    expect((await (await signIn(app, 'warehouse')).get('/analytics/replenishment')).status).toBe(403);
    expect(await state()).toBe(before);
  });

  it('accepts a suggestion under the signed-in user, and answers bad posts with 422 naming the field, writing nothing', async () => {
    const before = await state();
    for (const [form, sentence] of [
      [{ levelId: String(level.id), reorderPoint: '-5', reorderQuantity: '10' }, 'Reorder point: enter a whole number from 0 to 1000000 (got “-5”).'],
      [{ levelId: String(level.id), reorderPoint: '5', reorderQuantity: 'many' }, 'Reorder quantity: enter a whole number from 0 to 1000000 (got “many”).'],
      [{ levelId: '99999999999', reorderPoint: '5', reorderQuantity: '10' }, 'Stock level: no such stock level (got “99999999999”).'],
      [{ levelId: '2147483647', reorderPoint: '5', reorderQuantity: '10' }, 'Stock level: no such stock level (got “2147483647”).'],
      [{ reorderPoint: '5' }, 'Reorder quantity: enter a whole number from 0 to 1000000 (got “”).'],
    ] as const) {
      const res = await ops.post('/analytics/replenishment', form);
      expect(res.status, JSON.stringify(form)).toBe(422);
      const html = await res.text();
      expect(html.slice(html.indexOf('accept-error'), html.indexOf('accept-error') + 400), JSON.stringify(form)).toContain(sentence);
    }
    expect(await state()).toBe(before);
    const ok = await ops.post('/analytics/replenishment', { levelId: String(level.id), reorderPoint: '33', reorderQuantity: '77' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(`Reorder point for ${level.sku} at ${level.code} set to 33, reorder quantity 77.`);
    expect(await appSql(`select reorder_point, reorder_quantity from inventory_level where id = ?`, [level.id])).toEqual([
      { reorder_point: 33, reorder_quantity: 77 },
    ]);
    const email = app.credentials.users.find((u) => u.role === 'ops_manager')!.email;
    expect(await appSql(`select actor_label, after from audit_event where action = 'inventory.reorder_policy_changed'`)).toEqual([
      { actor_label: email, after: { reorderPoint: 33, reorderQuantity: 77, source: 'replenishment' } },
    ]);
  });
});
