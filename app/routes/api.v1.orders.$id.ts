import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { problem } from '../lib/problem.ts';
import { getOrder } from '../modules/orders/queries.server.ts';
import { z } from 'zod';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { OrderResource } from '../modules/orders/resources.ts';

/** GET /api/v1/orders/:id (id or number): the order with lines, reservations, payments and timeline. */
export const loader = ({ request, context, params }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'orders.view');
    const order = await getOrder(context.orm.em.fork(), params.id ?? '');
    return order ? json(order) : problem(404, 'not_found', { detail: `No order ${params.id}.` });
  });

export const openapi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/orders/{id}',
    operationId: 'getOrder',
    summary: 'Get an order',
    description: 'The order with its lines, reservations, payments and timeline (its audit trail).',
    tags: ['Orders'],
    auth: 'apiKey',
    permission: 'orders.view',
    params: z.object({ id: z.string().min(1).describe('The order’s id or its number (SO-…).') }),
    responses: { 200: { description: 'The order.', schema: OrderResource } },
    problems: { 404: ['not_found'] },
    idempotent: false,
  },
];
