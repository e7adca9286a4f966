import { describe, expect, it } from 'vitest';
import {
  daysOfCover,
  DEFAULT_GRID,
  DEFAULT_TREND_GRID,
  demandOver,
  differsMaterially,
  fitHolt,
  fitSes,
  forecastDemand,
  fromFirstSale,
  normalQuantile,
  suggestReorder,
} from './forecast.ts';

/** A small deterministic random generator (an LCG), so the noisy series are the same every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('smoothing by hand', () => {
  it('SES moves the level by alpha towards each week', () => {
    // l0 = 3; ŷ1 = 3, l1 = .5·5 + .5·3 = 4; ŷ2 = 4, l2 = .5·4 + .5·4 = 4.
    const f = fitSes([3, 5, 4], 0.5);
    expect(f.oneStep).toEqual([3, 4]);
    expect(f.ahead(1)).toBe(4);
    expect(f.ahead(5)).toBe(4);
  });

  it('Holt carries a level and a trend', () => {
    // l0 = 1, b0 = 2; ŷ1 = 3, l1 = .5·3 + .5·3 = 3, b1 = .5·2 + .5·2 = 2;
    // ŷ2 = 5, l2 = .5·4 + .5·5 = 4.5, b2 = .5·1.5 + .5·2 = 1.75; ahead h = 4.5 + 1.75h.
    const f = fitHolt([1, 3, 4], 0.5, 0.5);
    expect(f.oneStep).toEqual([3, 5]);
    expect(f.ahead(1)).toBeCloseTo(6.25, 12);
    expect(f.ahead(2)).toBeCloseTo(8, 12);
  });
});

describe('forecastDemand', () => {
  it('forecasts a flat series flat, with no error, by the simplest method', () => {
    const f = forecastDemand(Array(20).fill(10), { horizon: 6 });
    expect(f).toMatchObject({ method: 'ses', alpha: 0.05, beta: null, fallback: null, weeksUsed: 20, sigma: 0 });
    expect(f.forecast).toEqual(Array(6).fill(10));
    expect(f.heldOut).toEqual({ weeks: 4, origins: 4, mae: 0, wape: 0 });
  });

  it('follows a straight trend exactly with Holt', () => {
    const y = Array.from({ length: 20 }, (_, t) => 5 + 2 * t);
    const f = forecastDemand(y, { horizon: 4 });
    expect(f.method).toBe('holt');
    expect(f.heldOut!.mae).toBeCloseTo(0, 9);
    expect(f.sigma).toBeCloseTo(0, 9);
    f.forecast.forEach((v, h) => expect(v).toBeCloseTo(45 + 2 * h, 9));
  });

  it('never forecasts negative demand', () => {
    const f = forecastDemand(
      Array.from({ length: 16 }, (_, t) => Math.max(0, 30 - 2 * t)),
      { horizon: 12 },
    );
    expect(f.forecast.every((v) => v >= 0)).toBe(true);
    expect(f.forecast.at(-1)).toBe(0);
  });

  it('keeps a noisy level flat', () => {
    const rnd = random(7);
    const y = Array.from({ length: 26 }, () => Math.round(20 + (rnd() - 0.5) * 10));
    const f = forecastDemand(y, { horizon: 8 });
    expect(f.method).toBe('ses');
    for (const v of f.forecast) expect(Math.abs(v - 20)).toBeLessThan(2);
    // Uniform noise of ±5 has σ 2.9; the one-week-ahead error is a little more.
    expect(f.sigma).toBeGreaterThan(2.5);
    expect(f.sigma).toBeLessThan(4.5);
  });

  it('chooses by the held-out weeks: the MAE it reports is the chosen fit, and no candidate does better (Holt by 10 %)', () => {
    const rnd = random(42);
    // Seasonal-ish noise: a four-week swing around 20 plus uniform noise of ±5.
    const y = Array.from({ length: 26 }, (_, t) => Math.round(20 + 6 * Math.sin((2 * Math.PI * t) / 4) + (rnd() - 0.5) * 10));
    const f = forecastDemand(y, { horizon: 8 });
    expect(f.fallback).toBeNull();
    expect(f.weeksUsed).toBe(26);
    // Origins 22, 21, 20, 19: fitted on the weeks before, forecasting the four after (16 forecasts).
    const origins = [22, 21, 20, 19];
    const maeOf = (fit: (train: number[]) => { ahead: (h: number) => number }) =>
      origins.reduce((sum, o) => {
        const { ahead } = fit(y.slice(0, o));
        return sum + y.slice(o, o + 4).reduce((a, v, i) => a + Math.abs(v - Math.max(0, ahead(i + 1))), 0);
      }, 0) / 16;
    const chosen = (train: number[]) => (f.method === 'ses' ? fitSes(train, f.alpha!) : fitHolt(train, f.alpha!, f.beta!));
    expect(f.heldOut).toMatchObject({ weeks: 4, origins: 4 });
    expect(f.heldOut!.mae).toBeCloseTo(maeOf(chosen), 12);
    const soldInTests = origins.reduce((a, o) => a + y.slice(o, o + 4).reduce((b, v) => b + v, 0), 0);
    expect(f.heldOut!.wape).toBeCloseTo((f.heldOut!.mae * 16) / soldInTests, 12);
    const sesBest = Math.min(...DEFAULT_GRID.map((a) => maeOf((t) => fitSes(t, a))));
    const holtBest = Math.min(...DEFAULT_GRID.flatMap((a) => DEFAULT_TREND_GRID.map((b) => maeOf((t) => fitHolt(t, a, b)))));
    expect(f.heldOut!.mae).toBeCloseTo(f.method === 'holt' ? holtBest : sesBest, 12);
    if (f.method === 'holt') expect(holtBest).toBeLessThan(0.9 * sesBest);
    else expect(holtBest).toBeGreaterThanOrEqual(0.9 * sesBest - 1e-9);
    // Refitted on all 26 weeks: sigma is the RMS of the one-week-ahead errors of that fit.
    const full = f.method === 'ses' ? fitSes(y, f.alpha!) : fitHolt(y, f.alpha!, f.beta!);
    const errs = full.oneStep.map((p, i) => y[i + 1] - p);
    expect(f.sigma).toBeCloseTo(Math.sqrt(errs.reduce((a, e) => a + e * e, 0) / errs.length), 12);
    // The swing is no trend: the forecast stays within the range sold, the error about the swing plus noise.
    for (const v of f.forecast) {
      expect(v).toBeGreaterThan(Math.min(...y));
      expect(v).toBeLessThan(Math.max(...y));
    }
    expect(f.sigma).toBeGreaterThan(3);
    expect(f.sigma).toBeLessThan(10);
  });

  it('starts at the first sale and falls back to the mean on a short history, saying so', () => {
    expect(fromFirstSale([0, 0, 3, 0, 5])).toEqual([3, 0, 5]);
    const f = forecastDemand([0, 0, 0, 4, 6], { horizon: 3 });
    expect(f).toMatchObject({ method: 'mean', alpha: null, beta: null, heldOut: null, weeksUsed: 2, fallback: 'not_enough_history' });
    expect(f.forecast).toEqual([5, 5, 5]);
    expect(f.sigma).toBeCloseTo(Math.SQRT2, 12);
    // Seven weeks since the first sale is one short of 4 to fit + 4 held out.
    expect(forecastDemand([1, 2, 3, 4, 5, 6, 7]).fallback).toBe('not_enough_history');
    expect(forecastDemand([1, 2, 3, 4, 5, 6, 7, 8])).toMatchObject({ fallback: null, heldOut: { weeks: 4, origins: 1 } });
  });

  it('forecasts nothing for a series with no sale', () => {
    const f = forecastDemand(Array(26).fill(0), { horizon: 4 });
    expect(f).toMatchObject({ method: 'mean', fallback: 'no_demand', weeksUsed: 0, sigma: 0, forecast: [0, 0, 0, 0] });
  });
});

describe('the reorder policy', () => {
  it('knows the normal quantiles', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('sums demand over fractional weeks, the last week repeating', () => {
    expect(demandOver([10, 20, 30], 1.5)).toBe(20);
    expect(demandOver([10], 3)).toBe(30);
    expect(demandOver([10, 20], 0)).toBe(0);
  });

  it('puts the reorder point at lead-time demand plus safety stock, and the quantity over lead time and review', () => {
    // 10 a week, σ 4, lead time 4 weeks, 95 %: 40 + 1.644854 × 4 × √4 = 53.16 → 54; 8 weeks of demand → 80.
    const s = suggestReorder({ forecast: Array(8).fill(10), sigma: 4, leadTimeDays: 28 });
    expect(s.leadTimeWeeks).toBe(4);
    expect(s.leadTimeDemand).toBe(40);
    expect(s.safetyStock).toBeCloseTo(13.158833, 5);
    expect(s.reorderPoint).toBe(54);
    expect(s.reorderQuantity).toBe(80);
    // A supplier minimum lifts the quantity; a lead time of 10 days is 10/7 weeks of demand.
    expect(suggestReorder({ forecast: [7], sigma: 0, leadTimeDays: 10, minimumOrder: 100 })).toMatchObject({ reorderPoint: 10, reorderQuantity: 100 });
    expect(suggestReorder({ forecast: [7], sigma: 0, leadTimeDays: 10, reviewWeeks: 2 }).reorderQuantity).toBe(24);
    // No demand: nothing to reorder.
    expect(suggestReorder({ forecast: [0, 0], sigma: 0, leadTimeDays: 7 })).toMatchObject({ reorderPoint: 0, reorderQuantity: 0 });
  });

  it('counts days of cover and flags material differences', () => {
    expect(daysOfCover(70, [10, 10, 10, 10])).toBe(49);
    expect(daysOfCover(70, [0, 0, 0, 0])).toBeNull();
    expect(differsMaterially(20, 54)).toBe(true);
    expect(differsMaterially(50, 54)).toBe(false);
    expect(differsMaterially(0, 2)).toBe(false);
    expect(differsMaterially(0, 5)).toBe(true);
  });
});
