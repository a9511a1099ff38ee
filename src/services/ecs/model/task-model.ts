// Tasks as records: ARNs and ids, the status ladder, building a new task from its definition and
// overrides, and rendering a record the way DescribeTasks shows it.
import type {
  Container, ContainerDefinition, ContainerOverride, Tag, Task, TaskDefinition, TaskOverride,
} from '@aws-sdk/client-ecs';
import { parseArn } from '../../../common/arn.js';
import type { RequestContext } from '../../context.js';
import { ecsArn, invalidParameter, type ContainerInstanceRecord, type TaskRecord } from './common.js';

/** ECS's task lifecycle, in order. A task only ever moves forward along it. */
export const TASK_STATUSES = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const;
export type TaskStatus = typeof TASK_STATUSES[number];
export const statusRank = (status: string | undefined) => TASK_STATUSES.indexOf((status ?? '') as TaskStatus);
export const isTaskStatus = (status: string | undefined): status is TaskStatus => statusRank(status) >= 0;

/** Counted as pending (not started yet) / running (containers exist) by the cluster and instance counters. */
export const PENDING_STATUSES: readonly string[] = ['PROVISIONING', 'PENDING', 'ACTIVATING'];
export const RUNNING_STATUSES: readonly string[] = ['RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING'];

export const DEFAULT_STOP_REASON = 'Task stopped by user';
export const ESSENTIAL_EXITED = 'Essential container in task exited';
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

export const taskArn = (ctx: RequestContext, cluster: string, id: string) => ecsArn(ctx, `task/${cluster}/${id}`);
export const taskId = (task: Task) => task.taskArn!.slice(task.taskArn!.lastIndexOf('/') + 1);

/** A task given by id or ARN → its id, and the cluster its ARN names (new-style ARNs only). */
export function parseTaskRef(ref: string): { id: string; cluster?: string } {
  if (!ref.startsWith('arn:')) return { id: ref };
  const parsed = parseArn(ref);
  const m = parsed && /^task\/(?:([^/]+)\/)?([^/]+)$/.exec(parsed.resource);
  if (!m) throw invalidParameter(`Invalid task ARN: ${ref}`);
  return { id: m[2], cluster: m[1] };
}

/** A container instance given by id or ARN → its id. */
export function instanceIdOf(ref: string): string {
  if (!ref.startsWith('arn:')) return ref;
  const known = instanceIds.get(ref);
  if (known !== undefined) return known;
  const parsed = parseArn(ref);
  const m = parsed && /^container-instance\/(?:[^/]+\/)?([^/]+)$/.exec(parsed.resource);
  if (!m) throw invalidParameter(`Invalid container instance ARN: ${ref}`);
  // The scheduler asks this of every task on every pass: valid ARNs are remembered (bounded).
  if (instanceIds.size >= 100_000) instanceIds.clear();
  instanceIds.set(ref, m[1]);
  return m[1];
}
const instanceIds = new Map<string, string>();

/** "1 vCPU" / "0.5 vcpu" / "1024" → CPU units; undefined stays undefined. */
export function cpuUnits(value: string | number | undefined): number | undefined {
  return parseQuantity(value, 'cpu', { vcpu: 1024 });
}

/** "1 GB" / "512 MiB" / "512" → MiB. */
export function memoryMiB(value: string | number | undefined): number | undefined {
  return parseQuantity(value, 'memory', { gb: 1024, gib: 1024, mb: 1, mib: 1 });
}

function parseQuantity(value: string | number | undefined, what: string, units: Record<string, number>): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const factor = m && (m[2] === '' ? 1 : units[m[2].toLowerCase()]);
  if (!m || factor === undefined || factor === null) throw invalidParameter(`Invalid ${what} value: '${value}'`);
  return Math.round(Number(m[1]) * factor);
}

/** The override a task's container receives, if any. */
export const overrideFor = (overrides: TaskOverride | undefined, name: string | undefined): ContainerOverride | undefined =>
  overrides?.containerOverrides?.find((o) => o.name === name);

/** Overrides must name containers of the definition and keep values sane (ECS's wording). */
export function checkOverrides(def: TaskDefinition, overrides: TaskOverride | undefined) {
  const names = new Set((def.containerDefinitions ?? []).map((c) => c.name));
  for (const o of overrides?.containerOverrides ?? []) {
    if (!o.name || !names.has(o.name)) throw invalidParameter(`Override for container named ${o.name ?? '(none)'} is not a container in the TaskDefinition.`);
    for (const key of ['cpu', 'memory', 'memoryReservation'] as const) {
      const v = o[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw invalidParameter(`Invalid ${key} override for container ${o.name}: ${v}`);
    }
    if (o.memory !== undefined && o.memoryReservation !== undefined && o.memoryReservation > o.memory) {
      throw invalidParameter(`Invalid memoryReservation override for container ${o.name}: it must be less than memory (${o.memory}).`);
    }
  }
  cpuUnits(overrides?.cpu);
  memoryMiB(overrides?.memory);
  const length = JSON.stringify(overrides ?? {}).length;
  if (length > 8192) throw invalidParameter(`Container overrides must be at most 8192 characters; got ${length}.`);
}

/** A container's effective cpu/memory/memoryReservation after overrides. */
export function containerLimits(def: ContainerDefinition, o: ContainerOverride | undefined) {
  return { cpu: o?.cpu ?? def.cpu ?? 0, memory: o?.memory ?? def.memory, memoryReservation: o?.memoryReservation ?? def.memoryReservation };
}

export interface NewTask {
  cluster: string;
  clusterArn: string;
  definition: TaskDefinition;
  overrides: TaskOverride;
  instance: ContainerInstanceRecord;
  cpu: number;
  memory: number;
  launchType: string;
  startedBy?: string;
  group: string;
  tags: Tag[];
  enableExecuteCommand?: boolean;
  capacityProviderName?: string;
}

/** A fresh task record, desired RUNNING: PROVISIONING when ECS has steps before the containers
 *  (an awsvpc network interface, capacity-provider capacity), else PENDING as for EC2 bridge/host tasks. */
export function newTaskRecord(ctx: RequestContext, spec: NewTask): TaskRecord {
  const id = ctx.app.ids.hex(32);
  const arn = taskArn(ctx, spec.cluster, id);
  const attribute = (name: string) => spec.instance.attributes?.find((a) => a.name === name)?.value;
  const containers: Container[] = (spec.definition.containerDefinitions ?? []).map((def) => {
    const limits = containerLimits(def, overrideFor(spec.overrides, def.name));
    return {
      containerArn: ecsArn(ctx, `container/${spec.cluster}/${id}/${ctx.app.ids.uuid()}`),
      taskArn: arn,
      name: def.name,
      image: def.image,
      lastStatus: 'PENDING',
      networkBindings: [],
      networkInterfaces: [],
      healthStatus: 'UNKNOWN',
      cpu: String(limits.cpu),
      memory: limits.memory === undefined ? undefined : String(limits.memory),
      memoryReservation: limits.memoryReservation === undefined ? undefined : String(limits.memoryReservation),
    };
  });
  const architecture = attribute('ecs.cpu-architecture');
  return {
    taskArn: arn,
    clusterArn: spec.clusterArn,
    taskDefinitionArn: spec.definition.taskDefinitionArn,
    containerInstanceArn: spec.instance.containerInstanceArn,
    capacityProviderName: spec.capacityProviderName,
    availabilityZone: attribute('ecs.availability-zone'),
    attributes: architecture ? [{ name: 'ecs.cpu-architecture', value: architecture }] : [],
    lastStatus: spec.definition.networkMode === 'awsvpc' || spec.capacityProviderName ? 'PROVISIONING' : 'PENDING',
    desiredStatus: 'RUNNING',
    cpu: String(spec.cpu),
    memory: String(spec.memory),
    containers,
    overrides: { containerOverrides: [], inferenceAcceleratorOverrides: [], ...spec.overrides },
    startedBy: spec.startedBy,
    group: spec.group,
    launchType: spec.launchType as Task['launchType'],
    createdAt: new Date(ctx.app.clock.now()),
    healthStatus: 'UNKNOWN',
    enableExecuteCommand: spec.enableExecuteCommand ?? false,
    tags: spec.tags,
    version: 1,
    generation: 1,
  };
}

/** A stored task as DescribeTasks shows it: internal bookkeeping dropped, tags only on request. */
export function renderTask(task: TaskRecord, includeTags = false): Task {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { generation, reservation, clientToken, placement, tags, ...rest } = task;
  return { ...rest, tags: includeTags ? tags ?? [] : undefined };
}
