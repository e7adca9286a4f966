// The one writer of on-hand stock. Every movement (an adjustment, a purchase receipt, a return put back
// or taken back, a shipment) goes through moveStock, which in the caller's transaction:
// - locks the level (creating it at zero for a warehouse that never held the product, when asked),
// - refuses to leave fewer units on hand than are reserved (409 below_reserved), unless the movement
//   consumes the reservation with it (a shipment),
// - writes the new on-hand (and reserved) figures and the low-stock flag by one rule: low while
//   on hand − reserved ≤ reorder point, `low_stock_since` kept from when it became low, cleared when not,
// - writes the ledger row (stock_movement),
// - announces `stock.adjusted`, and `stock.low` when the level has just become low (what starts reorders).
// setReorderPolicy is the one writer of the reorder point and quantity, under the same low-stock rule.
// Before it, five copies of this had drifted: a restock taken back marked a level low but announced
// nothing, so no reorder ever started for it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { MOVEMENT_KINDS } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
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
    await db(em)
      .insertInto('inventory_level')
      .values({
        product_id: move.productId,
        warehouse_id: move.warehouseId,
        on_hand: 0,
        reserved: 0,
        reorder_point: 0,
        reorder_quantity: 0,
        updated_at: sql`now()`,
      })
      .onConflict((oc) => oc.columns(['product_id', 'warehouse_id']).doNothing())
      .execute();
  }
  const level = await db(em)
    .selectFrom('inventory_level as l')
    .innerJoin('product as p', 'p.id', 'l.product_id')
    .innerJoin('warehouse as w', 'w.id', 'l.warehouse_id')
    .select(['l.id', 'l.on_hand', 'l.reserved', 'l.reorder_point', 'l.low_stock_since', 'p.sku', 'w.code'])
    .where('l.product_id', '=', move.productId)
    .where('l.warehouse_id', '=', move.warehouseId)
    .forUpdate('l')
    .executeTakeFirst();
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
  await db(em)
    .updateTable('inventory_level')
    .set((eb) => ({
      on_hand: onHand,
      reserved,
      updated_at: sql`now()`,
      low_stock_since: low ? eb.fn.coalesce('low_stock_since', sql<Date>`now()`) : null,
    }))
    .where('id', '=', level.id)
    .execute();
  await db(em)
    .insertInto('stock_movement')
    .values({
      product_id: move.productId,
      warehouse_id: move.warehouseId,
      kind: move.kind,
      quantity: delta,
      on_hand_after: onHand,
      reason: move.reason ?? null,
      reference: move.reference ?? null,
      actor_label: actor.label ?? null,
      at: sql`now()`,
    })
    .execute();
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
  const lvl = await db(em)
    .selectFrom('inventory_level')
    .select(['on_hand', 'reserved'])
    .where('product_id', '=', move.productId)
    .where('warehouse_id', '=', move.warehouseId)
    .forUpdate()
    .executeTakeFirst();
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
  await db(em)
    .updateTable('inventory_level')
    .set({ bin, updated_at: sql`now()` })
    .where('id', '=', levelId)
    .execute();
}

export interface ReorderPolicyChange {
  levelId: number;
  sku: string;
  warehouse: string;
  before: { reorderPoint: number; reorderQuantity: number };
  reorderPoint: number;
  reorderQuantity: number;
  atp: number;
  low: boolean;
  becameLow: boolean;
}

/**
 * The one writer of a level's reorder policy (point and quantity), in the caller's transaction: locks the
 * level, writes both, applies the low-stock rule against the new point (low while on hand − reserved ≤
 * reorder point; `stock.low` when it has just become low, which starts the Reorder flow), and records the
 * audit event `inventory.reorder_policy_changed`. `note` says where the figures came from (kept in the
 * audit row). An unknown level or figures that are not whole units ≥ 0: 422 naming the field.
 */
export async function setReorderPolicy(
  em: EntityManager,
  levelId: number,
  reorderPoint: number,
  reorderQuantity: number,
  actor: Actor,
  note?: Record<string, unknown>,
): Promise<ReorderPolicyChange> {
  const bad = (
    [
      ['reorderPoint', reorderPoint],
      ['reorderQuantity', reorderQuantity],
    ] as const
  ).filter(([, v]) => !Number.isSafeInteger(v) || v < 0 || v > 1_000_000);
  if (bad.length)
    throw invalid(
      bad.map(([field, v]) => ({ field, code: 'whole_number', messageKey: 'replenishment.errors.units', params: { value: String(v), max: 1_000_000 } })),
    );
  const [level] = await em.execute<
    {
      id: number;
      on_hand: number;
      reserved: number;
      reorder_point: number;
      reorder_quantity: number;
      low_stock_since: Date | null;
      sku: string;
      code: string;
    }[]
  >(
    `select l.id, l.on_hand, l.reserved, l.reorder_point, l.reorder_quantity, l.low_stock_since, p.sku, w.code
       from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id
      where l.id = ? for update of l`,
    [levelId],
  );
  if (!level)
    throw invalid(
      [{ field: 'levelId', code: 'unknown_level', messageKey: 'replenishment.errors.level', params: { value: String(levelId) } }],
      `levelId: no inventory level ${levelId}`,
    );
  const atp = level.on_hand - level.reserved;
  const low = atp <= reorderPoint;
  const becameLow = low && !level.low_stock_since;
  await em.execute(
    `update inventory_level set reorder_point = ?, reorder_quantity = ?, updated_at = now(),
            low_stock_since = case when ? then coalesce(low_stock_since, now()) else null end where id = ?`,
    [reorderPoint, reorderQuantity, low, level.id],
  );
  const before = { reorderPoint: Number(level.reorder_point), reorderQuantity: Number(level.reorder_quantity) };
  audit(em, actor, {
    action: 'inventory.reorder_policy_changed',
    entityType: 'InventoryLevel',
    entityId: level.id,
    before,
    after: { reorderPoint, reorderQuantity, ...(note ?? {}) },
  });
  publish(em, 'inventory', 'stock.reorder_policy_changed', { levelId: level.id, sku: level.sku, warehouse: level.code, reorderPoint, reorderQuantity, atp });
  if (becameLow) publish(em, 'inventory', 'stock.low', { levelId: level.id, sku: level.sku, warehouse: level.code });
  return { levelId: level.id, sku: level.sku, warehouse: level.code, before, reorderPoint, reorderQuantity, atp, low, becameLow };
}
