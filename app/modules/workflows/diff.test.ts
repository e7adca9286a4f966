import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../workflows/graph.ts';
import { diffGraphs, mergeGraphs, overlayRemoved, stableJson } from './diff.ts';

const n = (id: string, type: string, config: Record<string, unknown> = {}, x = 0) => ({ id, type, position: { x, y: 0 }, data: { config } });
const e = (source: string, target: string, sourceHandle?: string, id = `${source}-${sourceHandle ?? ''}-${target}`) => ({ id, source, target, sourceHandle });

const v1: Graph = {
  nodes: [
    n('t', 'control.trigger', { event: 'order.created' }),
    n('reserve', 'orders.reserve'),
    n('hold', 'orders.hold', { reason: 'review' }),
    n('end', 'control.end'),
  ],
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
      nodes: [
        n('t', 'control.trigger', { event: 'order.created' }),
        n('reserve', 'orders.reserve'),
        n('hold', 'orders.cancel', { reason: 'review' }),
        n('notify', 'notifications.alert', { message: 'x', severity: 'info' }),
        n('end', 'control.end', { result: 'fail' }),
      ],
      edges: [e('t', 'reserve', 'out'), e('reserve', 'notify', 'ok'), e('notify', 'end', 'ok'), e('reserve', 'hold', 'insufficient'), e('hold', 'end', 'ok')],
    };
    expect(diffGraphs(v1, v2)).toEqual({
      addedNodes: ['notify'],
      removedNodes: [],
      changedNodes: [
        { id: 'hold', type: true, config: false },
        { id: 'end', type: false, config: true },
      ],
      addedEdges: ['reserve-ok-notify', 'notify-ok-end'],
      removedEdges: ['reserve-ok-end'],
    });
    const v3: Graph = { nodes: v1.nodes.filter((x) => x.id !== 'hold'), edges: v1.edges.filter((x) => x.source !== 'hold' && x.target !== 'hold') };
    expect(diffGraphs(v1, v3)).toMatchObject({
      removedNodes: ['hold'],
      removedEdges: ['reserve-insufficient-hold', 'hold-ok-end'],
      addedNodes: [],
      changedNodes: [],
    });
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

describe('mergeGraphs', () => {
  const ids = (g: Graph) => ({ nodes: g.nodes.map((x) => x.id).sort(), edges: g.edges.map((x) => `${x.source}>${x.sourceHandle ?? ''}>${x.target}`).sort() });

  it('lays my changes on top of theirs when they touch different parts', () => {
    // They renamed "hold" and added a notification after reserve; I moved "end", changed its result and dropped the hold branch's exit.
    const theirs: Graph = {
      nodes: [
        ...v1.nodes.map((x) => (x.id === 'hold' ? { ...x, data: { ...x.data, label: 'Hold for review' } } : x)),
        n('notify', 'notifications.alert', { message: 'x' }),
      ],
      edges: [...v1.edges.filter((x) => x.id !== 'reserve-ok-end'), e('reserve', 'notify', 'ok'), e('notify', 'end', 'ok')],
    };
    const mine: Graph = {
      nodes: [
        ...v1.nodes.map((x) => (x.id === 'end' ? { ...x, position: { x: 300, y: 300 }, data: { config: { result: 'complete' } } } : x)),
        n('delay', 'control.delay', { duration: '1h' }),
      ],
      edges: [...v1.edges, e('delay', 'end', 'out')],
    };
    const { graph, conflicts } = mergeGraphs(v1, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(ids(graph)).toEqual({
      nodes: ['delay', 'end', 'hold', 'notify', 'reserve', 't'],
      edges: ['delay>out>end', 'hold>ok>end', 'notify>ok>end', 'reserve>insufficient>hold', 'reserve>ok>notify', 't>out>reserve'],
    });
    expect(graph.nodes.find((x) => x.id === 'hold')!.data.label).toBe('Hold for review');
    expect(graph.nodes.find((x) => x.id === 'end')).toMatchObject({ position: { x: 300, y: 300 }, data: { config: { result: 'complete' } } });
  });

  it('applies my deletions, with the deleted node edges, unless they changed that node', () => {
    const mine: Graph = { nodes: v1.nodes.filter((x) => x.id !== 'hold' && x.id !== 'end'), edges: v1.edges.filter((x) => x.id === 't-out-reserve') };
    const theirs: Graph = { nodes: v1.nodes.map((x) => (x.id === 'end' ? { ...x, data: { config: { result: 'fail' } } } : x)), edges: v1.edges };
    const { graph, conflicts } = mergeGraphs(v1, mine, theirs);
    expect(conflicts).toEqual(['end']);
    // "end" stays (they changed it); the connections I removed stay removed.
    expect(ids(graph)).toEqual({ nodes: ['end', 'reserve', 't'], edges: ['t>out>reserve'] });
  });

  it('keeps mine where both changed one node, and reports it', () => {
    const change = (config: Record<string, unknown>): Graph => ({
      nodes: v1.nodes.map((x) => (x.id === 'hold' ? { ...x, data: { config } } : x)),
      edges: v1.edges,
    });
    const same = mergeGraphs(v1, change({ reason: 'fraud' }), change({ reason: 'fraud' }));
    expect(same.conflicts).toEqual([]);
    const { graph, conflicts } = mergeGraphs(v1, change({ reason: 'mine' }), change({ reason: 'theirs' }));
    expect(conflicts).toEqual(['hold']);
    expect(graph.nodes.find((x) => x.id === 'hold')!.data.config).toEqual({ reason: 'mine' });
    // A node they deleted that I changed comes back.
    const gone: Graph = { nodes: v1.nodes.filter((x) => x.id !== 'hold'), edges: v1.edges.filter((x) => x.source !== 'hold' && x.target !== 'hold') };
    const back = mergeGraphs(v1, change({ reason: 'mine' }), gone);
    expect(back.conflicts).toEqual(['hold']);
    expect(ids(back.graph).nodes).toContain('hold');
  });

  it('gives an edge id used by both sides for different connections a fresh id', () => {
    const mine: Graph = { nodes: v1.nodes, edges: [...v1.edges, e('hold', 'reserve', 'ok', 'x1')] };
    const theirs: Graph = { nodes: v1.nodes, edges: [...v1.edges, e('t', 'end', 'out', 'x1')] };
    const { graph } = mergeGraphs(v1, mine, theirs);
    expect(
      graph.edges
        .filter((x) => x.id.startsWith('x1'))
        .map((x) => x.id)
        .sort(),
    ).toEqual(['x1', 'x1_2']);
  });
});
