import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import xyflowStyles from '@xyflow/react/dist/style.css?url';
import { parseJson } from '../lib/boundary.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { parseId } from '../lib/ids.ts';
import { getDefinition, getVersionGraph } from '../modules/workflows/queries.server.ts';
import { GraphSchema, publish, renameDefinition, rollback, saveDraft } from '../modules/workflows/service.server.ts';
import { LOCALES } from '../../entities/constants.ts';
import { flowName } from '../modules/workflows/names.ts';
import { FlowNames } from '../components/workflow/flow-names.tsx';
import { simulate } from '../modules/workflows/simulate.ts';
import { diffGraphs, overlayRemoved } from '../modules/workflows/diff.ts';
import { simulationInput } from '../modules/workflows/designer-actions.server.ts';
import { Designer } from '../components/workflow/designer.tsx';
import { DesignerHeader } from '../components/workflow/designer-header.tsx';
import { DiffView } from '../components/workflow/diff-view.tsx';
import { DraftNotices } from '../components/workflow/draft-notices.tsx';
import { PresenceAvatars } from '../components/workflow/presence-avatars.tsx';
import { PublishBar, PublishNotices } from '../components/workflow/publish-bar.tsx';
import { SimulationPanel } from '../components/workflow/simulation-panel.tsx';
import type { Comparison, DesignerActionData as ActionData } from '../components/workflow/types.ts';
import { useDesignerState } from '../components/workflow/use-designer-state.ts';
import { useImportExport } from '../components/workflow/use-import-export.ts';
import { usePresence } from '../components/workflow/use-presence.ts';
import { usePublishing } from '../components/workflow/use-publishing.ts';
import { useSimulation } from '../components/workflow/use-simulation.ts';
import { VersionsTable } from '../components/workflow/versions-table.tsx';
import { useRootData } from '../root.tsx';
import type { Graph } from '../../workflows/graph.ts';

/** The canvas takes the whole width: the app's navigation folds away behind the menu button. */
export const handle = { focus: true };

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
  let compare: Comparison | null = null;
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
      case 'rename': {
        const text = (k: string) => String(form.get(k) ?? '');
        await renameDefinition(
          context.orm,
          definition.id,
          {
            name: text('name'),
            description: text('description'),
            translations: Object.fromEntries(LOCALES.map((l) => [l, { name: text(`name.${l}`), description: text(`description.${l}`) }])),
          },
          actor,
        );
        return data<ActionData>({ renamed: true });
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

/** The flow designer: the draft on the canvas (saved as it changes), who else is here, what-if runs, versions and their diff. */
export default function FlowDesigner() {
  const { definition, canEdit, compare, compareError } = useLoaderData<typeof loader>();
  const root = useRootData();
  const { i18n } = useTranslation();
  const renamed = useActionData<typeof action>() as ActionData | undefined;
  const draft = useDesignerState({ definition, canEdit });
  const { editors, others } = usePresence({ definitionId: definition.id, userId: root?.user?.id, tab: draft.tab, onDraftSaved: draft.draftSaved });
  const publishing = usePublishing();
  const sim = useSimulation(definition.draft, draft.graph);
  const files = useImportExport({ definition, graph: draft.graph, replaceGraph: draft.replaceGraph });
  return (
    <>
      <DesignerHeader
        name={flowName(definition, i18n.language)}
        saving={draft.saver.state !== 'idle'}
        dirty={draft.dirty}
        savedAt={draft.saver.data?.savedAt}
      />
      <PresenceAvatars others={others} />
      <DraftNotices draft={draft} editors={editors} />
      <PublishNotices publishing={publishing} importError={files.importError} />
      <Designer
        key={draft.designerKey}
        graph={draft.graph}
        readOnly={!canEdit}
        onChange={draft.onChange}
        highlighted={sim.simulation?.path}
        toolbar={({ errors }) => (
          <PublishBar
            errors={errors}
            canEdit={canEdit}
            files={files}
            publishing={publishing}
            waiting={draft.dirty || !!draft.newerDraft || draft.saver.state !== 'idle'}
          />
        )}
      />
      <SimulationPanel sim={sim} graph={draft.graph} />
      {canEdit ? <FlowNames flow={definition} errors={renamed?.errors} /> : null}
      <VersionsTable versions={definition.versions} canEdit={canEdit} onRollback={publishing.rollback} />
      <DiffView versions={definition.versions} compare={compare} compareError={compareError} />
    </>
  );
}
