// What changed between two versions of a flow: nodes by id (added, removed, changed in type or
// config), edges by what they connect (source, exit, target), since edge ids are cosmetic. Pure.
import type { Graph, GraphEdge, GraphNode } from '../../../workflows/graph.ts';

export interface GraphDiff {
  addedNodes: string[];
  removedNodes: string[];
  /** Nodes in both graphs whose type or config differs, with what differs. */
  changedNodes: { id: string; type: boolean; config: boolean }[];
  /** Edge ids of the newer graph. */
  addedEdges: string[];
  /** Edge ids of the older graph. */
  removedEdges: string[];
}

/** JSON with object keys sorted, so key order never counts as a change. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const edgeKey = (e: GraphEdge) => `${e.source}\u0000${e.sourceHandle ?? ''}\u0000${e.target}`;

export function diffGraphs(older: Graph, newer: Graph): GraphDiff {
  const oldNodes = new Map(older.nodes.map((n) => [n.id, n]));
  const newIds = new Set(newer.nodes.map((n) => n.id));
  const changedNodes: GraphDiff['changedNodes'] = [];
  for (const n of newer.nodes) {
    const o = oldNodes.get(n.id);
    if (!o) continue;
    const type = o.type !== n.type;
    const config = stableJson(o.data?.config ?? {}) !== stableJson(n.data?.config ?? {});
    if (type || config) changedNodes.push({ id: n.id, type, config });
  }
  const oldEdges = new Set(older.edges.map(edgeKey));
  const newEdges = new Set(newer.edges.map(edgeKey));
  return {
    addedNodes: newer.nodes.filter((n) => !oldNodes.has(n.id)).map((n) => n.id),
    removedNodes: older.nodes.filter((n) => !newIds.has(n.id)).map((n) => n.id),
    changedNodes,
    addedEdges: newer.edges.filter((e) => !oldEdges.has(edgeKey(e))).map((e) => e.id),
    removedEdges: older.edges.filter((e) => !newEdges.has(edgeKey(e))).map((e) => e.id),
  };
}

/**
 * The newer graph with what the older one had and the newer lost put back (nodes at their old
 * positions, edges whose ends are still drawn), so removed parts can be shown greyed. Removed edges
 * get an id prefixed `removed:` so they never clash with the newer graph's ids.
 */
export function overlayRemoved(older: Graph, newer: Graph, diff: GraphDiff = diffGraphs(older, newer)): Graph {
  const removedNodes = older.nodes.filter((n) => diff.removedNodes.includes(n.id));
  const ids = new Set([...newer.nodes.map((n) => n.id), ...removedNodes.map((n) => n.id)]);
  const removedEdges = older.edges
    .filter((e) => diff.removedEdges.includes(e.id) && ids.has(e.source) && ids.has(e.target))
    .map((e) => ({ ...e, id: `removed:${e.id}` }));
  return { nodes: [...newer.nodes, ...removedNodes], edges: [...newer.edges, ...removedEdges] };
}

export interface GraphMerge {
  graph: Graph;
  /** Nodes both sides changed (or one changed and the other deleted): mine was kept. */
  conflicts: string[];
}

/**
 * Three-way merge of two drafts that started from `base`: someone else's saved draft (`theirs`) with
 * the changes `mine` made since `base` laid on top. Nodes match by id, edges by what they connect.
 * Where both sides changed the same node (type, name or settings), or one changed what the other
 * deleted, mine wins and the node is reported; a node moved on both sides silently takes my position.
 */
export function mergeGraphs(base: Graph, mine: Graph, theirs: Graph): GraphMerge {
  const content = (n: GraphNode) => stableJson({ type: n.type, data: n.data ?? {} });
  const whole = (n: GraphNode) => stableJson(n);
  const baseNodes = new Map(base.nodes.map((n) => [n.id, n]));
  const theirNodes = new Map(theirs.nodes.map((n) => [n.id, n]));
  const mineIds = new Set(mine.nodes.map((n) => n.id));
  const nodes = new Map(theirs.nodes.map((n) => [n.id, n]));
  const conflicts = new Set<string>();

  for (const n of mine.nodes) {
    const b = baseNodes.get(n.id);
    if (b && whole(b) === whole(n)) continue; // I did not touch it: theirs stands
    const t = theirNodes.get(n.id);
    const theyChanged = b ? !t || content(t) !== content(b) : !!t;
    if (theyChanged && (!t || content(t) !== content(n))) conflicts.add(n.id);
    nodes.set(n.id, n);
  }
  for (const b of base.nodes) {
    if (mineIds.has(b.id)) continue; // I deleted it: gone, unless they changed it meanwhile
    const t = theirNodes.get(b.id);
    if (t && content(t) !== content(b)) conflicts.add(b.id);
    else nodes.delete(b.id);
  }

  const baseEdges = new Set(base.edges.map(edgeKey));
  const mineEdges = new Set(mine.edges.map(edgeKey));
  const edges = new Map<string, GraphEdge>();
  for (const e of theirs.edges) if (!(baseEdges.has(edgeKey(e)) && !mineEdges.has(edgeKey(e)))) edges.set(edgeKey(e), e);
  for (const e of mine.edges) if (!baseEdges.has(edgeKey(e)) && !edges.has(edgeKey(e))) edges.set(edgeKey(e), e);
  // Both sides may have used one edge id for different connections: the second gets a fresh one.
  const ids = new Set<string>();
  const kept = [...edges.values()]
    .filter((e) => nodes.has(e.source) && nodes.has(e.target))
    .map((e) => {
      let id = e.id;
      for (let i = 2; ids.has(id); i++) id = `${e.id}_${i}`;
      ids.add(id);
      return id === e.id ? e : { ...e, id };
    });
  return { graph: { nodes: [...nodes.values()], edges: kept }, conflicts: [...conflicts] };
}
