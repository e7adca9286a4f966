import type { ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem, validationProblem } from '../lib/problem.ts';
import { capturePayment, refundPayment, voidPayment } from '../modules/payments/service.server.ts';

const amount = z.number().int().positive().max(1_000_000_000);
/** Strict bodies: money moves here, so a misspelt field is refused instead of ignored. */
const Bodies = {
  capture: z.strictObject({ amount: amount.optional() }),
  void: z.strictObject({}),
  // A refund names its amount, or says `full: true`: a body that forgot the amount never refunds everything.
  refund: z.strictObject({ amount: amount.optional(), full: z.literal(true).optional() }).refine((b) => (b.amount === undefined) !== (b.full === undefined), {
    path: ['amount'],
    message: 'give amount or full: true',
    params: { code: 'amount_or_full' },
  }),
} as const;

/**
 * POST /api/v1/payments/:id/{capture|void|refund}: capture takes an optional {"amount"} (default: what is
 * authorised), void none, refund {"amount": minor units} or {"full": true}.
 */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'orders.manage');
    const id = routeId(params.id, 'payment');
    const operation = params.operation;
    if (operation !== 'capture' && operation !== 'void' && operation !== 'refund')
      return problem(404, 'not_found', { detail: `Unknown operation ${operation}.` });
    const hasBody = Number(request.headers.get('Content-Length') ?? 0) > 0;
    const body = hasBody ? await readJson(request) : {};
    const key = operationKey(request, principal);
    switch (operation) {
      case 'capture': {
        const parsed = Bodies.capture.safeParse(body);
        if (!parsed.success) return validationProblem(parsed.error);
        return json(await capturePayment(context.orm, id, parsed.data.amount, key, principal.actor));
      }
      case 'void': {
        const parsed = Bodies.void.safeParse(body);
        if (!parsed.success) return validationProblem(parsed.error);
        return json(await voidPayment(context.orm, id, key, principal.actor));
      }
      case 'refund': {
        const parsed = Bodies.refund.safeParse(body);
        if (!parsed.success) return validationProblem(parsed.error);
        return json(await refundPayment(context.orm, id, parsed.data.full ? undefined : parsed.data.amount, key, principal.actor));
      }
    }
  });
