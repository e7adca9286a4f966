// Reading a platform's JSON without trusting its shape: each helper answers a usable value or
// undefined, and the mapped order is left to OrderInput to judge.
import type { z } from 'zod';
import { fieldError, invalid } from '../../lib/errors.ts';
import { isCurrency } from '../../lib/money.ts';
import type { OrderInput } from '../orders/schemas.ts';

/** An order as a channel adapter hands it to intake, before OrderInput validates it. */
export type OrderDraft = z.input<typeof OrderInput>;
export type AddressDraft = OrderDraft['shippingAddress'];

export type Json = Record<string, unknown>;

export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object at `v`, or an empty one. */
export const record = (v: unknown): Json => (isRecord(v) ? v : {});

export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Non-blank text (numbers are written out, e.g. ids); undefined otherwise. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** First non-blank text among `values`. */
export const firstText = (...values: unknown[]): string | undefined => values.map(text).find((t) => t !== undefined);

/** "First Last" from the parts that are there. */
export const joinName = (...parts: unknown[]): string | undefined => text(parts.map(text).filter(Boolean).join(' '));

/**
 * A field the order needs, as found: when the platform left it out it stays undefined, so that
 * validation reports it as `required` under its OrderInput name.
 */
export const needed = (v: string | undefined): string => v as string;

/** A quantity: numeric text is read as a number; anything else goes on as sent for validation to judge. */
export const quantity = (v: unknown): number => (typeof v === 'string' && v.trim() !== '' ? Number(v) : (v as number));

/** A coordinate: a finite number (or numeric text), else undefined. */
export function coordinate(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A timestamp as ISO 8601 with offset, or undefined when it does not parse. */
export function timestamp(v: unknown, assumeUtc = false): string | undefined {
  const t = text(v);
  if (!t) return undefined;
  const withZone = assumeUtc && !/(Z|[+-]\d\d:?\d\d)$/i.test(t) ? `${t}Z` : t;
  const d = new Date(withZone);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The payload as an object, and its currency (upper case) as one amounts can be read in; refuses otherwise. */
export function orderPayload(payload: unknown): { order: Json; currency: string } {
  if (!isRecord(payload)) throw invalid([fieldError('_', 'invalid_type', { expected: 'object' })]);
  const currency = text(payload.currency)?.toUpperCase();
  if (!currency) throw invalid([fieldError('currency', 'required')]);
  if (!isCurrency(currency)) throw invalid([fieldError('currency', 'invalid_value', { currency })]);
  return { order: payload, currency };
}

/** Drops the keys whose value is undefined (the draft then reads like the platform's data). */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
