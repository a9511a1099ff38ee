// For the scheduler's decision tests: services, deployments, instances and tasks as plain records,
// a fixed clock and seeded ids, and a small "world" that carries out a TaskPlan the way agents
// would (stops become STOPPED, starts become RUNNING) so that a rollout can be followed step by
// step without a server.
import { seededIds } from '../common/ids.js';
import type { ContainerInstanceRecord } from '../services/ecs/model/common.js';
import {
  withDefaults, type DeploymentRecord, type SchedulingStrategy, type ServiceRecord,
} from '../services/ecs/model/service-model.js';
import type { ServiceTaskRecord } from '../services/ecs/model/service-tasks.js';
import type { TaskDefinitionRecord } from '../services/ecs/model/task-definition-lookup.js';
import { DEFAULT_SETTINGS, healthyIn, type ClusterView, type InstanceView, type SchedulerSettings } from '../services/ecs/controllers/cluster-view.js';
import type { TaskPlan } from '../services/ecs/controllers/service-plan.js';

export const T0 = new Date('2026-11-25T12:00:00.000Z');
export const ARN = 'arn:aws:ecs:us-east-1:000000000000';
export const SETTINGS: SchedulerSettings = { ...DEFAULT_SETTINGS, lostAfterSeconds: 300, throttleBaseMs: 10_000 };
export const td = (revision: number) => `${ARN}:task-definition/web:${revision}`;

export function deployment(id: string, revision: number, extra: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id, status: 'PRIMARY', taskDefinition: td(revision), launchType: 'EC2', createdAt: T0.toISOString(), updatedAt: T0.toISOString(),
    rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${id} in progress.`, serviceDeploymentId: `sd-${id}`,
    serviceRevisionId: `rev-${revision}`, deploymentStatus: 'IN_PROGRESS', sourceRevisionIds: [], startedAt: T0.toISOString(),
    deploymentConfiguration: {}, ...extra,
  };
}

export function service(opts: { desired?: number; min?: number; max?: number; strategy?: SchedulingStrategy;
  deployments?: DeploymentRecord[]; breaker?: { enable: boolean; rollback: boolean; resetOnHealthyTask?: boolean };
  extra?: Partial<ServiceRecord> } = {}): ServiceRecord {
  const strategy = opts.strategy ?? 'REPLICA';
  const deployments = opts.deployments ?? [deployment('ecs-svc/A', 1)];
  return {
    serviceArn: `${ARN}:service/c/web`, serviceName: 'web', clusterArn: `${ARN}:cluster/c`, cluster: 'c', status: 'ACTIVE',
    desiredCount: opts.desired ?? 2, schedulingStrategy: strategy, launchType: 'EC2', taskDefinition: deployments[0].taskDefinition,
    deploymentConfiguration: withDefaults({
      minimumHealthyPercent: opts.min, maximumPercent: opts.max,
      deploymentCircuitBreaker: opts.breaker,
    }, strategy),
    deploymentController: { type: 'ECS' }, placementConstraints: [], placementStrategy: [], loadBalancers: [], serviceRegistries: [],
    tags: [], enableECSManagedTags: false, propagateTags: 'NONE', enableExecuteCommand: false, createdAt: T0.toISOString(),
    createdBy: `${ARN.replace(':ecs:us-east-1:', ':iam::')}:root`, deployments, events: [], ...opts.extra,
  };
}

export function instance(id: string, zone: string, extra: Partial<InstanceView> = {}): InstanceView {
  const record: ContainerInstanceRecord = {
    containerInstanceArn: `${ARN}:container-instance/c/${id}`, status: extra.status ?? 'ACTIVE',
    attributes: [{ name: 'ecs.availability-zone', value: zone }], remainingResources: [], registeredResources: [],
  };
  return { id, arn: record.containerInstanceArn!, status: 'ACTIVE', connected: true, lost: false, selfFences: true, zone, record, ...extra };
}

let counter = 0;
/** A task of `deploymentId` on instance `on`; RUNNING unless said otherwise. */
export function task(deploymentId: string, on: InstanceView, extra: Partial<ServiceTaskRecord> = {}): ServiceTaskRecord {
  counter++;
  const id = counter.toString(16).padStart(32, '0');
  return {
    taskArn: `${ARN}:task/c/${id}`, group: 'service:web', startedBy: deploymentId, containerInstanceArn: on.arn,
    taskDefinitionArn: td(1),
    availabilityZone: on.zone, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN',
    containers: [{ name: 'app', lastStatus: 'RUNNING' }], createdAt: T0, startedAt: T0, ...extra,
  } as ServiceTaskRecord;
}

export function view(instances: InstanceView[], tasks: ServiceTaskRecord[], now = T0): ClusterView {
  const definitions = new Map<string, TaskDefinitionRecord>();
  for (const r of [1, 2, 3]) definitions.set(td(r), { taskDefinitionArn: td(r), family: 'web', revision: r, containerDefinitions: [{ name: 'app', image: 'busybox' }] });
  // Revision 4 has a container health check.
  definitions.set(td(4), { taskDefinitionArn: td(4), family: 'web', revision: 4,
    containerDefinitions: [{ name: 'app', image: 'busybox', healthCheck: { command: ['CMD-SHELL', 'true'] } }] });
  return { cluster: 'c', clusterArn: `${ARN}:cluster/c`, now, instances: new Map(instances.map((i) => [i.id, i])), tasks, definitions,
    healthy: healthyIn(definitions) };
}

export const ids = () => seededIds(42);
export const idOf = (t: ServiceTaskRecord) => t.taskArn!.slice(t.taskArn!.lastIndexOf('/') + 1);

/** Carries out a plan like the applier and the agents would, one "moment" later: stops are asked
 *  (desiredStatus STOPPED), starts become PROVISIONING tasks on the given instance (round robin). */
export class World {
  readonly log: string[] = [];
  now = T0;

  constructor(public tasks: ServiceTaskRecord[], readonly instances: InstanceView[]) {}

  view(): ClusterView { return view(this.instances, this.tasks, this.now); }

  apply(plan: TaskPlan, labels: Record<string, string> = {}) {
    if (plan.stops.length) {
      const stopped = this.tasks.filter((t) => plan.stops.some((s) => s.taskId === idOf(t)));
      for (const t of stopped) t.desiredStatus = 'STOPPED';
      this.log.push(`stop ${stopped.map((t) => labels[t.startedBy!] ?? t.startedBy).join(',')}`);
    }
    for (const start of plan.starts) {
      for (let i = 0; i < start.count; i++) {
        const on = start.instanceIds ? this.instances.find((x) => x.id === start.instanceIds![i])! : this.instances[i % this.instances.length];
        this.tasks.push(task(start.deploymentId, on, { lastStatus: 'PROVISIONING', startedAt: undefined, createdAt: this.now }));
      }
      this.log.push(`start ${Array(start.count).fill(labels[start.deploymentId] ?? start.deploymentId).join(',')}`);
    }
  }

  /** Agents catch up: asked stops become STOPPED, PROVISIONING tasks become RUNNING. */
  settle(seconds = 1) {
    this.now = new Date(this.now.getTime() + seconds * 1000);
    for (const t of this.tasks) {
      if (t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED') Object.assign(t, { lastStatus: 'STOPPED', stoppedAt: this.now });
      else if (t.lastStatus === 'PROVISIONING') Object.assign(t, { lastStatus: 'RUNNING', startedAt: this.now });
    }
  }
}
