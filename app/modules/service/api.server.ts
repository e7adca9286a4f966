// The desk's API: tickets and customer messages from integrations (a chat widget, a marketplace's
// buyer messages, a phone system), keyed like orders with Idempotency-Key.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../lib/audit.server.ts';
import { parseInput } from '../../lib/errors.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { receiveMessage } from './tickets.server.ts';
import { NewMessage, NewTicket } from './api-schemas.ts';

export { NewMessage, NewTicket };

/** The ticket as the API shows it. */
export async function ticketResource(em: EntityManager, id: number) {
  const t = await db(em)
    .selectFrom('ticket as t')
    .leftJoin('sales_order as o', 'o.id', 't.order_id')
    .select([
      't.id',
      't.number',
      't.subject',
      't.status',
      't.priority',
      't.channel',
      't.language',
      't.customer_id',
      'o.number as order_number',
      't.tags',
      't.created_at',
      't.updated_at',
      't.match',
    ])
    .where('t.id', '=', id)
    .executeTakeFirst();
  if (!t) throw new DomainError(404, 'not_found', `Ticket ${id} does not exist.`);
  const messages = await db(em)
    .selectFrom('ticket_message')
    .select(['id', 'kind', 'from_email', 'body', 'created_at'])
    .where('ticket_id', '=', id)
    .where('kind', '!=', 'note')
    .orderBy('id')
    .limit(200)
    .execute();
  return {
    id: Number(t.id),
    number: t.number,
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    channel: t.channel,
    language: t.language,
    customerId: t.customer_id == null ? null : Number(t.customer_id),
    order: t.order_number,
    match: t.match,
    tags: t.tags,
    createdAt: new Date(t.created_at).toISOString(),
    updatedAt: new Date(t.updated_at).toISOString(),
    messages: messages.map((m) => ({ id: Number(m.id), kind: m.kind, from: m.from_email, body: m.body, createdAt: new Date(m.created_at).toISOString() })),
  };
}

/** POST /api/v1/tickets: a ticket with its first message, matched to the customer and order. */
export async function createTicketFromApi(em: EntityManager, actor: Actor, raw: unknown) {
  const input = parseInput(NewTicket, raw);
  const r = await receiveMessage(em, actor, {
    channel: input.channel,
    source: 'api',
    fromEmail: input.email,
    fromName: input.name ?? null,
    subject: input.subject,
    body: input.order ? `${input.body}\n\n${input.order}` : input.body,
    language: input.language ?? null,
    priority: input.priority,
    tags: input.tags,
  });
  return ticketResource(em, r.ticketId);
}

/** POST /api/v1/tickets/:id/messages: the customer's next message on their ticket. */
export async function addMessageFromApi(em: EntityManager, actor: Actor, ticketId: number, raw: unknown) {
  const input = parseInput(NewMessage, raw);
  const t = await db(em).selectFrom('ticket').select(['requester_email']).where('id', '=', ticketId).executeTakeFirst();
  if (!t) throw new DomainError(404, 'not_found', `Ticket ${ticketId} does not exist.`);
  const r = await receiveMessage(em, actor, {
    channel: 'api',
    source: 'api',
    ticketId,
    fromEmail: input.email ?? t.requester_email,
    fromName: input.name ?? null,
    subject: '',
    body: input.body,
  });
  return { ticketId: r.ticketId, messageId: r.messageId, created: r.created };
}
