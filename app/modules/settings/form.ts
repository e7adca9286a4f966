// Shared pieces of the settings forms (warehouses, carriers, channels): field parsers that read a
// form's strings or a JSON body alike, and the mapping of zod issues to one translated error per
// field. Every check in those schemas carries a short code as its message; the UI shows
// `<ns>.errors.<code>`, a sentence that names the field and, where it helps, the value refused.
import type { z } from 'zod';
import type { FieldError } from '../../lib/problem.ts';

/** Service levels a carrier rule can serve (an order picked up in store ships as standard). */
export const RULE_SERVICE_LEVELS = ['standard', 'express'] as const;
/** Rules one carrier may have. */
export const MAX_RULES = 20;
/** Webhook dialects intake understands (app/modules/channels/webhooks.server.ts). */
export const CHANNEL_ADAPTERS = ['shopify', 'woocommerce'] as const;

/** A number from a form field ("12.5", "-74") or JSON; '' and absent → undefined, anything else → NaN (refused). */
export function toNumber(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return Number.NaN;
  const s = v.trim();
  if (s === '') return undefined;
  return /^[-+]?\d+(\.\d+)?$/.test(s) ? Number(s) : Number.NaN;
}

/** The named fields of a posted form as the save functions take them: the text typed, or undefined (absent, or a file). */
export function formTexts<K extends string>(form: FormData, keys: readonly K[]): Record<K, string | undefined> {
  return Object.fromEntries(
    keys.map((k) => {
      const v = form.get(k);
      return [k, typeof v === 'string' ? v : undefined];
    }),
  ) as Record<K, string | undefined>;
}

/** What a save did, as its redirect names it in `?done=` and the page's notice says. */
export type SaveOutcome = 'created' | 'saved' | 'unchanged';
export const saveOutcome = (r: { created?: boolean; changed: string[] }): SaveOutcome => (r.created ? 'created' : r.changed.length ? 'saved' : 'unchanged');
/** `?done=` read back; anything else reads as unchanged. */
export const readOutcome = (done: string): SaveOutcome => (done === 'created' || done === 'saved' ? done : 'unchanged');

/** Optional text: trimmed, '' → undefined. */
export const toText = (v: unknown): unknown => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v);

/** A list from "US, CA  mx" (commas or spaces) or an array; upper-cased, blanks and repeats dropped. */
export function toCodeList(v: unknown): unknown {
  const items = typeof v === 'string' ? v.split(/[\s,;]+/) : Array.isArray(v) ? v : v === undefined || v === null ? [] : v;
  if (!Array.isArray(items)) return items;
  return [...new Set(items.map((x) => (typeof x === 'string' ? x.trim().toUpperCase() : x)).filter((x) => x !== ''))];
}

let regions: Intl.DisplayNames | undefined;
/** Not countries, though the region names know them. */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'UK']);

/** An ISO 3166-1 alpha-2 country code (GB, not UK). */
export function isCountry(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return false;
  regions ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  return regions.of(code) !== undefined;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key as string];
  }
  return v;
}

const shown = (v: unknown) => (v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v)).slice(0, 80);

/**
 * One error per field, the first that applies: `field` is the path ("rules.1.priority", as the form
 * names its inputs), the message key `<ns>.errors.<code>`, and as params the refused `value` and the
 * `row` (1-based) of a list item. A check may name the `value` at fault itself (the one bad code of a list).
 */
export function formErrors(error: z.ZodError, ns: string, raw: unknown): FieldError[] {
  const out = new Map<string, FieldError>();
  for (const issue of error.issues) {
    // An element of a list of codes (currencies.2, rules.0.countries.1) is reported on the list's field.
    const path = issue.path.length > 1 && typeof issue.path.at(-1) === 'number' && issue.path.at(-2) !== 'rules' ? issue.path.slice(0, -1) : issue.path;
    const field = path.map(String).join('.') || '_';
    if (out.has(field)) continue;
    const params: Record<string, string | number> = { value: shown(valueAt(raw, path)) };
    const row = path.findIndex((p) => typeof p === 'number');
    if (row >= 0) params.row = Number(path[row]) + 1;
    const extra = (issue as { params?: Record<string, unknown> }).params;
    for (const [k, v] of Object.entries(extra ?? {})) if (typeof v === 'string' || typeof v === 'number') params[k] = v;
    const code = /^[a-zA-Z][a-zA-Z0-9]*$/.test(issue.message) ? issue.message : 'invalid';
    out.set(field, { field, code, messageKey: `${ns}.errors.${code}`, params });
  }
  return [...out.values()];
}
