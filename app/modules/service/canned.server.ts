// Canned responses (Settings → Canned responses) and their rendering for a ticket. The service desk
// is the only writer of canned_response; every save and removal is audited in its transaction.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { z } from 'zod';
import { LOCALES } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db, jsonb } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/problem.ts';
import { publicUrl, trackingPageUrl } from '../notifications/service.server.ts';
import { storeProfile } from '../settings/store.server.ts';
import { formErrors } from '../settings/form.ts';
import { bodyFor, MAX_TEMPLATE_CHARS, parseCanned, renderCanned, type CannedValues } from './canned.ts';

const NS = 'macros';

export interface CannedRow {
  id: number;
  name: string;
  bodies: Record<string, string>;
  tags: string[];
  updatedAt: string;
}

const toRow = (r: { id: number; name: string; bodies: unknown; tags: string[] | null; updated_at: Date | string }): CannedRow => ({
  id: Number(r.id),
  name: r.name,
  bodies: (r.bodies ?? {}) as Record<string, string>,
  tags: r.tags ?? [],
  updatedAt: new Date(r.updated_at).toISOString(),
});

export async function listCanned(em: EntityManager): Promise<CannedRow[]> {
  const rows = await db(em).selectFrom('canned_response').select(['id', 'name', 'bodies', 'tags', 'updated_at']).orderBy('name').execute();
  return rows.map(toRow);
}

export async function getCanned(em: EntityManager, id: number): Promise<CannedRow | null> {
  const r = await db(em).selectFrom('canned_response').select(['id', 'name', 'bodies', 'tags', 'updated_at']).where('id', '=', id).executeTakeFirst();
  return r ? toRow(r) : null;
}

const Body = z.string({ error: 'bodyInvalid' }).max(MAX_TEMPLATE_CHARS, 'bodyTooLong');

export const CannedInput = z.object({
  name: z.string({ error: 'nameRequired' }).trim().min(1, 'nameRequired').max(100, 'nameTooLong'),
  bodies: z.object({ en: Body.refine((b) => b.trim().length > 0, 'bodyRequired'), 'zh-CN': Body.default(''), 'zh-TW': Body.default('') }),
  tags: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/[\s,]+/) : (v ?? [])),
    z
      .array(z.string().trim().toLowerCase().max(40, 'tagTooLong'))
      .transform((l) => [...new Set(l.filter(Boolean))])
      .pipe(z.array(z.string()).max(20, 'tagsTooMany')),
  ),
});
export type CannedInputT = z.infer<typeof CannedInput>;

/** The form's fields as the save takes them. */
export function cannedFromForm(form: FormData): unknown {
  const text = (k: string) => {
    const v = form.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  return {
    name: text('name'),
    bodies: Object.fromEntries(LOCALES.map((l) => [l, (text(`bodies.${l}`) ?? '').replace(/\r\n?/g, '\n')])),
    tags: text('tags') ?? '',
  };
}

/** Parses the input and every body: a body that does not parse is refused on its field with the parser's words. */
export function checkCanned(raw: unknown): { input: CannedInputT; warnings: FieldError[] } {
  const parsed = CannedInput.safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  for (const l of LOCALES) {
    const body = parsed.data.bodies[l];
    if (!body.trim()) continue;
    const p = parseCanned(body);
    if (!p.ok) errors.push({ field: `bodies.${l}`, code: 'templateInvalid', messageKey: `${NS}.errors.templateInvalid`, params: { message: p.message } });
    else if (p.unknown.length)
      warnings.push({ field: `bodies.${l}`, code: 'unknownVariables', messageKey: `${NS}.errors.unknownVariables`, params: { names: p.unknown.join(', ') } });
  }
  if (errors.length) throw invalid(errors);
  return { input: parsed.data, warnings };
}

/** Adds (`id` null) or changes a canned response; audited. Returns what changed and the unknown variables it uses. */
export async function saveCanned(
  orm: MikroORM,
  id: number | null,
  raw: unknown,
  actor: Actor,
): Promise<{ id: number; created: boolean; changed: string[]; warnings: FieldError[] }> {
  const { input, warnings } = checkCanned(raw);
  return orm.em.fork().transactional(async (em) => {
    const clash = await db(em)
      .selectFrom('canned_response')
      .select('id')
      .where(ksql`lower(name)`, '=', input.name.toLowerCase())
      .$if(id != null, (q) => q.where('id', '!=', id!))
      .executeTakeFirst();
    if (clash) throw invalid([{ field: 'name', code: 'nameTaken', messageKey: `${NS}.errors.nameTaken`, params: { value: input.name } }]);
    if (id == null) {
      const row = await db(em)
        .insertInto('canned_response')
        .values({ name: input.name, bodies: jsonb(input.bodies), tags: input.tags, created_at: ksql`now()`, updated_at: ksql`now()` })
        .returning('id')
        .executeTakeFirstOrThrow();
      audit(em, actor, { action: 'canned_response.created', entityType: 'CannedResponse', entityId: row.id, after: { ...input } });
      return { id: Number(row.id), created: true, changed: ['name', 'bodies', 'tags'], warnings };
    }
    const before = await db(em).selectFrom('canned_response').select(['name', 'bodies', 'tags']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new DomainError(404, 'not_found', `Canned response ${id} does not exist.`);
    const was = { name: before.name, bodies: before.bodies as Record<string, string>, tags: before.tags ?? [] };
    const changed = (['name', 'bodies', 'tags'] as const).filter((k) => JSON.stringify(was[k]) !== JSON.stringify(input[k]));
    if (!changed.length) return { id, created: false, changed: [], warnings };
    await db(em)
      .updateTable('canned_response')
      .set({ name: input.name, bodies: jsonb(input.bodies), tags: input.tags, updated_at: ksql`now()` })
      .where('id', '=', id)
      .execute();
    audit(em, actor, {
      action: 'canned_response.updated',
      entityType: 'CannedResponse',
      entityId: id,
      before: Object.fromEntries(changed.map((k) => [k, was[k]])),
      after: Object.fromEntries(changed.map((k) => [k, input[k]])),
    });
    return { id, created: false, changed, warnings };
  });
}

export async function deleteCanned(orm: MikroORM, id: number, actor: Actor): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    const gone = await db(em).deleteFrom('canned_response').where('id', '=', id).returning(['name']).executeTakeFirst();
    if (!gone) throw new DomainError(404, 'not_found', `Canned response ${id} does not exist.`);
    audit(em, actor, { action: 'canned_response.deleted', entityType: 'CannedResponse', entityId: id, before: { name: gone.name } });
  });
}

// ---- Rendering for a ticket ----

/** The variables' values for one ticket: its customer, order (tracking page, carrier link), latest return, the agent, the store. */
export async function cannedValues(em: EntityManager, ticketId: number, agentName: string): Promise<{ language: string; values: CannedValues }> {
  const t = await db(em)
    .selectFrom('ticket as t')
    .leftJoin('customer as c', 'c.id', 't.customer_id')
    .leftJoin('sales_order as o', 'o.id', 't.order_id')
    .select([
      't.number',
      't.language',
      't.requester_name',
      't.requester_email',
      'c.name as customer_name',
      'c.email as customer_email',
      'o.id as order_id',
      'o.number as order_number',
      'o.status as order_status',
      'o.tracking_token',
      'o.customer_name as order_customer_name',
    ])
    .where('t.id', '=', ticketId)
    .executeTakeFirst();
  if (!t) throw new DomainError(404, 'not_found', `Ticket ${ticketId} does not exist.`);
  const base = publicUrl();
  const values: CannedValues = {
    'customer.name': t.customer_name ?? t.order_customer_name ?? t.requester_name ?? '',
    'customer.email': t.customer_email ?? t.requester_email ?? '',
    'agent.name': agentName,
    'ticket.number': t.number,
    'store.name': (await storeProfile(em)).name,
  };
  if (t.order_id != null) {
    const orderId = Number(t.order_id);
    const [shipment, rma] = await Promise.all([
      db(em)
        .selectFrom('shipment as s')
        .leftJoin('carrier as c', 'c.id', 's.carrier_id')
        .select(['s.tracking_number', 'c.tracking_url_template'])
        .where('s.order_id', '=', orderId)
        .orderBy('s.id', 'desc')
        .limit(1)
        .executeTakeFirst(),
      db(em).selectFrom('return_request').select(['number']).where('order_id', '=', orderId).orderBy('id', 'desc').limit(1).executeTakeFirst(),
    ]);
    values['order.number'] = t.order_number ?? '';
    values['order.status'] = t.order_status ?? '';
    values['order.tracking_url'] = t.tracking_token ? trackingPageUrl(base, t.tracking_token) : '';
    if (shipment?.tracking_number)
      values['order.carrier_tracking'] = shipment.tracking_url_template
        ? shipment.tracking_url_template.replace('{tracking}', encodeURIComponent(shipment.tracking_number))
        : shipment.tracking_number;
    if (rma) {
      values['return.number'] = rma.number;
      // Returns are followed (and their instructions read) on the order's tracking page.
      values['return.label_url'] = t.tracking_token ? `${trackingPageUrl(base, t.tracking_token)}#returns` : '';
    }
  }
  return { language: t.language, values };
}

export interface RenderedCanned {
  id: number;
  name: string;
  locale: string;
  text: string;
  unknown: string[];
  /** Set when the template failed to render (time or size limit): the text is empty. */
  error?: string;
}

/** One canned response rendered for a ticket, in the ticket's language (else English). */
export async function renderCannedFor(em: EntityManager, ticketId: number, cannedId: number, agentName: string): Promise<RenderedCanned> {
  const c = await getCanned(em, cannedId);
  if (!c) throw new DomainError(404, 'not_found', `Canned response ${cannedId} does not exist.`, { field: 'cannedId' });
  const { language, values } = await cannedValues(em, ticketId, agentName);
  return renderOne(c, language, values);
}

async function renderOne(c: CannedRow, language: string, values: CannedValues): Promise<RenderedCanned> {
  const { locale, body } = bodyFor(c.bodies, language);
  const r = await renderCanned(body, values);
  return r.ok
    ? { id: c.id, name: c.name, locale, text: r.text, unknown: r.unknown }
    : { id: c.id, name: c.name, locale, text: '', unknown: [], error: r.message };
}

/** Every canned response rendered for this ticket (what the canned picker offers). */
export async function cannedFor(em: EntityManager, ticketId: number, agentName: string): Promise<RenderedCanned[]> {
  const [all, { language, values }] = await Promise.all([listCanned(em), cannedValues(em, ticketId, agentName)]);
  return Promise.all(all.map((c) => renderOne(c, language, values)));
}
