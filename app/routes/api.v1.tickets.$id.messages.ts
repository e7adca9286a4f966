import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { requestHash, runIdempotent } from '../lib/idempotency.server.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem } from '../lib/problem.ts';
import { addMessageFromApi } from '../modules/service/api.server.ts';
import { z } from 'zod';
import { PathId, type ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { NewMessage } from '../modules/service/api-schemas.ts';
import { MessageAddedResource } from '../modules/service/resources.ts';

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

export const openapi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/tickets/{id}/messages',
    operationId: 'addTicketMessage',
    summary: 'Add a customer message',
    description: 'The customer’s next message on their ticket (from the ticket’s requester unless `email` says otherwise).',
    tags: ['Service'],
    auth: 'apiKey',
    permission: 'service.manage',
    params: z.object({ id: PathId.describe('The ticket id.') }),
    body: { schema: NewMessage, examples: { followUp: { summary: 'A follow-up', value: EXAMPLES.message } } },
    responses: {
      201: {
        description: 'The message was filed.',
        schema: MessageAddedResource,
        headers: {
          'Idempotent-Replayed': {
            description: '`true` when this is the stored answer to an earlier request with the same key.',
            schema: { type: 'string', const: 'true' },
          },
        },
      },
    },
    problems: { 400: ['invalid_idempotency_key'], 404: ['not_found'], 405: ['method_not_allowed'], 422: ['validation_failed', 'idempotency_key_reused'] },
    idempotent: true,
  },
];
