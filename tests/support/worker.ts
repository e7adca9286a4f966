// An in-process Temporal worker for tests: the real interpreter bundle, the real activities (plus any
// test ones) and the run-recording interceptor, on the run's shared Temporal dev server.
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { UntypedActivities } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { recordRunSteps } from '../../activities/interceptors.ts';
import { testEnv } from './env.ts';

const silent = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: console.error };

export async function startTestWorker(opts: { orm: MikroORM; taskQueue: string; activities?: UntypedActivities }) {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.resolve('workflows/index.ts'), logger: silent as never });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: testEnv.temporalAddress }),
    taskQueue: opts.taskQueue,
    workflowBundle,
    activities: { ...createActivities({ orm: opts.orm }), ...opts.activities },
    interceptors: { activity: [recordRunSteps({ orm: opts.orm, log: { warn: () => {}, error: console.error } as never })] },
  });
  const running = worker.run();
  return {
    worker,
    running,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
