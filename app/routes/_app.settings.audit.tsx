import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, useLoaderData, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Pager } from '../components/pager.tsx';
import { z } from 'zod';
import type { FilterQuery } from '@mikro-orm/core';
import { AuditEvent, type IAuditEvent } from '../../entities/index.ts';
import { requireUser } from '../lib/auth.server.ts';
import { formatDateTime } from '../lib/format.ts';
import { useRootData } from '../root.tsx';

const PAGE_SIZE = 50;

const Filters = z.object({
  action: z.string().trim().max(100).optional().catch(undefined),
  actor: z.string().trim().max(200).optional().catch(undefined),
  entityType: z.string().trim().max(100).optional().catch(undefined),
  entityId: z.string().trim().max(100).optional().catch(undefined),
  from: z.string().date().optional().catch(undefined),
  to: z.string().date().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'audit.view');
  const f = Filters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const where: FilterQuery<IAuditEvent> = {};
  if (f.action) where.action = { $ilike: `${f.action}%` };
  if (f.actor) where.actorLabel = { $ilike: `%${f.actor}%` };
  if (f.entityType) where.entityType = f.entityType;
  if (f.entityId) where.entityId = f.entityId;
  if (f.from || f.to) {
    where.at = {};
    if (f.from) where.at.$gte = new Date(`${f.from}T00:00:00Z`);
    if (f.to) where.at.$lt = new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000);
  }
  const em = context.orm.em.fork();
  const [rows, total] = await em.findAndCount(AuditEvent, where, { orderBy: { id: 'desc' }, limit: PAGE_SIZE, offset: (f.page - 1) * PAGE_SIZE });
  const actions = (await em.getConnection().execute<{ action: string }[]>('select distinct action from audit_event order by action limit 200')).map(
    (r) => r.action,
  );
  return {
    rows: rows.map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      actorType: r.actorType,
      actorLabel: r.actorLabel,
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      before: r.before,
      after: r.after,
      ip: r.ip,
    })),
    total,
    page: f.page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    actions,
  };
}

export default function AuditLog() {
  const { rows, total, page, pages, actions } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useRootData()?.locale ?? 'en';
  const [params] = useSearchParams();
  return (
    <>
      <h1 className="page-title">{t('audit.title')}</h1>
      <Form method="get" className="filters" data-testid="audit-filters">
        <label className="field">
          <span>{t('audit.filters.action')}</span>
          <select name="action" defaultValue={params.get('action') ?? ''}>
            <option value="">{t('common.all')}</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('audit.filters.actor')}</span>
          <input name="actor" defaultValue={params.get('actor') ?? ''} />
        </label>
        <label className="field">
          <span>{t('audit.filters.entityType')}</span>
          <input name="entityType" defaultValue={params.get('entityType') ?? ''} />
        </label>
        <label className="field">
          <span>{t('audit.filters.from')}</span>
          <input type="date" name="from" defaultValue={params.get('from') ?? ''} />
        </label>
        <label className="field">
          <span>{t('audit.filters.to')}</span>
          <input type="date" name="to" defaultValue={params.get('to') ?? ''} />
        </label>
        <button type="submit">{t('common.filter')}</button>
      </Form>
      <p className="muted">{t('common.resultCount', { count: total })}</p>
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="audit-table">
          <thead>
            <tr>
              <th>{t('audit.columns.at')}</th>
              <th>{t('audit.columns.actor')}</th>
              <th>{t('audit.columns.action')}</th>
              <th>{t('audit.columns.entity')}</th>
              <th>{t('audit.columns.change')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.at, locale)}</td>
                <td>
                  {r.actorLabel ?? t(`audit.actorTypes.${r.actorType}`)}
                  {r.ip ? <span className="muted"> · {r.ip}</span> : null}
                </td>
                <td>
                  <code>{r.action}</code>
                </td>
                <td>
                  {r.entityType}
                  {r.entityId ? ` #${r.entityId}` : ''}
                </td>
                <td className="change">
                  {r.before || r.after ? (
                    <code>
                      {JSON.stringify(r.before)} → {JSON.stringify(r.after)}
                    </code>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} pages={pages} />
    </>
  );
}
