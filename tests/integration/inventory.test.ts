import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { adjustStock } from '../../app/modules/inventory/service.server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { refusal } from '../support/domain.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'tester' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);

beforeAll(async () => {
  db = await createTestDatabase('inv');
  await sql(`insert into warehouse (code, name, line1, city, country, lat, lng) values ('EWR', 'Newark', 'x', 'Newark', 'US', 40.7, -74.1)`);
  await sql(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('S-1', '111', 'Thing', 1, 1, 1, 1, 100, 'USD')`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select p.id, w.id, 20, 5, 10, 50, now() from product p, warehouse w`,
  );
});
afterAll(async () => {
  await db.drop();
});

const level = async () => (await sql(`select on_hand, reserved, low_stock_since from inventory_level`))[0];
const events = async (type: string) =>
  (await sql<{ payload: Record<string, unknown> }>(`select payload from outbox_event where type = ? order by id`, [type])).map((r) => r.payload);

describe('stock adjustments', () => {
  it('receives stock, with a ledger row, an audit event and a live event', async () => {
    const r = await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'receipt', quantity: 30, reason: 'PO-1 received' }, actor);
    expect(r).toMatchObject({ delta: 30, onHand: 50, reserved: 5, atp: 45, low: false });
    expect(await sql(`select kind, quantity, on_hand_after, reason, actor_label from stock_movement`)).toEqual([
      { kind: 'receipt', quantity: 30, on_hand_after: 50, reason: 'PO-1 received', actor_label: 'tester' },
    ]);
    expect(await sql(`select action, before, after from audit_event where action = 'inventory.receipt'`)).toEqual([
      { action: 'inventory.receipt', before: { onHand: 20 }, after: { onHand: 50, delta: 30, reason: 'PO-1 received' } },
    ]);
    expect(await events('stock.adjusted')).toHaveLength(1);
  });

  it('writes off damage and sets a cycle count as the counted figure', async () => {
    expect((await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'damage', quantity: 4, reason: 'crushed' }, actor)).onHand).toBe(46);
    expect(await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'cycle_count', quantity: 40, reason: 'count' }, actor)).toMatchObject({
      delta: -6,
      onHand: 40,
    });
    expect((await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'correction', quantity: '-2', reason: 'typo' }, actor)).onHand).toBe(38);
  });

  it('refuses to leave less on hand than is reserved, and writes nothing', async () => {
    const before = await level();
    const movements = (await sql('select count(*)::int as n from stock_movement'))[0].n;
    await expect(adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'cycle_count', quantity: 3, reason: 'count' }, actor)).rejects.toMatchObject({
      status: 409,
      code: 'below_reserved',
    });
    expect(await level()).toEqual(before);
    expect((await sql('select count(*)::int as n from stock_movement'))[0].n).toBe(movements);
  });

  it('names the field at fault for bad input', async () => {
    const err = await refusal(adjustStock(db.orm, { sku: '', warehouse: 'EWR', kind: 'teleport', quantity: 'x', reason: '' }, actor));
    expect(err).toBeInstanceOf(DomainError);
    expect(err.errors!.map((e) => e.field).sort()).toEqual(['kind', 'quantity', 'reason', 'sku']);
    await expect(adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'receipt', quantity: 0, reason: 'r' }, actor)).rejects.toMatchObject({
      status: 422,
    });
    await expect(adjustStock(db.orm, { sku: 'S-1', warehouse: 'NOPE', kind: 'receipt', quantity: 1, reason: 'r' }, actor)).rejects.toMatchObject({
      errors: [expect.objectContaining({ code: 'unknown_stock_location' })],
    });
  });

  it('raises stock.low once when ATP reaches the reorder point and clears it when stock comes back', async () => {
    await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'damage', quantity: 20, reason: 'flood' }, actor); // 38 → 18, ATP 13
    expect(await events('stock.low')).toHaveLength(0);
    await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'damage', quantity: 4, reason: 'flood' }, actor); // ATP 9 ≤ 10
    await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'damage', quantity: 1, reason: 'flood' }, actor); // still low: no second event
    expect(await events('stock.low')).toEqual([{ levelId: expect.any(Number), sku: 'S-1', warehouse: 'EWR' }]);
    expect((await level()).low_stock_since).not.toBeNull();
    await adjustStock(db.orm, { sku: 'S-1', warehouse: 'EWR', kind: 'receipt', quantity: 100, reason: 'restock' }, actor);
    expect((await level()).low_stock_since).toBeNull();
  });
});
