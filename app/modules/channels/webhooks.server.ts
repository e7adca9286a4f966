// Inbound channel webhooks: find the channel, check the platform's HMAC over the raw body, map the
// payload to an order and hand it to intake. Nothing is written before the signature holds.
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { json } from '../../lib/api.server.ts';
import type { AppContext } from '../../lib/context.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { parseId } from '../../lib/ids.ts';
import { problem } from '../../lib/problem.ts';
import { createOrder } from '../orders/intake.server.ts';
import type { OrderDraft } from './payload.ts';
import { mapShopifyOrder, SHOPIFY_ORDER_TOPIC, SHOPIFY_SIGNATURE_HEADER, SHOPIFY_TOPIC_HEADER } from './shopify.ts';
import { isWooCommercePing, mapWooCommerceOrder, WOOCOMMERCE_ORDER_TOPIC, WOOCOMMERCE_SIGNATURE_HEADER, WOOCOMMERCE_TOPIC_HEADER } from './woocommerce.ts';

export type Adapter = 'shopify' | 'woocommerce';

interface AdapterSpec {
  signatureHeader: string;
  /** Whether this delivery is one that makes an order (other topics are acknowledged and ignored). */
  wantsOrder(headers: Headers): { yes: true } | { yes: false; topic: string | null };
  map(payload: unknown, channelCode: string): OrderDraft;
}

const ADAPTERS: Record<Adapter, AdapterSpec> = {
  shopify: {
    signatureHeader: SHOPIFY_SIGNATURE_HEADER,
    wantsOrder(headers) {
      const topic = headers.get(SHOPIFY_TOPIC_HEADER);
      return topic === SHOPIFY_ORDER_TOPIC ? { yes: true } : { yes: false, topic };
    },
    map: mapShopifyOrder,
  },
  woocommerce: {
    signatureHeader: WOOCOMMERCE_SIGNATURE_HEADER,
    wantsOrder(headers) {
      const topic = headers.get(WOOCOMMERCE_TOPIC_HEADER);
      return topic === null || topic === WOOCOMMERCE_ORDER_TOPIC ? { yes: true } : { yes: false, topic };
    },
    map: mapWooCommerceOrder,
  },
};

const isAdapter = (a: string | null): a is Adapter => a !== null && Object.hasOwn(ADAPTERS, a);

/** Larger bodies are refused before they are hashed (an order of 200 lines is far below this). */
const MAX_WEBHOOK_BYTES = 2 * 1024 * 1024;

export interface WebhookChannel {
  id: number;
  code: string;
  adapter: Adapter;
  webhookSecret: string | null;
}

/** The active channel with an adapter named by `idOrCode` (its numeric id, else its code), or null. */
export async function findWebhookChannel(em: EntityManager, idOrCode: string): Promise<WebhookChannel | null> {
  const channel = db(em).selectFrom('channel').select(['id', 'code', 'adapter', 'webhook_secret', 'active']);
  const id = parseId(idOrCode);
  let row = id !== null ? await channel.where('id', '=', id).executeTakeFirst() : undefined;
  row ??= await channel.where('code', '=', idOrCode).executeTakeFirst();
  if (!row || !row.active || !isAdapter(row.adapter)) return null;
  return { id: row.id, code: row.code, adapter: row.adapter, webhookSecret: row.webhook_secret };
}

/** base64(HMAC-SHA256(secret, body)): what Shopify and WooCommerce put in their signature header. */
export const webhookSignature = (secret: string, body: Uint8Array | string): string => crypto.createHmac('sha256', secret).update(body).digest('base64');

/** Whether `provided` is the signature of `body` under `secret`, compared in constant time. */
export function verifyWebhookSignature(secret: string | null, body: Uint8Array, provided: string | null): boolean {
  if (!secret || !provided) return false;
  const expected = Buffer.from(webhookSignature(secret, body), 'utf8');
  const given = Buffer.from(provided.trim(), 'utf8');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** The body's bytes, read once; refuses bodies over MAX_WEBHOOK_BYTES with 413. */
async function readRawBody(request: Request): Promise<Uint8Array> {
  const tooLarge = () => problem(413, 'payload_too_large', { detail: `The body exceeds ${MAX_WEBHOOK_BYTES} bytes.` });
  if (Number(request.headers.get('Content-Length') ?? 0) > MAX_WEBHOOK_BYTES) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_WEBHOOK_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * JSON.parse that keeps integers too large for a double as their digits (a string), so an id such
 * as 820982911946154508 is not silently turned into 820982911946154500. Uses the reviver's source
 * text (Node 21+).
 */
export function parseWebhookJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)
      ? context.source
      : value,
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** POST /api/v1/channels/{channelId}/webhooks: everything after the method check. */
export async function handleChannelWebhook(request: Request, context: AppContext, channelParam: string): Promise<Response> {
  const channel = await findWebhookChannel(context.orm.em.fork(), channelParam);
  if (!channel) return problem(404, 'not_found', { detail: `No active channel ${channelParam} with a webhook adapter.` });
  const spec = ADAPTERS[channel.adapter];

  const raw = await readRawBody(request);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    text = '';
  }
  const signature = request.headers.get(spec.signatureHeader);

  // WooCommerce checks a new webhook's URL with a form post that may be unsigned; it writes nothing.
  if (channel.adapter === 'woocommerce' && isWooCommercePing(text) && signature === null) return json({ ok: true });

  if (!verifyWebhookSignature(channel.webhookSecret, raw, signature)) {
    return problem(401, 'invalid_signature', {
      detail: channel.webhookSecret
        ? `The ${spec.signatureHeader} header is missing or does not match the body.`
        : `Channel ${channel.code} has no webhook secret, so no delivery can be verified.`,
      field: spec.signatureHeader,
    });
  }
  if (channel.adapter === 'woocommerce' && isWooCommercePing(text)) return json({ ok: true });

  const wanted = spec.wantsOrder(request.headers);
  if (!wanted.yes) return json({ ignored: true, topic: wanted.topic }, 202);

  let payload: unknown;
  try {
    payload = parseWebhookJson(text);
  } catch {
    return problem(400, 'invalid_json', { detail: 'The body is not valid JSON (UTF-8).' });
  }
  const input = spec.map(payload, channel.code);

  try {
    const result = await createOrder(context.orm, input, {
      actor: { type: 'system', label: `webhook:${channel.code}`, ip: context.ip },
      baseCurrency: context.config.BASE_CURRENCY,
    });
    if (result.replayed) return json(result.body, result.status); // not reached: no Idempotency-Key here
    return json(result.order, 201, { Location: `/api/v1/orders/${result.order.id}` });
  } catch (e) {
    // A redelivery: answer 2xx so the platform stops retrying.
    if (e instanceof DomainError && e.code === 'duplicate_order') return json({ duplicate: true, number: e.params?.number });
    // Two deliveries of one order at the same moment: the loser trips the (channel, external id) key.
    if (e instanceof UniqueConstraintViolationException || (e as { code?: unknown } | null)?.code === '23505') {
      const existing = await db(context.orm.em.fork())
        .selectFrom('sales_order')
        .select('number')
        .where('channel_id', '=', channel.id)
        .where('external_id', '=', input.externalId?.trim() ?? '')
        .executeTakeFirst();
      if (existing) return json({ duplicate: true, number: existing.number });
    }
    throw e;
  }
}
