import type { EntityManager } from '@mikro-orm/postgresql';

/** A row of inventoryLevels' query (the inbound sum is bigint, so a string). */
interface LevelQueryRow {
  sku: string;
  name: string;
  code: string;
  warehouse_name: string;
  on_hand: number;
  reserved: number;
  reorder_point: number;
  reorder_quantity: number;
  low_stock_since: string | null;
  inbound: string;
  next_at: string | null;
}

export interface LevelRow {
  sku: string;
  productName: string;
  warehouse: string;
  warehouseName: string;
  onHand: number;
  reserved: number;
  atp: number;
  reorderPoint: number;
  reorderQuantity: number;
  low: boolean;
  /** Open purchase-order units still to arrive, and when the next of them is expected. */
  inbound: number;
  nextInboundAt: string | null;
}

/** Stock per warehouse for the given SKUs (or all when none), ATP = on hand − reserved. */
export async function inventoryLevels(
  em: EntityManager,
  opts: { skus?: string[]; lowOnly?: boolean; q?: string; warehouse?: string; limit?: number; offset?: number } = {},
): Promise<LevelRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (opts.skus?.length) {
    where.push('p.sku in (?)');
    params.push(opts.skus);
  }
  if (opts.lowOnly) where.push('l.on_hand - l.reserved <= l.reorder_point');
  if (opts.warehouse) {
    where.push('w.code = ?');
    params.push(opts.warehouse);
  }
  if (opts.q) {
    where.push('(p.sku ilike ? or p.name ilike ? or p.barcode = ?)');
    params.push(`%${opts.q}%`, `%${opts.q}%`, opts.q);
  }
  // Kept raw: a lateral aggregate over open purchase orders and optional filters.
  const rows = await em.execute<LevelQueryRow[]>(
    `select p.sku, p.name, w.code, w.name as warehouse_name, l.on_hand, l.reserved, l.reorder_point, l.reorder_quantity, l.low_stock_since,
            coalesce(ib.units, 0) as inbound, ib.next_at
       from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id
       left join lateral (
         select sum(pl.quantity - pl.received) as units, min(po.expected_at) as next_at
           from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id
          where pl.product_id = l.product_id and po.warehouse_id = l.warehouse_id
            and po.status in ('approved', 'sent', 'partially_received') and pl.received < pl.quantity) ib on true
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by p.sku, w.code limit ? offset ?`,
    [...params, opts.limit ?? 1000, opts.offset ?? 0],
  );
  return rows.map((r) => ({
    sku: r.sku,
    productName: r.name,
    warehouse: r.code,
    warehouseName: r.warehouse_name,
    onHand: Number(r.on_hand),
    reserved: Number(r.reserved),
    atp: Number(r.on_hand) - Number(r.reserved),
    reorderPoint: Number(r.reorder_point),
    reorderQuantity: Number(r.reorder_quantity),
    low: r.low_stock_since !== null,
    inbound: Number(r.inbound),
    nextInboundAt: r.next_at ? new Date(r.next_at).toISOString() : null,
  }));
}
