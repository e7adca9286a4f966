// Settings → Webhooks: endpoints (URL, event types, secret shown once, rotation with a 24 h overlap,
// enable / disable, delete), the allow-list of private hosts, and the delivery log. Every change is
// audited in its transaction; bad input is refused with field errors and writes nothing.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/problem.ts';
import { normalHost, resolveTarget, SsrfRefused, type Resolver, type SsrfCode } from '../../lib/ssrf.server.ts';
import { formErrors, toText } from '../settings/form.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.ts';
import { allowedHosts } from './http.server.ts';
import { newSecret } from './signing.server.ts';

const NS = 'webhooks';
/** How long the secret before a rotation keeps signing beside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60_000;
export const MAX_ENDPOINTS = 50;

const SSRF_CODES: Record<SsrfCode, string> = {
  bad_url: 'urlInvalid',
  bad_scheme: 'urlScheme',
  credentials_in_url: 'urlCredentials',
  unresolvable: 'urlUnresolvable',
  private_address: 'urlPrivate',
};

const EndpointInput = z.strictObject({
  url: z.string({ error: 'urlRequired' }).trim().min(1, 'urlRequired').max(2048, 'urlTooLong'),
  description: z.preprocess(toText, z.string({ error: 'descriptionTooLong' }).max(200, 'descriptionTooLong').optional()),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: 'eventTypeInvalid' }), { error: 'eventTypesRequired' })
    .min(1, 'eventTypesRequired')
    .max(50),
});
export type EndpointInput = z.infer<typeof EndpointInput>;

const HostInput = z.strictObject({
  host: z
    .string({ error: 'hostRequired' })
    .trim()
    .min(1, 'hostRequired')
    .max(253, 'hostInvalid')
    .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*|[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?)$/, 'hostInvalid'),
});

/** A form's fields (or a JSON body) as EndpointInput reads them: eventTypes from repeated checkboxes. */
export function endpointFromForm(form: FormData): Record<string, unknown> {
  const text = (k: string) => {
    const v = form.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  return { url: text('url'), description: text('description'), eventTypes: form.getAll('eventTypes').filter((v) => typeof v === 'string') };
}

const ssrfError = (e: SsrfRefused): FieldError => ({ field: 'url', code: SSRF_CODES[e.code], messageKey: `${NS}.errors.${SSRF_CODES[e.code]}`, params: {} });

/** The input checked (422 naming each field at fault), its URL judged by the SSRF guard with the current allow-list. */
async function checkEndpoint(em: EntityManager, raw: unknown, resolve?: Resolver): Promise<EndpointInput> {
  const r = EndpointInput.safeParse(raw);
  if (!r.success) throw invalid(formErrors(r.error, NS, raw));
  try {
    await resolveTarget(r.data.url, await allowedHosts(em), resolve);
  } catch (e) {
    if (e instanceof SsrfRefused) throw invalid([ssrfError(e)]);
    throw e;
  }
  return { ...r.data, eventTypes: [...new Set(r.data.eventTypes)] };
}

export interface EndpointView {
  id: number;
  url: string;
  description: string | null;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  rotatedUntil: string | null;
  createdAt: string;
  deliveries: number;
  failed: number;
}

export async function listEndpoints(em: EntityManager): Promise<EndpointView[]> {
  const rows = await db(em)
    .selectFrom('webhook_endpoint as ep')
    .leftJoin('webhook_delivery as d', 'd.endpoint_id', 'ep.id')
    .select((eb) => [
      'ep.id',
      'ep.url',
      'ep.description',
      'ep.event_types',
      'ep.enabled',
      'ep.disabled_reason',
      'ep.consecutive_failures',
      'ep.previous_secret_expires_at',
      'ep.created_at',
      eb.fn.count<string>('d.id').as('deliveries'),
      eb.fn.count<string>('d.id').filterWhere('d.status', '=', 'failed').as('failed'),
    ])
    .groupBy('ep.id')
    .orderBy('ep.id')
    .execute();
  return rows.map(view);
}

function view(r: {
  id: number;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  previous_secret_expires_at: Date | string | null;
  created_at: Date | string;
  deliveries?: string | number;
  failed?: string | number;
}): EndpointView {
  const until = r.previous_secret_expires_at ? new Date(r.previous_secret_expires_at) : null;
  return {
    id: Number(r.id),
    url: r.url,
    description: r.description,
    eventTypes: (r.event_types ?? []) as WebhookEventType[],
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    consecutiveFailures: r.consecutive_failures,
    rotatedUntil: until && until > new Date() ? until.toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
    deliveries: Number(r.deliveries ?? 0),
    failed: Number(r.failed ?? 0),
  };
}

export async function getEndpoint(em: EntityManager, id: number): Promise<EndpointView | null> {
  const r = await db(em).selectFrom('webhook_endpoint').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? view(r) : null;
}

/** A new endpoint; its secret is returned here once and never shown again. */
export async function createEndpoint(orm: MikroORM, raw: unknown, actor: Actor, resolve?: Resolver): Promise<{ endpoint: EndpointView; secret: string }> {
  return orm.em.fork().transactional(async (em) => {
    const input = await checkEndpoint(em, raw, resolve);
    const count = await db(em)
      .selectFrom('webhook_endpoint')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_ENDPOINTS) throw invalid([{ field: '_', code: 'tooMany', messageKey: `${NS}.errors.tooMany`, params: { max: MAX_ENDPOINTS } }]);
    const secret = newSecret();
    const now = new Date();
    const row = await db(em)
      .insertInto('webhook_endpoint')
      .values({
        url: input.url,
        description: input.description ?? null,
        event_types: JSON.stringify(input.eventTypes) as unknown as string[],
        secret,
        enabled: true,
        consecutive_failures: 0,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    audit(em, actor, {
      action: 'webhook.endpoint_created',
      entityType: 'WebhookEndpoint',
      entityId: row.id,
      after: { url: input.url, description: input.description ?? null, eventTypes: input.eventTypes },
    });
    return { endpoint: view(row), secret };
  });
}

async function lockEndpoint(em: EntityManager, id: number) {
  const row = await db(em).selectFrom('webhook_endpoint').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw new DomainError(404, 'not_found', `no webhook endpoint ${id}`);
  return row;
}

export async function updateEndpoint(orm: MikroORM, id: number, raw: unknown, actor: Actor, resolve?: Resolver): Promise<{ changed: string[] }> {
  return orm.em.fork().transactional(async (em) => {
    const input = await checkEndpoint(em, raw, resolve);
    const before = await lockEndpoint(em, id);
    const after = { url: input.url, description: input.description ?? null, eventTypes: input.eventTypes };
    const was = { url: before.url, description: before.description, eventTypes: before.event_types };
    const changed = (Object.keys(after) as (keyof typeof after)[]).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(was[k]));
    if (!changed.length) return { changed };
    await db(em)
      .updateTable('webhook_endpoint')
      .set({ url: after.url, description: after.description, event_types: JSON.stringify(after.eventTypes) as unknown as string[], updated_at: new Date() })
      .where('id', '=', id)
      .execute();
    audit(em, actor, { action: 'webhook.endpoint_updated', entityType: 'WebhookEndpoint', entityId: id, before: was, after });
    return { changed };
  });
}

/** Turns an endpoint on (its failure count starts again) or off (its pending deliveries stop at their next attempt). */
export async function setEndpointEnabled(orm: MikroORM, id: number, enabled: boolean, actor: Actor): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    const before = await lockEndpoint(em, id);
    if (before.enabled === enabled) return;
    await db(em)
      .updateTable('webhook_endpoint')
      .set({ enabled, disabled_reason: enabled ? null : 'manual', consecutive_failures: 0, failing_since: null, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
    audit(em, actor, {
      action: enabled ? 'webhook.endpoint_enabled' : 'webhook.endpoint_disabled',
      entityType: 'WebhookEndpoint',
      entityId: id,
      before: { enabled: before.enabled, disabledReason: before.disabled_reason },
      after: { enabled, disabledReason: enabled ? null : 'manual' },
    });
  });
}

/** A new secret (returned once); the old one keeps signing beside it for ROTATION_OVERLAP_MS. */
export async function rotateSecret(orm: MikroORM, id: number, actor: Actor, now = new Date()): Promise<{ secret: string; overlapUntil: string }> {
  return orm.em.fork().transactional(async (em) => {
    const before = await lockEndpoint(em, id);
    const secret = newSecret();
    const until = new Date(now.getTime() + ROTATION_OVERLAP_MS);
    await db(em)
      .updateTable('webhook_endpoint')
      .set({ secret, previous_secret: before.secret, previous_secret_expires_at: until, updated_at: now })
      .where('id', '=', id)
      .execute();
    audit(em, actor, { action: 'webhook.secret_rotated', entityType: 'WebhookEndpoint', entityId: id, after: { overlapUntil: until.toISOString() } });
    return { secret, overlapUntil: until.toISOString() };
  });
}

export async function deleteEndpoint(orm: MikroORM, id: number, actor: Actor): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    const before = await lockEndpoint(em, id);
    await db(em).deleteFrom('webhook_endpoint').where('id', '=', id).execute();
    audit(em, actor, {
      action: 'webhook.endpoint_deleted',
      entityType: 'WebhookEndpoint',
      entityId: id,
      before: { url: before.url, eventTypes: before.event_types },
    });
  });
}

export async function listAllowedHosts(em: EntityManager): Promise<string[]> {
  return (await db(em).selectFrom('webhook_allowed_host').select('host').orderBy('host').execute()).map((r) => r.host);
}

/** Allows calls to a private host (a name or an address) from webhooks and the HTTP step. */
export async function allowHost(orm: MikroORM, raw: unknown, actor: Actor): Promise<{ host: string; created: boolean }> {
  const r = HostInput.safeParse(raw);
  if (!r.success) throw invalid(formErrors(r.error, NS, raw));
  const host = normalHost(r.data.host);
  return orm.em.fork().transactional(async (em) => {
    const made = await db(em)
      .insertInto('webhook_allowed_host')
      .values({ host, created_at: new Date() })
      .onConflict((oc) => oc.column('host').doNothing())
      .returning('host')
      .execute();
    if (made.length) audit(em, actor, { action: 'webhook.host_allowed', entityType: 'WebhookAllowedHost', entityId: host, after: { host } });
    return { host, created: made.length > 0 };
  });
}

export async function disallowHost(orm: MikroORM, raw: unknown, actor: Actor): Promise<void> {
  const host = typeof raw === 'string' ? normalHost(raw) : '';
  await orm.em.fork().transactional(async (em) => {
    const gone = await db(em).deleteFrom('webhook_allowed_host').where('host', '=', host).returning('host').execute();
    if (!gone.length) throw new DomainError(404, 'not_found', `host ${host} is not allowed`);
    audit(em, actor, { action: 'webhook.host_disallowed', entityType: 'WebhookAllowedHost', entityId: host, before: { host } });
  });
}

export interface DeliveryView {
  id: number;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  completedAt: string | null;
  redeliveryOf: number | null;
  tries: { attempt: number; at: string; ok: boolean; statusCode: number | null; latencyMs: number; excerpt: string | null; error: string | null }[];
}

/** The endpoint's latest deliveries, newest first, each with its attempts. */
export async function listDeliveries(em: EntityManager, endpointId: number, limit = 50): Promise<DeliveryView[]> {
  const rows = await db(em)
    .selectFrom('webhook_delivery')
    .select(['id', 'event_type', 'status', 'attempts', 'last_status_code', 'last_error', 'created_at', 'completed_at', 'redelivery_of'])
    .where('endpoint_id', '=', endpointId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const ids = rows.map((r) => Number(r.id));
  const tries = ids.length
    ? await db(em).selectFrom('webhook_attempt').selectAll().where('delivery_id', 'in', ids).orderBy('delivery_id').orderBy('attempt').execute()
    : [];
  return rows.map((r) => ({
    id: Number(r.id),
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
    redeliveryOf: r.redelivery_of == null ? null : Number(r.redelivery_of),
    tries: tries
      .filter((t) => Number(t.delivery_id) === Number(r.id))
      .map((t) => ({
        attempt: t.attempt,
        at: new Date(t.at).toISOString(),
        ok: t.ok,
        statusCode: t.status_code,
        latencyMs: t.latency_ms,
        excerpt: t.response_excerpt,
        error: t.error,
      })),
  }));
}
