// Tickets as the API answers them (/api/v1/tickets*, /api/v1/inbound-mail).
import { z } from 'zod';
import { TICKET_MESSAGE_KINDS } from '../../../entities/constants.ts';
import type { Matches } from '../../lib/openapi/describe.ts';
import type { QueuePage } from './queries.server.ts';

const DateTime = z.iso.datetime({ offset: true });

export const TicketResource = z.strictObject({
  id: z.number().int(),
  number: z.string(),
  subject: z.string(),
  status: z.string(),
  priority: z.string(),
  channel: z.string(),
  language: z.string(),
  customerId: z.number().int().nullable(),
  order: z.string().nullable().describe('The order number the ticket is about, if it was matched to one.'),
  match: z.unknown().describe('How the ticket was matched to a customer and an order.'),
  tags: z.array(z.string()),
  createdAt: DateTime,
  updatedAt: DateTime,
  messages: z.array(
    z.strictObject({
      id: z.number().int(),
      kind: z.enum(TICKET_MESSAGE_KINDS),
      from: z.string().nullable(),
      body: z.string(),
      createdAt: DateTime,
    }),
  ),
});

export const QueuePageResource = z.strictObject({
  rows: z.array(
    z.strictObject({
      id: z.number().int(),
      number: z.string(),
      subject: z.string(),
      status: z.string(),
      priority: z.string(),
      channel: z.string(),
      language: z.string(),
      requester: z.string().nullable(),
      customerName: z.string().nullable(),
      orderNumber: z.string().nullable(),
      orderStatus: z.string().nullable(),
      assigneeName: z.string().nullable(),
      teamName: z.string().nullable(),
      tags: z.array(z.string()),
      updatedAt: DateTime,
      createdAt: DateTime,
      dueAt: DateTime.nullable().describe('The earliest running SLA target.'),
      paused: z.boolean(),
      messageCount: z.number().int(),
    }),
  ),
  nextCursor: z.string().nullable(),
  prevCursor: z.string().nullable(),
  page: z.number().int(),
});

export const MessageAddedResource = z.strictObject({
  ticketId: z.number().int(),
  messageId: z.number().int(),
  created: z.boolean().describe('Whether a new ticket was opened (false: the message joined this one).'),
});

export const MailFiledResource = z.strictObject({
  ticketId: z.number().int(),
  number: z.string(),
  messageId: z.number().int(),
  created: z.boolean(),
  duplicate: z.boolean().describe('The Message-ID was filed before: nothing new was written.'),
});

export type QueuePageAnswer = Matches<QueuePage, z.output<typeof QueuePageResource>>;
