import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSchemaDiff } from '../../scripts/lib/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('schema');
});
afterAll(async () => {
  await db.drop();
});

describe('schema', () => {
  it('is exactly what the entities describe (migrations and entities agree)', async () => {
    expect(await pendingSchemaDiff(db.url)).toBe('');
  });

  it('refuses to reserve more than is on hand, at the database level', async () => {
    const conn = db.orm.em.getConnection();
    await conn.execute(`insert into warehouse (code, name, line1, city, country, lat, lng) values ('W1', 'W', 'x', 'c', 'US', 0, 0)`);
    await conn.execute(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('S1', '1', 'P', 1, 1, 1, 1, 100, 'USD')`,
    );
    await conn.execute(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, updated_at) select p.id, w.id, 5, 0, now() from product p, warehouse w`,
    );
    await expect(conn.execute('update inventory_level set reserved = 6')).rejects.toThrow(/inventory_level_reserved_le_on_hand/);
    await expect(conn.execute('update inventory_level set on_hand = -1, reserved = -1')).rejects.toThrow(/inventory_level_non_negative/);
  });

  it('notifies listeners once per committed transaction, however many outbox rows it wrote, and not on rollback', async () => {
    const pg = await import('pg');
    const listener = new pg.default.Client({ connectionString: db.url });
    await listener.connect();
    try {
      await listener.query('LISTEN outbox');
      const got: string[] = [];
      listener.on('notification', (n) => got.push(n.channel));
      const insert = (n: number) =>
        `insert into outbox_event (topic, type, payload, created_at) select 'orders', 'order.created', '{}', now() from generate_series(1, ${n})`;
      const writer = new pg.default.Client({ connectionString: db.url });
      await writer.connect();
      try {
        await writer.query('begin');
        await writer.query(insert(5));
        await writer.query(insert(3));
        await writer.query('commit');
        await writer.query('begin');
        await writer.query(insert(2));
        await writer.query('rollback');
        await writer.query(insert(1));
      } finally {
        await writer.end();
      }
      await listener.query('select 1'); // notifications arrive before the answer to a later query
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(['outbox', 'outbox']);
    } finally {
      await listener.end();
    }
  });
});
