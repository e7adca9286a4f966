import type { ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { problem, validationProblem } from '../lib/problem.ts';
import { cancelOrder, holdOrder, releaseHold } from '../modules/orders/service.server.ts';

const COMMANDS = { cancel: cancelOrder, hold: holdOrder, release: releaseHold } as const;
const Body = z.object({ reason: z.string().trim().max(500).optional() });

/** POST /api/v1/orders/:id/{cancel|hold|release} with an optional {"reason": "..."}. */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'orders.manage');
    const command = COMMANDS[params.command as keyof typeof COMMANDS];
    if (!command || !Object.hasOwn(COMMANDS, params.command ?? '')) return problem(404, 'not_found', { detail: `Unknown command ${params.command}.` });
    const id = routeId(params.id, 'order');
    const hasBody = Number(request.headers.get('Content-Length') ?? 0) > 0;
    const parsed = Body.safeParse(hasBody ? await readJson(request) : {});
    if (!parsed.success) return validationProblem(parsed.error);
    const result = await command(context.orm, id, principal.actor, parsed.data.reason);
    return json({ id, number: result.number, from: result.from, status: result.status });
  });
