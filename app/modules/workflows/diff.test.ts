import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../workflows/graph.ts';
import { diffGraphs, overlayRemoved, stableJson } from './diff.ts';

const n = (id: string, type: string, config: Record<string, unknown> = {}, x = 0) => ({ id, type, position: { x, y: 0 }, data: { config } });
const e = (source: string, target: string, sourceHandle?: string, id = `${source}-${sourceHandle ?? ''}-${target}`) => ({ id, source, target, sourceHandle });

const v1: Graph = {
  nodes: [n('t', 'control.trigger', { event: 'order.created' }), n('reserve', 'orders.reserve'), n('hold', 'orders.hold', { reason: 'review' }), n('end', 'control.end')],
  edges: [e('t', 'reserve', 'out'), e('reserve', 'end', 'ok'), e('reserve', 'hold', 'insufficient'), e('hold', 'end', 'ok')],
};

describe('diffGraphs', () => {
  it('finds nothing between equal graphs, whatever the key order, positions or edge ids', () => {
    const same: Graph = {
      nodes: v1.nodes.map((x) => ({ ...x, position: { x: 99, y: 99 }, data: { config: Object.fromEntries(Object.entries(x.data.config ?? {}).reverse()) } })),
      edges: v1.edges.map((x) => ({ ...x, id: `other-${x.id}` })),
    };
    expect(diffGraphs(v1, same)).toEqual({ addedNodes: [], removedNodes: [], changedNodes: [], addedEdges: [], removedEdges: [] });
  });

  it('reports added, removed and changed nodes and edges', () => {
    const v2: Graph = {
      nodes: [n('t', 'control.trigger', { event: 'order.created' }), n('reserve', 'orders.reserve'), n('hold', 'orders.cancel', { reason: 'review' }),
        n('notify', 'notifications.alert', { message: 'x', severity: 'info' }), n('end', 'control.end', { result: 'fail' })],
      edges: [e('t', 'reserve', 'out'), e('reserve', 'notify', 'ok'), e('notify', 'end', 'ok'), e('reserve', 'hold', 'insufficient'), e('hold', 'end', 'ok')],
    };
    expect(diffGraphs(v1, v2)).toEqual({
      addedNodes: ['notify'], removedNodes: [],
      changedNodes: [{ id: 'hold', type: true, config: false }, { id: 'end', type: false, config: true }],
      addedEdges: ['reserve-ok-notify', 'notify-ok-end'], removedEdges: ['reserve-ok-end'],
    });
    const v3: Graph = { nodes: v1.nodes.filter((x) => x.id !== 'hold'), edges: v1.edges.filter((x) => x.source !== 'hold' && x.target !== 'hold') };
    expect(diffGraphs(v1, v3)).toMatchObject({ removedNodes: ['hold'], removedEdges: ['reserve-insufficient-hold', 'hold-ok-end'], addedNodes: [], changedNodes: [] });
  });

  it('puts removed parts back for display, edges only where both ends are drawn', () => {
    const v3: Graph = { nodes: v1.nodes.filter((x) => x.id !== 'hold'), edges: v1.edges.filter((x) => x.source !== 'hold' && x.target !== 'hold') };
    const shown = overlayRemoved(v1, v3);
    expect(shown.nodes.map((x) => x.id)).toEqual(['t', 'reserve', 'end', 'hold']);
    expect(shown.edges.map((x) => x.id)).toEqual(['t-out-reserve', 'reserve-ok-end', 'removed:reserve-insufficient-hold', 'removed:hold-ok-end']);
  });

  it('serialises objects with sorted keys', () => {
    expect(stableJson({ b: 1, a: [{ d: 1, c: 2 }], u: undefined })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
