// How long CloudWatch keeps each resolution of metric data, and the rollups Berth keeps instead of
// the datapoints it no longer may. AWS's API reference (GetMetricStatistics, GetMetricData):
//   "Data points with a period of less than 60 seconds are available for 3 hours. […] Data points
//    with a period of 60 seconds (1-minute) are available for 15 days. Data points with a period
//    of 300 seconds (5-minute) are available for 63 days. Data points with a period of 3600
//    seconds (1 hour) are available for 455 days (15 months). Data points that are initially
//    published with a shorter period are aggregated together for long-term storage."
// and (MetricStat.Period): "If the StartTime parameter specifies a time stamp that is greater
// than 3 hours ago, you must specify the period as follows or no data points in that time range
// is returned: between 3 hours and 15 days ago - a multiple of 60 seconds; between 15 and 63 days
// ago - a multiple of 300 seconds; greater than 63 days ago - a multiple of 3600 seconds."
//
// So datapoints stay as put for 3 hours; then the ones of each minute (and unit) become one
// rollup, a statistic set (n, sum, min, max: exact for SampleCount, Sum, Average, Minimum,
// Maximum at any period that is a multiple of the bucket); after 15 days those become 5-minute
// rollups, after 63 days hourly ones, and after 455 days they are deleted. A query whose
// StartTime is older than a tier and whose period is not a multiple of that tier's resolution
// gets no datapoints, as on AWS — decided from StartTime and the clock, not from how far the
// retention controller has got, so the answer does not depend on when it last ran.
//
// Percentiles: AWS keeps them for rolled-up data. A rollup keeps its datapoints' values with their
// counts, exactly while there are at most MAX_VALUES distinct ones; beyond that they are merged
// into logarithmic buckets (each value becomes the weighted mean of its bucket; buckets 1 % wide,
// widened until at most MAX_VALUES remain), so a percentile over rolled-up data is approximate —
// within the width of its bucket, 1 % relative for values that span up to ~3 orders of magnitude
// in one bucket's period, coarser when they span more. Statistic sets as put carry no values,
// and rollups keep none for them (as before: percentiles come from the values put one by one).
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import { addPoint, ROLLUP_RESOLUTIONS, tsKey, type Agg, type RollupResolution, type StoredDatapoint } from './model.js';

/** Seconds each resolution of data is kept (config.ts). */
export interface RetentionPeriods {
  /** Datapoints as put (sub-minute resolution): 3 hours. */
  highResolutionSeconds: number;
  /** 1-minute rollups: 15 days. */
  minuteSeconds: number;
  /** 5-minute rollups: 63 days. */
  fiveMinuteSeconds: number;
  /** 1-hour rollups: 455 days; then the data is deleted. */
  hourSeconds: number;
}

export const AWS_RETENTION: RetentionPeriods = {
  highResolutionSeconds: 3 * 3600, minuteSeconds: 15 * 86_400, fiveMinuteSeconds: 63 * 86_400, hourSeconds: 455 * 86_400,
};

/** A rollup keeps at most this many (value, count) pairs for percentiles. */
export const MAX_VALUES = 128;

/** The resolution data of this age is kept at: 0 = as put, a rollup resolution, or 'gone'. */
export function resolutionAt(ageMs: number, r: RetentionPeriods): 0 | RollupResolution | 'gone' {
  const limits = [r.highResolutionSeconds, r.minuteSeconds, r.fiveMinuteSeconds, r.hourSeconds];
  const i = limits.findIndex((s) => ageMs <= s * 1000);
  return i === 0 ? 0 : i < 0 ? 'gone' : ROLLUP_RESOLUTIONS[i - 1];
}

/** Whether a query starting at `start` with this period gets datapoints (AWS's MetricStat.Period
 *  rule): its period must be a multiple of the resolution data as old as StartTime is kept at. */
export function periodAnswerable(periodSeconds: number, start: number, now: number, r: RetentionPeriods): boolean {
  const res = resolutionAt(now - start, r);
  return res === 'gone' ? periodSeconds % ROLLUP_RESOLUTIONS[ROLLUP_RESOLUTIONS.length - 1] === 0 : res === 0 || periodSeconds % res === 0;
}

/** A rollup's key under its resolution's prefix: bucket start, then unit (one rollup per unit,
 *  since queries may select one). */
export const rollupId = (bucket: number, unit: string) => `${tsKey(bucket)}:${encodeURIComponent(unit)}`;

/** Folds datapoints into a rollup (or a new one): sums the statistic sets, keeps the values. */
export function mergeRollup(bucket: number, unit: string, existing: StoredDatapoint | undefined, points: StoredDatapoint[]): StoredDatapoint {
  const agg: Omit<Agg, 'unit'> = { n: 0, sum: 0, min: Infinity, max: -Infinity, values: [], weights: [] };
  for (const p of existing ? [existing, ...points] : points) addPoint(agg, p);
  const out: StoredDatapoint = { t: bucket, s: { n: agg.n, sum: agg.sum, min: agg.min, max: agg.max } };
  if (unit !== 'None') out.u = unit as StandardUnit;
  if (agg.values.length) {
    const { values, counts } = compressValues(agg.values, agg.weights);
    out.vs = values;
    out.c = counts;
  }
  return out;
}

/** At most `max` (value, count) pairs: exact while the distinct values fit, else logarithmic
 *  buckets (relative width gamma − 1, squared until they fit), each the weighted mean of its values. */
export function compressValues(values: number[], weights: number[], max = MAX_VALUES): { values: number[]; counts: number[] } {
  const exact = new Map<number, number>();
  values.forEach((v, i) => exact.set(v, (exact.get(v) ?? 0) + weights[i]));
  let pairs = [...exact.entries()].map(([v, w]) => ({ v, w }));
  for (let gamma = 1.01; pairs.length > max; gamma *= gamma) {
    const logGamma = Math.log(gamma);
    const buckets = new Map<number, { sum: number; w: number }>();
    for (const { v, w } of pairs) {
      // Bucket ±(k + 1) holds |v| in (gamma^(k−1), gamma^k]; 0 stays 0. Offsetting by a large
      // constant keeps tiny magnitudes (negative k) on their own side of zero.
      const k = v === 0 ? 0 : Math.sign(v) * (Math.ceil(Math.log(Math.abs(v)) / logGamma) + 1e6);
      const b = buckets.get(k) ?? { sum: 0, w: 0 };
      b.sum += v * w;
      b.w += w;
      buckets.set(k, b);
    }
    pairs = [...buckets.values()].map((b) => ({ v: b.sum / b.w, w: b.w }));
  }
  pairs.sort((a, b) => a.v - b.v);
  return { values: pairs.map((p) => p.v), counts: pairs.map((p) => p.w) };
}
