import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../workflows/graph.ts';
import type { StockOption } from '../inventory/routing.ts';
import { simulate } from './simulate.ts';

const n = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, position: { x: 0, y: 0 }, data: { config } });
const e = (source: string, target: string, sourceHandle?: string) => ({ id: `${source}-${sourceHandle ?? ''}-${target}`, source, target, sourceHandle });

const order: Graph = {
  nodes: [
    n('t', 'control.trigger', { event: 'order.created' }),
    n('validate', 'orders.validate'),
    n('approve', 'control.human', { title: 'Approve held order', roles: ['ops_manager'], timeout: '2d' }),
    n('reserve', 'orders.reserve'),
    n('paid', 'control.condition', { expression: "status = 'paid'" }),
    n('method', 'control.switch', { expression: 'paymentMethod', cases: [{ value: 'test-card', handle: 'card' }] }),
    n('auth', 'payments.authorise'),
    n('wait', 'control.signal', { signal: 'payment_confirmed' }),
    n('route', 'orders.route'),
    n('cancel', 'orders.cancel'),
    n('end', 'control.end'),
    n('end_cancelled', 'control.end', { result: 'complete', message: 'Cancelled' }),
  ],
  edges: [
    e('t', 'validate', 'out'),
    e('validate', 'reserve', 'ok'),
    e('validate', 'approve', 'hold'),
    e('approve', 'reserve', 'approved'),
    e('approve', 'cancel', 'rejected'),
    e('reserve', 'paid', 'ok'),
    e('reserve', 'cancel', 'insufficient'),
    e('paid', 'route', 'true'),
    e('paid', 'method', 'false'),
    e('method', 'auth', 'card'),
    e('method', 'wait', 'default'),
    e('auth', 'route', 'ok'),
    e('auth', 'cancel', 'declined'),
    e('wait', 'route', 'received'),
    e('wait', 'cancel', 'timeout'),
    e('route', 'end', 'ok'),
    e('cancel', 'end_cancelled', 'ok'),
  ],
};

const stock: StockOption[] = [
  { levelId: 1, warehouseId: 1, warehouseCode: 'LON', location: { lat: 51.5, lng: -0.12 }, productId: 10, sku: 'MUG', atp: 5 },
  { levelId: 2, warehouseId: 2, warehouseCode: 'MAN', location: { lat: 53.48, lng: -2.24 }, productId: 10, sku: 'MUG', atp: 1 },
  { levelId: 3, warehouseId: 2, warehouseCode: 'MAN', location: { lat: 53.48, lng: -2.24 }, productId: 11, sku: 'TEE', atp: 4 },
];

describe('simulate', () => {
  it('follows conditions and switches over the payload and routes from the stock given', async () => {
    const sim = await simulate(
      order,
      { status: 'pending', paymentMethod: 'test-card', lines: [{ sku: 'MUG', quantity: 2 }], shippingAddress: { lat: 51.4, lng: -0.1 } },
      { stock },
    );
    expect(sim.path).toEqual(['t', 'validate', 'reserve', 'paid', 'method', 'auth', 'route', 'end']);
    expect(sim.stopped).toBe('end');
    expect(sim.end).toEqual({ nodeId: 'end', result: 'complete', message: null });
    expect(sim.routing[0]).toMatchObject({ nodeId: 'reserve', ok: true, warehouses: ['LON'], shipments: 1, policy: 'nearest_full' });
    expect(sim.approvals).toEqual([]);
  });

  it('splits an order over warehouses when no single one has everything', async () => {
    const sim = await simulate(
      order,
      {
        status: 'paid',
        lines: [
          { sku: 'MUG', quantity: 1 },
          { sku: 'TEE', quantity: 2 },
        ],
      },
      { stock, destination: { lat: 51.5, lng: -0.1 } },
    );
    expect(sim.routing[0]).toMatchObject({ ok: true, warehouses: ['MAN'], shipments: 1 });
    const split = await simulate(
      order,
      {
        status: 'paid',
        lines: [
          { sku: 'MUG', quantity: 6 },
          { sku: 'TEE', quantity: 1 },
        ],
      },
      { stock, destination: { lat: 51.5, lng: -0.1 } },
    );
    expect(split.routing[0]).toMatchObject({ ok: true, policy: 'fewest_warehouses', shipments: 2 });
    expect(split.routing[0].warehouses.sort()).toEqual(['LON', 'MAN']);
    expect(split.path).toEqual(['t', 'validate', 'reserve', 'paid', 'route', 'end']);
  });

  it('takes the out-of-stock exit when the stock cannot cover the order', async () => {
    const sim = await simulate(order, { status: 'paid', lines: [{ sku: 'MUG', quantity: 50 }] }, { stock });
    expect(sim.path).toEqual(['t', 'validate', 'reserve', 'cancel', 'end_cancelled']);
    expect(sim.routing[0]).toMatchObject({ ok: false, shortages: [{ sku: 'MUG', requested: 50, available: 6 }] });
    expect(sim.end?.message).toBe('Cancelled');
  });

  it('lists approvals asked, approved by default or rejected when told', async () => {
    const held: Graph = {
      ...order,
      edges: order.edges.map((x) => (x.source === 'validate' ? { ...x, sourceHandle: x.sourceHandle === 'ok' ? 'hold' : 'ok' } : x)),
    };
    const yes = await simulate(held, { status: 'paid' });
    expect(yes.approvals).toEqual([{ nodeId: 'approve', title: 'Approve held order', roles: ['ops_manager'], decision: 'approved' }]);
    expect(yes.path).toEqual(['t', 'validate', 'approve', 'reserve', 'paid', 'route', 'end']);
    expect(yes.routing[0]).toMatchObject({ ok: true, assumed: true });
    const no = await simulate(held, { status: 'paid' }, { approve: false });
    expect(no.path).toEqual(['t', 'validate', 'approve', 'cancel', 'end_cancelled']);
  });

  it('assumes signals arrive unless told otherwise', async () => {
    expect((await simulate(order, { status: 'pending', paymentMethod: 'cash' })).path).toContain('wait');
    const late = await simulate(order, { status: 'pending', paymentMethod: 'cash' }, { signalsReceived: false });
    expect(late.signals).toEqual([{ nodeId: 'wait', signal: 'payment_confirmed', received: false }]);
    expect(late.path.slice(-2)).toEqual(['cancel', 'end_cancelled']);
  });

  it('walks both branches of a split and passes a join once', async () => {
    const g: Graph = {
      nodes: [
        n('t', 'control.trigger', { event: 'manual' }),
        n('s', 'control.split', { branches: ['a', 'b'] }),
        n('da', 'control.delay', { duration: '1m' }),
        n('db', 'control.delay', { duration: '2m' }),
        n('j', 'control.join'),
        n('end', 'control.end'),
      ],
      edges: [e('t', 's', 'out'), e('s', 'da', 'a'), e('s', 'db', 'b'), e('da', 'j', 'out'), e('db', 'j', 'out'), e('j', 'end', 'out')],
    };
    expect((await simulate(g, {})).path).toEqual(['t', 's', 'da', 'db', 'j', 'end']);
  });

  it('stops after 200 steps in a loop, and reports failing expressions without throwing', async () => {
    const g: Graph = {
      nodes: [
        n('t', 'control.trigger', { event: 'manual' }),
        n('c', 'control.condition', { expression: '$number("x")' }),
        n('d', 'control.delay', { duration: '1m' }),
      ],
      edges: [e('t', 'c', 'out'), e('c', 'd', 'false'), e('c', 'd', 'true'), e('d', 'c', 'out')],
    };
    const sim = await simulate(g, {});
    expect(sim.stopped).toBe('max_steps');
    expect(sim.path).toHaveLength(200);
    expect(sim.problems.length).toBeGreaterThan(0);
    expect((await simulate({ nodes: [], edges: [] }, {})).stopped).toBe('no_trigger');
  });

  it('reports a dead end when an exit is not wired', async () => {
    const g: Graph = { nodes: [n('t', 'control.trigger', { event: 'manual' }), n('r', 'orders.route')], edges: [e('t', 'r', 'out')] };
    const sim = await simulate(g, {});
    expect(sim).toMatchObject({ path: ['t', 'r'], stopped: 'dead_end', end: null });
  });
});
