import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent, Channel, Customer, InventoryLevel, Order, Product, User, Warehouse } from '../../entities/index.ts';
import { ROLES } from '../../app/lib/permissions.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/db.ts';
import { ean13, seedDemoData } from './demo.ts';

const fingerprint = async (db: TestDatabase) => {
  const rows = await db.orm.em.getConnection().execute(`
    select (select string_agg(sku || barcode || name, ',' order by sku) from product) as products,
           (select string_agg(email || name || tier, ',' order by email) from customer) as customers,
           (select string_agg(number || currency || total_minor || status, ',' order by number) from sales_order) as orders`);
  return rows[0];
};

describe('demo data', () => {
  let a: TestDatabase, b: TestDatabase;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestDatabase('seed'), createTestDatabase('seed')]);
  });
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it('is big enough to make every screen alive, and reports progress', async () => {
    const steps = new Set<string>();
    const creds = await seedDemoData(a.orm, {
      size: 'demo',
      passwordFor: () => 'pw',
      onProgress: (s, done, total) => {
        if (done === total) steps.add(s);
      },
    });
    const em = a.orm.em.fork();
    expect(steps).toEqual(new Set(['users', 'catalogue', 'customers', 'orders']));
    expect(creds.users.map((u) => u.role).sort()).toEqual([...ROLES].sort());
    expect(creds.apiKey).toMatch(/^oms_/);
    expect(await em.count(User, {})).toBe(5);
    expect(new Set((await em.find(Channel, {})).map((c) => c.kind))).toEqual(new Set(['web', 'app', 'pos', 'marketplace', 'call_centre', 'csv']));
    expect(await em.count(Warehouse, {})).toBeGreaterThanOrEqual(3);
    expect(await em.count(Product, {})).toBeGreaterThanOrEqual(200);
    expect(await em.count(Customer, {})).toBeGreaterThanOrEqual(500);
    expect(await em.count(InventoryLevel, {})).toBe((await em.count(Product, {})) * (await em.count(Warehouse, {})));
    const [span] = await em
      .getConnection()
      .execute(`select extract(day from max(placed_at) - min(placed_at)) as days, count(distinct currency) as currencies, count(*) as orders from sales_order`);
    expect(Number(span.days)).toBeGreaterThanOrEqual(88);
    expect(Number(span.currencies)).toBeGreaterThanOrEqual(3);
    expect(Number(span.orders)).toBeGreaterThan(2000);
    // Totals add up to their lines.
    const [bad] = await em
      .getConnection()
      .execute(`select count(*) as n from sales_order o where subtotal_minor <> (select sum(total_minor) from order_line l where l.order_id = o.id)`);
    expect(Number(bad.n)).toBe(0);
    expect(await em.count(AuditEvent, { action: 'system.demo_seeded' })).toBe(1);
  });

  it('is deterministic for the same seed', async () => {
    await seedDemoData(b.orm, { size: 'demo', passwordFor: () => 'other' });
    expect(await fingerprint(b)).toEqual(await fingerprint(a));
  });

  it('gives every product a valid, unique EAN-13', async () => {
    expect(ean13('400638133393')).toBe('4006381333931');
    const products = await a.orm.em.fork().find(Product, {});
    expect(new Set(products.map((p) => p.barcode)).size).toBe(products.length);
    for (const p of products) expect(ean13(p.barcode.slice(0, 12))).toBe(p.barcode);
  });

  it('never reserves more than is on hand', async () => {
    expect(await a.orm.em.fork().count(Order, {})).toBeGreaterThan(0);
    const [row] = await a.orm.em.getConnection().execute('select count(*) as n from inventory_level where reserved > on_hand');
    expect(Number(row.n)).toBe(0);
  });
});
