// Vitest global setup: reuse the infrastructure scripts/test.ts started, or start it for this run.
import { buildIfStale } from '../../scripts/lib/stack.ts';
import { startTestInfra, type TestInfra } from './infra.ts';

let infra: TestInfra | null = null;

export async function setup() {
  buildIfStale(); // HTTP tests run the built app, as production does.
  if (process.env.OMS_TEST_PG_ADMIN_URL && process.env.TEMPORAL_ADDRESS) return;
  infra = await startTestInfra({ name: 'vitest', pgPort: 54349, temporalPort: 7254 });
  Object.assign(process.env, infra.env);
}

export async function teardown() {
  await infra?.stop();
}
