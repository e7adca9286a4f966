import type { ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem, validationProblem } from '../lib/problem.ts';
import { capturePayment, refundPayment, voidPayment } from '../modules/payments/service.server.ts';

const Body = z.object({ amount: z.number().int().positive().optional() });

/** POST /api/v1/payments/:id/{capture|void|refund} with an optional {"amount": minor units}. */
export const action = ({ request, context, params }: ActionFunctionArgs) => api(async () => {
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const principal = await requireApi(request, context, 'orders.manage');
  const id = routeId(params.id, 'payment');
  const hasBody = Number(request.headers.get('Content-Length') ?? 0) > 0;
  const parsed = Body.safeParse(hasBody ? await readJson(request) : {});
  if (!parsed.success) return validationProblem(parsed.error);
  const key = operationKey(request, principal);
  switch (params.operation) {
    case 'capture': return json(await capturePayment(context.orm, id, parsed.data.amount, key, principal.actor));
    case 'void': return json(await voidPayment(context.orm, id, key, principal.actor));
    case 'refund': return json(await refundPayment(context.orm, id, parsed.data.amount, key, principal.actor));
    default: return problem(404, 'not_found', { detail: `Unknown operation ${params.operation}.` });
  }
});
