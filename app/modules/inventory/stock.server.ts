// The one writer of on-hand stock. Every movement (an adjustment, a purchase receipt, a return put back
// or taken back, a shipment) goes through moveStock, which in the caller's transaction:
// - locks the level (creating it at zero for a warehouse that never held the product, when asked),
// - refuses to leave fewer units on hand than are reserved (409 below_reserved), unless the movement
//   consumes the reservation with it (a shipment),
// - writes the new on-hand (and reserved) figures and the low-stock flag by one rule: low while
//   on hand − reserved ≤ reorder point, `low_stock_since` kept from when it became low, cleared when not,
// - writes the ledger row (stock_movement),
// - announces `stock.adjusted`, and `stock.low` when the level has just become low (what starts reorders).
// Before it, five copies of this had drifted: a restock taken back marked a level low but announced
// nothing, so no reorder ever started for it.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MOVEMENT_KINDS } from '../../../entities/constants.ts';
import type { Actor } from '../../lib/audit.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';

export type StockMovementKind = (typeof MOVEMENT_KINDS)[number];

export interface StockMove {
  productId: number;
  warehouseId: number;
  /** Units added to (positive) or taken from (negative) on hand. */
  delta: number;
  kind: StockMovementKind;
  reason?: string | null;
  /** What caused it: an order, PO or RMA number. */
  reference?: string | null;
  /** Units of reservations this movement consumes (a shipment takes reserved units off the shelf). */
  consumesReserved?: number;
  /** A cycle count: the units counted, so delta is taken against the locked level (delta is then ignored). */
  countedOnHand?: number;
}

export interface MovedStock {
  levelId: number;
  productId: number;
  warehouseId: number;
  sku: string;
  warehouse: string;
  onHandBefore: number;
  onHand: number;
  reserved: number;
  atp: number;
  low: boolean;
  becameLow: boolean;
}

export async function moveStock(em: EntityManager, move: StockMove, actor: Actor, opts: { createLevel?: boolean } = {}): Promise<MovedStock> {
  if (opts.createLevel) {
    await em.execute(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                      values (?, ?, 0, 0, 0, 0, now()) on conflict (product_id, warehouse_id) do nothing`,
      [move.productId, move.warehouseId],
    );
  }
  const [level] = await em.execute<
    { id: number; on_hand: number; reserved: number; reorder_point: number; low_stock_since: Date | null; sku: string; code: string }[]
  >(
    `select l.id, l.on_hand, l.reserved, l.reorder_point, l.low_stock_since, p.sku, w.code
       from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id
      where l.product_id = ? and l.warehouse_id = ? for update of l`,
    [move.productId, move.warehouseId],
  );
  if (!level) throw new DomainError(404, 'unknown_stock_location', `Product ${move.productId} is not stocked at warehouse ${move.warehouseId}.`);
  const consumed = move.consumesReserved ?? 0;
  const delta = move.countedOnHand !== undefined ? move.countedOnHand - level.on_hand : move.delta;
  const onHand = level.on_hand + delta;
  const reserved = level.reserved - consumed;
  if (onHand < reserved || reserved < 0) {
    throw new DomainError(409, 'below_reserved', `${level.sku} at ${level.code} would have ${onHand} on hand but ${reserved} are reserved.`, {
      field: 'quantity',
      params: { onHand, reserved },
    });
  }
  const atp = onHand - reserved;
  const low = atp <= level.reorder_point;
  const becameLow = low && !level.low_stock_since;
  await em.execute(
    `update inventory_level set on_hand = ?, reserved = ?, updated_at = now(),
            low_stock_since = case when ? then coalesce(low_stock_since, now()) else null end where id = ?`,
    [onHand, reserved, low, level.id],
  );
  await em.execute(
    `insert into stock_movement (product_id, warehouse_id, kind, quantity, on_hand_after, reason, reference, actor_label, at) values (?, ?, ?, ?, ?, ?, ?, ?, now())`,
    [move.productId, move.warehouseId, move.kind, delta, onHand, move.reason ?? null, move.reference ?? null, actor.label ?? null],
  );
  publish(em, 'inventory', 'stock.adjusted', { levelId: level.id, sku: level.sku, warehouse: level.code, onHand, reserved, atp });
  if (becameLow) publish(em, 'inventory', 'stock.low', { levelId: level.id, sku: level.sku, warehouse: level.code });
  return {
    levelId: level.id,
    productId: move.productId,
    warehouseId: move.warehouseId,
    sku: level.sku,
    warehouse: level.code,
    onHandBefore: level.on_hand,
    onHand,
    reserved,
    atp,
    low,
    becameLow,
  };
}

/**
 * Takes up to `quantity` units off the shelf, as many as are not reserved by orders (a reversal that
 * must never break a reservation). Returns the units taken; 0 writes nothing.
 */
export async function takeAvailable(
  em: EntityManager,
  move: Omit<StockMove, 'delta' | 'countedOnHand' | 'consumesReserved'> & { quantity: number },
  actor: Actor,
): Promise<number> {
  const [lvl] = await em.execute<{ on_hand: number; reserved: number }[]>(
    'select on_hand, reserved from inventory_level where product_id = ? and warehouse_id = ? for update',
    [move.productId, move.warehouseId],
  );
  const take = lvl ? Math.max(0, Math.min(move.quantity, lvl.on_hand - lvl.reserved)) : 0;
  if (take > 0)
    await moveStock(
      em,
      { productId: move.productId, warehouseId: move.warehouseId, delta: -take, kind: move.kind, reason: move.reason, reference: move.reference },
      actor,
    );
  return take;
}

/** Sets where a product sits in a warehouse (its bin, for pick lists). */
export async function setLevelBin(em: EntityManager, levelId: number, bin: string | null): Promise<void> {
  await em.execute('update inventory_level set bin = ?, updated_at = now() where id = ?', [bin, levelId]);
}
