import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { requestHash, runIdempotent } from '../lib/idempotency.server.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem } from '../lib/problem.ts';
import { addMessageFromApi } from '../modules/service/api.server.ts';

/** POST /api/v1/tickets/:id/messages: {body, email?, name?}, the customer's next message. Honours Idempotency-Key. */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'service.manage');
    const id = routeId(params.id, 'ticket');
    const body = await readJson(request);
    const key = request.headers.get('Idempotency-Key');
    const ctx =
      key === null
        ? undefined
        : {
            scope: `${principal.kind}:${principal.actor.id}`,
            key: (operationKey(request, principal), key),
            hash: requestHash('POST', `/api/v1/tickets/${id}/messages`, body),
          };
    const r = await runIdempotent(context.orm, ctx, async (em) => ({ status: 201, body: await addMessageFromApi(em, principal.actor, id, body) }));
    if (r.reused)
      return problem(422, 'idempotency_key_reused', { field: 'Idempotency-Key', detail: 'This Idempotency-Key was used with a different request.' });
    return json(r.body, r.status, r.replayed ? { 'Idempotent-Replayed': 'true' } : undefined);
  });
