import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { requestHash, runIdempotent } from '../lib/idempotency.server.ts';
import { operationKey } from '../lib/operation-key.server.ts';
import { problem } from '../lib/problem.ts';
import { createTicketFromApi } from '../modules/service/api.server.ts';
import { listTickets, parseQueueFilters } from '../modules/service/queries.server.ts';

/** GET /api/v1/tickets: the queue with the console's filters (view=all by default, status, priority, q, sort, after). */
export const loader = ({ request, context }: LoaderFunctionArgs) =>
  api(async () => {
    const principal = await requireApi(request, context, 'service.view');
    const userId = principal.user?.id ?? 0;
    return json(await listTickets(context.orm.em.fork(), userId, parseQueueFilters(new URL(request.url).searchParams)));
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
