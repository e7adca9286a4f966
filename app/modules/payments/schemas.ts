// What a payment request looks like at the door (POST /api/v1/orders/:id/payments). Plain code: the
// route's OpenAPI description imports it too.
import { z } from 'zod';
import { PAYMENT_TOKEN } from './providers/test-card.ts';

const CardInput = z.strictObject({
  number: z
    .string()
    .trim()
    .regex(/^[\d\s-]{12,23}$/),
  expMonth: z.coerce.number().int().min(1).max(12),
  expYear: z.coerce.number().int().min(2000).max(2100),
  cvc: z
    .string()
    .trim()
    .regex(/^\d{3,4}$/),
});

export const NewPaymentInput = z
  .strictObject({
    provider: z.enum(['test-card', 'manual']),
    method: z.string().trim().min(1).max(40).default('card'),
    amount: z.number().int().positive().optional(),
    card: CardInput.optional(),
    /** The gateway's token for the card (what storefronts send); wins over `card`. */
    token: z.string().regex(PAYMENT_TOKEN).optional(),
  })
  .refine((p) => p.provider !== 'test-card' || p.card || p.token, { message: 'required', path: ['card'] });
