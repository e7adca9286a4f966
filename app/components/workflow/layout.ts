// Auto-layout with dagre: top to bottom, ranks by dependency, so a drawn flow reads like a flowchart.
import dagre from '@dagrejs/dagre';
import type { Graph } from '../../../workflows/graph.ts';

const NODE_WIDTH = 220;
const NODE_HEIGHT = 74;

export function autoLayout(graph: Graph): Graph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 60 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) if (e.source !== e.target) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      const p = g.node(n.id);
      return p ? { ...n, position: { x: Math.round(p.x - NODE_WIDTH / 2), y: Math.round(p.y - NODE_HEIGHT / 2) } } : n;
    }),
  };
}
