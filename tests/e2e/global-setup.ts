// Starts the console for the browser tests: on the infrastructure scripts/test.ts started, or on its own.
import { buildIfStale } from '../../scripts/lib/stack.ts';
import { startTestInfra, type TestInfra } from '../support/infra.ts';
import { startTestApp } from '../support/app.ts';
import { orStop } from '../../scripts/lib/startup.ts';

/** Users of their own for the tests that switch language (stored on the user), so no other test sees it change. */
export const EXTRA_USERS = [
  { key: 'ops-linguist', role: 'ops_manager' },
  { key: 'admin-linguist', role: 'admin' },
  { key: 'warehouse-linguist', role: 'warehouse' },
] as const;

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
  // Playwright runs no teardown when the setup throws: stop what this setup started before giving up.
  const app = await orStop(infra ? [infra] : [], () => startTestApp({ extraUsers: EXTRA_USERS }));
  process.env.E2E_BASE_URL = app.url;
  process.env.E2E_CREDENTIALS = JSON.stringify(app.credentials);
  return async () => {
    await app.stop();
    await infra?.stop();
  };
}
