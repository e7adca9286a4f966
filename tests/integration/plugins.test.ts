// A plugin from outside the catalogue, end to end: named in OMS_PLUGINS, the real worker and web processes
// load it at start (broken plugins beside it are refused without stopping either); the designer offers its
// step in each user's language; a run on Temporal executes its activity in the worker.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExternalPlugins } from '../../app/lib/plugins.server.ts';
import { compileGraph } from '../../app/modules/workflows/compile.server.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testEnv } from '../support/env.ts';
import { signIn } from '../support/http.ts';

let app: TestApp;
let connection: Connection;

beforeAll(async () => {
  app = await startTestApp({
    env: { OMS_PLUGINS: './plugins/examples/gift-message,./tests/fixtures/plugins/throws,./tests/fixtures/plugins/bad-type' },
  });
  // This process compiles the graph below, so it knows the plugin's step too.
  await loadExternalPlugins(['./plugins/examples/gift-message'], { log: { info: () => {}, warn: () => {} } });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
});
afterAll(async () => {
  await connection?.close();
  await app?.stop();
});

describe('a plugin named in OMS_PLUGINS', () => {
  it('is in the designer for every language, beside broken plugins that were refused', async () => {
    for (const [role, label] of [
      ['ops_manager', 'Gift message'],
      ['agent', '礼品留言'],
      ['executive', '禮品留言'],
    ] as const) {
      const html = await (await (await signIn(app, role)).get('/workflows/reorder')).text();
      expect(html, role).toContain(label);
      expect(html, role).toContain('gift.message');
    }
  });

  it('runs its step in the worker', async () => {
    const [order] = await app.db.orm.em.fork().execute<{ id: number; number: string }[]>('select id, number from sales_order order by id limit 1');
    const compiled = compileGraph({
      nodes: [
        { id: 'trigger', type: 'control.trigger', position: { x: 0, y: 0 }, data: { config: { event: 'manual' } } },
        { id: 'card', type: 'gift.message', position: { x: 0, y: 100 }, data: { config: { message: 'Happy birthday!', wrap: 'box' } } },
        { id: 'done', type: 'control.end', position: { x: 0, y: 200 }, data: { config: { result: 'complete' } } },
      ],
      edges: [
        { id: 'e1', source: 'trigger', sourceHandle: 'out', target: 'card' },
        { id: 'e2', source: 'card', sourceHandle: 'ok', target: 'done' },
      ],
    });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const client = new Client({ connection });
    const handle = await client.workflow.start('interpreter', {
      taskQueue: app.taskQueue,
      workflowId: `plugin-run-${Date.now()}`,
      args: [{ plan: compiled.plan, trigger: { type: 'manual', payload: { orderId: Number(order.id) } } }],
    });
    const state = (await handle.result()) as RunState;
    expect(state.status).toBe('completed');
    expect(state.context.nodes.card).toMatchObject({ card: `Happy birthday! — ${order.number}`, wrap: 'box' });
  });

  it('refuses a graph whose plugin step has a bad setting, as for a built-in step', () => {
    const r = compileGraph({
      nodes: [
        { id: 'trigger', type: 'control.trigger', position: { x: 0, y: 0 }, data: { config: { event: 'manual' } } },
        { id: 'card', type: 'gift.message', position: { x: 0, y: 100 }, data: { config: { message: '', wrap: 'bag' } } },
      ],
      edges: [{ id: 'e1', source: 'trigger', sourceHandle: 'out', target: 'card' }],
    });
    expect(r.ok).toBe(false);
  });
});
