import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, businessMinutesBetween, isTimeZone, type CalendarSpec } from './sla.ts';

const weekdays = (from: number, to: number) => [1, 2, 3, 4, 5].map((day) => ({ day, from, to }));
/** Shanghai, Monday to Friday 09:00–18:00 (UTC+8 all year). */
const SHANGHAI: CalendarSpec = { timeZone: 'Asia/Shanghai', hours: weekdays(9 * 60, 18 * 60), holidays: ['2026-10-01'] };
/** London, Monday to Friday 09:00–17:00 (GMT in winter, BST in summer). */
const LONDON: CalendarSpec = { timeZone: 'Europe/London', hours: weekdays(9 * 60, 17 * 60) };
const at = (iso: string) => new Date(iso);

describe('business time', () => {
  it('is plain time without a calendar (24×7)', () => {
    expect(addBusinessMinutes(at('2026-03-07T23:50:00Z'), 30, null).toISOString()).toBe('2026-03-08T00:20:00.000Z');
    expect(businessMinutesBetween(at('2026-03-07T23:50:00Z'), at('2026-03-08T00:20:00Z'), null)).toBe(30);
    expect(businessMinutesBetween(at('2026-03-08T00:20:00Z'), at('2026-03-07T23:50:00Z'), null)).toBe(0);
  });

  it('adds within the day and across the closing time (Asia/Shanghai)', () => {
    // Tuesday 2026-09-15 10:00 local = 02:00Z.
    expect(addBusinessMinutes(at('2026-09-15T02:00:00Z'), 60, SHANGHAI).toISOString()).toBe('2026-09-15T03:00:00.000Z');
    // 17:30 local + 60 min: 30 today, 30 tomorrow from 09:00 → Wednesday 09:30 local = 01:30Z.
    expect(addBusinessMinutes(at('2026-09-15T09:30:00Z'), 60, SHANGHAI).toISOString()).toBe('2026-09-16T01:30:00.000Z');
    // Before opening: counts from 09:00.
    expect(addBusinessMinutes(at('2026-09-15T00:00:00Z'), 15, SHANGHAI).toISOString()).toBe('2026-09-15T01:15:00.000Z');
  });

  it('skips the weekend', () => {
    // Friday 2026-09-18 17:00 local + 2 h → Monday 2026-09-21 10:00 local = 02:00Z.
    expect(addBusinessMinutes(at('2026-09-18T09:00:00Z'), 120, SHANGHAI).toISOString()).toBe('2026-09-21T02:00:00.000Z');
    // Saturday noon counts from Monday 09:00.
    expect(addBusinessMinutes(at('2026-09-19T04:00:00Z'), 0, SHANGHAI).toISOString()).toBe('2026-09-21T01:00:00.000Z');
    expect(businessMinutesBetween(at('2026-09-18T09:00:00Z'), at('2026-09-21T02:00:00Z'), SHANGHAI)).toBe(120);
  });

  it('skips a holiday', () => {
    // Wednesday 2026-09-30 17:00 local + 2 h: Thursday 1 October is closed → Friday 2 October 10:00 local.
    expect(addBusinessMinutes(at('2026-09-30T09:00:00Z'), 120, SHANGHAI).toISOString()).toBe('2026-10-02T02:00:00.000Z');
    expect(businessMinutesBetween(at('2026-09-30T09:00:00Z'), at('2026-10-02T02:00:00Z'), SHANGHAI)).toBe(120);
  });

  it('follows summer time in Europe/London', () => {
    // Winter: 09:00 GMT = 09:00Z.
    expect(addBusinessMinutes(at('2026-01-13T08:00:00Z'), 30, LONDON).toISOString()).toBe('2026-01-13T09:30:00.000Z');
    // Summer: 09:00 BST = 08:00Z.
    expect(addBusinessMinutes(at('2026-07-14T07:00:00Z'), 30, LONDON).toISOString()).toBe('2026-07-14T08:30:00.000Z');
    // Across the change (Sunday 29 March 2026): Friday 27th 16:30 GMT + 60 min → Monday 30th 09:30 BST = 08:30Z.
    expect(addBusinessMinutes(at('2026-03-27T16:30:00Z'), 60, LONDON).toISOString()).toBe('2026-03-30T08:30:00.000Z');
    expect(businessMinutesBetween(at('2026-03-27T16:30:00Z'), at('2026-03-30T08:30:00Z'), LONDON)).toBe(60);
    // Back to GMT (Sunday 25 October 2026): Friday 23rd 16:00 BST (15:00Z) + 120 → Monday 26th 10:00 GMT.
    expect(addBusinessMinutes(at('2026-10-23T15:00:00Z'), 120, LONDON).toISOString()).toBe('2026-10-26T10:00:00.000Z');
  });

  it('counts a 24-hour day across a clock change by the wall clock', () => {
    const always: CalendarSpec = { timeZone: 'Europe/London', hours: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, from: 0, to: 1440 })) };
    // Sunday 29 March 2026 has 23 hours.
    expect(businessMinutesBetween(at('2026-03-29T00:00:00Z'), at('2026-03-29T23:00:00Z'), always)).toBe(23 * 60);
    expect(addBusinessMinutes(at('2026-03-28T23:30:00Z'), 60, always).toISOString()).toBe('2026-03-29T00:30:00.000Z');
  });

  it('adds and measures consistently over split hours (lunch break)', () => {
    const split: CalendarSpec = {
      timeZone: 'Asia/Shanghai',
      hours: [1, 2, 3, 4, 5].flatMap((day) => [
        { day, from: 9 * 60, to: 12 * 60 },
        { day, from: 13 * 60, to: 18 * 60 },
      ]),
    };
    // 11:30 local + 60 → 13:30 local.
    const due = addBusinessMinutes(at('2026-09-15T03:30:00Z'), 60, split);
    expect(due.toISOString()).toBe('2026-09-15T05:30:00.000Z');
    for (const minutes of [1, 59, 480, 481, 2000, 10_000]) {
      const start = at('2026-09-15T03:30:00Z');
      expect(businessMinutesBetween(start, addBusinessMinutes(start, minutes, split), split)).toBe(minutes);
    }
  });

  it('refuses a calendar with no hours rather than looping forever', () => {
    expect(() => addBusinessMinutes(at('2026-01-01T00:00:00Z'), 1, { timeZone: 'UTC', hours: [] })).toThrow(/no open hours/);
    expect(businessMinutesBetween(at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'), { timeZone: 'UTC', hours: [] })).toBe(0);
  });

  it('knows time zones', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
