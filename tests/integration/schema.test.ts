import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSchemaDiff } from '../../scripts/lib/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase('schema'); });
afterAll(async () => { await db.drop(); });

describe('schema', () => {
  it('is exactly what the entities describe (migrations and entities agree)', async () => {
    expect(await pendingSchemaDiff(db.url)).toBe('');
  });

  it('refuses to reserve more than is on hand, at the database level', async () => {
    const conn = db.orm.em.getConnection();
    await conn.execute(`insert into warehouse (code, name, line1, city, country, lat, lng) values ('W1', 'W', 'x', 'c', 'US', 0, 0)`);
    await conn.execute(`insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('S1', '1', 'P', 1, 1, 1, 1, 100, 'USD')`);
    await conn.execute(`insert into inventory_level (product_id, warehouse_id, on_hand, reserved, updated_at) select p.id, w.id, 5, 0, now() from product p, warehouse w`);
    await expect(conn.execute('update inventory_level set reserved = 6')).rejects.toThrow(/inventory_level_reserved_le_on_hand/);
    await expect(conn.execute('update inventory_level set on_hand = -1, reserved = -1')).rejects.toThrow(/inventory_level_non_negative/);
  });

  it('notifies listeners when an outbox row commits', async () => {
    const pg = await import('pg');
    const listener = new pg.default.Client({ connectionString: db.url });
    await listener.connect();
    await listener.query('LISTEN outbox');
    const got = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.payload ?? '')));
    const [row] = await db.orm.em.getConnection().execute(`insert into outbox_event (topic, type, payload, created_at) values ('orders', 'order.created', '{}', now()) returning id`);
    expect(await got).toBe(String(row.id));
    await listener.end();
  });
});
