import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

let app: TestApp;
let connection: Connection;
beforeAll(async () => {
  app = await startTestApp();
  connection = await Connection.connect({ address: testEnv.temporalAddress });
});
afterAll(async () => {
  await connection?.close();
  await app?.stop();
});

const health = async () => {
  const res = await fetch(`${app.url}/healthz`);
  return { status: res.status, body: await res.json() };
};

describe('worker', () => {
  it('runs a workflow on the real Temporal server whose activity reads the app database', async () => {
    const client = new Client({ connection });
    const result = await client.workflow.execute('systemCheck', { taskQueue: app.taskQueue, workflowId: `system-check-${Date.now()}` });
    expect(result).toMatchObject({ database: app.db.name });
  });

  it('reports 503 naming the worker when it stops, and 200 again when it is back', async () => {
    expect((await health()).status).toBe(200);
    await app.stopWorker();
    const down = await waitFor(
      'healthz 503',
      async () => {
        const h = await health();
        return h.status === 503 ? h : null;
      },
      10_000,
    );
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'degraded', checks: { database: 'ok', temporal: 'ok', worker: 'down' } });
    expect(down.body.errors.worker).toMatch(/no worker/);
    await app.startWorker();
    expect(
      (
        await waitFor(
          'healthz 200',
          async () => {
            const h = await health();
            return h.status === 200 ? h : null;
          },
          10_000,
        )
      ).status,
    ).toBe(200);
  });
});

describe('health checks', () => {
  it('names Temporal as down when it cannot be reached', async () => {
    const { checkHealth } = await import('../../app/lib/health.server.ts');
    const { lazyTemporalClient } = await import('../../app/lib/temporal.server.ts');
    const { loadConfig } = await import('../../app/lib/config.server.ts');
    const config = loadConfig({ DATABASE_URL: app.db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_TASK_QUEUE: app.taskQueue });
    const temporal = lazyTemporalClient(config);
    const h = await checkHealth({ orm: app.db.orm, config, temporal: temporal.get });
    expect(h.status).toBe('degraded');
    expect(h.checks).toEqual({ database: 'ok', temporal: 'down', worker: 'ok' });
    expect(h.errors?.temporal).toBeTruthy();
  });
});
