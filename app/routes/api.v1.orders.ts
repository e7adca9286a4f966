import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { findStored, requestHash } from '../lib/idempotency.server.ts';
import { problem } from '../lib/problem.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { createOrder } from '../modules/orders/intake.server.ts';
import { listOrders, parseOrderFilters } from '../modules/orders/queries.server.ts';

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
