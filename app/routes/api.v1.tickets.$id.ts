import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { ticketResource } from '../modules/service/api.server.ts';
import { z } from 'zod';
import { PathId, type ApiOperation } from '../lib/openapi/describe.ts';
import { TicketResource } from '../modules/service/resources.ts';

/** GET /api/v1/tickets/:id: the ticket and its conversation (internal notes left out). */
export const loader = ({ request, context, params }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'service.view');
    return json(await ticketResource(context.orm.em.fork(), routeId(params.id, 'ticket')));
  });

export const openapi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/tickets/{id}',
    operationId: 'getTicket',
    summary: 'Get a ticket',
    description: 'The ticket and its conversation (internal notes left out; the newest 200 messages).',
    tags: ['Service'],
    auth: 'apiKey',
    permission: 'service.view',
    params: z.object({ id: PathId.describe('The ticket id.') }),
    responses: { 200: { description: 'The ticket.', schema: TicketResource } },
    problems: { 404: ['not_found'] },
    idempotent: false,
  },
];
