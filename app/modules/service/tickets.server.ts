// The service desk's tickets: the only writer of ticket and ticket_message. Every function runs in the
// caller's transaction (`em`), writes its audit event and announces the change on the `service` topic,
// so the queue and the ticket view update live and drawn flows can bind to ticket events.
//
//   receiveMessage  a customer's message (mail, API, tracking page): threads it onto its ticket or opens one
//   openTicket      a ticket from an agent, the API or a drawn flow
//   reply / addNote an agent's answer (mailed, threaded) or internal note (@mentions notify)
//   updateTicket    status, priority, team, assignee, tags, language, customer and order (the match)
//   mergeTickets / splitMessage
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { LOCALES, type Locale, type TicketChannel, type TicketPriority, type TicketStatus } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { advisoryLock, db } from '../../lib/db.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';
import { enqueueMail, publicUrl } from '../notifications/service.server.ts';
import { storeProfile } from '../settings/store.server.ts';
import { emailLocale } from '../notifications/templates.ts';
import { autoAssign, reofferWaiting } from './assignment.server.ts';
import { renderCsatMail, renderReplyMail } from './mail.ts';
import { refreshSla } from './sla.server.ts';
import { detectLanguage, mentionHandles, orderReferences, replyAddress, replySubject, searchText } from './text.ts';

/** Statuses in which a ticket still needs work (the queue's open views). */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];
/** Largest attachment kept; larger ones are listed on the message but not stored. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Longest message body kept (characters); the rest is cut with a marker. */
export const MAX_BODY_CHARS = 100_000;
/** Search text kept per ticket (characters). */
const MAX_SEARCH_CHARS = 200_000;

export interface IncomingAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A customer's message from any channel. */
export interface CustomerMessage {
  channel: TicketChannel;
  /** email, api, tracking_page, flow, console */
  source: string;
  fromEmail: string | null;
  fromName?: string | null;
  subject: string;
  body: string;
  /** The mail's Message-ID: a second delivery of the same mail adds nothing. */
  messageId?: string | null;
  inReplyTo?: string | null;
  references?: string[];
  /** A ticket token read from the reply address (support+<token>@…). */
  replyToken?: string | null;
  /** The ticket it is sent to (the API's messages endpoint; the tracking page's open ticket). */
  ticketId?: number | null;
  /** The order it is about, when the caller knows it (the tracking page). */
  orderId?: number | null;
  language?: Locale | null;
  priority?: TicketPriority;
  tags?: string[];
  teamId?: number | null;
  attachments?: IncomingAttachment[];
  /** The addresses it was sent to (a team's address puts it in that team's queue). */
  to?: string[];
  /** Attachments refused before they got here (over the size limit), named on the message. */
  droppedAttachments?: { filename: string; size: number }[];
}

export interface Received {
  ticketId: number;
  number: string;
  messageId: number;
  /** A new ticket was opened (false: the message joined an existing one). */
  created: boolean;
  /** The same message was delivered before: nothing was written. */
  duplicate: boolean;
}

const token = () => crypto.randomBytes(16).toString('hex');
const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);
const cleanSubject = (s: string) => cut(s.replace(/\s+/g, ' ').trim(), 255);

function bodyOf(text: string, dropped: { filename: string; size: number }[] = []): string {
  let body = text.replace(/\r\n?/g, '\n').trim();
  if (body.length > MAX_BODY_CHARS) body = `${body.slice(0, MAX_BODY_CHARS)}\n[…]`;
  for (const d of dropped)
    body += `\n[attachment not kept: ${d.filename} (${Math.round(d.size / 1024)} KB) is over the ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB limit]`;
  return body;
}

interface TicketHead {
  id: number;
  number: string;
  status: TicketStatus;
  subject: string;
  language: string;
  requester_email: string | null;
  requester_name: string | null;
  customer_id: number | null;
  order_id: number | null;
  merged_into_id: number | null;
  token: string;
  assignee_id: number | null;
  team_id: number | null;
  priority: TicketPriority;
  tags: string[];
}

/** The ticket, locked for the change (FOR UPDATE); merged tickets lead to the one they were merged into. */
export async function lockTicket(em: EntityManager, ticketId: number, opts: { followMerge?: boolean } = {}): Promise<TicketHead> {
  for (let hops = 0; hops < 5; hops++) {
    const t = await db(em)
      .selectFrom('ticket')
      .select([
        'id',
        'number',
        'status',
        'subject',
        'language',
        'requester_email',
        'requester_name',
        'customer_id',
        'order_id',
        'merged_into_id',
        'token',
        'assignee_id',
        'team_id',
        'priority',
        'tags',
      ])
      .where('id', '=', ticketId)
      .forUpdate()
      .executeTakeFirst();
    if (!t) throw new DomainError(404, 'not_found', `Ticket ${ticketId} does not exist.`);
    if (opts.followMerge && t.merged_into_id != null) {
      ticketId = Number(t.merged_into_id);
      continue;
    }
    return { ...t, id: Number(t.id), tags: t.tags ?? [] } as TicketHead;
  }
  throw new DomainError(409, 'merge_loop', `Ticket ${ticketId} is merged in a loop.`);
}

// ---- Matching ----

export interface Match {
  customer: 'email' | 'order' | 'agent' | null;
  order: { by: 'number' | 'external_id' | 'tracking_number' | 'page' | 'agent'; text?: string } | null;
  /** References in the text that named no order (an unknown order number). */
  unmatched?: string[];
  /** The order found belongs to someone other than the sender. */
  otherCustomersOrder?: boolean;
}

/** Who wrote and which order they mean: the customer by email, the order by a number, channel id or tracking number in the text. */
export async function matchMessage(
  em: EntityManager,
  input: { fromEmail: string | null; subject: string; body: string; orderId?: number | null },
): Promise<{ customerId: number | null; customerLocale: string | null; orderId: number | null; match: Match }> {
  const match: Match = { customer: null, order: null };
  let customerId: number | null = null;
  let customerLocale: string | null = null;
  if (input.fromEmail) {
    const c = await db(em)
      .selectFrom('customer')
      .select(['id', 'locale'])
      .where(ksql`lower(email)`, '=', input.fromEmail.toLowerCase())
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (c) {
      customerId = Number(c.id);
      customerLocale = c.locale;
      match.customer = 'email';
    }
  }
  let orderId: number | null = null;
  let orderCustomer: number | null = null;
  if (input.orderId) {
    const o = await db(em).selectFrom('sales_order').select(['id', 'customer_id']).where('id', '=', input.orderId).executeTakeFirst();
    if (o) {
      orderId = Number(o.id);
      orderCustomer = Number(o.customer_id);
      match.order = { by: 'page' };
    }
  } else {
    const refs = orderReferences(`${input.subject}\n${input.body.slice(0, 20_000)}`);
    if (refs.length) {
      const found = await em.execute<{ id: number; customer_id: number; by: 'number' | 'external_id' | 'tracking_number'; text: string }[]>(
        `select o.id, o.customer_id, 'number' as by, o.number as text from sales_order o where o.number = any(?::text[])
         union all select o.id, o.customer_id, 'external_id', o.external_id from sales_order o where o.external_id = any(?::text[])
         union all select o.id, o.customer_id, 'tracking_number', s.tracking_number from shipment s join sales_order o on o.id = s.order_id where s.tracking_number = any(?::text[])
         limit 50`,
        [refs, refs, refs].map((r) => `{${r.map((x) => `"${x.replace(/["\\]/g, '')}"`).join(',')}}`),
      );
      // The sender's own order first, then the first reference the text names.
      const ranked = [...found].sort(
        (a, b) =>
          Number(customerId != null && Number(b.customer_id) === customerId) - Number(customerId != null && Number(a.customer_id) === customerId) ||
          refs.indexOf(a.text) - refs.indexOf(b.text),
      );
      const best = ranked[0];
      if (best) {
        orderId = Number(best.id);
        orderCustomer = Number(best.customer_id);
        match.order = { by: best.by, text: best.text };
      }
      const hit = new Set(found.map((f) => f.text));
      const unmatched = refs.filter((r) => !hit.has(r) && /^SO-\d+$/.test(r));
      if (unmatched.length) match.unmatched = unmatched;
    }
  }
  if (orderId != null && orderCustomer != null) {
    if (customerId == null) {
      // No customer by that address: the order says who it is (shown as such, and changeable).
      customerId = orderCustomer;
      match.customer = 'order';
      const c = await db(em).selectFrom('customer').select('locale').where('id', '=', orderCustomer).executeTakeFirst();
      customerLocale = c?.locale ?? null;
    } else if (orderCustomer !== customerId) {
      match.otherCustomersOrder = true;
    }
  }
  return { customerId, customerLocale, orderId, match };
}

// ---- Customer messages ----

async function threadOf(em: EntityManager, input: CustomerMessage): Promise<{ ticketId: number | null; forged: boolean }> {
  if (input.ticketId) return { ticketId: input.ticketId, forged: false };
  const sender = input.fromEmail?.toLowerCase() ?? null;
  if (input.replyToken) {
    const t = await db(em).selectFrom('ticket').select(['id', 'requester_email']).where('token', '=', input.replyToken).executeTakeFirst();
    // A token works only for the address the ticket talks to: a leaked or guessed one opens a new ticket.
    if (t && sender && t.requester_email?.toLowerCase() === sender) return { ticketId: Number(t.id), forged: false };
    if (input.replyToken) return { ticketId: null, forged: true };
  }
  const ids = [input.inReplyTo, ...(input.references ?? [])].filter((x): x is string => !!x).slice(-50);
  if (ids.length) {
    const m = await db(em)
      .selectFrom('ticket_message as m')
      .innerJoin('ticket as t', 't.id', 'm.ticket_id')
      .select(['m.ticket_id', 't.requester_email'])
      .where('m.message_id', 'in', ids)
      .orderBy('m.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (m && (!sender || !m.requester_email || m.requester_email.toLowerCase() === sender)) return { ticketId: Number(m.ticket_id), forged: false };
  }
  return { ticketId: null, forged: false };
}

/**
 * A customer's message: joins its ticket (reply token, In-Reply-To / References, or the ticket named)
 * or opens a new one matched to its customer and order. A message whose Message-ID was seen before
 * writes nothing. A customer message reopens a pending or solved ticket; one on a closed ticket
 * opens a follow-up.
 */
export async function receiveMessage(em: EntityManager, actor: Actor, input: CustomerMessage): Promise<Received> {
  if (input.messageId) {
    await advisoryLock(em, `ticket-message:${input.messageId}`);
    const seen = await db(em)
      .selectFrom('ticket_message as m')
      .innerJoin('ticket as t', 't.id', 'm.ticket_id')
      .select(['m.id', 'm.ticket_id', 't.number'])
      .where('m.message_id', '=', input.messageId)
      .executeTakeFirst();
    if (seen) return { ticketId: Number(seen.ticket_id), number: seen.number, messageId: Number(seen.id), created: false, duplicate: true };
  }
  const { ticketId, forged } = await threadOf(em, input);
  if (ticketId != null) {
    const t = await lockTicket(em, ticketId, { followMerge: true });
    if (t.status !== 'closed') {
      const messageId = await insertMessage(em, t.id, {
        kind: 'customer',
        authorId: null,
        fromEmail: input.fromEmail,
        fromName: input.fromName ?? null,
        subject: input.subject,
        body: bodyOf(input.body, input.droppedAttachments),
        messageId: input.messageId ?? null,
        inReplyTo: input.inReplyTo ?? null,
        source: input.source,
        attachments: input.attachments,
      });
      const reopen = t.status === 'pending' || t.status === 'solved' || t.status === 'on_hold';
      await db(em)
        .updateTable('ticket')
        .set({ last_customer_message_at: ksql`now()`, updated_at: ksql`now()`, ...(reopen ? { status: 'open', solved_at: null } : {}) })
        .where('id', '=', t.id)
        .execute();
      audit(em, actor, {
        action: 'ticket.customer_message',
        entityType: 'Ticket',
        entityId: t.id,
        before: reopen ? { status: t.status } : null,
        after: { messageId, ...(reopen ? { status: 'open' } : {}) },
      });
      await refreshSla(em, t.id);
      announce(em, 'ticket.message', { ticketId: t.id, number: t.number, messageId, kind: 'customer', assigneeId: t.assignee_id, teamId: t.team_id });
      return { ticketId: t.id, number: t.number, messageId, created: false, duplicate: false };
    }
    // A closed ticket stays closed: the message opens a follow-up about the same customer and order.
    return openFromMessage(em, actor, { ...input, orderId: input.orderId ?? t.order_id, tags: [...(input.tags ?? []), 'follow-up'] }, { followUpOf: t });
  }
  return openFromMessage(em, actor, input, { forged });
}

async function openFromMessage(em: EntityManager, actor: Actor, input: CustomerMessage, ctx: { followUpOf?: TicketHead; forged?: boolean }): Promise<Received> {
  const subject = cleanSubject(input.subject) || cut(input.body.replace(/\s+/g, ' ').trim(), 80) || '(no subject)';
  const found = await matchMessage(em, { fromEmail: input.fromEmail, subject, body: input.body, orderId: input.orderId });
  const language: Locale =
    input.language ??
    (found.customerLocale && (LOCALES as readonly string[]).includes(found.customerLocale)
      ? (found.customerLocale as Locale)
      : detectLanguage(`${subject}\n${input.body}`));
  const tags = [...new Set([...(input.tags ?? []), ...(ctx.forged ? ['unverified-reply'] : [])])].slice(0, 20);
  const teamId = input.teamId ?? (await teamForAddress(em, input));
  const created = await db(em)
    .insertInto('ticket')
    .values({
      subject,
      status: 'new',
      priority: input.priority ?? 'normal',
      channel: input.channel,
      language,
      requester_email: input.fromEmail ? cut(input.fromEmail, 255) : null,
      requester_name: input.fromName ? cut(input.fromName, 255) : null,
      customer_id: found.customerId,
      order_id: found.orderId,
      match: ksql`${JSON.stringify({ ...found.match, ...(ctx.followUpOf ? { followUpOf: ctx.followUpOf.number } : {}) })}::jsonb`,
      team_id: teamId,
      tags,
      token: token(),
      last_customer_message_at: ksql`now()`,
      search_text: searchText(subject),
      created_at: ksql`now()`,
      updated_at: ksql`now()`,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  const ticketId = Number(created.id);
  const messageId = await insertMessage(em, ticketId, {
    kind: 'customer',
    authorId: null,
    fromEmail: input.fromEmail,
    fromName: input.fromName ?? null,
    subject,
    body: bodyOf(input.body, input.droppedAttachments),
    messageId: input.messageId ?? null,
    inReplyTo: input.inReplyTo ?? null,
    source: input.source,
    attachments: input.attachments,
  });
  audit(em, actor, {
    action: 'ticket.created',
    entityType: 'Ticket',
    entityId: ticketId,
    after: { number: created.number, channel: input.channel, customerId: found.customerId, orderId: found.orderId, match: found.match, language },
  });
  if (found.orderId)
    audit(em, actor, { action: 'order.ticket_opened', entityType: 'Order', entityId: found.orderId, after: { ticketId, number: created.number, subject } });
  await refreshSla(em, ticketId);
  await autoAssign(em, ticketId, actor);
  announce(em, 'ticket.created', {
    ticketId,
    number: created.number,
    channel: input.channel,
    orderId: found.orderId,
    customerId: found.customerId,
    language,
    priority: input.priority ?? 'normal',
    teamId,
    subject,
  });
  return { ticketId, number: created.number, messageId, created: true, duplicate: false };
}

/** The team whose inbound address the mail was sent to, else none (the general queue). */
async function teamForAddress(em: EntityManager, input: CustomerMessage): Promise<number | null> {
  const to = input.to ?? [];
  if (!to.length) return null;
  const plain = to.map((a) => a.toLowerCase().replace(/\+[^@]*@/, '@'));
  const t = await db(em)
    .selectFrom('team')
    .select('id')
    .where(ksql`lower(email)`, 'in', plain)
    .limit(1)
    .executeTakeFirst();
  return t ? Number(t.id) : null;
}

/** A ticket opened by an agent, the API or a drawn flow, with its first message (a customer's words, or a note). */
export async function openTicket(em: EntityManager, actor: Actor, input: CustomerMessage & { customerId?: number | null }): Promise<Received> {
  const r = await receiveMessage(em, actor, { ...input, ticketId: null, replyToken: null, inReplyTo: null, references: [] });
  if (r.created && input.customerId) {
    await db(em).updateTable('ticket').set({ customer_id: input.customerId }).where('id', '=', r.ticketId).where('customer_id', 'is', null).execute();
  }
  return r;
}

interface NewMessage {
  kind: 'customer' | 'reply' | 'note';
  authorId: number | null;
  fromEmail: string | null;
  fromName: string | null;
  subject: string | null;
  body: string;
  messageId: string | null;
  inReplyTo: string | null;
  source: string;
  mentions?: number[];
  attachments?: IncomingAttachment[];
}

async function insertMessage(em: EntityManager, ticketId: number, m: NewMessage): Promise<number> {
  const row = await db(em)
    .insertInto('ticket_message')
    .values({
      ticket_id: ticketId,
      kind: m.kind,
      author_id: m.authorId,
      from_email: m.fromEmail ? cut(m.fromEmail, 255) : null,
      from_name: m.fromName ? cut(m.fromName, 255) : null,
      subject: m.subject ? cleanSubject(m.subject) : null,
      body: m.body,
      message_id: m.messageId ? cut(m.messageId, 255) : null,
      in_reply_to: m.inReplyTo ? cut(m.inReplyTo, 255) : null,
      source: m.source,
      mentions: (m.mentions ?? []).map(String),
      created_at: ksql`clock_timestamp()`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(row.id);
  for (const a of m.attachments ?? []) {
    if (a.content.length > MAX_ATTACHMENT_BYTES) continue;
    await db(em)
      .insertInto('ticket_attachment')
      .values({
        message_id: id,
        filename: cut(a.filename.replace(/[/\\\r\n"]/g, '_'), 255) || 'attachment',
        content_type: cut(a.contentType, 255) || 'application/octet-stream',
        size: a.content.length,
        sha256: crypto.createHash('sha256').update(a.content).digest('hex'),
        content: a.content,
        created_at: ksql`now()`,
      })
      .execute();
  }
  await db(em)
    .updateTable('ticket')
    .set((eb) => ({
      message_count: eb('message_count', '+', 1),
      search_text: ksql`left(search_text || ' ' || ${searchText(`${m.subject ?? ''} ${m.body}`)}, ${MAX_SEARCH_CHARS})`,
    }))
    .where('id', '=', ticketId)
    .execute();
  return id;
}

function announce(em: EntityManager, type: string, payload: Record<string, unknown>): void {
  publish(em, 'service', type, payload);
}

// ---- Agents' replies and notes ----

export interface ReplyInput {
  body: string;
  /** The status the ticket takes with the reply (default pending: waiting on the customer). */
  status?: 'open' | 'pending' | 'on_hold' | 'solved';
  /** The newest message the agent had seen: a reply sent after someone else answered meanwhile is refused unless `force`. */
  seenMessageId?: number | null;
  force?: boolean;
  /** Who signs the mail. */
  agentName: string;
  /** Once per key: a retried or double-clicked send writes one reply (macros pass their run's key). */
  key?: string | null;
}

/** An agent's reply: recorded on the ticket and mailed to the customer in the ticket's language, threaded into their conversation. */
export async function reply(
  em: EntityManager,
  actor: Actor,
  ticketId: number,
  input: ReplyInput,
): Promise<{ messageId: number; notificationId: number | null; duplicate: boolean }> {
  const body = input.body.trim();
  if (!body) throw invalid([fieldError('body', 'required')], 'A reply needs some text.');
  const t = await lockTicket(em, ticketId);
  if (t.status === 'merged' || t.status === 'closed')
    throw new DomainError(409, 'ticket_closed', `Ticket ${t.number} is ${t.status}.`, { params: { number: t.number, status: t.status } });
  const ownId = `<reply-${input.key ? crypto.createHash('sha256').update(input.key).digest('hex').slice(0, 32) : crypto.randomUUID()}@order-console>`;
  if (input.key) {
    const done = await db(em).selectFrom('ticket_message').select(['id', 'notification_id']).where('message_id', '=', ownId).executeTakeFirst();
    if (done) return { messageId: Number(done.id), notificationId: done.notification_id == null ? null : Number(done.notification_id), duplicate: true };
  }
  if (input.seenMessageId != null && !input.force) {
    const newer = await db(em)
      .selectFrom('ticket_message as m')
      .leftJoin('app_user as u', 'u.id', 'm.author_id')
      .select(['m.id', 'm.kind', 'u.name'])
      .where('m.ticket_id', '=', t.id)
      .where('m.id', '>', input.seenMessageId)
      .where('m.kind', '!=', 'note')
      .where((eb) => eb.or([eb('m.author_id', 'is', null), eb('m.author_id', '!=', Number(actor.id ?? 0))]))
      .orderBy('m.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (newer)
      throw new DomainError(
        409,
        newer.kind === 'reply' ? 'ticket_replied_meanwhile' : 'ticket_customer_wrote_meanwhile',
        'The ticket changed while you were writing.',
        {
          params: { name: newer.name ?? '' },
        },
      );
  }
  const thread = await db(em)
    .selectFrom('ticket_message')
    .select(['message_id', 'kind'])
    .where('ticket_id', '=', t.id)
    .where('message_id', 'is not', null)
    .where('kind', '!=', 'note')
    .orderBy('id', 'desc')
    .limit(10)
    .execute();
  const lastCustomer = thread.find((m) => m.kind === 'customer')?.message_id ?? null;
  const references = thread.map((m) => m.message_id!).reverse();
  const subject = replySubject(t.subject, t.number);
  const messageId = await insertMessage(em, t.id, {
    kind: 'reply',
    authorId: actor.type === 'user' ? Number(actor.id) : null,
    fromEmail: null,
    fromName: input.agentName,
    subject,
    body,
    messageId: ownId,
    inReplyTo: lastCustomer,
    source: 'console',
  });
  let notificationId: number | null = null;
  const to =
    t.requester_email ??
    (t.customer_id ? (await db(em).selectFrom('customer').select('email').where('id', '=', t.customer_id).executeTakeFirst())?.email : null);
  if (to) {
    const locale = emailLocale(t.language);
    const mail = renderReplyMail({
      locale,
      subject,
      number: t.number,
      customerName: t.requester_name ?? '',
      agentName: input.agentName,
      storeName: (await storeProfile(em)).name,
      body,
    });
    notificationId = await enqueueMail(em, {
      key: `ticket-reply:${messageId}`,
      template: 'ticket_reply',
      to,
      locale,
      mail,
      threading: { messageId: ownId, inReplyTo: lastCustomer, references, replyTo: replyAddress(supportAddress(), t.token) },
    });
    await db(em).updateTable('ticket_message').set({ notification_id: notificationId }).where('id', '=', messageId).execute();
  }
  const status = input.status ?? 'pending';
  await db(em)
    .updateTable('ticket')
    .set({
      status,
      last_agent_reply_at: ksql`now()`,
      first_responded_at: ksql`coalesce(first_responded_at, now())`,
      updated_at: ksql`now()`,
      ...(status === 'solved' ? { solved_at: ksql`now()` } : {}),
      ...(t.assignee_id == null && actor.type === 'user' ? { assignee_id: Number(actor.id) } : {}),
    })
    .where('id', '=', t.id)
    .execute();
  audit(em, actor, {
    action: 'ticket.replied',
    entityType: 'Ticket',
    entityId: t.id,
    before: { status: t.status },
    after: { status, messageId, notificationId },
  });
  await refreshSla(em, t.id);
  if (status === 'solved' && t.status !== 'solved') {
    await requestCsat(em, t.id);
    await reofferWaiting(em, t.team_id, actor);
  }
  announce(em, 'ticket.message', { ticketId: t.id, number: t.number, messageId, kind: 'reply', assigneeId: t.assignee_id, teamId: t.team_id });
  if (status === 'solved' && t.status !== 'solved')
    announce(em, 'ticket.solved', { ticketId: t.id, number: t.number, orderId: t.order_id, customerId: t.customer_id });
  return { messageId, notificationId, duplicate: false };
}

/** The desk's address customers write to (SUPPORT_EMAIL, else the sender's address). */
export function supportAddress(env: Record<string, string | undefined> = process.env): string {
  const explicit = env.SUPPORT_EMAIL?.trim();
  if (explicit) return explicit;
  const from = env.MAIL_FROM?.trim() ?? '';
  return /<([^>]+)>/.exec(from)?.[1] ?? (from.includes('@') ? from : 'support@localhost');
}

/** An internal note (never mailed); users it @mentions are told on the bell and by mail. */
export async function addNote(
  em: EntityManager,
  actor: Actor,
  ticketId: number,
  input: { body: string; authorName: string },
): Promise<{ messageId: number; mentioned: number[] }> {
  const body = input.body.trim();
  if (!body) throw invalid([fieldError('body', 'required')], 'A note needs some text.');
  const t = await lockTicket(em, ticketId);
  const handles = mentionHandles(body);
  const users = handles.length
    ? await db(em)
        .selectFrom('app_user')
        .select(['id', 'email', 'name', 'locale'])
        .where('active', '=', true)
        .where((eb) =>
          eb.or([
            eb(ksql`lower(split_part(email, '@', 1))`, 'in', handles),
            eb(ksql`lower(split_part(name, ' ', 1))`, 'in', handles),
            eb(ksql`lower(name)`, 'in', handles),
          ]),
        )
        .execute()
    : [];
  const mentioned = users.map((u) => Number(u.id)).filter((id) => id !== Number(actor.id));
  const messageId = await insertMessage(em, t.id, {
    kind: 'note',
    authorId: actor.type === 'user' ? Number(actor.id) : null,
    fromEmail: null,
    fromName: input.authorName,
    subject: null,
    body,
    messageId: null,
    inReplyTo: null,
    source: 'console',
    mentions: mentioned,
  });
  await db(em)
    .updateTable('ticket')
    .set({ updated_at: ksql`now()` })
    .where('id', '=', t.id)
    .execute();
  audit(em, actor, { action: 'ticket.note_added', entityType: 'Ticket', entityId: t.id, after: { messageId, mentioned } });
  announce(em, 'ticket.message', { ticketId: t.id, number: t.number, messageId, kind: 'note', assigneeId: t.assignee_id, teamId: t.team_id });
  for (const u of users.filter((x) => mentioned.includes(Number(x.id)))) {
    announce(em, 'ticket.mentioned', { ticketId: t.id, number: t.number, userId: Number(u.id), by: input.authorName });
    const locale = emailLocale(u.locale);
    const url = `${publicUrl()}/service/${t.id}`;
    await enqueueMail(em, {
      key: `ticket-mention:${messageId}:${u.id}`,
      template: 'staff_alert',
      to: u.email,
      locale,
      mail: renderReplyMail({
        locale,
        subject: `@${input.authorName} · ${t.number} ${t.subject}`.slice(0, 255),
        number: t.number,
        customerName: u.name,
        agentName: input.authorName,
        storeName: (await storeProfile(em)).name,
        body: `${body}\n\n${url}`,
      }),
    });
  }
  return { messageId, mentioned };
}

// ---- Ticket fields ----

export interface TicketPatch {
  status?: TicketStatus;
  priority?: TicketPriority;
  teamId?: number | null;
  assigneeId?: number | null;
  tags?: string[];
  language?: Locale;
  customerId?: number | null;
  orderId?: number | null;
}

/** Changes a ticket's fields; each change is audited, announced and re-times the SLA clock. */
export async function updateTicket(em: EntityManager, actor: Actor, ticketId: number, patch: TicketPatch): Promise<{ changed: string[] }> {
  const t = await lockTicket(em, ticketId);
  if (t.status === 'merged') throw new DomainError(409, 'ticket_merged', `Ticket ${t.number} was merged.`, { params: { number: t.number } });
  if (patch.status === 'merged') throw invalid([fieldError('status', 'invalid')], 'Merge a ticket with the merge action.');
  const set: Record<string, unknown> = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const change = (column: string, key: string, from: unknown, to: unknown) => {
    if (to === undefined || JSON.stringify(from) === JSON.stringify(to)) return;
    set[column] = to;
    before[key] = from;
    after[key] = to;
  };
  change('status', 'status', t.status, patch.status);
  change('priority', 'priority', t.priority, patch.priority);
  change('team_id', 'teamId', t.team_id, patch.teamId);
  change('assignee_id', 'assigneeId', t.assignee_id, patch.assigneeId);
  change('language', 'language', t.language, patch.language);
  change('customer_id', 'customerId', t.customer_id, patch.customerId);
  change('order_id', 'orderId', t.order_id, patch.orderId);
  if (patch.tags) change('tags', 'tags', t.tags, [...new Set(patch.tags.map((x) => x.trim().toLowerCase()).filter(Boolean))].slice(0, 20));
  const changed = Object.keys(after);
  if (!changed.length) return { changed };
  if (patch.assigneeId != null && patch.assigneeId !== t.assignee_id) {
    const u = await db(em).selectFrom('app_user').select(['id', 'role', 'active']).where('id', '=', patch.assigneeId).executeTakeFirst();
    if (!u || !u.active || !['admin', 'ops_manager', 'agent'].includes(u.role))
      throw invalid([fieldError('assigneeId', 'not_an_agent')], 'Assign tickets to an active agent.');
  }
  if (patch.customerId != null && patch.customerId !== t.customer_id) {
    const c = await db(em).selectFrom('customer').select('id').where('id', '=', patch.customerId).executeTakeFirst();
    if (!c) throw invalid([fieldError('customerId', 'not_found')], 'No such customer.');
  }
  if (patch.orderId != null && patch.orderId !== t.order_id) {
    const o = await db(em).selectFrom('sales_order').select('id').where('id', '=', patch.orderId).executeTakeFirst();
    if (!o) throw invalid([fieldError('orderId', 'not_found')], 'No such order.');
  }
  if (patch.teamId != null && patch.teamId !== t.team_id) {
    const team = await db(em).selectFrom('team').select('id').where('id', '=', patch.teamId).executeTakeFirst();
    if (!team) throw invalid([fieldError('teamId', 'not_found')], 'No such team.');
  }
  if ('customer_id' in set || 'order_id' in set) {
    set.match = JSON.stringify({
      customer: 'customer_id' in set ? (set.customer_id == null ? null : 'agent') : undefined,
      order: 'order_id' in set ? (set.order_id == null ? null : { by: 'agent' }) : undefined,
      changedBy: actor.label ?? null,
    });
  }
  const solving = set.status === 'solved' && t.status !== 'solved';
  const closing = set.status === 'closed';
  await db(em)
    .updateTable('ticket')
    .set({
      ...(set as object),
      ...('match' in set ? { match: ksql`coalesce(match, '{}'::jsonb) || ${set.match as string}::jsonb` } : {}),
      ...(solving ? { solved_at: ksql`now()` } : {}),
      ...(closing ? { closed_at: ksql`now()` } : {}),
      ...(set.status && !['solved', 'closed'].includes(set.status as string) ? { solved_at: null } : {}),
      updated_at: ksql`now()`,
    })
    .where('id', '=', t.id)
    .execute();
  audit(em, actor, { action: 'ticket.updated', entityType: 'Ticket', entityId: t.id, before, after });
  if ('order_id' in set && set.order_id != null)
    audit(em, actor, { action: 'order.ticket_linked', entityType: 'Order', entityId: Number(set.order_id), after: { ticketId: t.id, number: t.number } });
  await refreshSla(em, t.id);
  if (solving) await requestCsat(em, t.id);
  // An agent freed by a solved or closed ticket (or a ticket moved to another agent) takes the next waiting one.
  if (solving || closing || 'assignee_id' in set) await reofferWaiting(em, t.team_id, actor);
  announce(em, 'ticket.updated', {
    ticketId: t.id,
    number: t.number,
    changed,
    assigneeId: (set.assignee_id as number | undefined) ?? t.assignee_id,
    teamId: t.team_id,
  });
  if (solving) announce(em, 'ticket.solved', { ticketId: t.id, number: t.number, orderId: t.order_id, customerId: t.customer_id });
  return { changed };
}

/** After a ticket is solved: the customer is asked for a one-click rating in their language (once per ticket). */
export async function requestCsat(em: EntityManager, ticketId: number): Promise<number | null> {
  const t = await db(em)
    .selectFrom('ticket')
    .select(['number', 'token', 'language', 'requester_email', 'requester_name'])
    .where('id', '=', ticketId)
    .executeTakeFirst();
  if (!t?.requester_email) return null;
  const locale = emailLocale(t.language);
  const mail = renderCsatMail({
    locale,
    number: t.number,
    customerName: t.requester_name ?? '',
    storeName: (await storeProfile(em)).name,
    url: csatUrl(publicUrl(), t.token),
  });
  return enqueueMail(em, { key: `ticket-csat:${ticketId}`, template: 'csat_request', to: t.requester_email, locale, mail });
}

export const csatUrl = (base: string, ticketToken: string) => `${base}/csat/${encodeURIComponent(ticketToken)}`;

// ---- Merge and split ----

/** Merges `fromId` into `intoId`: its messages move over, it becomes `merged` and points at the other. */
export async function mergeTickets(em: EntityManager, actor: Actor, fromId: number, intoId: number): Promise<void> {
  if (fromId === intoId) throw invalid([fieldError('intoId', 'same_ticket')], 'A ticket cannot be merged into itself.');
  // Lock both in id order, so two merges the other way round cannot deadlock.
  const [a, b] = fromId < intoId ? [fromId, intoId] : [intoId, fromId];
  const first = await lockTicket(em, a);
  const second = await lockTicket(em, b);
  const from = first.id === fromId ? first : second;
  const into = first.id === fromId ? second : first;
  if (from.status === 'merged' || into.status === 'merged')
    throw new DomainError(409, 'ticket_merged', 'One of the tickets was merged already.', {
      params: { number: from.status === 'merged' ? from.number : into.number },
    });
  const moved = await db(em).updateTable('ticket_message').set({ ticket_id: into.id }).where('ticket_id', '=', from.id).returning('id').execute();
  await db(em)
    .updateTable('ticket')
    .set({ status: 'merged', merged_into_id: into.id, sla_next_check_at: null, updated_at: ksql`now()`, message_count: 0 })
    .where('id', '=', from.id)
    .execute();
  await db(em)
    .updateTable('ticket')
    .set((eb) => ({
      tags: [...new Set([...into.tags, ...from.tags])].slice(0, 20),
      message_count: eb('message_count', '+', moved.length),
      search_text: ksql`left(search_text || ' ' || (select search_text from ticket where id = ${from.id}), ${MAX_SEARCH_CHARS})`,
      order_id: into.order_id ?? from.order_id,
      customer_id: into.customer_id ?? from.customer_id,
      updated_at: ksql`now()`,
    }))
    .where('id', '=', into.id)
    .execute();
  audit(em, actor, {
    action: 'ticket.merged',
    entityType: 'Ticket',
    entityId: from.id,
    before: { status: from.status },
    after: { status: 'merged', into: into.number },
  });
  audit(em, actor, { action: 'ticket.merged_in', entityType: 'Ticket', entityId: into.id, after: { from: from.number, messages: moved.length } });
  await refreshSla(em, into.id);
  announce(em, 'ticket.updated', { ticketId: from.id, number: from.number, changed: ['status'], mergedInto: into.id });
  announce(em, 'ticket.updated', { ticketId: into.id, number: into.number, changed: ['messages'] });
}

/** Takes one customer message out of its ticket into a new ticket of its own (same customer and order). */
export async function splitMessage(em: EntityManager, actor: Actor, messageId: number): Promise<{ ticketId: number; number: string }> {
  const m = await db(em).selectFrom('ticket_message').select(['ticket_id', 'kind', 'subject']).where('id', '=', messageId).executeTakeFirst();
  if (!m) throw new DomainError(404, 'not_found', `Message ${messageId} does not exist.`);
  if (m.kind !== 'customer') throw invalid([fieldError('messageId', 'not_customer')], 'Only a customer message can be split out.');
  const t = await lockTicket(em, Number(m.ticket_id));
  const [{ n }] = await db(em)
    .selectFrom('ticket_message')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('ticket_id', '=', t.id)
    .where('kind', '=', 'customer')
    .execute();
  if (Number(n) < 2) throw invalid([fieldError('messageId', 'only_message')], 'The ticket has only this message.');
  const created = await db(em)
    .insertInto('ticket')
    .values({
      subject: cut(m.subject || t.subject, 255),
      status: 'open',
      priority: t.priority,
      channel: 'email',
      language: t.language,
      requester_email: t.requester_email,
      requester_name: t.requester_name,
      customer_id: t.customer_id,
      order_id: t.order_id,
      match: ksql`${JSON.stringify({ splitFrom: t.number })}::jsonb`,
      team_id: t.team_id,
      tags: t.tags,
      token: token(),
      last_customer_message_at: ksql`now()`,
      message_count: 1,
      search_text: ksql`(select search_text from ticket where id = ${t.id})`,
      created_at: ksql`now()`,
      updated_at: ksql`now()`,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await db(em).updateTable('ticket_message').set({ ticket_id: created.id }).where('id', '=', messageId).execute();
  await db(em)
    .updateTable('ticket')
    .set((eb) => ({ message_count: eb('message_count', '-', 1), updated_at: ksql`now()` }))
    .where('id', '=', t.id)
    .execute();
  audit(em, actor, { action: 'ticket.split', entityType: 'Ticket', entityId: t.id, after: { messageId, into: created.number } });
  audit(em, actor, { action: 'ticket.created', entityType: 'Ticket', entityId: Number(created.id), after: { number: created.number, splitFrom: t.number } });
  await refreshSla(em, Number(created.id));
  announce(em, 'ticket.created', { ticketId: Number(created.id), number: created.number, splitFrom: t.id });
  announce(em, 'ticket.updated', { ticketId: t.id, number: t.number, changed: ['messages'] });
  return { ticketId: Number(created.id), number: created.number };
}
