import crypto from 'node:crypto';
import type { Graph, Plan } from '../../../workflows/graph.ts';
import { planNodes } from './plan.ts';
import { validateGraph, type GraphError } from './validate.ts';

function graphHash(graph: Graph): string {
  const canonical = {
    nodes: [...graph.nodes].sort((a, b) => a.id.localeCompare(b.id)).map((n) => ({ id: n.id, type: n.type, config: n.data?.config ?? {} })),
    edges: [...graph.edges].sort((a, b) => a.id.localeCompare(b.id)).map((e) => ({ s: e.source, h: e.sourceHandle ?? null, t: e.target })),
  };
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Validates and turns a graph into the plan the interpreter runs (pinned on every run). */
export function compileGraph(graph: Graph): { ok: true; plan: Plan } | { ok: false; errors: GraphError[] } {
  const errors = validateGraph(graph);
  if (errors.length) return { ok: false, errors };
  const nodes = planNodes(graph);
  return { ok: true, plan: { hash: graphHash(graph), trigger: graph.nodes.find((n) => n.type === 'control.trigger')!.id, nodes } };
}
