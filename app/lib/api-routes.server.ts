// The /api/v1 resource routes, served straight from their route modules.
//
// Remix's request handler matches a URL by flattening and ranking the whole route tree on every
// request; for the API, where integrations post thousands of orders a second, that was the web
// process's largest single cost. API routes have no UI, no parent layouts and no data requests, so
// this handler matches them once-ranked and calls the module's loader or action with the same
// arguments Remix passes. Everything else (pages, assets, unknown paths) still goes to Remix, and
// the Vite dev server serves these same modules through Remix.
import type { RequestHandler } from 'express';
import type { ServerBuild } from '@remix-run/node';
import { problem } from './problem.ts';

type Handler = (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<Response> | Response;
interface ApiRoute { segments: string[]; score: number; loader?: Handler; action?: Handler }

/** The route modules whose path starts with `prefix`, most specific first (as React Router ranks them). */
export function apiRoutes(build: Pick<ServerBuild, 'routes'>, prefix = 'api/'): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const route of Object.values(build.routes)) {
    if (!route?.path?.startsWith(prefix) || route.parentId !== 'root') continue;
    const module = route.module as { loader?: Handler; action?: Handler; default?: unknown };
    if (module.default) continue; // a page, not a resource route
    const segments = route.path.split('/').filter(Boolean);
    // React Router's ranking: static segments outrank dynamic ones, a splat ranks last.
    const score = segments.reduce((n, s) => n + (s === '*' ? -2 : s.startsWith(':') ? 3 : 10), segments.length);
    routes.push({ segments, score, loader: module.loader, action: module.action });
  }
  return routes.sort((a, b) => b.score - a.score);
}

/** The route and params for a path, or null. */
export function matchApiRoute(routes: ApiRoute[], pathname: string): { route: ApiRoute; params: Record<string, string> } | null {
  const parts = pathname.split('/').filter(Boolean);
  for (const route of routes) {
    const params: Record<string, string> = {};
    const splat = route.segments.at(-1) === '*';
    if (splat ? parts.length < route.segments.length - 1 : parts.length !== route.segments.length) continue;
    let ok = true;
    for (let i = 0; i < route.segments.length && ok; i++) {
      const s = route.segments[i];
      if (s === '*') params['*'] = parts.slice(i).map(decode).join('/');
      else if (s.startsWith(':')) params[s.slice(1)] = decode(parts[i]);
      else ok = s === parts[i];
    }
    if (ok) return { route, params };
  }
  return null;
}

function decode(segment: string): string {
  try { return decodeURIComponent(segment); } catch { return segment; }
}

/**
 * Express middleware serving the API routes of `build`. The body is read whole (API bodies are
 * small JSON, and a webhook's signature is checked over the exact bytes) and handed to the route
 * as a Fetch Request; its Response is written back as is.
 */
export function apiRequestHandler(build: Pick<ServerBuild, 'routes'>, getLoadContext: (req: Parameters<RequestHandler>[0]) => unknown): RequestHandler {
  const routes = apiRoutes(build);
  return (req, res, next) => {
    const match = req.path.startsWith('/api/') ? matchApiRoute(routes, req.path) : null;
    if (!match) return next();
    void (async () => {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      if (body === null) return send(res, req.method, problem(413, 'payload_too_large', { detail: `Send at most ${MAX_BODY_BYTES / 1_000_000} MB.` }));
      const handler = req.method === 'GET' || req.method === 'HEAD' ? match.route.loader : match.route.action;
      const url = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`;
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      const request = new Request(url, { method: req.method, headers, body: body as Uint8Array<ArrayBuffer> | undefined });
      let response: Response;
      try {
        response = handler
          ? await handler({ request, params: match.params, context: getLoadContext(req) })
          : problem(405, 'method_not_allowed', { detail: `${req.method} is not supported here.` });
      } catch (e) {
        if (e instanceof Response) response = e;
        else {
          console.error('[api] unexpected error', e);
          response = problem(500, 'internal', { detail: 'An unexpected error occurred; it has been logged.' });
        }
      }
      await send(res, req.method, response);
    })().catch(next);
  };
}

async function send(res: Parameters<RequestHandler>[1], method: string, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => res.append(name, value));
  res.end(method === 'HEAD' ? undefined : Buffer.from(await response.arrayBuffer()));
}

/** Largest request body the API takes (a bulk order of 200 lines is a few tens of kB). */
const MAX_BODY_BYTES = 5_000_000;

/** The whole body, or null when it is larger than MAX_BODY_BYTES (the rest is drained unread). */
function readBody(req: Parameters<RequestHandler>[0]): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}
