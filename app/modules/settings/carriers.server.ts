// Carriers and their rules (Settings → Carriers). When an order ships, each parcel goes with the
// service of the rule with the lowest priority number that fits it (service level, destination
// country, weight), over the active carriers: `chooseCarrier`, the same function shipping uses, so
// the rule tester on the screen answers exactly what shipping will do.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db, jsonb } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { currencyExponent } from '../../lib/money.ts';
import { defaultBaseCurrency } from '../customers/queries.server.ts';
import { chooseCarrier, type CarrierOption, type CarrierRule } from '../fulfilment/planning.ts';
import { formErrors, formTexts, isCountry, MAX_RULES, RULE_SERVICE_LEVELS, toCodeList, toNumber, toText } from './form.ts';

const NS = 'carrierSettings';
/** Rates are in the base currency; the form shows and takes them in its major units. */
const RATE_EXPONENT = currencyExponent(defaultBaseCurrency());
const inMinorUnits = (v: number) => Number.isInteger(Math.round(v * 10 ** RATE_EXPONENT * 1e6) / 1e6);
const toMinor = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 10 ** RATE_EXPONENT));

const RuleInput = z.object({
  service: z.string({ error: 'ruleService' }).trim().min(1, 'ruleService').max(60, 'ruleService'),
  serviceLevels: z.preprocess(
    (v) => (typeof v === 'string' ? [v] : (v ?? [])),
    z.array(z.enum(RULE_SERVICE_LEVELS, { error: 'ruleLevels' }), { error: 'ruleLevels' }).min(1, 'ruleLevels'),
  ),
  countries: z.preprocess(
    toCodeList,
    z
      .array(z.string({ error: 'ruleCountry' }), { error: 'ruleCountry' })
      .max(60, 'ruleCountriesTooMany')
      .superRefine((list, ctx) => {
        const bad = list.find((c) => !isCountry(c));
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: 'ruleCountry', params: { value: bad } });
      }),
  ),
  maxWeightGrams: z.preprocess(toNumber, z.number({ error: 'ruleWeight' }).int('ruleWeight').min(1, 'ruleWeight').max(1_000_000, 'ruleWeight').optional()),
  priority: z.preprocess(toNumber, z.number({ error: 'rulePriority' }).int('rulePriority').min(0, 'rulePriority').max(9999, 'rulePriority')),
  // What a parcel costs us on this rule, in the base currency's major units (as typed, "6.50"); both empty: no rate.
  cost: z.preprocess(toNumber, z.number({ error: 'ruleCost' }).min(0, 'ruleCost').max(100_000, 'ruleCost').refine(inMinorUnits, 'ruleCost').optional()),
  costPerKg: z.preprocess(
    toNumber,
    z.number({ error: 'ruleCostPerKg' }).min(0, 'ruleCostPerKg').max(100_000, 'ruleCostPerKg').refine(inMinorUnits, 'ruleCostPerKg').optional(),
  ),
});

const CarrierInput = z.object({
  name: z.string({ error: 'nameRequired' }).trim().min(1, 'nameRequired').max(100, 'nameTooLong'),
  trackingUrlTemplate: z
    .string({ error: 'trackingUrl' })
    .trim()
    .max(255, 'trackingUrlTooLong')
    .refine((t) => t.includes('{tracking}'), 'trackingUrlPlaceholder')
    .refine((t) => {
      try {
        return ['http:', 'https:'].includes(new URL(t.replaceAll('{tracking}', 'X')).protocol);
      } catch {
        return false;
      }
    }, 'trackingUrl'),
  active: z.boolean({ error: 'activeInvalid' }),
  rules: z.array(RuleInput, { error: 'rulesInvalid' }).max(MAX_RULES, 'rulesTooMany'),
});

export const NewCarrierInput = CarrierInput.extend({
  // "new" is the screen's address for adding one (?code=new).
  code: z
    .string({ error: 'codeFormat' })
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9_-]{1,19}$/, 'codeFormat')
    .refine((c) => c !== 'new', 'codeFormat'),
});

export interface CarrierRow {
  id: number;
  code: string;
  name: string;
  trackingUrlTemplate: string;
  active: boolean;
  rules: CarrierRule[];
  shipments: number;
}

type Row = { id: number; code: string; name: string; tracking_url_template: string; active: boolean; rules: CarrierRule[]; shipments?: string };
/** A rule with its keys in one order (jsonb keeps its own), so stored and submitted rules compare. */
const canonical = (r: CarrierRule): CarrierRule => ({
  service: r.service,
  serviceLevels: [...r.serviceLevels].sort((a, b) => RULE_SERVICE_LEVELS.indexOf(a as never) - RULE_SERVICE_LEVELS.indexOf(b as never)),
  ...(r.countries?.length ? { countries: r.countries } : {}),
  ...(r.maxWeightGrams !== undefined ? { maxWeightGrams: r.maxWeightGrams } : {}),
  priority: r.priority,
  ...(r.costMinor !== undefined ? { costMinor: r.costMinor } : {}),
  ...(r.costPerKgMinor !== undefined ? { costPerKgMinor: r.costPerKgMinor } : {}),
});
const toRow = (r: Row): CarrierRow => ({
  id: r.id,
  code: r.code,
  name: r.name,
  trackingUrlTemplate: r.tracking_url_template,
  active: r.active,
  rules: (r.rules ?? []).map(canonical),
  shipments: Number(r.shipments ?? 0),
});
const SELECT = `select c.id, c.code, c.name, c.tracking_url_template, c.active, c.rules, (select count(*) from shipment s where s.carrier_id = c.id) as shipments from carrier c`;

/** Rules as stored: in the order given, each level once, optional parts left out when empty. */
const storedRules = (rules: z.infer<typeof RuleInput>[]): CarrierRule[] =>
  rules.map(({ cost, costPerKg, ...r }) =>
    canonical({ ...r, serviceLevels: [...new Set(r.serviceLevels)], costMinor: toMinor(cost), costPerKgMinor: toMinor(costPerKg) }),
  );

export async function listCarriers(em: EntityManager): Promise<CarrierRow[]> {
  return (await em.execute<Row[]>(`${SELECT} order by c.active desc, c.name`)).map(toRow);
}

export async function getCarrier(em: EntityManager, code: string): Promise<CarrierRow | null> {
  const [row] = await em.execute<Row[]>(`${SELECT} where c.code = ?`, [code]);
  return row ? toRow(row) : null;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Creates a carrier (`code` null: the code comes in the input) or changes one, its rules replaced
 * whole. Every field and every rule is checked first; bad input is refused by field (422, e.g.
 * `rules.1.priority`) and nothing is written. A change is one transaction with its audit event
 * (the fields that differ, before and after); an edit that changes nothing writes nothing.
 */
export async function saveCarrier(
  orm: MikroORM,
  code: string | null,
  raw: Record<string, unknown>,
  actor: Actor,
): Promise<{ carrier: CarrierRow; created: boolean; changed: string[] }> {
  const parsed = (code === null ? NewCarrierInput : CarrierInput).safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const input = {
    name: parsed.data.name,
    trackingUrlTemplate: parsed.data.trackingUrlTemplate,
    active: parsed.data.active,
    rules: storedRules(parsed.data.rules),
  };
  return orm.em.fork().transactional(async (em) => {
    if (code === null) {
      const newCode = (parsed.data as z.infer<typeof NewCarrierInput>).code;
      const row = await db(em)
        .insertInto('carrier')
        .values({ code: newCode, name: input.name, tracking_url_template: input.trackingUrlTemplate, rules: jsonb(input.rules), active: input.active })
        .onConflict((oc) => oc.column('code').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) throw invalid([{ field: 'code', code: 'code_taken', messageKey: `${NS}.errors.codeTaken`, params: { value: newCode } }]);
      audit(em, actor, { action: 'carrier.created', entityType: 'Carrier', entityId: row.id, after: { code: newCode, ...input } });
      return { carrier: (await getCarrier(em, newCode))!, created: true, changed: Object.keys(input) };
    }
    const locked = await db(em).selectFrom('carrier').select('id').where('code', '=', code).forUpdate().executeTakeFirst();
    if (!locked) throw new DomainError(404, 'not_found', `No carrier ${code}.`);
    const current = (await getCarrier(em, code))!;
    const changed = (Object.keys(input) as (keyof typeof input)[]).filter((k) => !same(current[k], input[k]));
    if (!changed.length) return { carrier: current, created: false, changed };
    await db(em)
      .updateTable('carrier')
      .set({ name: input.name, tracking_url_template: input.trackingUrlTemplate, rules: jsonb(input.rules), active: input.active })
      .where('id', '=', current.id)
      .execute();
    audit(em, actor, {
      action: 'carrier.updated',
      entityType: 'Carrier',
      entityId: current.id,
      before: Object.fromEntries(changed.map((k) => [k, current[k]])),
      after: { code, ...Object.fromEntries(changed.map((k) => [k, input[k]])) },
    });
    return { carrier: { ...current, ...input }, created: false, changed };
  });
}

export const ParcelInput = z.object({
  country: z.string({ error: 'countryInvalid' }).trim().toUpperCase().refine(isCountry, 'countryInvalid'),
  weightGrams: z.preprocess(toNumber, z.number({ error: 'weightRange' }).int('weightRange').min(1, 'weightRange').max(1_000_000, 'weightRange')),
  serviceLevel: z.preprocess(toText, z.enum(RULE_SERVICE_LEVELS, { error: 'levelInvalid' })),
});

export type CarrierChoice = { carrier: { code: string; name: string }; service: string } | null;

/**
 * Which active carrier and service a parcel would ship with (the screen's rule tester): the same
 * carriers, in the same order, through the same `chooseCarrier` as `shipOrder`. Reads only.
 */
export async function previewCarrier(em: EntityManager, raw: Record<string, unknown>): Promise<{ parcel: z.infer<typeof ParcelInput>; choice: CarrierChoice }> {
  const parsed = ParcelInput.safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const carriers: CarrierOption[] = await db(em)
    .selectFrom('carrier')
    .select(['id', 'code', 'name', 'rules'])
    .where('active', '=', true)
    .orderBy('id')
    .execute();
  const choice = chooseCarrier(carriers, parsed.data);
  return { parcel: parsed.data, choice: choice ? { carrier: { code: choice.carrier.code, name: choice.carrier.name }, service: choice.service } : null };
}

/**
 * The form's fields as the input: `rules.<i>.<field>` (serviceLevels repeated, one per ticked box),
 * in index order. Blank rows at the end (the form's spare row) are dropped; a blank row between
 * others is kept, and refused, so that errors name the row the form shows (`rules.<i>.service`).
 */
export function carrierFromForm(form: FormData): Record<string, unknown> {
  const rows = new Map<number, Record<string, unknown>>();
  for (const [key, value] of form) {
    const m = /^rules\.(\d{1,3})\.(service|serviceLevels|countries|maxWeightGrams|priority|cost|costPerKg)$/.exec(key);
    if (!m || typeof value !== 'string') continue;
    const row = rows.get(Number(m[1])) ?? {};
    if (m[2] === 'serviceLevels') row.serviceLevels = [...((row.serviceLevels as string[] | undefined) ?? []), value];
    else row[m[2]] = value;
    rows.set(Number(m[1]), row);
  }
  const filled = (r: Record<string, unknown>) =>
    ['service', 'countries', 'maxWeightGrams', 'priority', 'cost', 'costPerKg'].some((k) => typeof r[k] === 'string' && (r[k] as string).trim() !== '');
  const rules = [...rows.entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
  while (rules.length && !filled(rules[rules.length - 1])) rules.pop();
  return { ...formTexts(form, ['code', 'name', 'trackingUrlTemplate']), active: form.get('active') === 'on', rules };
}
