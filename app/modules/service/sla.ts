// Business time: the minutes a team is open, in its calendar's time zone (weekly hours, less its
// holidays). Pure: the SLA clock (sla.server.ts) adds business time to an instant and measures it
// between two instants with these. No calendar means the desk never closes (24×7).
//
// Wall-clock times are turned into instants with Intl alone (no time-zone library): a local day's
// opening hours become UTC instants through the zone's offset at that moment, so days that change
// to or from summer time are as long as the wall clock says (23 or 25 hours in Europe/London).

export interface BusinessHours {
  /** ISO weekday: 1 Monday … 7 Sunday. */
  day: number;
  /** Minutes from local midnight, 0 … 1440 (to > from). */
  from: number;
  to: number;
}

export interface CalendarSpec {
  timeZone: string;
  hours: readonly BusinessHours[];
  /** Closed days, YYYY-MM-DD in the calendar's zone. */
  holidays?: readonly string[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far ahead an addition looks for open hours before giving up (a calendar with no hours at all). */
const MAX_DAYS = 3 * 366;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for an IANA zone name Intl knows (Asia/Shanghai, Europe/London, UTC). */
export function isTimeZone(value: string): boolean {
  if (!value || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

interface LocalDate {
  y: number;
  m: number;
  d: number;
}

/** The wall-clock date and minute of day of `ms` in the zone, and the zone's offset from UTC there (ms). */
function local(ms: number, timeZone: string): LocalDate & { offset: number } {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const y = get('year'),
    m = get('month'),
    d = get('day');
  const wall = Date.UTC(y, m - 1, d, get('hour'), get('minute'), get('second'));
  return { y, m, d, offset: wall - (ms - (((ms % 1000) + 1000) % 1000)) };
}

/** The instant at `minutes` past local midnight of the date in the zone (a time skipped by a clock change lands just after it). */
function instantOf(date: LocalDate, minutes: number, timeZone: string): number {
  const wall = Date.UTC(date.y, date.m - 1, date.d) + minutes * MINUTE;
  let guess = wall - local(wall, timeZone).offset;
  const second = wall - local(guess, timeZone).offset;
  if (second !== guess) guess = Math.max(guess, second);
  return guess;
}

const nextDate = (date: LocalDate): LocalDate => {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d) + DAY);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};
const isoWeekday = (date: LocalDate) => {
  const w = new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay();
  return w === 0 ? 7 : w;
};
const dateKey = (date: LocalDate) => `${date.y}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;

/** The open intervals [start, end) of one local date as instants, in order, merged where they touch. */
function openIntervals(cal: CalendarSpec, date: LocalDate): [number, number][] {
  if (cal.holidays?.includes(dateKey(date))) return [];
  const day = isoWeekday(date);
  const spans = cal.hours
    .filter((h) => h.day === day && h.to > h.from)
    .map((h) => [Math.max(0, h.from), Math.min(1440, h.to)] as const)
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of spans) {
    const start = instantOf(date, from, cal.timeZone);
    const end = to >= 1440 ? instantOf(nextDate(date), 0, cal.timeZone) : instantOf(date, to, cal.timeZone);
    if (end <= start) continue;
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** The local date holding `ms`, a day early: so that a zone's date boundary never skips open hours. */
const startDate = (ms: number, timeZone: string): LocalDate => {
  const l = local(ms, timeZone);
  const t = new Date(Date.UTC(l.y, l.m - 1, l.d) - DAY);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};

/**
 * The instant `ms` business milliseconds after `from`. 0 gives `from` when the calendar is open then,
 * else the next opening. Throws when the calendar has no open hours within three years.
 */
export function addBusinessMs(from: Date, ms: number, cal: CalendarSpec | null): Date {
  if (!cal) return new Date(from.getTime() + Math.max(0, ms));
  let left = Math.max(0, ms);
  const t0 = from.getTime();
  let date = startDate(t0, cal.timeZone);
  for (let i = 0; i < MAX_DAYS + 2; i++) {
    for (const [start, end] of openIntervals(cal, date)) {
      if (end <= t0) continue;
      const s = Math.max(start, t0);
      if (left === 0) return new Date(s);
      if (end - s >= left) return new Date(s + left);
      left -= end - s;
    }
    date = nextDate(date);
  }
  throw new Error(`calendar ${cal.timeZone} has no open hours within ${MAX_DAYS} days`);
}

export const addBusinessMinutes = (from: Date, minutes: number, cal: CalendarSpec | null): Date => addBusinessMs(from, minutes * MINUTE, cal);

/** Business milliseconds between `from` and `to` (0 when `to` is not later). */
export function businessMsBetween(from: Date, to: Date, cal: CalendarSpec | null): number {
  const a = from.getTime(),
    b = to.getTime();
  if (b <= a) return 0;
  if (!cal) return b - a;
  let total = 0;
  let date = startDate(a, cal.timeZone);
  for (let i = 0; i < 100_000; i++) {
    const intervals = openIntervals(cal, date);
    for (const [start, end] of intervals) {
      const s = Math.max(start, a),
        e = Math.min(end, b);
      if (e > s) total += e - s;
    }
    // Past `to` once this date's midnight is: later dates hold nothing before it.
    if (instantOf(date, 0, cal.timeZone) > b) break;
    date = nextDate(date);
  }
  return total;
}

export const businessMinutesBetween = (from: Date, to: Date, cal: CalendarSpec | null): number => businessMsBetween(from, to, cal) / MINUTE;

/** ISO weekdays, Monday first. */
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
/** A day's hours as the form shows them: "09:00-12:00, 13:00-18:00" ('' closed). */
export const hoursText = (hours: BusinessHours[], day: number) =>
  hours
    .filter((h) => h.day === day)
    .sort((a, b) => a.from - b.from)
    .map((h) => `${hhmm(h.from)}-${hhmm(h.to)}`)
    .join(', ');
