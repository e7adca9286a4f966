import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from '@remix-run/node';
import { Link, useFetcher, useLoaderData, useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import xyflowStyles from '@xyflow/react/dist/style.css?url';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { useLive } from '../lib/live.ts';
import { getDefinition } from '../modules/workflows/queries.server.ts';
import { publish, rollback, saveDraft } from '../modules/workflows/service.server.ts';
import { Designer } from '../components/workflow/designer.tsx';
import { DateTime } from '../components/format.tsx';
import { useRootData } from '../root.tsx';
import type { Graph } from '../../workflows/graph.ts';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: xyflowStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const definition = await getDefinition(context.orm.em.fork(), params.key ?? '');
  if (!definition) throw new Response(null, { status: 404 });
  return { definition, canEdit: can(user.role, 'workflows.edit') };
}

type ActionData = { savedAt?: string; published?: number; errors?: FieldError[]; error?: { code: string; params?: Record<string, string | number> } };

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.edit');
  const form = await request.formData();
  assertCsrf(request, form);
  const definition = await getDefinition(context.orm.em.fork(), params.key ?? '');
  if (!definition) throw new Response(null, { status: 404 });
  const actor = userActor(user, context.ip);
  try {
    switch (form.get('intent')) {
      case 'save': {
        let graph: unknown;
        try { graph = JSON.parse(String(form.get('graph'))); } catch { return data<ActionData>({ error: { code: 'invalid_json' } }, { status: 400 }); }
        const r = await saveDraft(context.orm, definition.id, graph, actor);
        return data<ActionData>({ savedAt: r.savedAt });
      }
      case 'publish': {
        const v = await publish(context.orm, definition.id, String(form.get('message') ?? '') || null, actor);
        return data<ActionData>({ published: v.number });
      }
      case 'rollback': {
        const v = await rollback(context.orm, definition.id, Number(form.get('version')), actor, String(form.get('message') ?? '') || null);
        return data<ActionData>({ published: v.number });
      }
      default: return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
    }
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ errors: e.errors, error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function FlowDesigner() {
  const { definition, canEdit } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const root = useRootData();
  const saver = useFetcher<typeof action>();
  const publisher = useFetcher<typeof action>();
  const revalidator = useRevalidator();
  const [graph, setGraph] = useState<Graph>(definition.draft);
  const [dirty, setDirty] = useState(false);
  const [message, setMessage] = useState('');
  const [otherEditor, setOtherEditor] = useState<string | null>(null);
  const [importError, setImportError] = useState<string | null>(null);
  const [designerKey, setDesignerKey] = useState(0);
  const first = useRef(true);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Drafts save themselves a moment after the last change.
  const onChange = useCallback((g: Graph) => {
    if (first.current) { first.current = false; return; }
    setGraph(g);
    setDirty(true);
  }, []);
  useEffect(() => {
    if (!dirty || !canEdit) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      saver.submit({ intent: 'save', graph: JSON.stringify(graph), _csrf: root?.csrf ?? '' }, { method: 'post' });
      setDirty(false);
    }, 1200);
    return () => { if (timer.current) clearTimeout(timer.current); };
  }, [graph, dirty, canEdit, saver, root?.csrf]);

  // Someone else saving the same draft is shown, so two people do not overwrite each other unknowingly.
  useLive('workflows', (e) => {
    if (e.type === 'draft.saved' && e.payload.definitionId === definition.id && e.payload.by && e.payload.by !== root?.user?.email) setOtherEditor(String(e.payload.by));
    if (e.type === 'version.published' && e.payload.definitionId === definition.id) revalidator.revalidate();
  });

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
      setGraph(g);
      setDirty(true);
      setDesignerKey((k) => k + 1);
    } catch (e) {
      setImportError((e as Error).message);
    }
  };
  const published = publisher.data?.published;

  return (
    <>
      <p><Link to="/workflows">{t('workflows.back')}</Link></p>
      <div className="page-head">
        <h1 className="page-title">{definition.name}</h1>
        <span className="muted small" data-testid="save-state">
          {saver.state !== 'idle' ? t('designer.saving') : dirty ? t('designer.unsaved') : saver.data?.savedAt ? t('designer.savedAt', { time: new Date(saver.data.savedAt).toLocaleTimeString(root?.locale) }) : t('designer.saved')}
        </span>
      </div>
      {otherEditor ? <p className="notice warning" role="status" data-testid="presence">{t('designer.otherEditor', { who: otherEditor })}</p> : null}
      {published ? <p className="notice success" role="status" data-testid="published">{t('designer.published', { version: published })}</p> : null}
      {publisher.data?.error && !published ? <p className="form-error" role="alert">{t(`errors.${publisher.data.error.code}`, publisher.data.error.params)}</p> : null}
      {importError ? <p className="form-error" role="alert">{t('designer.importFailed', { message: importError })}</p> : null}
      <Designer key={designerKey} graph={graph} readOnly={!canEdit} onChange={onChange}
        toolbar={({ errors }) => (
          <>
            <button type="button" onClick={exportJson}>{t('designer.export')}</button>
            {canEdit ? (
              <>
                <label className="button file-button">{t('designer.import')}<input type="file" accept="application/json" hidden onChange={(e) => e.target.files?.[0] && void importJson(e.target.files[0])} /></label>
                <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder={t('designer.publishMessage')} aria-label={t('designer.publishMessage')} data-testid="publish-message" />
                <button type="button" className="primary" data-testid="publish" disabled={errors.length > 0 || dirty || saver.state !== 'idle' || publisher.state !== 'idle'} title={errors.length ? t('designer.fixFirst') : undefined}
                  onClick={() => publisher.submit({ intent: 'publish', message, _csrf: root?.csrf ?? '' }, { method: 'post' })}>{t('designer.publish')}</button>
              </>
            ) : null}
          </>
        )} />
      <section className="card">
        <h2>{t('designer.versions')}</h2>
        {definition.versions.length ? (
          <table className="data-table" data-testid="versions">
            <thead><tr><th>{t('workflows.version')}</th><th>{t('designer.message')}</th><th>{t('designer.author')}</th><th>{t('workflows.published')}</th><th /></tr></thead>
            <tbody>{definition.versions.map((v, i) => (
              <tr key={v.id}>
                <td>{t('designer.versionNumber', { number: v.number })}{i === 0 ? <span className="badge">{t('designer.live')}</span> : null}</td><td>{v.message ?? '—'}</td><td>{v.author ?? '—'}</td><td><DateTime value={v.publishedAt} /></td>
                <td>{canEdit && i > 0 ? (
                  <button type="button" onClick={() => publisher.submit({ intent: 'rollback', version: String(v.number), message: t('designer.rollbackMessage', { version: v.number }), _csrf: root?.csrf ?? '' }, { method: 'post' })}>{t('designer.rollback')}</button>
                ) : null}</td>
              </tr>))}</tbody>
          </table>
        ) : <p className="muted">{t('designer.noVersions')}</p>}
      </section>
    </>
  );
}
