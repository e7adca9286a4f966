// Changing customers: the profile (name, phone, language: only here, never by an order), tags
// (validated, audited) and the rule-based tier (after each order, on request, or for the whole base in
// batches). Each change is audited in its own transaction.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { LOCALES } from '../../lib/i18n.ts';
import { audit, auditMany, type Actor } from '../../lib/audit.server.ts';
import { db, prepare, sql } from '../../lib/db.server.ts';
import { DomainError, invalid, parseInput } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/problem.ts';
import { customerTierFactsBatch, customerTierFactsMany, defaultBaseCurrency } from './queries.server.ts';
import { MAX_TAG_LENGTH, MAX_TAGS, Tag, Tags } from './tags.ts';
import { tierFor, type Tier } from './tiers.ts';

/** Field errors for a bad tag list, in words a person can act on (the tag at fault is named). */
function tagErrors(error: z.ZodError, raw: unknown): FieldError[] {
  return error.issues.map((issue): FieldError => {
    const index = typeof issue.path[0] === 'number' ? issue.path[0] : null;
    const tag = index !== null && Array.isArray(raw) ? String(raw[index]) : '';
    if (index === null) {
      return issue.code === 'too_big'
        ? { field: 'tags', code: 'too_many_tags', messageKey: 'customers.errors.tooManyTags', params: { max: MAX_TAGS } }
        : { field: 'tags', code: 'invalid_type', messageKey: 'errors.validation.invalid_type' };
    }
    const field = `tags.${index}`;
    if (issue.code === 'too_big') return { field, code: 'tag_too_long', messageKey: 'customers.errors.tagTooLong', params: { tag, max: MAX_TAG_LENGTH } };
    if (issue.code === 'too_small') return { field, code: 'required', messageKey: 'errors.validation.required' };
    return { field, code: 'invalid_tag', messageKey: 'customers.errors.tagFormat', params: { tag } };
  });
}

/**
 * Replaces a customer's tags. Tags are trimmed and lowercased, must be slugs (a-z, 0-9, inner
 * hyphens) of at most 30 characters, at most 10 of them. A bad list is refused whole (422 naming
 * each tag at fault) and nothing is written.
 */
export async function updateTags(orm: MikroORM, customerId: number, raw: unknown, actor: Actor): Promise<{ tags: string[]; changed: boolean }> {
  const parsed = Tags.safeParse(raw);
  if (!parsed.success) throw invalid(tagErrors(parsed.error, raw));
  const tags = parsed.data;
  return orm.em.fork().transactional(async (em) => {
    const row = await db(em).selectFrom('customer').select('tags').where('id', '=', customerId).forUpdate().executeTakeFirst();
    if (!row) throw new DomainError(404, 'not_found', `Customer ${customerId} does not exist.`);
    const before = row.tags ?? [];
    if (before.length === tags.length && before.every((t, i) => t === tags[i])) return { tags, changed: false };
    await db(em).updateTable('customer').set({ tags }).where('id', '=', customerId).execute();
    audit(em, actor, { action: 'customer.tags_updated', entityType: 'Customer', entityId: customerId, before: { tags: before }, after: { tags } });
    return { tags, changed: true };
  });
}

/** One tag, normalised (trimmed, lowercased) or refused with 422 naming it (field `tag`), as in a tag list. */
export function parseTag(raw: unknown): string {
  const parsed = Tag.safeParse(raw);
  if (parsed.success) return parsed.data;
  const errors = tagErrors(new z.ZodError(parsed.error.issues.map((issue) => ({ ...issue, path: [0, ...issue.path] }))), [raw]);
  throw invalid(errors.map((e) => ({ ...e, field: 'tag' })));
}

export interface BulkTagResult {
  tag: string;
  /** Customers the tag was added to. */
  tagged: number[];
  /** Customers that had it already. */
  already: number[];
  /** Customers left out: their tag list is full (MAX_TAGS). */
  full: number[];
}

/**
 * Adds one tag to many customers (a campaign's segment) in one transaction: one conditional update,
 * an audit event per customer tagged (before and after) and one summary event naming the reason. A
 * bad tag is refused whole (422) and nothing is written; customers that have it already are left as
 * they are, and so are those whose tag list is full (reported, never truncated); unknown ids are ignored.
 */
export async function tagCustomers(
  orm: MikroORM,
  customerIds: readonly number[],
  rawTag: unknown,
  actor: Actor,
  opts: { reason?: string } = {},
): Promise<BulkTagResult> {
  const tag = parseTag(rawTag);
  const ids = [...new Set(customerIds)];
  return orm.em.fork().transactional(async (em) => {
    const rows = ids.length ? await db(em).selectFrom('customer').select(['id', 'tags']).where('id', 'in', ids).orderBy('id').forUpdate().execute() : [];
    const result: BulkTagResult = { tag, tagged: [], already: [], full: [] };
    const before = new Map<number, string[]>();
    for (const r of rows) {
      const tags = r.tags ?? [];
      const id = Number(r.id);
      if (tags.includes(tag)) result.already.push(id);
      else if (tags.length >= MAX_TAGS) result.full.push(id);
      else {
        result.tagged.push(id);
        before.set(id, tags);
      }
    }
    if (result.tagged.length) {
      await db(em)
        .updateTable('customer')
        .set((eb) => ({ tags: eb.fn<string[]>('array_append', ['tags', eb.val(tag)]) }))
        .where('id', 'in', result.tagged)
        .execute();
      await auditMany(
        em,
        result.tagged.map((id) => ({
          actor,
          entry: {
            action: 'customer.tags_updated',
            entityType: 'Customer',
            entityId: id,
            before: { tags: before.get(id)! },
            after: { tags: [...before.get(id)!, tag], ...(opts.reason ? { reason: opts.reason } : {}) },
          },
        })),
      );
    }
    audit(em, actor, {
      action: 'customer.bulk_tagged',
      entityType: 'Customer',
      after: { tag, reason: opts.reason ?? null, tagged: result.tagged.length, already: result.already.length, full: result.full.length },
    });
    return result;
  });
}

/** What an agent may change of a customer. The email is the customer's identity across channels, so it stays. */
const ProfileInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  // Digits and the usual separators, and an extension ("(555) 010-0100 x42", "ext. 42").
  phone: z
    .string()
    .trim()
    .max(40)
    .refine((p) => /^[\d\s()+./-]*(?:\s*(?:x|ext\.?)\s*\d+)?$/i.test(p), { message: 'phone', params: { code: 'invalid_phone' } })
    .transform((p) => p || null),
  locale: z.enum(LOCALES),
});

/**
 * The one way a customer's name, phone or language changes (orders from any channel never rename a customer:
 * each order keeps the name it came with). Refused whole with the fields at fault; audited before and after.
 */
export async function updateProfile(orm: MikroORM, customerId: number, raw: unknown, actor: Actor): Promise<{ changed: boolean }> {
  const input = parseInput(ProfileInput, raw);
  return orm.em.fork().transactional(async (em) => {
    const row = await db(em).selectFrom('customer').select(['name', 'phone', 'locale']).where('id', '=', customerId).forUpdate().executeTakeFirst();
    if (!row) throw new DomainError(404, 'not_found', `Customer ${customerId} does not exist.`);
    const before = { name: row.name, phone: row.phone, locale: row.locale };
    if (before.name === input.name && before.phone === input.phone && before.locale === input.locale) return { changed: false };
    await db(em).updateTable('customer').set({ name: input.name, phone: input.phone, locale: input.locale }).where('id', '=', customerId).execute();
    audit(em, actor, { action: 'customer.profile_updated', entityType: 'Customer', entityId: customerId, before, after: input });
    return { changed: true };
  });
}

const SET_TIERS = prepare(
  'customer_set_tiers',
  `update customer c set tier = t.tier from unnest($1::int[], $2::text[], $3::text[]) as t(id, tier, old)
  where c.id = t.id and c.tier = t.old returning c.id`,
);

export interface TierResult {
  customerId: number;
  tier: Tier;
  previous: Tier;
  changed: boolean;
  ltv: number;
  orders: number;
}

/**
 * Applies the tier rules to customers inside the caller's transaction: one aggregate query and,
 * only for tiers that move, one conditional update plus an audit event each (by the given actor).
 * Intake calls it for the customers of every batch of new orders. A tier someone else moved
 * meanwhile stands, and nothing is recorded for it. The base currency defaults to BASE_CURRENCY.
 */
export async function recomputeTiers(
  em: EntityManager,
  customers: readonly { id: number; actor: Actor }[],
  base: string = defaultBaseCurrency(),
): Promise<TierResult[]> {
  if (!customers.length) return [];
  const actorOf = new Map(customers.map((c) => [c.id, c.actor]));
  const facts = await customerTierFactsMany(em, [...actorOf.keys()], base);
  const results = facts.map((f): TierResult => {
    const tier = tierFor({ ltvBaseMinor: f.stats.ltv, orders: f.stats.ordersCount, baseCurrency: base });
    return { customerId: f.id, tier, previous: f.tier, changed: tier !== f.tier, ltv: f.stats.ltv, orders: f.stats.ordersCount };
  });
  const moves = results.filter((r) => r.changed);
  if (!moves.length) return results;
  const updated = new Set(
    (await sql<{ id: number }>(em, SET_TIERS, [moves.map((m) => m.customerId), moves.map((m) => m.tier), moves.map((m) => m.previous)])).map((r) =>
      Number(r.id),
    ),
  );
  for (const m of moves) m.changed = updated.has(m.customerId);
  await auditMany(
    em,
    moves
      .filter((m) => m.changed)
      .map((m) => ({
        actor: actorOf.get(m.customerId)!,
        entry: {
          action: 'customer.tier_changed',
          entityType: 'Customer',
          entityId: m.customerId,
          before: { tier: m.previous },
          after: { tier: m.tier, ltv: m.ltv, orders: m.orders, currency: base },
        },
      })),
  );
  return results;
}

/** `recomputeTiers` for one customer; 404 when there is no such customer. */
export async function recomputeTier(em: EntityManager, customerId: number, actor: Actor, base: string = defaultBaseCurrency()): Promise<TierResult> {
  const [result] = await recomputeTiers(em, [{ id: customerId, actor }], base);
  if (!result) throw new DomainError(404, 'not_found', `Customer ${customerId} does not exist.`);
  return result;
}

/** `recomputeTier` in its own transaction (the "recompute tier" button). */
export function recomputeTierNow(orm: MikroORM, customerId: number, actor: Actor, base: string = defaultBaseCurrency()): Promise<TierResult> {
  return orm.em.fork().transactional((em) => recomputeTier(em, customerId, actor, base));
}

/**
 * Applies the tier rules to every customer, `batchSize` customers per transaction (keyset by id):
 * one aggregate query and one bulk conditional update per batch, an audit event per change and one
 * summary event at the end.
 */
export async function recomputeAllTiers(
  orm: MikroORM,
  actor: Actor,
  opts: { base?: string; batchSize?: number } = {},
): Promise<{ checked: number; changed: number }> {
  const base = opts.base ?? defaultBaseCurrency();
  const batchSize = opts.batchSize ?? 500;
  let afterId = 0;
  let checked = 0;
  let changed = 0;
  for (;;) {
    const done = await orm.em.fork().transactional(async (em) => {
      const batch = await customerTierFactsBatch(em, afterId, batchSize, base);
      if (!batch.length) return true;
      afterId = batch[batch.length - 1].id;
      checked += batch.length;
      const moves = batch.flatMap((c) => {
        const tier = tierFor({ ltvBaseMinor: c.stats.ltv, orders: c.stats.ordersCount, baseCurrency: base });
        return tier === c.tier ? [] : [{ ...c, next: tier }];
      });
      if (moves.length) {
        const updated = await em.execute<{ id: number }[]>(
          `update customer c set tier = v.tier from (values ${moves.map(() => '(?::int, ?::text, ?::text)').join(', ')}) as v(id, tier, old)
            where c.id = v.id and c.tier = v.old returning c.id`,
          moves.flatMap((m) => [m.id, m.next, m.tier]),
        );
        const ids = new Set(updated.map((u) => Number(u.id)));
        for (const m of moves.filter((x) => ids.has(x.id))) {
          audit(em, actor, {
            action: 'customer.tier_changed',
            entityType: 'Customer',
            entityId: m.id,
            before: { tier: m.tier },
            after: { tier: m.next, ltv: m.stats.ltv, orders: m.stats.ordersCount, currency: base },
          });
        }
        changed += ids.size;
      }
      return batch.length < batchSize;
    });
    if (done) break;
  }
  const em = orm.em.fork();
  audit(em, actor, { action: 'customer.tiers_recomputed', entityType: 'Customer', after: { checked, changed, currency: base } });
  await em.flush();
  return { checked, changed };
}

// ---- Customers of incoming orders ----

/**
 * Customers known by email, created on first order. A known customer's row is never rewritten by an
 * order (any channel could send any name for an email): it changes only through an explicit customer
 * update, and the order keeps the name it came with. Rows the insert did not return are read as they are.
 */
const CUSTOMERS = prepare(
  'customers_for_orders',
  `with input as (
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as i(email, name, phone, locale, addresses)),
  upserted as (
    insert into customer (email, name, phone, locale, addresses, tags, tier, created_at)
    select email, name, phone, locale, addresses::jsonb, '{}', 'standard', now() from input
    on conflict (email) do nothing
    returning id, email)
  select c.id, c.email, not exists (select 1 from sales_order o where o.customer_id = c.id) as first_order
    from (select id, email from upserted
          union all
          select c.id, c.email from customer c join input i on i.email = c.email where not exists (select 1 from upserted u where u.email = c.email)) c`,
);

/** A buyer as an order names them. */
export interface Buyer {
  email: string;
  name: string;
  phone?: string | null;
  locale?: string | null;
  address: unknown;
}

/**
 * The customer of each buyer (by email), created on first order, and whether they have ordered before.
 * Intake calls it for a whole batch (one prepared statement: bench/orders).
 */
export const customersForOrders = (em: EntityManager, buyers: readonly Buyer[]) =>
  sql<{ id: number; email: string; first_order: boolean }>(em, CUSTOMERS, [
    buyers.map((b) => b.email),
    buyers.map((b) => b.name),
    buyers.map((b) => b.phone ?? null),
    buyers.map((b) => b.locale ?? 'en'),
    buyers.map((b) => JSON.stringify([b.address])),
  ]);
