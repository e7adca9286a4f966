import crypto from 'node:crypto';
import { nodeType, outputsOf } from '../../../plugins/index.ts';
import type { Graph, Plan, PlanNode } from '../../../workflows/graph.ts';
import { validateGraph, type GraphError } from './validate.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 5;

export function graphHash(graph: Graph): string {
  const canonical = { nodes: [...graph.nodes].sort((a, b) => a.id.localeCompare(b.id)).map((n) => ({ id: n.id, type: n.type, config: n.data?.config ?? {} })),
    edges: [...graph.edges].sort((a, b) => a.id.localeCompare(b.id)).map((e) => ({ s: e.source, h: e.sourceHandle ?? null, t: e.target })) };
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Validates and turns a graph into the plan the interpreter runs (pinned on every run). */
export function compileGraph(graph: Graph): { ok: true; plan: Plan } | { ok: false; errors: GraphError[] } {
  const errors = validateGraph(graph);
  if (errors.length) return { ok: false, errors };
  const nodes: Record<string, PlanNode> = {};
  for (const n of graph.nodes) {
    const def = nodeType(n.type)!;
    const config = def.config.parse(n.data?.config ?? {}) as Record<string, unknown>;
    const handles = outputsOf(def, config);
    const next: Record<string, string[]> = Object.fromEntries(handles.map((h) => [h, [] as string[]]));
    for (const e of graph.edges.filter((x) => x.source === n.id)) (next[e.sourceHandle ?? handles[0]] ??= []).push(e.target);
    nodes[n.id] = {
      id: n.id,
      type: n.type,
      label: n.data?.label ?? n.type,
      kind: def.run.kind,
      primitive: def.run.kind === 'control' ? def.run.primitive : undefined,
      activity: def.run.kind === 'activity' ? def.run.activity : undefined,
      compensation: def.run.kind === 'activity' ? def.run.compensation : undefined,
      ...(def.run.kind === 'activity' && def.run.local ? { local: true } : {}),
      timeoutMs: def.run.kind === 'activity' ? def.run.timeoutMs ?? DEFAULT_TIMEOUT_MS : 0,
      retries: def.run.kind === 'activity' ? def.run.retries ?? DEFAULT_RETRIES : 0,
      config,
      next,
      incoming: graph.edges.filter((e) => e.target === n.id).length,
    };
  }
  return { ok: true, plan: { hash: graphHash(graph), trigger: graph.nodes.find((n) => n.type === 'control.trigger')!.id, nodes } };
}
