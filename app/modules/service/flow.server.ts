// Tickets a drawn flow opens (service.openTicket): about the run's order, once per step key.
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TicketPriority } from '../../../entities/constants.ts';
import type { Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { receiveMessage, type Received } from './tickets.server.ts';

export async function openFlowTicket(
  em: EntityManager,
  actor: Actor,
  input: { key: string; orderId: number; subject: string; note: string; priority: TicketPriority; tags: string[]; workflowId: string },
): Promise<Received> {
  const o = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('customer as c', 'c.id', 'o.customer_id')
    .select(['o.number', 'c.email', 'c.name', 'c.locale'])
    .where('o.id', '=', input.orderId)
    .executeTakeFirst();
  if (!o) throw new DomainError(404, 'not_found', `Order ${input.orderId} does not exist.`);
  // The step's key makes the message id: a retried step finds the ticket it opened.
  const messageId = `<flow-${crypto.createHash('sha256').update(input.key).digest('hex').slice(0, 40)}@order-console>`;
  return receiveMessage(em, actor, {
    channel: 'flow',
    source: 'flow',
    orderId: input.orderId,
    fromEmail: o.email,
    fromName: o.name,
    subject: `${o.number}: ${input.subject}`.slice(0, 255),
    body: input.note || input.subject,
    messageId,
    priority: input.priority,
    tags: ['flow', ...input.tags],
    language: o.locale === 'zh-CN' || o.locale === 'zh-TW' ? o.locale : 'en',
  });
}
