// The service desk at scale. So far: the SLA watcher (bench/service-sla.ts) — N open tickets with
// breaches due over a short window, breach lateness p50/p95 for the real watcher and a baseline in the
// same run. (Inbound mail and queue figures join this bench later, each from its own file.)
//
//   npm run bench -- service [--tickets 50000] [--window 60] [--port 55731] [--keep]
//
// Figures only: the bench fails on a crash, never on a slow figure.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../scripts/lib/postgres.ts';
import { migrateUp } from '../scripts/lib/migrations.ts';
import { seedDemoData } from '../scripts/seed/demo.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { benchTeardown } from './lib/teardown.ts';
import { benchServiceSla, printSlaFigures } from './service-sla.ts';

const { values: flags } = parseArgs({
  options: {
    tickets: { type: 'string', default: '50000' },
    window: { type: 'string', default: '60' },
    port: { type: 'string', default: '55731' },
    keep: { type: 'boolean', default: false },
  },
});
const TICKETS = Number(flags.tickets);
const WINDOW_MS = Number(flags.window) * 1000;
if (!(TICKETS >= 100) || !(WINDOW_MS >= 1000)) throw new Error('--tickets ≥ 100, --window ≥ 1 (seconds)');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_DIR = path.join(root, '.data', 'bench', 'service-postgres');
const DATABASE = 'bench_service';
const cleanup = benchTeardown();

async function main() {
  const started = performance.now();
  console.log(`[bench] service: SLA watcher, ${TICKETS.toLocaleString('en')} breaches due over ${WINDOW_MS / 1000} s`);
  const pgServer = await startEmbeddedPostgres({ dir: PG_DIR, port: Number(flags.port), fast: true });
  cleanup.add('PostgreSQL', () => pgServer.stop());
  await pgServer.dropDatabase(DATABASE);
  await pgServer.ensureDatabase(DATABASE);
  if (!flags.keep) cleanup.add('the bench database', () => pgServer.dropDatabase(DATABASE));
  const url = pgServer.urlFor(DATABASE);
  await migrateUp(url);
  const orm = await createOrm({ url });
  cleanup.add('the ORM', () => orm.close());
  await seedDemoData(orm, { size: 'small', passwordFor: () => 'x' });
  const figures = await benchServiceSla({ orm, url, tickets: TICKETS, windowMs: WINDOW_MS, log: (l) => console.log(`[bench] ${l}`) });
  console.log('');
  printSlaFigures(figures, console.log);
  console.log(`[bench] service done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await cleanup.exitWith(main);
