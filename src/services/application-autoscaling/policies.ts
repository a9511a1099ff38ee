// Scaling policies. Target tracking creates the two alarms AWS creates (through the internal
// client, as the caller): AlarmHigh (3 of 3 one-minute periods above the target) and, unless
// DisableScaleIn, AlarmLow (15 of 15 below 90% of it). Step scaling policies are invoked by any
// alarm whose actions name the policy ARN.
import type {
  DeleteScalingPolicyRequest, DescribeScalingPoliciesRequest, DescribeScalingPoliciesResponse, PutScalingPolicyRequest, PutScalingPolicyResponse,
  TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import type { PutMetricAlarmInput, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import { callerOf, type RequestContext } from '../context.js';
import { notFound, policies, requireTarget, serviceOf, targetId, validation, type PolicyRecord } from './model.js';

const PREDEFINED: Record<string, { namespace: string; metric: string; statistic: 'Average' | 'Sum' }> = {
  ECSServiceAverageCPUUtilization: { namespace: 'AWS/ECS', metric: 'CPUUtilization', statistic: 'Average' },
  ECSServiceAverageMemoryUtilization: { namespace: 'AWS/ECS', metric: 'MemoryUtilization', statistic: 'Average' },
  ALBRequestCountPerTarget: { namespace: 'AWS/ApplicationELB', metric: 'RequestCountPerTarget', statistic: 'Sum' },
};

/** The metric part of the alarms a target-tracking configuration watches. */
function alarmMetric(config: TargetTrackingScalingPolicyConfiguration, resource: string): Partial<PutMetricAlarmInput> {
  const predefined = config.PredefinedMetricSpecification;
  if (predefined) {
    const p = PREDEFINED[predefined.PredefinedMetricType ?? ''];
    if (!p) throw validation(`Unsupported predefined metric type ${predefined.PredefinedMetricType} for ecs:service:DesiredCount`);
    const { cluster, service } = serviceOf(resource);
    if (predefined.PredefinedMetricType === 'ALBRequestCountPerTarget') {
      const label = predefined.ResourceLabel ?? '';
      const m = /^app\/[^/]+\/[^/]+\/(targetgroup\/[^/]+\/[^/]+)$/.exec(label);
      if (!m) throw validation(`ResourceLabel '${label}' is not app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>`);
      return { Namespace: p.namespace, MetricName: p.metric, Statistic: p.statistic, Dimensions: [{ Name: 'TargetGroup', Value: m[1] }] };
    }
    return { Namespace: p.namespace, MetricName: p.metric, Statistic: p.statistic,
      Dimensions: [{ Name: 'ClusterName', Value: cluster }, { Name: 'ServiceName', Value: service }] };
  }
  const c = config.CustomizedMetricSpecification;
  if (!c) throw validation('Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified.');
  if (c.Metrics?.length) {
    return { Metrics: c.Metrics.map((q) => ({
      Id: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData,
      MetricStat: q.MetricStat ? { Metric: { Namespace: q.MetricStat.Metric?.Namespace, MetricName: q.MetricStat.Metric?.MetricName,
        Dimensions: q.MetricStat.Metric?.Dimensions }, Stat: q.MetricStat.Stat, Unit: q.MetricStat.Unit as StandardUnit | undefined, Period: 60 } : undefined,
    })) };
  }
  if (!c.MetricName || !c.Namespace || !c.Statistic) throw validation('CustomizedMetricSpecification needs MetricName, Namespace and Statistic.');
  return { Namespace: c.Namespace, MetricName: c.MetricName, Statistic: c.Statistic, Dimensions: c.Dimensions, Unit: c.Unit as StandardUnit | undefined };
}

export async function putScalingPolicy(input: PutScalingPolicyRequest, ctx: RequestContext): Promise<PutScalingPolicyResponse> {
  const id = targetId(input.ServiceNamespace!, input.ResourceId!, input.ScalableDimension!);
  await requireTarget(ctx.app.store, ctx, id);
  const type = input.PolicyType ?? 'StepScaling';
  if (type !== 'StepScaling' && type !== 'TargetTrackingScaling') throw validation(`Unsupported policy type ${type} for ecs:service:DesiredCount`);
  const records = policies(ctx.app.store);
  const key = `${id}|${input.PolicyName!}`;
  const existing = await records.get(ctx, key);
  const arn = existing?.PolicyARN
    ?? `arn:aws:autoscaling:${ctx.region}:${ctx.account}:scalingPolicy:${ctx.app.ids.uuid()}:resource/ecs/${input.ResourceId}:policyName/${input.PolicyName}`;
  const record: PolicyRecord = {
    PolicyARN: arn, PolicyName: input.PolicyName!, ServiceNamespace: input.ServiceNamespace!, ResourceId: input.ResourceId!,
    ScalableDimension: input.ScalableDimension!, PolicyType: type, CreationTime: existing?.CreationTime ?? ctx.app.clock.now().toISOString(), Alarms: [],
  };
  if (type === 'StepScaling') {
    const step = input.StepScalingPolicyConfiguration;
    if (!step?.StepAdjustments?.length) throw validation('StepScalingPolicyConfiguration with StepAdjustments is required for StepScaling.');
    if (!step.AdjustmentType) throw validation('AdjustmentType is required for StepScaling.');
    for (const s of step.StepAdjustments) {
      if (s.MetricIntervalLowerBound === undefined && s.MetricIntervalUpperBound === undefined) {
        throw validation('A step adjustment needs MetricIntervalLowerBound or MetricIntervalUpperBound.');
      }
      if (s.MetricIntervalLowerBound !== undefined && s.MetricIntervalUpperBound !== undefined && s.MetricIntervalLowerBound >= s.MetricIntervalUpperBound) {
        throw validation('MetricIntervalLowerBound must be less than MetricIntervalUpperBound.');
      }
    }
    record.StepScalingPolicyConfiguration = step;
  } else {
    const tt = input.TargetTrackingScalingPolicyConfiguration;
    if (!tt || tt.TargetValue === undefined) throw validation('TargetTrackingScalingPolicyConfiguration with TargetValue is required for TargetTrackingScaling.');
    if (tt.TargetValue <= 0) throw validation('TargetValue must be greater than 0.');
    record.TargetTrackingScalingPolicyConfiguration = tt;
    const metric = alarmMetric(tt, input.ResourceId!);
    const uuid = ctx.app.ids.uuid();
    const base = {
      ...metric, Period: metric.Metrics ? undefined : 60, AlarmActions: [arn], ActionsEnabled: true,
      AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${arn}.`,
    };
    const alarms: PutMetricAlarmInput[] = [{
      ...base, AlarmName: `TargetTracking-${input.ResourceId}-AlarmHigh-${uuid}`, EvaluationPeriods: 3, DatapointsToAlarm: 3,
      Threshold: tt.TargetValue, ComparisonOperator: 'GreaterThanThreshold',
    }];
    if (!tt.DisableScaleIn) {
      alarms.push({
        ...base, AlarmName: `TargetTracking-${input.ResourceId}-AlarmLow-${ctx.app.ids.uuid()}`, EvaluationPeriods: 15, DatapointsToAlarm: 15,
        Threshold: tt.TargetValue * 0.9, ComparisonOperator: 'LessThanThreshold',
      });
    }
    for (const a of alarms) await ctx.app.call('monitoring', 'PutMetricAlarm', a, callerOf(ctx));
    record.Alarms = alarms.map((a) => ({ AlarmName: a.AlarmName, AlarmARN: `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${a.AlarmName}` }));
  }
  await deleteAlarms(ctx, existing);
  await records.put(ctx, key, record);
  return { PolicyARN: arn, Alarms: record.Alarms };
}

async function deleteAlarms(ctx: RequestContext, p: PolicyRecord | undefined) {
  const names = (p?.Alarms ?? []).map((a) => a.AlarmName!);
  if (!names.length) return;
  await ctx.app.call('monitoring', 'DeleteAlarms', { AlarmNames: names }, callerOf(ctx)).catch(() => undefined);
}

export async function deleteScalingPolicy(input: DeleteScalingPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const key = `${targetId(input.ServiceNamespace!, input.ResourceId!, input.ScalableDimension!)}|${input.PolicyName!}`;
  const records = policies(ctx.app.store);
  const existing = await records.get(ctx, key);
  if (!existing) throw notFound(`No scaling policy found for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}, policy name: ${input.PolicyName}`);
  await deleteAlarms(ctx, existing);
  await records.delete(ctx, key);
  return {};
}

export async function describeScalingPolicies(input: DescribeScalingPoliciesRequest, ctx: RequestContext): Promise<DescribeScalingPoliciesResponse> {
  const max = input.MaxResults ?? 50;
  if (max < 1 || max > 50) throw validation('MaxResults must be between 1 and 50.');
  const prefix = input.ResourceId && input.ScalableDimension ? `${targetId(input.ServiceNamespace!, input.ResourceId, input.ScalableDimension)}|` : `${input.ServiceNamespace}|`;
  const all = (await policies(ctx.app.store).listVersioned(ctx, prefix)).filter(({ value: p }) =>
    (!input.PolicyNames?.length || input.PolicyNames.includes(p.PolicyName!)) && (!input.ResourceId || p.ResourceId === input.ResourceId));
  const after = decodeToken(input.NextToken, 'InvalidNextTokenException');
  const from = after ? all.filter((p) => p.key > after) : all;
  const page = from.slice(0, max);
  return {
    ScalingPolicies: page.map(({ value: p }) => ({ ...p, CreationTime: new Date(p.CreationTime) })),
    NextToken: from.length > max ? encodeToken(page.at(-1)!.key) : undefined,
  };
}
