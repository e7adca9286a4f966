import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { useLive } from '../lib/live.ts';
import { listDefinitions, listRuns, RunFilters } from '../modules/workflows/queries.server.ts';
import { DateTime } from '../components/format.tsx';
import { Pager } from '../components/pager.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const em = context.orm.em.fork();
  const filters = RunFilters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const [definitions, runs] = await Promise.all([listDefinitions(em), listRuns(em, filters)]);
  return { definitions, runs, filters, canEdit: can(user.role, 'workflows.edit') };
}

const RUN_STATUSES = ['running', 'completed', 'failed', 'compensated', 'cancelled'] as const;

export default function Workflows() {
  const { definitions, runs, filters } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const revalidator = useRevalidator();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLive('workflows', () => { pending.current ??= setTimeout(() => { pending.current = null; if (revalidator.state === 'idle') revalidator.revalidate(); }, 1500); });

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.workflows')}</h1>
        <nav className="tabs">
          <Link to="/workflows/tasks">{t('workflows.inbox')}</Link>
          <Link to="/workflows/bindings">{t('workflows.bindings')}</Link>
        </nav>
      </div>
      <section className="card">
        <h2>{t('workflows.flows')}</h2>
        <div className="table-wrap">
          <table className="data-table" data-testid="flows">
            <thead><tr><th>{t('workflows.flow')}</th><th>{t('workflows.version')}</th><th>{t('workflows.triggeredBy')}</th><th className="num">{t('workflows.runs')}</th><th>{t('workflows.published')}</th></tr></thead>
            <tbody>{definitions.map((d) => (
              <tr key={d.id}>
                <td><Link to={`/workflows/${d.key}`}>{d.name}</Link><div className="muted small">{d.description}</div></td>
                <td>{d.version ? `v${d.version}` : t('workflows.draftOnly')}</td>
                <td>{d.events || '—'}</td>
                <td className="num">{d.runs}{d.running ? <span className="muted"> · {t('workflows.runningCount', { count: d.running })}</span> : null}</td>
                <td>{d.publishedAt ? <><DateTime value={d.publishedAt} /><div className="muted small">{d.author}</div></> : '—'}</td>
              </tr>))}</tbody>
          </table>
        </div>
      </section>

      <section className="card">
        <h2>{t('workflows.recentRuns')}</h2>
        <Form method="get" className="filters plain" data-testid="run-filters">
          <label className="field"><span>{t('workflows.flow')}</span>
            <select name="flow" defaultValue={filters.flow ?? ''}><option value="">{t('common.all')}</option>{definitions.map((d) => <option key={d.key} value={d.key}>{d.name}</option>)}</select></label>
          <label className="field"><span>{t('workflows.version')}</span><input type="number" name="version" min={1} defaultValue={filters.version ?? ''} /></label>
          <label className="field"><span>{t('orders.columns.status')}</span>
            <select name="status" defaultValue={filters.status ?? ''}><option value="">{t('common.all')}</option>{RUN_STATUSES.map((s) => <option key={s} value={s}>{t(`runStates.${s}`)}</option>)}</select></label>
          <label className="field"><span>{t('orders.filters.from')}</span><input type="date" name="from" defaultValue={filters.from ?? ''} /></label>
          <label className="field"><span>{t('orders.filters.to')}</span><input type="date" name="to" defaultValue={filters.to ?? ''} /></label>
          <label className="field grow"><span>{t('orders.filters.search')}</span><input type="search" name="q" defaultValue={filters.q ?? ''} placeholder={t('workflows.searchHint')} /></label>
          <button type="submit">{t('common.filter')}</button>
        </Form>
        <div className="table-wrap">
          <table className="data-table" data-testid="runs">
            <thead><tr><th>{t('workflows.run')}</th><th>{t('workflows.flow')}</th><th>{t('orders.columns.status')}</th><th>{t('workflows.started')}</th><th>{t('workflows.ended')}</th></tr></thead>
            <tbody>{runs.rows.map((r) => (
              <tr key={r.id}>
                <td><Link to={`/workflows/runs/${encodeURIComponent(r.workflowId)}`}>{r.workflowId}</Link>{r.number ? <div className="muted small">{r.number}</div> : null}</td>
                <td>{r.flow ?? '—'}{r.version ? ` · v${r.version}` : ''}</td>
                <td><span className={`badge run-${r.status}`}>{t(`runStates.${r.status}`)}</span>{r.error ? <div className="muted small">{r.error}</div> : null}</td>
                <td><DateTime value={r.startedAt} /></td><td><DateTime value={r.endedAt} /></td>
              </tr>))}</tbody>
          </table>
        </div>
        <Pager page={filters.page} more={runs.more} />
      </section>
    </>
  );
}
