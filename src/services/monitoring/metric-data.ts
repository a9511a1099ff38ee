// GetMetricData: metric stats and metric math over a time window. computeQueries() is shared
// with alarm evaluation (alarms on metric math).
import type { GetMetricDataInput, GetMetricDataOutput, MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';
import type { RequestContext } from '../context.js';
import { evaluate, parseExpression, type Series, type Value } from './math.js';
import { checkPeriod } from './metrics.js';
import { answerable } from './retention.js';
import { aggregate, invalidParameter, isStatistic, readDatapoints, sortDims, statistic } from './model.js';

export interface QueryResult { id: string; label: string; returnData: boolean; series: Series; period: number }

export function checkQueries(queries: MetricDataQuery[], where = 'MetricDataQueries') {
  if (!queries.length) throw invalidParameter(`The parameter ${where} is required.`);
  if (queries.length > 500) throw invalidParameter(`The collection ${where} must not have a size greater than 500.`);
  const ids = new Set<string>();
  queries.forEach((q, i) => {
    const at = `${where}.member.${i + 1}`;
    if (!q.Id || !/^[a-z][A-Za-z0-9_]*$/.test(q.Id)) throw invalidParameter(`The value ${q.Id ?? ''} for parameter ${at}.Id is invalid.`);
    if (ids.has(q.Id)) throw invalidParameter(`The value ${q.Id} for parameter ${where}.Id is not unique.`);
    ids.add(q.Id);
    if (!!q.MetricStat === !!q.Expression) throw invalidParameter(`Exactly one element of the ${at}.MetricStat and ${at}.Expression parameters must be specified.`);
    if (q.MetricStat) {
      checkPeriod(q.MetricStat.Period, `${at}.MetricStat.Period`);
      if (!isStatistic(q.MetricStat.Stat ?? '')) throw invalidParameter(`The value ${q.MetricStat.Stat} for parameter ${at}.MetricStat.Stat is invalid.`);
    } else {
      parseExpression(q.Expression!);
      if (q.Period !== undefined) checkPeriod(q.Period, `${at}.Period`);
    }
  });
}

/** Evaluates queries over [start, end) with periods divided by `scale` (the server's time scale:
 *  a 60 s period lasts 60/scale real seconds). A metric whose period `answerable` refuses gets no
 *  datapoints (AWS's rule for periods finer than the data kept for StartTime, rollup.ts). */
export async function computeQueries(store: Store, scope: Scope, queries: MetricDataQuery[], start: number, end: number, scale = 1,
  answerable: (periodSeconds: number) => boolean = () => true): Promise<QueryResult[]> {
  const results = new Map<string, QueryResult>();
  const metricIds: string[] = [];
  const defaultPeriod = queries.find((q) => q.MetricStat)?.MetricStat?.Period ?? queries.find((q) => q.Period)?.Period ?? 60;
  for (const q of queries) {
    if (!q.MetricStat) continue;
    const ms = q.MetricStat;
    const periodMs = (ms.Period! * 1000) / scale;
    const m = { Namespace: ms.Metric!.Namespace!, MetricName: ms.Metric!.MetricName!, Dimensions: sortDims(ms.Metric!.Dimensions) };
    const points = answerable(ms.Period!) ? await readDatapoints(store, scope, m, start, end) : [];
    const buckets = aggregate(points, 0, periodMs, ms.Unit);
    const series: Series = new Map();
    for (const [t, agg] of buckets) { const v = statistic(agg, ms.Stat!); if (v !== undefined) series.set(t, v); }
    results.set(q.Id!, { id: q.Id!, label: q.Label ?? m.MetricName, returnData: q.ReturnData !== false, series, period: ms.Period! });
    metricIds.push(q.Id!);
  }
  // Expressions may refer to each other in any order: evaluate on demand, refusing cycles.
  const expressions = new Map(queries.filter((q) => q.Expression).map((q) => [q.Id!, q]));
  const inProgress = new Set<string>();
  const resolve = (id: string): Value | undefined => {
    const done = results.get(id);
    if (done) return { kind: 'series', s: done.series, period: done.period };
    const q = expressions.get(id);
    if (!q) return undefined;
    if (inProgress.has(id)) throw invalidParameter(`Circular dependency in expression ${q.Expression}`);
    inProgress.add(id);
    const period = q.Period ?? defaultPeriod;
    const periodMs = (period * 1000) / scale;
    const grid: number[] = [];
    for (let t = Math.ceil(start / periodMs) * periodMs; t < end; t += periodMs) grid.push(t);
    const v = evaluate(parseExpression(q.Expression!), { resolve, metricIds, grid, period }, q.Expression!);
    let series: Series;
    if (v.kind === 'series') series = v.s;
    else if (v.kind === 'scalar') series = new Map(grid.map((t) => [t, v.v]));
    else throw invalidParameter(`The expression ${q.Expression} returns an array of time series; an expression must return one time series or a scalar.`);
    results.set(id, { id, label: q.Label ?? id, returnData: q.ReturnData !== false, series, period });
    inProgress.delete(id);
    return { kind: 'series', s: series, period };
  };
  for (const id of expressions.keys()) resolve(id);
  return queries.map((q) => results.get(q.Id!)!);
}

export async function getMetricData(input: GetMetricDataInput, ctx: RequestContext): Promise<GetMetricDataOutput> {
  const queries = input.MetricDataQueries ?? [];
  checkQueries(queries);
  const start = input.StartTime!.getTime();
  const end = input.EndTime!.getTime();
  if (end <= start) throw invalidParameter('The parameter StartTime must be less than the parameter EndTime.');
  const results = await computeQueries(ctx.app.store, ctx, queries, start, end, 1, (period) => answerable(ctx.app, period, start));
  const max = input.MaxDatapoints ?? 100_800;
  const ascending = input.ScanBy === 'TimestampAscending';
  const out: MetricDataResult[] = [];
  let budget = max;
  for (const r of results) {
    if (!r.returnData) continue;
    const points = [...r.series.entries()].filter(([t]) => t >= start - r.period * 1000 && t < end).sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
    const kept = points.slice(0, Math.max(0, budget));
    budget -= kept.length;
    out.push({
      Id: r.id, Label: r.label, Timestamps: kept.map(([t]) => new Date(t)), Values: kept.map(([, v]) => v),
      StatusCode: kept.length < points.length ? 'PartialData' : 'Complete',
    });
  }
  return { MetricDataResults: out, Messages: [] };
}
