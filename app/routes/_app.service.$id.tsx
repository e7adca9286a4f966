import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { LOCALES, TICKET_PRIORITIES, TICKET_STATUSES } from '../../entities/constants.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError, invalid, parseInput } from '../lib/errors.ts';
import { Id, routeId } from '../lib/ids.ts';
import type { FieldError } from '../lib/problem.ts';
import { useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { useTicketPresence } from '../lib/presence.ts';
import { customer360, deskChoices, getTicket } from '../modules/service/queries.server.ts';
import { addNote, mergeTickets, reply, splitMessage, updateTicket } from '../modules/service/tickets.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';
import { DueIn, PriorityBadge, TicketStatusBadge } from '../components/service/badges.tsx';
import { Conversation } from '../components/service/conversation.tsx';
import { Customer360Panel } from '../components/service/customer-360.tsx';
import { TicketTimeline } from '../components/service/timeline.tsx';
import { MacroPanel } from '../components/service/macro-panel.tsx';
import { CannedPicker } from '../components/service/canned-picker.tsx';
import { handleMacroPost, macroPanelData } from '../modules/service/macros.server.ts';
import { cannedFor } from '../modules/service/canned.server.ts';
import { csatOfTicket } from '../modules/service/csat.server.ts';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'service.view');
  const id = routeId(params.id, 'ticket');
  const em = context.orm.em.fork();
  const ticket = await getTicket(em, id);
  if (!ticket) throw new Response(null, { status: 404 });
  const canManage = can(user.role, 'service.manage');
  const [customer, choices, macros, canned, csat] = await Promise.all([
    ticket.customerId ? customer360(em, ticket.customerId) : Promise.resolve(null),
    deskChoices(em),
    canManage ? macroPanelData(em, ticket.id) : Promise.resolve(null),
    canManage ? cannedFor(em, ticket.id, user.name) : Promise.resolve([]),
    csatOfTicket(em, ticket.id),
  ]);
  return { ticket, customer, ...choices, macros, canned, csat, me: { id: user.id, name: user.name }, canManage, canOrders: can(user.role, 'orders.view') };
}

const ORDER_HINT = 'SO-001234';
const TICKET_HINT = 'TK-001234';
const FORMS = { fields: 'fields', match: 'match', merge: 'merge' } as const;
const REPLY_STATUSES = ['pending', 'open', 'on_hold', 'solved'] as const;
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalId = z.preprocess((v) => (v === '' || v === 'none' ? null : v), Id.nullable());

const Reply = z.object({ body: text(50_000), status: z.enum(REPLY_STATUSES).default('pending'), seen: optionalId, force: z.literal('1').optional() });
const Note = z.object({ body: text(20_000) });
const Fields = z.object({
  status: z.enum(TICKET_STATUSES).exclude(['merged']),
  priority: z.enum(TICKET_PRIORITIES),
  language: z.enum(LOCALES),
  teamId: optionalId,
  assigneeId: optionalId,
  tags: z.string().max(800).default(''),
});
const Match = z.object({ order: z.string().trim().max(64).default(''), customer: z.string().trim().max(255).default('') });
const Merge = z.object({ into: z.string().trim().min(1).max(40) });
const Split = z.object({ messageId: Id });

export type TicketActionData = {
  intent?: string;
  ok?: boolean;
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'service.view');
  if (!can(user.role, 'service.manage')) throw forbidden('service.manage');
  const id = routeId(params.id, 'ticket');
  const form = await request.formData();
  assertCsrf(request, form);
  const intent = String(form.get('intent') ?? '');
  const actor = userActor(user, context.ip);
  // Macros run in transactions of their own (a refund over the agent's limit waits for an approval on Temporal).
  if (intent === 'macro') {
    const r = await handleMacroPost(context.orm, { actor, role: user.role, agentName: user.name }, id, form);
    return data(r.body, { status: r.status });
  }
  const raw = Object.fromEntries([...form.keys()].map((k) => [k, form.get(k)]));
  try {
    const result = await context.orm.em.fork().transactional(async (em) => {
      switch (intent) {
        case 'reply': {
          const r = parseInput(Reply, raw);
          await reply(em, actor, id, { body: r.body, status: r.status, seenMessageId: r.seen, force: !!r.force, agentName: user.name });
          return null;
        }
        case 'note': {
          const n = parseInput(Note, raw);
          await addNote(em, actor, id, { body: n.body, authorName: user.name });
          return null;
        }
        case 'fields': {
          const f = parseInput(Fields, raw);
          const tags = f.tags
            .split(/[,，\s]+/)
            .map((x) => x.trim())
            .filter(Boolean);
          if (tags.some((x) => x.length > 40)) throw invalid([{ field: 'tags', code: 'too_long', messageKey: 'errors.validation.too_long' }]);
          await updateTicket(em, actor, id, { status: f.status, priority: f.priority, language: f.language, teamId: f.teamId, assigneeId: f.assigneeId, tags });
          return null;
        }
        case 'take':
          await updateTicket(em, actor, id, { assigneeId: user.id });
          return null;
        case 'match': {
          const m = parseInput(Match, raw);
          const order = m.order
            ? await em.execute<{ id: number; customer_id: number }[]>('select id, customer_id from sales_order where number = ? or external_id = ? limit 1', [
                m.order.toUpperCase(),
                m.order,
              ])
            : [];
          if (m.order && !order.length) throw invalid([{ field: 'order', code: 'not_found', messageKey: 'errors.validation.not_found' }]);
          const customer = m.customer ? await em.execute<{ id: number }[]>('select id from customer where lower(email) = lower(?) limit 1', [m.customer]) : [];
          if (m.customer && !customer.length) throw invalid([{ field: 'customer', code: 'not_found', messageKey: 'errors.validation.not_found' }]);
          await updateTicket(em, actor, id, {
            orderId: order[0] ? Number(order[0].id) : null,
            customerId: customer[0] ? Number(customer[0].id) : order[0] ? Number(order[0].customer_id) : undefined,
          });
          return null;
        }
        case 'merge': {
          const m = parseInput(Merge, raw);
          const [into] = await em.execute<{ id: number }[]>('select id from ticket where number = ? or id::text = ? limit 1', [m.into.toUpperCase(), m.into]);
          if (!into) throw invalid([{ field: 'into', code: 'not_found', messageKey: 'errors.validation.not_found' }]);
          await mergeTickets(em, actor, id, Number(into.id));
          return `/service/${into.id}`;
        }
        case 'split': {
          const s = parseInput(Split, raw);
          const r = await splitMessage(em, actor, s.messageId);
          return `/service/${r.ticketId}`;
        }
        default:
          throw invalid([{ field: 'intent', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }]);
      }
    });
    if (result) return redirect(result);
    return data<TicketActionData>({ intent, ok: true });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<TicketActionData>(e.errors ? { intent, errors: e.errors } : { intent, error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function TicketPage() {
  const { ticket, customer, teams, agents, macros, canned, csat, me, canManage, canOrders } = useLoaderData<typeof loader>();
  const replyBox = useRef<HTMLTextAreaElement>(null);
  const { viewers, setTyping } = useTicketPresence(ticket.id);
  const others = viewers.filter((v) => v.userId !== me.id);
  const typingIdle = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** Typing while the box has text and a key was pressed in the last 8 s. */
  const onType = (text: string) => {
    setTyping(text.trim().length > 0);
    if (typingIdle.current) clearTimeout(typingIdle.current);
    typingIdle.current = setTimeout(() => setTyping(false), 8000);
  };
  const result = useStickyActionData<typeof action>() as TicketActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle';
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  useLiveRevalidate('service', (e) => e.payload.ticketId === ticket.id, 200);
  const lastSeen = ticket.messages.at(-1)?.id ?? null;
  const errorsOf = (intent: string) => (result?.intent === intent ? (result.errors ?? []) : []);
  const fieldErrors = { fields: errorsOf(FORMS.fields), match: errorsOf(FORMS.match), merge: errorsOf(FORMS.merge) };
  const conflict =
    result?.intent === 'reply' && (result.error?.code === 'ticket_replied_meanwhile' || result.error?.code === 'ticket_customer_wrote_meanwhile');
  const due = [ticket.sla.firstResponseDueAt, ticket.sla.nextResponseDueAt, ticket.sla.resolutionDueAt].filter((x): x is string => !!x).sort()[0] ?? null;
  const closed = ticket.status === 'merged' || ticket.status === 'closed';

  return (
    <>
      <p>
        <Link to="/service">{t('service.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title" data-testid="ticket-title">
          {ticket.subject} <TicketStatusBadge status={ticket.status} /> <PriorityBadge priority={ticket.priority} />
        </h1>
        <span className="muted">
          {ticket.number} · {t(`ticketChannel.${ticket.channel}`)} · <DateTime value={ticket.createdAt} />
        </span>
        {canManage && ticket.assigneeId !== me.id && !closed ? (
          <Form method="post" className="inline-actions">
            <CsrfInput />
            <button type="submit" name="intent" value="take" data-testid="take-ticket">
              {t('service.take')}
            </button>
          </Form>
        ) : null}
      </div>
      {others.length ? (
        <p className="notice info presence" role="status" data-testid="ticket-presence">
          {others.map((v) => (v.typing ? t('service.presence.typing', { name: v.name }) : t('service.presence.viewing', { name: v.name }))).join(' · ')}
        </p>
      ) : null}
      {ticket.mergedInto ? (
        <p className="notice info">
          {t('service.mergedInto')} <Link to={`/service/${ticket.mergedInto.id}`}>{ticket.mergedInto.number}</Link>
        </p>
      ) : null}
      {result?.error && !conflict ? (
        <p className="form-error" role="alert" data-testid="ticket-error">
          {t(`errors.${result.error.code}`, { ...result.error.params, defaultValue: result.error.code })}
        </p>
      ) : null}

      <div className="ticket-layout">
        <div className="ticket-main">
          <Conversation messages={ticket.messages} canSplit={canManage && !closed} />
          {canManage && !closed ? (
            <section className="card composer" data-testid="composer">
              <div className="tabs" role="tablist">
                <button type="button" role="tab" aria-selected={mode === 'reply'} className={mode === 'reply' ? 'active' : ''} onClick={() => setMode('reply')}>
                  {t('service.composer.reply')}
                </button>
                <button
                  type="button"
                  role="tab"
                  aria-selected={mode === 'note'}
                  className={mode === 'note' ? 'active' : ''}
                  onClick={() => setMode('note')}
                  data-testid="note-tab"
                >
                  {t('service.composer.note')}
                </button>
              </div>
              <Form method="post" key={`${mode}-${lastSeen}`} data-testid={`${mode}-form`} onSubmit={() => setTyping(false)}>
                <CsrfInput />
                <input type="hidden" name="intent" value={mode} />
                {mode === 'reply' ? <input type="hidden" name="seen" value={lastSeen ?? ''} /> : null}
                {conflict ? <input type="hidden" name="force" value="1" /> : null}
                <label className="field">
                  <span>
                    {mode === 'reply'
                      ? t('service.composer.replyTo', {
                          to: ticket.requesterEmail ?? customer?.email ?? '—',
                          language: t(`locales.${ticket.language}`, { defaultValue: ticket.language }),
                        })
                      : t('service.composer.noteHint')}
                  </span>
                  <textarea
                    ref={replyBox}
                    name="body"
                    rows={6}
                    required
                    maxLength={50_000}
                    data-testid="composer-body"
                    onInput={(e) => mode === 'reply' && onType(e.currentTarget.value)}
                  />
                </label>
                {mode === 'reply' ? (
                  <CannedPicker
                    canned={canned}
                    onInsert={(text) => {
                      if (!replyBox.current) return;
                      replyBox.current.value = replyBox.current.value ? `${replyBox.current.value}\n\n${text}` : text;
                      replyBox.current.focus();
                    }}
                  />
                ) : null}
                <FormErrors errors={errorsOf(mode)} />
                {conflict ? (
                  <p className="notice warning" role="alert" data-testid="reply-conflict">
                    {t(`errors.${result!.error!.code}`, { ...result!.error!.params, defaultValue: result!.error!.code })}
                  </p>
                ) : null}
                <div className="inline-actions">
                  {mode === 'reply' ? (
                    <>
                      <label className="field inline">
                        <span>{t('service.composer.thenStatus')}</span>
                        <select name="status" defaultValue="pending" data-testid="reply-status">
                          {REPLY_STATUSES.map((s) => (
                            <option key={s} value={s}>
                              {t(`ticketStatus.${s}`)}
                            </option>
                          ))}
                        </select>
                      </label>
                      <button type="submit" className="primary" disabled={busy} data-testid="send-reply">
                        {conflict ? t('service.composer.sendAnyway') : t('service.composer.send')}
                      </button>
                    </>
                  ) : (
                    <button type="submit" className="primary" disabled={busy} data-testid="add-note">
                      {t('service.composer.addNote')}
                    </button>
                  )}
                </div>
              </Form>
            </section>
          ) : null}
          <TicketTimeline entries={ticket.timeline} />
        </div>

        <aside className="ticket-side">
          <section className="card" data-testid="ticket-fields">
            <h2>{t('service.details')}</h2>
            <div className="sla-box">
              <span>{t('service.sla.title')}</span> <DueIn at={due} paused={!!ticket.sla.pausedFor} />
              {ticket.sla.policy ? <span className="muted small"> · {ticket.sla.policy}</span> : null}
              {csat ? (
                <span className="badge csat" data-testid="ticket-csat" title={csat.comment ?? undefined}>
                  {t('service.csat', { rating: csat.rating })}
                </span>
              ) : null}
              {ticket.sla.events.some((e) => e.kind === 'breach') ? (
                <span className="badge sla-breached" data-testid="sla-breached">
                  {t('service.sla.breached')}
                </span>
              ) : null}
            </div>
            {canManage && !closed ? (
              <Form method="post" className="stack" key={ticket.updatedAt}>
                <CsrfInput />
                <input type="hidden" name="intent" value="fields" />
                <label className="field">
                  <span>{t('service.fields.status')}</span>
                  <select name="status" defaultValue={ticket.status} data-testid="field-status">
                    {TICKET_STATUSES.filter((s) => s !== 'merged').map((s) => (
                      <option key={s} value={s}>
                        {t(`ticketStatus.${s}`)}
                      </option>
                    ))}
                  </select>
                </label>
                <FieldSelect
                  name="priority"
                  label={t('service.fields.priority')}
                  value={ticket.priority}
                  options={TICKET_PRIORITIES.map((p) => [p, t(`ticketPriority.${p}`)])}
                />
                <FieldSelect
                  name="teamId"
                  label={t('service.fields.team')}
                  value={ticket.teamId ?? ''}
                  empty="—"
                  options={teams.map((x) => [String(x.id), x.name])}
                />
                <FieldSelect
                  name="assigneeId"
                  label={t('service.fields.assignee')}
                  value={ticket.assigneeId ?? ''}
                  empty={t('service.unassigned')}
                  options={agents.map((x) => [String(x.id), x.name])}
                  testId="field-assignee"
                />
                <FieldSelect
                  name="language"
                  label={t('service.fields.language')}
                  value={ticket.language}
                  options={LOCALES.map((l) => [l, t(`locales.${l}`)])}
                />
                <label className="field">
                  <span>{t('service.fields.tags')}</span>
                  <input name="tags" defaultValue={ticket.tags.join(', ')} maxLength={800} data-testid="field-tags" />
                </label>
                <FormErrors errors={fieldErrors.fields} label={(f) => t(`service.fields.${f}`, { defaultValue: f })} />
                <button type="submit" disabled={busy} data-testid="save-fields">
                  {t('service.save')}
                </button>
              </Form>
            ) : (
              <p className="muted">{ticket.tags.join(', ')}</p>
            )}
          </section>

          <section className="card" data-testid="ticket-match">
            <h2>{t('service.match.title')}</h2>
            <p className="small">
              {ticket.orderNumber ? (
                <>
                  {t('service.match.order')}: {canOrders ? <Link to={`/orders/${ticket.orderId}`}>{ticket.orderNumber}</Link> : ticket.orderNumber}{' '}
                  {ticket.orderStatus ? <span className="muted">({t(`orderStatus.${ticket.orderStatus}`)})</span> : null}
                </>
              ) : (
                t('service.match.noOrder')
              )}
            </p>
            <p className="muted small" data-testid="match-explained">
              {explainMatch(ticket.match, t)}
            </p>
            {canManage && !closed ? (
              <Form method="post" className="stack">
                <CsrfInput />
                <input type="hidden" name="intent" value="match" />
                <label className="field">
                  <span>{t('service.match.orderField')}</span>
                  <input name="order" defaultValue={ticket.orderNumber ?? ''} maxLength={64} placeholder={ORDER_HINT} />
                </label>
                <label className="field">
                  <span>{t('service.match.customerField')}</span>
                  <input name="customer" type="email" defaultValue={customer?.email ?? ''} maxLength={255} />
                </label>
                <FormErrors errors={fieldErrors.match} label={(f) => t(`service.match.${f}Field`, { defaultValue: f })} />
                <button type="submit" disabled={busy}>
                  {t('service.match.change')}
                </button>
              </Form>
            ) : null}
          </section>

          {macros && !closed ? <MacroPanel data={macros} /> : null}
          {csat?.comment ? (
            <section className="card" data-testid="csat-comment">
              <h2>{t('service.csat', { rating: csat.rating })}</h2>
              <p className="message-body">{csat.comment}</p>
            </section>
          ) : null}

          {customer ? <Customer360Panel customer={customer} canOrders={canOrders} /> : <p className="muted card">{t('service.c360.none')}</p>}

          {canManage && !closed ? (
            <section className="card" data-testid="merge">
              <h2>{t('service.merge.title')}</h2>
              {ticket.suggestions.length ? (
                <p className="small">
                  {t('service.merge.suggested')}{' '}
                  {ticket.suggestions.map((s) => (
                    <Link key={s.id} to={`/service/${s.id}`} className="chip">
                      {s.number}
                    </Link>
                  ))}
                </p>
              ) : null}
              <Form method="post" className="inline-actions">
                <CsrfInput />
                <input type="hidden" name="intent" value="merge" />
                <input
                  name="into"
                  placeholder={TICKET_HINT}
                  aria-label={t('service.merge.into')}
                  maxLength={40}
                  defaultValue={ticket.suggestions[0]?.number ?? ''}
                />
                <button type="submit" disabled={busy}>
                  {t('service.merge.action')}
                </button>
              </Form>
              <FormErrors errors={fieldErrors.merge} />
            </section>
          ) : null}
        </aside>
      </div>
    </>
  );
}

type T = ReturnType<typeof useTranslation>['t'];

/** A form's refusals, each in the reader's language, with the field's name when `label` gives one. */
function FormErrors({ errors, label }: { errors: FieldError[]; label?: (field: string) => string }) {
  const { t } = useTranslation();
  return errors.map((e) => (
    <p key={e.field + e.code} className="form-error" role="alert" data-field={e.field}>
      {label ? `${label(e.field)}: ` : ''}
      {t(e.messageKey, { ...e.params, defaultValue: e.code })}
    </p>
  ));
}

/** A labelled select of `[value, text]` choices (with an empty first choice when `empty` is given). */
function FieldSelect(props: { name: string; label: string; value: string | number; options: [string, string][]; empty?: string; testId?: string }) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <select name={props.name} defaultValue={props.value} data-testid={props.testId}>
        {props.empty !== undefined ? <option value="">{props.empty}</option> : null}
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** How the ticket found its customer and order, in words. */
function explainMatch(match: Record<string, unknown> | null, t: T): string {
  if (!match) return t('service.match.none');
  const parts: string[] = [];
  if (match.customer) parts.push(t(`service.match.customerBy.${String(match.customer)}`, { defaultValue: String(match.customer) }));
  const order = match.order as { by?: string; text?: string } | null | undefined;
  if (order?.by) parts.push(t(`service.match.orderBy.${order.by}`, { text: order.text ?? '', defaultValue: order.by }));
  if (Array.isArray(match.unmatched) && match.unmatched.length) parts.push(t('service.match.unmatched', { refs: match.unmatched.join(', ') }));
  if (match.otherCustomersOrder) parts.push(t('service.match.otherCustomer'));
  if (match.changedBy) parts.push(t('service.match.changedBy', { name: String(match.changedBy) }));
  return parts.length ? parts.join(' · ') : t('service.match.none');
}
