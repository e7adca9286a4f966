import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { createPayment } from '../modules/payments/service.server.ts';
import { z } from 'zod';
import { PathId, type ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { NewPaymentInput } from '../modules/payments/schemas.ts';
import { PaymentResource } from '../modules/payments/resources.ts';

/**
 * POST /api/v1/orders/:id/payments — {"provider":"test-card","card":{...}} authorises a card;
 * {"provider":"manual","method":"cash"} records money received. Optional "amount" for part payments.
 */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'orders.manage');
    const payment = await createPayment(context.orm, routeId(params.id, 'order'), await readJson(request), operationKey(request, principal), principal.actor);
    return json(payment, 201);
  });

export const openapi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/orders/{id}/payments',
    operationId: 'createPayment',
    summary: 'Pay for an order',
    description:
      '`test-card` authorises a card (a gateway token, or card details for the simulated gateway); `manual` records money received (cash, bank transfer). `amount` (minor units) for a part payment; the order’s balance otherwise.',
    tags: ['Payments'],
    auth: 'apiKey',
    permission: 'orders.manage',
    params: z.object({ id: PathId.describe('The order id.') }),
    body: {
      schema: NewPaymentInput,
      examples: {
        token: { summary: 'A gateway token', value: EXAMPLES.tokenPayment },
        card: { summary: 'A test card', value: EXAMPLES.cardPayment },
        manual: { summary: 'Cash received', value: EXAMPLES.manualPayment },
      },
    },
    responses: { 201: { description: 'The payment.', schema: PaymentResource } },
    problems: {
      400: ['invalid_idempotency_key'],
      402: ['payment_declined'],
      404: ['not_found'],
      405: ['method_not_allowed'],
      409: ['nothing_due', 'order_closed'],
      422: ['validation_failed', 'idempotency_key_reused'],
    },
    idempotent: true,
  },
];
