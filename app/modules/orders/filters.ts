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
  /** With a failed payment attempt on or after this day (the dashboard's payment failures tile), or `any`: at any time. */
  paymentFailed: DateText.or(z.literal('any')).optional().catch(undefined),
  // The analytics reports' drill-downs (issue #11): the orders behind a bar or a row.
  /** Shipping address country (ISO code; `--`: none). */
  country: z
    .string()
    .trim()
    .regex(/^([A-Za-z]{2}|--)$/)
    .transform((c) => c.toUpperCase())
    .optional()
    .catch(undefined),
  /** Paid by this method (the order's payment method). */
  paymentMethod: z.string().trim().max(40).optional().catch(undefined),
  /** Held at some point for this reason (the order's hold history). */
  holdReason: z.string().trim().max(64).optional().catch(undefined),
  /** Cancelled with this reason, as the fulfilment report counts it (digits folded to #); `-`: none given. */
  cancelReason: z.string().trim().max(200).optional().catch(undefined),
  /** First shipment after the promised date. */
  shipLate: z.literal('1').optional().catch(undefined),
  /** Delivered (every parcel) after the promised date. */
  deliverLate: z.literal('1').optional().catch(undefined),
  /** Processing time of a stage within [from, to) hours: `ship:12-16`, `total:720-` (received → shipped, shipped → delivered, received → delivered). */
  took: z
    .string()
    .regex(/^(ship|transit|total):\d{1,5}-\d{0,5}$/)
    .optional()
    .catch(undefined),
  /** With a return (not rejected or expired); narrowed by the return filters below. */
  returned: z.literal('1').optional().catch(undefined),
  returnReason: z.string().trim().max(64).optional().catch(undefined),
  returnResolution: z.enum(['refund', 'exchange']).optional().catch(undefined),
  returnSku: z.string().trim().max(255).optional().catch(undefined),
  /** A return opened on or after / on or before this day (UTC). */
  returnFrom: DateText.optional().catch(undefined),
  returnTo: DateText.optional().catch(undefined),
  sort: z.enum(ORDER_SORTS).catch('placed_at'),
  dir: z.enum(['asc', 'desc']).catch('desc'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().min(1).max(200).catch(50),
  /** Keyset paging: the page after (or before) the row this cursor names, in the same sort. Wins over `page`'s offset. */
  after: z.string().max(200).optional().catch(undefined),
  before: z.string().max(200).optional().catch(undefined),
});
export type OrderFilters = z.infer<typeof OrderFilters>;
