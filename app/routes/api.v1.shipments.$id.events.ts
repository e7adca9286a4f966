import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { recordTrackingEvent } from '../modules/fulfilment/service.server.ts';

/**
 * POST /api/v1/shipments/:id/events — a tracking update from a carrier integration:
 * {"status":"in_transit"|"out_for_delivery"|"delivered"|"exception"|"returned", "occurredAt"?, "description"?, "location"?}.
 * :id is the shipment id or its tracking number. Repeating an event is harmless.
 */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    const principal = await requireApi(request, context, 'fulfilment.manage');
    const result = await recordTrackingEvent(
      context.orm,
      params.id ?? '',
      await readJson(request),
      principal.kind === 'api_key' ? `api:${principal.actor.label}` : 'console',
      principal.actor,
    );
    return json(result, result.duplicate ? 200 : 201);
  });
