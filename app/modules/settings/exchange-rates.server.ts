// Exchange rates to the base currency (Settings → Exchange rates): each row says how many units of
// a currency one unit of base buys. Intake, lifetime value and reports convert with these rates.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { sql } from 'kysely';
import { db } from '../../lib/db.server.ts';
import { invalid } from '../../lib/errors.ts';
import { isCurrency } from '../../lib/money.ts';
import type { FieldError } from '../../lib/problem.ts';

/** numeric(18,8): up to 10 integer digits and 8 decimals. */
const RATE_PATTERN = /^\d{1,10}(\.\d{1,8})?$/;

const RateInput = z.object({
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'format')
    .refine(isCurrency, 'unknown'),
  rate: z.preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z
      .string()
      .trim()
      .regex(RATE_PATTERN, 'format')
      .refine((v) => Number(v) > 0, 'positive'),
  ),
});

const MESSAGES: Record<string, Record<string, { code: string; messageKey: string }>> = {
  currency: {
    format: { code: 'invalid_currency', messageKey: 'exchangeRates.errors.currencyFormat' },
    unknown: { code: 'unknown_currency', messageKey: 'exchangeRates.errors.unknownCurrency' },
  },
  rate: {
    format: { code: 'invalid_rate', messageKey: 'exchangeRates.errors.rateFormat' },
    positive: { code: 'rate_not_positive', messageKey: 'exchangeRates.errors.ratePositive' },
  },
};

/** One error per field, the first that applies, with a message a person can act on. */
function rateErrors(error: z.ZodError, raw: Record<string, unknown>): FieldError[] {
  const out = new Map<string, FieldError>();
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '_');
    if (out.has(field)) continue;
    const known = MESSAGES[field]?.[issue.message];
    const value = String(raw[field] ?? '');
    out.set(field, known ? { field, ...known, params: { value } } : { field, code: 'required', messageKey: 'errors.validation.required' });
  }
  return [...out.values()];
}

/** "0.92000000" → "0.92", "7.1" → "7.1", "010" → "10": one spelling per value, for display and audit. */
function normaliseRate(rate: string): string {
  const [int, frac = ''] = rate.split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.replace(/0+$/, '');
  return f ? `${i}.${f}` : i;
}

export interface ExchangeRateRow {
  currency: string;
  ratePerBase: string;
  updatedAt: string | null;
  isBase: boolean;
}

/** Every rate, the base currency first (always 1, shown even when the table has no row for it). */
export async function listExchangeRates(em: EntityManager, base: string): Promise<ExchangeRateRow[]> {
  const rows = await db(em)
    .selectFrom('exchange_rate')
    .select(['currency', sql<string>`rate_per_base::text`.as('rate'), 'updated_at'])
    .orderBy('currency')
    .execute();
  const list = rows
    .filter((r) => r.currency !== base)
    .map((r) => ({ currency: r.currency, ratePerBase: normaliseRate(r.rate), updatedAt: new Date(r.updated_at).toISOString(), isBase: false }));
  const own = rows.find((r) => r.currency === base);
  return [{ currency: base, ratePerBase: '1', updatedAt: own ? new Date(own.updated_at).toISOString() : null, isBase: true }, ...list];
}

/**
 * Sets the rate of one currency (adds it when new). The currency must be an ISO 4217 code and not
 * the base currency; the rate a positive decimal with at most 8 decimals. Audited; bad input is
 * refused by field (422) and nothing is written.
 */
export async function saveExchangeRate(
  orm: MikroORM,
  raw: Record<string, unknown>,
  actor: Actor,
  base: string,
): Promise<{ currency: string; ratePerBase: string; created: boolean; changed: boolean }> {
  const parsed = RateInput.safeParse(raw);
  if (!parsed.success) throw invalid(rateErrors(parsed.error, raw));
  const { currency } = parsed.data;
  const rate = normaliseRate(parsed.data.rate);
  if (currency === base) {
    throw invalid([{ field: 'currency', code: 'base_currency', messageKey: 'exchangeRates.errors.baseCurrency', params: { value: currency } }]);
  }
  return orm.em.fork().transactional(async (em) => {
    const existing = await db(em)
      .selectFrom('exchange_rate')
      .select(sql<string>`rate_per_base::text`.as('rate'))
      .where('currency', '=', currency)
      .forUpdate()
      .executeTakeFirst();
    const before = existing ? normaliseRate(existing.rate) : null;
    if (before === rate) return { currency, ratePerBase: rate, created: false, changed: false };
    await db(em)
      .insertInto('exchange_rate')
      // The rate travels as text so that numeric keeps every digit.
      .values({ currency, rate_per_base: sql<number>`${rate}::numeric`, updated_at: sql`now()` })
      .onConflict((oc) => oc.column('currency').doUpdateSet({ rate_per_base: (eb) => eb.ref('excluded.rate_per_base'), updated_at: sql`now()` }))
      .execute();
    audit(em, actor, {
      action: existing ? 'exchange_rate.updated' : 'exchange_rate.created',
      entityType: 'ExchangeRate',
      entityId: currency,
      before: existing ? { ratePerBase: before } : null,
      after: { ratePerBase: rate, base },
    });
    return { currency, ratePerBase: rate, created: !existing, changed: true };
  });
}
