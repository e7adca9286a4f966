// Customer satisfaction: the one-click rating a customer gives a solved ticket from the link in the
// rating mail (public page /csat/<ticket token>). One response per ticket; rating again replaces it.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { z } from 'zod';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { isCleanText } from '../../lib/boundary.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';

const TOKEN = /^[0-9a-f]{32}$/;

export interface CsatView {
  rating: number;
  comment: string | null;
  at: string;
}

/** The ticket a rating link names (null: no such ticket, or a malformed token). */
export async function ticketByCsatToken(em: EntityManager, token: string | undefined) {
  if (!token || !TOKEN.test(token)) return null;
  const t = await db(em).selectFrom('ticket').select(['id', 'number', 'language', 'subject', 'status']).where('token', '=', token).executeTakeFirst();
  if (!t) return null;
  const csat = await csatOfTicket(em, Number(t.id));
  return { id: Number(t.id), number: t.number, language: t.language, subject: t.subject, status: t.status, csat };
}

/** The ticket's rating, if the customer gave one (for the ticket view). */
export async function csatOfTicket(em: EntityManager, ticketId: number): Promise<CsatView | null> {
  const r = await db(em).selectFrom('csat_response').select(['rating', 'comment', 'created_at']).where('ticket_id', '=', ticketId).executeTakeFirst();
  return r ? { rating: Number(r.rating), comment: r.comment, at: new Date(r.created_at).toISOString() } : null;
}

const CsatInput = z.object({
  rating: z.coerce.number({ error: 'ratingInvalid' }).int('ratingInvalid').min(1, 'ratingInvalid').max(5, 'ratingInvalid'),
  comment: z
    .string()
    .max(2000, 'commentTooLong')
    .refine(isCleanText, 'commentInvalid')
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : null)),
});

/** Records (or replaces) the rating the link's customer gives; audited, and announced as `ticket.csat`. */
export async function recordCsat(orm: MikroORM, token: string | undefined, raw: unknown, actor: Actor): Promise<CsatView> {
  const parsed = CsatInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'rating');
    const code = /^[a-zA-Z]+$/.test(issue?.message ?? '') ? issue!.message : 'ratingInvalid';
    throw invalid([{ field, code, messageKey: `macros.errors.${code}` }]);
  }
  const { rating, comment } = parsed.data;
  return orm.em.fork().transactional(async (em) => {
    if (!token || !TOKEN.test(token)) throw new DomainError(404, 'not_found', 'No such rating link.');
    const t = await db(em).selectFrom('ticket').select(['id', 'number', 'assignee_id', 'team_id']).where('token', '=', token).forUpdate().executeTakeFirst();
    if (!t) throw new DomainError(404, 'not_found', 'No such rating link.');
    const before = await csatOfTicket(em, Number(t.id));
    await db(em)
      .insertInto('csat_response')
      .values({ ticket_id: t.id, rating, comment, created_at: ksql`now()` })
      .onConflict((oc) => oc.column('ticket_id').doUpdateSet({ rating, comment, created_at: ksql`now()` }))
      .execute();
    audit(em, actor, {
      action: 'ticket.csat',
      entityType: 'Ticket',
      entityId: t.id,
      before: before ? { rating: before.rating, comment: before.comment } : null,
      after: { rating, comment },
    });
    publish(em, 'service', 'ticket.csat', {
      ticketId: Number(t.id),
      number: t.number,
      rating,
      replaced: !!before,
      assigneeId: t.assignee_id,
      teamId: t.team_id,
    });
    return { rating, comment, at: new Date().toISOString() };
  });
}
