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
import { fetchRequest, send } from './http.server.ts';
import { errorResponse } from './api.server.ts';

type Handler = (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<Response> | Response;
interface ApiRoute {
  segments: string[];
  score: number;
  loader?: Handler;
  action?: Handler;
}

/**
 * The resource route modules whose full path starts with `prefix`, most specific first (as React Router
 * ranks them). A route nested under another (`api.v1.orders.$id` under `api.v1.orders`) gets its full path.
 */
export function apiRoutes(build: Pick<ServerBuild, 'routes'>, prefix = 'api/'): ApiRoute[] {
  const fullPath = (id: string | undefined): string | null => {
    const route = id ? build.routes[id] : undefined;
    if (!route || id === 'root') return '';
    if (route.path === undefined) return null; // layout or index route: not a resource path
    const parent = route.parentId && route.parentId !== 'root' ? fullPath(route.parentId) : '';
    return parent === null ? null : [parent, route.path].filter(Boolean).join('/');
  };
  const routes: ApiRoute[] = [];
  for (const [id, route] of Object.entries(build.routes)) {
    const path = fullPath(id);
    if (!route || !path?.startsWith(prefix)) continue;
    const module = route.module as { loader?: Handler; action?: Handler; default?: unknown };
    if (module.default) continue; // a page, not a resource route
    const segments = path.split('/').filter(Boolean);
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
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Express middleware serving the API routes of `build`, after the door (http.server.ts) has read and
 * checked the body. Any other path under /api/ is a 404 problem, never a page.
 */
export function apiRequestHandler(build: Pick<ServerBuild, 'routes'>, getLoadContext: (req: Parameters<RequestHandler>[0]) => unknown): RequestHandler {
  const routes = apiRoutes(build);
  return (req, res, next) => {
    if (req.path !== '/api' && !req.path.startsWith('/api/')) return next();
    const match = matchApiRoute(routes, req.path);
    void (async () => {
      let response: Response;
      try {
        const get = req.method === 'GET' || req.method === 'HEAD';
        const handler = match && (get ? match.route.loader : match.route.action);
        response = !match
          ? problem(404, 'not_found', { detail: `No API resource at ${req.path}.` })
          : handler
            ? await handler({ request: fetchRequest(req), params: match.params, context: getLoadContext(req) })
            : problem(405, 'method_not_allowed', { detail: `${req.method} is not supported here.` });
      } catch (e) {
        response = errorResponse(e);
      }
      await send(res, req.method, response);
    })().catch(next);
  };
}
