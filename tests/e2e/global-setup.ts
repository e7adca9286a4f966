// Starts the console for the browser tests: on the infrastructure scripts/test.ts started, or on its own.
import { buildIfStale, root } from '../../scripts/lib/stack.ts';
import { startTestInfra, type TestInfra } from '../support/infra.ts';
import { startTestApp } from '../support/app.ts';
import { orStop } from '../../scripts/lib/startup.ts';
import path from 'node:path';
import { freePort, startMailCatcher } from '../support/mail-catcher.ts';

/** Users of their own for the tests that switch language (stored on the user), so no other test sees it change. */
export const EXTRA_USERS = [
  { key: 'ops-linguist', role: 'ops_manager' },
  { key: 'admin-linguist', role: 'admin' },
  { key: 'warehouse-linguist', role: 'warehouse' },
  // The page walk (walk.spec.ts): one user per role and language, so the walks can run side by side.
  ...(['admin', 'ops_manager', 'agent', 'warehouse', 'executive'] as const).flatMap((role) =>
    (['en', 'zh-CN', 'zh-TW'] as const).map((locale) => ({ key: `walk-${role}-${locale.toLowerCase()}`, role })),
  ),
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
  // The customers' mail server (what the console sends lands as .eml files) and the desk's inbound SMTP port.
  const mailDir = path.join(root, '.data', 'test', `e2e-mail-${process.pid}`);
  const catcher = await startMailCatcher(mailDir);
  const inboundPort = await freePort();
  const env = {
    SMTP_URL: `smtp://127.0.0.1:${catcher.port}`,
    MAIL_FROM: 'Lumen & Co. <support@lumen.example>',
    SUPPORT_EMAIL: 'support@lumen.example',
    SMTP_INBOUND_PORT: String(inboundPort),
    // The sample plugin from outside the catalogue, as the demo runs it.
    OMS_PLUGINS: './plugins/examples/gift-message',
  };
  // Playwright runs no teardown when the setup throws: stop what this setup started before giving up.
  const app = await orStop([...(infra ? [infra] : []), catcher], () => startTestApp({ extraUsers: EXTRA_USERS, env }));
  process.env.E2E_MAIL_DIR = mailDir;
  process.env.E2E_SMTP_INBOUND_PORT = String(inboundPort);
  process.env.E2E_BASE_URL = app.url;
  process.env.E2E_CREDENTIALS = JSON.stringify(app.credentials);
  return async () => {
    await app.stop();
    await catcher.stop();
    await infra?.stop();
  };
}
