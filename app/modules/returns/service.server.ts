// Return requests (RMA). Customers open them from the tracking page, agents from a ticket; the
// `return.requested` event starts the return workflow.
import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { RETURN_REASONS } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';

export const RETURN_WINDOW_DAYS = 30;
const RETURNABLE = ['shipped', 'delivered', 'completed', 'partially_returned'];

export const ReturnInput = z.object({
  reason: z.enum(RETURN_REASONS),
  resolution: z.enum(['refund', 'exchange']).default('refund'),
  comment: z.string().trim().max(1000).optional(),
  lines: z.array(z.object({
    sku: z.string().min(1),
    quantity: z.coerce.number().int().min(0).max(10_000),
    /** For an exchange: the SKU to send instead (another size or colour); the same SKU when absent or empty. */
    replacementSku: z.string().trim().max(100).optional(),
  })).min(1),
});

/** What may still come back: shipped units minus units already on an open or finished return. */
export async function returnableLines(em: MikroORM['em'], orderId: number) {
  const rows = await em.execute<{ sku: string; name: string; quantity: number; returned: string }[]>(
    `select l.sku, min(l.name) as name, sum(l.quantity)::int as quantity,
            coalesce((select sum((x ->> 'quantity')::int) from return_request r, jsonb_array_elements(r.lines) x
                       where r.order_id = ? and r.status <> 'rejected' and x ->> 'sku' = l.sku), 0) as returned
       from order_line l where l.order_id = ? group by l.sku order by l.sku`, [orderId, orderId]);
  return rows.map((r) => ({ sku: r.sku, name: r.name, quantity: r.quantity, returnable: r.quantity - Number(r.returned) }));
}

export async function returnWindowOpen(em: MikroORM['em'], orderId: number): Promise<boolean> {
  const [o] = await em.execute<{ status: string; delivered: Date | null; placed_at: Date }[]>(
    `select o.status, o.placed_at, (select max(delivered_at) from shipment s where s.order_id = o.id) as delivered from sales_order o where o.id = ?`, [orderId]);
  if (!o || !RETURNABLE.includes(o.status)) return false;
  const from = o.delivered ?? o.placed_at;
  return Date.now() - new Date(from).getTime() <= RETURN_WINDOW_DAYS * 86_400_000;
}

export async function requestReturn(orm: MikroORM, orderId: number, raw: unknown, actor: Actor, source: string) {
  const parsed = ReturnInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const wanted = input.lines.filter((l) => l.quantity > 0);
  if (!wanted.length) throw invalid([fieldError('lines', 'nothing_selected')]);
  return orm.em.fork().transactional(async (em) => {
    const [o] = await em.execute<{ id: number; number: string }[]>('select id, number from sales_order where id = ? for update', [orderId]);
    if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
    if (!(await returnWindowOpen(em, orderId))) throw new DomainError(409, 'not_returnable', `Order ${o.number} cannot be returned now.`, { params: { days: RETURN_WINDOW_DAYS } });
    const allowed = await returnableLines(em, orderId);
    const replacements = [...new Set(wanted.flatMap((l) => (l.replacementSku ? [l.replacementSku] : [])))];
    const known = new Set(replacements.length ? (await em.execute<{ sku: string }[]>('select sku from product where sku in (?) and active', [replacements])).map((p) => p.sku) : []);
    const errors = wanted.flatMap((l) => {
      const a = allowed.find((x) => x.sku === l.sku);
      const i = input.lines.indexOf(l);
      if (!a) return [fieldError(`lines.${i}.sku`, 'unknown_sku', { sku: l.sku })];
      if (l.replacementSku && !known.has(l.replacementSku)) return [fieldError(`lines.${i}.replacementSku`, 'unknown_sku', { sku: l.replacementSku })];
      return l.quantity > a.returnable ? [fieldError(`lines.${i}.quantity`, 'too_big', { max: a.returnable })] : [];
    });
    if (errors.length) throw invalid(errors);
    const [rma] = await em.execute<{ id: number; number: string }[]>(
      `insert into return_request (number, order_id, status, reason, comment, resolution, lines, source, created_at, updated_at)
       values ('RMA-' || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 8)), ?, 'requested', ?, ?, ?, ?, ?, now(), now()) returning id, number`,
      [orderId, input.reason, input.comment ?? null, input.resolution, JSON.stringify(wanted), source]);
    audit(em, actor, { action: 'return.requested', entityType: 'Order', entityId: orderId, after: { rma: rma.number, reason: input.reason, resolution: input.resolution, lines: wanted } });
    publish(em, 'service', 'return.requested', { returnId: rma.id, rma: rma.number, orderId, number: o.number, reason: input.reason, resolution: input.resolution, lines: wanted });
    return { id: rma.id, number: rma.number };
  });
}
