import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { routeId } from '../lib/ids.ts';
import { decideTask } from '../modules/workflows/tasks.server.ts';
import { z } from 'zod';
import { PathId, type ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { DecisionInput } from '../modules/workflows/task-schemas.ts';
import { TaskResource } from '../modules/workflows/resources.ts';

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

export const openapi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/workflows/tasks/{id}/decision',
    operationId: 'decideTask',
    summary: 'Decide a workflow task',
    description:
      'Approves or rejects a human task of a running flow. The caller’s role must be one the task names (403 otherwise); a task decides once (409 after). The decision is audited and sent to the run as its `decision` signal.',
    tags: ['Workflows'],
    auth: 'apiKey',
    permission: 'workflows.view',
    params: z.object({ id: PathId.describe('The task id.') }),
    body: { schema: DecisionInput, examples: { approve: { summary: 'Approve', value: EXAMPLES.decision } } },
    responses: { 200: { description: 'The task, decided.', schema: TaskResource } },
    problems: { 404: ['not_found'], 405: ['method_not_allowed'], 409: ['task_closed'], 422: ['validation_failed'], 503: ['temporal_unavailable'] },
    idempotent: false,
  },
];
