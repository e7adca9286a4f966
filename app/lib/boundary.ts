// The one boundary rule for input, wherever it comes from (API bodies, webhooks, form posts, query
// strings, path segments, socket payloads): text has no NUL and no lone surrogates (PostgreSQL refuses
// both, and a lone surrogate is not text), JSON is at most MAX_DEPTH deep with at most MAX_VALUES
// values, keys are not `__proto__`, and dates lie between MIN_DATE and MAX_DATE. The web runtime applies
// the text and shape rules to every request before any route sees it (http.server.ts); schemas use the
// zod pieces below for dates and for the strict objects that move money. Plain code: browser and server.
import { z } from 'zod';
import { fieldError } from './errors.ts';
import type { FieldError } from './problem.ts';

export const MAX_DEPTH = 32;
const MAX_VALUES = 100_000;
/** Dates a retailer can mean: from 1970 to the end of 2099 (UTC). */
const MIN_DATE = Date.UTC(1970, 0, 1);
const MAX_DATE = Date.UTC(2100, 0, 1);

/** Text PostgreSQL and people can both read: no NUL, no unpaired UTF-16 surrogate. */
export function isCleanText(s: string): boolean {
  return !s.includes('\u0000') && s.isWellFormed();
}

const textFault = (s: string, field: string): FieldError | null =>
  s.includes('\u0000') ? fieldError(field, 'nul_character') : s.isWellFormed() ? null : fieldError(field, 'lone_surrogate');

/**
 * The first place where `value` (parsed JSON, a form, query parameters) breaks the rule, or null.
 * Walks iteratively, so no nesting can overflow the stack; `field` is the dotted path (`lines.0.sku`).
 */
export function findFault(value: unknown, root = ''): FieldError | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  let seen = 0;
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (++seen > MAX_VALUES) return fieldError(root || '_', 'too_many_values', { max: MAX_VALUES });
    if (typeof v === 'string') {
      const f = textFault(v, path || '_');
      if (f) return f;
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) return fieldError(path || '_', 'too_deep', { max: MAX_DEPTH });
      for (const [k, child] of Object.entries(v)) {
        const childPath = path ? `${path}.${k}` : k;
        if (k === '__proto__') return fieldError(childPath, 'forbidden_key');
        const kf = textFault(k, childPath);
        if (kf) return kf;
        stack.push({ v: child, path: childPath, depth: depth + 1 });
      }
    }
  }
  return null;
}

/**
 * JSON text parsed and held to the rule: a JSON body, or JSON carried in a form field (whose escapes can
 * spell a NUL that the raw text does not contain). `fault` is null for invalid JSON's 'invalid_json'.
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; fault: FieldError | null } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, fault: null };
  }
  const fault = findFault(value);
  return fault ? { ok: false, fault } : { ok: true, value };
}

/** A date-time with its offset (RFC 3339), within the sane range. */
export const DateTimeText = z
  .string()
  .datetime({ offset: true })
  .refine(isSaneDate, { message: 'date out of range', params: { code: 'date_out_of_range' } });

/** A calendar date (YYYY-MM-DD), within the sane range. */
export const DateText = z
  .string()
  .date()
  .refine((d) => isSaneDate(`${d}T00:00:00Z`), { message: 'date out of range', params: { code: 'date_out_of_range' } });

/** True when `text` parses as a date within the sane range. */
export function isSaneDate(text: string): boolean {
  const t = Date.parse(text);
  return Number.isFinite(t) && t >= MIN_DATE && t < MAX_DATE;
}
