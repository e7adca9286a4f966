import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../workflows/graph.ts';
import { compileGraph } from './compile.server.ts';
import { validateGraph } from './validate.ts';

const n = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, position: { x: 0, y: 0 }, data: { config } });
const e = (source: string, target: string, sourceHandle?: string) => ({ id: `${source}-${sourceHandle ?? ''}-${target}`, source, target, sourceHandle });

const good: Graph = {
  nodes: [
    n('t', 'control.trigger', { event: 'order.created' }),
    n('reserve', 'orders.reserve'),
    n('c', 'control.condition', { expression: "paymentMethod = 'test-card'" }),
    n('auth', 'payments.authorise'),
    n('cancel', 'orders.cancel'),
    n('end', 'control.end'),
  ],
  edges: [
    e('t', 'reserve', 'out'),
    e('reserve', 'c', 'ok'),
    e('reserve', 'cancel', 'insufficient'),
    e('c', 'auth', 'true'),
    e('c', 'end', 'false'),
    e('auth', 'end', 'ok'),
    e('auth', 'cancel', 'declined'),
    e('cancel', 'end', 'ok'),
  ],
};
const codes = (g: Graph) =>
  validateGraph(g)
    .map((x) => `${x.code}${x.nodeId ? `@${x.nodeId}` : ''}${x.params?.handle ? `:${x.params.handle}` : ''}`)
    .sort();

describe('validateGraph', () => {
  it('accepts a well-formed flow', () => expect(validateGraph(good)).toEqual([]));

  it('wants exactly one trigger', () => {
    expect(codes({ nodes: good.nodes.filter((x) => x.id !== 't'), edges: good.edges.filter((x) => x.source !== 't') })).toContain('no_trigger');
    expect(codes({ ...good, nodes: [...good.nodes, n('t2', 'control.trigger', { event: 'manual' })] })).toContain('many_triggers@t2');
  });

  it('finds unreachable nodes, unwired handles, unknown types and bad configs by node id', () => {
    const g: Graph = {
      nodes: [...good.nodes, n('lost', 'orders.route'), n('x', 'no.such'), n('d', 'control.delay', { duration: 'soon' })],
      edges: good.edges.filter((x) => x.id !== 'auth--cancel' && !(x.source === 'auth' && x.sourceHandle === 'declined')),
    };
    const found = codes(g);
    expect(found).toEqual(
      expect.arrayContaining([
        'unreachable@lost',
        'unreachable@x',
        'unknown_type@x',
        'invalid_config@d',
        'unwired_handle@auth:declined',
        'unwired_handle@lost:ok',
      ]),
    );
  });

  it('checks expressions parse', () => {
    const g = structuredClone(good);
    g.nodes[2].data.config = { expression: 'total >' };
    expect(validateGraph(g)).toEqual([expect.objectContaining({ code: 'bad_expression', nodeId: 'c', field: 'expression' })]);
  });

  it('wants joins fed by branches of one split', () => {
    const split: Graph = {
      nodes: [
        n('t', 'control.trigger', { event: 'manual' }),
        n('s', 'control.split', { branches: ['a', 'b'] }),
        n('A', 'orders.route'),
        n('B', 'notifications.email', { template: 'order_shipped' }),
        n('j', 'control.join'),
        n('end', 'control.end'),
      ],
      edges: [e('t', 's', 'out'), e('s', 'A', 'a'), e('s', 'B', 'b'), e('A', 'j', 'ok'), e('B', 'j', 'ok'), e('j', 'end', 'out')],
    };
    expect(validateGraph(split)).toEqual([]);
    const noSplit: Graph = {
      nodes: [n('t', 'control.trigger', { event: 'manual' }), n('A', 'orders.route'), n('j', 'control.join'), n('end', 'control.end')],
      edges: [e('t', 'A', 'out'), e('A', 'j', 'ok'), e('j', 'end', 'out')],
    };
    expect(codes(noSplit)).toContain('join_without_split@j');
  });

  it('refuses a cycle without a delay, signal or human task in it', () => {
    const loop: Graph = {
      nodes: [n('t', 'control.trigger', { event: 'manual' }), n('check', 'inventory.checkAtp'), n('end', 'control.end')],
      edges: [e('t', 'check', 'out'), e('check', 'check', 'low'), e('check', 'end', 'ok')],
    };
    expect(codes(loop)).toContain('unguarded_cycle@check');
    const guarded: Graph = {
      nodes: [...loop.nodes, n('wait', 'control.delay', { duration: '1h' })],
      edges: [e('t', 'check', 'out'), e('check', 'wait', 'low'), e('wait', 'check', 'out'), e('check', 'end', 'ok')],
    };
    expect(validateGraph(guarded)).toEqual([]);
    // A loop inside the guarded one that never waits spins as much.
    const inner: Graph = {
      nodes: [...guarded.nodes, n('recheck', 'control.condition', { expression: 'true' })],
      edges: [
        ...guarded.edges.filter((x) => x.id !== 'check-ok-end'),
        e('check', 'recheck', 'ok'),
        e('recheck', 'check', 'true'),
        e('recheck', 'end', 'false'),
      ],
    };
    expect(codes(inner)).toEqual(['unguarded_cycle@check']);
  });

  it('wants a join inside a loop to wait only for branches from inside it', () => {
    // split → (loop: check → wait → again → check | exit → join) and other → join: a join after a loop is fine.
    const nodes = [
      n('t', 'control.trigger', { event: 'manual' }),
      n('s', 'control.split', { branches: ['a', 'b'] }),
      n('check', 'inventory.checkAtp'),
      n('wait', 'control.delay', { duration: '1h' }),
      n('other', 'orders.route'),
      n('j', 'control.join'),
      n('end', 'control.end'),
    ];
    const after: Graph = {
      nodes,
      edges: [
        e('t', 's', 'out'),
        e('s', 'check', 'a'),
        e('s', 'other', 'b'),
        e('check', 'wait', 'low'),
        e('wait', 'check', 'out'),
        e('check', 'j', 'ok'),
        e('other', 'j', 'ok'),
        e('j', 'end', 'out'),
      ],
    };
    expect(validateGraph(after)).toEqual([]);
    // The loop goes back through the join: the branches come once, the way back every time round.
    const through: Graph = {
      nodes,
      edges: [
        e('t', 's', 'out'),
        e('s', 'check', 'a'),
        e('s', 'other', 'b'),
        e('check', 'j', 'low'),
        e('other', 'j', 'ok'),
        e('j', 'wait', 'out'),
        e('wait', 'check', 'out'),
        e('check', 'end', 'ok'),
      ],
    };
    expect(codes(through)).toEqual(['join_in_loop_entry@j']);
  });

  it('refuses a branch of a split inside a loop that leaves the loop into a join, naming the join and the split', () => {
    const t = n('t', 'control.trigger', { event: 'manual' });
    const end = n('end', 'control.end');
    const wait = n('wait', 'control.delay', { duration: '1h' });
    const route = n('route', 'orders.route');
    const notify = n('notify', 'notifications.email', { template: 'order_shipped' });
    const again = n('again', 'control.condition', { expression: 'true' });
    // s0 → (check → s → (wait → check | route → j)) and other → j: route brings j a token every time round.
    const outer: Graph = {
      nodes: [
        t,
        n('s0', 'control.split', { branches: ['a', 'b'] }),
        n('check', 'inventory.checkAtp'),
        n('s', 'control.split', { branches: ['x', 'y'] }),
        wait,
        route,
        n('other', 'orders.hold'),
        n('j', 'control.join'),
        end,
      ],
      edges: [
        e('t', 's0', 'out'),
        e('s0', 'check', 'a'),
        e('s0', 'other', 'b'),
        e('check', 's', 'low'),
        e('check', 'j', 'ok'),
        e('s', 'wait', 'x'),
        e('wait', 'check', 'out'),
        e('s', 'route', 'y'),
        e('route', 'j', 'ok'),
        e('other', 'j', 'ok'),
        e('j', 'end', 'out'),
      ],
    };
    expect(validateGraph(outer)).toEqual([{ code: 'join_fed_from_loop_iteration', nodeId: 'j', params: { split: 's' } }]);
    // The branch may lead straight from the split to the join.
    const straight: Graph = {
      nodes: outer.nodes.filter((x) => x.id !== 'route'),
      edges: [...outer.edges.filter((x) => x.source !== 'route' && x.target !== 'route'), e('s', 'j', 'y')],
    };
    expect(codes(straight)).toEqual(['join_fed_from_loop_iteration@j']);
    // Both branches of the split reach the join, one of them only once it has gone round: still every time round.
    const bothOut: Graph = {
      nodes: [t, n('s', 'control.split', { branches: ['x', 'y'] }), route, again, wait, n('j', 'control.join'), end],
      edges: [
        e('t', 's', 'out'),
        e('s', 'route', 'x'),
        e('s', 'again', 'y'),
        e('again', 'wait', 'true'),
        e('wait', 's', 'out'),
        e('again', 'j', 'false'),
        e('route', 'j', 'ok'),
        e('j', 'end', 'out'),
      ],
    };
    expect(codes(bothOut)).toEqual(['join_fed_from_loop_iteration@j']);
    // Two branches meet inside the loop, but a third goes round without them: what leaves after the meeting leaves every time round.
    const partial: Graph = {
      nodes: [
        t,
        n('s0', 'control.split', { branches: ['a', 'b'] }),
        n('s', 'control.split', { branches: ['x', 'y', 'z'] }),
        route,
        notify,
        wait,
        n('inner', 'control.join'),
        n('other', 'orders.hold'),
        n('j', 'control.join'),
        end,
      ],
      edges: [
        e('t', 's0', 'out'),
        e('s0', 's', 'a'),
        e('s0', 'other', 'b'),
        e('s', 'route', 'x'),
        e('s', 'notify', 'y'),
        e('s', 'wait', 'z'),
        e('wait', 's', 'out'),
        e('route', 'inner', 'ok'),
        e('notify', 'inner', 'ok'),
        e('inner', 'j', 'out'),
        e('other', 'j', 'ok'),
        e('j', 'end', 'out'),
      ],
    };
    expect(codes(partial)).toEqual(['join_fed_from_loop_iteration@j']);
  });

  it('accepts a split and its join inside a loop, and a loop whose exit meets another branch of an outer split', () => {
    // s0 → (loop: check → s → (route, notify) → inner → wait → check | check ok → j) and other → j.
    const g: Graph = {
      nodes: [
        n('t', 'control.trigger', { event: 'manual' }),
        n('s0', 'control.split', { branches: ['a', 'b'] }),
        n('check', 'inventory.checkAtp'),
        n('s', 'control.split', { branches: ['x', 'y'] }),
        n('route', 'orders.route'),
        n('notify', 'notifications.email', { template: 'order_shipped' }),
        n('inner', 'control.join'),
        n('wait', 'control.delay', { duration: '1h' }),
        n('other', 'orders.hold'),
        n('j', 'control.join'),
        n('end', 'control.end'),
      ],
      edges: [
        e('t', 's0', 'out'),
        e('s0', 'check', 'a'),
        e('s0', 'other', 'b'),
        e('check', 's', 'low'),
        e('check', 'j', 'ok'),
        e('s', 'route', 'x'),
        e('s', 'notify', 'y'),
        e('route', 'inner', 'ok'),
        e('notify', 'inner', 'ok'),
        e('inner', 'wait', 'out'),
        e('wait', 'check', 'out'),
        e('other', 'j', 'ok'),
        e('j', 'end', 'out'),
      ],
    };
    expect(validateGraph(g)).toEqual([]);
    // The same with a condition after the inner join choosing between going round and leaving.
    const chosen: Graph = {
      nodes: [...g.nodes, n('again', 'control.condition', { expression: 'true' })],
      edges: [...g.edges.filter((x) => x.source !== 'inner'), e('inner', 'again', 'out'), e('again', 'wait', 'true'), e('again', 'j', 'false')],
    };
    expect(validateGraph(chosen)).toEqual([]);
  });
});

describe('compileGraph', () => {
  it('compiles to a plan with handles, compensations and a stable hash', () => {
    const r = compileGraph(good);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.plan.trigger).toBe('t');
    expect(r.plan.nodes.reserve).toMatchObject({
      kind: 'activity',
      activity: 'orders.reserve',
      compensation: 'orders.release',
      next: { ok: ['c'], insufficient: ['cancel'] },
    });
    expect(r.plan.nodes.end.incoming).toBe(3);
    const moved = { ...good, nodes: good.nodes.map((x) => ({ ...x, position: { x: 99, y: 99 } })) };
    expect((compileGraph(moved) as { plan: { hash: string } }).plan.hash).toBe(r.plan.hash);
  });

  it('marks the steps whose node types are local, and only those', () => {
    const r = compileGraph(good);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.plan.nodes.reserve.local).toBe(true);
    expect('local' in r.plan.nodes.auth).toBe(false);
    expect('local' in r.plan.nodes.cancel).toBe(false);
    expect('local' in r.plan.nodes.c).toBe(false);
  });

  it('refuses an invalid graph with every error', () => {
    const r = compileGraph({ nodes: [n('x', 'orders.route')], edges: [] });
    expect(r.ok).toBe(false);
  });

  it('pins the pick step’s method: the warehouse default unless the step names one', () => {
    const withPick = (config: Record<string, unknown>): Graph => ({
      nodes: [n('t', 'control.trigger', { event: 'order.created' }), n('pick', 'fulfilment.pickList', config), n('end', 'control.end')],
      edges: [e('t', 'pick', 'out'), e('pick', 'end', 'ok')],
    });
    const method = (config: Record<string, unknown>) => {
      const r = compileGraph(withPick(config));
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.plan.nodes.pick.config.method;
    };
    expect(method({})).toBe('warehouse_default');
    expect(method({ method: 'warehouse_default' })).toBe('warehouse_default');
    for (const m of ['single', 'batch', 'zone', 'wave']) expect(method({ method: m })).toBe(m);
    expect(validateGraph(withPick({ method: 'fastest' }))).toEqual([expect.objectContaining({ code: 'invalid_config', nodeId: 'pick', field: 'method' })]);
  });
});
