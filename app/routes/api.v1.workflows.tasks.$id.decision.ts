import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { decideTask } from '../modules/workflows/tasks.server.ts';

/**
 * POST /api/v1/workflows/tasks/:id/decision with {"decision": "approved" | "rejected", "comment"?}.
 * Needs workflows.view, and the caller's role must be one the task names (403 otherwise). The decision
 * is recorded (audited) and sent to the run as its `decision` signal; a task decides once (409 after).
 */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'workflows.view');
    const id = routeId(params.id, 'task');
    const body = await readJson(request);
    return json(await decideTask(context.orm, context.temporal, id, body, { role: principal.role, actor: principal.actor }));
  });

export const loader = () => methodNotAllowed(['POST']);
