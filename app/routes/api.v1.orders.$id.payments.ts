import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { createPayment } from '../modules/payments/service.server.ts';

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
