// The address of the printable pick lists: which lists, and which chosen orders got none and why.
// Plain code: the orders list's action builds it, the print page's loader reads it.
import { z } from 'zod';
import { IdText } from '../../lib/ids.ts';
import { PICK_REFUSAL_REASONS, type PickRefusalReason } from './refusals.ts';

export function printHref(listIds: number[], refused: { orderId: number; reason: PickRefusalReason }[] = []): string {
  const q = new URLSearchParams({ ids: listIds.join(',') });
  if (refused.length) q.set('refused', refused.map((r) => `${r.orderId}:${r.reason}`).join(','));
  return `/fulfilment/pick-lists/print?${q}`;
}

const ids = z
  .string()
  .max(2_400)
  .transform((s) => s.split(','))
  .pipe(z.array(IdText).max(200))
  .transform((a) => [...new Set(a)]);
const refusal = z
  .string()
  .regex(/^\d+:[a-z_]+$/)
  .transform((s) => {
    const [orderId, reason] = s.split(':');
    return { orderId, reason };
  })
  .pipe(z.object({ orderId: IdText, reason: z.enum(PICK_REFUSAL_REASONS) }));

const PrintQuery = z.object({
  ids: ids.catch([]),
  refused: z
    .string()
    .max(4000)
    .transform((s) => s.split(','))
    .pipe(z.array(refusal))
    .optional()
    .catch(undefined),
});

export function parsePrintQuery(params: URLSearchParams) {
  return PrintQuery.parse({ ids: params.get('ids') ?? '', refused: params.get('refused') || undefined });
}
