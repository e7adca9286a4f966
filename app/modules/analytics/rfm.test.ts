import { describe, expect, it } from 'vitest';
import { ntile, scoreAll, SEGMENT_RULES, SEGMENTS, segmentFor, summarise } from './rfm.ts';

describe('segment rules', () => {
  it('give every combination of scores exactly one segment, the first rule that matches', () => {
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++)
        for (let m = 1; m <= 5; m++) {
          const s = segmentFor({ r, f, m });
          expect(SEGMENTS).toContain(s);
          const first = SEGMENT_RULES.find((rule) => r >= rule.r[0] && r <= rule.r[1] && f >= rule.f[0] && f <= rule.f[1] && m >= rule.m[0] && m <= rule.m[1]);
          expect(first?.segment).toBe(s);
        }
  });

  it.each([
    [{ r: 5, f: 5, m: 5 }, 'champions'],
    [{ r: 4, f: 4, m: 4 }, 'champions'],
    [{ r: 5, f: 5, m: 3 }, 'loyal'],
    [{ r: 3, f: 3, m: 1 }, 'loyal'],
    [{ r: 5, f: 1, m: 1 }, 'new'],
    [{ r: 4, f: 1, m: 5 }, 'new'],
    [{ r: 5, f: 2, m: 2 }, 'potential'],
    [{ r: 3, f: 1, m: 1 }, 'potential'],
    [{ r: 1, f: 5, m: 5 }, 'cant_lose'],
    [{ r: 2, f: 4, m: 4 }, 'cant_lose'],
    [{ r: 2, f: 4, m: 3 }, 'at_risk'],
    [{ r: 1, f: 3, m: 1 }, 'at_risk'],
    [{ r: 2, f: 2, m: 5 }, 'hibernating'],
    [{ r: 2, f: 1, m: 1 }, 'hibernating'],
    [{ r: 1, f: 2, m: 5 }, 'lost'],
    [{ r: 1, f: 1, m: 1 }, 'lost'],
  ] as const)('%o is %s', (scores, segment) => {
    expect(segmentFor(scores)).toBe(segment);
  });

  it('refuses scores outside 1–5', () => {
    expect(() => segmentFor({ r: 0, f: 3, m: 3 })).toThrow(RangeError);
    expect(() => segmentFor({ r: 3, f: 6, m: 3 })).toThrow(RangeError);
  });

  it('can reach every segment', () => {
    const reached = new Set<string>();
    for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) reached.add(segmentFor({ r, f, m }));
    expect([...reached].sort()).toEqual([...SEGMENTS].sort());
  });
});

describe('ntile', () => {
  it('splits as SQL NTILE does: equal groups, the first ones one larger', () => {
    expect(ntile(10, 5)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(ntile(7, 5)).toEqual([1, 1, 2, 2, 3, 4, 5]);
    expect(ntile(3, 5)).toEqual([1, 2, 3]);
    expect(ntile(0, 5)).toEqual([]);
  });
});

describe('scoreAll', () => {
  const rows = [
    { customerId: 1, recencyDays: 2, frequency: 9, monetary: 90_000 },
    { customerId: 2, recencyDays: 400, frequency: 0, monetary: 0 },
    { customerId: 3, recencyDays: 30, frequency: 3, monetary: 20_000 },
    { customerId: 4, recencyDays: 200, frequency: 6, monetary: 60_000 },
    { customerId: 5, recencyDays: 5, frequency: 1, monetary: 5_000 },
  ];

  it('scores recent, frequent, big spenders 5 and the others down to 1', () => {
    const byId = new Map(scoreAll(rows).map((r) => [r.customerId, r]));
    expect(byId.get(1)).toMatchObject({ r: 5, f: 5, m: 5, segment: 'champions' });
    expect(byId.get(5)).toMatchObject({ r: 4, f: 2, m: 2, segment: 'potential' });
    expect(byId.get(3)).toMatchObject({ r: 3, f: 3, m: 3, segment: 'loyal' });
    expect(byId.get(4)).toMatchObject({ r: 2, f: 4, m: 4, segment: 'cant_lose' });
    expect(byId.get(2)).toMatchObject({ r: 1, f: 1, m: 1, segment: 'lost' });
  });

  it('breaks ties by customer id, so the scores are stable', () => {
    const tied = [3, 1, 2].map((customerId) => ({ customerId, recencyDays: 10, frequency: 1, monetary: 100 }));
    const scores = Object.fromEntries(scoreAll(tied).map((r) => [r.customerId, [r.r, r.f, r.m]]));
    expect(scores).toEqual({ 1: [1, 1, 1], 2: [2, 2, 2], 3: [3, 3, 3] });
  });
});

describe('summarise', () => {
  it('adds up customers, revenue and orders per segment, with every segment listed', () => {
    const s = summarise([
      { segment: 'champions', frequency: 4, monetary: 40_000 },
      { segment: 'champions', frequency: 2, monetary: 20_001 },
      { segment: 'lost', frequency: 0, monetary: 0 },
    ]);
    expect(s.map((x) => x.segment)).toEqual([...SEGMENTS]);
    expect(s.find((x) => x.segment === 'champions')).toEqual({ segment: 'champions', customers: 2, revenue: 60_001, orders: 6, averageOrder: 10_000 });
    expect(s.find((x) => x.segment === 'lost')).toEqual({ segment: 'lost', customers: 1, revenue: 0, orders: 0, averageOrder: 0 });
    expect(s.find((x) => x.segment === 'loyal')?.customers).toBe(0);
  });
});
