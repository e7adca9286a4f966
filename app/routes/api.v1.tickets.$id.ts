import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { ticketResource } from '../modules/service/api.server.ts';

/** GET /api/v1/tickets/:id: the ticket and its conversation (internal notes left out). */
export const loader = ({ request, context, params }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'service.view');
    return json(await ticketResource(context.orm.em.fork(), routeId(params.id, 'ticket')));
  });
