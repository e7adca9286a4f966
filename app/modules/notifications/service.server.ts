// Email notifications: written in the transaction of the event they announce, sent by the worker over
// SMTP (nodemailer), kept as `held` in the console's outbox when no SMTP is configured. Customer mail
// (below) is one per order and template; staff alerts and purchase orders to suppliers go through
// `enqueueMail`, one per idempotency key.
//
// Use from any module, inside the transaction that makes the change:
//
//   await enqueueNotification(em, { orderId, template: 'order_confirmation' });  // order intake
//   await enqueueNotification(em, { orderId, template: 'order_shipped' });       // after the shipment rows are inserted
//   await enqueueNotification(em, { orderId, template: 'order_delivered' });     // when the order becomes delivered
//
// `order_shipped` lists every shipment of the order (carrier, tracking number, the carrier's
// tracking link from Carrier.trackingUrlTemplate) unless `data.shipments` is given; `order_delivered`
// takes the latest Shipment.deliveredAt (or now) unless `data.deliveredAt` is given. One mail per
// order and template: enqueueing again (a retried workflow step, a second parcel) does nothing.
// Customer mail is rendered when it is sent (sendPending, in the worker), from the order as it is
// then: the transaction that enqueues it writes one row and reads nothing.
import { startListening } from '../../lib/listen.server.ts';
import nodemailer, { type Transporter } from 'nodemailer';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { NOTIFICATION_TEMPLATES, type Locale, type MailTemplate, type NotificationTemplate } from '../../../entities/constants.ts';
import type { Config } from '../../lib/config.server.ts';
import { db, prepare, sql } from '../../lib/db.server.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { recommendationsFor } from '../analytics/affinity.server.ts';
import { productPageUrl, storeProfile } from '../settings/store.server.ts';

export { senderName } from './sender.ts';
import { emailLocale, renderNotification, type RecommendedProduct, type RenderedEmail, type ShipmentInfo, type TemplateInputs } from './templates.ts';

/** The Postgres channel a new or retried notification is announced on (payload: its id). */
const NOTIFY_CHANNEL = 'notification';
export const MAX_ATTEMPTS = 5;

/** Optional per-template data; everything else is read from the order. */
export interface NotificationData {
  order_confirmation: Record<never, never>;
  order_shipped: { shipments?: ShipmentInfo[] };
  order_delivered: { deliveredAt?: Date | string; ratingUrl?: string };
  recommendations: Record<never, never>;
}

export type EnqueueInput = {
  [T in NotificationTemplate]: {
    orderId: number;
    template: T;
    data?: NotificationData[T];
    /** Base of the links in the mail; default PUBLIC_URL, else http://localhost:3000. */
    publicUrl?: string;
  };
}[NotificationTemplate];

/** The console's public base URL, for links in customer mail. */
export function publicUrl(env: Record<string, string | undefined> = process.env): string {
  return (env.PUBLIC_URL?.trim() || 'http://localhost:3000').replace(/\/+$/, '');
}

/** The customer's tracking page and the rating request on it. */
export const trackingPageUrl = (base: string, token: string) => `${base}/track/${encodeURIComponent(token)}`;
export const ratingUrl = (base: string, token: string) => `${trackingPageUrl(base, token)}?rate=1`;

const ENQUEUE = prepare(
  'notification_enqueue',
  `with ins as (
    insert into notification (order_id, template, locale, "to", data, status, attempts, created_at)
    select o.id, $2, c.locale, c.email, $3, 'queued', 0, now() from sales_order o join customer c on c.id = o.customer_id where o.id = $1
    on conflict (order_id, template) do nothing
    returning id)
  select id, pg_notify('${NOTIFY_CHANNEL}', id::text) from ins`,
);

/**
 * Queues a customer email in the caller's transaction (`em` must be the transaction's): one row,
 * rendered later by the sender (what `data` and `publicUrl` say is kept with it). Returns the new
 * row's id, or null when this order already has this mail. After commit, Postgres NOTIFYs
 * `notification` and the sender wakes.
 */
export async function enqueueNotification(em: EntityManager, input: EnqueueInput): Promise<number | null> {
  const row = await enqueueNotificationRow(em, input);
  return row.queued ? row.id : null;
}

const QUEUED = prepare('notification_of_order', 'select id from notification where order_id = $1 and template = $2');

/** `enqueueNotification` that answers the row either way: the new one (`queued`), or the one the order already has. */
export async function enqueueNotificationRow(em: EntityManager, input: EnqueueInput): Promise<{ id: number; queued: boolean }> {
  const kept = input.data !== undefined || input.publicUrl !== undefined ? JSON.stringify({ data: input.data, publicUrl: input.publicUrl }) : null;
  const [row] = await sql<{ id: number }>(em, ENQUEUE, [input.orderId, input.template, kept]);
  if (row) return { id: Number(row.id), queued: true };
  const [exists] = await sql<{ id: number }>(em, QUEUED, [input.orderId, input.template]);
  if (!exists) throw new DomainError(404, 'not_found', `Order ${input.orderId} does not exist.`);
  return { id: Number(exists.id), queued: false };
}

const ENQUEUE_MANY = prepare(
  'notification_enqueue_many',
  `with ins as (
    insert into notification (order_id, template, locale, "to", data, status, attempts, created_at)
    select o.id, $2, c.locale, c.email, null, 'queued', 0, now() from sales_order o join customer c on c.id = o.customer_id where o.id = any($1::int[])
    on conflict (order_id, template) do nothing
    returning id)
  select pg_notify('${NOTIFY_CHANNEL}', last::text) from (select max(id) as last from ins) x where last is not null`,
);

/** `enqueueNotification` of one template for many orders (intake's batches), in one statement. */
export async function enqueueNotifications(em: EntityManager, orderIds: readonly number[], template: EnqueueInput['template']): Promise<void> {
  if (orderIds.length) await sql(em, ENQUEUE_MANY, [orderIds, template]);
}

/** A customer email as it reads now: recipient, language, subject and body. */
async function renderCustomerMail(em: EntityManager, input: EnqueueInput): Promise<{ to: string; locale: Locale; mail: RenderedEmail }> {
  const o = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('customer as c', 'c.id', 'o.customer_id')
    .select([
      'o.number',
      'o.currency',
      'o.subtotal_minor',
      'o.shipping_minor',
      'o.tax_minor',
      'o.tax_included',
      'o.discount_minor',
      'o.total_minor',
      'o.placed_at',
      'o.tracking_token',
      'o.customer_id',
      'c.email',
      'c.name',
      'c.locale',
    ])
    .where('o.id', '=', input.orderId)
    .executeTakeFirst();
  if (!o) throw new DomainError(404, 'not_found', `Order ${input.orderId} does not exist.`);
  const lines = await db(em).selectFrom('order_line').select(['name', 'quantity', 'total_minor']).where('order_id', '=', input.orderId).orderBy('id').execute();

  const base = input.publicUrl?.replace(/\/+$/, '') || publicUrl();
  const summary: TemplateInputs['order_confirmation'] = {
    number: o.number,
    customerName: o.name,
    currency: o.currency,
    subtotalMinor: Number(o.subtotal_minor),
    shippingMinor: Number(o.shipping_minor),
    taxMinor: Number(o.tax_minor),
    taxIncluded: o.tax_included,
    discountMinor: Number(o.discount_minor),
    totalMinor: Number(o.total_minor),
    placedAt: o.placed_at,
    lines: lines.map((l) => ({ name: l.name, quantity: Number(l.quantity), totalMinor: Number(l.total_minor) })),
    trackingPageUrl: trackingPageUrl(base, o.tracking_token),
  };
  const locale = emailLocale(o.locale);
  let mail: RenderedEmail;
  if (input.template === 'order_confirmation') {
    mail = renderNotification('order_confirmation', locale, summary);
  } else if (input.template === 'recommendations') {
    mail = renderNotification('recommendations', locale, { ...summary, picks: await recommendedProducts(em, o.customer_id) });
  } else {
    const shipments = await db(em)
      .selectFrom('shipment as s')
      .innerJoin('carrier as c', 'c.id', 's.carrier_id')
      .select(['s.tracking_number', 's.delivered_at', 'c.name as carrier', 'c.tracking_url_template'])
      .where('s.order_id', '=', input.orderId)
      .orderBy('s.id')
      .execute();
    if (input.template === 'order_shipped') {
      const given = input.data?.shipments;
      const list =
        given ??
        shipments.map((s) => ({
          carrier: s.carrier,
          trackingNumber: s.tracking_number,
          trackingUrl: s.tracking_url_template ? s.tracking_url_template.replace('{tracking}', encodeURIComponent(s.tracking_number)) : null,
        }));
      mail = renderNotification('order_shipped', locale, { ...summary, shipments: list });
    } else {
      const latest = shipments
        .map((s) => s.delivered_at)
        .filter((d) => d != null)
        .map((d) => new Date(d))
        .sort((a, b) => b.getTime() - a.getTime())[0];
      mail = renderNotification('order_delivered', locale, {
        ...summary,
        deliveredAt: input.data?.deliveredAt ?? latest ?? new Date(),
        ratingUrl: input.data?.ratingUrl ?? ratingUrl(base, o.tracking_token),
      });
    }
  }

  return { to: o.email, locale, mail };
}

/** How many products a recommendations mail suggests. */
export const MAIL_RECOMMENDATIONS = 3;

/**
 * The products to suggest to a customer (product affinity: bought in the same order as something they
 * bought), with their price and their page in the shop.
 */
export async function recommendedProducts(em: EntityManager, customerId: number): Promise<RecommendedProduct[]> {
  const recs = await recommendationsFor(em, customerId, MAIL_RECOMMENDATIONS);
  if (!recs.length) return [];
  const { productUrl } = await storeProfile(em);
  const prices = await db(em)
    .selectFrom('product')
    .select(['id', 'price_minor', 'currency'])
    .where(
      'id',
      'in',
      recs.map((r) => r.productId),
    )
    .execute();
  return recs.map((r) => {
    const p = prices.find((x) => x.id === r.productId)!;
    return { name: r.name, priceMinor: Number(p.price_minor), currency: p.currency, because: r.because.name, url: productPageUrl(productUrl, r.sku) };
  });
}

/** Whether the order's customer has anything to be recommended (a recommendations mail with nothing in it is not sent). */
export async function hasRecommendations(em: EntityManager, orderId: number): Promise<boolean> {
  const o = await db(em).selectFrom('sales_order').select('customer_id').where('id', '=', orderId).executeTakeFirst();
  return o ? (await recommendationsFor(em, o.customer_id, 1)).length > 0 : false;
}

// ---- Staff and supplier mail ----

export interface MailInput {
  /** One mail per key: enqueueing the same key again (a retried step) does nothing. */
  key: string;
  template: Exclude<MailTemplate, NotificationTemplate>;
  to: string;
  locale: Locale;
  mail: RenderedEmail;
  /** Headers that thread the mail into a conversation (ticket replies): kept with the row and sent with it. */
  threading?: MailThreading;
}

/** A reply's place in its conversation. */
export interface MailThreading {
  /** The mail's own Message-ID (<…@…>), as the ticket recorded it. */
  messageId: string;
  inReplyTo?: string | null;
  references?: string[];
  /** Where the customer's answer should go (the ticket's plus-address). */
  replyTo?: string | null;
}

/**
 * Queues an already rendered staff or supplier mail in the caller's transaction. Returns the new
 * row's id, or null when a mail with this key exists. Such mail carries no order id: the
 * (order, template) uniqueness belongs to customer mail.
 */
export async function enqueueMail(em: EntityManager, input: MailInput): Promise<number | null> {
  const [row] = await em.execute<{ id: number }[]>(
    `with ins as (
       insert into notification (order_id, template, locale, "to", subject, text, html, data, status, attempts, created_at, idempotency_key)
       values (null, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, now(), ?)
       on conflict (idempotency_key) do nothing
       returning id)
     select id, pg_notify('${NOTIFY_CHANNEL}', id::text) from ins`,
    [
      input.template,
      input.locale,
      input.to,
      input.mail.subject.slice(0, 255),
      input.mail.text,
      input.mail.html,
      input.threading ? JSON.stringify({ threading: input.threading }) : null,
      input.key.slice(0, 255),
    ],
  );
  return row ? Number(row.id) : null;
}

/**
 * Records a queued mail as delivered without sending it: for history brought in from elsewhere (the demo's
 * earlier conversations), whose mail went out long ago. Audited.
 */
export async function markDelivered(em: EntityManager, id: number, actor: Actor): Promise<void> {
  const r = await db(em)
    .updateTable('notification')
    .set({ status: 'sent', sent_at: ksql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  if (r.length) audit(em, actor, { action: 'notification.imported_as_sent', entityType: 'Notification', entityId: id, after: { status: 'sent' } });
}

// ---- Sending ----

export type MailTransport = Pick<Transporter, 'sendMail'>;

export interface SendOptions {
  /** Rows handled in one call (default 20). */
  batch?: number;
  /** The From address; default: the transport's own default. */
  from?: string;
  maxAttempts?: number;
  /** Back-off after a failed attempt (stored with the row as `next_attempt_at`, so any worker, after any restart, keeps it). */
  retryDelayMs?: (attempts: number) => number;
}

export interface SendResult {
  sent: number;
  held: number;
  retrying: number;
  failed: number;
}

/** How long a sender holds a row it is sending; past it, another worker may take the row (the first one died). */
const SEND_LEASE_MS = 2 * 60_000;

/** 30 s, 1 min, 2 min, 4 min between attempts. */
const defaultRetryDelay = (attempts: number) => Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, attempts - 1));

const intArray = (ids: number[]) => `{${ids.map((n) => Math.trunc(n)).join(',')}}`;

interface QueuedRow {
  id: number;
  order_id: number | null;
  template: MailTemplate;
  data: { data?: unknown; publicUrl?: string } | null;
  unrendered: boolean;
}

/** Renders a customer mail that was queued unrendered into its row; returns what to send. */
async function renderQueued(em: EntityManager, row: QueuedRow): Promise<{ to: string; subject: string; text: string; html: string }> {
  if (row.order_id == null || !(NOTIFICATION_TEMPLATES as readonly string[]).includes(row.template))
    throw new Error(`Notification ${row.id} has no order to render from.`);
  const { to, locale, mail } = await renderCustomerMail(em, {
    orderId: Number(row.order_id),
    template: row.template,
    data: row.data?.data,
    publicUrl: row.data?.publicUrl,
  } as EnqueueInput);
  const subject = mail.subject.slice(0, 255);
  await db(em).updateTable('notification').set({ locale, to, subject, text: mail.text, html: mail.html }).where('id', '=', row.id).execute();
  return { to, subject, text: mail.text, html: mail.html };
}

/**
 * Delivers queued notifications that are due. Each row is claimed (FOR UPDATE SKIP LOCKED, then a lease)
 * in a short transaction of its own, so several workers never send the same mail, and sent with no
 * transaction open; the row is marked `sent`, or keeps its error and stays `queued` until its
 * `next_attempt_at` (stored, so the back-off holds across workers and restarts), and becomes `failed`
 * after `maxAttempts`.
 * Without a transport (no SMTP_URL) queued rows become `held` for the console. Customer mail is
 * rendered here, on its first try, and keeps that text for any retry.
 */
export async function sendPending(orm: MikroORM, transport: MailTransport | null, opts: SendOptions = {}): Promise<SendResult> {
  const result: SendResult = { sent: 0, held: 0, retrying: 0, failed: 0 };
  const batch = opts.batch ?? 20;
  if (!transport) {
    // Kept for the console, rendered so that it can be read there.
    return orm.em.fork().transactional(async (em) => {
      const rows: QueuedRow[] = await db(em)
        .selectFrom('notification')
        .select((eb) => ['id', 'order_id', 'template', 'data', eb('subject', 'is', null).$castTo<boolean>().as('unrendered')])
        .where('status', '=', 'queued')
        .orderBy('id')
        .limit(batch)
        .forUpdate()
        .skipLocked()
        .execute();
      const held: number[] = [];
      for (const row of rows) {
        try {
          if (row.unrendered) await renderQueued(em, row);
          held.push(Number(row.id));
        } catch (e) {
          await db(em)
            .updateTable('notification')
            .set({ status: 'failed', error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) })
            .where('id', '=', row.id)
            .execute();
          result.failed++;
        }
      }
      if (held.length) await db(em).updateTable('notification').set({ status: 'held' }).where('id', 'in', held).execute();
      result.held = held.length;
      return result;
    });
  }
  const maxAttempts = opts.maxAttempts ?? MAX_ATTEMPTS;
  const delay = opts.retryDelayMs ?? defaultRetryDelay;
  for (let i = 0; i < batch; i++) {
    // 1. Claim one due row, briefly: render it if need be and lease it (claimed_until), then commit. SMTP is
    //    never called inside a transaction, and a row leased by a worker that died is due again when its
    //    lease runs out, so a restart loses nothing.
    const claimed = await orm.em.fork().transactional(async (em) => {
      const row = await db(em)
        .selectFrom('notification')
        .select((eb) => [
          'id',
          'order_id',
          'template',
          'data',
          eb('subject', 'is', null).$castTo<boolean>().as('unrendered'),
          'to',
          'subject',
          'text',
          'html',
          'attempts',
        ])
        .where('status', '=', 'queued')
        .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', ksql<Date>`now()`)]))
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', ksql<Date>`now()`)]))
        .orderBy((eb) => eb.fn.coalesce('next_attempt_at', 'created_at'))
        .orderBy('id')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return null;
      const id = Number(row.id);
      try {
        const mail = row.unrendered ? await renderQueued(em, row) : { to: row.to, subject: row.subject!, text: row.text!, html: row.html! };
        const threading = (row.data as { threading?: MailThreading } | null)?.threading ?? null;
        const [{ lease }] = await em.execute<{ lease: string }[]>(
          `update notification set claimed_until = now() + ? * interval '1 millisecond' where id = ? returning claimed_until::text as lease`,
          [SEND_LEASE_MS, id],
        );
        return { id, attempts: Number(row.attempts), mail, lease, threading };
      } catch (e) {
        await db(em)
          .updateTable('notification')
          .set((eb) => ({ status: 'failed', attempts: eb('attempts', '+', 1), error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) }))
          .where('id', '=', id)
          .execute();
        return { id, failed: true as const };
      }
    });
    if (!claimed) break;
    if ('failed' in claimed) {
      result.failed++;
      continue;
    }
    // 2. Send, outside any transaction. The Message-ID is the row's own, so a mail resent after a crash
    //    between the server's OK and step 3 is recognisable as the same mail by the receiving side.
    let error: string | null = null;
    try {
      await transport.sendMail({
        ...(opts.from ? { from: opts.from } : {}),
        to: claimed.mail.to,
        subject: claimed.mail.subject,
        text: claimed.mail.text,
        html: claimed.mail.html,
        messageId: claimed.threading?.messageId ?? `<notification-${claimed.id}@order-console>`,
        ...(claimed.threading?.inReplyTo ? { inReplyTo: claimed.threading.inReplyTo } : {}),
        ...(claimed.threading?.references?.length ? { references: claimed.threading.references } : {}),
        ...(claimed.threading?.replyTo ? { replyTo: claimed.threading.replyTo } : {}),
        headers: { 'X-Order-Console-Notification': String(claimed.id) },
      });
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
    }
    // 3. Record the outcome, if the lease is still ours.
    const attempts = claimed.attempts + 1;
    const giveUp = error !== null && attempts >= maxAttempts;
    const outcome = error === null ? ('sent' as const) : giveUp ? ('failed' as const) : ('retrying' as const);
    await orm.em.fork().execute(
      `update notification set status = ?, attempts = ?, error = ?, sent_at = case when ? then now() else sent_at end,
              next_attempt_at = case when ? then now() + ? * interval '1 millisecond' else null end, claimed_until = null
        where id = ? and claimed_until = ?::timestamptz`,
      [
        error === null ? 'sent' : giveUp ? 'failed' : 'queued',
        attempts,
        error,
        error === null,
        outcome === 'retrying',
        outcome === 'retrying' ? delay(attempts) : 0,
        claimed.id,
        claimed.lease,
      ],
    );
    result[outcome]++;
  }
  return result;
}

export interface SenderOptions {
  /** Use this transport instead of one made from SMTP_URL (null: hold everything). */
  transport?: MailTransport | null;
  pollMs?: number;
  batch?: number;
  retryDelayMs?: (attempts: number) => number;
  log?: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void };
}

/**
 * Runs sendPending whenever a notification is committed (LISTEN `notification`) and every
 * `pollMs` (5 s) as a safety net. Returns stop(), which waits for the batch in hand.
 */
export function startNotificationSender(
  orm: MikroORM,
  config: Pick<Config, 'DATABASE_URL' | 'SMTP_URL' | 'MAIL_FROM'>,
  opts: SenderOptions = {},
): () => Promise<void> {
  const log = opts.log ?? { info: (...a: unknown[]) => console.log('[mail]', ...a), warn: (...a: unknown[]) => console.warn('[mail]', ...a) };
  const owned = opts.transport === undefined && config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL, { from: config.MAIL_FROM }) : null;
  const transport = opts.transport !== undefined ? opts.transport : owned;
  const batch = opts.batch ?? 20;
  log.info(transport ? 'sending customer email over SMTP' : 'no SMTP_URL: customer email is held in the console outbox');

  const stop = startListening({
    databaseUrl: config.DATABASE_URL,
    channel: NOTIFY_CHANNEL,
    pollMs: opts.pollMs,
    log,
    run: async () => {
      const r = await sendPending(orm, transport, { batch, from: config.MAIL_FROM, retryDelayMs: opts.retryDelayMs });
      if (r.failed) log.warn(`${r.failed} notification(s) failed for good`);
      return r.sent + r.held + r.retrying + r.failed >= batch;
    },
  });
  return async () => {
    await stop();
    owned?.close();
  };
}

// ---- Console ----

/**
 * Puts failed or held notifications back in the queue (all of them when `ids` is omitted, at most
 * 1000), with an audit event each. Returns how many were queued again.
 */
export async function retryNotifications(orm: MikroORM, ids: number[] | null, actor: Actor): Promise<number> {
  return orm.em.fork().transactional(async (em) => {
    const rows = await em.execute<{ id: number; status: string; attempts: number; error: string | null }[]>(
      `with t as (
         select id, status, attempts, error from notification
          where status in ('failed', 'held') ${ids ? 'and id = any(?::int[])' : ''}
          order by id limit 1000 for update)
       update notification n set status = 'queued', attempts = 0, error = null from t where n.id = t.id
       returning n.id, t.status, t.attempts, t.error`,
      ids ? [intArray(ids)] : [],
    );
    for (const r of rows) {
      audit(em, actor, {
        action: 'notification.retried',
        entityType: 'Notification',
        entityId: Number(r.id),
        before: { status: r.status, attempts: r.attempts, error: r.error },
        after: { status: 'queued', attempts: 0 },
      });
    }
    if (rows.length) await em.execute(`select pg_notify('${NOTIFY_CHANNEL}', 'retry')`);
    return rows.length;
  });
}

/**
 * Sends a customer mail of an order again (the confirmation, or the shipping mail with its tracking
 * links), rendered as it reads now. Customer mail is one per order and template, so the copy is queued
 * as a keyed mail of its own: the same `key` (a retried macro) queues nothing more. Returns the row's
 * id, or null when the key was used before.
 */
export async function resendCustomerMail(
  em: EntityManager,
  input: { orderId: number; template: 'order_confirmation' | 'order_shipped'; key: string },
): Promise<number | null> {
  const { to, locale, mail } = await renderCustomerMail(em, { orderId: input.orderId, template: input.template });
  const [row] = await em.execute<{ id: number }[]>(
    `with ins as (
       insert into notification (order_id, template, locale, "to", subject, text, html, data, status, attempts, created_at, idempotency_key)
       values (null, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, now(), ?)
       on conflict (idempotency_key) do nothing
       returning id)
     select id, pg_notify('${NOTIFY_CHANNEL}', id::text) from ins`,
    [input.template, locale, to, mail.subject.slice(0, 255), mail.text, mail.html, JSON.stringify({ resendOf: input.orderId }), input.key.slice(0, 255)],
  );
  return row ? Number(row.id) : null;
}
