// Carries out a TaskPlan with the task launcher's own entry points (task-run.ts: launchTasks,
// launchOnInstances, requestStop) and returns the service events it amounts to, in ECS's words:
//   (service web) has stopped 2 running tasks: (task …) (task …).
//   (service web) has started 2 tasks: (task …) (task …).
//   (service web) (task …) failed container health checks.
//   (service web) was unable to place a task because no container instance met all of its
//   requirements. The closest matching (container-instance …) has insufficient memory available. …
// Every step is safe to repeat: a stop of a stopping task changes nothing, and the next pass sees
// the tasks this one started.
import type { Failure, PlacementStrategy, Tag } from '@aws-sdk/client-ecs';
import { REASON } from '../../../placement/index.js';
import type { RequestContext } from '../../context.js';
import { primaryOf, said, serviceGroup, taskList, type DeploymentRecord, type ServiceRecord } from '../model/service-model.js';
import { isStopped, SCHEDULER_STOP_CODE, type ServiceTaskRecord } from '../model/service-tasks.js';
import type { TaskDefinitionRecord } from '../model/task-definition-lookup.js';
import { instanceIdOf, taskId } from '../model/task-model.js';
import { launchOnInstances, launchTasks, requestStop, type LaunchSpec } from '../launch/task-run.js';
import { modifyTask } from '../model/task-store.js';
import type { ClusterView, SchedulerSettings } from './cluster-view.js';
import { lostReason } from './service-lost.js';
import { stopReason, warn, type TaskPlan } from './service-plan.js';

export async function applyPlan(ctx: RequestContext, service: ServiceRecord, plan: TaskPlan, view: ClusterView,
  settings: SchedulerSettings): Promise<string[]> {
  const events = [...plan.events];
  const now = new Date(view.now);

  for (const id of plan.lost) {
    const r = await modifyTask(ctx, service.cluster, id, (t) => supersede(t, now, settings.lostAfterSeconds));
    if (r?.changed) {
      const instance = r.task.containerInstanceArn ? instanceIdOf(r.task.containerInstanceArn) : '?';
      events.push(`${said(service)} (task ${id}) was superseded: the agent of (container-instance ${instance}) `
        + `has been disconnected for more than ${settings.lostAfterSeconds} seconds.`);
    }
  }

  const primary = primaryOf(service);
  // One event per pass for the tasks it stopped; only tasks that had started are called running.
  const stopped: string[] = [];
  const stoppedBeforeRunning: string[] = [];
  for (const stop of plan.stops) {
    const task = await requestStop(ctx, service.cluster, stop.taskId, {
      reason: stopReason(stop.cause, primary?.id ?? ''), stopCode: SCHEDULER_STOP_CODE,
    });
    if (!task) continue;
    if (stop.cause === 'unhealthy') events.push(`${said(service)} (task ${stop.taskId}) failed container health checks.`);
    (task.startedAt !== undefined ? stopped : stoppedBeforeRunning).push(stop.taskId);
  }
  if (stopped.length) events.push(`${said(service)} has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`);
  if (stoppedBeforeRunning.length) events.push(`${said(service)} has stopped ${stoppedBeforeRunning.length} tasks: ${taskList(stoppedBeforeRunning)}.`);

  const started: string[] = [];
  for (const start of plan.starts) {
    const deployment = service.deployments.find((d) => d.id === start.deploymentId);
    const def = deployment && view.definitions.get(deployment.taskDefinition);
    if (!deployment || !def) continue;
    const spec = launchSpec(service, deployment, def);
    if (start.instanceIds) {
      const arns = start.instanceIds.map((id) => view.instances.get(id)?.arn ?? id);
      const out = await launchOnInstances(ctx, spec, arns);
      for (const t of out.tasks) started.push(taskId(t));
      if (out.failures.length) warn(plan, service, unableToPlace(service, out.failures), view.now);
      continue;
    }
    const out = await launchTasks(ctx, spec, start.count);
    for (const t of out.tasks) started.push(taskId(t));
    if (out.tasks.length < start.count) warn(plan, service, unableToPlace(service, out.failures), view.now);
  }
  if (started.length) events.push(`${said(service)} has started ${started.length} tasks: ${taskList(started)}.`);
  return [...events, ...plan.events.filter((e) => !events.includes(e))];
}

function supersede(t: ServiceTaskRecord, now: Date, seconds: number): ServiceTaskRecord | undefined {
  if (t.supersededAt !== undefined || isStopped(t)) return undefined;
  const next: ServiceTaskRecord = { ...t, supersededAt: now.toISOString() };
  if (t.desiredStatus === 'STOPPED') return next;
  return { ...next, desiredStatus: 'STOPPED', stopCode: SCHEDULER_STOP_CODE, stoppedReason: lostReason(seconds), stoppingAt: now,
    generation: (t.generation ?? 1) + 1 };
}

/** ECS's default for REPLICA services without strategies: balance across Availability Zones, then
 *  across instances (placing on the instance with the fewest of the service's tasks). */
export const REPLICA_DEFAULT_STRATEGY: readonly PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' },
];

/** What a service task is launched with: the deployment's task definition and launch type, the
 *  service's group, placement (the placement engine, through the launcher) and tags (propagated
 *  and ECS-managed as the service says). */
function launchSpec(service: ServiceRecord, deployment: DeploymentRecord, def: TaskDefinitionRecord): LaunchSpec {
  return {
    cluster: { clusterName: service.cluster, clusterArn: service.clusterArn },
    definition: def,
    launchType: deployment.launchType === 'EXTERNAL' ? 'EXTERNAL' : 'EC2',
    startedBy: deployment.id,
    group: serviceGroup(service.serviceName),
    tags: taskTags(service, def),
    enableExecuteCommand: service.enableExecuteCommand,
    capacityProviderName: deployment.capacityProviderStrategy?.[0]?.capacityProvider,
    placementConstraints: service.placementConstraints.length ? service.placementConstraints : undefined,
    placementStrategy: service.placementStrategy.length ? service.placementStrategy : undefined,
    defaultStrategy: service.schedulingStrategy === 'REPLICA' ? REPLICA_DEFAULT_STRATEGY : undefined,
  };
}

function taskTags(service: ServiceRecord, def: TaskDefinitionRecord): Tag[] {
  const tags = new Map<string, string>();
  const from = service.propagateTags === 'SERVICE' ? service.tags : service.propagateTags === 'TASK_DEFINITION' ? def.tags ?? [] : [];
  for (const t of from) if (t.key) tags.set(t.key, t.value ?? '');
  if (service.enableECSManagedTags) {
    tags.set('aws:ecs:clusterName', service.cluster);
    tags.set('aws:ecs:serviceName', service.serviceName);
  }
  return [...tags].map(([key, value]) => ({ key, value }));
}

/** How far each failure reason got through placement's stages: the furthest is the "closest match". */
const DEPTH: Record<string, number> = {
  [REASON.AGENT]: 0, [REASON.ATTRIBUTE]: 1, [REASON.CPU]: 2, [REASON.MEMORY]: 2, [REASON.PORTS]: 3,
  [REASON.DISTINCT_INSTANCE]: 4, [REASON.MEMBER_OF]: 5,
};
const WHY: Record<string, string> = {
  [REASON.AGENT]: 'encountered error "AGENT"',
  [REASON.ATTRIBUTE]: 'is missing an attribute required by your task',
  [REASON.CPU]: 'has insufficient CPU units available',
  [REASON.MEMORY]: 'has insufficient memory available',
  [REASON.PORTS]: 'is already using a port required by your task',
  [REASON.DISTINCT_INSTANCE]: 'is already running a task of this service (distinctInstance placement constraint)',
  [REASON.MEMBER_OF]: 'does not satisfy the memberOf placement constraint',
};

export function unableToPlace(service: ServiceRecord, failures: Failure[]): string {
  const head = `${said(service)} was unable to place a task because no container instance met all of its requirements.`;
  const tail = ' For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';
  const withArn = failures.filter((f) => f.arn);
  if (withArn.length === 0) return `${head} Reason: No Container Instances were found in your cluster.${tail}`;
  const closest = [...withArn].sort((a, b) => (DEPTH[b.reason ?? ''] ?? -1) - (DEPTH[a.reason ?? ''] ?? -1))[0];
  const why = WHY[closest.reason ?? ''] ?? `encountered error "${closest.reason ?? 'UNKNOWN'}"`;
  return `${head} The closest matching (container-instance ${instanceIdOf(closest.arn!)}) ${why}.${tail}`;
}
