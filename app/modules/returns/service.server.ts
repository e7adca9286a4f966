// Return requests (RMA). Customers open them from the tracking page (per line a refund or an exchange,
// within the self-service rules below), agents from a ticket; the `return.requested` event starts the
// return workflow.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { z } from 'zod';
import { RETURN_REASONS, type ReturnReason } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { advisoryLock, db, jsonb, prepare, sql } from '../../lib/db.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { NotOnOrderError, refundValue, type PaidOrder } from './value.ts';

const RETURN_WINDOW_DAYS = 30;
const RETURNABLE = ['shipped', 'delivered', 'completed', 'partially_returned'];

export const ReturnInput = z.object({
  reason: z.enum(RETURN_REASONS),
  resolution: z.enum(['refund', 'exchange']).default('refund'),
  comment: z.string().trim().max(1000).optional(),
  lines: z
    .array(
      z.object({
        sku: z.string().min(1),
        quantity: z.coerce.number().int().min(0).max(10_000),
        /** For an exchange: the SKU to send instead (another size or colour); the same SKU when absent or empty. */
        replacementSku: z.string().trim().max(100).optional(),
      }),
    )
    .min(1),
});

/** What may still come back: shipped units minus units already on an open or finished return (not a rejected or expired one). */
export async function returnableLines(em: EntityManager, orderId: number) {
  const rows = await em.execute<{ sku: string; name: string; quantity: number; returned: string }[]>(
    `select l.sku, min(l.name) as name, sum(l.quantity)::int as quantity,
            coalesce((select sum((x ->> 'quantity')::int) from return_request r, jsonb_array_elements(r.lines) x
                       where r.order_id = ? and r.status not in ('rejected', 'expired') and x ->> 'sku' = l.sku), 0) as returned
       from order_line l where l.order_id = ? group by l.sku order by l.sku`,
    [orderId, orderId],
  );
  return rows.map((r) => ({ sku: r.sku, name: r.name, quantity: r.quantity, returnable: r.quantity - Number(r.returned) }));
}

export async function returnWindowOpen(em: EntityManager, orderId: number): Promise<boolean> {
  const o = await db(em)
    .selectFrom('sales_order as o')
    .select((eb) => [
      'o.status',
      'o.placed_at',
      eb
        .selectFrom('shipment as s')
        .select((s) => s.fn.max('s.delivered_at').as('m'))
        .whereRef('s.order_id', '=', 'o.id')
        .as('delivered'),
    ])
    .where('o.id', '=', orderId)
    .executeTakeFirst();
  if (!o || !RETURNABLE.includes(o.status)) return false;
  const from = o.delivered ?? o.placed_at;
  return Date.now() - new Date(from).getTime() <= RETURN_WINDOW_DAYS * 86_400_000;
}

type Resolution = z.infer<typeof ReturnInput>['resolution'];
type RmaLine = { sku: string; quantity: number; replacementSku?: string };

/** The order, locked, when its return window is open. */
async function lockReturnableOrder(em: EntityManager, orderId: number): Promise<{ id: number; number: string }> {
  const o = await db(em).selectFrom('sales_order').select(['id', 'number']).where('id', '=', orderId).forUpdate().executeTakeFirst();
  if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  if (!(await returnWindowOpen(em, orderId)))
    throw new DomainError(409, 'not_returnable', `Order ${o.number} cannot be returned now.`, { params: { days: RETURN_WINDOW_DAYS } });
  return o;
}

/**
 * Opens one RMA with its audit event and, unless `announceAs` says otherwise, the `return.requested`
 * event that starts the return flow. A flow opening its own RMA announces `return.updated` instead
 * (it handles the RMA itself) and names it (`number`) from its step key, so a retry finds it.
 */
async function openRma(
  em: EntityManager,
  o: { id: number; number: string },
  r: { reason: ReturnReason; comment?: string; resolution: Resolution; lines: RmaLine[] },
  actor: Actor,
  source: string,
  opts: { number?: string; announceAs?: 'return.requested' | 'return.updated' } = {},
) {
  const rma = await db(em)
    .insertInto('return_request')
    .values({
      number: opts.number ?? ksql<string>`'RMA-' || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 8))`,
      order_id: o.id,
      status: 'requested',
      reason: r.reason,
      comment: r.comment ?? null,
      resolution: r.resolution,
      lines: jsonb(r.lines),
      source,
      created_at: ksql`now()`,
      updated_at: ksql`now()`,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  audit(em, actor, {
    action: 'return.requested',
    entityType: 'Order',
    entityId: o.id,
    after: { rma: rma.number, returnId: rma.id, reason: r.reason, resolution: r.resolution, lines: r.lines },
  });
  if (opts.announceAs === 'return.updated') publish(em, 'service', 'return.updated', { returnId: rma.id, rma: rma.number, orderId: o.id, status: 'requested' });
  else
    publish(em, 'service', 'return.requested', {
      returnId: rma.id,
      rma: rma.number,
      orderId: o.id,
      number: o.number,
      reason: r.reason,
      resolution: r.resolution,
      lines: r.lines,
    });
  return { id: rma.id, number: rma.number };
}

/**
 * The RMA a flow opens for itself under `number` (derived from its step key): the one already made
 * under that number, else a new one after the same checks as any request. Serialised per number.
 */
export async function openFlowRma(
  em: EntityManager,
  orderId: number,
  raw: unknown,
  number: string,
  actor: Actor,
): Promise<{ id: number; number: string; status: string; created: boolean }> {
  const parsed = ReturnInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const wanted = parsed.data.lines.filter((l) => l.quantity > 0);
  await advisoryLock(em, `return:${number}`);
  const found = await db(em).selectFrom('return_request').select(['id', 'status']).where('number', '=', number).executeTakeFirst();
  if (found) return { id: found.id, number, status: found.status, created: false };
  const o = await lockReturnableOrder(em, orderId);
  const allowed = await returnableLines(em, orderId);
  for (const l of wanted) {
    const a = allowed.find((x) => x.sku === l.sku);
    if (!a || l.quantity > a.returnable)
      throw new DomainError(409, 'not_returnable', `${l.quantity} × ${l.sku} cannot be returned from ${o.number}.`, {
        params: { sku: l.sku, max: a?.returnable ?? 0 },
      });
  }
  if (!wanted.length) throw new DomainError(422, 'validation_failed', 'Nothing to return.', { field: 'lines' });
  const rma = await openRma(
    em,
    o,
    { reason: parsed.data.reason, comment: parsed.data.comment, resolution: parsed.data.resolution, lines: wanted },
    actor,
    'workflow',
    { number, announceAs: 'return.updated' },
  );
  return { ...rma, status: 'requested', created: true };
}

export async function requestReturn(orm: MikroORM, orderId: number, raw: unknown, actor: Actor, source: string) {
  const parsed = ReturnInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const wanted = input.lines.filter((l) => l.quantity > 0);
  if (!wanted.length) throw invalid([fieldError('lines', 'nothing_selected')]);
  return orm.em.fork().transactional(async (em) => {
    const o = await lockReturnableOrder(em, orderId);
    const allowed = await returnableLines(em, orderId);
    const replacements = [...new Set(wanted.flatMap((l) => (l.replacementSku ? [l.replacementSku] : [])))];
    const known = new Set(
      replacements.length
        ? (await db(em).selectFrom('product').select('sku').where('sku', 'in', replacements).where('active', '=', true).execute()).map((p) => p.sku)
        : [],
    );
    const errors = wanted.flatMap((l) => {
      const a = allowed.find((x) => x.sku === l.sku);
      const i = input.lines.indexOf(l);
      if (!a) return [fieldError(`lines.${i}.sku`, 'unknown_sku', { sku: l.sku })];
      if (l.replacementSku && !known.has(l.replacementSku)) return [fieldError(`lines.${i}.replacementSku`, 'unknown_sku', { sku: l.replacementSku })];
      return l.quantity > a.returnable ? [fieldError(`lines.${i}.quantity`, 'too_big', { max: a.returnable })] : [];
    });
    if (errors.length) throw invalid(errors);
    return openRma(em, o, { reason: input.reason, comment: input.comment, resolution: input.resolution, lines: wanted }, actor, source);
  });
}

// ---- Self-service (the public tracking page) ----

/** What a customer asks on the tracking page: per line how many come back, and a refund or an exchange (for which product). */
const SelfServiceReturnInput = z.object({
  reason: z.enum(RETURN_REASONS),
  comment: z.string().trim().max(1000).optional(),
  lines: z
    .array(
      z.object({
        sku: z.string().min(1),
        quantity: z.coerce.number().int().min(0).max(10_000),
        resolution: z.enum(['refund', 'exchange']).default('refund'),
        /** For an exchange: the product to send instead; empty means the same product again. Ignored for a refund. */
        replacementSku: z.string().trim().max(100).optional(),
      }),
    )
    .min(1)
    .max(200),
});

/** How many replacement suggestions the tracking page offers per returned product. */
const EXCHANGE_SUGGESTIONS = 50;

/** A candidate with stock in some warehouse (ATP > 0 somewhere; the CHECKs keep every level's ATP ≥ 0). */
const IN_STOCK = 'exists (select 1 from inventory_level l where l.product_id = c.id and l.on_hand > l.reserved)';
/** Active, in the returned product's currency, at its price or less, in stock. */
const ELIGIBLE = `c.active and c.currency = r.currency and c.price_minor <= r.price_minor and ${IN_STOCK}`;

/**
 * Per returned product (a row r): the same product, then up to $2 of its category by name, then the
 * rest by name, only as many as are still missing. Each group walks an index in the order shown
 * (product_category_name_sku_index, product_name_sku_index: active products, carrying the columns
 * the filters read) and stops at the limit, so a page reads about as many products as it offers,
 * not every product at or below the price; the stock check runs only on candidates that pass the
 * price, and stops at the first warehouse with stock.
 */
const EXCHANGE_OPTIONS = prepare(
  'exchange_options',
  `select r.sku as for_sku, s.sku, s.name
   from product r
   cross join lateral (
     with near as (
       (select 0 as grp, c.sku, c.name from product c where c.id = r.id and ${ELIGIBLE})
       union all
       (select 1, c.sku, c.name from product c where c.category = r.category and c.id <> r.id and ${ELIGIBLE} order by c.name, c.sku limit $2::int)
       union all
       (select 1, c.sku, c.name from product c where r.category is null and c.category is null and c.id <> r.id and ${ELIGIBLE} order by c.name, c.sku limit $2::int))
     select grp, sku, name from near
     union all
     (select 2, c.sku, c.name from product c where c.category is distinct from r.category and ${ELIGIBLE}
       order by c.name, c.sku limit greatest(0, $2::int - (select count(*) from near)))
     order by grp, name, sku limit $2::int) s
  where r.sku = any($1::text[])
  order by r.sku, s.grp, s.name, s.sku`,
);

export interface ExchangeOption {
  sku: string;
  name: string;
}

/**
 * What each returned product can be exchanged for on the tracking page: active products in stock
 * at the same list price or less (an exchange ships at no charge), in the same currency; the same
 * product first, then those of its category (its other sizes and colours), then the rest, each
 * group by name; up to EXCHANGE_SUGGESTIONS. Keyed by the returned SKU; one statement for all of
 * them, each SKU looked up once however many lines carry it.
 */
export async function exchangeOptions(em: EntityManager, skus: string[]): Promise<Record<string, ExchangeOption[]>> {
  const distinct = [...new Set(skus)];
  if (!distinct.length) return {};
  const rows = await sql<{ for_sku: string; sku: string; name: string }>(em, EXCHANGE_OPTIONS, [distinct, EXCHANGE_SUGGESTIONS]);
  const out: Record<string, ExchangeOption[]> = Object.fromEntries(distinct.map((s) => [s, []]));
  for (const r of rows) out[r.for_sku].push({ sku: r.sku, name: r.name });
  return out;
}

/**
 * A customer's return request from the tracking page. Each line is a refund or an exchange; an
 * exchange takes any active product at the same list price or less (same currency), in stock for
 * the quantity now (the replacement ships at no charge; the stock is reserved when the flow makes
 * the exchange). Errors name the line's field (`lines.<i>.quantity`, `lines.<i>.replacementSku`).
 * An RMA has one resolution, so refund lines and exchange lines become one RMA each, opened
 * together in one transaction, each starting its own return flow. Returns them.
 */
export async function requestSelfServiceReturn(
  orm: MikroORM,
  orderId: number,
  raw: unknown,
  actor: Actor,
  source: string,
): Promise<{ id: number; number: string; resolution: Resolution }[]> {
  const parsed = SelfServiceReturnInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const wanted = input.lines
    .map((l, i) => ({ ...l, i, replacementSku: l.resolution === 'exchange' ? l.replacementSku || l.sku : undefined }))
    .filter((l) => l.quantity > 0);
  if (!wanted.length) throw invalid([fieldError('lines', 'nothing_selected')]);
  return orm.em.fork().transactional(async (em) => {
    const o = await lockReturnableOrder(em, orderId);
    const allowed = await returnableLines(em, orderId);
    const skus = [...new Set(wanted.flatMap((l) => [l.sku, ...(l.replacementSku ? [l.replacementSku] : [])]))];
    const products = new Map(
      (
        await db(em)
          .selectFrom('product as p')
          .select((eb) => [
            'p.sku',
            'p.price_minor',
            'p.currency',
            'p.active',
            eb
              .selectFrom('inventory_level as l')
              .select(ksql<string>`coalesce(sum(l.on_hand - l.reserved), 0)`.as('atp'))
              .whereRef('l.product_id', '=', 'p.id')
              .as('atp'),
          ])
          .where('p.sku', 'in', skus)
          .execute()
      ).map((p) => [p.sku, p]),
    );
    // Units of each replacement asked for across the lines, against its stock.
    const asked = new Map<string, number>();
    for (const l of wanted) if (l.replacementSku) asked.set(l.replacementSku, (asked.get(l.replacementSku) ?? 0) + l.quantity);
    const errors = wanted.flatMap((l) => {
      const a = allowed.find((x) => x.sku === l.sku);
      if (!a) return [fieldError(`lines.${l.i}.sku`, 'unknown_sku', { sku: l.sku })];
      if (l.quantity > a.returnable) return [fieldError(`lines.${l.i}.quantity`, 'too_big', { max: a.returnable })];
      if (!l.replacementSku) return [];
      const field = `lines.${l.i}.replacementSku`;
      const returned = products.get(l.sku),
        replacement = products.get(l.replacementSku);
      if (!replacement?.active) return [fieldError(field, 'unknown_sku', { sku: l.replacementSku })];
      if (!returned || replacement.currency !== returned.currency || Number(replacement.price_minor) > Number(returned.price_minor))
        return [fieldError(field, 'replacement_costs_more', { sku: l.replacementSku })];
      const available = Math.max(0, Number(replacement.atp));
      if ((asked.get(l.replacementSku) ?? 0) > available) return [fieldError(field, 'replacement_unavailable', { sku: l.replacementSku, available })];
      return [];
    });
    if (errors.length) throw invalid(errors);
    const opened: { id: number; number: string; resolution: Resolution }[] = [];
    for (const resolution of ['refund', 'exchange'] as const) {
      const lines: RmaLine[] = wanted
        .filter((l) => l.resolution === resolution)
        .map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.replacementSku ? { replacementSku: l.replacementSku } : {}) }));
      if (lines.length)
        opened.push({ ...(await openRma(em, o, { reason: input.reason, comment: input.comment, resolution, lines }, actor, source)), resolution });
    }
    return opened;
  });
}

/**
 * What return `returnId` refunds: what the customer paid for its units (value.ts: the discount and any tax
 * added on top shared over the lines), after the units of the order's earlier RMAs (not rejected or expired). The one
 * place this is computed: the refund step pays it, the `return.requested` trigger carries it for approvals.
 */
export async function refundDue(em: EntityManager, returnId: number): Promise<{ amount: number; currency: string; orderId: number }> {
  const r = await db(em)
    .selectFrom('return_request as r')
    .innerJoin('sales_order as o', 'o.id', 'r.order_id')
    .select(['r.order_id', 'r.lines', 'o.currency', 'o.discount_minor', 'o.tax_minor', 'o.tax_included'])
    .where('r.id', '=', returnId)
    .executeTakeFirst();
  if (!r) throw new DomainError(404, 'not_found', `No return ${returnId}.`);
  const [lines, earlier] = await Promise.all([
    db(em).selectFrom('order_line').select(['sku', 'quantity', 'unit_price_minor']).where('order_id', '=', r.order_id).orderBy('id').execute(),
    db(em)
      .selectFrom('return_request')
      .select('lines')
      .where('order_id', '=', r.order_id)
      .where('id', '<', returnId)
      .where('status', 'not in', ['rejected', 'expired'])
      .orderBy('id')
      .execute(),
  ]);
  const order: PaidOrder = {
    lines: lines.map((l) => ({ sku: l.sku, quantity: Number(l.quantity), unitPrice: Number(l.unit_price_minor) })),
    discount: Number(r.discount_minor),
    tax: Number(r.tax_minor),
    taxIncluded: Boolean(r.tax_included),
  };
  try {
    return {
      amount: refundValue(
        order,
        earlier.flatMap((e) => e.lines),
        r.lines,
      ),
      currency: r.currency,
      orderId: Number(r.order_id),
    };
  } catch (e) {
    if (!(e instanceof NotOnOrderError)) throw e;
    throw new DomainError(409, 'not_on_order', `Return ${returnId} lists more ${e.sku} than order ${r.order_id} has.`, { params: { sku: e.sku } });
  }
}

/** An order's RMAs, oldest first, for the order page. */
export async function returnsOfOrder(em: EntityManager, orderId: number) {
  const rows = await db(em)
    .selectFrom('return_request')
    .select(['id', 'number', 'status', 'reason', 'resolution', 'lines', 'source', 'created_at'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    status: r.status,
    reason: r.reason,
    resolution: r.resolution,
    lines: r.lines as RmaLine[],
    source: r.source,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
