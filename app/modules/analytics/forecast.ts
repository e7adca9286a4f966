// Weekly demand forecasts and the reorder policy they suggest. Pure: numbers in, numbers out.
//
// Two exponential-smoothing methods are fitted to a weekly series of units sold:
// - simple exponential smoothing (SES): a level that moves towards each new week by a share alpha,
//   forecast flat at the last level;
// - Holt's linear trend (double exponential smoothing): a level and a trend (units per week), smoothed
//   by alpha and beta, forecast along the last trend.
// The method and its parameters are chosen by a grid search on held-out weeks: each candidate is fitted
// on all but the last `holdout` weeks and forecasts those weeks, and again from each of the three weeks
// before (rolling origins: one four-week window of noise would otherwise decide); the one with the smallest
// mean absolute error (MAE) over all those forecasts wins, except that Holt must beat the best SES by
// HOLT_MARGIN (a trend read into noise would be extrapolated for months); ties go to the smaller
// parameters. The winner is then refitted on the whole series to forecast the weeks ahead. A series too
// short to hold weeks out, or with no sale at all, gets the mean of what there is, and says so.
//
// The reorder policy from a forecast: reorder point = demand over the lead time + safety stock, where
// safety stock = z(service level) × σ × √(lead time in weeks) and σ is the standard deviation of the
// one-week-ahead forecast error; the quantity covers the demand over the lead time plus a review period.

/** Weekly units sold, oldest first. */
export type WeeklySeries = readonly number[];

export type ForecastMethod = 'holt' | 'ses' | 'mean';
/** Why a forecast fell back to the mean: fewer weeks since the first sale than a fair test needs, or no sale. */
export type ForecastFallback = 'not_enough_history' | 'no_demand';

export interface HeldOutError {
  /** Weeks forecast from each origin. */
  weeks: number;
  /** Origins tested (the last week fitted on moved back one week each time). */
  origins: number;
  /** Mean absolute error per week, in units. */
  mae: number;
  /** Total absolute error over the units actually sold in those weeks (WAPE: safe with zero weeks); null when none sold. */
  wape: number | null;
}

export interface Forecast {
  method: ForecastMethod;
  alpha: number | null;
  beta: number | null;
  /** Units per week for the weeks ahead (never negative). */
  forecast: number[];
  /** The chosen method's error on the held-out weeks; null for a fallback. */
  heldOut: HeldOutError | null;
  /** Standard deviation of the one-week-ahead error (units per week), what safety stock is sized on. */
  sigma: number;
  /** Weeks the forecast was fitted on (from the first sale on). */
  weeksUsed: number;
  fallback: ForecastFallback | null;
}

export interface ForecastOptions {
  /** Weeks to forecast (default 8). */
  horizon?: number;
  /** Weeks held out to choose the method (default 4). */
  holdout?: number;
  /** Smoothing parameters tried for alpha (default 0.05, 0.10, … 0.95). */
  grid?: readonly number[];
  /** … and for beta, the trend's (default 0.05 … 0.50: a trend is smoothed more than the level). */
  trendGrid?: readonly number[];
}

/** Weeks held out plus at least this many to fit on, or the forecast falls back to the mean. */
export const MIN_FIT_WEEKS = 4;
export const DEFAULT_GRID: readonly number[] = Array.from({ length: 19 }, (_, i) => ((i + 1) * 5) / 100);
export const DEFAULT_TREND_GRID: readonly number[] = DEFAULT_GRID.filter((b) => b <= 0.5);
/** Rolling origins the held-out error is averaged over, at most. */
export const MAX_FOLDS = 4;
/** Holt is chosen over SES only when its held-out MAE is at least this share smaller. */
export const HOLT_MARGIN = 0.1;

interface Fit {
  /** One-week-ahead forecasts for weeks 1 … n−1 (week 0 starts the level). */
  oneStep: number[];
  /** Forecast h weeks after the last week. */
  ahead: (h: number) => number;
}

/** Simple exponential smoothing: l₀ = y₀; ŷₜ = lₜ₋₁; lₜ = α·yₜ + (1−α)·lₜ₋₁; forecast lₙ. */
export function fitSes(y: WeeklySeries, alpha: number): Fit {
  let level = y[0] ?? 0;
  const oneStep: number[] = [];
  for (let t = 1; t < y.length; t++) {
    oneStep.push(level);
    level = alpha * y[t] + (1 - alpha) * level;
  }
  return { oneStep, ahead: () => level };
}

/**
 * Holt's linear trend: l₀ = y₀, b₀ = y₁ − y₀; ŷₜ = lₜ₋₁ + bₜ₋₁; lₜ = α·yₜ + (1−α)(lₜ₋₁ + bₜ₋₁);
 * bₜ = β(lₜ − lₜ₋₁) + (1−β)·bₜ₋₁; forecast h ahead lₙ + h·bₙ. Needs two weeks.
 */
export function fitHolt(y: WeeklySeries, alpha: number, beta: number): Fit {
  let level = y[0] ?? 0;
  let trend = y.length > 1 ? y[1] - y[0] : 0;
  const oneStep: number[] = [];
  for (let t = 1; t < y.length; t++) {
    oneStep.push(level + trend);
    const previous = level;
    level = alpha * y[t] + (1 - alpha) * (level + trend);
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  return { oneStep, ahead: (h) => level + h * trend };
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
/** Root mean square of `xs` (0 for none). */
const rms = (xs: readonly number[]) => Math.sqrt(mean(xs.map((x) => x * x)));

function heldOutError(actual: readonly number[], predicted: readonly number[], weeks: number, origins: number): HeldOutError {
  const abs = actual.map((a, i) => Math.abs(a - Math.max(0, predicted[i])));
  const sold = actual.reduce((a, b) => a + b, 0);
  return { weeks, origins, mae: mean(abs), wape: sold > 0 ? abs.reduce((a, b) => a + b, 0) / sold : null };
}

interface Candidate {
  method: 'ses' | 'holt';
  alpha: number;
  beta: number | null;
  fit: (y: WeeklySeries) => Fit;
}

function candidates(grid: readonly number[], trendGrid: readonly number[]): Candidate[] {
  const out: Candidate[] = grid.map((alpha) => ({ method: 'ses' as const, alpha, beta: null, fit: (y: WeeklySeries) => fitSes(y, alpha) }));
  for (const alpha of grid) for (const beta of trendGrid) out.push({ method: 'holt', alpha, beta, fit: (y: WeeklySeries) => fitHolt(y, alpha, beta) });
  return out;
}

/** The weeks from the first one with a sale (the weeks before may predate the product), or none. */
export function fromFirstSale(series: WeeklySeries): number[] {
  const first = series.findIndex((v) => v > 0);
  return first < 0 ? [] : series.slice(first);
}

/** Forecasts weekly demand: the method and parameters the held-out weeks favour, refitted on the whole series. */
export function forecastDemand(series: WeeklySeries, opts: ForecastOptions = {}): Forecast {
  const horizon = opts.horizon ?? 8;
  const holdout = opts.holdout ?? 4;
  const grid = opts.grid ?? DEFAULT_GRID;
  const y = fromFirstSale(series.map((v) => Math.max(0, Number.isFinite(v) ? v : 0)));
  if (y.length < holdout + MIN_FIT_WEEKS) {
    // Honest fallback: the weekly mean over the weeks since the first sale, its spread as the error.
    const m = mean(y);
    return {
      method: 'mean',
      alpha: null,
      beta: null,
      forecast: Array.from({ length: horizon }, () => m),
      heldOut: null,
      sigma: y.length > 1 ? Math.sqrt(y.reduce((a, v) => a + (v - m) ** 2, 0) / (y.length - 1)) : m,
      weeksUsed: y.length,
      fallback: y.length ? 'not_enough_history' : 'no_demand',
    };
  }
  // Rolling origins: each of the last `folds` starting points forecasts the `holdout` weeks after it.
  const folds = Math.min(MAX_FOLDS, y.length - holdout - MIN_FIT_WEEKS + 1);
  const splits = Array.from({ length: folds }, (_, k) => y.length - holdout - k).map((origin) => ({
    train: y.slice(0, origin),
    test: y.slice(origin, origin + holdout),
  }));
  const best: Partial<Record<Candidate['method'], { c: Candidate; err: HeldOutError }>> = {};
  for (const c of candidates(grid, opts.trendGrid ?? DEFAULT_TREND_GRID)) {
    const actual: number[] = [];
    const predicted: number[] = [];
    for (const { train, test } of splits) {
      const fit = c.fit(train);
      for (const [i, v] of test.entries()) {
        actual.push(v);
        predicted.push(fit.ahead(i + 1));
      }
    }
    const err = heldOutError(actual, predicted, holdout, folds);
    // Strictly better only (beyond rounding): the first of equals, with the smaller parameters, stays.
    const b = best[c.method];
    if (!b || err.mae < b.err.mae - 1e-9) best[c.method] = { c, err };
  }
  const ses = best.ses!;
  const holt = best.holt;
  const { c, err } = holt && holt.err.mae < ses.err.mae * (1 - HOLT_MARGIN) - 1e-9 ? holt : ses;
  const full = c.fit(y);
  const errors = full.oneStep.map((f, i) => y[i + 1] - f);
  return {
    method: c.method,
    alpha: c.alpha,
    beta: c.beta,
    forecast: Array.from({ length: horizon }, (_, h) => Math.max(0, full.ahead(h + 1))),
    heldOut: err,
    sigma: rms(errors),
    weeksUsed: y.length,
    fallback: null,
  };
}

/**
 * The standard normal quantile (the z for a one-sided service level): Acklam's rational approximation,
 * relative error below 1.2e-9 over (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Units the weekly forecast expects over `weeks` (fractional weeks pro rata; past its end, its last week repeats). */
export function demandOver(forecast: readonly number[], weeks: number): number {
  if (!forecast.length || weeks <= 0) return 0;
  let total = 0;
  for (let i = 0; i < Math.ceil(weeks); i++) total += (forecast[Math.min(i, forecast.length - 1)] ?? 0) * Math.min(1, weeks - i);
  return total;
}

export interface PolicyInput {
  /** Weekly forecast, from the next week on. */
  forecast: readonly number[];
  /** Standard deviation of the weekly forecast error. */
  sigma: number;
  leadTimeDays: number;
  /** Weeks between reviews the order must also cover (default 4). */
  reviewWeeks?: number;
  /** Probability of not running out during a lead time (default 0.95). */
  serviceLevel?: number;
  /** The supplier's minimum order, when known. */
  minimumOrder?: number | null;
}

export interface ReorderSuggestion {
  leadTimeWeeks: number;
  /** Forecast units over the lead time. */
  leadTimeDemand: number;
  z: number;
  safetyStock: number;
  /** Rounded up: reorder when units available to promise fall to this. */
  reorderPoint: number;
  /** Rounded up: units to order, covering the lead time and the review period (at least the minimum order). */
  reorderQuantity: number;
}

export function suggestReorder(p: PolicyInput): ReorderSuggestion {
  const leadTimeWeeks = Math.max(0, p.leadTimeDays) / 7;
  const z = normalQuantile(p.serviceLevel ?? 0.95);
  const leadTimeDemand = demandOver(p.forecast, leadTimeWeeks);
  const safetyStock = Math.max(0, z * Math.max(0, p.sigma) * Math.sqrt(leadTimeWeeks));
  const cover = demandOver(p.forecast, leadTimeWeeks + (p.reviewWeeks ?? 4));
  // Rounding up after a tolerance, so 12.0000000001 (floating-point noise) stays 12.
  const up = (x: number) => Math.max(0, Math.ceil(x - 1e-9));
  return {
    leadTimeWeeks,
    leadTimeDemand,
    z,
    safetyStock,
    reorderPoint: up(leadTimeDemand + safetyStock),
    reorderQuantity: Math.max(up(cover), p.minimumOrder ?? 0),
  };
}

/** Days the units available last at the forecast's rate over the next `weeks`; null when no demand is expected. */
export function daysOfCover(available: number, forecast: readonly number[], weeks = 4): number | null {
  const perDay = demandOver(forecast, weeks) / (weeks * 7);
  return perDay > 0 ? Math.max(0, available) / perDay : null;
}

/** Whether a current setting is far enough from the suggested one to be worth a look: 3 units and 20 % apart. */
export function differsMaterially(current: number, suggested: number): boolean {
  const gap = Math.abs(current - suggested);
  return gap >= 3 && gap >= 0.2 * Math.max(current, suggested);
}
