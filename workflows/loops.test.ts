import { describe, expect, it } from 'vitest';
import { findLoops } from './loops.ts';

/** Loops of a graph given as {node: [successors]}, walked from the first node. */
const loopsOf = (graph: Record<string, string[]>) => findLoops(Object.keys(graph)[0], (id) => graph[id] ?? []);
const members = (graph: Record<string, string[]>) => loopsOf(graph).loops.map((l) => ({ head: l.head, nodes: [...l.nodes].sort() }));

describe('findLoops', () => {
  it('finds none in a graph without cycles, branches and merges included', () => {
    const l = loopsOf({ t: ['s'], s: ['a', 'b'], a: ['j'], b: ['j'], j: [] });
    expect(l.loops).toEqual([]);
    expect(l.of('a')).toEqual([]);
    expect(l.isBack('a', 'j')).toBe(false);
    expect(l.leaves('a', 'j')).toBeUndefined();
  });

  it('finds a loop by its way back, with its head, members, exit and nothing from before or after it', () => {
    const g = {
      t: ['split'],
      split: ['check', 'other'],
      check: ['again'],
      again: ['pause', 'exit'],
      pause: ['check'],
      exit: ['join'],
      other: ['join'],
      join: [],
    };
    const l = loopsOf(g);
    expect(members(g)).toEqual([{ head: 'check', nodes: ['again', 'check', 'pause'] }]);
    expect(l.isBack('pause', 'check')).toBe(true);
    expect(l.isBack('split', 'check')).toBe(false);
    expect(l.leaves('again', 'exit')).toBe(0);
    expect(l.leaves('again', 'pause')).toBeUndefined();
    expect(l.leaves('split', 'check')).toBeUndefined();
    expect(l.of('exit')).toEqual([]);
  });

  it('keeps a loop inside another apart, outer first, and an edge leaving both leaves the outer one', () => {
    const g = { t: ['H'], H: ['h'], h: ['c'], c: ['d', 'o', 'out'], d: ['h'], o: ['r', 'done'], r: ['H'], out: [], done: [] };
    const l = loopsOf(g);
    expect(members(g)).toEqual([
      { head: 'H', nodes: ['H', 'c', 'd', 'h', 'o', 'r'] },
      { head: 'h', nodes: ['c', 'd', 'h'] },
    ]);
    expect(l.of('c')).toEqual([0, 1]);
    expect(l.leaves('c', 'o')).toBe(1);
    expect(l.leaves('c', 'out')).toBe(0);
    expect(l.leaves('o', 'done')).toBe(0);
  });

  it('merges ways back to one head, and counts a step looping on itself', () => {
    const g = { t: ['a'], a: ['b', 'c', 'a'], b: ['a'], c: ['a', 'x'], x: [] };
    expect(members(g)).toEqual([{ head: 'a', nodes: ['a', 'b', 'c'] }]);
    expect(loopsOf(g).isBack('a', 'a')).toBe(true);
  });

  it('leaves out what only leads into the loop from a second way in', () => {
    // b enters the cycle h → u → h past its head: it reaches u, but the head does not reach b.
    const g = { t: ['h', 'b'], h: ['u'], b: ['u'], u: ['h'] };
    expect(members(g)).toEqual([{ head: 'h', nodes: ['h', 'u'] }]);
  });
});
