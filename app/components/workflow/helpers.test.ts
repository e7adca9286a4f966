import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../workflows/graph.ts';
import { cssString, diffCss, initials, nodeLabel } from './helpers.ts';

describe('initials', () => {
  it('takes the first letter of the first two words, upper-cased', () => {
    expect(initials('Olivia Ops')).toBe('OO');
    expect(initials('ada lovelace byron')).toBe('AL');
    expect(initials('  Alex  ')).toBe('A');
  });

  it('keeps a letter outside the BMP whole, and falls back to ? for no name', () => {
    expect(initials('𝒜lice Smith')).toBe('𝒜S');
    expect(initials('王 小明')).toBe('王小');
    expect(initials('')).toBe('?');
    expect(initials('   ')).toBe('?');
  });
});

describe('nodeLabel', () => {
  const g: Graph = {
    nodes: [
      { id: 'a', type: 'control.trigger', position: { x: 0, y: 0 }, data: { label: 'Start' } },
      { id: 'b', type: 'control.end', position: { x: 0, y: 0 }, data: { label: '' } },
    ],
    edges: [],
  };
  it('is the label, else the id', () => {
    expect(nodeLabel(g, 'a')).toBe('Start');
    expect(nodeLabel(g, 'b')).toBe('b');
    expect(nodeLabel(g, 'gone')).toBe('gone');
  });
});

describe('cssString', () => {
  it('quotes, escapes quotes and backslashes, flattens line breaks and keeps <style> closed', () => {
    expect(cssString('plain')).toBe('"plain"');
    expect(cssString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(cssString('one\ntwo\r')).toBe('"one two "');
    expect(cssString('</style><script>')).toBe('"\\3c /style>\\3c script>"');
  });
});

describe('diffCss', () => {
  it('writes nothing when nothing differs', () => {
    expect(diffCss({ addedNodes: [], removedNodes: [], changedNodes: [], addedEdges: [], removedEdges: [] })).toBe('');
  });

  it('writes one rule per kind of change, for nodes by data-id and edges by test id', () => {
    const css = diffCss({
      addedNodes: ['new', 'x"y'],
      removedNodes: ['old'],
      changedNodes: [{ id: 'hold', type: false, config: true }],
      addedEdges: ['e1'],
      removedEdges: ['e0'],
    });
    expect(css.split('\n')).toEqual([
      '.diff-view .react-flow__node[data-id="new"] .flow-node,.diff-view .react-flow__node[data-id="x\\"y"] .flow-node { box-shadow: 0 0 0 3px #16a34a; }',
      '.diff-view .react-flow__node[data-id="hold"] .flow-node { box-shadow: 0 0 0 3px #f59e0b; }',
      '.diff-view .react-flow__node[data-id="old"] .flow-node { opacity: 0.4; filter: grayscale(1); border-style: dashed; }',
      '.diff-view [data-testid="rf__edge-e1"] path { stroke: #16a34a !important; stroke-width: 2.5; }',
      '.diff-view [data-testid="rf__edge-removed:e0"] path { stroke: #9ca3af !important; stroke-dasharray: 4 4; opacity: 0.6; }',
    ]);
  });
});
