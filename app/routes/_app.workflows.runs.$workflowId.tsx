import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import xyflowStyles from '@xyflow/react/dist/style.css?url';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { RETRYABLE_STATUSES, retryRun } from '../modules/workflows/retry.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { getRun } from '../modules/workflows/queries.server.ts';
import { Designer } from '../components/workflow/designer.tsx';
import { flowName } from '../modules/workflows/names.ts';
import type { FlowNodeData } from '../components/workflow/flow-node.tsx';
import { DateTime } from '../components/format.tsx';
import { useRootData } from '../root.tsx';

/** The canvas takes the whole width: the app's navigation folds away behind the menu button. */
export const handle = { focus: true };

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: xyflowStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const run = await getRun(context.orm.em.fork(), params.workflowId ?? '');
  if (!run) throw new Response(null, { status: 404 });
  // Only failed or compensated runs can be retried, by those who may edit flows.
  const canRetry = can(user.role, 'workflows.edit') && (RETRYABLE_STATUSES as readonly string[]).includes(run.status);
  return { run, namespace: context.config.TEMPORAL_NAMESPACE, canRetry };
}

type ActionData = { error?: { code: string; params?: Record<string, string | number> } };

/** intent=retry: a failed or compensated run starts again from its failed step, on the pinned or the latest version. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const form = await request.formData();
  assertCsrf(request, form);
  if (!can(user.role, 'workflows.edit')) throw forbidden('workflows.edit');
  if (form.get('intent') !== 'retry') return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
  const version = form.get('version') === 'latest' ? 'latest' : 'pinned';
  try {
    const client = await context.temporal().catch((e: unknown) => {
      throw new DomainError(503, 'temporal_unavailable', (e as Error).message);
    });
    const newId = await retryRun(context.orm, client, context.config.TEMPORAL_TASK_QUEUE, params.workflowId ?? '', { version }, userActor(user, context.ip));
    return redirect(`/workflows/runs/${encodeURIComponent(newId)}`);
  } catch (e) {
    if (e instanceof DomainError) return data<ActionData>({ error: { code: e.code, params: e.params } }, { status: e.status });
    throw e;
  }
}

/** A run on its pinned version's canvas, with live node states and each step's input, output and error. */
export default function RunView() {
  const { run, namespace, canRetry } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const { t, i18n } = useTranslation();
  const temporalUi = useRootData()?.temporalUiUrl;
  useLiveRevalidate('workflows', (e) => e.payload.workflowId === run.workflowId);
  const statuses = Object.fromEntries(run.steps.map((s) => [s.nodeId, s.status])) as Record<string, NonNullable<FlowNodeData['status']>>;
  return (
    <>
      <p>
        <Link to="/workflows">{t('workflows.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title">
          {run.workflowId}{' '}
          <span className={`badge run-${run.status}`} data-testid="run-status" data-status={run.status}>
            {t(`runStates.${run.status}`)}
          </span>
        </h1>
        {temporalUi ? (
          <a href={`${temporalUi}/namespaces/${namespace}/workflows/${encodeURIComponent(run.workflowId)}`} target="_blank" rel="noreferrer">
            {t('workflows.temporalHistory')}
          </a>
        ) : null}
      </div>
      <p className="muted">
        {run.flow ? flowName({ name: run.flow, translations: run.flowTranslations }, i18n.language) : '—'}
        {run.version ? ` · v${run.version}` : ''} · {t('workflows.started')} <DateTime value={run.startedAt} />
        {run.endedAt ? (
          <>
            {' '}
            · {t('workflows.ended')} <DateTime value={run.endedAt} />
          </>
        ) : null}
        {run.entityType === 'Order' && run.entityId ? (
          <>
            {' '}
            · <Link to={`/orders/${run.entityId}`}>{t('workflows.openOrder')}</Link>
          </>
        ) : null}
      </p>
      {run.error ? <p className="form-error">{run.error}</p> : null}
      {canRetry ? (
        <Form method="post" className="card inline-form" data-testid="run-retry">
          <CsrfInput />
          <input type="hidden" name="intent" value="retry" />
          <label className="field">
            <span>{t('workflows.retry.version')}</span>
            <select name="version" defaultValue="pinned" data-testid="run-retry-version">
              <option value="pinned">{t('workflows.retry.pinned')}</option>
              <option value="latest">{t('workflows.retry.latest')}</option>
            </select>
          </label>
          <button type="submit" className="button" disabled={navigation.state !== 'idle'}>
            {t('workflows.retry.submit')}
          </button>
          <p className="muted">{t('workflows.retry.hint')}</p>
          {result?.error ? (
            <p className="form-error" role="alert" data-testid="run-retry-error">
              {t(`errors.${result.error.code}`, { ...result.error.params, defaultValue: t('workflows.retry.failed') })}
            </p>
          ) : null}
        </Form>
      ) : null}
      <Designer graph={run.graph} readOnly statuses={statuses} inspect={(nodeId) => <RunSteps steps={run.steps} selected={nodeId} />} />
      <section className="card">
        <h2>{t('workflows.steps')}</h2>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table compact" data-testid="run-steps">
            <thead>
              <tr>
                <th>{t('workflows.step')}</th>
                <th>{t('orders.columns.status')}</th>
                <th>{t('workflows.started')}</th>
                <th>{t('workflows.duration')}</th>
              </tr>
            </thead>
            <tbody>
              {run.steps.map((s) => (
                <tr key={s.nodeId} data-node={s.nodeId}>
                  <td>
                    <code>{s.nodeId}</code>
                    {s.visits > 1 ? <span className="muted"> ×{s.visits}</span> : null}
                  </td>
                  <td>{t(`runStatus.${s.status}`)}</td>
                  <td>
                    <DateTime value={s.startedAt} />
                  </td>
                  <td className="num">
                    {s.startedAt && s.endedAt ? `${Math.max(0, new Date(s.endedAt).getTime() - new Date(s.startedAt).getTime())} ms` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

type RunStep = ReturnType<typeof useLoaderData<typeof loader>>['run']['steps'][number];

/** Beside the run's canvas: the chosen step's state, time, input, output and error (choose one on the canvas). Read-only: a run is looked at, never edited. */
function RunSteps({ steps, selected }: { steps: RunStep[]; selected: string | null }) {
  const { t } = useTranslation();
  const chosen = selected ? steps.find((s) => s.nodeId === selected) : undefined;
  const ms = (s: RunStep) => (s.startedAt && s.endedAt ? `${Math.max(0, new Date(s.endedAt).getTime() - new Date(s.startedAt).getTime())} ms` : '');
  return (
    <section className="run-steps" data-testid="inspector">
      {chosen ? (
        <div className="run-step-detail" data-testid="run-step-detail">
          <h3>
            <code>{chosen.nodeId}</code> · {t(`runStatus.${chosen.status}`)}
            {chosen.compensation ? <span className="muted"> · {t('runStatus.compensated')}</span> : null}
          </h3>
          <p className="muted small">
            <DateTime value={chosen.startedAt} /> {ms(chosen)}
            {chosen.visits > 1 ? ` · ×${chosen.visits}` : ''}
          </p>
          {chosen.error ? <p className="field-error">{chosen.error}</p> : null}
          {chosen.input ? (
            <>
              <h4>{t('workflows.input')}</h4>
              <pre className="json">{JSON.stringify(chosen.input, null, 2)}</pre>
            </>
          ) : null}
          {chosen.output ? (
            <>
              <h4>{t('workflows.output')}</h4>
              <pre className="json">{JSON.stringify(chosen.output, null, 2)}</pre>
            </>
          ) : null}
        </div>
      ) : selected ? (
        <p className="muted">{t('workflows.notReached')}</p>
      ) : (
        <p className="muted">{t('designer.selectHintReadOnly')}</p>
      )}
    </section>
  );
}
