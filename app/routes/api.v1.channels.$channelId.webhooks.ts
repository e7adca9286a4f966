import type { ActionFunctionArgs } from '@remix-run/node';
import { api, methodNotAllowed } from '../lib/api.server.ts';
import { handleChannelWebhook } from '../modules/channels/webhooks.server.ts';

/** GET and the rest: this endpoint only takes deliveries. */
export const loader = () => api(async () => methodNotAllowed(['POST']));

/**
 * POST /api/v1/channels/:channelId/webhooks (channel id or code): an order from the channel's
 * platform (Shopify, WooCommerce). No API key: the platform's HMAC signature of the raw body,
 * under the channel's webhook secret, authenticates the delivery.
 */
export const action = ({ request, context, params }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    return handleChannelWebhook(request, context, params.channelId ?? '');
  });
