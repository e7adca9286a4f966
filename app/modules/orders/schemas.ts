// What an order looks like at the door: the API, channel adapters, CSV import and manual entry all
// turn their input into this before intake.
import { z } from 'zod';
import { DELIVERY_METHODS } from '../../../entities/constants.ts';
import { isCurrency } from '../../lib/money.ts';
import { DateTimeText } from '../../lib/boundary.ts';
import { PAYMENT_TOKEN } from '../payments/providers/test-card.ts';

const minor = z.number().int().min(0).max(1_000_000_000);

const AddressInput = z
  .strictObject({
    name: z.string().trim().max(200).optional(),
    line1: z.string().trim().min(1).max(300),
    line2: z.string().trim().max(300).optional(),
    city: z.string().trim().min(1).max(120),
    postalCode: z.string().trim().max(20).optional(),
    country: z
      .string()
      .trim()
      .length(2)
      .transform((c) => c.toUpperCase()),
    lat: z.number().min(-90).max(90).optional(),
    lng: z.number().min(-180).max(180).optional(),
  })
  .refine((a) => (a.lat === undefined) === (a.lng === undefined), { message: 'lat and lng come together', path: ['lat'] });

export const OrderInput = z.strictObject({
  channel: z.string().trim().min(1).max(64),
  externalId: z.string().trim().min(1).max(128),
  customer: z.strictObject({
    email: z.string().trim().toLowerCase().email(),
    name: z.string().trim().min(1).max(200),
    phone: z.string().trim().max(40).optional(),
    locale: z.enum(['en', 'zh-CN', 'zh-TW']).optional(),
  }),
  shippingAddress: AddressInput,
  currency: z.string().trim().toUpperCase().refine(isCurrency, { message: 'not an ISO 4217 currency' }),
  lines: z
    .array(
      z.strictObject({
        sku: z.string().trim().min(1).max(64),
        quantity: z.number().int().min(1).max(10_000),
        unitPrice: minor,
      }),
    )
    .min(1)
    .max(200),
  paymentMethod: z.string().trim().min(1).max(40),
  /** The payment gateway's token for the buyer's card (`tok_…`), kept with the order for the flow's authorise step; never a card number. */
  paymentToken: z.string().regex(PAYMENT_TOKEN, { message: 'payment token' }).optional(),
  deliveryMethod: z.enum(DELIVERY_METHODS).default('standard'),
  shipping: minor.default(0),
  tax: minor.default(0),
  /** true when line prices already include `tax` (VAT-style); the total then does not add it again. */
  taxIncluded: z.boolean().default(false),
  /** Order-level discount, taken off the total. */
  discount: minor.default(0),
  /** When the channel already took payment, the amount it took: it must equal the order total. */
  paidAmount: minor.optional(),
  promisedBy: DateTimeText.optional(),
  placedAt: DateTimeText.optional(),
});
export type OrderInput = z.infer<typeof OrderInput>;
