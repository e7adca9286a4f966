import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { connectSocket } from '../support/socket.ts';
import { placeApiOrder } from '../support/orders.ts';
import { refreshDirtyMinutes } from '../../app/modules/analytics/rollups.server.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
});
afterAll(async () => {
  await app?.stop();
});

interface LiveEvent {
  id: number;
  topic: string;
  type: string;
  payload: Record<string, unknown>;
}

const connect = (role: string | null) => connectSocket(app, role);

const subscribe = (s: Socket, topics: string[], since?: number) =>
  s.emitWithAck('subscribe', { topics, since }) as Promise<{ joined: string[]; denied: string[]; missed: LiveEvent[] }>;

/** Commits an outbox row on a connection of its own, as the worker process would. */
async function commitEvent(topic: string, type: string, payload: Record<string, unknown>): Promise<number> {
  const c = new pg.Client({ connectionString: app.db.url });
  await c.connect();
  try {
    await c.query('begin');
    const { rows } = await c.query(`insert into outbox_event (topic, type, payload, created_at) values ($1, $2, $3, now()) returning id`, [
      topic,
      type,
      payload,
    ]);
    await c.query('commit');
    return Number(rows[0].id);
  } finally {
    await c.end();
  }
}

const nextEvent = (s: Socket, ms = 5000) =>
  new Promise<LiveEvent>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no event within timeout')), ms);
    s.once('event', (e: LiveEvent) => {
      clearTimeout(timer);
      resolve(e);
    });
  });

describe('live channel', () => {
  it('refuses a socket without a session', async () => {
    await expect(connect(null)).rejects.toThrow(/unauthenticated/);
  });

  it('joins only the rooms the role may see', async () => {
    const s = await connect('warehouse');
    const r = await subscribe(s, ['inventory', 'fulfilment', 'audit', 'service', 'bogus']);
    expect(r.joined).toEqual(['inventory', 'fulfilment']);
    expect(r.denied).toEqual(['audit', 'service', 'bogus']);
    s.close();
  });

  it('delivers events committed by another process, only to subscribed rooms', async () => {
    const ops = await connect('ops_manager');
    const warehouse = await connect('warehouse');
    await subscribe(ops, ['orders']);
    await subscribe(warehouse, ['inventory']);
    const received = nextEvent(ops);
    let leaked = false;
    warehouse.on('event', () => {
      leaked = true;
    });
    const id = await commitEvent('orders', 'order.created', { number: 'SO-1' });
    expect(await received).toMatchObject({ id, topic: 'orders', type: 'order.created', payload: { number: 'SO-1' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(leaked).toBe(false);
    ops.close();
    warehouse.close();
  });

  it('does not deliver a rolled-back event', async () => {
    const s = await connect('admin');
    await subscribe(s, ['orders']);
    const c = new pg.Client({ connectionString: app.db.url });
    await c.connect();
    await c.query('begin');
    await c.query(`insert into outbox_event (topic, type, payload, created_at) values ('orders', 'order.ghost', '{}', now())`);
    await c.query('rollback');
    await c.end();
    await expect(nextEvent(s, 700)).rejects.toThrow(/no event/);
    s.close();
  });

  it('catches up on what was missed while disconnected', async () => {
    const s1 = await connect('agent');
    await subscribe(s1, ['orders']);
    const first = nextEvent(s1);
    const lastSeen = await commitEvent('orders', 'order.updated', { n: 1 });
    expect((await first).id).toBe(lastSeen);
    s1.close();
    const missed1 = await commitEvent('orders', 'order.updated', { n: 2 });
    await commitEvent('inventory', 'stock.low', { sku: 'X' }); // another topic: not for this tab
    const missed2 = await commitEvent('orders', 'order.updated', { n: 3 });
    const s2 = await connect('agent');
    const r = await subscribe(s2, ['orders'], lastSeen);
    expect(r.missed.map((e) => e.id)).toEqual([missed1, missed2]);
    s2.close();
  });
});

describe("the dashboard's figures, pushed", () => {
  type Figures = { asOf: string; today?: { orders: number; revenue: number }; counts: Record<string, number> };
  type Watched = { current?: Figures; error?: string };
  const watch = (s: Socket) => s.emitWithAck('dashboard:watch') as Promise<Watched>;
  /** Every `dashboard:update` the socket gets from now on. */
  const updates = (s: Socket) => {
    const got: Figures[] = [];
    s.on('dashboard:update', (f: Figures) => got.push(f));
    return got;
  };
  const until = async (check: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('not within the time allowed');
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  async function placeLateOrder(externalId: string) {
    const [p] = await app.db.orm.em
      .fork()
      .execute<{ sku: string }[]>(
        `select p.sku from product p join inventory_level l on l.product_id = p.id group by p.sku having sum(l.on_hand - l.reserved) > 5 order by p.sku limit 1`,
      );
    await placeApiOrder({
      app,
      externalId,
      sku: p.sku,
      unitPrice: 4_321,
      extra: { paymentMethod: 'manual', promisedBy: new Date(Date.now() - 3_600_000).toISOString() },
    });
  }

  const refreshRollups = async () => {
    while ((await refreshDirtyMinutes(app.db.orm, { baseCurrency: 'USD', timeZone: 'UTC' })) > 0);
  };

  it('answers a watch with the figures now and pushes each role what it may see when an order commits', async () => {
    const exec = await connect('executive');
    const warehouse = await connect('warehouse');
    try {
      await refreshRollups(); // what the demo data placed today, as the worker's refresher would have
      const before = (await watch(exec)).current!;
      const beforeWarehouse = (await watch(warehouse)).current!;
      expect(before.today).toBeDefined();
      expect(Object.keys(before.counts)).toContain('ticketsOpen');
      // The warehouse is not sent the day's sales, nor counts it has no tile for.
      expect(beforeWarehouse.today).toBeUndefined();
      expect(Object.keys(beforeWarehouse.counts).sort()).toEqual(['awaitingShipment', 'late', 'lowStock', 'onHold', 'stockouts']);
      const execGot = updates(exec);
      const warehouseGot = updates(warehouse);

      await placeLateOrder(`FEED-${Date.now()}`);
      await until(() => execGot.some((f) => f.counts.late === before.counts.late + 1));
      await until(() => warehouseGot.some((f) => f.counts.late === beforeWarehouse.counts.late + 1));
      expect(warehouseGot.every((f) => f.today === undefined && !('ticketsOpen' in f.counts))).toBe(true);

      // The refresher rolls the order up and says so: the next push counts it in today's sales.
      await refreshRollups();
      await until(() => execGot.some((f) => f.today!.orders === before.today!.orders + 1 && f.today!.revenue >= before.today!.revenue + 4_321));
      // A watch now (a page reconnecting) is answered with the figures as they are: the catch-up.
      expect((await watch(exec)).current!.today!.orders).toBe(before.today!.orders + 1);
    } finally {
      exec.close();
      warehouse.close();
    }
  });

  it('gathers a burst of events into about one push a second, for all watchers together, and stops after unwatch', async () => {
    const a = await connect('ops_manager');
    const b = await connect('ops_manager');
    try {
      await watch(a);
      await watch(b);
      const gotA = updates(a);
      const gotB = updates(b);
      const started = Date.now();
      // 40 events over 2 s: the first is pushed at once (after the settle time), the rest gathered.
      for (let i = 0; i < 40; i++) {
        await commitEvent('orders', 'order.updated', { n: i });
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1200));
      const seconds = (Date.now() - started) / 1000;
      expect(gotA.length).toBeGreaterThanOrEqual(2);
      expect(gotA.length).toBeLessThanOrEqual(Math.ceil(seconds / 0.8) + 1);
      // One computation for both: the same figures, as of the same moment.
      expect(gotB.map((f) => f.asOf)).toEqual(gotA.map((f) => f.asOf));
      // An alert only rings the bell: no push.
      const quiet = gotA.length;
      await commitEvent('dashboards', 'alert.raised', { n: 1 });
      await new Promise((r) => setTimeout(r, 1000));
      expect(gotA.length).toBe(quiet);
      // After unwatch, a's page hears nothing more while b's still does.
      expect(await a.emitWithAck('dashboard:unwatch')).toEqual({ ok: true });
      await commitEvent('orders', 'order.updated', { n: 'last' });
      await until(() => gotB.length > quiet);
      await new Promise((r) => setTimeout(r, 300));
      expect(gotA.length).toBe(quiet);
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a watch with a payload, naming the field, and joins nothing', async () => {
    const s = await connect('agent');
    try {
      const got = updates(s);
      const answer = (await s.emitWithAck('dashboard:watch', { since: 1 })) as { error: string; errors: { field: string }[] };
      expect(answer.error).toBe('invalid');
      expect(answer.errors.length).toBeGreaterThan(0);
      await commitEvent('orders', 'order.updated', { n: 'refused' });
      await new Promise((r) => setTimeout(r, 700));
      expect(got).toEqual([]);
      // A watch without one is answered: the agent's own tiles only.
      const ok = await watch(s);
      expect(ok.current!.today).toBeUndefined();
      expect(ok.current!.counts).toHaveProperty('slaAtRisk');
      expect(ok.current!.counts).not.toHaveProperty('lowStock');
    } finally {
      s.close();
    }
  });
});
