// ECS tasks: RunTask (placed by the scheduler), StartTask (on named instances), StopTask,
// DescribeTasks, ListTasks. Starting/stopping is task-run.ts (shared with the service scheduler),
// placement and the commit task-launch.ts; agents move tasks along their lifecycle (agent-api.ts).
import type {
  Cluster, DescribeTasksRequest, DescribeTasksResponse, Failure, ListTasksRequest, ListTasksResponse, RunTaskRequest,
  RunTaskResponse, StartTaskRequest, StartTaskResponse, StopTaskRequest, StopTaskResponse, Task,
} from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { activeCluster, db, invalidParameter } from '../model/common.js';
import { resolveTaskDefinition } from '../model/task-definition-lookup.js';
import {
  checkClientToken, checkCompatibility, checkGroup, checkPlacement, checkStartedBy, launchTypeOf, taskTags,
} from '../model/task-inputs.js';
import { instanceIdOf, parseTaskRef, renderTask, taskArn } from '../model/task-model.js';
import { launchOnInstances, launchTasks, requestStop, type LaunchSpec } from '../launch/task-run.js';
import '../model/task-counts.js';
import { tasksByClientToken } from '../model/task-index-read.js';
import { listTaskPage } from '../model/task-list.js';

export async function runTask(input: RunTaskRequest, ctx: RequestContext): Promise<RunTaskResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const count = input.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10) throw invalidParameter(`count must be between 1 and 10, but was ${count}.`);
  const launchType = launchTypeOf(input);
  checkClientToken(input.clientToken);
  if (input.clientToken) {
    const earlier = await tasksByClientToken(ctx, cluster.clusterName!, input.clientToken);
    if (earlier.length) return { tasks: earlier.map((t) => renderTask(t, true)), failures: [] };
  }
  const spec = await specOf(ctx, cluster, input, launchType);
  checkPlacement(spec.definition, input.placementConstraints, input.placementStrategy);
  const out = await launchTasks(ctx, {
    ...spec, clientToken: input.clientToken, placementConstraints: input.placementConstraints, placementStrategy: input.placementStrategy,
    capacityProviderName: input.capacityProviderStrategy?.[0]?.capacityProvider,
  }, count, { requireInstances: true });
  for (const f of out.failures) {
    ctx.app.log.warn('placement.failed', { account: ctx.account, cluster: cluster.clusterName, taskDefinition: spec.definition.taskDefinitionArn,
      instance: f.arn, reason: f.reason, detail: f.detail });
  }
  return { tasks: out.tasks.map((t) => renderTask(t, true)), failures: out.failures };
}

export async function startTask(input: StartTaskRequest, ctx: RequestContext): Promise<StartTaskResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const refs = input.containerInstances ?? [];
  if (refs.length < 1 || refs.length > 10) throw invalidParameter(`containerInstances must name 1 to 10 container instances, but named ${refs.length}.`);
  refs.forEach(instanceIdOf);
  const out = await launchOnInstances(ctx, await specOf(ctx, cluster, input, 'EC2'), refs);
  return { tasks: out.tasks.map((t) => renderTask(t, true)), failures: out.failures };
}

/** What RunTask and StartTask check before placing, and the launch it amounts to. */
async function specOf(ctx: RequestContext, cluster: Cluster, input: RunTaskRequest | StartTaskRequest,
  launchType: 'EC2' | 'EXTERNAL'): Promise<LaunchSpec> {
  checkStartedBy(input.startedBy);
  checkGroup(input.group);
  const definition = await resolveTaskDefinition(ctx, input.taskDefinition ?? '');
  checkCompatibility(definition, launchType, input.networkConfiguration !== undefined);
  return {
    cluster, definition, overrides: input.overrides, launchType, startedBy: input.startedBy, group: input.group,
    tags: taskTags(definition, input, cluster.clusterName!), enableExecuteCommand: input.enableExecuteCommand,
  };
}

export async function stopTask(input: StopTaskRequest, ctx: RequestContext): Promise<StopTaskResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  if ((input.reason ?? '').length > 255) throw invalidParameter('reason must be at most 255 characters long.');
  const name = cluster.clusterName!;
  const ref = parseTaskRef(input.task ?? '');
  if (!ref.id || (ref.cluster && ref.cluster !== name)) throw taskNotFound();
  const task = await requestStop(ctx, name, ref.id, { reason: input.reason });
  if (!task) throw taskNotFound();
  return { task: renderTask(task) };
}

const taskNotFound = () => invalidParameter('The referenced task was not found.');

export async function describeTasks(input: DescribeTasksRequest, ctx: RequestContext): Promise<DescribeTasksResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const refs = input.tasks ?? [];
  if (refs.length === 0) throw invalidParameter('Tasks cannot be empty.');
  if (refs.length > 100) throw invalidParameter(`tasks can have at most 100 items, but had ${refs.length}.`);
  const name = cluster.clusterName!;
  const includeTags = input.include?.includes('TAGS') ?? false;
  const tasks: Task[] = [];
  const failures: Failure[] = [];
  for (const value of refs) {
    const ref = parseTaskRef(value);
    const task = !ref.cluster || ref.cluster === name ? await db(ctx).tasks.get(ctx, `${name}/${ref.id}`) : undefined;
    if (task) tasks.push(renderTask(task, includeTags));
    else failures.push({ arn: value.startsWith('arn:') ? value : taskArn(ctx, name, ref.id), reason: 'MISSING' });
  }
  return { tasks, failures };
}

export async function listTasks(input: ListTasksRequest, ctx: RequestContext): Promise<ListTasksResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const name = cluster.clusterName!;
  if (input.startedBy !== undefined && (input.family || input.containerInstance || input.serviceName || input.launchType)) {
    throw invalidParameter('When you specify startedBy as the filter, it must be the only filter that you use (besides desiredStatus).');
  }
  return listTaskPage(ctx, name, input);
}
