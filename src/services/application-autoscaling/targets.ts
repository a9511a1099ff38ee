// Scalable targets and scaling activities.
import type {
  DeregisterScalableTargetRequest, DescribeScalableTargetsRequest, DescribeScalableTargetsResponse, DescribeScalingActivitiesRequest,
  DescribeScalingActivitiesResponse, RegisterScalableTargetRequest, RegisterScalableTargetResponse, ScalingActivity,
} from '@aws-sdk/client-application-auto-scaling';
import { AwsError } from '../../common/errors.js';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import type { Ids } from '../../common/ids.js';
import { recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';
import type { DescribeServicesResponse } from '@aws-sdk/client-ecs';
import { callerOf, type RequestContext } from '../context.js';
import {
  activityPrefix, checkTarget, policies, requireTarget, scheduled, serviceOf, SVC, targetId, targetIndexKey, targets, validation, type TargetRecord,
} from './model.js';

export async function registerScalableTarget(input: RegisterScalableTargetRequest, ctx: RequestContext): Promise<RegisterScalableTargetResponse> {
  checkTarget(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
  const id = targetId(input.ServiceNamespace!, input.ResourceId!, input.ScalableDimension!);
  const { cluster, service } = serviceOf(input.ResourceId!);
  // As the caller: AWS asks whoever registers an ECS target for ecs:DescribeServices too.
  const described = await ctx.app.call<DescribeServicesResponse>('ecs', 'DescribeServices', { cluster, services: [service] }, callerOf(ctx))
    .catch((err: unknown) => { if (err instanceof AwsError && err.code === 'ClusterNotFoundException') return undefined; throw err; });
  if (described?.services?.[0]?.status !== 'ACTIVE') throw validation(`ECS service doesn't exist: ${input.ResourceId}`);
  const records = targets(ctx.app.store);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await records.getVersioned(ctx, id);
    if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
      throw validation('MinCapacity and MaxCapacity are required for registering a scalable target.');
    }
    const min = input.MinCapacity ?? existing!.value.MinCapacity;
    const max = input.MaxCapacity ?? existing!.value.MaxCapacity;
    if (min < 0 || max < 0) throw validation('MinCapacity and MaxCapacity must not be negative.');
    if (min > max) throw validation(`Minimum capacity (${min}) cannot be greater than maximum capacity (${max}).`);
    const record: TargetRecord = {
      ...existing?.value,
      ServiceNamespace: input.ServiceNamespace!, ResourceId: input.ResourceId!, ScalableDimension: input.ScalableDimension!,
      MinCapacity: min, MaxCapacity: max,
      RoleARN: input.RoleARN ?? existing?.value.RoleARN ?? `arn:aws:iam::${ctx.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
      CreationTime: existing?.value.CreationTime ?? ctx.app.clock.now().toISOString(),
      SuspendedState: { ...{ DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false }, ...existing?.value.SuspendedState, ...input.SuspendedState },
      ScalableTargetARN: existing?.value.ScalableTargetARN ?? `arn:aws:application-autoscaling:${ctx.region}:${ctx.account}:scalable-target/${ctx.app.ids.hex(36)}`,
    };
    const key = records.key(ctx, id);
    const { succeeded } = await ctx.app.store.txn([{ key, modRevision: existing?.revision ?? 0 }], [
      { type: 'put', key, value: JSON.stringify(record) }, { type: 'put', key: targetIndexKey(ctx, id), value: '' },
    ]);
    if (succeeded) return { ScalableTargetARN: record.ScalableTargetARN };
  }
  throw validation('Concurrent updates to the scalable target conflicted; retry.');
}

export async function deregisterScalableTarget(input: DeregisterScalableTargetRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const id = targetId(input.ServiceNamespace!, input.ResourceId!, input.ScalableDimension!);
  await requireTarget(ctx.app.store, ctx, id);
  // Its policies (and their target-tracking alarms) and scheduled actions go with it.
  const { deleteScalingPolicy } = await import('./policies.js');
  for (const p of await policies(ctx.app.store).list(ctx, `${id}|`)) {
    await deleteScalingPolicy({ PolicyName: p.PolicyName, ServiceNamespace: p.ServiceNamespace, ResourceId: p.ResourceId, ScalableDimension: p.ScalableDimension }, ctx);
  }
  const store = ctx.app.store;
  const ops = [
    { type: 'delete' as const, key: targets(store).key(ctx, id) }, { type: 'delete' as const, key: targetIndexKey(ctx, id) },
    ...(await store.list(scheduled(store).prefix(ctx, `${id}|`))).map((kv) => ({ type: 'delete' as const, key: kv.key })),
  ];
  await store.txn([], ops);
  return {};
}

export async function describeScalableTargets(input: DescribeScalableTargetsRequest, ctx: RequestContext): Promise<DescribeScalableTargetsResponse> {
  const max = input.MaxResults ?? 50;
  if (max < 1 || max > 50) throw validation('MaxResults must be between 1 and 50.');
  const ns = input.ServiceNamespace!;
  const store = ctx.app.store;
  const all = (await targets(store).listVersioned(ctx, `${ns}|`)).filter(({ value: t }) =>
    (!input.ResourceIds?.length || input.ResourceIds.includes(t.ResourceId)) && (!input.ScalableDimension || t.ScalableDimension === input.ScalableDimension));
  const after = decodeToken(input.NextToken, 'InvalidNextTokenException');
  const from = after ? all.filter((t) => t.key > after) : all;
  const page = from.slice(0, max);
  return {
    ScalableTargets: page.map(({ value: t }) => ({
      ServiceNamespace: t.ServiceNamespace, ResourceId: t.ResourceId, ScalableDimension: t.ScalableDimension, MinCapacity: t.MinCapacity,
      MaxCapacity: t.MaxCapacity, RoleARN: t.RoleARN, CreationTime: new Date(t.CreationTime), SuspendedState: t.SuspendedState,
      ScalableTargetARN: t.ScalableTargetARN,
    })),
    NextToken: from.length > max ? encodeToken(page.at(-1)!.key) : undefined,
  };
}

/** Records a scaling activity (newest first in listings). */
export async function recordActivity(store: Store, scope: Scope, ids: Ids, target: TargetRecord, now: number,
  a: Pick<ScalingActivity, 'Description' | 'Cause' | 'StatusCode' | 'StatusMessage'>) {
  const id = targetId(target.ServiceNamespace, target.ResourceId, target.ScalableDimension);
  const activityId = ids.uuid();
  const inverted = String(9_999_999_999_999 - now).padStart(13, '0');
  const activity = {
    ActivityId: activityId, ServiceNamespace: target.ServiceNamespace, ResourceId: target.ResourceId, ScalableDimension: target.ScalableDimension,
    StartTime: new Date(now).toISOString(), EndTime: new Date(now).toISOString(), ...a,
  };
  await store.txn([], [{ type: 'put', key: `${activityPrefix(scope, id)}${inverted}:${activityId}`, value: JSON.stringify(activity) }]);
}

export async function describeScalingActivities(input: DescribeScalingActivitiesRequest, ctx: RequestContext): Promise<DescribeScalingActivitiesResponse> {
  const max = input.MaxResults ?? 50;
  if (max < 1 || max > 50) throw validation('MaxResults must be between 1 and 50.');
  const ns = input.ServiceNamespace!;
  const prefix = input.ResourceId && input.ScalableDimension
    ? activityPrefix(ctx, targetId(ns, input.ResourceId, input.ScalableDimension))
    : recordKey(SVC, ctx, 'activity', `${ns}|${input.ResourceId ?? ''}`);
  const page = await ctx.app.store.range(prefix, { limit: max, startAfter: decodeToken(input.NextToken, 'InvalidNextTokenException') });
  const items = page.kvs.map((kv) => JSON.parse(kv.value) as ScalingActivity & { StartTime: string; EndTime: string })
    .filter((a) => !input.ScalableDimension || a.ScalableDimension === input.ScalableDimension);
  return {
    ScalingActivities: items.map((a) => ({ ...a, StartTime: new Date(a.StartTime), EndTime: new Date(a.EndTime) })),
    NextToken: page.more ? encodeToken(page.kvs.at(-1)!.key) : undefined,
  };
}

export { requireTarget };
