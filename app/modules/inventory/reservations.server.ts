import type { EntityManager } from '@mikro-orm/postgresql';
import type { Allocation, StockOption } from './routing.ts';

/** The stock that could serve these products, for routing (active warehouses only). */
export async function loadStockOptions(em: EntityManager, productIds: number[], opts: { lock?: boolean } = {}): Promise<StockOption[]> {
  if (productIds.length === 0) return [];
  const rows = await em.execute<{ level_id: number; warehouse_id: number; code: string; lat: number; lng: number; product_id: number; sku: string; atp: number }[]>(
    `select l.id as level_id, w.id as warehouse_id, w.code, w.lat, w.lng, p.id as product_id, p.sku, l.on_hand - l.reserved as atp
       from inventory_level l join warehouse w on w.id = l.warehouse_id join product p on p.id = l.product_id
      where l.product_id in (?) and w.active
      order by l.id${opts.lock ? ' for update of l' : ''}`,
    [productIds],
  );
  return rows.map((r) => ({ levelId: r.level_id, warehouseId: r.warehouse_id, warehouseCode: r.code, location: { lat: Number(r.lat), lng: Number(r.lng) }, productId: r.product_id, sku: r.sku, atp: Number(r.atp) }));
}

export class ReservationConflict extends Error {
  readonly levelId: number;
  constructor(levelId: number) {
    super(`stock at level ${levelId} changed while reserving`);
    this.levelId = levelId;
  }
}

export interface Reserved { levelId: number; becameLow: boolean }

/**
 * Takes the planned units, each with one conditional UPDATE: it only succeeds while enough is
 * available, so no interleaving of orders can oversell. Levels are updated in id order so two
 * orders never wait on each other in a cycle. Marks a level low when its ATP reaches the reorder point.
 */
export async function reserveAllocations(em: EntityManager, allocations: Allocation[]): Promise<Reserved[]> {
  const byLevel = new Map<number, number>();
  for (const a of allocations) byLevel.set(a.levelId, (byLevel.get(a.levelId) ?? 0) + a.quantity);
  const out: Reserved[] = [];
  for (const [levelId, quantity] of [...byLevel].sort((a, b) => a[0] - b[0])) {
    const rows = await em.execute<{ became_low: boolean }[]>(
      `update inventory_level
          set reserved = reserved + ?,
              updated_at = now(),
              low_stock_since = case when low_stock_since is null and on_hand - reserved - ? <= reorder_point then now() else low_stock_since end
        where id = ? and on_hand - reserved >= ?
        returning low_stock_since is not null and low_stock_since = now() as became_low`,
      [quantity, quantity, levelId, quantity],
    );
    if (rows.length === 0) throw new ReservationConflict(levelId);
    out.push({ levelId, becameLow: !!rows[0].became_low });
  }
  return out;
}

/** Gives back the active reservations of an order; returns what was released, per level. */
export async function releaseReservations(em: EntityManager, orderId: number): Promise<{ levelId: number; quantity: number }[]> {
  const released = await em.execute<{ product_id: number; warehouse_id: number; quantity: number }[]>(
    `update reservation set status = 'released', released_at = now() where order_id = ? and status = 'active' returning product_id, warehouse_id, quantity`,
    [orderId],
  );
  const out: { levelId: number; quantity: number }[] = [];
  for (const r of released) {
    const [row] = await em.execute<{ id: number }[]>(
      `update inventory_level
          set reserved = reserved - ?, updated_at = now(),
              low_stock_since = case when on_hand - reserved + ? > reorder_point then null else low_stock_since end
        where product_id = ? and warehouse_id = ? returning id`,
      [r.quantity, r.quantity, r.product_id, r.warehouse_id],
    );
    out.push({ levelId: row.id, quantity: r.quantity });
  }
  return out;
}
