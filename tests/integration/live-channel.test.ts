import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { connectSocket } from '../support/socket.ts';

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
