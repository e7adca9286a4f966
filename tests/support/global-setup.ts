// Vitest global setup: reuse the infrastructure scripts/test.ts started, or start it for this run.
import { buildIfStale } from '../../scripts/lib/stack.ts';
import { startTestInfra, type TestInfra } from './infra.ts';

let infra: TestInfra | null = null;

export async function setup() {
  buildIfStale(); // HTTP tests run the built app, as production does.
  if (process.env.OMS_TEST_PG_ADMIN_URL && process.env.TEMPORAL_ADDRESS) return;
  // Ports and folder can be moved so that two vitest runs on one machine do not collide.
  infra = await startTestInfra({
    name: process.env.OMS_TEST_NAME ?? 'vitest',
    pgPort: Number(process.env.OMS_TEST_PG_PORT ?? 54349),
    temporalPort: Number(process.env.OMS_TEST_TEMPORAL_PORT ?? 7254),
  });
  Object.assign(process.env, infra.env);
}

export async function teardown() {
  await infra?.stop();
}
