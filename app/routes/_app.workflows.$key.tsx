import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useFetcher, useLoaderData, useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import xyflowStyles from '@xyflow/react/dist/style.css?url';
import { parseJson } from '../lib/boundary.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { parseId } from '../lib/ids.ts';
import type { FieldError } from '../lib/problem.ts';
import { useLive } from '../lib/live.ts';
import { useDesignerPresence } from '../lib/presence.ts';
import { getDefinition, getVersionGraph } from '../modules/workflows/queries.server.ts';
import { GraphSchema, publish, rollback, saveDraft } from '../modules/workflows/service.server.ts';
import { simulate, type Simulation } from '../modules/workflows/simulate.ts';
import { diffGraphs, mergeGraphs, overlayRemoved, type GraphDiff } from '../modules/workflows/diff.ts';
import { simulationInput } from '../modules/workflows/designer-actions.server.ts';
import { Designer } from '../components/workflow/designer.tsx';
import { diffCss, initials, nodeLabel } from '../components/workflow/helpers.ts';
import { DateTime } from '../components/format.tsx';
import { useRootData } from '../root.tsx';
import type { Graph } from '../../workflows/graph.ts';
import { EXAMPLE_PAYLOADS } from '../modules/workflows/examples.ts';
import type { BindingEvent } from '../../entities/workflows.ts';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: xyflowStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const definition = await getDefinition(context.orm.em.fork(), params.key ?? '');
  if (!definition) throw new Response(null, { status: 404 });
  // Comparing two versions: ?from=<older>&to=<newer> (either order).
  const url = new URL(request.url);
  // Version numbers count as ids do (int4, from 1); anything else (0 here) names no version.
  const a = parseId(url.searchParams.get('from')) ?? 0,
    b = parseId(url.searchParams.get('to')) ?? 0;
  let compare: { from: number; to: number; older: Graph; newer: Graph; shown: Graph; diff: GraphDiff } | null = null;
  let compareError: string | null = null;
  if (url.searchParams.has('from') && url.searchParams.has('to')) {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const em = context.orm.em.fork();
    const [older, newer] = lo > 0 ? await Promise.all([getVersionGraph(em, definition.id, lo), getVersionGraph(em, definition.id, hi)]) : [null, null];
    if (older && newer) {
      const diff = diffGraphs(older.graph, newer.graph);
      compare = { from: lo, to: hi, older: older.graph, newer: newer.graph, shown: overlayRemoved(older.graph, newer.graph, diff), diff };
    } else compareError = 'not_found';
  }
  return { definition, canEdit: can(user.role, 'workflows.edit'), compare, compareError };
}

type ActionData = {
  savedAt?: string;
  published?: number;
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
  simulation?: Simulation & { event: string; orderNumber: string | null };
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const form = await request.formData();
  assertCsrf(request, form);
  const definition = await getDefinition(context.orm.em.fork(), params.key ?? '');
  if (!definition) throw new Response(null, { status: 404 });
  // A simulation writes nothing, so whoever may read the flow may run one.
  if (form.get('intent') === 'simulate') {
    let graph: Graph = definition.draft;
    if (form.get('graph')) {
      const raw = parseJson(String(form.get('graph')));
      if (!raw.ok) return data<ActionData>({ error: { code: 'invalid_json' } }, { status: 400 });
      const parsed = GraphSchema.safeParse(raw.value);
      if (!parsed.success) return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
      graph = parsed.data as Graph;
    }
    const trigger = graph.nodes.find((n) => n.type === 'control.trigger');
    const input = await simulationInput(context.orm.em.fork(), form, String(trigger?.data?.config?.event ?? 'manual'));
    if ('error' in input) return data<ActionData>({ error: input.error }, { status: 422 });
    const sim = await simulate(graph, input.payload, {
      stock: input.stock,
      demand: input.demand,
      event: input.event,
      approve: form.get('approve') !== 'false',
      signalsReceived: form.get('signals') !== 'false',
    });
    return data<ActionData>({ simulation: { ...sim, event: input.event ?? String(trigger?.data?.config?.event ?? 'manual'), orderNumber: input.orderNumber } });
  }
  if (!can(user.role, 'workflows.edit')) throw forbidden('workflows.edit');
  const actor = userActor(user, context.ip);
  try {
    switch (form.get('intent')) {
      case 'save': {
        const graph = parseJson(String(form.get('graph')));
        if (!graph.ok) return data<ActionData>({ error: { code: 'invalid_json' } }, { status: 400 });
        const r = await saveDraft(context.orm, definition.id, graph.value, actor, { tab: String(form.get('tab') ?? '') });
        return data<ActionData>({ savedAt: r.savedAt });
      }
      case 'publish': {
        const v = await publish(context.orm, definition.id, String(form.get('message') ?? '') || null, actor);
        return data<ActionData>({ published: v.number });
      }
      case 'rollback': {
        const v = await rollback(context.orm, definition.id, parseId(String(form.get('version') ?? '')) ?? 0, actor, String(form.get('message') ?? '') || null);
        return data<ActionData>({ published: v.number });
      }
      default:
        return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
    }
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ errors: e.errors, error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function FlowDesigner() {
  const { definition, canEdit, compare, compareError } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const root = useRootData();
  const saver = useFetcher<typeof action>();
  const publisher = useFetcher<typeof action>();
  const simulator = useFetcher<typeof action>();
  const triggerEvent = String(definition.draft.nodes.find((n) => n.type === 'control.trigger')?.data?.config?.event ?? 'manual') as BindingEvent;
  const [simOrder, setSimOrder] = useState('');
  const [simPayload, setSimPayload] = useState(() => JSON.stringify(EXAMPLE_PAYLOADS[triggerEvent] ?? {}, null, 2));
  const [simApprove, setSimApprove] = useState(true);
  const [simSignals, setSimSignals] = useState(true);
  const simulation = simulator.data?.simulation;
  const revalidator = useRevalidator();
  const [graph, setGraph] = useState<Graph>(definition.draft);
  const [dirty, setDirty] = useState(false);
  const [message, setMessage] = useState('');
  // This tab's id: a draft.saved from any other tab (another person, or this person elsewhere) is news.
  const [tab] = useState(() => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);
  const [newerDraft, setNewerDraft] = useState<{ by: string; actorId: number | null; at: string } | null>(null);
  const editors = useDesignerPresence(definition.id);
  const others = editors.filter((e) => e.userId !== root?.user?.id);
  const [importError, setImportError] = useState<string | null>(null);
  const [designerKey, setDesignerKey] = useState(0);
  const first = useRef(true);
  // The newest graph, read when the autosave fires: a change landing just as the timer fires must not
  // be lost to the timer's stale closure (it would save the old graph and clear the unsaved flag).
  const latest = useRef<Graph>(definition.draft);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The server's draft this tab last agreed with (loaded, saved or taken over): the base of a merge.
  const base = useRef<Graph>(definition.draft);
  const submitted = useRef<Graph>(definition.draft);

  // Drafts save themselves a moment after the last change.
  const onChange = useCallback((g: Graph) => {
    if (first.current) {
      first.current = false;
      return;
    }
    latest.current = g;
    setGraph(g);
    setDirty(true);
  }, []);
  // While a newer draft from someone else is waiting for a decision, nothing is saved over it.
  useEffect(() => {
    if (!dirty || !canEdit || newerDraft) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      submitted.current = latest.current;
      saver.submit({ intent: 'save', graph: JSON.stringify(latest.current), tab, _csrf: root?.csrf ?? '' }, { method: 'post' });
      setDirty(false);
    }, 1200);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [graph, dirty, canEdit, newerDraft, saver, tab, root?.csrf]);
  const savedAt = saver.data?.savedAt;
  useEffect(() => {
    if (savedAt) base.current = submitted.current;
  }, [savedAt]);

  // Another tab saving this draft is shown at once: an editor chooses to take theirs, merge, or keep
  // theirs out (their next save then overwrites it); a read-only viewer simply sees the newer draft.
  const fresh = useFetcher<typeof loader>();
  const staleData = useRef<unknown>(null);
  const [taking, setTaking] = useState<'theirs' | 'merge' | null>(null);
  const [conflicts, setConflicts] = useState<string[]>([]);
  const takeNewer = (how: 'theirs' | 'merge') => {
    staleData.current = fresh.data;
    setTaking(how);
    fresh.load(`/workflows/${encodeURIComponent(definition.key)}`);
  };
  useLive('workflows', (e) => {
    if (e.type === 'draft.saved' && e.payload.definitionId === definition.id && e.payload.tab !== tab) {
      if (canEdit)
        setNewerDraft({
          by: String(e.payload.by ?? ''),
          actorId: typeof e.payload.actorId === 'number' ? e.payload.actorId : null,
          at: String(e.payload.at ?? ''),
        });
      else takeNewer('theirs');
    }
    if (e.type === 'version.published' && e.payload.definitionId === definition.id) revalidator.revalidate();
  });
  useEffect(() => {
    if (!taking || fresh.state !== 'idle' || !fresh.data || fresh.data === staleData.current) return;
    const theirs = fresh.data.definition.draft;
    const merged = taking === 'merge' ? mergeGraphs(base.current, latest.current, theirs) : null;
    base.current = theirs;
    latest.current = merged?.graph ?? theirs;
    first.current = !merged; // taking theirs as it is saves nothing; a merge is a change of mine to save
    setGraph(latest.current);
    setDirty(!!merged);
    setConflicts(merged?.conflicts ?? []);
    setNewerDraft(null);
    setTaking(null);
    setDesignerKey((k) => k + 1);
  }, [taking, fresh.state, fresh.data]);

  const exportJson = () => {
    const blob = new Blob([JSON.stringify({ key: definition.key, name: definition.name, graph }, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${definition.key}.json`;
    a.click();
  };
  const importJson = async (file: File) => {
    setImportError(null);
    try {
      const parsed = JSON.parse(await file.text());
      const g = (parsed.graph ?? parsed) as Graph;
      if (!Array.isArray(g.nodes) || !Array.isArray(g.edges)) throw new Error('no nodes/edges');
      latest.current = g;
      setGraph(g);
      setDirty(true);
      setDesignerKey((k) => k + 1);
    } catch (e) {
      setImportError((e as Error).message);
    }
  };
  const published = publisher.data?.published;
  const runSimulation = (e: React.FormEvent) => {
    e.preventDefault();
    simulator.submit(
      {
        intent: 'simulate',
        graph: JSON.stringify(graph),
        order: simOrder,
        payload: simOrder ? '' : simPayload,
        approve: String(simApprove),
        signals: String(simSignals),
        _csrf: root?.csrf ?? '',
      },
      { method: 'post' },
    );
  };
  const label = nodeLabel;
  const diffStyle = useMemo(() => (compare ? diffCss(compare.diff) : ''), [compare]);

  return (
    <>
      <p>
        <Link to="/workflows">{t('workflows.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title">{definition.name}</h1>
        <span className="muted small" data-testid="save-state">
          {saver.state !== 'idle'
            ? t('designer.saving')
            : dirty
              ? t('designer.unsaved')
              : saver.data?.savedAt
                ? t('designer.savedAt', { time: new Date(saver.data.savedAt).toLocaleTimeString(root?.locale) })
                : t('designer.saved')}
        </span>
      </div>
      <ul className="presence" data-testid="designer-presence" aria-label={t('designer.presence.label')}>
        {others.map((e) => (
          <li
            key={e.userId}
            className="presence-user"
            data-testid="presence-user"
            title={t(e.editing ? 'designer.presence.editing' : 'designer.presence.viewing', { name: e.name })}
          >
            <span className="avatar" aria-hidden="true">
              {initials(e.name)}
            </span>
            {e.name}
          </li>
        ))}
      </ul>
      {newerDraft ? (
        <div className="notice warning" role="status" data-testid="draft-notice">
          <span>
            {t('designer.newerDraft', {
              who: editors.find((e) => e.userId === newerDraft.actorId)?.name ?? newerDraft.by,
              time: newerDraft.at ? new Date(newerDraft.at).toLocaleTimeString(root?.locale) : '',
            })}
          </span>{' '}
          <button type="button" onClick={() => takeNewer('theirs')} disabled={!!taking} data-testid="draft-take-theirs">
            {t('designer.takeTheirs')}
          </button>{' '}
          <button type="button" onClick={() => takeNewer('merge')} disabled={!!taking} data-testid="draft-merge">
            {t('designer.mergeTheirs')}
          </button>{' '}
          <button type="button" className="link-button" onClick={() => setNewerDraft(null)} disabled={!!taking} data-testid="draft-keep-mine">
            {t('designer.keepMine')}
          </button>
        </div>
      ) : null}
      {conflicts.length ? (
        <p className="notice warning" role="status" data-testid="merge-conflicts">
          {t('designer.mergeConflicts', { nodes: conflicts.map((id) => label(graph, id)).join(', ') })}
        </p>
      ) : null}
      {published ? (
        <p className="notice success" role="status" data-testid="published">
          {t('designer.published', { version: published })}
        </p>
      ) : null}
      {publisher.data?.error && !published ? (
        <p className="form-error" role="alert">
          {t(`errors.${publisher.data.error.code}`, publisher.data.error.params)}
        </p>
      ) : null}
      {importError ? (
        <p className="form-error" role="alert">
          {t('designer.importFailed', { message: importError })}
        </p>
      ) : null}
      <Designer
        key={designerKey}
        graph={graph}
        readOnly={!canEdit}
        onChange={onChange}
        highlighted={simulation?.path}
        toolbar={({ errors }) => (
          <>
            <button type="button" onClick={exportJson}>
              {t('designer.export')}
            </button>
            {canEdit ? (
              <>
                <label className="button file-button">
                  {t('designer.import')}
                  <input type="file" accept="application/json" hidden onChange={(e) => e.target.files?.[0] && void importJson(e.target.files[0])} />
                </label>
                <input
                  value={message}
                  onChange={(e) => setMessage(e.target.value)}
                  placeholder={t('designer.publishMessage')}
                  aria-label={t('designer.publishMessage')}
                  data-testid="publish-message"
                />
                <button
                  type="button"
                  className="primary"
                  data-testid="publish"
                  disabled={errors.length > 0 || dirty || !!newerDraft || saver.state !== 'idle' || publisher.state !== 'idle'}
                  title={errors.length ? t('designer.fixFirst') : undefined}
                  onClick={() => publisher.submit({ intent: 'publish', message, _csrf: root?.csrf ?? '' }, { method: 'post' })}
                >
                  {t('designer.publish')}
                </button>
              </>
            ) : null}
          </>
        )}
      />
      <section className="card" data-testid="simulation">
        <h2>{t('simulate.title')}</h2>
        <p className="muted small">{t('simulate.intro')}</p>
        <form onSubmit={runSimulation} className="filters plain">
          <label className="field">
            <span>{t('simulate.orderNumber')}</span>
            <input value={simOrder} onChange={(e) => setSimOrder(e.target.value)} placeholder={t('simulate.orderHint')} data-testid="simulate-order" />
          </label>
          <label className="field grow">
            <span>{t('simulate.payload')}</span>
            <textarea
              rows={6}
              value={simPayload}
              onChange={(e) => setSimPayload(e.target.value)}
              disabled={!!simOrder}
              spellCheck={false}
              className="code"
              data-testid="simulate-payload"
            />
          </label>
          <label className="field checkbox">
            <input type="checkbox" checked={simApprove} onChange={(e) => setSimApprove(e.target.checked)} /> <span>{t('simulate.assumeApproved')}</span>
          </label>
          <label className="field checkbox">
            <input type="checkbox" checked={simSignals} onChange={(e) => setSimSignals(e.target.checked)} /> <span>{t('simulate.assumeSignals')}</span>
          </label>
          <button type="submit" disabled={simulator.state !== 'idle'} data-testid="simulate-run">
            {t('simulate.run')}
          </button>
        </form>
        {simulator.data?.error && !simulation ? (
          <p className="form-error" role="alert">
            {t(`errors.${simulator.data.error.code}`, simulator.data.error.params)}
          </p>
        ) : null}
        {simulation ? (
          <div data-testid="simulation-result">
            <p className={simulation.stopped === 'end' ? 'notice success' : 'notice warning'} role="status">
              {t(`simulate.stopped.${simulation.stopped}`, { steps: simulation.path.length, node: simulation.end ? label(graph, simulation.end.nodeId) : '' })}
              {simulation.end?.message ? ` · ${simulation.end.message}` : ''}
            </p>
            <h3>{t('simulate.path')}</h3>
            <ol className="sim-path" data-testid="simulation-path">
              {simulation.steps.map((s, i) => (
                <li key={i}>
                  {label(graph, s.nodeId)} <span className="muted small">{s.handles.map((h) => t(`handles.${h}`, { defaultValue: h })).join(', ')}</span>
                </li>
              ))}
            </ol>
            <h3>{t('simulate.routing')}</h3>
            {simulation.routing.length ? (
              <ul data-testid="simulation-routing">
                {simulation.routing.map((r, i) => (
                  <li key={i}>
                    <strong>{label(graph, r.nodeId)}: </strong>
                    {r.assumed
                      ? t('simulate.routingAssumed')
                      : r.ok
                        ? t('simulate.routingOk', { warehouses: r.warehouses.join(', '), count: r.shipments })
                        : t('simulate.routingShort', {
                            skus: r.shortages.map((x) => t('simulate.shortage', { sku: x.sku, requested: x.requested, available: x.available })).join('; '),
                          })}
                    {r.policy ? <span className="muted small"> · {t(`simulate.policy.${r.policy}`)}</span> : null}
                    {r.allocations.length ? (
                      <div className="muted small">{r.allocations.map((a) => `${a.sku} × ${a.quantity} → ${a.warehouse}`).join(' · ')}</div>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">{t('simulate.noRouting')}</p>
            )}
            <h3>{t('simulate.approvals')}</h3>
            {simulation.approvals.length ? (
              <ul data-testid="simulation-approvals">
                {simulation.approvals.map((a, i) => (
                  <li key={i}>
                    {t('simulate.wouldAsk', { roles: a.roles.map((r) => t(`roles.${r}`, { defaultValue: r })).join(', '), title: a.title })} ·{' '}
                    {t(`handles.${a.decision}`)}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">{t('simulate.noApprovals')}</p>
            )}
            {simulation.signals.length ? (
              <p className="muted small">{t('simulate.signals', { signals: simulation.signals.map((x) => x.signal).join(', ') })}</p>
            ) : null}
            {simulation.problems.length ? (
              <ul className="form-error">
                {simulation.problems.map((p, i) => (
                  <li key={i}>
                    {label(graph, p.nodeId)}: {p.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </section>
      <section className="card">
        <h2>{t('designer.versions')}</h2>
        {definition.versions.length ? (
          <table className="data-table" data-testid="versions">
            <thead>
              <tr>
                <th>{t('workflows.version')}</th>
                <th>{t('designer.message')}</th>
                <th>{t('designer.author')}</th>
                <th>{t('workflows.published')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {definition.versions.map((v, i) => (
                <tr key={v.id}>
                  <td>
                    {t('designer.versionNumber', { number: v.number })}
                    {i === 0 ? <span className="badge">{t('designer.live')}</span> : null}
                  </td>
                  <td>{v.message ?? '—'}</td>
                  <td>{v.author ?? '—'}</td>
                  <td>
                    <DateTime value={v.publishedAt} />
                  </td>
                  <td>
                    {canEdit && i > 0 ? (
                      <button
                        type="button"
                        onClick={() =>
                          publisher.submit(
                            {
                              intent: 'rollback',
                              version: String(v.number),
                              message: t('designer.rollbackMessage', { version: v.number }),
                              _csrf: root?.csrf ?? '',
                            },
                            { method: 'post' },
                          )
                        }
                      >
                        {t('designer.rollback')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">{t('designer.noVersions')}</p>
        )}
      </section>
      {definition.versions.length > 1 ? (
        <section className="card" data-testid="compare">
          <h2>{t('diff.title')}</h2>
          <Form method="get" className="filters plain">
            <label className="field">
              <span>{t('diff.from')}</span>
              <select name="from" defaultValue={compare?.from ?? definition.versions[1].number} data-testid="compare-from">
                {definition.versions.map((v) => (
                  <option key={v.id} value={v.number}>
                    {t('designer.versionNumber', { number: v.number })}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('diff.to')}</span>
              <select name="to" defaultValue={compare?.to ?? definition.versions[0].number} data-testid="compare-to">
                {definition.versions.map((v) => (
                  <option key={v.id} value={v.number}>
                    {t('designer.versionNumber', { number: v.number })}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" data-testid="compare-run">
              {t('diff.compare')}
            </button>
            {compare ? <Link to="?">{t('diff.close')}</Link> : null}
          </Form>
          {compareError ? (
            <p className="form-error" role="alert">
              {t('diff.notFound')}
            </p>
          ) : null}
          {compare ? (
            <div className="diff-view" data-testid="diff">
              <style dangerouslySetInnerHTML={{ __html: diffStyle }} />
              <p className="muted small">
                {t('diff.summary', { from: compare.from, to: compare.to })}{' '}
                <span className="diff-legend added">{t('diff.added', { count: compare.diff.addedNodes.length + compare.diff.addedEdges.length })}</span>{' '}
                <span className="diff-legend changed">{t('diff.changed', { count: compare.diff.changedNodes.length })}</span>{' '}
                <span className="diff-legend removed">{t('diff.removed', { count: compare.diff.removedNodes.length + compare.diff.removedEdges.length })}</span>
              </p>
              <Designer key={`${compare.from}-${compare.to}`} graph={compare.shown} readOnly />
              <div className="diff-lists">
                {compare.diff.addedNodes.length ? (
                  <p data-testid="diff-added">
                    <strong>{t('diff.addedSteps')}</strong> {compare.diff.addedNodes.map((id) => label(compare.newer, id)).join(', ')}
                  </p>
                ) : null}
                {compare.diff.changedNodes.length ? (
                  <p data-testid="diff-changed">
                    <strong>{t('diff.changedSteps')}</strong>{' '}
                    {compare.diff.changedNodes
                      .map(
                        (c) =>
                          `${label(compare.newer, c.id)} (${[c.type ? t('diff.typeChanged') : '', c.config ? t('diff.configChanged') : ''].filter(Boolean).join(', ')})`,
                      )
                      .join('; ')}
                  </p>
                ) : null}
                {compare.diff.removedNodes.length ? (
                  <p data-testid="diff-removed">
                    <strong>{t('diff.removedSteps')}</strong> {compare.diff.removedNodes.map((id) => label(compare.older, id)).join(', ')}
                  </p>
                ) : null}
                {compare.diff.removedEdges.length ? (
                  <p>
                    <strong>{t('diff.removedConnections')}</strong>{' '}
                    {compare.diff.removedEdges
                      .map((id) => {
                        const e = compare.older.edges.find((x) => x.id === id);
                        return e ? `${label(compare.older, e.source)} → ${label(compare.older, e.target)}` : id;
                      })
                      .join(', ')}
                  </p>
                ) : null}
                {!compare.diff.addedNodes.length &&
                !compare.diff.changedNodes.length &&
                !compare.diff.removedNodes.length &&
                !compare.diff.addedEdges.length &&
                !compare.diff.removedEdges.length ? (
                  <p className="muted">{t('diff.same')}</p>
                ) : null}
              </div>
            </div>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
