import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { requestHash, runIdempotent } from '../lib/idempotency.server.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem } from '../lib/problem.ts';
import { createTicketFromApi } from '../modules/service/api.server.ts';
import { listTickets, parseQueueFilters } from '../modules/service/queries.server.ts';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { NewTicket } from '../modules/service/api-schemas.ts';
import { QueuePageResource, TicketResource } from '../modules/service/resources.ts';
import { QueueFilters } from '../modules/service/queue-filters.ts';

/** GET /api/v1/tickets: the queue with the console's filters (view=all by default, status, priority, q, sort, after). */
export const loader = ({ request, context }: LoaderFunctionArgs) =>
  api(async () => {
    const principal = await requireApi(request, context, 'service.view');
    const userId = principal.user?.id ?? 0;
    return json(await listTickets(context.orm.em.fork(), userId, parseQueueFilters(new URL(request.url).searchParams), context.config.BUSINESS_TIME_ZONE));
  });

/** POST /api/v1/tickets: {subject, body, email, name?, order?, language?, priority?, tags?}. Honours Idempotency-Key. */
export const action = ({ request, context }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['GET', 'POST']);
    const principal = await requireApi(request, context, 'service.manage');
    const body = await readJson(request);
    const key = request.headers.get('Idempotency-Key');
    const ctx =
      key === null
        ? undefined
        : {
            scope: `${principal.kind}:${principal.actor.id}`,
            key: (operationKey(request, principal), key),
            hash: requestHash('POST', '/api/v1/tickets', body),
          };
    const r = await runIdempotent(context.orm, ctx, async (em) => ({ status: 201, body: await createTicketFromApi(em, principal.actor, body) }));
    if (r.reused)
      return problem(422, 'idempotency_key_reused', { field: 'Idempotency-Key', detail: 'This Idempotency-Key was used with a different request.' });
    const id = (r.body as { id?: number } | null)?.id;
    return json(r.body, r.status, { ...(id ? { Location: `/api/v1/tickets/${id}` } : {}), ...(r.replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
  });

export const openapi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/tickets',
    operationId: 'listTickets',
    summary: 'List tickets',
    description:
      'The ticket queue with the console’s views and filters (`view=all` by default). Unreadable filter values are ignored rather than refused; page with `after` / `before`.',
    tags: ['Service'],
    auth: 'apiKey',
    permission: 'service.view',
    query: QueueFilters,
    responses: { 200: { description: 'A page of tickets.', schema: QueuePageResource } },
    problems: {},
    idempotent: false,
  },
  {
    method: 'post',
    path: '/api/v1/tickets',
    operationId: 'createTicket',
    summary: 'Open a ticket',
    description: 'A ticket with its first message, matched to the customer (by email) and to the order when `order` names one.',
    tags: ['Service'],
    auth: 'apiKey',
    permission: 'service.manage',
    body: { schema: NewTicket, examples: { damaged: { summary: 'A damaged parcel', value: EXAMPLES.ticket } } },
    responses: {
      201: {
        description: 'The ticket (a new one, or the one the message was threaded onto).',
        schema: TicketResource,
        headers: {
          Location: { description: 'The ticket’s URL.' },
          'Idempotent-Replayed': {
            description: '`true` when this is the stored answer to an earlier request with the same key.',
            schema: { type: 'string', const: 'true' },
          },
        },
      },
    },
    problems: { 400: ['invalid_idempotency_key'], 405: ['method_not_allowed'], 422: ['validation_failed', 'idempotency_key_reused'] },
    idempotent: true,
  },
];
