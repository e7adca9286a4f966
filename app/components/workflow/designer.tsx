import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeSelectionChange,
  applyEdgeChanges,
  applyNodeChanges,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Keyboard, PanelLeftClose, PanelLeftOpen, PanelRightClose, PanelRightOpen } from 'lucide-react';
import { NodeIcon } from './node-icon.tsx';
import { LOCALES, type Locale } from '../../../entities/constants.ts';
import { useTranslation } from 'react-i18next';
import { CATEGORIES } from '../../../plugins/types.ts';
import { NODE_TYPES, nodeType } from '../../../plugins/index.ts';
import { validateGraph, type GraphError } from '../../modules/workflows/validate.ts';
import type { Graph, GraphNode } from '../../../workflows/graph.ts';
import { ConfigForm } from './config-form.tsx';
import { FlowNode, type FlowNodeData } from './flow-node.tsx';
import { useHistory } from './history.ts';
import { autoLayout } from './layout.ts';

const nodeTypes = { step: FlowNode };
type StepStatus = FlowNodeData['status'];

export interface DesignerProps {
  graph: Graph;
  readOnly?: boolean;
  /** Live node states of a run (the run view). */
  statuses?: Record<string, StepStatus>;
  /** Nodes a simulation passed through. */
  highlighted?: string[];
  onChange?: (graph: Graph) => void;
  toolbar?: (api: { graph: Graph; errors: GraphError[] }) => React.ReactNode;
  /** What the side panel shows about a step, or (null) about the whole graph, in place of editing it (the run view: what each step did). */
  inspect?: (nodeId: string | null) => React.ReactNode;
}

/** The flow designer. Renders only in the browser: React Flow measures the DOM. */
export function Designer(props: DesignerProps) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const { t } = useTranslation();
  if (!mounted) return <div className="designer-placeholder">{t('designer.loading')}</div>;
  return (
    <ReactFlowProvider>
      <DesignerInner {...props} />
    </ReactFlowProvider>
  );
}

let counter = 0;
const newId = (type: string, graph: Graph) => {
  const base = type
    .split('.')
    .pop()!
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase();
  let id = base;
  while (graph.nodes.some((n) => n.id === id)) id = `${base}_${++counter}`;
  return id;
};

function DesignerInner({ graph: initial, readOnly, statuses, highlighted, onChange, toolbar, inspect }: DesignerProps) {
  const { t, i18n } = useTranslation();
  const lang = (LOCALES as readonly string[]).includes(i18n.language) ? (i18n.language as Locale) : 'en';
  const flow = useReactFlow();
  const history = useHistory<Graph>(initial);
  const graph = history.present;
  const [selected, setSelected] = useState<string[]>([]);
  const [query, setQuery] = useState('');
  const [paletteOpen, setPaletteOpen] = useState(true);
  const [inspectorOpen, setInspectorOpen] = useState(true);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const clipboard = useRef<GraphNode[]>([]);
  const wrapper = useRef<HTMLDivElement>(null);
  // Moving a node cannot change what is valid: validate (and rebuild edges) only when the structure changes.
  const structure = useMemo(() => JSON.stringify([graph.nodes.map((n) => [n.id, n.type, n.data]), graph.edges]), [graph]);
  const errors = useMemo(() => validateGraph(graph), [structure]);
  const errorsByNode = useMemo(
    () => errors.reduce<Record<string, number>>((m, e) => (e.nodeId ? { ...m, [e.nodeId]: (m[e.nodeId] ?? 0) + 1 } : m), {}),
    [errors],
  );

  useEffect(() => {
    onChange?.(graph);
  }, [graph, onChange]);

  // Node objects are reused while nothing about them changed, so a drag re-renders only the node that moves.
  const nodeCache = useRef(new Map<string, { src: GraphNode; key: string; node: Node }>());
  const nodes: Node[] = useMemo(() => {
    const next = new Map<string, { src: GraphNode; key: string; node: Node }>();
    const list = graph.nodes.map((n) => {
      const sel = selected.includes(n.id);
      const key = `${sel}|${readOnly ? 0 : (errorsByNode[n.id] ?? 0)}|${statuses?.[n.id] ?? ''}|${highlighted?.includes(n.id) ? 1 : 0}|${readOnly ? 1 : 0}`;
      const hit = nodeCache.current.get(n.id);
      const node: Node =
        hit && hit.src === n && hit.key === key
          ? hit.node
          : {
              id: n.id,
              type: 'step',
              position: n.position,
              // The card's usual size, until it is measured: the minimap draws only steps with a size.
              initialWidth: 220,
              initialHeight: 70,
              selected: sel,
              draggable: !readOnly,
              data: {
                type: n.type,
                label: n.data?.label,
                labels: n.data?.labels,
                config: n.data?.config ?? {},
                errors: readOnly ? 0 : (errorsByNode[n.id] ?? 0),
                status: statuses?.[n.id],
                highlighted: highlighted?.includes(n.id),
              } satisfies FlowNodeData,
            };
      next.set(n.id, { src: n, key, node });
      return node;
    });
    nodeCache.current = next;
    return list;
  }, [graph.nodes, selected, readOnly, errorsByNode, statuses, highlighted]);
  const typeById = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.type])), [structure]);
  const edges: Edge[] = useMemo(
    () =>
      graph.edges.map((e) => {
        const srcType = typeById.get(e.source);
        const def = srcType ? nodeType(srcType) : undefined;
        const label = e.sourceHandle && !['ok', 'out'].includes(e.sourceHandle) ? t(`handles.${e.sourceHandle}`, { defaultValue: e.sourceHandle }) : undefined;
        const taken = statuses && statuses[e.source] === 'done' && statuses[e.target] && statuses[e.target] !== 'skipped' && statuses[e.target] !== 'waiting';
        return {
          id: e.id,
          source: e.source,
          sourceHandle: e.sourceHandle ?? undefined,
          target: e.target,
          label,
          animated: !!taken,
          className: `${def?.category ?? ''} ${e.sourceHandle === 'error' || e.sourceHandle === 'declined' || e.sourceHandle === 'insufficient' ? 'edge-failure' : ''}`,
        };
      }),
    [graph.edges, typeById, statuses, t],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      // Selection (click, Shift-box, Enter on a focused step, Escape): the nodes are controlled, so it is kept here.
      const picks = changes.filter((c): c is NodeSelectionChange => c.type === 'select');
      if (picks.length) {
        setSelected((prev) => {
          const next = new Set(prev);
          for (const c of picks) {
            if (c.selected) next.add(c.id);
            else next.delete(c.id);
          }
          const list = nodes.map((n) => n.id).filter((id) => next.has(id));
          return list.join() === prev.join() ? prev : list;
        });
      }
      if (readOnly) return;
      const moved = applyNodeChanges(
        changes.filter((c) => c.type === 'position' || c.type === 'remove'),
        nodes,
      );
      const dragging = changes.some((c) => c.type === 'position' && c.dragging);
      const next = (g: Graph): Graph => {
        const kept = new Set(moved.map((n) => n.id));
        const positions = new Map(moved.map((m) => [m.id, m.position]));
        return {
          nodes: g.nodes
            .filter((n) => kept.has(n.id))
            .map((n) => {
              const p = positions.get(n.id);
              return p && (p.x !== n.position.x || p.y !== n.position.y) ? { ...n, position: p } : n;
            }),
          edges: g.edges.filter((e) => kept.has(e.source) && kept.has(e.target)),
        };
      };
      if (changes.every((c) => c.type === 'select' || c.type === 'dimensions')) return;
      if (dragging) history.replace(next);
      else history.commit(next);
    },
    [nodes, readOnly, history],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      if (readOnly || !changes.some((c) => c.type === 'remove')) return;
      const kept = new Set(applyEdgeChanges(changes, edges).map((e) => e.id));
      history.commit((g) => ({ ...g, edges: g.edges.filter((e) => kept.has(e.id)) }));
    },
    [edges, readOnly, history],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (readOnly || !c.source || !c.target) return;
      history.commit((g) =>
        g.edges.some((e) => e.source === c.source && e.target === c.target && (e.sourceHandle ?? null) === (c.sourceHandle ?? null))
          ? g
          : {
              ...g,
              edges: [
                ...g.edges,
                { id: `e_${c.source}_${c.sourceHandle ?? 'out'}_${c.target}`, source: c.source, sourceHandle: c.sourceHandle ?? null, target: c.target },
              ],
            },
      );
    },
    [readOnly, history],
  );

  const addNode = useCallback(
    (type: string, position: { x: number; y: number }) => {
      history.commit((g) => {
        const def = nodeType(type)!;
        const parsed = def.config.safeParse({});
        const id = newId(type, g);
        setSelected([id]);
        return { ...g, nodes: [...g.nodes, { id, type, position, data: { config: parsed.success ? (parsed.data as Record<string, unknown>) : {} } }] };
      });
    },
    [history],
  );

  const onDrop = useCallback(
    (event: React.DragEvent) => {
      event.preventDefault();
      const type = event.dataTransfer.getData('application/x-oms-node');
      if (!type || readOnly) return;
      addNode(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [flow, addNode, readOnly],
  );

  const focusNode = useCallback(
    (id: string) => {
      setSelected([id]);
      const n = graph.nodes.find((x) => x.id === id);
      if (n) void flow.setCenter(n.position.x + 110, n.position.y + 37, { zoom: 1.2, duration: 300 });
    },
    [graph.nodes, flow],
  );

  // Keyboard: undo/redo, copy/paste, delete is React Flow's own (Backspace/Delete).
  useEffect(() => {
    if (readOnly) return;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select')) return;
      const mod = e.metaKey || e.ctrlKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) history.redo();
        else history.undo();
      } else if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        history.redo();
      } else if (mod && e.key.toLowerCase() === 'c') {
        clipboard.current = graph.nodes.filter((n) => selected.includes(n.id));
      } else if (mod && e.key.toLowerCase() === 'v' && clipboard.current.length) {
        e.preventDefault();
        history.commit((g) => {
          const copies = clipboard.current.map((n) => ({
            ...structuredClone(n),
            id: newId(n.type, g),
            position: { x: n.position.x + 40, y: n.position.y + 40 },
          }));
          setSelected(copies.map((c) => c.id));
          return { ...g, nodes: [...g.nodes, ...copies] };
        });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [readOnly, history, graph.nodes, selected]);

  // A problem in the user's words: the setting by its label in the form, the exit by its name on the canvas.
  const errorText = (e: GraphError) => {
    const field = String(e.field ?? e.params?.field ?? '');
    const setting = field
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .pop();
    const handle = e.params?.handle === undefined ? {} : { handle: t(`handles.${e.params.handle}`, { defaultValue: String(e.params.handle) }) };
    return t(`workflowErrors.${e.code}`, { ...e.params, ...handle, field: setting ? t(`configFields.${setting}`, { defaultValue: field }) : field });
  };

  const current = selected.length === 1 ? graph.nodes.find((n) => n.id === selected[0]) : undefined;
  const currentDef = current ? nodeType(current.type) : undefined;
  const palette = [...NODE_TYPES.values()].filter(
    (n) => !query || t(n.labelKey).toLowerCase().includes(query.toLowerCase()) || n.type.includes(query.toLowerCase()),
  );

  return (
    <div className={`designer ${readOnly ? 'read-only' : paletteOpen ? '' : 'palette-closed'} ${inspectorOpen ? '' : 'inspector-closed'}`}>
      {readOnly ? null : !paletteOpen ? (
        <button
          type="button"
          className="panel-toggle"
          onClick={() => setPaletteOpen(true)}
          aria-label={t('designer.showPalette')}
          title={t('designer.showPalette')}
          data-testid="palette-open"
        >
          <PanelLeftOpen size={18} aria-hidden="true" />
        </button>
      ) : (
        <aside className="palette" aria-label={t('designer.palette')}>
          <div className="panel-head">
            <h3>{t('designer.palette')}</h3>
            <button
              type="button"
              className="panel-toggle"
              onClick={() => setPaletteOpen(false)}
              aria-label={t('designer.hidePalette')}
              title={t('designer.hidePalette')}
            >
              <PanelLeftClose size={18} aria-hidden="true" />
            </button>
          </div>
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder={t('designer.searchSteps')}
            aria-label={t('designer.searchSteps')}
            data-testid="palette-search"
          />
          {CATEGORIES.map((c) => {
            const items = palette.filter((n) => n.category === c);
            return items.length ? (
              <section key={c}>
                <h3>{t(`nodeCategories.${c}`)}</h3>
                {items.map((n) => (
                  <div
                    key={n.type}
                    className={`palette-item cat-${c}`}
                    draggable
                    data-testid={`palette-${n.type}`}
                    title={t(n.descriptionKey)}
                    onDragStart={(e) => {
                      e.dataTransfer.setData('application/x-oms-node', n.type);
                      e.dataTransfer.effectAllowed = 'move';
                    }}
                    onDoubleClick={() =>
                      addNode(
                        n.type,
                        flow.screenToFlowPosition({
                          x: (wrapper.current?.getBoundingClientRect().left ?? 0) + 300,
                          y: (wrapper.current?.getBoundingClientRect().top ?? 0) + 120,
                        }),
                      )
                    }
                  >
                    <NodeIcon type={n.type} category={n.category} /> {t(n.labelKey)}
                  </div>
                ))}
              </section>
            ) : null;
          })}
        </aside>
      )}
      <div className="canvas-column">
        <div className="designer-toolbar">
          {readOnly ? null : (
            <>
              <button type="button" onClick={history.undo} disabled={!history.canUndo} title={t('designer.undoHint')}>
                {t('designer.undo')}
              </button>
              <button type="button" onClick={history.redo} disabled={!history.canRedo}>
                {t('designer.redo')}
              </button>
              <button
                type="button"
                onClick={() =>
                  history.commit((g) => ({
                    nodes: g.nodes.filter((n) => !selected.includes(n.id)),
                    edges: g.edges.filter((e) => !selected.includes(e.source) && !selected.includes(e.target)),
                  }))
                }
                disabled={!selected.length}
              >
                {t('designer.delete')}
              </button>
              <button
                type="button"
                onClick={() => {
                  history.commit((g) => autoLayout(g));
                  setTimeout(() => void flow.fitView({ duration: 300 }), 50);
                }}
                data-testid="auto-layout"
              >
                {t('designer.autoLayout')}
              </button>
            </>
          )}
          <button type="button" onClick={() => void flow.fitView({ duration: 300, ...FIT })}>
            {t('designer.fitView')}
          </button>
          <button type="button" onClick={() => setShortcutsOpen(true)} data-testid="shortcuts" title={t('designer.shortcuts.title')}>
            <Keyboard size={16} aria-hidden="true" /> {t('designer.shortcuts.button')}
          </button>
          <span className="spacer" />
          {toolbar?.({ graph, errors })}
        </div>
        <div
          className="canvas"
          ref={wrapper}
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'move';
          }}
          onDrop={onDrop}
          data-testid="canvas"
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onSelectionChange={({ nodes: sel }) =>
              setSelected((prev) => {
                const next = sel.map((n) => n.id);
                return prev.join() === next.join() ? prev : next;
              })
            }
            nodesConnectable={!readOnly}
            elementsSelectable
            deleteKeyCode={readOnly ? null : ['Backspace', 'Delete']}
            fitView
            fitViewOptions={FIT}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <MiniMap pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={2} maskColor="rgba(226, 232, 240, 0.55)" ariaLabel={t('designer.minimap')} />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
      </div>
      {shortcutsOpen ? <ShortcutSheet onClose={() => setShortcutsOpen(false)} /> : null}
      {!inspectorOpen ? (
        <button
          type="button"
          className="panel-toggle"
          onClick={() => setInspectorOpen(true)}
          aria-label={t('designer.showInspector')}
          title={t('designer.showInspector')}
        >
          <PanelRightOpen size={18} aria-hidden="true" />
        </button>
      ) : (
        <aside className="inspector" aria-label={t('designer.inspector')}>
          <div className="panel-head">
            <h3>{inspect ? t('workflows.steps') : t('designer.inspector')}</h3>
            <button
              type="button"
              className="panel-toggle"
              onClick={() => setInspectorOpen(false)}
              aria-label={t('designer.hideInspector')}
              title={t('designer.hideInspector')}
            >
              <PanelRightClose size={18} aria-hidden="true" />
            </button>
          </div>
          {inspect ? (
            inspect(current?.id ?? null)
          ) : current && currentDef ? (
            <section data-testid="inspector">
              <h3>{t(currentDef.labelKey)}</h3>
              <p className="muted small">{t(currentDef.descriptionKey)}</p>
              <label className="field">
                <span>{t('designer.stepNameIn', { language: t(`locales.${lang}`) })}</span>
                <input
                  value={current.data?.labels?.[lang] ?? current.data?.label ?? ''}
                  disabled={readOnly}
                  placeholder={t(currentDef.labelKey)}
                  data-testid="step-name"
                  onChange={(e) =>
                    history.commit((g) => ({
                      ...g,
                      nodes: g.nodes.map((n) =>
                        n.id === current.id
                          ? {
                              ...n,
                              data: {
                                ...n.data,
                                // The name in the reader's language; the first one given is also the name in the others until they get theirs.
                                label: n.data?.label || e.target.value || undefined,
                                labels: { ...n.data?.labels, [lang]: e.target.value || undefined },
                              },
                            }
                          : n,
                      ),
                    }))
                  }
                />
              </label>
              <ConfigForm
                schema={currentDef.config}
                value={current.data?.config ?? {}}
                readOnly={readOnly}
                errors={errors.filter((e) => e.nodeId === current.id)}
                onChange={(config) =>
                  history.commit((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === current.id ? { ...n, data: { ...n.data, config } } : n)) }))
                }
              />
              {currentDef.run.kind === 'activity' && currentDef.run.compensation ? (
                <p className="muted small">
                  <span className="comp-icon" aria-hidden="true" />{' '}
                  {t('designer.compensatedBy', { step: t(`nodes.${currentDef.run.compensation}.label`, { defaultValue: currentDef.run.compensation }) })}
                </p>
              ) : null}
            </section>
          ) : (
            <p className="muted">{readOnly ? t('designer.selectHintReadOnly') : t('designer.selectHint')}</p>
          )}
          {readOnly ? null : (
            <section className="errors-panel" data-testid="errors-panel">
              <h3>{errors.length ? t('designer.problems', { count: errors.length }) : t('designer.noProblems')}</h3>
              <ul>
                {errors.map((e, i) => (
                  <li key={i}>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => e.nodeId && focusNode(e.nodeId)}
                      disabled={!e.nodeId}
                      data-testid="graph-error"
                    >
                      {e.nodeId ? <strong>{e.nodeId}: </strong> : null}
                      {errorText(e)}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>
      )}
    </div>
  );
}

/**
 * The canvas opens, and fits, at a scale its labels can be read at (a step’s name, 14.25 px, draws at 11.4 px
 * or more); a larger graph is panned rather than shrunk. Zooming out further by hand stays possible.
 */
const FIT = { minZoom: 0.8, maxZoom: 1, padding: 0.08 } as const;

const CATEGORY_COLOURS: Record<string, string> = {
  trigger: '#0ea5e9',
  control: '#64748b',
  orders: '#2563eb',
  returns: '#db2777',
  inventory: '#16a34a',
  notifications: '#d97706',
  service: '#0d9488',
  integrations: '#7c3aed',
};
/** The minimap draws each step in its category's colour (white on white showed nothing). */
const minimapColor = (n: { data?: Record<string, unknown> }) => CATEGORY_COLOURS[nodeType(String(n.data?.type ?? ''))?.category ?? ''] ?? '#94a3b8';

const SHORTCUTS = ['undo', 'redo', 'delete', 'copyPaste', 'boxSelect', 'addToSelection', 'keyboardSelect', 'panZoom', 'addStep'] as const;

/** The designer's keyboard and mouse shortcuts. */
function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="dialog-scrim" role="presentation" onClick={onClose}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-title"
        className="dialog card"
        onClick={(e) => e.stopPropagation()}
        data-testid="shortcut-sheet"
      >
        <h2 id="shortcuts-title">{t('designer.shortcuts.title')}</h2>
        <table className="data-table">
          <tbody>
            {SHORTCUTS.map((what) => (
              <tr key={what}>
                <td>
                  <kbd>{t(`designer.shortcuts.keys.${what}`)}</kbd>
                </td>
                <td>{t(`designer.shortcuts.${what}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={onClose} autoFocus>
          {t('designer.shortcuts.close')}
        </button>
      </div>
    </div>
  );
}
