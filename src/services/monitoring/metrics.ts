// PutMetricData, ListMetrics, GetMetricStatistics.
import type {
  Datapoint, GetMetricStatisticsInput, GetMetricStatisticsOutput, ListMetricsInput, ListMetricsOutput, MetricDatum, PutMetricDataInput,
} from '@aws-sdk/client-cloudwatch';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import { recordKey } from '../../common/records.js';
import type { Op } from '../../store/types.js';
import type { RequestContext } from '../context.js';
import {
  aggregate, datapointPrefix, invalidParameter, metricKey, missingParameter, readDatapoints, sortDims, statistic, tsKey,
  type MetricId, type MetricRecord, type StoredDatapoint,
} from './model.js';
import { answerable } from './retention.js';

const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3_600_000;

function checkDatum(d: MetricDatum, i: number, now: number) {
  const at = `MetricData.member.${i + 1}`;
  if (!d.MetricName) throw missingParameter(`The parameter ${at}.MetricName is required.`);
  const given = [d.Value !== undefined && 'Value', d.StatisticValues && 'StatisticValues', d.Values && 'Values'].filter(Boolean);
  if (given.length > 1) throw invalidParameter(`The parameters ${at}.${given[0]} and ${at}.${given[1]} are mutually exclusive and you have specified both.`);
  if (d.Value !== undefined && !Number.isFinite(d.Value)) throw invalidParameter(`The value ${d.Value} for parameter ${at}.Value is invalid.`);
  if (d.Values) {
    if (d.Values.length > 150) throw invalidParameter(`The collection ${at}.Values must not have a size greater than 150.`);
    if (d.Counts && d.Counts.length !== d.Values.length) throw invalidParameter(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
    if (d.Values.some((v) => !Number.isFinite(v))) throw invalidParameter(`The collection ${at}.Values contains an invalid value.`);
  }
  const s = d.StatisticValues;
  if (s && [s.SampleCount, s.Sum, s.Minimum, s.Maximum].some((v) => v === undefined || !Number.isFinite(v))) {
    throw missingParameter(`The parameter ${at}.StatisticValues requires SampleCount, Sum, Minimum and Maximum.`);
  }
  if ((d.Dimensions?.length ?? 0) > 30) throw invalidParameter(`The collection ${at}.Dimensions must not have a size greater than 30.`);
  for (const dim of d.Dimensions ?? []) {
    if (!dim.Name || dim.Value === undefined || dim.Value === '') throw invalidParameter(`The parameter ${at}.Dimensions must have a Name and a non-empty Value.`);
  }
  if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
    throw invalidParameter(`The value ${d.StorageResolution} for parameter ${at}.StorageResolution is invalid.`);
  }
  const t = d.Timestamp ? d.Timestamp.getTime() : now;
  if (t > now + TWO_HOURS) throw invalidParameter(`The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);
  if (t < now - TWO_WEEKS) throw invalidParameter(`The parameter ${at}.Timestamp must specify a time within the past two weeks.`);
}

export async function putMetricData(input: PutMetricDataInput, ctx: RequestContext): Promise<Record<string, never>> {
  const ns = input.Namespace!;
  if (!ns || ns.startsWith(':')) throw invalidParameter(`The value ${ns} for parameter Namespace is invalid.`);
  // AWS/ namespaces are AWS's own: only Berth's services publish there (internal client).
  if (ns.startsWith('AWS/') && !ctx.internal) throw invalidParameter('The value AWS/ for parameter Namespace is invalid.');
  const data = input.MetricData ?? [];
  if (!data.length) throw missingParameter('The parameter MetricData is required.');
  if (data.length > 1000) throw invalidParameter('The collection MetricData must not have a size greater than 1000.');
  const now = ctx.app.clock.now().getTime();
  data.forEach((d, i) => checkDatum(d, i, now));
  const store = ctx.app.store;
  const ops: Op[] = [];
  const metrics = new Map<string, MetricId>();
  for (const d of data) {
    const m: MetricId = { Namespace: ns, MetricName: d.MetricName!, Dimensions: sortDims(d.Dimensions) };
    metrics.set(metricKey(ctx, m), m);
    const t = d.Timestamp ? d.Timestamp.getTime() : now;
    const dp: StoredDatapoint = { t, u: d.Unit };
    if (d.StatisticValues) {
      const s = d.StatisticValues;
      dp.s = { n: s.SampleCount!, sum: s.Sum!, min: s.Minimum!, max: s.Maximum! };
    } else if (d.Values) {
      dp.vs = d.Values;
      if (d.Counts) dp.c = d.Counts;
    } else {
      dp.v = d.Value ?? 0;
    }
    ops.push({ type: 'put', key: `${datapointPrefix(ctx, m)}${tsKey(t)}:${ctx.app.ids.hex(8)}`, value: JSON.stringify(dp) });
  }
  for (let i = 0; i < ops.length; i += 100) await store.txn([], ops.slice(i, i + 100));
  // The metric list (ListMetrics) is written when a metric is new or its last put is older than 5 minutes.
  for (const [key, m] of metrics) {
    const kv = await store.get(key);
    const last = kv ? (JSON.parse(kv.value) as MetricRecord).lastPut : 0;
    if (now - last > 300_000) await store.update(key, JSON.stringify({ ...m, lastPut: now } satisfies MetricRecord));
  }
  return {};
}

/** ListMetrics leaves out metrics without new data for two weeks (CloudWatch's rule; their data
 *  stays readable with GetMetricStatistics / GetMetricData until retention removes it). */
export const LISTED_FOR_MS = 14 * 86_400_000;
/** Metric keys one ListMetrics call reads at most. */
const SCAN_BUDGET = 2_000;

export async function listMetrics(input: ListMetricsInput, ctx: RequestContext): Promise<ListMetricsOutput> {
  const enc = encodeURIComponent;
  const idPrefix = input.Namespace ? `${enc(input.Namespace)}|${input.MetricName ? `${enc(input.MetricName)}|` : ''}` : '';
  const prefix = recordKey('monitoring', ctx, 'metric', idPrefix);
  const now = ctx.app.clock.now().getTime();
  const matches = (m: MetricRecord) =>
    (!input.MetricName || m.MetricName === input.MetricName)
    && (input.Dimensions ?? []).every((f) => m.Dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)))
    && now - m.lastPut <= LISTED_FOR_MS
    && (input.RecentlyActive !== 'PT3H' || now - m.lastPut <= 3 * 3_600_000);
  const out: MetricRecord[] = [];
  let after = decodeToken(input.NextToken, 'InvalidParameterValue');
  let more = false;
  // At most SCAN_BUDGET keys a call: metrics the filters leave out (idle ones pile up until
  // retention deletes them) end a page early with a NextToken rather than make the call cost more.
  for (let scanned = 0; out.length < 500;) {
    if (scanned >= SCAN_BUDGET) { more = true; break; }
    const page = await ctx.app.store.range(prefix, { startAfter: after, limit: Math.min(500, SCAN_BUDGET - scanned) });
    scanned += page.kvs.length;
    for (const kv of page.kvs) {
      if (out.length === 500) { more = true; break; }
      after = kv.key;
      const m = JSON.parse(kv.value) as MetricRecord;
      if (matches(m)) out.push(m);
    }
    if (!page.more || more) break;
  }
  return {
    Metrics: out.map((m) => ({ Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions })),
    NextToken: more && after ? encodeToken(after) : undefined,
  };
}

/** Periods CloudWatch accepts: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds. */
export function checkPeriod(period: number | undefined, name = 'Period') {
  if (period === undefined) throw missingParameter(`The parameter ${name} is required.`);
  if (!Number.isInteger(period) || period < 1 || (period > 30 && period % 60 !== 0) || (period < 60 && ![1, 5, 10, 30].includes(period))) {
    throw invalidParameter(`The parameter ${name} must be 1, 5, 10, 30, or a multiple of 60.`);
  }
}

export async function getMetricStatistics(input: GetMetricStatisticsInput, ctx: RequestContext): Promise<GetMetricStatisticsOutput> {
  checkPeriod(input.Period);
  const stats = input.Statistics ?? [];
  const extended = input.ExtendedStatistics ?? [];
  if (!stats.length && !extended.length) throw missingParameter('Must specify either Statistics or ExtendedStatistics.');
  if (stats.length && extended.length) throw invalidParameter('The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
  for (const e of extended) if (!/^p(\d{1,2}(\.\d+)?|100)$/.test(e)) throw invalidParameter(`The value ${e} for parameter ExtendedStatistics is not supported.`);
  const start = input.StartTime!.getTime();
  const end = input.EndTime!.getTime();
  if (end <= start) throw invalidParameter('The parameter StartTime must be less than the parameter EndTime.');
  const periodMs = input.Period! * 1000;
  const count = Math.ceil((end - start) / periodMs);
  if (count > 1440) throw invalidParameter(`You have requested up to ${count} datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`);
  // Data older than 3 hours is kept at coarser resolutions only (rollup.ts): AWS answers a period
  // finer than StartTime's with no datapoints.
  if (!answerable(ctx.app, input.Period!, start)) return { Label: input.MetricName, Datapoints: [] };
  const m: MetricId = { Namespace: input.Namespace!, MetricName: input.MetricName!, Dimensions: sortDims(input.Dimensions) };
  const points = await readDatapoints(ctx.app.store, ctx, m, start, end);
  const buckets = aggregate(points, 0, periodMs, input.Unit);
  const Datapoints: Datapoint[] = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([at, agg]) => {
    const dp: Datapoint = { Timestamp: new Date(Math.max(at, start)), Unit: input.Unit ?? agg.unit ?? 'None' };
    for (const s of stats) (dp as Record<string, unknown>)[s] = statistic(agg, s);
    if (extended.length) dp.ExtendedStatistics = Object.fromEntries(extended.map((e) => [e, statistic(agg, e) ?? 0]));
    return dp;
  });
  return { Label: input.MetricName, Datapoints };
}
