// Row ids as URLs, forms and request bodies carry them. Our tables count ids with PostgreSQL `serial`
// (int4): 1 to 2147483647, ten digits at most. Anything else names no row, so it is answered as one
// (404, or 422 on the field), never passed to the database, which would fail on a number beyond int4
// (a 500). Plain code: routes, forms and services share it.
import { z } from 'zod';
import { invalid } from './errors.ts';
import { fieldErrors, problem } from './problem.ts';

export const MAX_ID = 2_147_483_647;

/** An id written as text (a route param, a form field, a query value): decimal digits only, 1 to MAX_ID. */
export const IdText = z
  .string()
  .regex(/^\d{1,10}$/)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_ID));

/** An id from JSON or a form: a whole number, or its digits as text. */
export const Id = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), IdText);

/** The id `text` names, or null when it names no row. */
export function parseId(text: string | null | undefined): number | null {
  const r = IdText.safeParse(text);
  return r.success ? r.data : null;
}

/** A form field's id; anything else throws a 422 naming `field` (a DomainError, as the services throw). */
export function formId(value: unknown, field: string): number {
  const r = Id.safeParse(value);
  if (!r.success) throw invalid(fieldErrors(r.error).map((e) => ({ ...e, field })));
  return r.data;
}

/** A route param's id; anything else throws the route's answer: 404 (problem+json) naming `what`. */
export function routeId(text: string | undefined, what: string): number {
  const id = parseId(text);
  if (id === null) throw problem(404, 'not_found', { detail: `No ${what} ${text ?? ''}.` });
  return id;
}
