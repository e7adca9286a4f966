import type { EntityManager } from '@mikro-orm/postgresql';
import { db, prepare, sql } from '../../lib/db.server.ts';
import { auditAndPublishMany, type Actor } from '../../lib/audit.server.ts';
import type { Allocation, StockOption } from './routing.ts';

const STOCK_QUERY = `select l.id as level_id, w.id as warehouse_id, w.code, w.lat, w.lng, p.id as product_id, p.sku, l.on_hand - l.reserved as atp
       from inventory_level l join warehouse w on w.id = l.warehouse_id join product p on p.id = l.product_id
      where l.product_id = any($1::int[]) and w.active
      order by l.id`;
const LOAD_STOCK = prepare('load_stock', STOCK_QUERY);
const LOAD_STOCK_LOCKED = prepare('load_stock_locked', `${STOCK_QUERY} for update of l`);

/**
 * The same rows for the active products with the SKUs in the text[] parameter `skus`, locked in id
 * order, with StockOption's field names: for a statement that reads stock together with other things
 * (intake's reference read), as a CTE whose rows go through `json_agg`; `stockOptionsFromJson` reads them.
 */
export function lockedStockBySkuSql(skus: string): string {
  return `select l.id as "levelId", w.id as "warehouseId", w.code as "warehouseCode", w.lat, w.lng, p.id as "productId", p.sku, l.on_hand - l.reserved as atp
       from inventory_level l join warehouse w on w.id = l.warehouse_id join product p on p.id = l.product_id
      where p.sku = any(${skus}::text[]) and p.active and w.active
      order by l.id
      for update of l`;
}

export function stockOptionsFromJson(
  rows: { levelId: number; warehouseId: number; warehouseCode: string; lat: number; lng: number; productId: number; sku: string; atp: number }[],
): StockOption[] {
  return rows
    .map((r) => ({
      levelId: r.levelId,
      warehouseId: r.warehouseId,
      warehouseCode: r.warehouseCode,
      location: { lat: Number(r.lat), lng: Number(r.lng) },
      productId: r.productId,
      sku: r.sku,
      atp: Number(r.atp),
    }))
    .sort((a, b) => a.levelId - b.levelId);
}

/** The stock that could serve these products, for routing (active warehouses only). */
export async function loadStockOptions(em: EntityManager, productIds: number[], opts: { lock?: boolean } = {}): Promise<StockOption[]> {
  if (productIds.length === 0) return [];
  const rows = await sql<{ level_id: number; warehouse_id: number; code: string; lat: number; lng: number; product_id: number; sku: string; atp: number }>(
    em,
    opts.lock ? LOAD_STOCK_LOCKED : LOAD_STOCK,
    [productIds],
  );
  return rows.map((r) => ({
    levelId: r.level_id,
    warehouseId: r.warehouse_id,
    warehouseCode: r.code,
    location: { lat: Number(r.lat), lng: Number(r.lng) },
    productId: r.product_id,
    sku: r.sku,
    atp: Number(r.atp),
  }));
}

export class ReservationConflict extends Error {
  readonly levelId: number;
  constructor(levelId: number) {
    super(`stock at level ${levelId} changed while reserving`);
    this.levelId = levelId;
  }
}

export interface Reserved {
  levelId: number;
  becameLow: boolean;
}

const RESERVE = prepare(
  'reserve_stock',
  `update inventory_level
    set reserved = reserved + $1,
        updated_at = now(),
        low_stock_since = case when low_stock_since is null and on_hand - reserved - $1 <= reorder_point then now() else low_stock_since end
  where id = $2 and on_hand - reserved >= $1
  returning low_stock_since is not null and low_stock_since = now() as became_low`,
);

/**
 * Takes the planned units, each with one conditional UPDATE: it only succeeds while enough is
 * available, so no interleaving of orders can oversell. Levels are updated in id order so two
 * orders never wait on each other in a cycle. Marks a level low when its ATP reaches the reorder point.
 * The UPDATE locks the level's row until the transaction ends: callers on a busy path reserve as
 * late in their transaction as they can, so that other orders for the same stock wait less.
 */
export async function reserveAllocations(em: EntityManager, allocations: Allocation[]): Promise<Reserved[]> {
  const byLevel = new Map<number, number>();
  for (const a of allocations) byLevel.set(a.levelId, (byLevel.get(a.levelId) ?? 0) + a.quantity);
  const out: Reserved[] = [];
  for (const [levelId, quantity] of [...byLevel].sort((a, b) => a[0] - b[0])) {
    const rows = await sql<{ became_low: boolean }>(em, RESERVE, [quantity, levelId]);
    if (rows.length === 0) throw new ReservationConflict(levelId);
    out.push({ levelId, becameLow: !!rows[0].became_low });
  }
  return out;
}

/**
 * The UPDATE that takes stock for many levels at once, for rows the transaction has already locked
 * (`loadStockOptions` with `lock`), as intake's batches do. `$levels` and `$quantities` name int[]
 * parameters; it returns each level taken and whether it just became low. The condition still
 * guards against overselling: a level it refuses is missing from what it returns. Intake runs it
 * as part of a larger statement (lines, reservations and the stock they take in one round trip).
 */
export function takeLockedStockSql(levels: string, quantities: string): string {
  return `update inventory_level l
    set reserved = l.reserved + t.quantity,
        updated_at = now(),
        low_stock_since = case when l.low_stock_since is null and l.on_hand - l.reserved - t.quantity <= l.reorder_point then now() else l.low_stock_since end
   from unnest(${levels}::int[], ${quantities}::int[]) as t(id, quantity)
  where l.id = t.id and l.on_hand - l.reserved >= t.quantity
  returning l.id, l.low_stock_since is not null and l.low_stock_since = now() as became_low`;
}

/** Units per level, for takeLockedStockSql (one entry per level, however many allocations take from it). */
export function unitsByLevel(allocations: readonly Allocation[]): { levels: number[]; quantities: number[] } {
  const byLevel = new Map<number, number>();
  for (const a of allocations) byLevel.set(a.levelId, (byLevel.get(a.levelId) ?? 0) + a.quantity);
  return { levels: [...byLevel.keys()], quantities: [...byLevel.values()] };
}

const RELEASE_RESERVATIONS = prepare(
  'reservations_release',
  `update reservation set status = 'released', released_at = now() where order_id = $1 and status = 'active' returning product_id, warehouse_id, quantity`,
);
const GIVE_BACK = prepare(
  'reservations_give_back',
  `update inventory_level
          set reserved = reserved - $1, updated_at = now(),
              low_stock_since = case when on_hand - reserved + $1 > reorder_point then null else low_stock_since end
        where product_id = $2 and warehouse_id = $3 returning id`,
);

/** Gives back the active reservations of an order; returns what was released, per level. */
async function releaseReservations(em: EntityManager, orderId: number): Promise<{ levelId: number; quantity: number }[]> {
  const released = await sql<{ product_id: number; warehouse_id: number; quantity: number }>(em, RELEASE_RESERVATIONS, [orderId]);
  const out: { levelId: number; quantity: number }[] = [];
  for (const r of released) {
    const [row] = await sql<{ id: number }>(em, GIVE_BACK, [r.quantity, r.product_id, r.warehouse_id]);
    out.push({ levelId: row.id, quantity: r.quantity });
  }
  return out;
}

// ---- Reservation rows ----

const RESERVATIONS_OF = prepare(
  'reservations_of',
  `select p.sku, w.code as warehouse, r.warehouse_id, r.quantity, r.status
       from reservation r join product p on p.id = r.product_id join warehouse w on w.id = r.warehouse_id
      where r.order_id = $1 and r.status = any($2::text[]) order by r.id`,
);
const INSERT_RESERVATIONS = prepare(
  'reservations_insert',
  `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
  select $1, t.line_id, t.product_id, t.warehouse_id, t.quantity, 'active', now()
    from unnest($2::int[], $3::int[], $4::int[], $5::int[]) with ordinality as t(line_id, product_id, warehouse_id, quantity, n) order by t.n`,
);

/** The order's reservations in these statuses (active, consumed, released), oldest first. */
export const reservationsOf = (em: EntityManager, orderId: number, statuses: string[]) =>
  sql<{ sku: string; warehouse: string; warehouse_id: number; quantity: number; status: string }>(em, RESERVATIONS_OF, [orderId, statuses]);

/**
 * Records the reservations of taken allocations, each on the order's first line for its product
 * (`lineFor`). The stock itself is taken by `reserveAllocations` in the same transaction.
 */
export async function insertReservations(
  em: EntityManager,
  orderId: number,
  allocations: readonly Allocation[],
  lineFor: ReadonlyMap<number, number>,
): Promise<void> {
  await sql(em, INSERT_RESERVATIONS, [
    orderId,
    allocations.map((a) => lineFor.get(a.productId)!),
    allocations.map((a) => a.productId),
    allocations.map((a) => a.warehouseId),
    allocations.map((a) => a.quantity),
  ]);
}

/**
 * The same insert for many orders inside intake's one-statement write: `lines` names a CTE of
 * (order_id, product_id, line_id) and the int[] parameters carry each reservation's columns.
 * Intake's hot path composes it into one prepared statement (bench/orders shows the round trips it saves).
 */
export function insertReservationsSql(firstLine: string, p: { orderIds: string; productIds: string; warehouseIds: string; quantities: string }): string {
  return `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
    select t.order_id, f.line_id, t.product_id, t.warehouse_id, t.quantity, 'active', now()
      from unnest(${p.orderIds}::int[], ${p.productIds}::int[], ${p.warehouseIds}::int[], ${p.quantities}::int[]) as t(order_id, product_id, warehouse_id, quantity)
      join ${firstLine} f on f.order_id = t.order_id and f.product_id = t.product_id`;
}

/** Marks reservations consumed: their units have left the building (the stock ledger records it). */
export async function consumeReservations(em: EntityManager, ids: number[]): Promise<void> {
  if (ids.length) await db(em).updateTable('reservation').set({ status: 'consumed' }).where('id', 'in', ids).execute();
}

/** Gives the order's reserved stock back, audited and announced (stock.released) when there was any. */
export async function releaseOrderStock(em: EntityManager, orderId: number, actor: Actor, reason?: string): Promise<{ levelId: number; quantity: number }[]> {
  const released = await releaseReservations(em, orderId);
  if (released.length) {
    await auditAndPublishMany(
      em,
      [
        {
          actor,
          entry: { action: 'inventory.released', entityType: 'Order', entityId: orderId, after: reason ? { levels: released, reason } : { levels: released } },
        },
      ],
      [{ topic: 'inventory', type: 'stock.released', payload: { orderId, levels: released } }],
    );
  }
  return released;
}
