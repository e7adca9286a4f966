// Every /api/v1 operation, read from the route modules' own `openapi` exports (a route file is the one
// place that says what it takes and answers), and the document built from them once per process.
import type { ApiOperation } from './describe.ts';
import { openApiDocument } from './document.ts';
import { z } from 'zod';

/** The route modules, as Vite bundles them (the document's own route is described below, not globbed: no import cycle). */
const modules = import.meta.glob<{ openapi?: ApiOperation[] }>(['../../routes/api.v1.*.ts', '!../../routes/api.v1.openapi*'], { eager: true });

/** GET /api/v1/openapi.json itself: documentation, readable without an API key. */
const SELF: ApiOperation = {
  method: 'get',
  path: '/api/v1/openapi.json',
  operationId: 'getOpenApiDocument',
  summary: 'This document',
  description: 'The OpenAPI 3.1 document of this API. Public: it needs no API key.',
  tags: ['Meta'],
  auth: 'none',
  responses: { 200: { description: 'The OpenAPI document.', schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }) } },
  problems: {},
  idempotent: false,
};

/** The route file each operation comes from (`api.v1.orders.ts`), for the tests. */
export function describedRoutes(): { file: string; operations: ApiOperation[] }[] {
  return Object.entries(modules)
    .map(([path, module]) => ({ file: path.split('/').pop()!, operations: module.openapi ?? [] }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

export function apiOperations(): ApiOperation[] {
  return [...describedRoutes().flatMap((r) => r.operations), SELF];
}

let cached: Record<string, unknown> | null = null;

/** The OpenAPI document, built once per process. */
export function apiDocument(): Record<string, unknown> {
  cached ??= openApiDocument(apiOperations(), { version: '1.0.0' });
  return cached;
}
