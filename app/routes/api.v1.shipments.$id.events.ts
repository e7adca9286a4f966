import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed, readJson } from '../lib/api.server.ts';
import { recordTrackingEvent } from '../modules/fulfilment/service.server.ts';
import { z } from 'zod';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { TrackingEventInput } from '../modules/fulfilment/schemas.ts';
import { TrackingResultResource } from '../modules/fulfilment/resources.ts';

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

export const openapi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/shipments/{id}/events',
    operationId: 'addTrackingEvent',
    summary: 'Record a tracking event',
    description:
      'A tracking update from a carrier integration. Repeating an event is harmless (200, `duplicate: true`); when every shipment of the order is delivered, the order is delivered too.',
    tags: ['Fulfilment'],
    auth: 'apiKey',
    permission: 'fulfilment.manage',
    params: z.object({ id: z.string().min(1).describe('The shipment id or its tracking number.') }),
    body: { schema: TrackingEventInput, examples: { inTransit: { summary: 'In transit', value: EXAMPLES.trackingEvent } } },
    responses: {
      201: { description: 'The event was recorded.', schema: TrackingResultResource },
      200: { description: 'The same event was recorded before; nothing was written.', schema: TrackingResultResource },
    },
    problems: { 404: ['not_found'], 405: ['method_not_allowed'], 409: ['shipment_closed'], 422: ['validation_failed'] },
    idempotent: false,
  },
];
