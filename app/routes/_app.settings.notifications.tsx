import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import type { MailTemplate } from '../../entities/constants.ts';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { Id } from '../lib/ids.ts';
import { can } from '../lib/permissions.ts';
import { retryNotifications } from '../modules/notifications/service.server.ts';
import { Pager } from '../components/pager.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';

const PAGE_SIZE = 50;
// Listed here rather than imported from entities/, which would pull the ORM into the browser bundle.
const STATUSES = ['queued', 'sent', 'failed', 'held'] as const;
const TEMPLATES = [
  'order_confirmation',
  'order_shipped',
  'order_delivered',
  'recommendations',
  'staff_alert',
  'purchase_order',
  'purchase_order_cancelled',
] as const satisfies readonly MailTemplate[];
type Status = (typeof STATUSES)[number];
const BADGE: Record<Status, string> = { queued: 'status-paid', sent: 'status-delivered', failed: 'status-cancelled', held: 'status-on_hold' };

const Filters = z.object({
  status: z.enum(STATUSES).optional().catch(undefined),
  template: z.enum(TEMPLATES).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  id: Id.optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

interface Row {
  id: number;
  order_id: number | null;
  order_number: string | null;
  template: MailTemplate;
  locale: string;
  to: string;
  subject: string | null;
  status: Status;
  attempts: number;
  error: string | null;
  created_at: Date | string;
  sent_at: Date | string | null;
}
const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());
const toRow = (r: Row) => ({
  id: Number(r.id),
  orderId: r.order_id == null ? null : Number(r.order_id),
  orderNumber: r.order_number,
  template: r.template,
  locale: r.locale,
  to: r.to,
  subject: r.subject,
  status: r.status,
  attempts: Number(r.attempts),
  error: r.error,
  createdAt: iso(r.created_at)!,
  sentAt: iso(r.sent_at),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  const f = Filters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status) {
    where.push('n.status = ?');
    params.push(f.status);
  }
  if (f.template) {
    where.push('n.template = ?');
    params.push(f.template);
  }
  if (f.q) {
    where.push(`(n."to" ilike ? or o.number ilike ?)`);
    params.push(`%${f.q}%`, `%${f.q}%`);
  }
  const sqlWhere = where.length ? `where ${where.join(' and ')}` : '';
  const from = 'from notification n left join sales_order o on o.id = n.order_id';
  const cols = `n.id, n.order_id, o.number as order_number, n.template, n.locale, n."to", n.subject, n.status, n.attempts, n.error, n.created_at, n.sent_at`;
  const em = context.orm.em.fork();
  const [rows, [count], byStatus, detail] = await Promise.all([
    em.execute<Row[]>(`select ${cols} ${from} ${sqlWhere} order by n.id desc limit ? offset ?`, [...params, PAGE_SIZE, (f.page - 1) * PAGE_SIZE]),
    em.execute<{ n: string }[]>(`select count(*) as n ${from} ${sqlWhere}`, params),
    em.execute<{ status: Status; n: string }[]>('select status, count(*) as n from notification group by status'),
    f.id
      ? em.execute<(Row & { text: string | null; html: string | null })[]>(`select ${cols}, n.text, n.html ${from} where n.id = ?`, [f.id])
      : Promise.resolve([]),
  ]);
  const total = Number(count.n);
  return {
    rows: rows.map(toRow),
    total,
    page: f.page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    counts: Object.fromEntries(STATUSES.map((s) => [s, Number(byStatus.find((b) => b.status === s)?.n ?? 0)])) as Record<Status, number>,
    detail: detail[0] ? { ...toRow(detail[0]), text: detail[0].text, html: detail[0].html } : null,
    smtp: !!context.config.SMTP_URL,
    canManage: can(user.role, 'settings.manage'),
  };
}

const Retry = z.discriminatedUnion('intent', [z.object({ intent: z.literal('retry'), id: Id }), z.object({ intent: z.literal('retryAll') })]);
type ActionData = { retried?: number; error?: 'invalid' | 'not_retryable' };

/** Puts failed or held mail back in the queue; the worker sends it (or holds it again without SMTP). */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = Retry.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ error: 'invalid' }, { status: 422 });
  const ids = parsed.data.intent === 'retry' ? [parsed.data.id] : null;
  const retried = await retryNotifications(context.orm, ids, userActor(user, context.ip));
  if (ids && retried === 0) return data<ActionData>({ error: 'not_retryable' }, { status: 409 });
  return data<ActionData>({ retried });
}

export default function Notifications() {
  const { rows, total, page, pages, counts, detail, smtp, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const link = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes))
      if (v === null) next.delete(k);
      else next.set(k, v);
    return `?${next}`;
  };
  const retryable = (s: Status) => s === 'failed' || s === 'held';
  const RetryButton = ({ id }: { id: number }) => (
    <Form method="post" className="inline-actions">
      <CsrfInput />
      <input type="hidden" name="intent" value="retry" />
      <input type="hidden" name="id" value={id} />
      <button type="submit">{t('notifications.retry')}</button>
    </Form>
  );
  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('notifications.title')}</h1>
        {canManage && counts.failed + counts.held > 0 ? (
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="retryAll" />
            <button type="submit" data-testid="notifications-retry-all">
              {t('notifications.retryAll', { count: counts.failed + counts.held })}
            </button>
          </Form>
        ) : null}
      </div>
      <p className="muted">{t('notifications.intro')}</p>
      <div className={`notice ${smtp ? 'success' : 'warning'}`} role="status">
        {smtp ? t('notifications.smtpOn') : t('notifications.smtpOff')}
      </div>
      {result?.retried !== undefined ? (
        <div className="notice success" role="status" data-testid="notifications-retried">
          {t('notifications.retried', { count: result.retried })}
        </div>
      ) : null}
      {result?.error ? (
        <div className="notice warning" role="alert">
          {t(`notifications.errors.${result.error}`)}
        </div>
      ) : null}

      <p data-testid="notification-counts">
        {STATUSES.map((s) => (
          <Link key={s} to={link({ status: s, page: null, id: null })} className={`badge ${BADGE[s]}`}>
            {t(`notifications.status.${s}`)} {counts[s]}
          </Link>
        ))}
      </p>

      {detail ? (
        <section className="card" data-testid="notification-detail" aria-label={t('notifications.detail.title', { id: detail.id })}>
          <div className="page-head">
            <h2>{t('notifications.detail.title', { id: detail.id })}</h2>
            <Link to={link({ id: null })}>{t('notifications.detail.close')}</Link>
          </div>
          <dl className="facts">
            <dt>{t('notifications.columns.to')}</dt>
            <dd>{detail.to}</dd>
            <dt>{t('notifications.columns.subject')}</dt>
            <dd>{detail.subject ?? t('notifications.unrendered')}</dd>
            <dt>{t('notifications.columns.template')}</dt>
            <dd>{t(`notifications.templates.${detail.template}`)}</dd>
            <dt>{t('notifications.detail.locale')}</dt>
            <dd>{t(`locales.${detail.locale}`)}</dd>
            <dt>{t('notifications.columns.status')}</dt>
            <dd>
              <span className={`badge ${BADGE[detail.status]}`}>{t(`notifications.status.${detail.status}`)}</span>
            </dd>
            <dt>{t('notifications.columns.attempts')}</dt>
            <dd>{detail.attempts}</dd>
            {detail.error ? (
              <>
                <dt>{t('notifications.columns.error')}</dt>
                <dd>{detail.error}</dd>
              </>
            ) : null}
            <dt>{t('notifications.columns.created')}</dt>
            <dd>
              <DateTime value={detail.createdAt} />
            </dd>
            <dt>{t('notifications.columns.sent')}</dt>
            <dd>{detail.sentAt ? <DateTime value={detail.sentAt} /> : '—'}</dd>
          </dl>
          {canManage && retryable(detail.status) ? <RetryButton id={detail.id} /> : null}
          <h3>{t('notifications.detail.text')}</h3>
          <pre style={{ whiteSpace: 'pre-wrap' }} data-testid="notification-text">
            {detail.text ?? t('notifications.unrendered')}
          </pre>
          <h3>{t('notifications.detail.html')}</h3>
          {/* The mail's own HTML, shown without scripts, forms or same-origin access. */}
          {detail.html !== null ? (
            <iframe
              sandbox=""
              srcDoc={detail.html}
              title={t('notifications.detail.html')}
              style={{ width: '100%', minHeight: '32rem', border: '1px solid #dde3ea' }}
            />
          ) : (
            <p className="muted">{t('notifications.unrendered')}</p>
          )}
        </section>
      ) : null}

      <Form method="get" className="filters" data-testid="notification-filters">
        <label className="field">
          <span>{t('notifications.filters.status')}</span>
          <select name="status" defaultValue={params.get('status') ?? ''}>
            <option value="">{t('common.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`notifications.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('notifications.filters.template')}</span>
          <select name="template" defaultValue={params.get('template') ?? ''}>
            <option value="">{t('common.all')}</option>
            {TEMPLATES.map((s) => (
              <option key={s} value={s}>
                {t(`notifications.templates.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow">
          <span>{t('notifications.filters.search')}</span>
          <input type="search" name="q" defaultValue={params.get('q') ?? ''} />
        </label>
        <button type="submit">{t('common.filter')}</button>
      </Form>
      <p className="muted">{t('common.resultCount', { count: total })}</p>
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="notifications-table">
          <thead>
            <tr>
              <th>{t('notifications.columns.created')}</th>
              <th>{t('notifications.columns.to')}</th>
              <th>{t('notifications.columns.order')}</th>
              <th>{t('notifications.columns.subject')}</th>
              <th>{t('notifications.columns.status')}</th>
              <th>{t('notifications.columns.error')}</th>
              <th>{t('notifications.columns.sent')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="notification-row">
                <td>
                  <DateTime value={r.createdAt} />
                </td>
                <td>
                  {r.to}
                  <div className="muted small">{t(`locales.${r.locale}`)}</div>
                </td>
                <td>{r.orderId ? <Link to={`/orders/${r.orderId}`}>{r.orderNumber}</Link> : '—'}</td>
                <td>
                  <Link to={link({ id: String(r.id) })}>{r.subject ?? t('notifications.unrendered')}</Link>
                  <div className="muted small">{t(`notifications.templates.${r.template}`)}</div>
                </td>
                <td>
                  <span className={`badge ${BADGE[r.status]}`}>{t(`notifications.status.${r.status}`)}</span>
                  {r.attempts ? <div className="muted small">{t('notifications.attempts', { count: r.attempts })}</div> : null}
                </td>
                <td className="small">{r.error ?? ''}</td>
                <td>{r.sentAt ? <DateTime value={r.sentAt} /> : '—'}</td>
                <td>
                  <Link to={link({ id: String(r.id) })}>{t('notifications.view')}</Link>
                  {canManage && retryable(r.status) ? <RetryButton id={r.id} /> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 ? <p className="empty-state">{t('notifications.none')}</p> : null}
      <Pager page={page} pages={pages} />
    </>
  );
}
