// What the service scheduler sees of one cluster in one pass: its container instances (with the
// agent's connectivity judged once, against one clock reading), its tasks (the scheduler's
// task-cache.ts: every one not STOPPED, and the services' stopped ones), and the task
// definitions the services' deployments run. The planners (service-replica.ts, service-daemon.ts,
// service-rollout.ts) are pure functions of this view.
import { ecsConfig } from '../config.js';
import type { ContainerInstanceRecord } from '../model/common.js';
import { clusterInstances } from '../model/container-instance-store.js';
import { placementView } from '../launch/placement-cache.js';
import { isAgentConnected } from '../model/container-instance-view.js';
import { db } from '../model/common.js';
import type { ServiceRecord } from '../model/service-model.js';
import { hasHealthChecks, isHealthy, type ServiceTaskRecord } from '../model/service-tasks.js';
import { findTaskDefinition, parseTaskDefinitionRef, type TaskDefinitionRecord } from '../model/task-definition-lookup.js';
import { instanceIdOf } from '../model/task-model.js';
import type { RequestContext } from '../../context.js';
import { SELF_FENCE_CAPABILITY } from '../../../protocol/acs.js';

export interface InstanceView {
  id: string;
  arn: string;
  /** ACTIVE, DRAINING, INACTIVE… */
  status: string;
  /** The agent was heard from within the grace period (agentConnected). */
  connected: boolean;
  /** Its tasks are to be superseded: the agent has been silent for longer than lostAfterSeconds
   *  (+ the fence margin for a self-fencing agent); an agent that cannot fence itself only in a
   *  cluster that opted in (the lost-agent policy, service-lost.ts). */
  lost: boolean;
  /** The agent stops its own tasks when cut off (SELF_FENCE_CAPABILITY). */
  selfFences: boolean;
  zone?: string;
  record: ContainerInstanceRecord;
}

export interface ClusterView {
  cluster: string;
  clusterArn: string;
  now: Date;
  /** By container instance id. */
  instances: Map<string, InstanceView>;
  /** The cluster's tasks not STOPPED, and every task of a service (any status). */
  tasks: ServiceTaskRecord[];
  /** By task definition ARN. */
  definitions: Map<string, TaskDefinitionRecord>;
  /** Healthy: RUNNING, and HEALTHY when its task definition has container health checks. */
  healthy(task: ServiceTaskRecord): boolean;
}

/** The `healthy` of a view over these definitions. */
export function healthyIn(definitions: Map<string, TaskDefinitionRecord>): (task: ServiceTaskRecord) => boolean {
  return (t) => isHealthy(t, hasHealthChecks(definitions.get(t.taskDefinitionArn ?? '')));
}

export interface SchedulerSettings {
  /** An agent silent this long has its service tasks replaced elsewhere; 0 turns the policy off. */
  lostAfterSeconds: number;
  /** After 3 consecutive failed launches a service waits this long before trying again, doubling
   *  with every further failure up to throttleMaxMs (ECS's service throttle logic). */
  throttleBaseMs: number;
  throttleMaxMs: number;
}

export const DEFAULT_SETTINGS: SchedulerSettings = { lostAfterSeconds: 300, throttleBaseMs: 10_000, throttleMaxMs: 15 * 60_000 };

/** The instance a task runs on, if it is still registered in the view. */
export const instanceOf = (view: ClusterView, task: ServiceTaskRecord): InstanceView | undefined =>
  task.containerInstanceArn ? view.instances.get(instanceIdOf(task.containerInstanceArn)) : undefined;

/** True when the agent has been silent for longer than lostAfterSeconds (never when the policy is off). */
export function isLost(record: ContainerInstanceRecord, now: Date, lostAfterSeconds: number): boolean {
  if (lostAfterSeconds <= 0 || record.status === 'INACTIVE') return false;
  const last = Date.parse(String(record.lastHeartbeatAt ?? record.registeredAt ?? ''));
  return Number.isFinite(last) && now.getTime() - last > lostAfterSeconds * 1000;
}

/** How an instance's silence is judged (service-lost.ts). */
export interface LostPolicy {
  lostAfterSeconds: number;
  /** Added for self-fencing agents. */
  fenceMarginSeconds: number;
  /** The cluster opted in to superseding the tasks of agents that cannot fence themselves. */
  supersedeUnfenced: boolean;
}

export const selfFences = (record: ContainerInstanceRecord) => record.attributes?.some((a) => a.name === SELF_FENCE_CAPABILITY) === true;

export function instanceView(record: ContainerInstanceRecord, now: Date, graceSeconds: number, policy: LostPolicy): InstanceView {
  const arn = record.containerInstanceArn!;
  const fences = selfFences(record);
  return {
    id: instanceIdOf(arn), arn, status: record.status ?? 'ACTIVE',
    connected: isAgentConnected(record, now, graceSeconds),
    lost: fences ? isLost(record, now, policy.lostAfterSeconds + policy.fenceMarginSeconds)
      : policy.supersedeUnfenced && isLost(record, now, policy.lostAfterSeconds),
    selfFences: fences,
    zone: record.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value,
    record,
  };
}

/** Reads the view of `cluster` for the given services (their deployments' task definitions). */
/** The cluster tag by which an operator opts in to superseding the tasks of disconnected agents
 *  that cannot fence themselves (the Amazon ECS agent): `berth:supersede-disconnected=true`. */
export const SUPERSEDE_UNFENCED_TAG = 'berth:supersede-disconnected';

export const supersedesUnfenced = (tags: { key?: string; value?: string }[] | undefined) =>
  tags?.some((t) => t.key === SUPERSEDE_UNFENCED_TAG && t.value?.toLowerCase() === 'true') === true;

export async function readClusterView(ctx: RequestContext, cluster: { name: string; arn: string; tags?: { key?: string; value?: string }[] },
  services: ServiceRecord[], tasks: ServiceTaskRecord[], settings: SchedulerSettings): Promise<ClusterView> {
  const now = ctx.app.clock.now();
  const instances = new Map<string, InstanceView>();
  const config = ecsConfig(ctx.app);
  const policy: LostPolicy = { lostAfterSeconds: settings.lostAfterSeconds, fenceMarginSeconds: config.fenceMarginSeconds, supersedeUnfenced: supersedesUnfenced(cluster.tags) };
  // The placement view followed through watches where the store allows (launch/placement-cache.ts),
  // else one read of the cluster's instance records.
  const cached = await placementView(ctx, cluster.name);
  const records = cached ? cached.map((c) => c.withBeat(now)) : (await clusterInstances(ctx, cluster.name)).map((v) => v.value);
  for (const record of records) {
    const view = instanceView(record, now, config.agentGraceSeconds, policy);
    instances.set(view.id, view);
  }
  const definitions = new Map<string, TaskDefinitionRecord>();
  for (const arn of new Set(services.flatMap((s) => s.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => d.taskDefinition)))) {
    const ref = parseTaskDefinitionRef(arn);
    const def = ref && await findTaskDefinition(ctx, ref);
    if (def) definitions.set(arn, def);
  }
  return { cluster: cluster.name, clusterArn: cluster.arn, now, instances, tasks, definitions,
    healthy: healthyIn(definitions) };
}
