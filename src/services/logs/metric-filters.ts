// Metric filters: events matching a group's filter patterns become CloudWatch metric data,
// published through the internal client (monitoring PutMetricData) as the caller.
import type {
  DeleteMetricFilterRequest, DescribeMetricFiltersRequest, DescribeMetricFiltersResponse, InputLogEvent,
  PutMetricFilterRequest, TestMetricFilterRequest, TestMetricFilterResponse,
} from '@aws-sdk/client-cloudwatch-logs';
import { AwsError } from '../../common/errors.js';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import { callerOf, type RequestContext } from '../context.js';
import { compilePattern, type PatternMatch } from './filter-pattern.js';
import { invalid, metricFilters, requireGroup, type MetricFilterRecord } from './model.js';

export async function putMetricFilter(input: PutMetricFilterRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const group = input.logGroupName!;
  compilePattern(input.filterPattern);
  const transformations = input.metricTransformations ?? [];
  if (transformations.length !== 1) throw invalid('1 validation error detected: Value at \'metricTransformations\' failed to satisfy constraint: Member must have length less than or equal to 1');
  for (const t of transformations) {
    if (!/^(\$[.\w[\]$-]+|-?\d+(\.\d+)?)$/.test(t.metricValue ?? '')) throw invalid(`Invalid metric value: ${t.metricValue}`);
    if (t.metricNamespace?.startsWith('AWS/')) throw invalid(`Invalid namespace: ${t.metricNamespace} is reserved for AWS`);
  }
  await requireGroup(ctx.app.store, ctx, group);
  const record: MetricFilterRecord = {
    filterName: input.filterName!, logGroupName: group, filterPattern: input.filterPattern ?? '', creationTime: ctx.app.clock.now().getTime(),
    metricTransformations: transformations.map((t) => ({
      metricName: t.metricName!, metricNamespace: t.metricNamespace!, metricValue: t.metricValue!, defaultValue: t.defaultValue,
      dimensions: t.dimensions, unit: t.unit,
    })),
  };
  const records = metricFilters(ctx.app.store);
  const id = `${group}:${input.filterName!}`;
  const existing = await records.getVersioned(ctx, id);
  if (existing) {
    record.creationTime = existing.value.creationTime;
    await records.put(ctx, id, record, existing.revision);
  } else if (await ctx.app.store.count(records.prefix(ctx, `${group}:`)) >= 100) {
    throw new AwsError('LimitExceededException', 'Resource limit exceeded.');
  } else {
    await records.create(ctx, id, record);
  }
  return {};
}

export async function deleteMetricFilter(input: DeleteMetricFilterRequest, ctx: RequestContext): Promise<Record<string, never>> {
  await requireGroup(ctx.app.store, ctx, input.logGroupName!);
  if (!await metricFilters(ctx.app.store).delete(ctx, `${input.logGroupName!}:${input.filterName!}`)) {
    throw new AwsError('ResourceNotFoundException', 'The specified metric filter does not exist.');
  }
  return {};
}

export async function describeMetricFilters(input: DescribeMetricFiltersRequest, ctx: RequestContext): Promise<DescribeMetricFiltersResponse> {
  const limit = input.limit ?? 50;
  if (limit < 1 || limit > 50) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`);
  const records = metricFilters(ctx.app.store);
  const prefix = input.logGroupName ? records.prefix(ctx, `${input.logGroupName}:${input.filterNamePrefix ?? ''}`) : records.prefix(ctx);
  let all = (await ctx.app.store.list(prefix)).map((kv) => ({ key: kv.key, f: JSON.parse(kv.value) as MetricFilterRecord }));
  if (input.metricName || input.metricNamespace) {
    all = all.filter(({ f }) => f.metricTransformations.some((t) =>
      (!input.metricName || t.metricName === input.metricName) && (!input.metricNamespace || t.metricNamespace === input.metricNamespace)));
  }
  const after = decodeToken(input.nextToken);
  const from = after ? all.filter((x) => x.key > after) : all;
  const page = from.slice(0, limit);
  return {
    metricFilters: page.map(({ f }) => ({
      filterName: f.filterName, filterPattern: f.filterPattern, logGroupName: f.logGroupName, creationTime: f.creationTime,
      metricTransformations: f.metricTransformations,
    })),
    nextToken: from.length > limit ? encodeToken(page.at(-1)!.key) : undefined,
  };
}

export async function testMetricFilter(input: TestMetricFilterRequest): Promise<TestMetricFilterResponse> {
  const pattern = compilePattern(input.filterPattern);
  const matches: TestMetricFilterResponse['matches'] = [];
  (input.logEventMessages ?? []).forEach((message, i) => {
    const m = pattern.match(message);
    if (!m) return;
    const extractedValues: Record<string, string> = {};
    matches.push({ eventNumber: i + 1, eventMessage: message, extractedValues });
  });
  return { matches };
}

function valueOf(expr: string, match: PatternMatch): number | undefined {
  if (!expr.startsWith('$')) return Number(expr);
  const v = match.field(expr);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

let warned = false;

/** Publishes the metric data a batch of accepted events produces under the group's metric filters. */
export async function applyMetricFilters(ctx: RequestContext, group: string, _stream: string, events: InputLogEvent[]) {
  const records = metricFilters(ctx.app.store);
  const filters = (await ctx.app.store.list(records.prefix(ctx, `${group}:`), { limit: 100 })).map((kv) => JSON.parse(kv.value) as MetricFilterRecord);
  for (const f of filters) {
    const pattern = compilePattern(f.filterPattern);
    for (const t of f.metricTransformations) {
      const data: Array<Record<string, unknown>> = [];
      for (const e of events) {
        const m = pattern.match(e.message!);
        if (!m) continue;
        const value = valueOf(t.metricValue, m);
        if (value === undefined) continue;
        const dims = Object.entries(t.dimensions ?? {}).map(([Name, ref]) => ({ Name, Value: String(m.field(ref) ?? '') }));
        if (dims.some((d) => d.Value === '')) continue;
        data.push({ MetricName: t.metricName, Value: value, Timestamp: new Date(e.timestamp!), Unit: t.unit, Dimensions: dims.length ? dims : undefined });
      }
      if (!data.length && t.defaultValue !== undefined && !t.dimensions) {
        data.push({ MetricName: t.metricName, Value: t.defaultValue, Timestamp: ctx.app.clock.now(), Unit: t.unit });
      }
      for (let i = 0; i < data.length; i += 1000) {
        try {
          await ctx.app.call('monitoring', 'PutMetricData', { Namespace: t.metricNamespace, MetricData: data.slice(i, i + 1000) }, callerOf(ctx));
        } catch (err) {
          if (!warned) { warned = true; console.error(`logs: metric filter ${f.filterName} could not publish: ${(err as Error).message}`); }
        }
      }
    }
  }
}
