// The service desk's settings (Settings → Teams, Agents, SLA policies, Business calendars): lists,
// one record, and saves. Admins and ops managers (`service.settings`) see and change them. Every
// field is checked first (zod, one translated error per field: `sla.errors.<code>`); bad input is
// refused with 422 and writes nothing; a save is one transaction with its audit event.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CUSTOMER_TIERS } from '../../../entities/customers.ts';
import { LOCALES } from '../../../entities/constants.ts';
import { TICKET_CHANNELS, TICKET_PRIORITIES } from '../../../entities/service.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { assertCsrf, requireUser, userActor } from '../../lib/auth.server.ts';
import { db, jsonb } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/problem.ts';
import { formErrors, saveOutcome, toNumber, toText } from '../settings/form.ts';
import { reofferWaiting, setAvailability } from './assignment.server.ts';
import { isTimeZone, WEEKDAYS, type BusinessHours } from './sla.ts';

const NS = 'sla';

// ---- The screens' frame ----

/** A service settings screen's loader start: an admin or ops manager, and the record `?code=` names (`new`: the add form). */
export async function loadServiceScreen<T>({ request, context }: LoaderFunctionArgs, find: (em: EntityManager, code: string) => Promise<T | null>) {
  await requireUser(request, context, 'service.settings');
  const url = new URL(request.url);
  const em = context.orm.em.fork();
  const code = url.searchParams.get('code');
  const creating = code === 'new';
  const selected = code && !creating ? await find(em, code) : null;
  if (code && !creating && !selected) throw new Response(null, { status: 404 });
  return { url, em, canManage: true, selected, creating };
}

/** A service settings post: an admin's or ops manager's, CSRF checked. */
export async function readServicePost({ request, context }: ActionFunctionArgs): Promise<{ form: FormData; actor: Actor }> {
  const user = await requireUser(request, context, 'service.settings');
  const form = await request.formData();
  assertCsrf(request, form);
  return { form, actor: userActor(user, context.ip) };
}

export const savedTo = (screen: string, id: number, r: { created?: boolean; changed: string[] }) => redirect(`${screen}?code=${id}&done=${saveOutcome(r)}`);

/** `?code=` as a record id (anything else finds nothing). */
const asId = (code: string): number | null => (/^\d{1,9}$/.test(code) ? Number(code) : null);
const text = (form: FormData, key: string): string | undefined => {
  const v = form.get(key);
  return typeof v === 'string' ? v : undefined;
};
const clean = (s: string) => !/[\u0000\uD800-\uDFFF]/.test(s);
const Name = z.string({ error: 'nameRequired' }).trim().min(1, 'nameRequired').max(100, 'nameTooLong').refine(clean, 'nameRequired');
const OptionalId = (code: string) => z.preprocess(toNumber, z.number({ error: code }).int(code).min(1, code).max(2_147_483_647, code).optional());
const taken = (field: string, value: string): FieldError[] => [{ field, code: 'taken', messageKey: `${NS}.errors.taken`, params: { value } }];
/** A unique violation, as MikroORM converts it or as pg raises it through typed SQL (23505). */
const isUnique = (e: unknown) => e instanceof Error && (e.name === 'UniqueConstraintViolationException' || (e as { code?: string }).code === '23505');
const onEmail = (e: unknown) => /email/.test(String((e as { constraint?: string }).constraint ?? (e as Error).message));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
function changedKeys<T extends Record<string, unknown>>(before: T, after: T): (keyof T)[] {
  return (Object.keys(after) as (keyof T)[]).filter((k) => !same(before[k], after[k]));
}
/** The audit event of an update: the fields that changed, before and after. */
function auditChanged<T extends Record<string, unknown>>(
  em: EntityManager,
  actor: Actor,
  action: string,
  entityType: string,
  id: number,
  before: T,
  after: T,
  changed: (keyof T)[],
) {
  audit(em, actor, {
    action,
    entityType,
    entityId: id,
    before: Object.fromEntries(changed.map((k) => [k, before[k]])),
    after: Object.fromEntries(changed.map((k) => [k, after[k]])),
  });
}
function parse<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw invalid(formErrors(r.error, NS, raw));
  return r.data;
}

// ---- Business calendars ----

export interface CalendarRow {
  id: number;
  name: string;
  timeZone: string;
  hours: BusinessHours[];
  holidays: string[];
  teams: number;
}

const minutesOf = (s: string): number | null => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && v <= 1440 ? v : null;
};

/** "09:00-12:00, 13:00-18:00" → spans; NaN spans (refused) for anything else. */
function toSpans(v: unknown): unknown {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string') return v === undefined ? [] : v;
  return v
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [a, b, ...rest] = p.split('-');
      const from = a === undefined ? null : minutesOf(a);
      const to = b === undefined ? null : minutesOf(b);
      return rest.length || from === null || to === null ? { from: Number.NaN, to: Number.NaN } : { from, to };
    });
}

type Span = { from: number; to: number };
/** One weekday's spans, checked as a whole so that every error lands on `hours.<day>`. */
const DaySpans = z.preprocess(
  toSpans,
  z
    .custom<Span[]>((v) => Array.isArray(v), 'hoursFormat')
    .superRefine((spans, ctx) => {
      const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
      if (spans.length > 6 || spans.some((x) => !Number.isInteger(x?.from) || !Number.isInteger(x?.to))) return fail('hoursFormat');
      if (spans.some((x) => x.from < 0 || x.to > 1440 || x.to <= x.from)) return fail('hoursOrder');
      const sorted = [...spans].sort((a, b) => a.from - b.from);
      if (!sorted.every((x, k) => k === 0 || x.from >= sorted[k - 1].to)) fail('hoursOverlap');
    }),
);

const isDate = (s: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
const CalendarInput = z.object({
  name: Name,
  timeZone: z
    .string({ error: 'timeZone' })
    .trim()
    .refine((s) => isTimeZone(s), 'timeZone'),
  hours: z.object(Object.fromEntries(WEEKDAYS.map((d) => [String(d), DaySpans])) as Record<string, typeof DaySpans>),
  holidays: z.preprocess(
    (v) => (typeof v === 'string' ? [...new Set(v.split(/[\s,;]+/).filter(Boolean))] : v),
    z
      .array(z.string())
      .max(366, 'holidaysTooMany')
      .superRefine((list, ctx) => {
        const bad = list.find((d) => !isDate(d) || d < '2000-01-01' || d > '2100-12-31');
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: 'holiday', params: { value: bad } });
      }),
  ),
});

export function calendarFromForm(form: FormData): Record<string, unknown> {
  return {
    name: text(form, 'name'),
    timeZone: text(form, 'timeZone'),
    hours: Object.fromEntries(WEEKDAYS.map((d) => [String(d), text(form, `hours.${d}`) ?? ''])),
    holidays: text(form, 'holidays') ?? '',
  };
}

export async function listCalendars(em: EntityManager): Promise<CalendarRow[]> {
  const rows = await db(em)
    .selectFrom('business_calendar as c')
    .select([
      'c.id',
      'c.name',
      'c.time_zone',
      'c.hours',
      'c.holidays',
      (eb) => eb.selectFrom('team').whereRef('team.calendar_id', '=', 'c.id').select(eb.fn.countAll<string>().as('n')).as('teams'),
    ])
    .orderBy('c.name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, timeZone: r.time_zone, hours: r.hours, holidays: r.holidays, teams: Number(r.teams ?? 0) }));
}

export async function getCalendar(em: EntityManager, code: string): Promise<CalendarRow | null> {
  const id = asId(code);
  return id === null ? null : ((await listCalendars(em)).find((c) => c.id === id) ?? null);
}

export async function saveCalendar(orm: MikroORM, id: number | null, raw: Record<string, unknown>, actor: Actor) {
  const p = parse(CalendarInput, raw);
  const input = {
    name: p.name,
    timeZone: p.timeZone,
    hours: WEEKDAYS.flatMap((day) => p.hours[String(day)].map((s) => ({ day, from: s.from, to: s.to })).sort((a, b) => a.from - b.from)),
    holidays: [...p.holidays].sort(),
  };
  try {
    return await orm.em.fork().transactional(async (em) => {
      if (id === null) {
        const row = await db(em)
          .insertInto('business_calendar')
          .values({ name: input.name, time_zone: input.timeZone, hours: jsonb(input.hours), holidays: jsonb(input.holidays), created_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        audit(em, actor, { action: 'business_calendar.created', entityType: 'BusinessCalendar', entityId: row.id, after: input });
        return { id: row.id, created: true, changed: Object.keys(input) };
      }
      const cur = await db(em)
        .selectFrom('business_calendar')
        .select(['name', 'time_zone', 'hours', 'holidays'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!cur) throw new DomainError(404, 'not_found', `No calendar ${id}.`);
      const before = { name: cur.name, timeZone: cur.time_zone, hours: cur.hours, holidays: cur.holidays };
      const changed = changedKeys(before, input);
      if (!changed.length) return { id, created: false, changed: [] as string[] };
      await db(em)
        .updateTable('business_calendar')
        .set({ name: input.name, time_zone: input.timeZone, hours: jsonb(input.hours), holidays: jsonb(input.holidays) })
        .where('id', '=', id)
        .execute();
      auditChanged(em, actor, 'business_calendar.updated', 'BusinessCalendar', id, before, input, changed);
      return { id, created: false, changed: changed as string[] };
    });
  } catch (e) {
    if (isUnique(e)) throw invalid(taken('name', input.name));
    throw e;
  }
}

// ---- Teams ----

export interface TeamRow {
  id: number;
  name: string;
  email: string | null;
  calendarId: number | null;
  calendarName: string | null;
  leadId: number | null;
  leadName: string | null;
  agents: number;
}

const TeamInput = z.object({
  name: Name,
  email: z.preprocess(toText, z.email({ error: 'email' }).max(255, 'email').optional()),
  calendar: OptionalId('calendar'),
  lead: OptionalId('lead'),
});

export const teamFromForm = (form: FormData): Record<string, unknown> => ({
  name: text(form, 'name'),
  email: text(form, 'email'),
  calendar: text(form, 'calendar'),
  lead: text(form, 'lead'),
});

export async function listTeams(em: EntityManager): Promise<TeamRow[]> {
  const rows = await db(em)
    .selectFrom('team as t')
    .leftJoin('business_calendar as c', 'c.id', 't.calendar_id')
    .leftJoin('app_user as u', 'u.id', 't.lead_id')
    .select([
      't.id',
      't.name',
      't.email',
      't.calendar_id',
      'c.name as calendar_name',
      't.lead_id',
      'u.name as lead_name',
      (eb) => eb.selectFrom('agent_profile').whereRef('agent_profile.team_id', '=', 't.id').select(eb.fn.countAll<string>().as('n')).as('agents'),
    ])
    .orderBy('t.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    email: r.email,
    calendarId: r.calendar_id,
    calendarName: r.calendar_name,
    leadId: r.lead_id,
    leadName: r.lead_name,
    agents: Number(r.agents ?? 0),
  }));
}

export async function getTeam(em: EntityManager, code: string): Promise<TeamRow | null> {
  const id = asId(code);
  return id === null ? null : ((await listTeams(em)).find((t) => t.id === id) ?? null);
}

/** Users who may lead a team or work tickets (admins, ops managers, agents), active. */
export async function listStaff(em: EntityManager): Promise<{ id: number; name: string; email: string; role: string }[]> {
  return db(em)
    .selectFrom('app_user')
    .select(['id', 'name', 'email', 'role'])
    .where('active', '=', true)
    .where('role', 'in', ['admin', 'ops_manager', 'agent'])
    .orderBy('name')
    .execute();
}

export async function saveTeam(orm: MikroORM, id: number | null, raw: Record<string, unknown>, actor: Actor) {
  const p = parse(TeamInput, raw);
  const input = { name: p.name, email: p.email?.toLowerCase() ?? null, calendarId: p.calendar ?? null, leadId: p.lead ?? null };
  try {
    return await orm.em.fork().transactional(async (em) => {
      const errors: FieldError[] = [];
      if (input.calendarId !== null && !(await db(em).selectFrom('business_calendar').select('id').where('id', '=', input.calendarId).executeTakeFirst()))
        errors.push({ field: 'calendar', code: 'calendar', messageKey: `${NS}.errors.calendar`, params: { value: input.calendarId } });
      if (input.leadId !== null && !(await listStaff(em)).some((u) => u.id === input.leadId))
        errors.push({ field: 'lead', code: 'lead', messageKey: `${NS}.errors.lead`, params: { value: input.leadId } });
      if (errors.length) throw invalid(errors);
      const values = { name: input.name, email: input.email, calendar_id: input.calendarId, lead_id: input.leadId };
      if (id === null) {
        const row = await db(em)
          .insertInto('team')
          .values({ ...values, created_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        audit(em, actor, { action: 'team.created', entityType: 'Team', entityId: row.id, after: input });
        return { id: row.id, created: true, changed: Object.keys(input) };
      }
      const cur = await db(em).selectFrom('team').select(['name', 'email', 'calendar_id', 'lead_id']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!cur) throw new DomainError(404, 'not_found', `No team ${id}.`);
      const before = { name: cur.name, email: cur.email, calendarId: cur.calendar_id, leadId: cur.lead_id };
      const changed = changedKeys(before, input);
      if (!changed.length) return { id, created: false, changed: [] as string[] };
      await db(em).updateTable('team').set(values).where('id', '=', id).execute();
      auditChanged(em, actor, 'team.updated', 'Team', id, before, input, changed);
      return { id, created: false, changed: changed as string[] };
    });
  } catch (e) {
    if (isUnique(e)) throw invalid(onEmail(e) ? taken('email', String(input.email)) : taken('name', input.name));
    throw e;
  }
}

// ---- SLA policies ----

export interface PolicyRow {
  id: number;
  name: string;
  priority: string | null;
  channel: string | null;
  tier: string | null;
  firstResponseMinutes: number;
  nextResponseMinutes: number;
  resolutionMinutes: number;
  warnBeforeMinutes: number;
  active: boolean;
}

const Minutes = (code: string) => z.preprocess(toNumber, z.number({ error: code }).int(code).min(1, code).max(525_600, code));
const PolicyInput = z.object({
  name: Name,
  priority: z.preprocess(toText, z.enum(TICKET_PRIORITIES, { error: 'priority' }).optional()),
  channel: z.preprocess(toText, z.enum(TICKET_CHANNELS, { error: 'channel' }).optional()),
  tier: z.preprocess(toText, z.enum(CUSTOMER_TIERS, { error: 'tier' }).optional()),
  firstResponseMinutes: Minutes('minutes'),
  nextResponseMinutes: Minutes('minutes'),
  resolutionMinutes: Minutes('minutes'),
  warnBeforeMinutes: z.preprocess(toNumber, z.number({ error: 'warnBefore' }).int('warnBefore').min(0, 'warnBefore').max(10_080, 'warnBefore')),
  active: z.boolean({ error: 'active' }),
});

export const policyFromForm = (form: FormData): Record<string, unknown> => ({
  ...Object.fromEntries(
    ['name', 'priority', 'channel', 'tier', 'firstResponseMinutes', 'nextResponseMinutes', 'resolutionMinutes', 'warnBeforeMinutes'].map((k) => [
      k,
      text(form, k),
    ]),
  ),
  active: form.get('active') === 'on',
});

export async function listPolicies(em: EntityManager): Promise<PolicyRow[]> {
  const rows = await db(em).selectFrom('sla_policy').selectAll().orderBy('active', 'desc').orderBy('name').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    priority: r.priority,
    channel: r.channel,
    tier: r.tier,
    firstResponseMinutes: r.first_response_minutes,
    nextResponseMinutes: r.next_response_minutes,
    resolutionMinutes: r.resolution_minutes,
    warnBeforeMinutes: r.warn_before_minutes,
    active: r.active,
  }));
}

export async function getPolicy(em: EntityManager, code: string): Promise<PolicyRow | null> {
  const id = asId(code);
  return id === null ? null : ((await listPolicies(em)).find((p) => p.id === id) ?? null);
}

/** Saves a policy. Tickets already running keep their due times until their next change recomputes them. */
export async function savePolicy(orm: MikroORM, id: number | null, raw: Record<string, unknown>, actor: Actor) {
  const p = parse(PolicyInput, raw);
  const input = {
    name: p.name,
    priority: p.priority ?? null,
    channel: p.channel ?? null,
    tier: p.tier ?? null,
    firstResponseMinutes: p.firstResponseMinutes,
    nextResponseMinutes: p.nextResponseMinutes,
    resolutionMinutes: p.resolutionMinutes,
    warnBeforeMinutes: p.warnBeforeMinutes,
    active: p.active,
  };
  const values = {
    name: input.name,
    priority: input.priority,
    channel: input.channel,
    tier: input.tier,
    first_response_minutes: input.firstResponseMinutes,
    next_response_minutes: input.nextResponseMinutes,
    resolution_minutes: input.resolutionMinutes,
    warn_before_minutes: input.warnBeforeMinutes,
    active: input.active,
  };
  try {
    return await orm.em.fork().transactional(async (em) => {
      if (id === null) {
        const row = await db(em)
          .insertInto('sla_policy')
          .values({ ...values, created_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        audit(em, actor, { action: 'sla_policy.created', entityType: 'SlaPolicy', entityId: row.id, after: input });
        return { id: row.id, created: true, changed: Object.keys(input) };
      }
      const locked = await db(em).selectFrom('sla_policy').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
      if (!locked) throw new DomainError(404, 'not_found', `No SLA policy ${id}.`);
      const { id: _id, ...before } = (await getPolicy(em, String(id)))!;
      const changed = changedKeys(before, input);
      if (!changed.length) return { id, created: false, changed: [] as string[] };
      await db(em).updateTable('sla_policy').set(values).where('id', '=', id).execute();
      auditChanged(em, actor, 'sla_policy.updated', 'SlaPolicy', id, before, input, changed);
      return { id, created: false, changed: changed as string[] };
    });
  } catch (e) {
    if (isUnique(e)) throw invalid(taken('name', input.name));
    throw e;
  }
}

// ---- Agents ----

export interface AgentRow {
  userId: number;
  name: string;
  email: string;
  teamId: number | null;
  teamName: string | null;
  skills: string[];
  capacity: number;
  available: boolean;
  open: number;
}

const AgentInput = z.object({
  team: OptionalId('team'),
  skills: z.preprocess(
    (v) => (typeof v === 'string' ? [v] : (v ?? [])),
    z.array(z.enum(LOCALES, { error: 'skills' }), { error: 'skills' }).max(LOCALES.length, 'skills'),
  ),
  capacity: z.preprocess(toNumber, z.number({ error: 'capacity' }).int('capacity').min(0, 'capacity').max(500, 'capacity')),
  available: z.boolean({ error: 'available' }),
});
const NewAgentInput = AgentInput.extend({ user: z.preprocess(toNumber, z.number({ error: 'user' }).int('user').min(1, 'user').max(2_147_483_647, 'user')) });

export const agentFromForm = (form: FormData): Record<string, unknown> => ({
  user: text(form, 'user'),
  team: text(form, 'team'),
  skills: form.getAll('skills').filter((v): v is string => typeof v === 'string'),
  capacity: text(form, 'capacity'),
  available: form.get('active') === 'on',
});

export async function listAgents(em: EntityManager): Promise<AgentRow[]> {
  const rows = await db(em)
    .selectFrom('agent_profile as a')
    .innerJoin('app_user as u', 'u.id', 'a.user_id')
    .leftJoin('team as t', 't.id', 'a.team_id')
    .select([
      'a.user_id',
      'u.name',
      'u.email',
      'a.team_id',
      't.name as team_name',
      'a.skills',
      'a.capacity',
      'a.available',
      (eb) =>
        eb
          .selectFrom('ticket')
          .whereRef('ticket.assignee_id', '=', 'a.user_id')
          .where('ticket.status', 'in', ['new', 'open', 'pending', 'on_hold'])
          .select(eb.fn.countAll<string>().as('n'))
          .as('open'),
    ])
    .orderBy('u.name')
    .execute();
  return rows.map((r) => ({
    userId: r.user_id,
    name: r.name,
    email: r.email,
    teamId: r.team_id,
    teamName: r.team_name,
    skills: r.skills,
    capacity: r.capacity,
    available: r.available,
    open: Number(r.open ?? 0),
  }));
}

export async function getAgent(em: EntityManager, code: string): Promise<AgentRow | null> {
  const id = asId(code);
  return id === null ? null : ((await listAgents(em)).find((a) => a.userId === id) ?? null);
}

/**
 * Adds an agent profile for a user (`userId` null: the user comes in the input) or changes one. An
 * agent who goes away has their unanswered tickets offered to the others; more room, another team
 * or coming back offers the team's waiting tickets.
 */
export async function saveAgent(orm: MikroORM, userId: number | null, raw: Record<string, unknown>, actor: Actor) {
  const p = parse(userId === null ? NewAgentInput : AgentInput, raw);
  const input = { teamId: p.team ?? null, skills: LOCALES.filter((l) => p.skills.includes(l)), capacity: p.capacity, available: p.available };
  return orm.em.fork().transactional(async (em) => {
    const errors: FieldError[] = [];
    const uid = userId ?? (p as z.infer<typeof NewAgentInput>).user;
    if (userId === null && !(await listStaff(em)).some((u) => u.id === uid))
      errors.push({ field: 'user', code: 'user', messageKey: `${NS}.errors.user`, params: { value: uid } });
    if (input.teamId !== null && !(await db(em).selectFrom('team').select('id').where('id', '=', input.teamId).executeTakeFirst()))
      errors.push({ field: 'team', code: 'team', messageKey: `${NS}.errors.team`, params: { value: input.teamId } });
    if (errors.length) throw invalid(errors);
    const cur = await db(em)
      .selectFrom('agent_profile')
      .select(['team_id', 'skills', 'capacity', 'available'])
      .where('user_id', '=', uid)
      .forUpdate()
      .executeTakeFirst();
    if (userId === null) {
      if (cur) throw invalid([{ field: 'user', code: 'agentExists', messageKey: `${NS}.errors.agentExists`, params: { value: uid } }]);
      await db(em)
        .insertInto('agent_profile')
        .values({ user_id: uid, team_id: input.teamId, skills: input.skills, capacity: input.capacity, available: input.available })
        .execute();
      audit(em, actor, { action: 'agent.created', entityType: 'AgentProfile', entityId: uid, after: input });
      if (input.available && input.teamId !== null) await reofferWaiting(em, input.teamId, actor);
      return { id: uid, created: true, changed: Object.keys(input) };
    }
    if (!cur) throw new DomainError(404, 'not_found', `No agent ${uid}.`);
    const before = { teamId: cur.team_id, skills: cur.skills, capacity: cur.capacity, available: cur.available };
    const changed = changedKeys(before, input);
    if (!changed.length) return { id: uid, created: false, changed: [] as string[] };
    const rest = changed.filter((k) => k !== 'available');
    if (rest.length) {
      await db(em)
        .updateTable('agent_profile')
        .set({ team_id: input.teamId, skills: input.skills, capacity: input.capacity })
        .where('user_id', '=', uid)
        .execute();
      audit(em, actor, {
        action: 'agent.updated',
        entityType: 'AgentProfile',
        entityId: uid,
        before: Object.fromEntries(rest.map((k) => [k, before[k]])),
        after: Object.fromEntries(rest.map((k) => [k, input[k]])),
      });
    }
    // Availability through the assignment module: it audits, and re-offers tickets either way.
    if (changed.includes('available')) await setAvailability(em, uid, input.available, actor);
    else if (input.available && input.teamId !== null) await reofferWaiting(em, input.teamId, actor);
    return { id: uid, created: false, changed: changed as string[] };
  });
}
