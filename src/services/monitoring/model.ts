// CloudWatch metric storage. A metric is (namespace, name, dimensions); its datapoints are keys
// sorted by time, so a statistics query reads exactly the window it asks for:
//   /monitoring/<acct>/<region>/metric/<ns>|<name>|<dims>      MetricRecord (for ListMetrics)
//   /monitoring/<acct>/<region>/dp/<metric hash>/<ts>:<nonce>   StoredDatapoint, as put
//   /monitoring/<acct>/<region>/dp<s>/<metric hash>/<ts>:<unit> rollups: the datapoints of one
//        s-second bucket (60, 300, 3600) and unit as one statistic set (retention.ts)
//   /monitoring/<acct>/<region>/alarm/<name>                   AlarmRecord (alarms.ts)
//   /monitoring/<acct>/<region>/history/<name>/<ts>:<nonce>    alarm history items
import { createHash } from 'node:crypto';
import type { Dimension, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { AwsError } from '../../common/errors.js';
import { recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';

export interface MetricId { Namespace: string; MetricName: string; Dimensions: Dimension[] }
export interface MetricRecord extends MetricId { lastPut: number }

/** One PutMetricData datum as stored: a value, values with counts, or a statistic set. */
export interface StoredDatapoint {
  t: number;
  u?: StandardUnit;
  v?: number;
  vs?: number[];
  c?: number[];
  s?: { n: number; sum: number; min: number; max: number };
}

/** The aggregate of the datapoints in one period. `values`/`weights`: the values known one by one
 *  (statistic sets carry none) with their counts, for percentiles. */
export interface Agg { n: number; sum: number; min: number; max: number; values: number[]; weights: number[]; unit?: StandardUnit }

/** The resolutions (seconds) rollups are kept at, finest first (retention.ts). */
export const ROLLUP_RESOLUTIONS = [60, 300, 3600] as const;
export type RollupResolution = typeof ROLLUP_RESOLUTIONS[number];

const enc = (s: string) => encodeURIComponent(s);
export const sortDims = (dims: Dimension[] = []) => [...dims].sort((a, b) => (a.Name! < b.Name! ? -1 : a.Name! > b.Name! ? 1 : 0));
export const dimsKey = (dims: Dimension[] = []) => sortDims(dims).map((d) => `${enc(d.Name!)}=${enc(d.Value!)}`).join(',');
export const metricKeyId = (m: MetricId) => `${enc(m.Namespace)}|${enc(m.MetricName)}|${dimsKey(m.Dimensions)}`;
export const metricHash = (m: MetricId) => createHash('sha1').update(metricKeyId(m)).digest('hex').slice(0, 24);
export const metricKey = (scope: Scope, m: MetricId) => recordKey('monitoring', scope, 'metric', metricKeyId(m));
export const datapointPrefix = (scope: Scope, m: MetricId) => recordKey('monitoring', scope, 'dp', `${metricHash(m)}/`);
/** Where a metric's rollups at one resolution live: one key per bucket and unit. */
export const rollupPrefix = (scope: Scope, m: MetricId, resolution: RollupResolution) =>
  recordKey('monitoring', scope, `dp${resolution}`, `${metricHash(m)}/`);
export const tsKey = (t: number) => String(Math.max(0, Math.floor(t))).padStart(15, '0');

export const invalidParameter = (message: string) => new AwsError('InvalidParameterValue', message);
export const missingParameter = (message: string) => new AwsError('MissingParameter', message);

/** The datapoints of a metric with start ≤ t < end (bounded by the window asked for): as put, and
 *  rolled up (a rollup's t is its bucket's start). */
export async function readDatapoints(store: Store, scope: Scope, m: MetricId, start: number, end: number): Promise<StoredDatapoint[]> {
  const out: StoredDatapoint[] = [];
  for (const prefix of [datapointPrefix(scope, m), ...ROLLUP_RESOLUTIONS.map((r) => rollupPrefix(scope, m, r))]) {
    await readRange(store, prefix, start, end, out);
  }
  return out;
}

async function readRange(store: Store, prefix: string, start: number, end: number, out: StoredDatapoint[]) {
  let after = `${prefix}${tsKey(start - 1)};`;
  const stop = `${prefix}${tsKey(end)}`;
  for (;;) {
    const page = await store.range(prefix, { startAfter: after, limit: 1000 });
    for (const kv of page.kvs) {
      if (kv.key >= stop) return out;
      out.push(JSON.parse(kv.value) as StoredDatapoint);
    }
    if (!page.more) return out;
    after = page.kvs.at(-1)!.key;
  }
}

/** Datapoints grouped into periods aligned to multiples of `periodMs` from `origin`. */
export function aggregate(points: StoredDatapoint[], origin: number, periodMs: number, unit?: StandardUnit): Map<number, Agg> {
  const buckets = new Map<number, Agg>();
  for (const p of points) {
    if (unit && (p.u ?? 'None') !== unit) continue;
    const at = origin + Math.floor((p.t - origin) / periodMs) * periodMs;
    let b = buckets.get(at);
    if (!b) { b = { n: 0, sum: 0, min: Infinity, max: -Infinity, values: [], weights: [], unit: p.u }; buckets.set(at, b); }
    addPoint(b, p);
  }
  return buckets;
}

/** Adds a datapoint to an aggregate. A rollup has both a statistic set (what its datapoints sum
 *  to) and the values it kept for percentiles (retention.ts); a datapoint as put has one or the other. */
export function addPoint(b: Omit<Agg, 'unit'>, p: StoredDatapoint) {
  const vs = p.vs ?? (p.v !== undefined ? [p.v] : []);
  if (p.s) { b.n += p.s.n; b.sum += p.s.sum; b.min = Math.min(b.min, p.s.min); b.max = Math.max(b.max, p.s.max); }
  vs.forEach((v, i) => {
    const c = p.c?.[i] ?? 1;
    if (!p.s) { b.n += c; b.sum += v * c; b.min = Math.min(b.min, v); b.max = Math.max(b.max, v); }
    b.values.push(v);
    b.weights.push(c);
  });
}

/** A statistic of one period: Average, Sum, Minimum, Maximum, SampleCount or pNN / pNN.N. */
export function statistic(agg: Agg, stat: string): number | undefined {
  switch (stat) {
    case 'Average': return agg.n ? agg.sum / agg.n : undefined;
    case 'Sum': return agg.sum;
    case 'Minimum': return agg.min;
    case 'Maximum': return agg.max;
    case 'SampleCount': return agg.n;
  }
  const p = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  if (p && agg.values.length) {
    // The value at rank ⌈p·N⌉ of the N values, each value counted as often as its weight says.
    const order = agg.values.map((_, i) => i).sort((a, b) => agg.values[a] - agg.values[b]);
    const total = agg.weights.reduce((x, y) => x + y, 0);
    const rank = Math.max(1, Math.ceil((Number(p[1]) / 100) * total));
    let seen = 0;
    for (const i of order) { seen += agg.weights[i]; if (seen >= rank) return agg.values[i]; }
    return agg.values[order[order.length - 1]];
  }
  return undefined;
}

export const isStatistic = (s: string) => ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'].includes(s) || /^p(\d{1,2}(?:\.\d+)?|100)$/.test(s);
