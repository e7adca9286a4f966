// The OpenAPI 3.1 document of /api/v1, assembled from the routes' own descriptions (describe.ts): zod 4's
// z.toJSONSchema turns each request schema (its input side) and response schema (its output side) into
// the JSON Schema 2020-12 that OpenAPI 3.1 uses. Nothing here is written by hand per endpoint.
import { z } from 'zod';
import { ProblemSchema } from '../problem.ts';
import type { ApiAuth, ApiOperation, ApiResponse } from './describe.ts';

type Json = Record<string, unknown>;

export const OPENAPI_VERSION = '3.1.1';

/** Problems any operation of the kind can answer, besides its own. */
const COMMON_PROBLEMS: Record<ApiAuth, Record<number, string[]>> = {
  apiKey: {
    401: ['unauthenticated', 'invalid_api_key'],
    403: ['forbidden'],
    429: ['rate_limited'],
    500: ['internal'],
    503: ['unavailable'],
  },
  webhookSignature: { 500: ['internal'], 503: ['unavailable'] },
  none: { 500: ['internal'] },
};
/** Problems of any operation that takes a body (readJson, and the checks at the door in app/lib/http.server.ts). */
const BODY_PROBLEMS: Record<number, string[]> = {
  400: ['invalid_json', 'invalid_input'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported media type',
  422: 'Refused input',
  429: 'Rate limited',
  500: 'Unexpected error',
  502: 'Upstream error',
  503: 'Unavailable',
};

/** A zod schema as JSON Schema 2020-12, inline (no $schema, no $defs left dangling). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline' }) as Json;
  delete out.$schema;
  return out;
}

const problemRef = { $ref: '#/components/schemas/Problem' };

function parameters(op: ApiOperation): Json[] {
  const out: Json[] = [];
  const fromObject = (schema: z.ZodType, where: 'path' | 'query') => {
    const s = jsonSchema(schema, 'input');
    const props = (s.properties ?? {}) as Record<string, Json>;
    const required = new Set((s.required ?? []) as string[]);
    for (const [name, prop] of Object.entries(props)) {
      const { description, ...rest } = prop;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
        ...(where === 'query' && (rest.type === 'array' || Array.isArray(rest.anyOf)) ? { style: 'form', explode: true } : {}),
      });
    }
  };
  if (op.params) fromObject(op.params, 'path');
  if (op.query) fromObject(op.query, 'query');
  for (const [name, h] of Object.entries(op.headers ?? {}))
    out.push({ name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } });
  if (op.idempotent) out.push({ $ref: '#/components/parameters/IdempotencyKey' });
  return out;
}

function success(r: ApiResponse): Json {
  return {
    description: r.description,
    ...(r.headers
      ? { headers: Object.fromEntries(Object.entries(r.headers).map(([k, h]) => [k, { description: h.description, schema: h.schema ?? { type: 'string' } }])) }
      : {}),
    ...(r.schema ? { content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } } : {}),
  };
}

function problemResponse(status: number, codes: string[]): Json {
  const unique = [...new Set(codes)].sort();
  const headers: Json = {};
  if (status === 429)
    Object.assign(headers, {
      'Retry-After': { $ref: '#/components/headers/Retry-After' },
      'RateLimit-Limit': { $ref: '#/components/headers/RateLimit-Limit' },
      'RateLimit-Remaining': { $ref: '#/components/headers/RateLimit-Remaining' },
      'RateLimit-Reset': { $ref: '#/components/headers/RateLimit-Reset' },
    });
  if (status === 503) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  if (status === 401) headers['WWW-Authenticate'] = { description: '`Bearer` when no credentials were sent.', schema: { type: 'string' } };
  if (status === 405) headers.Allow = { description: 'The methods this resource takes.', schema: { type: 'string' } };
  return {
    description: `${STATUS_TEXT[status] ?? 'Refused'} (problem+json). \`code\`: ${unique.map((c) => `\`${c}\``).join(', ')}.`,
    ...(Object.keys(headers).length ? { headers } : {}),
    content: {
      'application/problem+json': {
        schema: { allOf: [problemRef, { properties: { status: { const: status }, code: { enum: unique } } }] },
      },
    },
  };
}

/** All the problems an operation can answer, by status: its own and those of its kind. */
export function problemsOf(op: ApiOperation): Record<number, string[]> {
  const all: Record<number, string[]> = {};
  const add = (from: Record<number, string[]>) => {
    for (const [status, codes] of Object.entries(from)) all[Number(status)] = [...(all[Number(status)] ?? []), ...codes];
  };
  add(COMMON_PROBLEMS[op.auth]);
  if (op.body) add(BODY_PROBLEMS); // the door parses any JSON-typed body, whatever the operation takes
  add(op.problems);
  return all;
}

function operation(op: ApiOperation): Json {
  const responses: Json = {};
  for (const [status, r] of Object.entries(op.responses)) responses[status] = success(r);
  for (const [status, codes] of Object.entries(problemsOf(op))) responses[status] = problemResponse(Number(status), codes);
  const notes = [
    op.description,
    op.permission ? `Needs the \`${op.permission}\` permission (the API key's role).` : undefined,
    op.idempotent ? 'Honours `Idempotency-Key`: a retry with the same key and body gets the first answer (`Idempotent-Replayed: true`).' : undefined,
  ].filter(Boolean);
  const contentType = op.body?.contentType ?? 'application/json';
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(notes.length ? { description: notes.join('\n\n') } : {}),
    tags: op.tags,
    ...(op.auth === 'apiKey' ? { security: [{ apiKey: [] }] } : { security: [] }),
    ...(parameters(op).length ? { parameters: parameters(op) } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            content: {
              [contentType]: {
                schema: contentType === 'application/json' ? jsonSchema(op.body.schema, 'input') : { type: 'string', contentMediaType: contentType },
                ...(op.body.examples ? { examples: op.body.examples } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

export interface DocumentInfo {
  version: string;
  serverUrl?: string;
}

/** The OpenAPI 3.1 document for `operations`. */
export function openApiDocument(operations: readonly ApiOperation[], info: DocumentInfo): Json {
  const paths: Record<string, Json> = {};
  for (const op of [...operations].sort((a, b) => a.path.localeCompare(b.path))) {
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`Two descriptions of ${op.method.toUpperCase()} ${op.path}`);
    item[op.method] = operation(op);
  }
  const tags = [...new Set(operations.flatMap((o) => o.tags))].sort().map((name) => ({ name }));
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Order console API',
      version: info.version,
      description: [
        'Orders, payments, inventory, shipments, workflow tasks and service tickets.',
        'Authenticate with `Authorization: Bearer <api key>` (keys are made under Settings → API keys; the key’s role decides what it may do).',
        'Refusals are `application/problem+json` with a stable `code`, a `messageKey` to translate and the offending `field`; nothing is written for a refused request.',
        'Each API key may make a limited number of requests a minute; over it the answer is 429 with `Retry-After` and the `RateLimit-*` headers.',
        'Money is in minor units (cents) of the order’s currency.',
      ].join('\n\n'),
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    tags,
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from Settings → API keys.' },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: '1–255 visible ASCII characters, unique per operation; a retry with the same key gets the first answer.',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
        },
      },
      headers: {
        'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
        'RateLimit-Limit': { description: 'Requests this API key may make a minute.', schema: { type: 'integer' } },
        'RateLimit-Remaining': { description: 'Requests left in the current window (0 when refused).', schema: { type: 'integer' } },
        'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
      },
      schemas: { Problem: jsonSchema(ProblemSchema, 'output') },
    },
  };
}
