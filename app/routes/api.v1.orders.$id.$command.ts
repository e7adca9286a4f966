import type { ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { problem, validationProblem } from '../lib/problem.ts';
import { cancelOrder, holdOrder, releaseHold } from '../modules/orders/service.server.ts';
import { PathId, type ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { OrderCommandResource } from '../modules/orders/resources.ts';

const COMMANDS = { cancel: cancelOrder, hold: holdOrder, release: releaseHold } as const;
export const CommandBody = z.object({ reason: z.string().trim().max(500).optional() });

/** POST /api/v1/orders/:id/{cancel|hold|release} with an optional {"reason": "..."}. */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'orders.manage');
    const command = COMMANDS[params.command as keyof typeof COMMANDS];
    if (!command || !Object.hasOwn(COMMANDS, params.command ?? '')) return problem(404, 'not_found', { detail: `Unknown command ${params.command}.` });
    const id = routeId(params.id, 'order');
    const hasBody = Number(request.headers.get('Content-Length') ?? 0) > 0;
    const parsed = CommandBody.safeParse(hasBody ? await readJson(request) : {});
    if (!parsed.success) return validationProblem(parsed.error);
    const result = await command(context.orm, id, principal.actor, parsed.data.reason);
    return json({ id, number: result.number, from: result.from, status: result.status });
  });

const SUMMARIES: Record<keyof typeof COMMANDS, [string, string]> = {
  cancel: ['Cancel an order', 'Cancels the order: its reservations are released and any running flow is told. A shipped order cannot be cancelled (409).'],
  hold: ['Put an order on hold', 'Holds the order (reason `manual`) until it is released.'],
  release: ['Release a hold', 'Releases a held order; it goes on where it stopped.'],
};

export const openapi: ApiOperation[] = Object.entries(SUMMARIES).map(([command, [summary, description]]) => ({
  method: 'post',
  path: `/api/v1/orders/{id}/${command}`,
  operationId: `${command}Order`,
  summary,
  description,
  tags: ['Orders'],
  auth: 'apiKey',
  permission: 'orders.manage',
  params: z.object({ id: PathId.describe('The order id.') }),
  body: { schema: CommandBody, required: false, examples: { reason: { summary: 'With a reason', value: EXAMPLES.holdReason } } },
  responses: { 200: { description: 'The order’s status before and after.', schema: OrderCommandResource } },
  problems: { 404: ['not_found'], 405: ['method_not_allowed'], 409: ['illegal_transition'], 422: ['validation_failed'] },
  idempotent: false,
}));
