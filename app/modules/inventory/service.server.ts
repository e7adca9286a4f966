// Changing stock on hand by hand: receipts, cycle counts, damage and corrections, each audited, through
// moveStock (stock.server.ts: the ledger row, the low-stock flag and the live events) in one transaction;
// and a level's reorder policy, through setReorderPolicy.
import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ADJUSTMENT_KINDS } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { moveStock, setReorderPolicy } from './stock.server.ts';

const AdjustmentInput = z.object({
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
    const level = await db(em)
      .selectFrom('inventory_level as l')
      .innerJoin('product as p', 'p.id', 'l.product_id')
      .innerJoin('warehouse as w', 'w.id', 'l.warehouse_id')
      .select(['l.id', 'l.product_id', 'l.warehouse_id', 'l.on_hand'])
      .where('p.sku', '=', input.sku)
      .where('w.code', '=', input.warehouse)
      .executeTakeFirst();
    if (!level) throw invalid([fieldError('sku', 'unknown_stock_location', { sku: input.sku, warehouse: input.warehouse })]);
    // A cycle count states what is there; moveStock locks the level, so the count is taken against the locked figure.
    const delta = input.kind === 'receipt' ? input.quantity : input.kind === 'damage' ? -input.quantity : input.kind === 'cycle_count' ? null : input.quantity;
    const moved =
      delta !== null
        ? await moveStock(em, { productId: level.product_id, warehouseId: level.warehouse_id, delta, kind: input.kind, reason: input.reason }, actor)
        : await moveStock(
            em,
            { productId: level.product_id, warehouseId: level.warehouse_id, delta: 0, kind: input.kind, reason: input.reason, countedOnHand: input.quantity },
            actor,
          );
    audit(em, actor, {
      action: `inventory.${input.kind}`,
      entityType: 'InventoryLevel',
      entityId: level.id,
      before: { onHand: moved.onHandBefore },
      after: { onHand: moved.onHand, delta: moved.onHand - moved.onHandBefore, reason: input.reason },
    });
    return {
      sku: input.sku,
      warehouse: input.warehouse,
      delta: moved.onHand - moved.onHandBefore,
      onHand: moved.onHand,
      reserved: moved.reserved,
      atp: moved.atp,
      low: moved.low,
    };
  });
}

export const MAX_REORDER_UNITS = 1_000_000;

/** A form's text as a number ('' and absent stay absent, so they fail as missing); anything else as given. */
const asNumber = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : v);
const Units = z.preprocess(asNumber, z.number().int().min(0).max(MAX_REORDER_UNITS));

/** A level's new reorder point and quantity, as the replenishment page's Accept sends them. */
export const ReorderPolicyInput = z.object({
  levelId: z.preprocess(asNumber, z.number().int().positive().max(2_147_483_647)),
  reorderPoint: Units,
  reorderQuantity: Units,
});
export type ReorderPolicyInput = z.infer<typeof ReorderPolicyInput>;

/**
 * Sets a level's reorder point and quantity (validated: 422 naming each field at fault with what was
 * given, writing nothing), audited in the same transaction. `note` says where the figures came from.
 */
export async function changeReorderPolicy(orm: MikroORM, raw: unknown, actor: Actor, note?: Record<string, unknown>) {
  const parsed = ReorderPolicyInput.safeParse(raw);
  if (!parsed.success) {
    const given = (raw ?? {}) as Record<string, unknown>;
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'levelId')))];
    throw invalid(
      fields.map((field) => ({
        field,
        code: field === 'levelId' ? 'unknown_level' : 'whole_number',
        messageKey: field === 'levelId' ? 'replenishment.errors.level' : 'replenishment.errors.units',
        params: { value: String(given[field] ?? '').slice(0, 40), max: MAX_REORDER_UNITS },
      })),
    );
  }
  const input = parsed.data;
  return orm.em.fork().transactional((em) => setReorderPolicy(em, input.levelId, input.reorderPoint, input.reorderQuantity, actor, note));
}
