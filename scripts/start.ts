// `npm start`: the whole console on one machine. Embedded PostgreSQL and the Temporal dev server
// unless DATABASE_URL / TEMPORAL_ADDRESS point at real ones; then the worker and the web server.
import fs from 'node:fs';
import path from 'node:path';
import { findOrBuildTemporalCli, startTemporalDevServer, type DevServer } from './lib/temporal-cli.ts';
import { buildIfStale, dataDir, DEFAULTS, embeddedPostgres, root, superviseNodeChild, waitForHealthy, type Child } from './lib/stack.ts';
import { migrateUp } from './lib/migrations.ts';
import { ensureDemoData, readCredentials } from './seed/index.ts';
import { bold, logger } from './lib/log.ts';
import type { EmbeddedDb } from './lib/postgres.ts';

const log = logger('start');
process.chdir(root);
fs.mkdirSync(dataDir, { recursive: true });

let postgres: EmbeddedDb | null = null;
let temporal: DevServer | null = null;
const children: Child[] = [];
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log.info('stopping…');
  await Promise.all(children.map((c) => c.stop()));
  await temporal?.stop();
  await postgres?.stop().catch(() => {});
  log.info('all stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  const t0 = Date.now();
  buildIfStale(process.argv.includes('--rebuild'));

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    postgres = await embeddedPostgres();
    await postgres.ensureDatabase(DEFAULTS.database);
    databaseUrl = postgres.urlFor(DEFAULTS.database);
  } else {
    log.info('external mode: using DATABASE_URL');
  }
  await migrateUp(databaseUrl);
  await ensureDemoData(databaseUrl);

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let temporalUi = process.env.TEMPORAL_UI_URL ?? null;
  if (!temporalAddress) {
    const cli = findOrBuildTemporalCli(root);
    const startTemporal = async () => {
      temporal = await startTemporalDevServer({
        cli,
        port: DEFAULTS.temporalPort,
        uiPort: DEFAULTS.temporalUiPort,
        dbFile: path.join(dataDir, 'temporal', 'temporal.db'),
      });
      // Its history is in its SQLite file: started again on the same file, every run goes on where it was.
      temporal.process.once('exit', (code, signal) => {
        if (stopping) return;
        log.error(`the Temporal dev server exited (${signal ?? `code ${code}`}); restarting it`);
        const again = (delay: number) =>
          setTimeout(() => {
            if (!stopping)
              startTemporal().catch((e: Error) => {
                log.error(`restarting Temporal failed: ${e.message}`);
                again(Math.min(delay * 2, 30_000));
              });
          }, delay);
        again(1000);
      });
    };
    await startTemporal();
    temporalAddress = temporal!.address;
    temporalUi = temporal!.uiUrl;
  } else {
    log.info(`external mode: using Temporal at ${temporalAddress}`);
  }

  const env = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUi ?? 'http://localhost:8233',
    PORT: String(DEFAULTS.webPort),
    // The demo shop's name on its customers' tracking page and mail (set STORE_NAME for yours).
    STORE_NAME: process.env.STORE_NAME ?? 'Lumen & Co.',
    // Mail sent to the desk (any SMTP client, on loopback) becomes a ticket; SMTP_INBOUND_PORT=off turns it off.
    SMTP_INBOUND_PORT: process.env.SMTP_INBOUND_PORT ?? '2525',
    SUPPORT_EMAIL: process.env.SUPPORT_EMAIL ?? 'support@lumen.example',
    // Node-type plugins from outside the catalogue (comma-separated folders or packages); the demo runs the sample.
    OMS_PLUGINS: process.env.OMS_PLUGINS ?? './plugins/examples/gift-message',
  };
  // A worker or web process that dies is started again (with back-off); the rest keeps running.
  children.push(superviseNodeChild('worker', 'worker.ts', env));
  children.push(superviseNodeChild('web', 'web.ts', env));

  const url = `http://localhost:${DEFAULTS.webPort}`;
  await waitForHealthy(url);
  const creds = readCredentials();
  const lines = [
    '',
    bold(`The order console is up (${((Date.now() - t0) / 1000).toFixed(1)} s).`),
    `  Console:          ${url}`,
    `  Health:           ${url}/healthz`,
    temporalUi ? `  Temporal Web UI:  ${temporalUi}` : null,
    env.SMTP_INBOUND_PORT !== 'off' ? `  Service desk mail: smtp://127.0.0.1:${env.SMTP_INBOUND_PORT} (to ${env.SUPPORT_EMAIL})` : null,
    '  Demo sign-ins (also in .data/credentials.json):',
    ...(creds?.users ?? []).map((u) => `    ${u.role.padEnd(12)} ${u.email.padEnd(28)} ${u.password}`),
    creds?.apiKey ? `  API key (Bearer): ${creds.apiKey}` : null,
    '  Ctrl-C stops everything; data stays in .data/ for the next start.',
    '',
  ].filter((l) => l !== null);
  console.log(lines.join('\n'));
}

main().catch(async (e) => {
  log.error(e instanceof Error ? e.message : e);
  await shutdown(1);
});
