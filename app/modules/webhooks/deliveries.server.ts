// Durable webhook delivery.
//
// - The fan-out (runs in the worker, like the workflow dispatcher) reads committed outbox rows past its
//   cursor, and for each event and each enabled endpoint subscribed to its type writes one delivery row
//   (unique per endpoint and event: reading a row twice makes nothing twice), in one short transaction
//   that holds the cursor row. The cursor only moves past ids no open transaction can still commit
//   (see WebhookCursor), so an event committed late is not skipped.
// - Each delivery row gets its own Temporal workflow, `webhook-delivery-<id>` (started once: a second
//   start of the same id is refused and counted as done). Rows whose workflow is not started yet (Temporal
//   was down, the worker died) are started by every pass, so nothing is lost on a restart.
// - The workflow (workflows/webhook.ts) calls `attemptDelivery` until the endpoint answers 2xx, sleeping
//   with exponential back-off, for up to three days. Every attempt is recorded; an endpoint failing
//   too long (WEBHOOK_DISABLE_AFTER consecutive failed attempts, or failing for 24 h) is disabled and
//   the admins are alerted (bell and mail).
import crypto from 'node:crypto';
import pg from 'pg';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { audit, SYSTEM, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { SsrfRefused } from '../../lib/ssrf.server.ts';
import { raiseStaffAlert } from '../notifications/alerts.server.ts';
import { SOURCE_OUTBOX_TYPES, webhookBody, webhookEventOf } from './events.ts';
import { signedHeaders } from './signing.server.ts';
import { allowedHosts, OutboundFailed, sendOutbound } from './http.server.ts';

/** Settings of delivery (environment; the tests shorten them). */
export interface DeliverySettings {
  /** First back-off; doubled each attempt. */
  retryBaseMs: number;
  /** Longest back-off between two attempts. */
  retryMaxMs: number;
  /** How long a delivery keeps trying before it gives up. */
  horizonMs: number;
  /** Deadline of one attempt. */
  timeoutMs: number;
  /** Consecutive failed attempts after which an endpoint is disabled. */
  disableAfter: number;
  /** An endpoint failing without a success for this long is disabled too. */
  disableAfterMs: number;
}

const num = (v: string | undefined, fallback: number) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : fallback);

export function deliverySettings(env: Record<string, string | undefined> = process.env): DeliverySettings {
  return {
    retryBaseMs: num(env.WEBHOOK_RETRY_BASE_MS, 5_000),
    retryMaxMs: num(env.WEBHOOK_RETRY_MAX_MS, 60 * 60_000),
    horizonMs: num(env.WEBHOOK_RETRY_HORIZON_MS, 3 * 24 * 60 * 60_000),
    timeoutMs: num(env.WEBHOOK_TIMEOUT_MS, 10_000),
    disableAfter: num(env.WEBHOOK_DISABLE_AFTER, 20),
    disableAfterMs: num(env.WEBHOOK_DISABLE_AFTER_MS, 24 * 60 * 60_000),
  };
}

/** What the delivery workflow is started with (its retry schedule is fixed for its whole life). */
export interface DeliveryWorkflowInput {
  deliveryId: number;
  retryBaseMs: number;
  retryMaxMs: number;
  horizonMs: number;
}

export const deliveryWorkflowId = (deliveryId: number) => `webhook-delivery-${deliveryId}`;

const BATCH = 500;
const CURSOR = 'outbox';
/** The first 1 KB of an answer is kept with its attempt. */
export const EXCERPT_BYTES = 1024;

interface Log {
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}

/**
 * One pass of the fan-out over the outbox: deliveries for the events past the cursor; returns the ids
 * of the deliveries it made and whether more events are waiting.
 */
export async function fanOutPass(orm: MikroORM): Promise<{ created: number[]; more: boolean }> {
  return orm.em.fork().transactional(async (em) => {
    const k = db(em);
    await k
      .insertInto('webhook_cursor')
      .values({ name: CURSOR, last_id: sql<number>`(select coalesce(max(id), 0) from outbox_event)`, updated_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const cursor = await k.selectFrom('webhook_cursor').selectAll().where('name', '=', CURSOR).forUpdate().executeTakeFirstOrThrow();
    const lastId = Number(cursor.last_id);
    const snap = await em.execute<{ xmin: string }[]>(`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`);
    const xminNow = Number(snap[0].xmin);
    const events = await k
      .selectFrom('outbox_event')
      .select(['id', 'type', 'payload', 'created_at'])
      .where('id', '>', lastId)
      .where('type', 'in', [...SOURCE_OUTBOX_TYPES])
      .orderBy('id')
      .limit(BATCH)
      .execute();
    const rows = events.flatMap((e) => {
      const type = webhookEventOf(e.type, e.payload ?? {});
      const at = new Date(e.created_at);
      return type ? [{ id: Number(e.id), type, at: at.toISOString(), body: webhookBody(type, at, e.payload ?? {}) }] : [];
    });
    let created: number[] = [];
    if (rows.length) {
      const r = await em.execute<{ id: string }[]>(
        `insert into webhook_delivery (endpoint_id, dedupe_key, outbox_event_id, event_type, body, status, attempts, created_at)
         select ep.id, 'event:' || e.id, e.id, e.type, e.body, 'pending', 0, now()
           from unnest(?::bigint[], ?::text[], ?::text[], ?::timestamptz[]) as e(id, type, body, at)
           join webhook_endpoint ep on ep.enabled and ep.event_types @> jsonb_build_array(e.type) and ep.created_at <= e.at
          order by e.id, ep.id
         on conflict (endpoint_id, dedupe_key) do nothing
         returning id`,
        [`{${rows.map((x) => x.id).join(',')}}`, pgArray(rows.map((x) => x.type)), pgArray(rows.map((x) => x.body)), pgArray(rows.map((x) => x.at))],
      );
      created = r.map((x) => Number(x.id));
    }
    // The cursor moves to the outbox sequence a former pass saw, once no transaction older than it is open.
    const full = events.length === BATCH;
    let next = lastId;
    let pendingSeq = cursor.pending_seq == null ? null : Number(cursor.pending_seq);
    let pendingXmax = cursor.pending_xmax == null ? null : Number(cursor.pending_xmax);
    if (pendingSeq !== null && pendingXmax !== null && xminNow >= pendingXmax) {
      next = Math.max(lastId, full ? Math.min(pendingSeq, Number(events.at(-1)!.id)) : pendingSeq);
      if (next >= pendingSeq) pendingSeq = pendingXmax = null;
    }
    if (pendingSeq === null) {
      const seq = await em.execute<{ seq: string }[]>(`select last_value::text as seq from outbox_event_id_seq`);
      const after = await em.execute<{ xmax: string }[]>(`select pg_snapshot_xmax(pg_current_snapshot())::text as xmax`);
      pendingSeq = Number(seq[0].seq);
      pendingXmax = Number(after[0].xmax);
    }
    await k
      .updateTable('webhook_cursor')
      .set({ last_id: next, pending_seq: pendingSeq, pending_xmax: pendingXmax, updated_at: new Date() })
      .where('name', '=', CURSOR)
      .execute();
    return { created, more: full };
  });
}

/** A text[] literal of any strings. */
const pgArray = (items: readonly string[]) => `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

/**
 * Starts the workflow of every pending delivery that has none yet (a second start of the same id is
 * refused by Temporal: counted as started). Returns how many were started; throws when Temporal is down.
 */
export async function startPendingDeliveries(orm: MikroORM, client: Client, taskQueue: string, settings: DeliverySettings): Promise<number> {
  const em = orm.em.fork();
  const due = await db(em)
    .selectFrom('webhook_delivery')
    .select('id')
    .where('status', '=', 'pending')
    .where('workflow_started_at', 'is', null)
    .orderBy('id')
    .limit(200)
    .execute();
  let started = 0;
  for (const { id } of due) {
    const deliveryId = Number(id);
    const input: DeliveryWorkflowInput = { deliveryId, retryBaseMs: settings.retryBaseMs, retryMaxMs: settings.retryMaxMs, horizonMs: settings.horizonMs };
    try {
      await client.workflow.start('webhookDelivery', {
        taskQueue,
        workflowId: deliveryWorkflowId(deliveryId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    }
    await db(em).updateTable('webhook_delivery').set({ workflow_started_at: new Date() }).where('id', '=', deliveryId).execute();
    started++;
  }
  return started;
}

export type AttemptOutcome = 'succeeded' | 'retry' | 'failed' | 'cancelled';

/** The secrets that sign now: the current one, and the one before it until its overlap ends. */
export function signingSecrets(ep: { secret: string; previous_secret: string | null; previous_secret_expires_at: Date | string | null }, now = new Date()) {
  const overlap = ep.previous_secret && ep.previous_secret_expires_at && new Date(ep.previous_secret_expires_at) > now;
  return overlap ? [ep.secret, ep.previous_secret!] : [ep.secret];
}

/**
 * One attempt of a delivery (the delivery workflow's activity): signs and POSTs the body, records the
 * attempt (status, code, latency, first 1 KB, error) and its effect on the delivery and the endpoint.
 * An attempt already recorded under this number (the activity ran again after a crash) is not sent again.
 */
export async function attemptDelivery(orm: MikroORM, deliveryId: number, attempt: number, settings: DeliverySettings): Promise<AttemptOutcome> {
  const em = orm.em.fork();
  const d = await db(em)
    .selectFrom('webhook_delivery as d')
    .innerJoin('webhook_endpoint as ep', 'ep.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.status',
      'd.body',
      'd.event_type',
      'ep.id as endpoint_id',
      'ep.url',
      'ep.enabled',
      'ep.secret',
      'ep.previous_secret',
      'ep.previous_secret_expires_at',
    ])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
  if (!d) return 'cancelled';
  if (d.status !== 'pending') return d.status;
  if (!d.enabled) {
    await finishDelivery(em, deliveryId, 'cancelled');
    return 'cancelled';
  }
  const before = await db(em)
    .selectFrom('webhook_attempt')
    .select('ok')
    .where('delivery_id', '=', deliveryId)
    .where('attempt', '=', attempt)
    .executeTakeFirst();
  if (before) return before.ok ? 'succeeded' : 'retry';
  const at = new Date();
  const headers = { 'content-type': 'application/json', ...signedHeaders(signingSecrets(d, at), `msg_${deliveryId}`, at, d.body) };
  let result: { ok: boolean; statusCode: number | null; latencyMs: number; excerpt: string | null; error: string | null };
  try {
    const res = await sendOutbound(
      { method: 'POST', url: d.url, headers, body: d.body, timeoutMs: settings.timeoutMs, maxBytes: EXCERPT_BYTES },
      await allowedHosts(em),
    );
    const ok = res.status >= 200 && res.status < 300;
    result = { ok, statusCode: res.status, latencyMs: res.latencyMs, excerpt: res.body, error: ok ? null : `HTTP ${res.status}` };
  } catch (e) {
    if (e instanceof SsrfRefused) result = { ok: false, statusCode: null, latencyMs: 0, excerpt: null, error: `refused: ${e.message}` };
    else if (e instanceof OutboundFailed) result = { ok: false, statusCode: null, latencyMs: e.latencyMs, excerpt: null, error: e.message };
    else throw e;
  }
  return orm.em.fork().transactional(async (tx) => {
    const k = db(tx);
    const inserted = await k
      .insertInto('webhook_attempt')
      .values({
        delivery_id: deliveryId,
        attempt,
        at,
        ok: result.ok,
        status_code: result.statusCode,
        latency_ms: result.latencyMs,
        response_excerpt: result.excerpt === null ? null : clean(result.excerpt),
        error: result.error === null ? null : clean(result.error).slice(0, 2000),
      })
      .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
      .returning('id')
      .execute();
    if (!inserted.length) return result.ok ? 'succeeded' : 'retry';
    await k
      .updateTable('webhook_delivery')
      .set({
        attempts: sql<number>`attempts + 1`,
        last_status_code: result.statusCode,
        last_error: result.error,
        ...(result.ok ? { status: 'succeeded' as const, completed_at: new Date() } : {}),
      })
      .where('id', '=', deliveryId)
      .execute();
    if (result.ok) {
      await k.updateTable('webhook_endpoint').set({ consecutive_failures: 0, failing_since: null }).where('id', '=', d.endpoint_id).execute();
      return 'succeeded';
    }
    const ep = await k
      .updateTable('webhook_endpoint')
      .set({ consecutive_failures: sql<number>`consecutive_failures + 1`, failing_since: sql<Date>`coalesce(failing_since, now())` })
      .where('id', '=', d.endpoint_id)
      .returning(['consecutive_failures', 'failing_since', 'enabled', 'url'])
      .executeTakeFirstOrThrow();
    const failingMs = ep.failing_since ? Date.now() - new Date(ep.failing_since).getTime() : 0;
    if (ep.enabled && (ep.consecutive_failures >= settings.disableAfter || failingMs >= settings.disableAfterMs))
      await disableFailingEndpoint(tx, d.endpoint_id, ep.url, ep.consecutive_failures);
    return 'retry';
  });
}

/** Text PostgreSQL stores (no NUL) from whatever an endpoint answered. */
const clean = (s: string) => s.replace(/\u0000/g, '').toWellFormed();

async function finishDelivery(em: EntityManager, deliveryId: number, status: 'failed' | 'cancelled'): Promise<void> {
  await db(em).updateTable('webhook_delivery').set({ status, completed_at: new Date() }).where('id', '=', deliveryId).where('status', '=', 'pending').execute();
}

/** The delivery's last attempt is over and it still failed: given up (the workflow's end). */
export async function giveUpDelivery(orm: MikroORM, deliveryId: number): Promise<void> {
  await finishDelivery(orm.em.fork(), deliveryId, 'failed');
}

/** Disables an endpoint that keeps failing, in tx: its pending deliveries stop, the admins are alerted (bell and mail), audited. */
async function disableFailingEndpoint(tx: EntityManager, endpointId: number, url: string, failures: number): Promise<void> {
  const reason = 'consecutive_failures';
  await db(tx).updateTable('webhook_endpoint').set({ enabled: false, disabled_reason: reason, updated_at: new Date() }).where('id', '=', endpointId).execute();
  audit(tx, SYSTEM, {
    action: 'webhook.endpoint_disabled',
    entityType: 'WebhookEndpoint',
    entityId: endpointId,
    before: { enabled: true },
    after: { enabled: false, reason, failures },
  });
  await raiseStaffAlert(
    tx,
    {
      key: `webhook-endpoint-${endpointId}-disabled-${crypto.randomUUID()}`,
      workflowId: `webhook-endpoint-${endpointId}`,
      nodeId: 'webhooks',
      message: `Webhook endpoint ${url} was disabled after ${failures} failed delivery attempts in a row.`,
      severity: 'critical',
      sla: null,
      roles: ['admin'],
      subject: url,
      promisedBy: null,
      href: `/settings/webhooks/${endpointId}`,
      messageKey: 'webhooks.alert.disabled',
      params: { url, failures },
    },
    SYSTEM,
  );
  await tx.flush();
}

/** A new delivery of a delivered (or failed) event to the same endpoint: an admin's "redeliver". */
export async function redeliver(orm: MikroORM, deliveryId: number, actor: Actor): Promise<{ id: number }> {
  return orm.em.fork().transactional(async (em) => {
    const k = db(em);
    const d = await k.selectFrom('webhook_delivery').selectAll().where('id', '=', deliveryId).forUpdate().executeTakeFirst();
    if (!d) throw new DomainError(404, 'not_found', `no delivery ${deliveryId}`);
    const n = await k
      .selectFrom('webhook_delivery')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('endpoint_id', '=', d.endpoint_id)
      .where('redelivery_of', '=', Number(d.redelivery_of ?? d.id))
      .executeTakeFirstOrThrow();
    const root = Number(d.redelivery_of ?? d.id);
    const created = await k
      .insertInto('webhook_delivery')
      .values({
        endpoint_id: d.endpoint_id,
        dedupe_key: `${d.dedupe_key.replace(/:redeliver:\d+$/, '')}:redeliver:${Number(n.n) + 1}`,
        outbox_event_id: d.outbox_event_id,
        event_type: d.event_type,
        body: d.body,
        status: 'pending',
        attempts: 0,
        redelivery_of: root,
        created_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    audit(em, actor, {
      action: 'webhook.redelivered',
      entityType: 'WebhookEndpoint',
      entityId: d.endpoint_id,
      after: { deliveryId: Number(created.id), of: deliveryId, eventType: d.event_type },
    });
    return { id: Number(created.id) };
  });
}

/**
 * A delivery a flow's `http.sendWebhook` step asks for (once per step key): `data` as the body's data,
 * `type` as its type. Returns the delivery (made now or by the same key before).
 */
export async function deliverFromStep(
  orm: MikroORM,
  input: { endpointId: number; key: string; type: string; data: Record<string, unknown> },
  actor: Actor,
): Promise<{ id: number; created: boolean }> {
  return orm.em.fork().transactional(async (em) => {
    const k = db(em);
    const ep = await k.selectFrom('webhook_endpoint').select(['id', 'enabled']).where('id', '=', input.endpointId).executeTakeFirst();
    if (!ep) throw new DomainError(404, 'webhook_endpoint_not_found', `no webhook endpoint ${input.endpointId}`);
    if (!ep.enabled) throw new DomainError(409, 'webhook_endpoint_disabled', `webhook endpoint ${input.endpointId} is disabled`);
    const dedupe = `step:${input.key}`;
    const made = await k
      .insertInto('webhook_delivery')
      .values({
        endpoint_id: ep.id,
        dedupe_key: dedupe,
        outbox_event_id: null,
        event_type: input.type,
        body: webhookBody(input.type, new Date(), input.data),
        status: 'pending',
        attempts: 0,
        created_at: new Date(),
      })
      .onConflict((oc) => oc.columns(['endpoint_id', 'dedupe_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (made) {
      audit(em, actor, {
        action: 'webhook.step_delivery',
        entityType: 'WebhookEndpoint',
        entityId: ep.id,
        after: { deliveryId: Number(made.id), key: input.key },
      });
      return { id: Number(made.id), created: true };
    }
    const found = await k
      .selectFrom('webhook_delivery')
      .select('id')
      .where('endpoint_id', '=', ep.id)
      .where('dedupe_key', '=', dedupe)
      .executeTakeFirstOrThrow();
    return { id: Number(found.id), created: false };
  });
}

export interface WebhookFanout {
  wake(): void;
  stop(): Promise<void>;
}

/**
 * The fan-out loop (in the worker): a pass on NOTIFY outbox and every `pollMs`; each pass makes the
 * deliveries, then starts the workflows not started yet (Temporal down: they wait for a later pass).
 */
export function startWebhookFanout(opts: {
  orm: MikroORM;
  databaseUrl: string;
  temporal: () => Promise<Client>;
  taskQueue: string;
  settings?: DeliverySettings;
  pollMs?: number;
  log?: Log;
}): WebhookFanout {
  const log = opts.log ?? console;
  const settings = opts.settings ?? deliverySettings();
  let closing = false;
  let running: Promise<void> | null = null;
  let again = false;
  let lastWarn = 0;
  let listener: pg.Client | null = null;
  const warn = (m: string) => {
    if (Date.now() - lastWarn < 60_000) return;
    lastWarn = Date.now();
    log.warn(m);
  };
  const loop = async () => {
    do {
      again = false;
      try {
        const r = await fanOutPass(opts.orm);
        if (r.more) again = true;
      } catch (e) {
        warn(`webhook fan-out pass failed: ${(e as Error).message}`);
      }
      try {
        await startPendingDeliveries(opts.orm, await opts.temporal(), opts.taskQueue, settings);
      } catch (e) {
        warn(`webhook deliveries wait for Temporal: ${(e as Error).message}`);
      }
    } while (again && !closing);
  };
  const kick = () => {
    if (closing) return;
    if (running) {
      again = true;
      return;
    }
    running = loop()
      .catch((e) => log.error('webhook fan-out failed', e))
      .finally(() => {
        running = null;
      });
  };
  const poll = setInterval(kick, opts.pollMs ?? 2_000);
  const listen = async () => {
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    client.on('notification', () => setTimeout(kick, 50));
    client.on('error', () => {
      void client.end().catch(() => {});
      if (!closing) setTimeout(() => void listen().catch(() => {}), 1000);
    });
    await client.connect();
    await client.query('LISTEN outbox');
    if (closing) await client.end();
    else listener = client;
  };
  void listen().catch((e) => warn(`LISTEN outbox failed (${(e as Error).message}); polling meanwhile`));
  kick();
  return {
    wake: kick,
    async stop() {
      closing = true;
      clearInterval(poll);
      await listener?.end().catch(() => {});
      await running;
    },
  };
}
