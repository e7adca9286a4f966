// The service report's figures from the rollup's sums (plain code: the page and the tests use it too):
// percentiles read from the time histograms, the coarse buckets the report draws, SLA met and CSAT.
import { SERVICE_TIME_BUCKETS, SERVICE_TIME_EDGES_MINUTES } from '../../../entities/constants.ts';
import { formatNumber } from '../../lib/format.ts';
import type { Locale } from '../../../entities/constants.ts';

/** Bucket i's lower and upper bound in seconds (the last has no upper bound). */
export function bucketBounds(i: number): [number, number | null] {
  const lo = i === 0 ? 0 : SERVICE_TIME_EDGES_MINUTES[i - 1] * 60;
  const hi = i < SERVICE_TIME_EDGES_MINUTES.length ? SERVICE_TIME_EDGES_MINUTES[i] * 60 : null;
  return [lo, hi];
}

/** The bucket a time (seconds) falls in: what width_bucket gives in SQL. */
export function bucketOf(seconds: number): number {
  let i = 0;
  while (i < SERVICE_TIME_EDGES_MINUTES.length && seconds >= SERVICE_TIME_EDGES_MINUTES[i] * 60) i++;
  return i;
}

/**
 * The p-quantile (0 < p < 1) of the values counted in `hist`, whose bucket i holds [edges[i-1], edges[i])
 * (bucket 0 from 0, the last open-ended), or null with none: the bucket holding the ⌈p·n⌉-th smallest value
 * (so the exact percentile lies in it), and inside it a linear interpolation by rank. In the open last
 * bucket its lower bound.
 */
export function histogramPercentile(hist: readonly number[], p: number, edges: readonly number[]): number | null {
  const n = hist.reduce((a, b) => a + b, 0);
  if (!n) return null;
  const target = p * n;
  let before = 0;
  for (let i = 0; i < hist.length; i++) {
    const c = hist[i];
    if (c > 0 && before + c >= target) {
      const lo = i === 0 ? 0 : edges[i - 1];
      if (i >= edges.length) return lo;
      return Math.round(lo + ((edges[i] - lo) * Math.max(0, target - before)) / c);
    }
    before += c;
  }
  return edges[edges.length - 1];
}

const SECOND_EDGES = SERVICE_TIME_EDGES_MINUTES.map((m) => m * 60);

/** The p-quantile of the times (seconds) counted in a service histogram. */
export const percentile = (hist: readonly number[], p: number): number | null => histogramPercentile(hist, p, SECOND_EDGES);

/** The buckets the report draws (minutes): under 15 min, 15–30 min, … 3–7 days, 7 days and more. */
export const COARSE_EDGES_MINUTES = [15, 30, 60, 120, 240, 480, 1440, 4320, 10080] as const;

/** The fine histogram folded into the coarse buckets the report draws. */
export function coarse(hist: readonly number[]): number[] {
  const out = new Array<number>(COARSE_EDGES_MINUTES.length + 1).fill(0);
  for (let i = 0; i < hist.length; i++) {
    const [lo] = bucketBounds(i);
    let j = 0;
    while (j < COARSE_EDGES_MINUTES.length && lo >= COARSE_EDGES_MINUTES[j] * 60) j++;
    out[j] += hist[i];
  }
  return out;
}

/** A time: how many, their sum, mean, p50 / p90 (seconds, wall-clock from the ticket's creation), and the drawn distribution. */
export interface TimeFigures {
  count: number;
  seconds: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  /** Counts per coarse bucket (COARSE_EDGES_MINUTES). */
  distribution: number[];
}

export function timeFigures(count: number, seconds: number, hist: readonly number[]): TimeFigures {
  return {
    count,
    seconds,
    mean: count ? Math.round(seconds / count) : null,
    p50: percentile(hist, 0.5),
    p90: percentile(hist, 0.9),
    distribution: coarse(hist),
  };
}

/** An SLA target: tickets it applied to (a policy), how many breached, and the share met (null with none). */
export interface SlaFigures {
  targeted: number;
  missed: number;
  met: number | null;
}

export const slaFigures = (targeted: number, missed: number): SlaFigures => ({ targeted, missed, met: targeted ? (targeted - missed) / targeted : null });

/** Ratings: how many, the mean stars, the share of 4 and 5 (satisfied), and the count per star (1…5). */
export interface CsatFigures {
  responses: number;
  average: number | null;
  satisfied: number | null;
  ratings: number[];
}

export function csatFigures(ratings: readonly number[]): CsatFigures {
  const responses = ratings.reduce((a, b) => a + b, 0);
  const stars = ratings.reduce((a, n, i) => a + n * (i + 1), 0);
  return {
    responses,
    average: responses ? Math.round((stars / responses) * 100) / 100 : null,
    satisfied: responses ? (ratings[3] + ratings[4]) / responses : null,
    ratings: [...ratings],
  };
}

/** The figures of a set of tickets over a range (a breakdown row, the totals). */
export interface ServiceFigures {
  created: number;
  solved: number;
  firstResponse: TimeFigures;
  resolution: TimeFigures;
  slaFirstResponse: SlaFigures;
  slaResolution: SlaFigures;
  csat: CsatFigures;
}

/** The sums the figures are made of (service_day's columns summed), histograms as arrays. */
export interface ServiceSums {
  created: number;
  solved: number;
  responded: number;
  frtSeconds: number;
  resSeconds: number;
  frtSla: number;
  frtSlaMissed: number;
  resSla: number;
  resSlaMissed: number;
  csat: number[];
  frtHist: number[];
  resHist: number[];
}

export const emptySums = (): ServiceSums => ({
  created: 0,
  solved: 0,
  responded: 0,
  frtSeconds: 0,
  resSeconds: 0,
  frtSla: 0,
  frtSlaMissed: 0,
  resSla: 0,
  resSlaMissed: 0,
  csat: [0, 0, 0, 0, 0],
  frtHist: new Array<number>(SERVICE_TIME_BUCKETS).fill(0),
  resHist: new Array<number>(SERVICE_TIME_BUCKETS).fill(0),
});

export function figuresOf(s: ServiceSums): ServiceFigures {
  return {
    created: s.created,
    solved: s.solved,
    firstResponse: timeFigures(s.responded, s.frtSeconds, s.frtHist),
    resolution: timeFigures(s.solved, s.resSeconds, s.resHist),
    slaFirstResponse: slaFigures(s.frtSla, s.frtSlaMissed),
    slaResolution: slaFigures(s.resSla, s.resSlaMissed),
    csat: csatFigures(s.csat),
  };
}

/** A duration in seconds as minutes, hours or days (whichever reads best), by Intl in the reader's language. */
export function formatDuration(seconds: number | null, locale: Locale): string {
  if (seconds === null) return '—';
  const minutes = seconds / 60;
  const [value, unit] = minutes < 60 ? [minutes, 'minute'] : minutes < 48 * 60 ? [minutes / 60, 'hour'] : [minutes / 1440, 'day'];
  return formatNumber(value, locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: value < 10 && unit !== 'minute' ? 1 : 0 });
}
