// Processing times are kept as histograms (counts per bucket of hours), so that percentiles of any range
// and any filter come from summed rollup rows. This file is the one definition of the buckets and of a
// percentile read from them: the rollup (SQL width_bucket over BOUNDS_HOURS), the reports, the tests and
// the browser all use it. Plain code: no server imports.
import { PROCESSING_BOUNDS_HOURS, PROCESSING_STAGES } from '../../../entities/constants.ts';

/** The stages timed for each order: received → shipped, shipped → delivered, received → delivered. */
export const STAGES = PROCESSING_STAGES;
export type Stage = (typeof STAGES)[number];

/**
 * Bucket edges in hours: bucket 0 is [0, 1), bucket k is [BOUNDS[k-1], BOUNDS[k]), the last is
 * [720, ∞). Finer where most parcels are (a day or two), coarser in the tail.
 */
export const BOUNDS_HOURS = PROCESSING_BOUNDS_HOURS;
export const BUCKETS = BOUNDS_HOURS.length + 1;

/** Column names of a stage's buckets in the rollup tables (ship_h0 … ship_h17). */
export const bucketColumns = (stage: Stage) => Array.from({ length: BUCKETS }, (_, k) => `${stage}_h${k}`);
export const ALL_BUCKET_COLUMNS = STAGES.flatMap(bucketColumns);

/** The bucket of a duration in hours (negative durations count as 0), as SQL's width_bucket(hours, BOUNDS) gives it. */
export function bucketOf(hours: number): number {
  let k = 0;
  while (k < BOUNDS_HOURS.length && hours >= BOUNDS_HOURS[k]) k++;
  return k;
}

/** [lower, upper) hours of bucket k (upper null: the open last bucket). */
export const bucketRange = (k: number): [number, number | null] => [k === 0 ? 0 : BOUNDS_HOURS[k - 1], k < BOUNDS_HOURS.length ? BOUNDS_HOURS[k] : null];

/**
 * The p-th percentile (0 < p < 1) of a histogram, in hours: the bucket where the cumulative count first
 * reaches p × total, interpolated linearly inside it (its counts taken as spread evenly); in the open
 * last bucket, its lower edge. Null with no counts. The same counts always give the same answer.
 */
export function percentile(counts: readonly number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = p * total;
  let before = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k];
    if (c > 0 && before + c >= rank) {
      const [lo, hi] = bucketRange(k);
      if (hi === null) return lo;
      return Math.round((lo + ((rank - before) / c) * (hi - lo)) * 10) / 10;
    }
    before += c;
  }
  return bucketRange(counts.length - 1)[0];
}

/** Adds histograms bucket by bucket. */
export const addHistograms = (a: readonly number[], b: readonly number[]) => Array.from({ length: BUCKETS }, (_, k) => (a[k] ?? 0) + (b[k] ?? 0));
