// Macros: named sequences of actions on a ticket and its order, run by an agent with the inputs the
// macro asks for. The service desk owns macro, macro_run and approval_limit; order actions go through
// the modules that own them (payments, orders, returns, notifications, inventory).
//
//   runMacro        checks the role and the inputs (a refusal writes nothing), claims the run by its key
//                   (a double click or a concurrent retry runs it once), then runs the actions in order,
//                   each recorded on the run and audited on the ticket and, for order actions, the order.
//   approval        a refund over the agent's limits (per ticket, per day, in base currency) holds the whole
//                   run as `awaiting_approval` and asks an ops manager through the human-task inbox: the
//                   outbox event `macro.approval_requested` makes the dispatcher start the interpreter on
//                   the approval flow (approval-flow.ts), whose steps call resumeMacroRun / rejectMacroRun.
import crypto from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { RETURN_REASONS, ROLES, type Role } from '../../../entities/constants.ts';
import type { Address } from '../../../entities/customers.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { isCleanText } from '../../lib/boundary.ts';
import { advisoryLock, db, jsonb } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { createI18n } from '../../lib/i18n.ts';
import { majorToMinor, minorToMajor } from '../../lib/money.ts';
import { publish } from '../../lib/outbox.server.ts';
import { can } from '../../lib/permissions.ts';
import type { FieldError } from '../../lib/problem.ts';
import { activeProducts } from '../catalog/queries.server.ts';
import { defaultBaseCurrency, fxCte } from '../customers/queries.server.ts';
import { firstLineByProduct, lowStockEvents } from '../inventory/allocation.server.ts';
import { insertReservations, loadStockOptions, reserveAllocations } from '../inventory/reservations.server.ts';
import { planRouting } from '../inventory/routing.ts';
import { resendCustomerMail } from '../notifications/service.server.ts';
import {
  ADDRESS_CHANGEABLE,
  cancelOrder,
  changeShippingAddress,
  insertReplacementOrder,
  orderDestination,
  orderForReplacement,
  siblingByRef,
} from '../orders/service.server.ts';
import { CANCELLABLE } from '../orders/status.ts';
import { refundOrder } from '../payments/service.server.ts';
import { requestReturn, returnableLines, returnWindowOpen } from '../returns/service.server.ts';
import { formErrors } from '../settings/form.ts';
import { renderCannedFor } from './canned.server.ts';
import { ORDER_ACTIONS, MacroDefinition, type MacroAction, type MacroInputDef, type RunStatus } from './macro-schema.ts';
import { addNote, lockTicket, reply, updateTicket } from './tickets.server.ts';

const NS = 'macros';
const err = (field: string, code: string, params?: Record<string, string | number>): FieldError => ({
  field,
  code,
  messageKey: `${NS}.errors.${code}`,
  params,
});

// ---- Macros (Settings → Macros) ----

export interface MacroRow {
  id: number;
  name: string;
  inputs: MacroInputDef[];
  actions: MacroAction[];
  active: boolean;
  updatedAt: string;
}

type RawMacro = { id: number; name: string; inputs: unknown; actions: unknown; active: boolean; updated_at: Date | string };
const toMacro = (r: RawMacro): MacroRow => ({
  id: Number(r.id),
  name: r.name,
  inputs: (r.inputs ?? []) as MacroInputDef[],
  actions: (r.actions ?? []) as MacroAction[],
  active: r.active,
  updatedAt: new Date(r.updated_at).toISOString(),
});

export async function listMacros(em: EntityManager, opts: { activeOnly?: boolean } = {}): Promise<MacroRow[]> {
  const rows = await db(em)
    .selectFrom('macro')
    .select(['id', 'name', 'inputs', 'actions', 'active', 'updated_at'])
    .$if(!!opts.activeOnly, (q) => q.where('active', '=', true))
    .orderBy('name')
    .execute();
  return rows.map(toMacro);
}

export async function getMacro(em: EntityManager, id: number): Promise<MacroRow | null> {
  const r = await db(em).selectFrom('macro').select(['id', 'name', 'inputs', 'actions', 'active', 'updated_at']).where('id', '=', id).executeTakeFirst();
  return r ? toMacro(r) : null;
}

/** The settings form: name, active, and the inputs and actions as JSON (each refused on its own field when it does not read). */
export function macroFromForm(form: FormData): unknown {
  const text = (k: string) => {
    const v = form.get(k);
    return typeof v === 'string' ? v : '';
  };
  const json = (k: string): unknown => {
    const s = text(k).trim();
    if (!s) return [];
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return { unreadable: true };
    }
  };
  return { name: text('name'), active: form.get('active') === 'on', inputs: json('inputs'), actions: json('actions') };
}

/** Validates a macro; unknown canned responses are refused on the action's field. */
export async function checkMacro(em: EntityManager, raw: unknown) {
  const parsed = MacroDefinition.safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const m = parsed.data;
  const cannedIds = m.actions.flatMap((a) => (a.type === 'reply' ? [a.cannedId] : []));
  if (cannedIds.length) {
    const known = new Set((await db(em).selectFrom('canned_response').select('id').where('id', 'in', cannedIds).execute()).map((r) => Number(r.id)));
    const bad = m.actions.flatMap((a, i) =>
      a.type === 'reply' && !known.has(a.cannedId) ? [err(`actions.${i}.cannedId`, 'cannedUnknown', { value: a.cannedId })] : [],
    );
    if (bad.length) throw invalid(bad);
  }
  return m;
}

export async function saveMacro(orm: MikroORM, id: number | null, raw: unknown, actor: Actor): Promise<{ id: number; created: boolean; changed: string[] }> {
  return orm.em.fork().transactional(async (em) => {
    const m = await checkMacro(em, raw);
    const clash = await db(em)
      .selectFrom('macro')
      .select('id')
      .where(ksql`lower(name)`, '=', m.name.toLowerCase())
      .$if(id != null, (q) => q.where('id', '!=', id!))
      .executeTakeFirst();
    if (clash) throw invalid([err('name', 'nameTaken', { value: m.name })]);
    if (id == null) {
      const row = await db(em)
        .insertInto('macro')
        .values({ name: m.name, inputs: jsonb(m.inputs), actions: jsonb(m.actions), active: m.active, created_at: ksql`now()`, updated_at: ksql`now()` })
        .returning('id')
        .executeTakeFirstOrThrow();
      audit(em, actor, { action: 'macro.created', entityType: 'Macro', entityId: row.id, after: m });
      return { id: Number(row.id), created: true, changed: ['name', 'inputs', 'actions', 'active'] };
    }
    const before = await db(em).selectFrom('macro').select(['name', 'inputs', 'actions', 'active']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new DomainError(404, 'not_found', `Macro ${id} does not exist.`);
    const was: Record<string, unknown> = before;
    const now: Record<string, unknown> = m;
    const changed = ['name', 'inputs', 'actions', 'active'].filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
    if (!changed.length) return { id, created: false, changed };
    await db(em)
      .updateTable('macro')
      .set({ name: m.name, inputs: jsonb(m.inputs), actions: jsonb(m.actions), active: m.active, updated_at: ksql`now()` })
      .where('id', '=', id)
      .execute();
    audit(em, actor, {
      action: 'macro.updated',
      entityType: 'Macro',
      entityId: id,
      before: Object.fromEntries(changed.map((k) => [k, was[k]])),
      after: Object.fromEntries(changed.map((k) => [k, now[k]])),
    });
    return { id, created: false, changed };
  });
}

// ---- Approval limits (Settings → Approval limits) ----

export interface LimitRow {
  role: Role;
  /** Base currency minor units; null: no limit. */
  perTicketMinor: number | null;
  perDayMinor: number | null;
}

export async function listLimits(em: EntityManager): Promise<{ base: string; limits: LimitRow[] }> {
  const rows = await db(em).selectFrom('approval_limit').select(['role', 'per_ticket_minor', 'per_day_minor']).execute();
  return {
    base: defaultBaseCurrency(),
    limits: ROLES.filter((r) => r !== 'warehouse' && r !== 'executive').map((role) => {
      const r = rows.find((x) => x.role === role);
      return { role, perTicketMinor: r ? Number(r.per_ticket_minor) : null, perDayMinor: r ? Number(r.per_day_minor) : null };
    }),
  };
}

/** Limit roles the screen sets (admins have none). */
export const LIMIT_ROLES: readonly Role[] = ['agent', 'ops_manager'];

/** Saves the limits from the form (`<role>.perTicket` / `<role>.perDay` in major units of the base currency; both empty: no limit). */
export async function saveLimits(orm: MikroORM, form: Record<string, string | undefined>, actor: Actor): Promise<{ changed: string[] }> {
  const base = defaultBaseCurrency();
  const errors: FieldError[] = [];
  const wanted: { role: Role; perTicket: number; perDay: number }[] = [];
  const cleared: Role[] = [];
  for (const role of LIMIT_ROLES) {
    const t = (form[`${role}.perTicket`] ?? '').trim();
    const d = (form[`${role}.perDay`] ?? '').trim();
    if (!t && !d) {
      cleared.push(role);
      continue;
    }
    const pt = majorToMinor(t, base);
    const pd = majorToMinor(d, base);
    if (pt === null) errors.push(err(`${role}.perTicket`, 'limitInvalid', { value: t.slice(0, 30) }));
    if (pd === null) errors.push(err(`${role}.perDay`, 'limitInvalid', { value: d.slice(0, 30) }));
    if (pt !== null && pd !== null && pt > pd) errors.push(err(`${role}.perTicket`, 'limitAboveDay'));
    if (pt !== null && pd !== null) wanted.push({ role, perTicket: pt, perDay: pd });
  }
  if (errors.length) throw invalid(errors);
  return orm.em.fork().transactional(async (em) => {
    const before = await db(em).selectFrom('approval_limit').select(['role', 'per_ticket_minor', 'per_day_minor']).forUpdate().execute();
    const changed: string[] = [];
    for (const w of wanted) {
      const b = before.find((x) => x.role === w.role);
      if (b && Number(b.per_ticket_minor) === w.perTicket && Number(b.per_day_minor) === w.perDay) continue;
      await db(em)
        .insertInto('approval_limit')
        .values({ role: w.role, per_ticket_minor: w.perTicket, per_day_minor: w.perDay, updated_at: ksql`now()` })
        .onConflict((oc) => oc.column('role').doUpdateSet({ per_ticket_minor: w.perTicket, per_day_minor: w.perDay, updated_at: ksql`now()` }))
        .execute();
      audit(em, actor, {
        action: 'approval_limit.saved',
        entityType: 'ApprovalLimit',
        entityId: w.role,
        before: b ? { perTicketMinor: Number(b.per_ticket_minor), perDayMinor: Number(b.per_day_minor), currency: base } : null,
        after: { perTicketMinor: w.perTicket, perDayMinor: w.perDay, currency: base },
      });
      changed.push(w.role);
    }
    for (const role of cleared) {
      const gone = await db(em).deleteFrom('approval_limit').where('role', '=', role).returning(['per_ticket_minor', 'per_day_minor']).executeTakeFirst();
      if (!gone) continue;
      audit(em, actor, {
        action: 'approval_limit.removed',
        entityType: 'ApprovalLimit',
        entityId: role,
        before: { perTicketMinor: Number(gone.per_ticket_minor), perDayMinor: Number(gone.per_day_minor), currency: base },
      });
      changed.push(role);
    }
    return { changed };
  });
}

// ---- Running a macro ----

export interface OrderLineView {
  id: number;
  sku: string;
  name: string;
  quantity: number;
  unitMinor: number;
  totalMinor: number;
}

interface OrderFacts {
  id: number;
  number: string;
  status: string;
  currency: string;
  shippingMinor: number;
  refundableMinor: number;
  lines: OrderLineView[];
}

async function orderFacts(em: EntityManager, orderId: number): Promise<OrderFacts | null> {
  const o = await db(em)
    .selectFrom('sales_order')
    .select(['id', 'number', 'status', 'currency', 'shipping_minor'])
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!o) return null;
  const [lines, left] = await Promise.all([
    db(em)
      .selectFrom('order_line')
      .select(['id', 'sku', 'name', 'quantity', 'unit_price_minor', 'total_minor'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute(),
    db(em)
      .selectFrom('payment')
      .select(ksql<string>`coalesce(sum(captured_minor - refunded_minor), 0)`.as('left'))
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    id: Number(o.id),
    number: o.number,
    status: o.status,
    currency: o.currency,
    shippingMinor: Number(o.shipping_minor),
    refundableMinor: Number(left.left),
    lines: lines.map((l) => ({
      id: Number(l.id),
      sku: l.sku,
      name: l.name,
      quantity: Number(l.quantity),
      unitMinor: Number(l.unit_price_minor),
      totalMinor: Number(l.total_minor),
    })),
  };
}

/** One action with everything it needs, resolved from the macro and the agent's inputs. */
export type Step =
  | { type: 'refund'; amountMinor: number; currency: string; reason: string; lines: { lineId: number; sku: string; quantity: number }[]; shipping: boolean }
  | { type: 'cancel_order'; reason: string | null }
  | { type: 'open_return'; sku: string; quantity: number; reason: string; resolution: 'refund' | 'exchange' }
  | { type: 'reship'; sku: string; name: string; quantity: number }
  | { type: 'change_address'; address: Address }
  | { type: 'resend_mail'; template: 'order_confirmation' | 'order_shipped' }
  | { type: 'reply'; cannedId: number; status: 'open' | 'pending' | 'on_hold' | 'solved' }
  | { type: 'tag'; tags: string[] }
  | { type: 'set_status'; status: 'open' | 'pending' | 'on_hold' | 'solved' | 'closed' }
  | { type: 'set_priority'; priority: 'low' | 'normal' | 'high' | 'urgent' };

export interface StepResult {
  type: Step['type'];
  ok: boolean;
  /** What it did (refund amount, RMA number, replacement order, message id…) or the refusal's code. */
  detail?: Record<string, unknown>;
  error?: { code: string; params?: Record<string, string | number> };
}

interface RunResult {
  macroName: string;
  ticketNumber: string;
  orderId: number | null;
  orderNumber: string | null;
  agentName: string;
  agentLabel: string;
  steps: Step[];
  actions: StepResult[];
  refundMinor: number;
  refundBaseMinor: number;
  currency: string | null;
  needsApproval: boolean;
  approval?: {
    reason: 'per_ticket' | 'per_day' | 'no_rate';
    workflowId: string;
    limitMinor?: number;
    usedMinor?: number;
    by?: string | null;
    comment?: string | null;
  };
  error?: { code: string; index: number; params?: Record<string, string | number> };
}

export interface MacroRunView {
  id: number;
  key: string;
  status: RunStatus;
  macroName: string;
  createdAt: string;
  actions: StepResult[];
  steps: Step[];
  refund: { amountMinor: number; currency: string; baseMinor: number } | null;
  approval: RunResult['approval'] | null;
  error: RunResult['error'] | null;
  /** The key had run before (or is running now): nothing new was done. */
  duplicate: boolean;
}

type RawRun = { id: number; key: string; status: string; result: unknown; created_at: Date | string };
const toView = (r: RawRun, duplicate: boolean): MacroRunView => {
  const res = (r.result ?? {}) as Partial<RunResult>;
  return {
    id: Number(r.id),
    key: r.key,
    status: r.status as RunStatus,
    macroName: res.macroName ?? '',
    createdAt: new Date(r.created_at).toISOString(),
    actions: res.actions ?? [],
    steps: res.steps ?? [],
    refund: res.refundMinor && res.currency ? { amountMinor: res.refundMinor, currency: res.currency, baseMinor: res.refundBaseMinor ?? 0 } : null,
    approval: res.approval ?? null,
    error: res.error ?? null,
    duplicate,
  };
};

const RUN_KEY = /^[\w:-]{8,100}$/;
const MAX_TEXT = 2000;

export interface RunMacroInput {
  ticketId: number;
  macroId: number;
  /** The form's run key (made when the form rendered): one run per key. */
  key: string;
  /** Input values by the macro's input keys, as posted (line id, quantity, amount in major units, text, reason, address fields). */
  inputs: Record<string, unknown>;
  agentName: string;
  role: Role;
}

/** The inputs read and checked against the ticket's order: the steps to run, or every field at fault. */
function resolve(macro: MacroRow, raw: Record<string, unknown>, order: OrderFacts | null): Step[] {
  const errors: FieldError[] = [];
  const values = new Map<string, unknown>();
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
  for (const def of macro.inputs) {
    const field = `inputs.${def.key}`;
    const v = raw[def.key];
    if (def.type === 'address') {
      const a = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
      const addr = {
        name: text(a.name),
        line1: text(a.line1),
        line2: text(a.line2),
        city: text(a.city),
        postalCode: text(a.postalCode),
        country: text(a.country).toUpperCase(),
      };
      if (!addr.line1 && !addr.city && !addr.country && !def.required) continue;
      const bad = (['line1', 'city'] as const).filter((k) => !addr[k] || addr[k].length > 200);
      for (const k of bad) errors.push(err(`${field}.${k}`, 'required'));
      if (!/^[A-Z]{2}$/.test(addr.country)) errors.push(err(`${field}.country`, 'countryInvalid', { value: addr.country.slice(0, 10) }));
      if (Object.values(addr).some((x) => !isCleanText(x) || x.length > 200)) errors.push(err(field, 'textInvalid'));
      values.set(def.key, {
        ...(addr.name ? { name: addr.name } : {}),
        line1: addr.line1,
        ...(addr.line2 ? { line2: addr.line2 } : {}),
        city: addr.city,
        ...(addr.postalCode ? { postalCode: addr.postalCode } : {}),
        country: addr.country,
      } satisfies Address);
      continue;
    }
    const s = text(v);
    if (!s) {
      if (def.required) errors.push(err(field, 'required'));
      continue;
    }
    if (!isCleanText(s) || s.length > MAX_TEXT) {
      errors.push(err(field, 'textInvalid'));
      continue;
    }
    switch (def.type) {
      case 'line': {
        const line = /^\d{1,12}$/.test(s) ? order?.lines.find((l) => l.id === Number(s)) : undefined;
        if (!line) errors.push(err(field, 'unknownLine', { value: s.slice(0, 20) }));
        else values.set(def.key, line);
        break;
      }
      case 'quantity': {
        const n = /^\d{1,6}$/.test(s) ? Number(s) : NaN;
        if (!Number.isInteger(n) || n < 1) errors.push(err(field, 'quantityInvalid', { value: s.slice(0, 20) }));
        else values.set(def.key, n);
        break;
      }
      case 'amount': {
        const minor = order ? majorToMinor(s, order.currency) : null;
        if (minor === null || minor <= 0) errors.push(err(field, 'amountInvalid', { value: s.slice(0, 20) }));
        else values.set(def.key, minor);
        break;
      }
      case 'reason':
        if (!(RETURN_REASONS as readonly string[]).includes(s)) errors.push(err(field, 'reasonInvalid', { value: s.slice(0, 40) }));
        else values.set(def.key, s);
        break;
      default:
        values.set(def.key, s);
    }
  }
  if (errors.length) throw invalid(errors);
  if (!order && macro.actions.some((a) => ORDER_ACTIONS.includes(a.type))) throw invalid([err('ticket', 'noOrder')]);

  const lineOf = (key: string | undefined) => (key ? (values.get(key) as OrderLineView | undefined) : undefined);
  const qtyOf = (key: string | undefined, line: OrderLineView) => {
    const q = key ? (values.get(key) as number | undefined) : undefined;
    return q ?? line.quantity;
  };
  const tooMany = (key: string | undefined, q: number, max: number) => {
    if (q > max) errors.push(err(key ? `inputs.${key}` : 'macro', 'quantityTooBig', { max }));
  };
  const steps: Step[] = [];
  for (const a of macro.actions) {
    switch (a.type) {
      case 'refund': {
        const o = order!;
        let amount = 0;
        const lines: { lineId: number; sku: string; quantity: number }[] = [];
        const line = lineOf(a.line);
        if (line) {
          const q = qtyOf(a.quantity, line);
          tooMany(a.quantity, q, line.quantity);
          amount += Math.round((line.totalMinor * q) / Math.max(1, line.quantity));
          lines.push({ lineId: line.id, sku: line.sku, quantity: q });
        }
        if (a.shipping) amount += o.shippingMinor;
        if (a.amount) amount += (values.get(a.amount) as number | undefined) ?? 0;
        const at = a.amount ? `inputs.${a.amount}` : a.line ? `inputs.${a.line}` : 'macro';
        if (amount <= 0) errors.push(err(at, 'nothingToRefund'));
        else if (amount > o.refundableMinor) errors.push(err(at, 'refundTooBig', { max: minorToMajor(o.refundableMinor, o.currency), currency: o.currency }));
        steps.push({ type: 'refund', amountMinor: amount, currency: o.currency, reason: a.reason, lines, shipping: a.shipping });
        break;
      }
      case 'cancel_order':
        if (!CANCELLABLE.includes(order!.status as never)) errors.push(err('macro', 'notCancellable', { status: order!.status }));
        steps.push({ type: 'cancel_order', reason: a.reason ?? null });
        break;
      case 'open_return': {
        const line = lineOf(a.line);
        if (!line) break;
        const q = qtyOf(a.quantity, line);
        tooMany(a.quantity, q, line.quantity);
        const reason = (a.reason ? (values.get(a.reason) as string | undefined) : undefined) ?? a.defaultReason;
        steps.push({ type: 'open_return', sku: line.sku, quantity: q, reason, resolution: a.resolution });
        break;
      }
      case 'reship': {
        const line = lineOf(a.line);
        if (!line) break;
        const q = qtyOf(a.quantity, line);
        tooMany(a.quantity, q, line.quantity);
        steps.push({ type: 'reship', sku: line.sku, name: line.name, quantity: q });
        break;
      }
      case 'change_address':
        if (!ADDRESS_CHANGEABLE.includes(order!.status as never)) errors.push(err('macro', 'addressLocked', { status: order!.status }));
        if (values.has(a.address)) steps.push({ type: 'change_address', address: values.get(a.address) as Address });
        break;
      default:
        steps.push(a);
    }
  }
  if (errors.length) throw invalid(errors);
  return steps;
}

/** A return step asks the returns module's own questions first (window open, units still returnable), so a refusal is a 422 on the input, not a failed run. */
async function checkReturns(em: EntityManager, macro: MacroRow, steps: Step[], order: OrderFacts | null): Promise<void> {
  const returns = steps.filter((s): s is Extract<Step, { type: 'open_return' }> => s.type === 'open_return');
  if (!returns.length || !order) return;
  if (!(await returnWindowOpen(em, order.id))) throw invalid([err('macro', 'returnClosed', { status: order.status })]);
  const allowed = await returnableLines(em, order.id);
  const errors: FieldError[] = [];
  const defs = macro.actions.filter((a) => a.type === 'open_return');
  returns.forEach((r, i) => {
    const max = allowed.find((a) => a.sku === r.sku)?.returnable ?? 0;
    const def = defs[i];
    if (r.quantity > max) errors.push(err(def?.quantity ? `inputs.${def.quantity}` : `inputs.${def?.line ?? 'line'}`, 'quantityTooBig', { max }));
  });
  if (errors.length) throw invalid(errors);
}

/** Refund figures for the limits: this run's refund in base currency and what the agent refunded on their own so far. */
async function refundCheck(
  em: EntityManager,
  actorId: number,
  role: Role,
  ticketId: number,
  refund: { amountMinor: number; currency: string },
): Promise<{ baseMinor: number; over: RunResult['approval'] | null }> {
  const base = defaultBaseCurrency();
  const fx = fxCte(base);
  const [conv] = await em.execute<{ base: string | null }[]>(`with ${fx.sql} select round(?::numeric * factor) as base from fx where currency = ?`, [
    ...fx.params,
    refund.amountMinor,
    refund.currency,
  ]);
  const baseMinor = conv?.base == null ? null : Number(conv.base);
  if (role === 'admin') return { baseMinor: baseMinor ?? 0, over: null };
  const limit = await db(em).selectFrom('approval_limit').select(['per_ticket_minor', 'per_day_minor']).where('role', '=', role).executeTakeFirst();
  if (!limit) return { baseMinor: baseMinor ?? 0, over: null };
  if (baseMinor === null) return { baseMinor: 0, over: { reason: 'no_rate', workflowId: '' } };
  const [used] = await em.execute<{ ticket: string; day: string }[]>(
    `select coalesce(sum((result ->> 'refundBaseMinor')::bigint) filter (where ticket_id = ?), 0) as ticket,
            coalesce(sum((result ->> 'refundBaseMinor')::bigint) filter (where created_at >= date_trunc('day', now())), 0) as day
       from macro_run
      where actor_id = ? and status in ('running', 'done', 'failed') and coalesce((result ->> 'needsApproval')::boolean, false) = false`,
    [ticketId, actorId],
  );
  const onTicket = Number(used?.ticket ?? 0);
  const today = Number(used?.day ?? 0);
  if (onTicket + baseMinor > Number(limit.per_ticket_minor))
    return { baseMinor, over: { reason: 'per_ticket', workflowId: '', limitMinor: Number(limit.per_ticket_minor), usedMinor: onTicket } };
  if (today + baseMinor > Number(limit.per_day_minor))
    return { baseMinor, over: { reason: 'per_day', workflowId: '', limitMinor: Number(limit.per_day_minor), usedMinor: today } };
  return { baseMinor, over: null };
}

const RUN_COLUMNS = ['id', 'key', 'status', 'result', 'created_at'] as const;
const resultJson = (r: RunResult) => jsonb(r as unknown as Record<string, unknown>);

/** The run with this key, if any. */
export async function macroRunByKey(em: EntityManager, key: string): Promise<MacroRunView | null> {
  const r = await db(em).selectFrom('macro_run').select(RUN_COLUMNS).where('key', '=', key).executeTakeFirst();
  return r ? toView(r, true) : null;
}

export const approvalWorkflowId = (runId: number) => `macro-approval-${runId}`;

/**
 * Runs a macro on a ticket, once per key. Refusals (role, inputs, an order that cannot take an action)
 * are 4xx with the fields at fault and write nothing. A refund over the agent's limits holds the run
 * for an ops manager's approval (status `awaiting_approval`); otherwise the actions run now, in order,
 * and the run ends `done` (or `failed` at the first action the owning module refused).
 */
export async function runMacro(orm: MikroORM, actor: Actor, input: RunMacroInput): Promise<MacroRunView> {
  if (!can(input.role, 'service.manage')) throw new DomainError(403, 'forbidden', 'Your role may not run macros.');
  if (!RUN_KEY.test(input.key)) throw invalid([err('key', 'runKey')]);
  const em = orm.em.fork();
  const seen = await macroRunByKey(em, input.key);
  if (seen) return seen;
  const macro = await getMacro(em, input.macroId);
  if (!macro || !macro.active) throw invalid([err('macroId', 'macroUnknown')]);
  if (macro.actions.some((a) => a.type === 'refund') && !can(input.role, 'orders.manage'))
    throw new DomainError(403, 'forbidden', 'Your role may not refund.', { params: { permission: 'orders.manage' } });
  const ticket = await db(em).selectFrom('ticket').select(['id', 'number', 'status', 'order_id']).where('id', '=', input.ticketId).executeTakeFirst();
  if (!ticket) throw new DomainError(404, 'not_found', `Ticket ${input.ticketId} does not exist.`);
  if (ticket.status === 'merged' || ticket.status === 'closed') throw invalid([err('ticket', 'ticketClosed', { status: ticket.status })]);
  const order = ticket.order_id == null ? null : await orderFacts(em, Number(ticket.order_id));
  const steps = resolve(macro, input.inputs, order);
  await checkReturns(em, macro, steps, order);
  const refund = steps.find((s): s is Extract<Step, { type: 'refund' }> => s.type === 'refund');
  const actorId = actor.type === 'user' && actor.id != null ? Number(actor.id) : null;

  const claimed = await orm.em.fork().transactional(async (tx) => {
    await advisoryLock(tx, `macro-run:${input.key}`);
    const again = await macroRunByKey(tx, input.key);
    if (again) return { view: again, run: false };
    let baseMinor = 0;
    let over: RunResult['approval'] | null = null;
    if (refund) {
      if (actorId != null) await advisoryLock(tx, `macro-limit:${actorId}`);
      ({ baseMinor, over } = await refundCheck(tx, actorId ?? 0, input.role, ticket.id, refund));
    }
    const result: RunResult = {
      macroName: macro.name,
      ticketNumber: ticket.number,
      orderId: order?.id ?? null,
      orderNumber: order?.number ?? null,
      agentName: input.agentName.slice(0, 100),
      agentLabel: actor.label ?? input.agentName,
      steps,
      actions: [],
      refundMinor: refund?.amountMinor ?? 0,
      refundBaseMinor: baseMinor,
      currency: refund?.currency ?? null,
      needsApproval: !!over,
    };
    const status: RunStatus = over ? 'awaiting_approval' : 'running';
    const row = await db(tx)
      .insertInto('macro_run')
      .values({
        key: input.key,
        ticket_id: ticket.id,
        macro_id: macro.id,
        actor_id: actorId,
        inputs: jsonb(input.inputs),
        status,
        result: resultJson(result),
        created_at: ksql`now()`,
      })
      .returning(RUN_COLUMNS)
      .executeTakeFirstOrThrow();
    const runId = Number(row.id);
    if (over) {
      result.approval = { ...over, workflowId: approvalWorkflowId(runId) };
      await db(tx)
        .updateTable('macro_run')
        .set({ result: resultJson(result) })
        .where('id', '=', runId)
        .execute();
      const amount = minorToMajor(refund!.amountMinor, refund!.currency);
      const facts = { runId, macro: macro.name, ticketNumber: ticket.number, amount, currency: refund!.currency, reason: over.reason };
      audit(tx, actor, { action: 'macro.approval_requested', entityType: 'Ticket', entityId: ticket.id, after: facts });
      audit(tx, actor, { action: 'macro.approval_requested', entityType: 'Order', entityId: order!.id, after: { ...facts, orderNumber: order!.number } });
      publish(tx, 'service', 'macro.approval_requested', {
        macroRunId: runId,
        ticketId: ticket.id,
        ticketNumber: ticket.number,
        orderId: order!.id,
        orderNumber: order!.number,
        macro: macro.name,
        amount,
        currency: refund!.currency,
        agent: result.agentLabel,
        reason: over.reason,
      });
      publish(tx, 'service', 'ticket.macro_run', { ticketId: ticket.id, number: ticket.number, runId, status });
      return { view: toView({ ...row, status, result }, false), run: false };
    }
    audit(tx, actor, { action: 'macro.started', entityType: 'Ticket', entityId: ticket.id, after: { runId, macro: macro.name } });
    return { view: toView(row, false), run: true, runId };
  });
  if (!claimed.run || claimed.runId === undefined) return claimed.view;
  return executeRun(orm, claimed.runId, actor);
}

/** Loads a run (locked when `lock`). */
async function loadRun(em: EntityManager, runId: number, lock = false) {
  const r = await db(em)
    .selectFrom('macro_run')
    .select([...RUN_COLUMNS, 'ticket_id', 'actor_id'])
    .where('id', '=', runId)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!r) throw new DomainError(404, 'not_found', `Macro run ${runId} does not exist.`);
  return { ...r, result: r.result as unknown as RunResult };
}

const stepKey = (runKey: string, i: number) => `macro:${runKey}:${i}`;
const nonceOf = (runKey: string, i: number) => crypto.createHash('sha256').update(stepKey(runKey, i)).digest('hex').slice(0, 40);

/** Runs the run's steps not yet done, recording each on the run and auditing it on the ticket and the order. */
async function executeRun(orm: MikroORM, runId: number, actor: Actor): Promise<MacroRunView> {
  const first = await loadRun(orm.em.fork(), runId);
  const res = first.result;
  const ticketId = Number(first.ticket_id);
  for (let i = 0; i < res.steps.length; i++) {
    if (res.actions[i]?.ok) continue;
    const step = res.steps[i];
    let outcome: StepResult;
    try {
      outcome = await runStep(orm, actor, { runId, runKey: first.key, index: i, ticketId, orderId: res.orderId, agentName: res.agentName, step });
    } catch (e) {
      if (!(e instanceof DomainError) || e.status >= 500) throw e;
      outcome = { type: step.type, ok: false, error: { code: e.code, params: e.params } };
    }
    await orm.em.fork().transactional(async (em) => {
      const run = await loadRun(em, runId, true);
      const result = run.result;
      result.actions[i] = outcome;
      const facts = {
        runId,
        macro: result.macroName,
        ticketNumber: result.ticketNumber,
        index: i,
        ok: outcome.ok,
        ...outcome.detail,
        error: outcome.error?.code,
      };
      audit(em, actor, { action: `macro.${step.type}`, entityType: 'Ticket', entityId: ticketId, after: facts });
      if (ORDER_ACTIONS.includes(step.type) && result.orderId != null)
        audit(em, actor, { action: `macro.${step.type}`, entityType: 'Order', entityId: result.orderId, after: { ...facts, orderNumber: result.orderNumber } });
      let status: RunStatus = 'running';
      if (!outcome.ok) {
        status = 'failed';
        result.error = { code: outcome.error?.code ?? 'failed', index: i, params: outcome.error?.params };
      } else if (i === result.steps.length - 1) status = 'done';
      await db(em)
        .updateTable('macro_run')
        .set({ status, result: resultJson(result) })
        .where('id', '=', runId)
        .execute();
      if (status !== 'running') {
        audit(em, actor, {
          action: `macro.${status}`,
          entityType: 'Ticket',
          entityId: ticketId,
          after: { runId, macro: result.macroName, error: result.error?.code },
        });
        publish(em, 'service', 'ticket.macro_run', { ticketId, number: result.ticketNumber, runId, status });
      }
    });
    if (!outcome.ok) break;
  }
  const done = await loadRun(orm.em.fork(), runId);
  return toView(done, false);
}

interface StepContext {
  runId: number;
  runKey: string;
  index: number;
  ticketId: number;
  orderId: number | null;
  agentName: string;
  step: Step;
}

async function runStep(orm: MikroORM, actor: Actor, c: StepContext): Promise<StepResult> {
  const { step } = c;
  const orderId = c.orderId ?? 0;
  const inTx = <T>(fn: (em: EntityManager) => Promise<T>) => orm.em.fork().transactional(fn);
  switch (step.type) {
    case 'refund': {
      const r = await refundOrder(
        orm,
        orderId,
        { amount: minorToMajor(step.amountMinor, step.currency), reason: step.reason, note: `macro run ${c.runId}`, nonce: nonceOf(c.runKey, c.index) },
        actor,
      );
      return { type: step.type, ok: true, detail: { amountMinor: r.amount, currency: r.currency, refunds: r.refunds.length } };
    }
    case 'cancel_order': {
      try {
        const r = await cancelOrder(orm, orderId, actor, step.reason ?? `ticket macro run ${c.runId}`);
        return { type: step.type, ok: true, detail: { status: r.status } };
      } catch (e) {
        // A resumed run (a retried approval step) finds the order it cancelled before.
        if (e instanceof DomainError && e.code === 'illegal_transition' && e.params?.from === 'cancelled')
          return { type: step.type, ok: true, detail: { status: 'cancelled', already: true } };
        throw e;
      }
    }
    case 'open_return': {
      const r = await requestReturn(
        orm,
        orderId,
        { reason: step.reason, resolution: step.resolution, lines: [{ sku: step.sku, quantity: step.quantity }] },
        actor,
        'ticket',
      );
      return { type: step.type, ok: true, detail: { rma: r.number, returnId: r.id } };
    }
    case 'reship': {
      const r = await inTx((em) => reship(em, orderId, `reship-${nonceOf(c.runKey, c.index).slice(0, 24)}`, step, actor));
      return { type: step.type, ok: true, detail: r };
    }
    case 'change_address': {
      const r = await inTx((em) => changeShippingAddress(em, orderId, step.address, actor));
      return { type: step.type, ok: true, detail: { changed: r.changed } };
    }
    case 'resend_mail': {
      const id = await inTx((em) => resendCustomerMail(em, { orderId, template: step.template, key: stepKey(c.runKey, c.index) }));
      return { type: step.type, ok: true, detail: { template: step.template, notificationId: id } };
    }
    case 'reply': {
      const r = await inTx(async (em) => {
        const canned = await renderCannedFor(em, c.ticketId, step.cannedId, c.agentName);
        if (canned.error || !canned.text)
          throw new DomainError(422, 'canned_unrenderable', `Canned response ${canned.name} did not render.`, { params: { name: canned.name } });
        return reply(em, actor, c.ticketId, { body: canned.text, status: step.status, agentName: c.agentName, key: stepKey(c.runKey, c.index), force: true });
      });
      return { type: step.type, ok: true, detail: { messageId: r.messageId, status: step.status } };
    }
    case 'tag': {
      const r = await inTx(async (em) => {
        const t = await lockTicket(em, c.ticketId);
        return updateTicket(em, actor, c.ticketId, { tags: [...t.tags, ...step.tags] });
      });
      return { type: step.type, ok: true, detail: { tags: step.tags, changed: r.changed.length > 0 } };
    }
    case 'set_status': {
      await inTx((em) => updateTicket(em, actor, c.ticketId, { status: step.status }));
      return { type: step.type, ok: true, detail: { status: step.status } };
    }
    case 'set_priority': {
      await inTx((em) => updateTicket(em, actor, c.ticketId, { priority: step.priority }));
      return { type: step.type, ok: true, detail: { priority: step.priority } };
    }
  }
}

/**
 * A zero-charge replacement for `quantity` of a line, under external id `ref` (so a retry finds it):
 * stock reserved by the inventory module's conditional updates, the order inserted by the orders
 * module starting `paid`, and its `order.created` starting the order flow like any other order.
 */
async function reship(em: EntityManager, orderId: number, ref: string, step: Extract<Step, { type: 'reship' }>, actor: Actor) {
  const existing = await siblingByRef(em, orderId, ref);
  if (existing) return { replacementOrderId: existing.id, replacementOrder: existing.number };
  const o = await orderForReplacement(em, orderId);
  const products = await activeProducts(em, [step.sku]);
  const product = products.get(step.sku);
  if (!product) throw new DomainError(409, 'reship_unavailable', `${step.sku} is not sold any more.`, { params: { sku: step.sku, available: 0 } });
  const demand = [{ productId: product.id, sku: step.sku, quantity: step.quantity }];
  const stock = await loadStockOptions(em, [product.id], { lock: true });
  const routing = planRouting(orderDestination(o), demand, stock);
  if (!routing.ok) throw new DomainError(409, 'reship_unavailable', `${step.sku} is not in stock.`, { params: { sku: step.sku, available: 0 } });
  const allocations = routing.plan.allocations;
  const reserved = await reserveAllocations(em, allocations);
  const order = await insertReplacementOrder(
    em,
    o,
    ref,
    'reship',
    routing.plan.shipments === 1 ? allocations[0].warehouseId : null,
    demand.map((d) => ({ ...d, name: product.name })),
  );
  await insertReservations(em, order.id, allocations, firstLineByProduct([{ id: order.lineIds[0], product_id: product.id }]));
  const reservations = allocations.map((x) => ({ sku: x.sku, warehouse: x.warehouseCode, quantity: x.quantity }));
  audit(em, actor, {
    action: 'order.created',
    entityType: 'Order',
    entityId: order.id,
    after: {
      number: order.number,
      status: 'paid',
      path: ['received', 'validated', 'awaiting_payment', 'paid'],
      total: 0,
      currency: o.currency,
      holdReasons: [],
      replacementFor: { orderId, number: o.number, reship: true },
      lines: [{ sku: step.sku, quantity: step.quantity }],
      reservations,
    },
  });
  publish(em, 'orders', 'order.created', {
    orderId: order.id,
    number: order.number,
    channel: o.channel,
    status: 'paid',
    currency: o.currency,
    total: 0,
    holdReasons: [],
    replacementFor: orderId,
  });
  for (const e of lowStockEvents(allocations, reserved)) publish(em, e.topic, e.type, e.payload);
  return { replacementOrderId: order.id, replacementOrder: order.number };
}

// ---- Approval (called by the approval flow's steps) ----

/** An approved run: its actions run now (the refund first among them), once, however often this is called. */
export async function resumeMacroRun(orm: MikroORM, runId: number, decision: { by?: string | null; comment?: string | null }): Promise<MacroRunView> {
  const go = await orm.em.fork().transactional(async (em) => {
    const run = await loadRun(em, runId, true);
    if (run.status === 'running') return { run, go: true };
    if (run.status !== 'awaiting_approval') return { run, go: false };
    const result = run.result;
    result.approval = { ...result.approval!, by: decision.by ?? null, comment: decision.comment ?? null };
    await db(em)
      .updateTable('macro_run')
      .set({ status: 'running', result: resultJson(result) })
      .where('id', '=', runId)
      .execute();
    const facts = { runId, macro: result.macroName, by: decision.by ?? null, comment: decision.comment ?? null };
    audit(em, approver(decision.by), { action: 'macro.approved', entityType: 'Ticket', entityId: Number(run.ticket_id), after: facts });
    if (result.orderId != null)
      audit(em, approver(decision.by), {
        action: 'macro.approved',
        entityType: 'Order',
        entityId: result.orderId,
        after: { ...facts, orderNumber: result.orderNumber },
      });
    return { run, go: true };
  });
  if (!go.go) return toView(go.run, true);
  return executeRun(orm, runId, agentActor(go.run.actor_id, go.run.result, decision.by));
}

/** A rejected (or timed out) run: nothing runs; an internal note on the ticket says so. */
export async function rejectMacroRun(
  orm: MikroORM,
  runId: number,
  decision: { by?: string | null; comment?: string | null; timedOut?: boolean },
): Promise<MacroRunView> {
  return orm.em.fork().transactional(async (em) => {
    const run = await loadRun(em, runId, true);
    if (run.status !== 'awaiting_approval') return toView(run, true);
    const result = run.result;
    result.approval = { ...result.approval!, by: decision.by ?? null, comment: decision.comment ?? null };
    await db(em)
      .updateTable('macro_run')
      .set({ status: 'rejected', result: resultJson(result) })
      .where('id', '=', runId)
      .execute();
    const ticket = await db(em).selectFrom('ticket').select(['language']).where('id', '=', Number(run.ticket_id)).executeTakeFirstOrThrow();
    const i18n = createI18n(ticket.language === 'zh-CN' || ticket.language === 'zh-TW' ? ticket.language : 'en');
    const body = i18n.t(decision.timedOut ? 'macros.note.timedOut' : 'macros.note.rejected', {
      macro: result.macroName,
      amount: minorToMajor(result.refundMinor, result.currency ?? 'USD'),
      currency: result.currency ?? '',
      by: decision.by ?? '',
      comment: decision.comment ?? '',
    });
    const who = approver(decision.by);
    await addNote(em, who, Number(run.ticket_id), { body, authorName: decision.by ?? 'workflow' });
    const facts = { runId, macro: result.macroName, by: decision.by ?? null, comment: decision.comment ?? null, timedOut: !!decision.timedOut };
    audit(em, who, { action: 'macro.rejected', entityType: 'Ticket', entityId: Number(run.ticket_id), after: facts });
    if (result.orderId != null)
      audit(em, who, { action: 'macro.rejected', entityType: 'Order', entityId: result.orderId, after: { ...facts, orderNumber: result.orderNumber } });
    publish(em, 'service', 'ticket.macro_run', { ticketId: Number(run.ticket_id), number: result.ticketNumber, runId, status: 'rejected' });
    return toView({ ...run, status: 'rejected', result }, false);
  });
}

const approver = (by: string | null | undefined): Actor => ({ type: 'system', label: by ? `approval by ${by}` : 'approval flow' });
/** An approved run acts as the agent who ran it (the reply is theirs), its audit naming the approver. */
const agentActor = (actorId: number | null, result: RunResult, by: string | null | undefined): Actor =>
  actorId == null ? approver(by) : { type: 'user', id: actorId, label: `${result.agentLabel}${by ? ` (approved by ${by})` : ''}`.slice(0, 255) };

// ---- What the ticket view shows ----

export interface MacroPanelData {
  ticket: { id: number; number: string; status: string; language: string };
  order: (Omit<OrderFacts, 'status'> & { status: string }) | null;
  macros: MacroRow[];
  canned: { id: number; name: string }[];
  runs: MacroRunView[];
  /** A fresh run key for the form (the form posts it back: one run per key). */
  runKey: string;
}

/** What the macro panel needs: the ticket's order and lines, the active macros, the canned names, the ticket's recent runs. */
export async function macroPanelData(em: EntityManager, ticketId: number): Promise<MacroPanelData> {
  const t = await db(em).selectFrom('ticket').select(['id', 'number', 'status', 'language', 'order_id']).where('id', '=', ticketId).executeTakeFirst();
  if (!t) throw new DomainError(404, 'not_found', `Ticket ${ticketId} does not exist.`);
  const [order, macros, canned, runs] = await Promise.all([
    t.order_id == null ? null : orderFacts(em, Number(t.order_id)),
    listMacros(em, { activeOnly: true }),
    db(em).selectFrom('canned_response').select(['id', 'name']).orderBy('name').execute(),
    db(em).selectFrom('macro_run').select(RUN_COLUMNS).where('ticket_id', '=', ticketId).orderBy('id', 'desc').limit(10).execute(),
  ]);
  return {
    ticket: { id: Number(t.id), number: t.number, status: t.status, language: t.language },
    order,
    macros,
    canned: canned.map((c) => ({ id: Number(c.id), name: c.name })),
    runs: runs.map((r) => toView(r, false)),
    runKey: crypto.randomUUID(),
  };
}

/** A posted macro form (`macroId`, `runKey`, `inputs.<key>` and `inputs.<key>.<field>` for addresses) as runMacro takes it. */
export function macroRunFromForm(form: FormData): { macroId: number; key: string; inputs: Record<string, unknown> } {
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') continue;
    const m = /^inputs\.([a-z][a-z0-9_]{0,30})(?:\.(name|line1|line2|city|postalCode|country))?$/.exec(name);
    if (!m) continue;
    if (m[2]) {
      const a = (inputs[m[1]] ??= {}) as Record<string, string>;
      a[m[2]] = value;
    } else inputs[m[1]] = value;
  }
  const id = String(form.get('macroId') ?? '');
  return { macroId: /^\d{1,9}$/.test(id) ? Number(id) : 0, key: String(form.get('runKey') ?? ''), inputs };
}

/** The ticket route's action for `intent=macro`: the run, or the refusal with its status and field errors (never a 500 for bad input). */
export async function handleMacroPost(
  orm: MikroORM,
  who: { actor: Actor; role: Role; agentName: string },
  ticketId: number,
  form: FormData,
): Promise<{ status: number; body: { run?: MacroRunView; errors?: FieldError[] } }> {
  const posted = macroRunFromForm(form);
  try {
    const run = await runMacro(orm, who.actor, { ticketId, ...posted, agentName: who.agentName, role: who.role });
    return { status: 200, body: { run } };
  } catch (e) {
    if (!(e instanceof DomainError) || e.status >= 500) throw e;
    return { status: e.status, body: { errors: e.errors ?? [{ field: e.field ?? '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] } };
  }
}
