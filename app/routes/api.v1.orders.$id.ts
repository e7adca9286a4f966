import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { problem } from '../lib/problem.ts';
import { getOrder } from '../modules/orders/queries.server.ts';

/** GET /api/v1/orders/:id (id or number): the order with lines, reservations, payments and timeline. */
export const loader = ({ request, context, params }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'orders.view');
    const order = await getOrder(context.orm.em.fork(), params.id ?? '');
    return order ? json(order) : problem(404, 'not_found', { detail: `No order ${params.id}.` });
  });
