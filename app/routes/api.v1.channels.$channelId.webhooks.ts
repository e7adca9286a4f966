import type { ActionFunctionArgs } from '@remix-run/node';
import { api, methodNotAllowed } from '../lib/api.server.ts';
import { handleChannelWebhook } from '../modules/channels/webhooks.server.ts';
import { z } from 'zod';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { CreatedOrderResource } from '../modules/orders/resources.ts';

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

export const openapi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/channels/{channelId}/webhooks',
    operationId: 'channelWebhook',
    summary: 'Receive a channel’s order webhook',
    description:
      'An order from the channel’s platform (Shopify `orders/create`, WooCommerce `order.created`), in the platform’s own JSON. No API key: the platform’s base64 HMAC-SHA256 of the raw body under the channel’s webhook secret, in `X-Shopify-Hmac-Sha256` or `X-WC-Webhook-Signature`, authenticates the delivery. Other topics are acknowledged (202) and ignored; a repeated delivery answers 200 with the existing order number.',
    tags: ['Channels'],
    auth: 'webhookSignature',
    params: z.object({ channelId: z.string().min(1).describe('The channel’s id or code.') }),
    headers: {
      'X-Shopify-Hmac-Sha256': { description: 'Shopify’s signature of the body.' },
      'X-Shopify-Topic': { description: 'Shopify’s topic; only `orders/create` makes an order.' },
      'X-WC-Webhook-Signature': { description: 'WooCommerce’s signature of the body.' },
      'X-WC-Webhook-Topic': { description: 'WooCommerce’s topic; only `order.created` makes an order.' },
    },
    body: { schema: z.record(z.string(), z.unknown()).describe('The platform’s order payload.') },
    responses: {
      201: { description: 'The order was created.', schema: CreatedOrderResource, headers: { Location: { description: 'The new order’s URL.' } } },
      200: {
        description: 'A repeated delivery (the order exists), or WooCommerce’s ping.',
        schema: z.union([z.strictObject({ duplicate: z.literal(true), number: z.string() }), z.strictObject({ ok: z.literal(true) })]),
      },
      202: {
        description: 'A topic that makes no order: acknowledged and ignored.',
        schema: z.strictObject({ ignored: z.literal(true), topic: z.string().nullable() }),
      },
    },
    problems: { 401: ['invalid_signature'], 404: ['not_found'], 405: ['method_not_allowed'], 409: ['insufficient_stock'], 422: ['validation_failed'] },
    idempotent: false,
  },
];
