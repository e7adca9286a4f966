// The order list's query-string filters (the console's list and GET /api/v1/orders). Plain code: the
// route's OpenAPI description imports it too.
import { z } from 'zod';
import { ORDER_STATUSES } from '../../../entities/constants.ts';
import { Id } from '../../lib/ids.ts';
import { DateText } from '../../lib/boundary.ts';

const ORDER_SORTS = ['placed_at', 'total', 'number', 'status'] as const;
export type OrderSort = (typeof ORDER_SORTS)[number];

export const OrderFilters = z.object({
  status: z
    .array(z.enum(ORDER_STATUSES))
    .or(z.enum(ORDER_STATUSES).transform((s) => [s]))
    .optional()
    .catch(undefined),
  channel: z.string().max(64).optional().catch(undefined),
  warehouse: z.string().max(64).optional().catch(undefined),
  customer: Id.optional().catch(undefined),
  /** Orders with a line of this product (SKU, exact). */
  sku: z.string().trim().min(1).max(64).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  from: DateText.optional().catch(undefined),
  to: DateText.optional().catch(undefined),
  /** Not shipped and past the promised date (the dashboard's late tile). */
  late: z.literal('1').optional().catch(undefined),
  /** With a failed payment attempt on or after this day (the dashboard's payment failures tile). */
  paymentFailed: DateText.optional().catch(undefined),
  sort: z.enum(ORDER_SORTS).catch('placed_at'),
  dir: z.enum(['asc', 'desc']).catch('desc'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().min(1).max(200).catch(50),
  /** Keyset paging: the page after (or before) the row this cursor names, in the same sort. Wins over `page`'s offset. */
  after: z.string().max(200).optional().catch(undefined),
  before: z.string().max(200).optional().catch(undefined),
});
export type OrderFilters = z.infer<typeof OrderFilters>;
