import { describe, expect, it } from 'vitest';
import { apiRoutes, matchApiRoute } from './api-routes.server.ts';

const handler = (name: string) => async () => new Response(name);
const route = (id: string, path: string, module: Record<string, unknown>, parentId = 'root') => [id, { id, path, parentId, module }];
const build = {
  routes: Object.fromEntries([
    route('routes/api.v1.orders.$id.$command', 'api/v1/orders/:id/:command', { action: handler('command') }),
    route('routes/api.v1.orders.$id.payments', 'api/v1/orders/:id/payments', { action: handler('payments') }),
    // Nested as Remix's flat routes nest it (under api.v1.orders): matched by its full path.
    route('routes/api.v1.orders.$id', ':id', { loader: handler('order') }, 'routes/api.v1.orders'),
    route('routes/api.v1.orders', 'api/v1/orders', { loader: handler('list'), action: handler('create') }),
    route('routes/api.v1.files.$', 'api/v1/files/*', { loader: handler('file') }),
    route('routes/_app.orders', 'orders', { default: () => null, loader: handler('page') }),
    route('routes/api.docs', 'api/docs', { default: () => null }),
  ]),
} as never;

describe('API routes served from their modules', () => {
  const routes = apiRoutes(build);

  it('takes only resource routes under api/, the most specific first', () => {
    expect(routes.map((r) => r.segments.join('/'))).toEqual([
      'api/v1/orders/:id/payments',
      'api/v1/orders/:id/:command',
      'api/v1/orders/:id',
      'api/v1/orders',
      'api/v1/files/*',
    ]);
  });

  it('matches static segments before dynamic ones, and decodes params', () => {
    expect(matchApiRoute(routes, '/api/v1/orders/12/payments')).toMatchObject({
      route: { segments: ['api', 'v1', 'orders', ':id', 'payments'] },
      params: { id: '12' },
    });
    expect(matchApiRoute(routes, '/api/v1/orders/12/cancel')?.params).toEqual({ id: '12', command: 'cancel' });
    expect(matchApiRoute(routes, '/api/v1/orders/SO%2D000001')?.params).toEqual({ id: 'SO-000001' });
    expect(matchApiRoute(routes, '/api/v1/orders/')?.route.segments).toEqual(['api', 'v1', 'orders']);
    expect(matchApiRoute(routes, '/api/v1/files/a/b%20c')?.params).toEqual({ '*': 'a/b c' });
  });

  it('matches nothing else (the handler answers those with a 404 problem)', () => {
    expect(matchApiRoute(routes, '/api/v1/nothing')).toBeNull();
    expect(matchApiRoute(routes, '/api/v1/orders/1/2/3')).toBeNull();
    expect(matchApiRoute(routes, '/orders')).toBeNull();
  });
});
