// The date range every report reads: whole days [from, to] in the business's time zone (inclusive), from the
// query string (a bad or missing date falls back to the last 30 days up to today), and the period just
// before it of the same length to compare with.
import { z } from 'zod';
import { DateText } from '../../lib/boundary.ts';

export const ReportRange = z.object({
  from: DateText.optional().catch(undefined),
  to: DateText.optional().catch(undefined),
  compare: z.enum(['previous', 'none']).catch('previous'),
});
export type ReportRange = z.infer<typeof ReportRange>;

export interface ResolvedRange {
  from: string;
  to: string;
  /** Days in the range (1 for a single day). */
  days: number;
  /** The same number of days just before `from`, or null when not compared. */
  previous: { from: string; to: string } | null;
}

const DAY = 86_400_000;
export const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
export const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export const todayIn = (timeZone: string, now = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(now);

export function resolveRange(q: ReportRange, todayIso: string, defaultDays = 30): ResolvedRange {
  let to = q.to ?? todayIso;
  let from = q.from ?? addDays(to, -(defaultDays - 1));
  if (from > to) [from, to] = [to, from];
  const days = daysBetween(from, to) + 1;
  const prevTo = addDays(from, -1);
  return { from, to, days, previous: q.compare === 'previous' ? { from: addDays(prevTo, -(days - 1)), to: prevTo } : null };
}

/** A stretch of [from, to] read from day rows or from month rows (whole months, by their first days). */
export interface Span {
  table: 'day' | 'month';
  from: string;
  to: string;
}

const monthStart = (d: string) => `${d.slice(0, 7)}-01`;
const nextMonth = (d: string) => monthStart(addDays(monthStart(d), 32));

/**
 * [from, to] (whole days) as the whole months inside it, read from month rows, and the days before and after
 * them, read from day rows; all days when no whole month fits (or `months` is false).
 */
export function spans(from: string, to: string, months = true): Span[] {
  const first = from.endsWith('-01') ? from : nextMonth(from);
  const last = addDays(to, 1).endsWith('-01') ? monthStart(to) : monthStart(addDays(monthStart(to), -1));
  if (!months || first > last) return [{ table: 'day', from, to }];
  const after = nextMonth(last);
  return [
    ...(from < first ? [{ table: 'day' as const, from, to: addDays(first, -1) }] : []),
    { table: 'month' as const, from: first, to: last },
    ...(after <= to ? [{ table: 'day' as const, from: after, to }] : []),
  ];
}
