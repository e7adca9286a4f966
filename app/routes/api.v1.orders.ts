import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { findStored, requestHash } from '../lib/idempotency.server.ts';
import { problem } from '../lib/problem.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { createOrder } from '../modules/orders/intake.server.ts';
import { listOrders, parseOrderFilters } from '../modules/orders/queries.server.ts';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { OrderInput } from '../modules/orders/schemas.ts';
import { CreatedOrderResource, OrderPageResource } from '../modules/orders/resources.ts';
import { OrderFilters } from '../modules/orders/filters.ts';

/** GET /api/v1/orders: the order list with the console's filters (status, channel, warehouse, q, from, to, sort, dir, page, pageSize). */
export const loader = ({ request, context }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'orders.view');
    const result = await listOrders(context.orm.em.fork(), parseOrderFilters(new URL(request.url).searchParams));
    return json(result);
  });

/** POST /api/v1/orders: one order from any channel. Honours Idempotency-Key. */
export const action = ({ request, context }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['GET', 'POST']);
    const principal = await requireApi(request, context, 'orders.manage');
    const body = await readJson(request);
    const key = request.headers.get('Idempotency-Key');
    let idempotency;
    if (key !== null) {
      operationKey(request, principal); // validates the header
      idempotency = { scope: `${principal.kind}:${principal.actor.id}`, key, hash: requestHash('POST', '/api/v1/orders', body) };
      const stored = await findStored(context.orm.em.fork(), idempotency);
      if (stored === 'reused')
        return problem(422, 'idempotency_key_reused', { field: 'Idempotency-Key', detail: 'This Idempotency-Key was used with a different request.' });
      if (stored && stored.status > 0) return replay(stored.status, stored.body);
    }
    const result = await createOrder(context.orm, body, { actor: principal.actor, baseCurrency: context.config.BASE_CURRENCY, idempotency });
    if (result.replayed) return replay(result.status, result.body);
    return json(result.order, 201, { Location: `/api/v1/orders/${result.order.id}` });
  });

function replay(status: number, body: unknown): Response {
  const headers = { 'Idempotent-Replayed': 'true', 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' };
  return new Response(JSON.stringify(body), { status, headers });
}

export const openapi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/orders',
    operationId: 'listOrders',
    summary: 'List orders',
    description:
      'The order list with the console’s filters. Unreadable filter values are ignored rather than refused. Page with `page`, or with the keyset cursors `after` / `before`.',
    tags: ['Orders'],
    auth: 'apiKey',
    permission: 'orders.view',
    query: OrderFilters,
    responses: { 200: { description: 'A page of orders.', schema: OrderPageResource } },
    problems: {},
    idempotent: false,
  },
  {
    method: 'post',
    path: '/api/v1/orders',
    operationId: 'createOrder',
    summary: 'Create an order',
    description:
      'One order from any channel: validated, routed to warehouses and reserved in one transaction (never oversold), or refused with nothing written.',
    tags: ['Orders'],
    auth: 'apiKey',
    permission: 'orders.manage',
    body: {
      schema: OrderInput,
      examples: {
        card: { summary: 'Paid by card token at checkout', value: EXAMPLES.order },
        paidByChannel: { summary: 'Already paid on the channel', value: EXAMPLES.orderPaidByChannel },
      },
    },
    responses: {
      201: {
        description: 'The order was created (or, with a reused Idempotency-Key, the first answer is replayed).',
        schema: CreatedOrderResource,
        headers: {
          Location: { description: 'The new order’s URL.' },
          'Idempotent-Replayed': {
            description: '`true` when this is the stored answer to an earlier request with the same key.',
            schema: { type: 'string', const: 'true' },
          },
        },
      },
    },
    problems: {
      400: ['invalid_idempotency_key'],
      405: ['method_not_allowed'],
      409: ['duplicate_order', 'insufficient_stock'],
      422: ['validation_failed', 'idempotency_key_reused'],
    },
    idempotent: true,
  },
];
