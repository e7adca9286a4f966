import http from 'node:http';
import path from 'node:path';
import express from 'express';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import { loadConfig, type Config } from './config.server.ts';
import { createOrm } from './db.server.ts';
import { lazyTemporalClient } from './temporal.server.ts';
import { attachRealtime } from './realtime.server.ts';
import { problemBody } from './problem.ts';
import { apiRequestHandler } from './api-routes.server.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The web process: Remix (SSR + API routes) and socket.io on one HTTP server. Exported through
 * entry.server so that it runs from the same bundle as the routes (one copy of every module).
 */
export async function startWebServer(opts: { build: ServerBuild; clientDir: string; config?: Config; port?: number; host?: string }) {
  const config = opts.config ?? loadConfig();
  const orm = await createOrm({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  const temporal = lazyTemporalClient(config);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');

  // Cross-site form posts are refused before they reach any action (defence in depth next to the
  // CSRF token). API clients authenticated by Bearer keys send no Origin and are unaffected.
  app.use((req, res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    const origin = req.get('origin');
    if (!origin || origin === 'null' && !req.get('cookie')) return next();
    let host: string;
    try { host = new URL(origin).host; } catch { host = ''; }
    if (host === req.get('host')) return next();
    res.status(403).type('application/problem+json').send(JSON.stringify(problemBody(403, 'csrf_failed', { detail: 'Cross-origin request refused.' })));
  });

  const context = (req: express.Request) => ({ orm, config, temporal: temporal.get, ip: req.ip ?? '', secure: req.secure });
  app.use(apiRequestHandler(opts.build, context));
  app.use('/assets', express.static(path.join(opts.clientDir, 'assets'), { immutable: true, maxAge: '1y' }));
  app.use(express.static(opts.clientDir, { maxAge: '1h' }));
  app.all(
    '*',
    createRequestHandler({
      build: opts.build,
      mode: config.NODE_ENV,
      getLoadContext: context,
    }),
  );

  const server = http.createServer(app);
  const realtime = await attachRealtime(server, orm, config.DATABASE_URL, { presence: { heartbeatMs: config.PRESENCE_HEARTBEAT_MS, ttlMs: config.PRESENCE_TTL_MS } });
  const port = opts.port ?? config.PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host ?? config.HOST, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;

  return {
    url: `http://localhost:${actualPort}`,
    port: actualPort,
    async close() {
      await realtime.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await temporal.close();
      await orm.close();
    },
  };
}
