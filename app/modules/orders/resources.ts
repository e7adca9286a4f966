// Orders as the API answers them: the response schemas of /api/v1/orders*, for the OpenAPI document
// (app/lib/openapi) and for the tests that check real answers against it. The checks at the bottom make
// tsc fail when a handler's answer type and its schema part ways.
import { z } from 'zod';
import { HOLD_REASONS, ORDER_STATUSES } from '../../../entities/constants.ts';
import { PAYMENT_STATUSES } from '../../../entities/payments.ts';
import type { Matches } from '../../lib/openapi/describe.ts';
import type { CreatedOrder } from './intake.server.ts';
import type { OrderDetail, OrderPage } from './queries.server.ts';

const DateTime = z.iso.datetime({ offset: true });
const minor = z.number().int();

export const OrderRowResource = z.strictObject({
  id: z.number().int(),
  number: z.string(),
  status: z.string(),
  channel: z.string(),
  externalId: z.string(),
  customerName: z.string(),
  customerEmail: z.string(),
  currency: z.string(),
  total: minor,
  warehouse: z.string().nullable().describe('The warehouse that ships the whole order; null for a split order or one not routed yet.'),
  warehouses: z.array(z.string()),
  holdReasons: z.array(z.string()),
  placedAt: DateTime,
  lineCount: z.number().int(),
});

export const OrderPageResource = z.strictObject({
  rows: z.array(OrderRowResource),
  total: z.number().int().describe('Matching orders, counted up to 10,000 (then `totalCapped`).'),
  totalCapped: z.boolean(),
  page: z.number().int(),
  pages: z.number().int(),
  nextCursor: z.string().nullable().describe('Pass as `after` for the next page.'),
  prevCursor: z.string().nullable().describe('Pass as `before` for the previous page.'),
});

const Totals = z.strictObject({
  subtotal: minor,
  shipping: minor,
  tax: minor,
  taxIncluded: z.boolean(),
  discount: minor,
  total: minor,
});

export const OrderResource = z.strictObject({
  id: z.number().int(),
  number: z.string(),
  status: z.enum(ORDER_STATUSES),
  channel: z.strictObject({ code: z.string(), name: z.string() }),
  externalId: z.string(),
  customer: z.strictObject({ id: z.number().int(), name: z.string().nullable(), email: z.string(), tier: z.string() }),
  currency: z.string(),
  totals: Totals,
  holdReasons: z.array(z.string()),
  paymentMethod: z.string(),
  deliveryMethod: z.string(),
  shippingAddress: z.record(z.string(), z.unknown()).describe('The address as the order was placed with it.'),
  warehouse: z.string().nullable(),
  promisedBy: DateTime.nullable(),
  placedAt: DateTime,
  trackingToken: z.string(),
  lines: z.array(z.strictObject({ id: z.number().int(), sku: z.string(), name: z.string(), quantity: z.number().int(), unitPrice: minor, total: minor })),
  reservations: z.array(
    z.strictObject({
      id: z.number().int(),
      sku: z.string(),
      warehouse: z.string(),
      quantity: z.number().int(),
      status: z.string(),
      createdAt: DateTime,
      releasedAt: DateTime.nullable(),
    }),
  ),
  payments: z.array(
    z.strictObject({
      id: z.number().int(),
      provider: z.string(),
      method: z.string(),
      currency: z.string(),
      amount: minor,
      authorised: minor,
      captured: minor,
      refunded: minor,
      status: z.enum(PAYMENT_STATUSES),
      cardLast4: z.string().nullable(),
      failureCode: z.string().nullable(),
      createdAt: DateTime,
    }),
  ),
  timeline: z.array(
    z.strictObject({
      id: z.number().int(),
      at: DateTime,
      actor: z.string().nullable(),
      action: z.string(),
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
});

export const CreatedOrderResource = z.strictObject({
  id: z.number().int(),
  number: z.string(),
  status: z.enum(ORDER_STATUSES),
  channel: z.string(),
  externalId: z.string(),
  currency: z.string(),
  totals: Totals,
  holdReasons: z.array(z.enum(HOLD_REASONS)),
  reservations: z.array(z.strictObject({ sku: z.string(), warehouse: z.string(), quantity: z.number().int() })),
  routing: z.strictObject({
    policy: z.enum(['nearest_full', 'fewest_warehouses']),
    shipments: z.number().int(),
    considered: z.array(
      z.strictObject({
        code: z.string(),
        distanceKm: z.number().nullable(),
        canShipAll: z.boolean(),
        atp: z.record(z.string(), z.number()),
      }),
    ),
  }),
  trackingToken: z.string(),
  placedAt: DateTime,
});

export const OrderCommandResource = z.strictObject({
  id: z.number().int(),
  number: z.string(),
  from: z.enum(ORDER_STATUSES),
  status: z.enum(ORDER_STATUSES),
});

// Compile-time: every answer the handlers build is one their schema describes.
export type OrderPageAnswer = Matches<OrderPage, z.output<typeof OrderPageResource>>;
export type CreatedOrderAnswer = Matches<CreatedOrder, z.output<typeof CreatedOrderResource>>;
export type OrderAnswer = Matches<OrderDetail, Omit<z.output<typeof OrderResource>, 'status' | 'shippingAddress' | 'customer'>>;
