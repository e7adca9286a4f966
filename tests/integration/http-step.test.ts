// The designer's HTTP request step in a drawn flow: the real interpreter and activities on the real
// Temporal dev server, against a real service on 127.0.0.1 (allowed explicitly, as an admin would).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { compileGraph } from '../../app/modules/workflows/compile.server.ts';
import { allowHost } from '../../app/modules/webhooks/endpoints.server.ts';
import type { Graph } from '../../workflows/graph.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import { createTestDatabase, startIdsApart, type TestDatabase } from '../support/db.ts';
import { testEnv } from '../support/env.ts';
import { startTestWorker } from '../support/worker.ts';

const TOKEN = 'erp-token-7f3a91';
const taskQueue = `http-step-${Date.now()}`;
let db: TestDatabase;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let client: Client;
let connection: Connection;
let server: http.Server;
let base = '';
const got: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  process.env.OMS_SECRET_ERP_TOKEN = TOKEN;
  db = await createTestDatabase('httpstep');
  await startIdsApart(db.url);
  await allowHost(db.orm, { host: '127.0.0.1' }, SYSTEM);
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      got.push({ path: req.url ?? '', headers: req.headers, body });
      const amount = body ? Number((JSON.parse(body) as { amount?: number }).amount) : 0;
      if (req.url === '/broken') res.writeHead(500).end('nope');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ approved: amount < 100, limit: 100 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  worker = await startTestWorker({ orm: db.orm, taskQueue });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await new Promise<void>((r) => server?.close(() => r()));
  await db?.drop();
});

const at = (y: number) => ({ x: 0, y });
function flow(call: Record<string, unknown>, after: 'condition' | 'compensate' = 'condition'): Graph {
  return {
    nodes: [
      { id: 'trigger', type: 'control.trigger', position: at(0), data: { config: { event: 'manual' } } },
      { id: 'call', type: 'http.request', position: at(100), data: { config: call } },
      ...(after === 'condition'
        ? [
            { id: 'check', type: 'control.condition', position: at(200), data: { config: { expression: 'nodes.call.body.approved = true' } } },
            { id: 'approved', type: 'control.end', position: at(300), data: { config: { result: 'complete' } } },
            { id: 'refused', type: 'control.end', position: at(300), data: { config: { result: 'complete' } } },
          ]
        : [{ id: 'undo', type: 'control.end', position: at(200), data: { config: { result: 'compensate', message: 'later step failed' } } }]),
      { id: 'failed', type: 'control.end', position: at(300), data: { config: { result: 'complete' } } },
    ],
    edges: [
      { id: 'e1', source: 'trigger', sourceHandle: 'out', target: 'call' },
      { id: 'e2', source: 'call', sourceHandle: 'ok', target: after === 'condition' ? 'check' : 'undo' },
      { id: 'e3', source: 'call', sourceHandle: 'error', target: 'failed' },
      ...(after === 'condition'
        ? [
            { id: 'e4', source: 'check', sourceHandle: 'true', target: 'approved' },
            { id: 'e5', source: 'check', sourceHandle: 'false', target: 'refused' },
          ]
        : []),
    ],
  };
}

let n = 0;
async function run(graph: Graph, payload: Record<string, unknown>): Promise<{ state: RunState; workflowId: string }> {
  const compiled = compileGraph(graph);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const workflowId = `http-step-${Date.now()}-${++n}`;
  const state = (await client.workflow.execute('interpreter', {
    taskQueue,
    workflowId,
    args: [{ plan: compiled.plan, trigger: { type: 'manual', payload } }],
  })) as RunState;
  return { state, workflowId };
}

const call = (over: Record<string, unknown> = {}) => ({
  httpMethod: 'POST',
  url: `${base}/check`,
  headers: [{ name: 'Authorization', value: 'Bearer {{secret:ERP_TOKEN}}' }],
  body: '={ "amount": amount }',
  timeoutMs: 2000,
  retries: 2,
  ...over,
});

describe('http.request step', () => {
  it('calls the service and a condition uses its answer: both branches', async () => {
    const small = await run(flow(call()), { amount: 50 });
    expect(small.state.status).toBe('completed');
    expect(small.state.steps.approved?.status).toBe('done');
    expect(small.state.steps.refused?.status).toBe('skipped');
    expect(small.state.context.nodes.call).toMatchObject({ ok: true, status: 200, body: { approved: true, limit: 100 } });

    const large = await run(flow(call()), { amount: 500 });
    expect(large.state.steps.refused?.status).toBe('done');
    expect(large.state.steps.approved?.status).toBe('skipped');

    const sent = got.filter((g) => g.path === '/check');
    expect(sent.map((g) => JSON.parse(g.body))).toEqual([{ amount: 50 }, { amount: 500 }]);
    expect(sent[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent[0].headers['idempotency-key']).toMatch(/^[0-9a-f]{40}$/);
    expect(sent[0].headers['idempotency-key']).not.toBe(sent[1].headers['idempotency-key']);
    // The secret is in neither the run's history nor its recorded steps.
    const history = JSON.stringify(await client.workflow.getHandle(small.workflowId).fetchHistory());
    expect(history).not.toContain(TOKEN);
    const steps = await db.orm.em.getConnection().execute(`select * from workflow_run_step`);
    expect(JSON.stringify(steps)).not.toContain(TOKEN);
    expect(JSON.stringify(steps)).toContain('{{secret:ERP_TOKEN}}');
  });

  it('takes the error branch on a failed answer after its retries', async () => {
    const before = got.filter((g) => g.path === '/broken').length;
    const r = await run(flow(call({ url: `${base}/broken` })), { amount: 1 });
    expect(r.state.steps.failed?.status).toBe('done');
    expect(r.state.context.nodes.call).toMatchObject({ ok: false, status: 500, attempts: 2 });
    expect(got.filter((g) => g.path === '/broken').length - before).toBe(2);
  });

  it('refuses a private URL (not allow-listed): the error branch, nothing sent', async () => {
    for (const url of ['http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/x']) {
      const r = await run(flow(call({ url, retries: 1 })), { amount: 1 });
      expect(r.state.steps.failed?.status, url).toBe('done');
      expect(r.state.context.nodes.call, url).toMatchObject({ ok: false, refused: 'private_address' });
    }
  });

  it('sends the compensation request when a later step fails', async () => {
    const r = await run(
      flow(call({ compensationUrl: `${base}/undo`, compensationMethod: 'DELETE', compensationBody: '={ "amount": amount }' }), 'compensate'),
      {
        amount: 7,
      },
    );
    expect(r.state.status).toBe('compensated');
    const undo = got.filter((g) => g.path === '/undo');
    expect(undo).toHaveLength(1);
    expect(JSON.parse(undo[0].body)).toEqual({ amount: 7 });
    expect(undo[0].headers['idempotency-key']).toMatch(/^[0-9a-f]{40}$/);
  });
});
