// The service desk at scale, each part with a baseline measured in the same run:
//   mail   inbound mail → ticket visible in the queue at 20 mails/s (bench/service-mail.ts)
//   queue  the queue page at a million tickets (bench/service-queue.ts)
//   sla    SLA breach firing lateness at 50,000 open tickets (bench/service-sla.ts)
//
//   npm run bench -- service [--only mail|queue|sla] [--rate 20] [--seconds 30] [--queue-tickets 1000000]
//                            [--runs 40] [--tickets 50000] [--window 60] [--port 55731] [--keep]
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
import { benchInboundMail, printMailFigures } from './service-mail.ts';
import { benchQueue, printQueueFigures } from './service-queue.ts';

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
    'queue-tickets': { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '40' },
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
  const parts = flags.only ? [flags.only] : ['mail', 'queue', 'sla'];
  if (!parts.every((p) => ['mail', 'queue', 'sla'].includes(p))) throw new Error('--only mail, queue or sla');
  console.log(`[bench] service: ${parts.join(', ')}`);
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
  const log = (l: string) => console.log(`[bench] ${l}`);
  const report: string[] = [];
  const print = (l: string) => report.push(l);
  if (parts.includes('mail')) {
    const rate = Number(flags.rate);
    printMailFigures(await benchInboundMail({ orm, rate, seconds: Number(flags.seconds), log }), rate, print);
    print('');
  }
  if (parts.includes('sla')) {
    printSlaFigures(await benchServiceSla({ orm, url, tickets: TICKETS, windowMs: WINDOW_MS, log }), print);
    print('');
  }
  if (parts.includes('queue')) {
    const tickets = Number(flags['queue-tickets']);
    printQueueFigures(await benchQueue({ orm, url, tickets, runs: Number(flags.runs), log }), tickets, print);
    print('');
  }
  console.log('');
  for (const l of report) console.log(l);
  console.log(`[bench] service done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await cleanup.exitWith(main);
