// Starts the console for the browser tests: on the infrastructure scripts/test.ts started, or on its own.
import { buildIfStale } from '../../scripts/lib/stack.ts';
import { startTestInfra, type TestInfra } from '../support/infra.ts';
import { startTestApp } from '../support/app.ts';

export default async function globalSetup() {
  buildIfStale();
  let infra: TestInfra | null = null;
  if (!process.env.OMS_TEST_PG_ADMIN_URL) {
    // Ports and folder can be moved so that two Playwright runs on one machine do not collide.
    infra = await startTestInfra({
      name: process.env.OMS_TEST_NAME ?? 'playwright',
      pgPort: Number(process.env.OMS_E2E_PG_PORT ?? 54359),
      temporalPort: Number(process.env.OMS_E2E_TEMPORAL_PORT ?? 7264),
    });
    Object.assign(process.env, infra.env);
  }
  const app = await startTestApp();
  process.env.E2E_BASE_URL = app.url;
  process.env.E2E_CREDENTIALS = JSON.stringify(app.credentials);
  return async () => {
    await app.stop();
    await infra?.stop();
  };
}
