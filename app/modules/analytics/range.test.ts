import { describe, expect, it } from 'vitest';
import { addDays, resolveRange, spans } from './range.ts';
import { bucketOf, bucketRange, percentile } from './histogram.ts';

describe('spans', () => {
  it('reads whole months from month rows and the edges from day rows', () => {
    expect(spans('2026-01-15', '2026-04-10')).toEqual([
      { table: 'day', from: '2026-01-15', to: '2026-01-31' },
      { table: 'month', from: '2026-02-01', to: '2026-03-01' },
      { table: 'day', from: '2026-04-01', to: '2026-04-10' },
    ]);
    expect(spans('2026-02-01', '2026-02-28')).toEqual([{ table: 'month', from: '2026-02-01', to: '2026-02-01' }]);
    expect(spans('2024-02-01', '2024-02-28')).toEqual([{ table: 'day', from: '2024-02-01', to: '2024-02-28' }]);
    expect(spans('2025-12-01', '2026-01-31')).toEqual([{ table: 'month', from: '2025-12-01', to: '2026-01-01' }]);
    expect(spans('2026-03-02', '2026-03-31')).toEqual([{ table: 'day', from: '2026-03-02', to: '2026-03-31' }]);
    expect(spans('2026-01-15', '2026-04-10', false)).toEqual([{ table: 'day', from: '2026-01-15', to: '2026-04-10' }]);
  });

  it('covers every day of a range exactly once', () => {
    for (let a = 0; a < 400; a += 7)
      for (const len of [0, 1, 27, 31, 59, 95, 365]) {
        const from = addDays('2025-01-01', a);
        const to = addDays(from, len);
        const covered: string[] = [];
        for (const s of spans(from, to))
          for (let d = s.from; s.table === 'day' ? d <= s.to : d.slice(0, 7) <= s.to.slice(0, 7); d = addDays(d, 1)) covered.push(d);
        expect(covered, `${from} → ${to}`).toEqual(Array.from({ length: len + 1 }, (_, i) => addDays(from, i)));
      }
  });

  it('compares with the same number of days just before', () => {
    expect(resolveRange({ from: '2026-03-01', to: '2026-03-31', compare: 'previous' }, '2026-04-01').previous).toEqual({
      from: '2026-01-29',
      to: '2026-02-28',
    });
  });
});

describe('processing-time histogram', () => {
  it('puts a duration in the bucket whose edges hold it', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-3)).toBe(0);
    expect(bucketOf(1)).toBe(1);
    expect(bucketOf(23.99)).toBe(6);
    expect(bucketOf(24)).toBe(7);
    expect(bucketOf(10_000)).toBe(17);
    for (let k = 0; k < 18; k++) {
      const [lo, hi] = bucketRange(k);
      expect(bucketOf(lo)).toBe(k);
      if (hi !== null) expect(bucketOf(hi - 0.001)).toBe(k);
    }
  });

  it('reads a percentile by interpolating inside the bucket the rank falls in', () => {
    // 10 orders: 4 in [0, 1) h, 6 in [2, 4) h. The median's rank, 5, is the first of the 6: 1/6 into [2, 4).
    expect(percentile([4, 0, 6], 0.5)).toBe(2.3);
    expect(percentile([4, 0, 6], 0.4)).toBe(1);
    expect(percentile([10], 0.9)).toBe(0.9);
    expect(percentile([...Array(17).fill(0), 5], 0.5)).toBe(720);
    expect(percentile([], 0.5)).toBeNull();
  });
});
