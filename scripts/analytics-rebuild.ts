// `npm run analytics:rebuild`: recomputes the sales, fulfilment, returns, payment-method, products, stock, margin and
// customer-cohort rollups from the orders, lines, reservations, shipments, payments, returns and the stock ledger, the service desk's from the tickets and the flows' from the runs (DATABASE_URL, or the embedded database), showing progress. The refresher keeps them current as orders change; this is for a database
// restored from a backup, a changed exchange-rate history, or after a bulk import done outside the console.
import { createOrm } from '../app/lib/db.server.ts';
import { rebuildRollups } from '../app/modules/analytics/rollups.server.ts';
import { rebuildServiceRollups } from '../app/modules/analytics/service-rollups.server.ts';
import { rebuildWorkflowRollups } from '../app/modules/analytics/workflow-rollups.server.ts';
import { migrateUp } from './lib/migrations.ts';
import { withEmbeddedDatabase, root } from './lib/stack.ts';
import { logger } from './lib/log.ts';

process.chdir(root);
const log = logger('analytics');
await withEmbeddedDatabase(async (url) => {
  await migrateUp(url);
  const orm = await createOrm({ url });
  try {
    const t0 = Date.now();
    let last = 0;
    const done = await rebuildRollups(
      orm,
      { baseCurrency: (process.env.BASE_CURRENCY || 'USD').toUpperCase(), timeZone: process.env.BUSINESS_TIME_ZONE || 'UTC' },
      (n, total) => {
        if (Date.now() - last > 1000 || n === total) {
          last = Date.now();
          log.info(`${n} / ${total} minutes recomputed (${Math.round((n / Math.max(total, 1)) * 100)}%)`);
        }
      },
    );
    log.info(
      `rebuilt ${done} minutes of sales, fulfilment, returns, products, stock, margins and customer cohorts in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const t1 = Date.now();
    last = 0;
    const days = await rebuildServiceRollups(orm, process.env.BUSINESS_TIME_ZONE || 'UTC', (n, total) => {
      if (Date.now() - last > 1000 || n === total) {
        last = Date.now();
        log.info(`${n} / ${total} days of tickets recomputed (${Math.round((n / Math.max(total, 1)) * 100)}%)`);
      }
    });
    log.info(`rebuilt ${days} days of the service desk in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const t2 = Date.now();
    const flowDays = await rebuildWorkflowRollups(orm, process.env.BUSINESS_TIME_ZONE || 'UTC');
    log.info(`rebuilt ${flowDays} days of flow runs in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
  } finally {
    await orm.close();
  }
});
