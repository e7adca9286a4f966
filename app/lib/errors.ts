// Errors the domain raises on purpose. Each carries an HTTP status, a stable code, the field at
// fault and translation parameters, so API routes answer problem+json and pages show it translated.
import type { z } from 'zod';
import { fieldErrors, problem, type FieldError } from './problem.ts';

export class DomainError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly params?: Record<string, string | number>;
  readonly errors?: FieldError[];

  constructor(status: number, code: string, detail: string, opts: { field?: string; params?: Record<string, string | number>; errors?: FieldError[] } = {}) {
    super(detail);
    this.name = 'DomainError';
    this.status = status;
    this.code = code;
    this.field = opts.field;
    this.params = opts.params;
    this.errors = opts.errors;
  }

  toProblem(): Response {
    return problem(this.status, this.code, { detail: this.message, field: this.field, params: this.params, errors: this.errors });
  }

  toJSON() {
    return {
      status: this.status,
      code: this.code,
      messageKey: `errors.${this.code}`,
      detail: this.message,
      field: this.field,
      params: this.params,
      errors: this.errors,
    };
  }
}

/** 422 naming every field at fault. */
export const invalid = (errors: FieldError[], detail = errors.map((e) => `${e.field}: ${e.code}`).join('; ')) =>
  new DomainError(422, 'validation_failed', detail, { field: errors[0]?.field, errors });

export const fieldError = (field: string, code: string, params?: Record<string, string | number>): FieldError => ({
  field,
  code,
  messageKey: `errors.validation.${code}`,
  params,
});

/** `schema` applied to input: the value, or a 422 naming every field at fault (`prefix` before each path). */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, prefix?: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw invalid(fieldErrors(r.error).map((e) => (prefix ? { ...e, field: e.field === '_' ? prefix : `${prefix}.${e.field}` } : e)));
}
