// Pure helpers of the flow designer page: avatar initials, node labels, and the diff canvas's colours.
import type { Graph } from '../../../workflows/graph.ts';
import type { GraphDiff } from '../../modules/workflows/diff.ts';

/** Up to two initials for a presence avatar. */
export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]!.toUpperCase())
    .join('') || '?';

/** A node's label in a graph, or its id when it has none (or is not there). */
export const nodeLabel = (g: Graph, id: string) => g.nodes.find((n) => n.id === id)?.data?.label || id;

/** A CSS string literal: quotes and backslashes escaped, no line breaks, no `<` (it sits in a <style>). */
export const cssString = (v: string) =>
  `"${v
    .replace(/["\\]/g, (m) => `\\${m}`)
    .replace(/[\n\r]/g, ' ')
    .replace(/</g, '\\3c ')}"`;

/** Colours the diff canvas by node and edge id (React Flow puts them on data-id / data-testid). */
export function diffCss(diff: GraphDiff): string {
  const node = (id: string) => `.diff-view .react-flow__node[data-id=${cssString(id)}] .flow-node`;
  const edge = (id: string) => `.diff-view [data-testid=${cssString(`rf__edge-${id}`)}] path`;
  const rules: string[] = [];
  if (diff.addedNodes.length) rules.push(`${diff.addedNodes.map(node).join(',')} { box-shadow: 0 0 0 3px #16a34a; }`);
  if (diff.changedNodes.length) rules.push(`${diff.changedNodes.map((c) => node(c.id)).join(',')} { box-shadow: 0 0 0 3px #f59e0b; }`);
  if (diff.removedNodes.length) rules.push(`${diff.removedNodes.map(node).join(',')} { opacity: 0.4; filter: grayscale(1); border-style: dashed; }`);
  if (diff.addedEdges.length) rules.push(`${diff.addedEdges.map(edge).join(',')} { stroke: #16a34a !important; stroke-width: 2.5; }`);
  if (diff.removedEdges.length)
    rules.push(`${diff.removedEdges.map((id) => edge(`removed:${id}`)).join(',')} { stroke: #9ca3af !important; stroke-dasharray: 4 4; opacity: 0.6; }`);
  return rules.join('\n');
}
