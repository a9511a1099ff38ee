// Metric alarms: PutMetricAlarm, DescribeAlarms(ForMetric), DeleteAlarms, SetAlarmState,
// Enable/DisableAlarmActions, DescribeAlarmHistory. A state change and its history item commit in
// one transaction (alarm-state.ts); the evaluator (evaluator.ts) drives state from the data.
import type {
  DeleteAlarmsInput, DescribeAlarmHistoryInput, DescribeAlarmHistoryOutput, DescribeAlarmsForMetricInput, DescribeAlarmsForMetricOutput,
  DescribeAlarmsInput, DescribeAlarmsOutput, DisableAlarmActionsInput, EnableAlarmActionsInput, MetricAlarm, PutMetricAlarmInput,
  SetAlarmStateInput, AlarmHistoryItem,
} from '@aws-sdk/client-cloudwatch';
import { AwsError } from '../../common/errors.js';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import { recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';
import type { RequestContext } from '../context.js';
import { alarmIndexKey, alarmKey, alarmRecords, changeState, historyOps, type AlarmRecord } from './alarm-state.js';
import { checkQueries } from './metric-data.js';
import { checkPeriod } from './metrics.js';
import { invalidParameter, isStatistic, missingParameter, sortDims } from './model.js';

const validation = (message: string) => new AwsError('ValidationError', message);

function checkAlarm(input: PutMetricAlarmInput) {
  const name = input.AlarmName!;
  if (!name || name.length > 255) throw validation(`The value ${name} for parameter AlarmName is invalid.`);
  const single = input.MetricName !== undefined || input.Namespace !== undefined;
  if (single && input.Metrics?.length) throw validation('The parameters MetricName and Metrics are mutually exclusive and you have specified both.');
  if (!single && !input.Metrics?.length) throw validation('Either MetricName or Metrics must be specified.');
  if (single) {
    if (!input.MetricName || !input.Namespace) throw missingParameter('The parameters MetricName and Namespace are required together.');
    checkPeriod(input.Period);
    if (!!input.Statistic === !!input.ExtendedStatistic) throw validation('Exactly one of Statistic and ExtendedStatistic must be specified.');
    if (input.ExtendedStatistic && !isStatistic(input.ExtendedStatistic)) throw invalidParameter(`The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is not supported.`);
  } else {
    checkQueries(input.Metrics!, 'Metrics');
    const returned = input.Metrics!.filter((q) => q.ReturnData !== false);
    if (returned.length !== 1) throw validation('Exactly one element of the metrics list should return data.');
  }
  if (input.Threshold === undefined && !input.ThresholdMetricId) throw missingParameter('The parameter Threshold is required.');
  const n = input.EvaluationPeriods!;
  if (!Number.isInteger(n) || n < 1) throw validation(`The value ${n} for parameter EvaluationPeriods is invalid.`);
  if (input.DatapointsToAlarm !== undefined && (input.DatapointsToAlarm < 1 || input.DatapointsToAlarm > n)) {
    throw validation('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
  }
  const period = input.Period ?? input.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? input.Metrics?.find((q) => q.Period)?.Period ?? 60;
  if (period * n > 7 * 86_400) throw validation('The evaluation period of the alarm (Period * EvaluationPeriods) must not exceed 7 days.');
  for (const arn of [...(input.AlarmActions ?? []), ...(input.OKActions ?? []), ...(input.InsufficientDataActions ?? [])]) {
    if (!/^arn:aws[a-z-]*:[a-z0-9-]+:/.test(arn)) throw validation(`Invalid arn syntax: ${arn}`);
  }
}

export async function putMetricAlarm(input: PutMetricAlarmInput, ctx: RequestContext): Promise<Record<string, never>> {
  checkAlarm(input);
  const store = ctx.app.store;
  const now = ctx.app.clock.now();
  const name = input.AlarmName!;
  const records = alarmRecords(store);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await records.getVersioned(ctx, name);
    const alarm: AlarmRecord = {
      AlarmName: name, AlarmArn: `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${name}`, AlarmDescription: input.AlarmDescription,
      AlarmConfigurationUpdatedTimestamp: now.toISOString(), ActionsEnabled: input.ActionsEnabled ?? true,
      OKActions: input.OKActions ?? [], AlarmActions: input.AlarmActions ?? [], InsufficientDataActions: input.InsufficientDataActions ?? [],
      StateValue: existing?.value.StateValue ?? 'INSUFFICIENT_DATA',
      StateReason: existing?.value.StateReason ?? 'Unchecked: Initial alarm creation',
      StateReasonData: existing?.value.StateReasonData,
      StateUpdatedTimestamp: existing?.value.StateUpdatedTimestamp ?? now.toISOString(),
      StateTransitionedTimestamp: existing?.value.StateTransitionedTimestamp ?? now.toISOString(),
      MetricName: input.MetricName, Namespace: input.Namespace, Statistic: input.Statistic, ExtendedStatistic: input.ExtendedStatistic,
      Dimensions: input.MetricName ? sortDims(input.Dimensions) : undefined, Period: input.Period, Unit: input.Unit,
      EvaluationPeriods: input.EvaluationPeriods, DatapointsToAlarm: input.DatapointsToAlarm, Threshold: input.Threshold,
      ComparisonOperator: input.ComparisonOperator, TreatMissingData: input.TreatMissingData, EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile,
      Metrics: input.Metrics, ThresholdMetricId: input.ThresholdMetricId,
      tags: { ...existing?.value.tags, ...Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value!])) },
    };
    const summary = existing ? `Alarm "${name}" updated` : `Alarm "${name}" created`;
    const ops = [
      { type: 'put' as const, key: alarmKey(ctx, name), value: JSON.stringify(alarm) },
      { type: 'put' as const, key: alarmIndexKey(ctx, name), value: '' },
      ...historyOps(ctx, ctx.app.ids, name, now.getTime(), 'ConfigurationUpdate', summary, { type: existing ? 'Update' : 'Create', version: '1.0' }),
    ];
    const { succeeded } = await store.txn([{ key: alarmKey(ctx, name), modRevision: existing?.revision ?? 0 }], ops);
    if (succeeded) return {};
  }
  throw new AwsError('ConcurrentModification', 'More than one process tried to modify a resource at the same time.', 429);
}

export const alarmView = (a: AlarmRecord): MetricAlarm => {
  const { tags: _tags, ...view } = a;
  return view as unknown as MetricAlarm;
};

export async function describeAlarms(input: DescribeAlarmsInput, ctx: RequestContext): Promise<DescribeAlarmsOutput> {
  const max = input.MaxRecords ?? 50;
  if (max < 1 || max > 100) throw invalidParameter(`The value ${max} for parameter MaxRecords is invalid.`);
  if (input.AlarmNames?.length && input.AlarmNamePrefix) throw invalidParameter('The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.');
  if (input.AlarmTypes && !input.AlarmTypes.includes('MetricAlarm')) return { MetricAlarms: [], CompositeAlarms: [] };
  const records = alarmRecords(ctx.app.store);
  const keep = (a: AlarmRecord) => (!input.StateValue || a.StateValue === input.StateValue)
    && (!input.ActionPrefix || a.AlarmActions.some((x) => x.startsWith(input.ActionPrefix!)));
  if (input.AlarmNames?.length) {
    if (input.AlarmNames.length > 100) throw invalidParameter('The collection AlarmNames must not have a size greater than 100.');
    const found: AlarmRecord[] = [];
    for (const name of [...new Set(input.AlarmNames)].sort()) { const a = await records.get(ctx, name); if (a && keep(a)) found.push(a); }
    return { MetricAlarms: found.map(alarmView), CompositeAlarms: [] };
  }
  const prefix = records.prefix(ctx, input.AlarmNamePrefix ?? '');
  let after = decodeToken(input.NextToken, 'InvalidNextToken');
  const out: AlarmRecord[] = [];
  let more = false;
  while (out.length < max) {
    const page = await ctx.app.store.range(prefix, { startAfter: after, limit: max + 1 });
    for (const kv of page.kvs) {
      if (out.length === max) { more = true; break; }
      after = kv.key;
      const a = JSON.parse(kv.value) as AlarmRecord;
      if (keep(a)) out.push(a);
    }
    if (!page.more || more) break;
  }
  return { MetricAlarms: out.map(alarmView), CompositeAlarms: [], NextToken: more && after ? encodeToken(after) : undefined };
}

export async function describeAlarmsForMetric(input: DescribeAlarmsForMetricInput, ctx: RequestContext): Promise<DescribeAlarmsForMetricOutput> {
  const dims = JSON.stringify(sortDims(input.Dimensions));
  const all = await alarmRecords(ctx.app.store).list(ctx);
  return {
    MetricAlarms: all.filter((a) => a.MetricName === input.MetricName && a.Namespace === input.Namespace
      && (!input.Dimensions || JSON.stringify(a.Dimensions ?? []) === dims) && (!input.Period || a.Period === input.Period)
      && (!input.Statistic || a.Statistic === input.Statistic)).map(alarmView),
  };
}

export async function deleteAlarms(input: DeleteAlarmsInput, ctx: RequestContext): Promise<Record<string, never>> {
  const names = input.AlarmNames ?? [];
  if (names.length > 100) throw invalidParameter('The collection AlarmNames must not have a size greater than 100.');
  const records = alarmRecords(ctx.app.store);
  const missing = [];
  for (const n of names) if (!await records.get(ctx, n)) missing.push(n);
  if (missing.length) throw new AwsError('ResourceNotFound', `${missing.join(', ')} not found`, 404);
  for (const n of names) {
    await ctx.app.store.txn([], [{ type: 'delete', key: records.key(ctx, n) }, { type: 'delete', key: alarmIndexKey(ctx, n) }]);
  }
  return {};
}

export async function setAlarmState(input: SetAlarmStateInput, ctx: RequestContext): Promise<Record<string, never>> {
  if (input.StateReasonData) {
    try { JSON.parse(input.StateReasonData); } catch { throw new AwsError('InvalidFormat', 'The StateReasonData must be JSON.'); }
  }
  const changed = await changeState(ctx.app.store, ctx, ctx.app.ids, input.AlarmName!, ctx.app.clock.now().getTime(),
    { state: input.StateValue!, reason: input.StateReason!, reasonData: input.StateReasonData }, true);
  if (changed === 'not-found') throw new AwsError('ResourceNotFound', `Alarm ${input.AlarmName} not found`, 404);
  return {};
}

async function setActions(ctx: RequestContext, names: string[], enabled: boolean) {
  const records = alarmRecords(ctx.app.store);
  for (const name of names) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const a = await records.getVersioned(ctx, name);
      if (!a || a.value.ActionsEnabled === enabled) break;
      if (await records.put(ctx, name, { ...a.value, ActionsEnabled: enabled }, a.revision)) break;
    }
  }
}

export async function enableAlarmActions(input: EnableAlarmActionsInput, ctx: RequestContext): Promise<Record<string, never>> {
  await setActions(ctx, input.AlarmNames ?? [], true);
  return {};
}

export async function disableAlarmActions(input: DisableAlarmActionsInput, ctx: RequestContext): Promise<Record<string, never>> {
  await setActions(ctx, input.AlarmNames ?? [], false);
  return {};
}

async function readHistory(store: Store, scope: Scope, input: DescribeAlarmHistoryInput, max: number) {
  const prefix = input.AlarmName ? recordKey('monitoring', scope, 'ahist', `${encodeURIComponent(input.AlarmName)}/`) : recordKey('monitoring', scope, 'hist');
  const ascending = input.ScanBy === 'TimestampAscending';
  const start = input.StartDate?.getTime() ?? 0;
  const end = input.EndDate?.getTime() ?? Infinity;
  let after = decodeToken(input.NextToken, 'InvalidNextToken');
  const out: AlarmHistoryItem[] = [];
  let more = false;
  while (out.length < max) {
    const page = await store.range(prefix, { startAfter: after, limit: max + 1, descending: !ascending });
    for (const kv of page.kvs) {
      if (out.length === max) { more = true; break; }
      after = kv.key;
      const item = JSON.parse(kv.value) as AlarmHistoryItem & { Timestamp: string };
      const t = Date.parse(item.Timestamp);
      if (t < start || t > end || (input.HistoryItemType && item.HistoryItemType !== input.HistoryItemType)) continue;
      out.push(item);
    }
    if (!page.more || more) break;
  }
  return { items: out, next: more && after ? encodeToken(after) : undefined };
}

export async function describeAlarmHistory(input: DescribeAlarmHistoryInput, ctx: RequestContext): Promise<DescribeAlarmHistoryOutput> {
  const max = input.MaxRecords ?? 100;
  if (max < 1 || max > 100) throw invalidParameter(`The value ${max} for parameter MaxRecords is invalid.`);
  const { items, next } = await readHistory(ctx.app.store, ctx, input, max);
  return { AlarmHistoryItems: items, NextToken: next };
}
