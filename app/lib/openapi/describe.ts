// What an /api/v1 route module says about itself, for the OpenAPI document (app/lib/openapi/document.ts).
// Each `app/routes/api.v1.*.ts` exports `openapi: ApiOperation[]` built from the very zod schemas its
// handler parses with, so the document cannot drift from the code; tests/integration/openapi.test.ts
// checks the route files against the document and real answers against the documented schemas.
import { z } from 'zod';

export type HttpMethod = 'get' | 'post';

/** How the caller proves who it is: an API key (or the console's session), the channel's HMAC signature, or nothing. */
export type ApiAuth = 'apiKey' | 'webhookSignature' | 'none';

export interface ApiResponse {
  description: string;
  /** The JSON body (its output type); absent for an answer without one. */
  schema?: z.ZodType;
  /** Response headers beyond the ones every answer may carry. */
  headers?: Record<string, { description: string; schema?: Record<string, unknown> }>;
}

export interface ApiRequestBody {
  /** The JSON body, as the handler parses it (its input type). */
  schema: z.ZodType;
  /** Named examples, taken from the tests' real requests. */
  examples?: Record<string, { summary: string; value: unknown }>;
  /** Defaults to application/json. */
  contentType?: string;
  required?: boolean;
}

export interface ApiOperation {
  method: HttpMethod;
  /** The OpenAPI path: `/api/v1/orders/{id}` (a route param may be spelt out: `/api/v1/payments/{id}/capture`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: ApiAuth;
  /** The permission an API key's role needs (app/lib/permissions.ts); said in the description. */
  permission?: string;
  /** Path parameters: an object schema, one property a parameter. */
  params?: z.ZodObject;
  /** Query parameters: an object schema, one property a parameter. */
  query?: z.ZodType;
  /** Request headers the operation reads (besides Authorization and Idempotency-Key). */
  headers?: Record<string, { description: string; required?: boolean }>;
  body?: ApiRequestBody;
  /** The successful answers, by status. */
  responses: Record<number, ApiResponse>;
  /** Refusals (problem+json), by status, with the stable `code`s each can carry. */
  problems: Record<number, string[]>;
  /** Whether an Idempotency-Key header is honoured (a retry with the same key gets the first answer). */
  idempotent: boolean;
}

/** Numeric row id in a path (`routeId`): anything else answers 404. */
export const PathId = z.string().regex(/^\d{1,10}$/);

/** Compile-time check that a handler's answer type is one its documented schema describes (`Actual` must be assignable). */
export type Matches<Actual extends Documented, Documented> = Actual;
