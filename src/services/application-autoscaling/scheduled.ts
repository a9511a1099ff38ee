// Scheduled actions: Put/Delete/DescribeScheduledActions (the scaler runs them when due).
import type {
  DeleteScheduledActionRequest, DescribeScheduledActionsRequest, DescribeScheduledActionsResponse, PutScheduledActionRequest,
} from '@aws-sdk/client-application-auto-scaling';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import type { RequestContext } from '../context.js';
import { notFound, requireTarget, scheduled, targetId, validation, type ScheduledRecord } from './model.js';
import { parseSchedule } from './schedule.js';

export async function putScheduledAction(input: PutScheduledActionRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const id = targetId(input.ServiceNamespace!, input.ResourceId!, input.ScalableDimension!);
  await requireTarget(ctx.app.store, ctx, id);
  const records = scheduled(ctx.app.store);
  const key = `${id}|${input.ScheduledActionName!}`;
  const existing = await records.get(ctx, key);
  const schedule = input.Schedule ?? existing?.Schedule;
  if (!schedule) throw validation('Schedule is required for a new scheduled action.');
  const now = ctx.app.clock.now();
  parseSchedule(schedule, input.Timezone ?? existing?.Timezone ?? 'UTC');
  const action = input.ScalableTargetAction ?? existing?.ScalableTargetAction;
  if (action?.MinCapacity !== undefined && action.MaxCapacity !== undefined && action.MinCapacity > action.MaxCapacity) {
    throw validation(`Minimum capacity (${action.MinCapacity}) cannot be greater than maximum capacity (${action.MaxCapacity}).`);
  }
  const record: ScheduledRecord = {
    ScheduledActionName: input.ScheduledActionName!,
    ScheduledActionARN: existing?.ScheduledActionARN
      ?? `arn:aws:autoscaling:${ctx.region}:${ctx.account}:scheduledAction:${ctx.app.ids.uuid()}:resource/ecs/${input.ResourceId}:scheduledActionName/${input.ScheduledActionName}`,
    ServiceNamespace: input.ServiceNamespace!, Schedule: schedule, Timezone: input.Timezone ?? existing?.Timezone,
    ResourceId: input.ResourceId!, ScalableDimension: input.ScalableDimension!,
    StartTime: input.StartTime?.toISOString() ?? existing?.StartTime, EndTime: input.EndTime?.toISOString() ?? existing?.EndTime,
    ScalableTargetAction: action, CreationTime: existing && !input.Schedule ? existing.CreationTime : now.toISOString(),
    lastRun: existing && !input.Schedule ? existing.lastRun : undefined,
  };
  await records.put(ctx, key, record);
  return {};
}

export async function deleteScheduledAction(input: DeleteScheduledActionRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const key = `${targetId(input.ServiceNamespace!, input.ResourceId!, input.ScalableDimension!)}|${input.ScheduledActionName!}`;
  if (!await scheduled(ctx.app.store).delete(ctx, key)) throw notFound(`No scheduled action found for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}, scheduled action name: ${input.ScheduledActionName}`);
  return {};
}

export async function describeScheduledActions(input: DescribeScheduledActionsRequest, ctx: RequestContext): Promise<DescribeScheduledActionsResponse> {
  const max = input.MaxResults ?? 50;
  if (max < 1 || max > 50) throw validation('MaxResults must be between 1 and 50.');
  const prefix = input.ResourceId && input.ScalableDimension ? `${targetId(input.ServiceNamespace!, input.ResourceId, input.ScalableDimension)}|` : `${input.ServiceNamespace}|`;
  const all = (await scheduled(ctx.app.store).listVersioned(ctx, prefix)).filter(({ value: a }) =>
    (!input.ScheduledActionNames?.length || input.ScheduledActionNames.includes(a.ScheduledActionName!)) && (!input.ResourceId || a.ResourceId === input.ResourceId));
  const after = decodeToken(input.NextToken, 'InvalidNextTokenException');
  const from = after ? all.filter((a) => a.key > after) : all;
  const page = from.slice(0, max);
  return {
    ScheduledActions: page.map(({ value: { lastRun: _lastRun, ...a } }) => ({
      ...a, CreationTime: new Date(a.CreationTime), StartTime: a.StartTime ? new Date(a.StartTime) : undefined, EndTime: a.EndTime ? new Date(a.EndTime) : undefined,
    })),
    NextToken: from.length > max ? encodeToken(page.at(-1)!.key) : undefined,
  };
}
