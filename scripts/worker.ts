// The Temporal worker process: `npm run worker` (external mode) or started by scripts/start.ts.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../app/lib/config.server.ts';
import { createOrm } from '../app/lib/db.server.ts';
import { connectionOptions, lazyTemporalClient } from '../app/lib/temporal.server.ts';
import { createActivities } from '../activities/index.ts';
import { recordRunSteps } from '../activities/interceptors.ts';
import { WorkerHeartbeat } from '../entities/index.ts';
import { logger } from './lib/log.ts';

const log = logger('worker');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HEARTBEAT_MS = Number(process.env.WORKER_HEARTBEAT_MS ?? 5_000);

async function main() {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const orm = await createOrm({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  // Plugins named in OMS_PLUGINS: their node types and activities (a broken one is refused and reported).
  const { loadExternalPlugins, pluginActivities } = await import('../app/lib/plugins.server.ts');
  await loadExternalPlugins(undefined, { log: { info: (m) => logger('plugins').info(m), warn: (m) => logger('plugins').warn(m) } });
  const connection = await connectWithRetry(config);
  const t0 = Date.now();
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: path.join(root, 'workflows', 'index.ts'),
    activities: { ...createActivities({ orm }), ...pluginActivities({ orm }, logger('plugins')) },
    // Run history: each business step's status, timing and summaries, for the console's run view.
    interceptors: { activity: [recordRunSteps({ orm, log: logger('run-history') })] },
    bundlerOptions: { ignoreModules: [] },
  });

  // Heartbeat: /healthz reports the worker down when no worker has refreshed its row recently.
  const id = `${os.hostname()}:${process.pid}`;
  const startedAt = new Date();
  const beat = async () => {
    if (worker.getState() !== 'RUNNING') return;
    await orm.em.fork().upsert(WorkerHeartbeat, { id, taskQueue: config.TEMPORAL_TASK_QUEUE, startedAt, seenAt: new Date() });
  };
  const timer = setInterval(() => void beat().catch((e) => log.warn('heartbeat failed', e.message)), HEARTBEAT_MS);

  const stop = () => {
    log.info('shutting down…');
    worker.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const running = worker.run();
  for (let waited = 0; worker.getState() !== 'RUNNING' && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  await beat().catch((e) => log.warn('first heartbeat failed', e.message));
  // Announced after the first heartbeat, so whoever waits for this line finds the worker healthy.
  log.info(`polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} (ready in ${Date.now() - t0} ms)`);
  // Customer email: sent over SMTP_URL, or held for the console's outbox without it. Loaded after
  // the first heartbeat so that the worker is ready (and healthy) as soon as before.
  const { startNotificationSender } = await import('../app/modules/notifications/service.server.ts');
  const stopSender = startNotificationSender(orm, config, { log: logger('mail') });
  // The service desk's inbound mail: the loopback SMTP listener (embedded default) becomes tickets.
  const { startInboundSmtp } = await import('../app/modules/service/inbound.server.ts');
  const inbound =
    config.SMTP_INBOUND_PORT && config.SMTP_INBOUND_PORT !== 'off'
      ? await startInboundSmtp(orm, { port: Number(config.SMTP_INBOUND_PORT), log: logger('inbound-mail') }).catch((e: Error) => {
          log.warn(`inbound mail listener not started: ${e.message}`);
          return null;
        })
      : null;
  // Analytics rollups: the minutes and hours that order changes touched are recomputed as they commit.
  const { startAnalyticsRefresher } = await import('../app/modules/analytics/rollups.server.ts');
  const stopAnalytics = startAnalyticsRefresher(orm, config, logger('analytics'));
  // The SLA watcher: fires each ticket's SLA warnings and breaches once (restarts neither lose nor repeat one).
  const { startSlaWatcher } = await import('../app/modules/service/sla-watcher.server.ts');
  const stopSla = startSlaWatcher({ orm, databaseUrl: config.DATABASE_URL, log: logger('sla') });
  // The outbox dispatcher: starts runs for order.created / return.requested / stock.low and forwards
  // order status changes as signals; keeps retrying while Temporal is down.
  const { startDispatcher } = await import('../app/modules/workflows/dispatcher.server.ts');
  const temporalClient = lazyTemporalClient(config);
  const dispatcher = startDispatcher({
    orm,
    databaseUrl: config.DATABASE_URL,
    temporal: temporalClient.get,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log: logger('dispatcher'),
  });
  // Signed outbound webhooks: one delivery per subscribed endpoint and event, each on its own workflow.
  const { startWebhookFanout } = await import('../app/modules/webhooks/deliveries.server.ts');
  const webhooks = startWebhookFanout({
    orm,
    databaseUrl: config.DATABASE_URL,
    temporal: temporalClient.get,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log: logger('webhooks'),
  });
  // Runs terminated, cancelled or timed out from outside (Temporal UI / CLI) get their status recorded,
  // and schedule bindings get their Temporal schedules.
  const { startRunReconciler } = await import('../app/modules/workflows/reconciler.server.ts');
  const reconciler = startRunReconciler({
    orm,
    temporal: temporalClient.get,
    intervalMs: config.RUN_RECONCILE_MS,
    log: logger('runs'),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
  await running;
  await reconciler.stop();
  await dispatcher.stop();
  await webhooks.stop();
  await temporalClient.close();
  await stopSender();
  await inbound?.stop();
  await stopAnalytics();
  await stopSla();
  clearInterval(timer);
  await orm.em
    .fork()
    .nativeDelete(WorkerHeartbeat, { id })
    .catch(() => {});
  await orm.close();
  await connection.close();
  log.info('stopped');
}

/** Keeps trying while Temporal is not reachable yet, so the worker can start before the server. */
async function connectWithRetry(config: ReturnType<typeof loadConfig>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect(connectionOptions(config));
    } catch (e) {
      if (attempt === 1 || attempt % 10 === 0) log.warn(`Temporal at ${config.TEMPORAL_ADDRESS} not reachable yet (${(e as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
}

main().catch((e) => {
  log.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
