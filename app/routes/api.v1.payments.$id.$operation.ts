import type { ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem, validationProblem } from '../lib/problem.ts';
import { capturePayment, refundPayment, voidPayment } from '../modules/payments/service.server.ts';
import { PathId, type ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { PaymentResource } from '../modules/payments/resources.ts';

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

const OPERATIONS: Record<
  keyof typeof Bodies,
  { summary: string; description: string; conflicts: string[]; examples?: Record<string, { summary: string; value: unknown }> }
> = {
  capture: {
    summary: 'Capture a payment',
    description: 'Captures `amount` (minor units) of what was authorised, or all of what is left.',
    conflicts: ['nothing_to_capture'],
    examples: { part: { summary: 'Part of the authorisation', value: EXAMPLES.capturePart } },
  },
  void: { summary: 'Void a payment', description: 'Releases an authorisation that was never captured.', conflicts: ['cannot_void'] },
  refund: {
    summary: 'Refund a payment',
    description: 'Refunds `amount` (minor units) of what was captured, or everything with `full: true` (one of the two is required).',
    conflicts: ['nothing_to_refund'],
    examples: { part: { summary: 'Part of the capture', value: EXAMPLES.refundPart }, full: { summary: 'Everything captured', value: EXAMPLES.refundFull } },
  },
};

export const openapi: ApiOperation[] = (Object.keys(OPERATIONS) as (keyof typeof Bodies)[]).map((operation) => ({
  method: 'post',
  path: `/api/v1/payments/{id}/${operation}`,
  operationId: `${operation}Payment`,
  summary: OPERATIONS[operation].summary,
  description: OPERATIONS[operation].description,
  tags: ['Payments'],
  auth: 'apiKey',
  permission: 'orders.manage',
  params: z.object({ id: PathId.describe('The payment id.') }),
  body: { schema: Bodies[operation], required: operation === 'refund', examples: OPERATIONS[operation].examples },
  responses: { 200: { description: 'The payment after the operation.', schema: PaymentResource } },
  problems: {
    400: ['invalid_idempotency_key'],
    402: ['payment_declined'],
    404: ['not_found'],
    405: ['method_not_allowed'],
    409: OPERATIONS[operation].conflicts,
    422: ['validation_failed', 'idempotency_key_reused'],
  },
  idempotent: true,
}));
