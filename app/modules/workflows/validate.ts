// Checks a graph before it may be published, and while it is drawn. Pure (no I/O), so the canvas
// runs the same checks in the browser. Every error names the node (or edge) at fault and carries an
// i18n code: `workflowErrors.<code>`.
import jsonata from 'jsonata';
import { nodeType, outputsOf } from '../../../plugins/index.ts';
import type { Graph, GraphNode } from '../../../workflows/graph.ts';
import { findLoops } from '../../../workflows/loops.ts';

export interface GraphError {
  code:
    | 'no_trigger'
    | 'many_triggers'
    | 'unknown_type'
    | 'invalid_config'
    | 'unreachable'
    | 'unwired_handle'
    | 'bad_edge'
    | 'join_without_split'
    | 'join_in_loop_entry'
    | 'join_fed_from_loop_iteration'
    | 'unguarded_cycle'
    | 'bad_expression'
    | 'end_has_outputs'
    | 'duplicate_id';
  nodeId?: string;
  edgeId?: string;
  field?: string;
  params?: Record<string, string | number>;
}

/** Config fields holding JSONata: named ones, plus any string value that starts with "=". */
const EXPRESSION_FIELDS = new Set(['expression', 'passExpression']);

function expressionsOf(config: Record<string, unknown> | undefined): { field: string; expression: string }[] {
  return Object.entries(config ?? {}).flatMap(([field, v]) =>
    typeof v !== 'string' ? [] : EXPRESSION_FIELDS.has(field) ? [{ field, expression: v }] : v.startsWith('=') ? [{ field, expression: v.slice(1) }] : [],
  );
}

export function validateGraph(graph: Graph): GraphError[] {
  const errors: GraphError[] = [];
  const byId = new Map<string, GraphNode>();
  for (const n of graph.nodes) {
    if (byId.has(n.id)) errors.push({ code: 'duplicate_id', nodeId: n.id });
    byId.set(n.id, n);
  }

  // Types and configs.
  const outputs = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const def = nodeType(n.type);
    if (!def) {
      errors.push({ code: 'unknown_type', nodeId: n.id, params: { type: n.type } });
      continue;
    }
    const parsed = def.config.safeParse(n.data?.config ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push({
          code: 'invalid_config',
          nodeId: n.id,
          field: issue.path.join('.') || undefined,
          params: { field: issue.path.join('.'), problem: issue.code },
        });
      outputs.set(n.id, typeof def.outputs === 'function' ? [] : [...def.outputs]);
    } else {
      outputs.set(n.id, outputsOf(def, parsed.data));
    }
    for (const { field, expression } of expressionsOf(n.data?.config)) {
      try {
        jsonata(expression);
      } catch (e) {
        errors.push({ code: 'bad_expression', nodeId: n.id, field, params: { message: (e as Error).message } });
      }
    }
  }

  // Exactly one trigger.
  const triggers = graph.nodes.filter((n) => n.type === 'control.trigger');
  if (triggers.length === 0) errors.push({ code: 'no_trigger' });
  for (const t of triggers.slice(1)) errors.push({ code: 'many_triggers', nodeId: t.id });

  // Edges point at real nodes and real handles.
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const e of graph.edges) {
    const src = byId.get(e.source);
    if (!src || !byId.has(e.target)) {
      errors.push({ code: 'bad_edge', edgeId: e.id });
      continue;
    }
    const handles = outputs.get(e.source) ?? [];
    const handle = e.sourceHandle ?? handles[0];
    if (handles.length && !handles.includes(handle ?? '')) {
      errors.push({ code: 'bad_edge', edgeId: e.id, nodeId: e.source, params: { handle: String(handle) } });
      continue;
    }
    if (src.type === 'control.end') errors.push({ code: 'end_has_outputs', nodeId: src.id });
    out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
    into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
  }

  // Required handles wired.
  for (const n of graph.nodes) {
    const def = nodeType(n.type);
    if (!def) continue;
    const wired = new Set(graph.edges.filter((e) => e.source === n.id).map((e) => e.sourceHandle ?? outputs.get(n.id)?.[0]));
    const required = def.requiredOutputs ?? outputs.get(n.id) ?? [];
    for (const h of required) if (!wired.has(h)) errors.push({ code: 'unwired_handle', nodeId: n.id, params: { handle: h } });
    if (n.type === 'control.split')
      for (const h of outputs.get(n.id) ?? []) if (!wired.has(h)) errors.push({ code: 'unwired_handle', nodeId: n.id, params: { handle: h } });
  }

  // Reachable from the trigger.
  if (triggers.length === 1) {
    const seen = new Set([triggers[0].id]);
    const queue = [triggers[0].id];
    while (queue.length)
      for (const next of out.get(queue.shift()!) ?? [])
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
    for (const n of graph.nodes) if (!seen.has(n.id)) errors.push({ code: 'unreachable', nodeId: n.id });
  }

  // A join waits for branches of one split: some split must precede every edge into it.
  const ancestorsSplits = (id: string) => {
    const found = new Set<string>();
    const seen = new Set<string>([id]);
    const queue = [id];
    while (queue.length) {
      const cur = queue.shift()!;
      if (byId.get(cur)?.type === 'control.split') found.add(cur);
      for (const p of into.get(cur) ?? [])
        if (!seen.has(p)) {
          seen.add(p);
          queue.push(p);
        }
    }
    return found;
  };
  for (const j of graph.nodes.filter((n) => n.type === 'control.join')) {
    const sources = into.get(j.id) ?? [];
    const common = sources.map(ancestorsSplits).reduce<Set<string> | null>((acc, s) => (acc ? new Set([...acc].filter((x) => s.has(x))) : s), null);
    if (sources.length < 2 || !common || common.size === 0) errors.push({ code: 'join_without_split', nodeId: j.id });
  }

  // A join inside a loop waits for branches from inside it every time round: an edge into the join
  // from outside one of its loops (the way in, or a way back that starts further out) comes once at
  // most, so the join would wait for it forever the next time round. (Loops as the interpreter sees them.)
  if (triggers.length === 1) {
    const loops = findLoops(triggers[0].id, (id) => out.get(id) ?? []);
    for (const j of graph.nodes.filter((n) => n.type === 'control.join')) {
      const outside = (into.get(j.id) ?? []).some((source) => loops.of(j.id).some((l) => !loops.loops[l].nodes.has(source)));
      if (outside) errors.push({ code: 'join_in_loop_entry', nodeId: j.id });
    }

    // A split inside a loop runs every time round, and so does each of its branches until they meet
    // again (within one time round, at a join inside the loop that every branch reaches). A join after
    // the loop fed both by such a branch and by something that comes once (a way out of the loop, a
    // step from before it) would get a token from that branch every time round: refuse the first one.
    const forward = (id: string) => (out.get(id) ?? []).filter((t) => !loops.isBack(id, t));
    const isJoin = (id: string) => byId.get(id)?.type === 'control.join';
    for (const s of graph.nodes.filter((n) => n.type === 'control.split' && loops.of(n.id).length)) {
      const branches = [...new Set(forward(s.id))];
      /** What one time round reaches from `starts`, neither past the split nor on from a step `stop` names. */
      const ahead = (starts: string[], stop: (id: string) => boolean = () => false) => {
        const seen = new Set(starts);
        const queue = [...starts];
        while (queue.length) {
          const cur = queue.shift()!;
          if (!stop(cur))
            for (const t of forward(cur))
              if (t !== s.id && !seen.has(t)) {
                seen.add(t);
                queue.push(t);
              }
        }
        return seen;
      };
      const reached = branches.map((b) => ahead([b]));
      const flagged = new Set<string>();
      for (const l of loops.of(s.id)) {
        const inLoop = loops.loops[l].nodes;
        const met = (id: string) => isJoin(id) && inLoop.has(id) && reached.every((r) => r.has(id));
        const everyRound = ahead(branches, met);
        const each = (id: string) => id === s.id || (everyRound.has(id) && !inLoop.has(id));
        const mixed = (id: string) => {
          const sources = (into.get(id) ?? []).filter((source) => !loops.isBack(source, id));
          return isJoin(id) && !inLoop.has(id) && sources.some(each) && !sources.every(each);
        };
        for (const id of ahead(branches, (id) => met(id) || mixed(id))) if (mixed(id)) flagged.add(id);
      }
      for (const j of graph.nodes) if (flagged.has(j.id)) errors.push({ code: 'join_fed_from_loop_iteration', nodeId: j.id, params: { split: s.id } });
    }
  }

  // Every cycle must wait somewhere (delay, signal or human task), or it would spin forever: with the
  // waiting steps taken out, no cycle may be left (a loop inside a waiting one, or a way round the wait, too).
  const waits = (id: string) => ['control.delay', 'control.signal', 'control.human'].includes(byId.get(id)?.type ?? '');
  const busy = new Map([...out].filter(([id]) => !waits(id)).map(([id, ts]) => [id, ts.filter((t) => !waits(t))]));
  for (const scc of stronglyConnected(
    graph.nodes.map((n) => n.id).filter((id) => !waits(id)),
    busy,
  )) {
    const cyclic = scc.length > 1 || (busy.get(scc[0]) ?? []).includes(scc[0]);
    const named = graph.nodes.map((n) => n.id).filter((id) => scc.includes(id));
    if (cyclic) errors.push({ code: 'unguarded_cycle', nodeId: named[0], params: { nodes: named.join(', ') } });
  }
  return errors;
}

/** Tarjan's strongly connected components. */
function stronglyConnected(ids: string[], out: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(),
    low = new Map<string, number>(),
    onStack = new Set<string>(),
    stack: string[] = [],
    result: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      result.push(comp);
    }
  };
  for (const id of ids) if (!idx.has(id)) visit(id);
  return result;
}
