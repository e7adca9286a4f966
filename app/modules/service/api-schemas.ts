// Tickets and messages from integrations at the door (POST /api/v1/tickets, /api/v1/tickets/:id/messages).
// Plain code: the routes' OpenAPI descriptions import them too.
import { z } from 'zod';
import { LOCALES, TICKET_PRIORITIES } from '../../../entities/constants.ts';

const Email = z.string().trim().toLowerCase().email().max(255);
const Body = z.string().trim().min(1).max(100_000);

export const NewTicket = z.strictObject({
  subject: z.string().trim().min(1).max(255),
  body: Body,
  email: Email,
  name: z.string().trim().min(1).max(255).optional(),
  /** An order number or the channel's order id; unknown ones leave the ticket without an order (said in its match). */
  order: z.string().trim().min(1).max(64).optional(),
  language: z.enum(LOCALES).optional(),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  channel: z.enum(['api', 'phone']).default('api'),
  tags: z.array(z.string().trim().toLowerCase().min(1).max(40)).max(20).optional(),
});

export const NewMessage = z.strictObject({
  body: Body,
  email: Email.optional(),
  name: z.string().trim().min(1).max(255).optional(),
});
