import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { loadExternalPlugins } from './plugins.server.ts';
import express from 'express';
import helmet from 'helmet';
import type { ServerBuild } from '@remix-run/node';
import { loadConfig, type Config } from './config.server.ts';
import { createOrm } from './db.server.ts';
import { lazyTemporalClient } from './temporal.server.ts';
import { attachRealtime } from './realtime.server.ts';
import { attachDashboardFeed } from '../modules/analytics/dashboard-feed.server.ts';
import { problemBody } from './problem.ts';
import { apiRequestHandler } from './api-routes.server.ts';
import { inputGuard, remixRequestHandler, type RequestState } from './http.server.ts';
import { sameOrigin } from './redirects.ts';
import { createApiRateLimiter } from './rate-limit.server.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The web process: Remix (SSR + API routes) and socket.io on one HTTP server. Exported through
 * entry.server so that it runs from the same bundle as the routes (one copy of every module).
 */
export async function startWebServer(opts: { build: ServerBuild; clientDir: string; config?: Config; port?: number; host?: string }) {
  const config = opts.config ?? loadConfig();
  // Plugins named in OMS_PLUGINS: their steps in the designer's catalogue (and validation) before the first request.
  await loadExternalPlugins();
  const orm = await createOrm({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  const temporal = lazyTemporalClient(config);
  const apiLimiter = createApiRateLimiter(config.DATABASE_URL, config.API_RATE_LIMIT);

  const app = express();
  app.disable('x-powered-by');
  // Only the proxies named in TRUST_PROXY may say who the client is (X-Forwarded-For) and how it came (-Proto).
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));

  // Security headers on every answer. Scripts run only from our origin or with this response's nonce (the
  // Remix scripts carry it: entry.server, root); styles allow attributes, which the canvas and charts set.
  app.use((_req, res, next) => {
    res.locals.nonce = crypto.randomBytes(16).toString('base64');
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as express.Response).locals.nonce as string}'`],
          styleSrc: ["'self'", "'unsafe-inline'"],
          // https images too: the store's logo (Settings → Store) lives on the shop's own site or CDN.
          imgSrc: ["'self'", 'data:', 'blob:', 'https:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: false,
    }),
  );
  app.use((req, res, next) => {
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()');
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  });

  // Cross-site form posts are refused before they reach any action (defence in depth next to the
  // CSRF token). API clients authenticated by Bearer keys send no Origin and are unaffected.
  app.use((req, res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    const origin = req.get('origin');
    if (!origin || (origin === 'null' && !req.get('cookie'))) return next();
    if (sameOrigin(origin, req.get('host'))) return next();
    res
      .status(403)
      .type('application/problem+json')
      .send(JSON.stringify(problemBody(403, 'csrf_failed', { detail: 'Cross-origin request refused.' })));
  });

  app.use('/assets', express.static(path.join(opts.clientDir, 'assets'), { immutable: true, maxAge: '1y' }));
  // Every other request passes the door: body read once, the boundary rule checked, or a 4xx.
  app.use(inputGuard());
  const context = (req: express.Request, res?: express.Response) => ({
    orm,
    config,
    temporal: temporal.get,
    apiLimiter,
    ip: req.ip ?? '',
    secure: req.secure,
    state: { nonce: res?.locals.nonce as string | undefined } satisfies RequestState as RequestState,
  });
  app.use(apiRequestHandler(opts.build, context));
  app.use(express.static(opts.clientDir, { maxAge: '1h' }));
  app.all('*', remixRequestHandler(opts.build, config.NODE_ENV, context));

  const server = http.createServer(app);
  const realtime = await attachRealtime(server, orm, config.DATABASE_URL, {
    presence: { heartbeatMs: config.PRESENCE_HEARTBEAT_MS, ttlMs: config.PRESENCE_TTL_MS },
  });
  const dashboardFeed = attachDashboardFeed(realtime.io, orm, { timeZone: config.BUSINESS_TIME_ZONE });
  realtime.onRelay((e) => dashboardFeed.onEvent(e));
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
      dashboardFeed.close();
      await realtime.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await temporal.close();
      await apiLimiter?.close();
      await orm.close();
    },
  };
}

/** TRUST_PROXY as Express takes it: empty is none, digits a hop count, else the list of addresses and ranges. */
function trustProxy(value: string): boolean | number | string[] {
  const v = value.trim();
  if (!v || v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
