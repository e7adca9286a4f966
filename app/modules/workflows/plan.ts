// A graph's nodes as the interpreter needs them (what each is, its settings, where each handle leads,
// how many ways lead in). Pure: the compiler pins it on each published version, and the simulation
// walks a draft's with the interpreter's own walker (workflows/walk.ts).
import { nodeType, outputsOf } from '../../../plugins/index.ts';
import type { Graph, PlanNode } from '../../../workflows/graph.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 5;

/** The plan's nodes; nodes of an unknown type (and edges to or from them) are left out. */
export function planNodes(graph: Graph): Record<string, PlanNode> {
  const known = new Set(graph.nodes.filter((n) => nodeType(n.type)).map((n) => n.id));
  const nodes: Record<string, PlanNode> = {};
  for (const n of graph.nodes) {
    const def = nodeType(n.type);
    if (!def) continue;
    // A draft may hold a setting that does not parse yet (the simulation walks drafts): taken as written.
    const parsed = def.config.safeParse(n.data?.config ?? {});
    const config = (parsed.success ? parsed.data : (n.data?.config ?? {})) as Record<string, unknown>;
    const handles = parsed.success ? outputsOf(def, config) : typeof def.outputs === 'function' ? [] : [...def.outputs];
    const next: Record<string, string[]> = Object.fromEntries(handles.map((h) => [h, [] as string[]]));
    for (const e of graph.edges.filter((x) => x.source === n.id && known.has(x.target))) (next[e.sourceHandle ?? handles[0]] ??= []).push(e.target);
    nodes[n.id] = {
      id: n.id,
      type: n.type,
      label: n.data?.label ?? n.type,
      kind: def.run.kind,
      primitive: def.run.kind === 'control' ? def.run.primitive : undefined,
      activity: def.run.kind === 'activity' ? def.run.activity : undefined,
      compensation: def.run.kind === 'activity' ? def.run.compensation : undefined,
      ...(def.run.kind === 'activity' && def.run.local ? { local: true } : {}),
      timeoutMs: def.run.kind === 'activity' ? (def.run.timeoutMs ?? DEFAULT_TIMEOUT_MS) : 0,
      retries: def.run.kind === 'activity' ? (def.run.retries ?? DEFAULT_RETRIES) : 0,
      config,
      next,
      incoming: graph.edges.filter((e) => e.target === n.id && known.has(e.source)).length,
    };
  }
  return nodes;
}
