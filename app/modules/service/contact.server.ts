// "Contact us about this order" on the public tracking page: a ticket from the order's customer, tied to the order.
import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { parseInput } from '../../lib/errors.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { receiveMessage, type Received } from './tickets.server.ts';
import { detectLanguage } from './text.ts';

const Contact = z.object({
  message: z.string().trim().min(1).max(5000),
  nonce: z.string().uuid(),
});

/** Opens (or, for the same form sent twice, finds) the ticket; the customer is the order's. */
export async function contactAboutOrder(
  orm: MikroORM,
  orderId: number,
  raw: { message: unknown; nonce: unknown; token: string },
  ip?: string,
): Promise<Received> {
  const input = parseInput(Contact, { message: raw.message, nonce: raw.nonce });
  return orm.em.fork().transactional(async (em) => {
    const o = await db(em)
      .selectFrom('sales_order as o')
      .innerJoin('customer as c', 'c.id', 'o.customer_id')
      .select(['o.number', 'c.email', 'c.name', 'c.locale'])
      .where('o.id', '=', orderId)
      .executeTakeFirst();
    if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
    const digest = crypto.createHash('sha256').update(`${raw.token}:${input.nonce}`).digest('hex').slice(0, 40);
    return receiveMessage(
      em,
      { type: 'anonymous', label: 'customer via tracking page', ip },
      {
        channel: 'tracking_page',
        source: 'tracking_page',
        orderId,
        fromEmail: o.email,
        fromName: o.name,
        subject: `${o.number}: ${input.message.replace(/\s+/g, ' ').slice(0, 80)}`,
        body: input.message,
        messageId: `<track-${digest}@order-console>`,
        language: (['en', 'zh-CN', 'zh-TW'] as const).find((l) => l === o.locale) ?? detectLanguage(input.message),
      },
    );
  });
}
