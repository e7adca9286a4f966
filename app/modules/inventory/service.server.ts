// Changing stock on hand: receipts, cycle counts, damage and corrections. Each writes a ledger row,
// an audit event and a live event in one transaction, and raises or clears the low-stock flag.
import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ADJUSTMENT_KINDS } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';

export const AdjustmentInput = z.object({
  sku: z.string().trim().min(1).max(64),
  warehouse: z.string().trim().min(1).max(64),
  kind: z.enum(ADJUSTMENT_KINDS),
  /** receipt: units received (> 0); damage: units written off (> 0); cycle_count: units counted (≥ 0); correction: signed change. */
  quantity: z.coerce.number().int().min(-1_000_000).max(1_000_000),
  reason: z.string().trim().min(1).max(500),
});
export type AdjustmentInput = z.infer<typeof AdjustmentInput>;

export async function adjustStock(orm: MikroORM, raw: unknown, actor: Actor) {
  const parsed = AdjustmentInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  if ((input.kind === 'receipt' || input.kind === 'damage') && input.quantity <= 0) throw invalid([fieldError('quantity', 'too_small', { min: 1 })]);
  if (input.kind === 'cycle_count' && input.quantity < 0) throw invalid([fieldError('quantity', 'too_small', { min: 0 })]);
  if (input.kind === 'correction' && input.quantity === 0) throw invalid([fieldError('quantity', 'not_zero')]);

  return orm.em.fork().transactional(async (em) => {
    const [level] = await em.execute<{ id: number; product_id: number; warehouse_id: number; on_hand: number; reserved: number; reorder_point: number; low_stock_since: Date | null }[]>(
      `select l.id, l.product_id, l.warehouse_id, l.on_hand, l.reserved, l.reorder_point, l.low_stock_since
         from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id
        where p.sku = ? and w.code = ? for update of l`, [input.sku, input.warehouse]);
    if (!level) throw invalid([fieldError('sku', 'unknown_stock_location', { sku: input.sku, warehouse: input.warehouse })]);
    const delta = input.kind === 'receipt' ? input.quantity : input.kind === 'damage' ? -input.quantity : input.kind === 'cycle_count' ? input.quantity - level.on_hand : input.quantity;
    const onHand = level.on_hand + delta;
    if (onHand < level.reserved) {
      throw new DomainError(409, 'below_reserved', `${input.sku} at ${input.warehouse} would have ${onHand} on hand but ${level.reserved} are reserved.`, { field: 'quantity', params: { onHand, reserved: level.reserved } });
    }
    const atp = onHand - level.reserved;
    const nowLow = atp <= level.reorder_point;
    await em.execute(
      `update inventory_level set on_hand = ?, updated_at = now(),
              low_stock_since = case when ? then coalesce(low_stock_since, now()) else null end where id = ?`,
      [onHand, nowLow, level.id]);
    await em.execute(
      `insert into stock_movement (product_id, warehouse_id, kind, quantity, on_hand_after, reason, reference, actor_label, at) values (?, ?, ?, ?, ?, ?, null, ?, now())`,
      [level.product_id, level.warehouse_id, input.kind, delta, onHand, input.reason, actor.label ?? null]);
    audit(em, actor, { action: `inventory.${input.kind}`, entityType: 'InventoryLevel', entityId: level.id, before: { onHand: level.on_hand }, after: { onHand, delta, reason: input.reason } });
    publish(em, 'inventory', 'stock.adjusted', { levelId: level.id, sku: input.sku, warehouse: input.warehouse, onHand, reserved: level.reserved, atp });
    if (nowLow && !level.low_stock_since) publish(em, 'inventory', 'stock.low', { levelId: level.id, sku: input.sku, warehouse: input.warehouse });
    return { sku: input.sku, warehouse: input.warehouse, delta, onHand, reserved: level.reserved, atp, low: nowLow };
  });
}
