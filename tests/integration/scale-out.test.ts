// Scale-out, shown: two web processes and two workers on one PostgreSQL and one Temporal, as N web nodes
// behind a load balancer and M worker machines run in production. An order taken by one web node reaches
// a browser connected to the other live; the flows it starts spread over both workers; each order is
// dispatched to exactly one run; a webhook subscribed to new orders is delivered once, though both
// workers' fan-outs see the event.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { allowHost, createEndpoint } from '../../app/modules/webhooks/endpoints.server.ts';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testEnv } from '../support/env.ts';
import { connectSocket } from '../support/socket.ts';
import { placeApiOrder } from '../support/orders.ts';

let app: TestApp;
let second: { url: string };
let connection: Connection;
let receiver: http.Server;
let hookUrl = '';
const hooks: string[] = [];
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.fork().execute<T[]>(q, p);

beforeAll(async () => {
  app = await startTestApp();
  second = await app.startWeb();
  await app.startAnotherWorker();
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  // An integration's endpoint, subscribed to new orders before any are placed.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const admin = { ...SYSTEM, type: 'user' as const, id: 1, label: 'admin@test' };
  await allowHost(app.db.orm, { host: '127.0.0.1' }, admin);
  await createEndpoint(app.db.orm, { url: hookUrl, eventTypes: ['order.created'] }, admin);
});
afterAll(async () => {
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await connection?.close();
  await app?.stop();
});

const placeOrder = (base: string, externalId: string, sku: string) => placeApiOrder({ app, base, externalId, sku });

describe('two web nodes and two workers', () => {
  it('an order taken by one web node is seen live by a browser on the other', async () => {
    const [p] = await sql<{ sku: string }>(
      `select p.sku from product p join inventory_level l on l.product_id = p.id group by p.sku having sum(l.on_hand - l.reserved) > 50 order by p.sku limit 1`,
    );
    const browser: Socket = await connectSocket(app, 'ops_manager', { url: second.url });
    try {
      await browser.emitWithAck('subscribe', { topics: ['orders'] });
      const seen = new Promise<{ type: string; payload: { number?: string } }>((resolve) =>
        browser.on('event', (e: { type: string; payload: { number?: string } }) => {
          if (e.type === 'order.created') resolve(e);
        }),
      );
      const order = await placeOrder(app.url, `SCALE-LIVE-${Date.now()}`, p.sku);
      const event = await seen;
      expect(event.payload.number).toBe(order.number);
    } finally {
      browser.close();
    }
  });

  it('spreads the flows over both workers and starts each order’s run once', async () => {
    const [p] = await sql<{ sku: string }>(
      `select p.sku from product p join inventory_level l on l.product_id = p.id group by p.sku having sum(l.on_hand - l.reserved) > 50 order by p.sku desc limit 1`,
    );
    const stamp = Date.now();
    const orders = [];
    for (let i = 0; i < 12; i++) orders.push(await placeOrder(i % 2 ? second.url : app.url, `SCALE-${stamp}-${i}`, p.sku));
    // Each order gets one run (the dispatchers of both workers share a lease).
    const deadline = Date.now() + 60_000;
    let runs: { workflow_id: string; order_id: string }[] = [];
    while (Date.now() < deadline) {
      runs = await sql<{ workflow_id: string; order_id: string }>(
        `select workflow_id, entity_id as order_id from workflow_run where entity_type = 'Order' and entity_id = any(?::text[])`,
        [`{${orders.map((o) => o.id).join(',')}}`],
      );
      if (runs.length >= orders.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(new Set(runs.map((r) => r.order_id)).size).toBe(orders.length);
    expect(runs).toHaveLength(orders.length);
    // Which worker ran each run's tasks, from Temporal's own history.
    const client = new Client({ connection });
    const identities = new Set<string>();
    for (const r of runs) {
      const history = await client.workflow.getHandle(r.workflow_id).fetchHistory();
      for (const e of history.events ?? []) {
        const identity = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBeGreaterThanOrEqual(2);

    // Every order's webhook arrived, each exactly once.
    const delivered = (id: number) => hooks.filter((b) => b.includes(`"orderId":${id}`)).length;
    const until = Date.now() + 60_000;
    while (Date.now() < until && !orders.every((o) => delivered(o.id) >= 1)) await new Promise((r) => setTimeout(r, 300));
    await new Promise((r) => setTimeout(r, 2_000)); // a second delivery would have come by now
    expect(orders.map((o) => delivered(o.id))).toEqual(orders.map(() => 1));
  });
});
