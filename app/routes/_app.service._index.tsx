import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { LOCALES, ORDER_STATUSES, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from '../../entities/constants.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { Id } from '../lib/ids.ts';
import { fieldErrors, type FieldError } from '../lib/problem.ts';
import { useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { deskChoices, listTickets, parseQueueFilters, viewCounts } from '../modules/service/queries.server.ts';
import { defaultSort, DESK_SETTINGS, QUEUE_DATES, QUEUE_SLA, QUEUE_SORTS, QUEUE_STATES, QUEUE_VIEWS } from '../modules/service/queue.ts';
import { updateTicket } from '../modules/service/tickets.server.ts';
import { Pager } from '../components/pager.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { ConfirmSubmit, Toast } from '../components/confirm-submit.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { DueIn, PriorityBadge, TicketStatusBadge } from '../components/service/badges.tsx';
import { DateTime } from '../components/format.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'service.view');
  const em = context.orm.em.fork();
  const filters = parseQueueFilters(new URL(request.url).searchParams);
  const [page, counts, choices] = await Promise.all([
    listTickets(em, user.id, filters, context.config.BUSINESS_TIME_ZONE),
    viewCounts(em, user.id),
    deskChoices(em),
  ]);
  return {
    ...page,
    counts,
    filters,
    ...choices,
    canManage: can(user.role, 'service.manage'),
    canConfigure: can(user.role, 'service.settings'),
    canReport: can(user.role, 'analytics.service'),
  };
}

const BULK_ACTIONS = ['assign', 'tag', 'solve', 'close'] as const;
const Bulk = z.object({
  bulk: z.enum(BULK_ACTIONS),
  ids: z.array(Id).min(1).max(200),
  assignee: z.preprocess((v) => (v === '' || v === 'none' ? null : v), Id.nullable()).optional(),
  tag: z.string().trim().min(1).max(40).optional(),
});
type BulkResult = { bulk?: string; done?: number; failed?: { id: number; code: string }[]; errors?: FieldError[] };

/** Bulk assign / tag / solve / close: each ticket on its own, so one refusal does not undo the others. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  if (!can(user.role, 'service.manage')) throw forbidden('service.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = Bulk.safeParse({
    bulk: form.get('bulk'),
    ids: form.getAll('ids'),
    assignee: form.get('assignee') ?? undefined,
    tag: form.get('tag') || undefined,
  });
  if (!parsed.success) return data<BulkResult>({ errors: fieldErrors(parsed.error) }, { status: 422 });
  const { bulk, ids, assignee, tag } = parsed.data;
  if (bulk === 'tag' && !tag)
    return data<BulkResult>({ errors: [{ field: 'tag', code: 'required', messageKey: 'errors.validation.required' }] }, { status: 422 });
  if (bulk === 'assign' && assignee === undefined)
    return data<BulkResult>({ errors: [{ field: 'assignee', code: 'required', messageKey: 'errors.validation.required' }] }, { status: 422 });
  const actor = userActor(user, context.ip);
  let done = 0;
  const failed: NonNullable<BulkResult['failed']> = [];
  for (const id of ids) {
    try {
      await context.orm.em.fork().transactional(async (em) => {
        if (bulk === 'assign') return updateTicket(em, actor, id, { assigneeId: assignee ?? null });
        if (bulk === 'solve') return updateTicket(em, actor, id, { status: 'solved' });
        if (bulk === 'close') return updateTicket(em, actor, id, { status: 'closed' });
        const current = await em.execute<{ tags: string[] }[]>('select tags from ticket where id = ?', [id]);
        return updateTicket(em, actor, id, { tags: [...(current[0]?.tags ?? []), tag!] });
      });
      done++;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      failed.push({ id, code: e.code });
    }
  }
  return data<BulkResult>({ bulk, done, failed });
}

const STATUS_OPTIONS = [...TICKET_STATUSES];

export default function ServiceQueue() {
  const { rows, nextCursor, prevCursor, page, counts, filters, teams, agents, tags, canManage, canConfigure, canReport } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as BulkResult | undefined;
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  // A new ticket or a reply anywhere shows up without a reload.
  useLiveRevalidate('service', (e) => e.type.startsWith('ticket.'), 300);

  const viewLink = (view: string) => {
    const next = new URLSearchParams(params);
    next.set('view', view);
    for (const k of ['after', 'before', 'page']) next.delete(k);
    return `?${next}`;
  };
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.id));

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('service.title')}</h1>
        <nav className="tabs" aria-label={t('service.views.label')} data-testid="queue-views">
          {QUEUE_VIEWS.map((v) => (
            <Link key={v} to={viewLink(v)} className={filters.view === v ? 'active' : ''} data-testid={`view-${v}`}>
              {t(`service.views.${v}`)} <span className="count">{counts[v] >= 1000 ? '999+' : counts[v]}</span>
            </Link>
          ))}
        </nav>
        {canReport ? (
          <Link to="/analytics/service" className="button" data-testid="service-report-link">
            {t('serviceReports.open')}
          </Link>
        ) : null}
      </div>
      <Form method="get" className="filters" data-testid="queue-filters">
        <input type="hidden" name="view" value={filters.view} />
        <label className="field grow">
          <span>{t('service.filters.search')}</span>
          <input type="search" name="q" defaultValue={filters.q ?? ''} placeholder={t('service.filters.searchHint')} data-testid="queue-search" />
        </label>
        <FilterSelect
          name="status"
          label={t('service.fields.status')}
          value={filters.status ?? ''}
          options={STATUS_OPTIONS.map((s) => [s, t(`ticketStatus.${s}`)] as const)}
        />
        <FilterSelect
          name="priority"
          label={t('service.fields.priority')}
          value={filters.priority ?? ''}
          options={TICKET_PRIORITIES.map((s) => [s, t(`ticketPriority.${s}`)] as const)}
        />
        <FilterSelect
          name="channel"
          label={t('service.fields.channel')}
          value={filters.channel ?? ''}
          options={TICKET_CHANNELS.map((s) => [s, t(`ticketChannel.${s}`)] as const)}
        />
        <FilterSelect
          name="language"
          label={t('service.fields.language')}
          value={filters.language ?? ''}
          options={LOCALES.map((l) => [l, t(`locales.${l}`)] as const)}
        />
        <FilterSelect
          name="team"
          label={t('service.fields.team')}
          value={filters.team ? String(filters.team) : ''}
          options={teams.map((x) => [String(x.id), x.name] as const)}
        />
        <FilterSelect
          name="assignee"
          label={t('service.fields.assignee')}
          value={filters.assignee ? String(filters.assignee) : ''}
          options={agents.map((x) => [String(x.id), x.name] as const)}
        />
        <FilterSelect name="tag" label={t('service.fields.tags')} value={filters.tag ?? ''} options={tags.map((x) => [x, x] as const)} />
        <FilterSelect
          name="orderStatus"
          label={t('service.fields.orderStatus')}
          value={filters.orderStatus ?? ''}
          options={ORDER_STATUSES.map((s) => [s, t(`orderStatus.${s}`)] as const)}
        />
        <FilterSelect
          name="state"
          label={t('serviceReports.queue.state')}
          value={filters.state ?? ''}
          options={QUEUE_STATES.map((s) => [s, t(`serviceReports.queue.states.${s}`)] as const)}
        />
        <FilterSelect
          name="sla"
          label={t('serviceReports.queue.sla')}
          value={filters.sla ?? ''}
          options={QUEUE_SLA.map((s) => [s, t(`serviceReports.queue.slas.${s}`)] as const)}
        />
        <label className="field">
          <span>{t('serviceReports.queue.dates')}</span>
          <select name="dates" defaultValue={filters.dates ?? 'created'}>
            {QUEUE_DATES.map((d) => (
              <option key={d} value={d}>
                {t(`serviceReports.queue.dateKinds.${d}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('analytics.from')}</span>
          <input type="date" name="from" defaultValue={filters.from ?? ''} data-testid="queue-from" />
        </label>
        <label className="field">
          <span>{t('analytics.to')}</span>
          <input type="date" name="to" defaultValue={filters.to ?? ''} data-testid="queue-to" />
        </label>
        <label className="field">
          <span>{t('service.filters.sort')}</span>
          <select name="sort" defaultValue={filters.sort ?? defaultSort(filters.view)}>
            {QUEUE_SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`service.sorts.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('common.filter')}</button>
      </Form>

      {canConfigure ? (
        <nav className="desk-settings muted small" aria-label={t('service.settingsNav')} data-testid="desk-settings">
          {t('service.settingsNav')}:{' '}
          {DESK_SETTINGS.map(([s, ns], i) => (
            <span key={s}>
              {i ? ' · ' : ''}
              <Link to={`/settings/${s}`}>{t(`${ns}.sections.${s}.title`)}</Link>
            </span>
          ))}
        </nav>
      ) : null}
      {result?.bulk ? (
        <Toast tone={result.failed?.length ? 'warning' : 'success'} testId="bulk-result">
          {t('service.bulk.done', { count: result.done ?? 0 })}
          {result.failed?.length ? <> {t('service.bulk.failed', { count: result.failed.length })}</> : null}
        </Toast>
      ) : result?.errors?.length ? (
        <div className="notice error" role="alert" data-testid="bulk-result">
          {result.errors.map((e) => `${t(`service.fields.${e.field}`, { defaultValue: e.field })}: ${t(e.messageKey)}`).join(' · ')}
        </div>
      ) : null}

      <Form method="post" onSubmit={() => setSelected(new Set())}>
        <CsrfInput />
        {canManage ? (
          <div className="bulk-bar" data-testid="bulk-bar">
            <span className="muted">{t('service.bulk.selected', { count: selected.size })}</span>
            <select name="assignee" aria-label={t('service.fields.assignee')} defaultValue="">
              <option value="">{t('service.bulk.chooseAgent')}</option>
              <option value="none">{t('service.unassigned')}</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
            <button type="submit" name="bulk" value="assign" disabled={selected.size === 0 || navigation.state !== 'idle'}>
              {t('service.bulk.assign')}
            </button>
            <input name="tag" aria-label={t('service.fields.tags')} placeholder={t('service.bulk.tagHint')} maxLength={40} size={10} />
            <button type="submit" name="bulk" value="tag" disabled={selected.size === 0 || navigation.state !== 'idle'}>
              {t('service.bulk.tag')}
            </button>
            <button type="submit" name="bulk" value="solve" disabled={selected.size === 0 || navigation.state !== 'idle'}>
              {t('service.bulk.solve')}
            </button>
            <ConfirmSubmit
              name="bulk"
              value="close"
              label={t('service.bulk.close')}
              question={t('service.bulk.confirmClose', { count: selected.size })}
              disabled={selected.size === 0 || navigation.state !== 'idle'}
              testId="bulk-close"
            />
          </div>
        ) : null}
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="tickets-table">
            <thead>
              <tr>
                {canManage ? (
                  <th>
                    <input
                      type="checkbox"
                      aria-label={t('service.bulk.selectPage')}
                      checked={allOnPage}
                      onChange={() => setSelected(allOnPage ? new Set() : new Set(rows.map((r) => r.id)))}
                    />
                  </th>
                ) : null}
                <th>{t('service.columns.ticket')}</th>
                <th>{t('service.columns.customer')}</th>
                <th>{t('service.columns.order')}</th>
                <th>{t('service.fields.status')}</th>
                <th>{t('service.fields.assignee')}</th>
                <th>{t('service.columns.due')}</th>
                <th>{t('service.columns.updated')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="ticket-row" data-number={r.number}>
                  {canManage ? (
                    <td>
                      <input type="checkbox" name="ids" value={r.id} aria-label={r.number} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
                    </td>
                  ) : null}
                  <td className="ticket-cell">
                    <Link to={`/service/${r.id}`} className="ticket-subject">
                      {r.subject}
                    </Link>
                    <div className="muted small">
                      {r.number} · {t(`ticketChannel.${r.channel}`)} · {t(`locales.${r.language}`, { defaultValue: r.language })}{' '}
                      <PriorityBadge priority={r.priority} />
                      {r.tags.length ? <> · {r.tags.join(', ')}</> : null}
                    </div>
                  </td>
                  <td>
                    {r.customerName ?? r.requester ?? '—'}
                    {r.customerName && r.requester ? <div className="muted small">{r.requester}</div> : null}
                  </td>
                  <td>
                    {r.orderNumber ?? '—'}
                    {r.orderStatus ? <div className="muted small">{t(`orderStatus.${r.orderStatus}`)}</div> : null}
                  </td>
                  <td>
                    <TicketStatusBadge status={r.status} />
                  </td>
                  <td>{r.assigneeName ?? <span className="muted">{t('service.unassigned')}</span>}</td>
                  <td>
                    <DueIn at={r.dueAt} paused={r.paused} />
                  </td>
                  <td>
                    <DateTime value={r.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Form>
      {rows.length === 0 ? <p className="empty-state">{t('service.none')}</p> : null}
      <Pager page={page} cursors={{ next: nextCursor, prev: prevCursor }} />
    </>
  );
}
