// A payment as the API answers it (POST /api/v1/orders/:id/payments, /api/v1/payments/:id/*).
import { z } from 'zod';
import { PAYMENT_STATUSES } from '../../../entities/payments.ts';
import type { Matches } from '../../lib/openapi/describe.ts';
import type { PaymentView } from './service.server.ts';

export const PaymentResource = z.strictObject({
  id: z.number().int(),
  orderId: z.number().int(),
  provider: z.string(),
  method: z.string(),
  currency: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  amount: z.number().int().describe('Minor units.'),
  authorised: z.number().int(),
  captured: z.number().int(),
  refunded: z.number().int(),
  cardLast4: z.string().nullable(),
});

export type PaymentAnswer = Matches<PaymentView, z.output<typeof PaymentResource>>;
