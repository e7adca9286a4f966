// The address of the printable pick lists: which lists, and which chosen orders got none and why.
// Plain code: the orders list's action builds it, the print page's loader reads it.
import { z } from 'zod';
import { PICK_REFUSAL_REASONS, type PickRefusalReason } from './refusals.ts';

export function printHref(listIds: number[], refused: { orderId: number; reason: PickRefusalReason }[] = []): string {
  const q = new URLSearchParams({ ids: listIds.join(',') });
  if (refused.length) q.set('refused', refused.map((r) => `${r.orderId}:${r.reason}`).join(','));
  return `/fulfilment/pick-lists/print?${q}`;
}

const ids = z.string().regex(/^\d{1,9}(,\d{1,9}){0,199}$/).transform((s) => [...new Set(s.split(',').map(Number))]);
const refusal = z.string().regex(/^\d{1,9}:[a-z_]+$/).transform((s) => { const [id, reason] = s.split(':'); return { orderId: Number(id), reason }; })
  .pipe(z.object({ orderId: z.number(), reason: z.enum(PICK_REFUSAL_REASONS) }));

export const PrintQuery = z.object({
  ids: ids.catch([]),
  refused: z.string().max(4000).transform((s) => s.split(',')).pipe(z.array(refusal)).optional().catch(undefined),
});

export function parsePrintQuery(params: URLSearchParams) {
  return PrintQuery.parse({ ids: params.get('ids') ?? '', refused: params.get('refused') || undefined });
}
