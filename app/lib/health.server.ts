import { WorkerHeartbeat } from '../../entities/index.ts';
import type { AppContext } from './context.server.ts';

export type CheckStatus = 'ok' | 'down';
export interface Health {
  status: 'ok' | 'degraded';
  checks: { database: CheckStatus; temporal: CheckStatus; worker: CheckStatus };
  errors?: Record<string, string>;
}

/** A worker counts as alive while its heartbeat is younger than this (3 missed beats). */
export const WORKER_STALE_MS = Number(process.env.WORKER_STALE_MS ?? 15_000);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

export async function checkHealth(context: Pick<AppContext, 'orm' | 'temporal' | 'config'>): Promise<Health> {
  const errors: Record<string, string> = {};
  const em = context.orm.em.fork();
  const run = async (name: keyof Health['checks'], fn: () => Promise<void>): Promise<CheckStatus> => {
    try {
      await withTimeout(fn(), 2500, name);
      return 'ok';
    } catch (e) {
      errors[name] = e instanceof Error ? e.message : String(e);
      return 'down';
    }
  };
  const [database, temporal, worker] = await Promise.all([
    run('database', async () => {
      await em.execute('select 1');
    }),
    run('temporal', async () => {
      const client = await context.temporal();
      await client.workflowService.getSystemInfo({});
    }),
    run('worker', async () => {
      const fresh = await em.count(WorkerHeartbeat, { taskQueue: context.config.TEMPORAL_TASK_QUEUE, seenAt: { $gt: new Date(Date.now() - WORKER_STALE_MS) } });
      if (fresh === 0) throw new Error(`no worker has polled task queue "${context.config.TEMPORAL_TASK_QUEUE}" in the last ${WORKER_STALE_MS / 1000} s`);
    }),
  ]);
  const checks = { database, temporal, worker };
  const ok = Object.values(checks).every((c) => c === 'ok');
  return ok ? { status: 'ok', checks } : { status: 'degraded', checks, errors };
}
