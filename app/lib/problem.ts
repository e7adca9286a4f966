// RFC 9457 problem details, shared by API routes (as JSON) and pages (translated by `messageKey`).
import { z } from 'zod';

export interface FieldError {
  field: string;
  code: string;
  /** i18next key under `errors.` the UI translates; `params` fill its placeholders. */
  messageKey: string;
  params?: Record<string, string | number>;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  messageKey: string;
  detail?: string;
  field?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export interface ProblemInit {
  title?: string;
  messageKey?: string;
  detail?: string;
  field?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export function problemBody(status: number, code: string, init: ProblemInit = {}): Problem {
  const { title, messageKey, ...rest } = init;
  return {
    type: `urn:oms:problem:${code}`,
    title: title ?? code.replace(/_/g, ' '),
    status,
    code,
    messageKey: messageKey ?? `errors.${code}`,
    ...rest,
  };
}

/** A `Response` carrying a problem; thrown or returned by loaders, actions and API routes. */
export function problem(status: number, code: string, init: ProblemInit = {}, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('Content-Type', 'application/problem+json; charset=utf-8');
  return new Response(JSON.stringify(problemBody(status, code, init)), { status, headers: h });
}

/** Maps zod issues to field errors with translatable keys. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '_';
    const params: Record<string, string | number> = {};
    if ('minimum' in issue && issue.minimum != null) params.min = Number(issue.minimum);
    if ('maximum' in issue && issue.maximum != null) params.max = Number(issue.maximum);
    const custom = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    const code = typeof custom === 'string' ? custom : issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.code;
    return { field, code, messageKey: `errors.validation.${code}`, params };
  });
}

export function validationProblem(error: z.ZodError): Response {
  const errors = fieldErrors(error);
  return problem(422, 'validation_failed', {
    detail: errors.map((e) => `${e.field}: ${e.code}`).join('; '),
    field: errors[0]?.field,
    errors,
  });
}

/** The problem+json body as a schema, for the OpenAPI document and the tests that check real answers against it. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  code: z.string(),
  messageKey: z.string(),
  detail: z.string().optional(),
  field: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  errors: z
    .array(
      z.object({
        field: z.string(),
        code: z.string(),
        messageKey: z.string(),
        params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      }),
    )
    .optional(),
});
