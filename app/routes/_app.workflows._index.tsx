import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { flowDescription, flowName } from '../modules/workflows/names.ts';
import { WORKFLOW_KINDS } from '../../entities/workflows.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { listDefinitions, listRuns, RunFilters } from '../modules/workflows/queries.server.ts';
import { createDefinition } from '../modules/workflows/service.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { Pager } from '../components/pager.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const em = context.orm.em.fork();
  const filters = RunFilters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const [definitions, runs] = await Promise.all([listDefinitions(em), listRuns(em, filters, 50, context.config.BUSINESS_TIME_ZONE)]);
  return { definitions, runs, filters, canEdit: can(user.role, 'workflows.edit') };
}

type ActionData = { errors?: FieldError[] };

/** A new flow starts as an empty canvas; the designer opens on it. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const form = await request.formData();
  assertCsrf(request, form);
  if (!can(user.role, 'workflows.edit')) throw forbidden('workflows.edit');
  const name = String(form.get('name') ?? '');
  const input = {
    name,
    key: String(form.get('key') ?? '').trim() || slug(name),
    kind: form.get('kind') || undefined,
    description: form.get('description') || null,
    graph: { nodes: [], edges: [] },
  };
  try {
    const { key } = await createDefinition(context.orm, input, userActor(user, context.ip));
    return redirect(`/workflows/${key}`);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(
      { errors: e.errors ?? [{ field: e.field ?? 'form', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] },
      { status: e.status },
    );
  }
}

/** A page key from a name: lower-case ASCII words joined by dashes (empty when nothing is left, e.g. a Chinese name). */
const slug = (name: string) =>
  name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);

const RUN_STATUSES = ['running', 'completed', 'failed', 'compensated', 'cancelled', 'terminated'] as const;

export default function Workflows() {
  const { definitions, runs, filters, canEdit } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const [name, setName] = useState('');
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const { t, i18n } = useTranslation();
  useLiveRevalidate('workflows', undefined, 1500);

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
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="flows">
            <thead>
              <tr>
                <th>{t('workflows.flow')}</th>
                <th>{t('workflows.version')}</th>
                <th>{t('workflows.triggeredBy')}</th>
                <th className="num">{t('workflows.runs')}</th>
                <th>{t('workflows.published')}</th>
              </tr>
            </thead>
            <tbody>
              {definitions.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/workflows/${d.key}`}>{flowName(d, i18n.language)}</Link>
                    <div className="muted small">{flowDescription(d, i18n.language)}</div>
                  </td>
                  <td>{d.version ? `v${d.version}` : t('workflows.draftOnly')}</td>
                  <td>{d.events || '—'}</td>
                  <td className="num">
                    {d.runs}
                    {d.running ? <span className="muted"> · {t('workflows.runningCount', { count: d.running })}</span> : null}
                  </td>
                  <td>
                    {d.publishedAt ? (
                      <>
                        <DateTime value={d.publishedAt} />
                        <div className="muted small">{d.author}</div>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {canEdit ? (
          <>
            <h3>{t('workflows.create.title')}</h3>
            <Form method="post" className="filters plain" data-testid="flow-create">
              <CsrfInput />
              <label className="field">
                <span>{t('workflows.create.name')}</span>
                <input name="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} data-testid="flow-name" />
                <FieldErrorText error={err('name')} />
              </label>
              <label className="field">
                <span>{t('workflows.create.key')}</span>
                <input
                  name="key"
                  maxLength={63}
                  pattern="[a-z0-9][a-z0-9\-]*"
                  placeholder={slug(name) || t('workflows.create.keyHint')}
                  data-testid="flow-key"
                />
                <FieldErrorText error={err('key')} />
              </label>
              <label className="field">
                <span>{t('workflows.create.kind')}</span>
                <select name="kind" defaultValue="order" data-testid="flow-kind">
                  {WORKFLOW_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {t(`workflows.kinds.${k}`)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" className="primary" disabled={navigation.state !== 'idle'}>
                {t('workflows.create.submit')}
              </button>
              <FieldErrorText error={result?.errors?.find((e) => !['name', 'key'].includes(e.field))} />
            </Form>
          </>
        ) : null}
      </section>

      <section className="card">
        <h2>{t('workflows.recentRuns')}</h2>
        <Form method="get" className="filters plain" data-testid="run-filters">
          <label className="field">
            <span>{t('workflows.flow')}</span>
            <select name="flow" defaultValue={filters.flow ?? ''}>
              <option value="">{t('common.all')}</option>
              {definitions.map((d) => (
                <option key={d.key} value={d.key}>
                  {flowName(d, i18n.language)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('workflows.version')}</span>
            <input type="number" name="version" min={1} defaultValue={filters.version ?? ''} />
          </label>
          <label className="field">
            <span>{t('orders.columns.status')}</span>
            <select name="status" defaultValue={filters.status ?? ''}>
              <option value="">{t('common.all')}</option>
              {RUN_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`runStates.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('orders.filters.from')}</span>
            <input type="date" name="from" defaultValue={filters.from ?? ''} />
          </label>
          <label className="field">
            <span>{t('orders.filters.to')}</span>
            <input type="date" name="to" defaultValue={filters.to ?? ''} />
          </label>
          <label className="field grow">
            <span>{t('orders.filters.search')}</span>
            <input type="search" name="q" defaultValue={filters.q ?? ''} placeholder={t('workflows.searchHint')} />
          </label>
          <button type="submit">{t('common.filter')}</button>
        </Form>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="runs">
            <thead>
              <tr>
                <th>{t('workflows.run')}</th>
                <th>{t('workflows.flow')}</th>
                <th>{t('orders.columns.status')}</th>
                <th>{t('workflows.started')}</th>
                <th>{t('workflows.ended')}</th>
              </tr>
            </thead>
            <tbody>
              {runs.rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/workflows/runs/${encodeURIComponent(r.workflowId)}`}>{r.workflowId}</Link>
                    {r.number ? <div className="muted small">{r.number}</div> : null}
                  </td>
                  <td>
                    {r.flow ? flowName({ name: r.flow, translations: r.flowTranslations }, i18n.language) : '—'}
                    {r.version ? ` · v${r.version}` : ''}
                  </td>
                  <td>
                    <span className={`badge run-${r.status}`}>{t(`runStates.${r.status}`)}</span>
                    {r.error ? <div className="muted small">{r.error}</div> : null}
                  </td>
                  <td>
                    <DateTime value={r.startedAt} />
                  </td>
                  <td>
                    <DateTime value={r.endedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager page={filters.page} more={runs.more} />
      </section>
    </>
  );
}
