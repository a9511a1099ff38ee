// Container instance records: ARNs and references, lookup, compare-and-swap updates, and the live
// task counts of each instance. Everyone who changes an instance record (registration, draining,
// versionInfo) goes through modifyInstance, so `version` is bumped once per change. Remaining
// resources change apart, in the instance's resources key (instance-resources.ts), and heartbeats
// in liveness keys (liveness.ts): both are merged on read.
import { parseArn } from '../../../common/arn.js';
import type { RequestContext } from '../../context.js';
import { countOps } from './cluster-counters.js';
import { db, ecsArn, type ContainerInstanceRecord } from './common.js';
import type { InstanceTaskCounts } from './container-instance-view.js';
import { instancesWithHeartbeats, instanceWithHeartbeat } from './liveness.js';
import { instanceTaskCounts } from './task-counts.js';
import { getInstance, instanceCompares, putRecord, withResources, withResourcesAll, type InstanceVersioned } from './instance-resources.js';

const ID = /^[a-zA-Z0-9-]{1,64}$/;

/** Store id of an instance: `<cluster>/<id>`. */
export const instanceKey = (cluster: string, id: string) => `${cluster}/${id}`;

export const instanceArn = (ctx: RequestContext, cluster: string, id: string) => ecsArn(ctx, `container-instance/${cluster}/${id}`);

/** What a containerInstance / targetId reference names: an id, or an ARN (new format with the
 *  cluster, or the old one without). Undefined when it cannot be a container instance at all. */
export interface InstanceRef { id: string; cluster?: string; arn?: string; /** another account's or region's */ foreign?: boolean }

export function parseInstanceRef(ctx: RequestContext, ref: string): InstanceRef | undefined {
  if (!ref.startsWith('arn:')) return ID.test(ref) ? { id: ref } : undefined;
  const arn = parseArn(ref);
  const m = arn && arn.service === 'ecs' && /^container-instance\/(?:([a-zA-Z0-9_-]{1,255})\/)?([a-zA-Z0-9-]{1,64})$/.exec(arn.resource);
  if (!arn || !m) return undefined;
  return { id: m[2], cluster: m[1], arn: ref, foreign: arn.account !== ctx.account || arn.region !== ctx.region };
}

/** The ARN a reference stands for, for failures: as given when it is an ARN. */
export const refArn = (ctx: RequestContext, cluster: string, ref: string) =>
  ref.startsWith('arn:') ? ref : instanceArn(ctx, cluster, ref);

/** The instance a reference names in `cluster` (any status), with its store revisions. */
export async function findInstance(ctx: RequestContext, cluster: string, ref: string): Promise<InstanceVersioned | undefined> {
  const parsed = parseInstanceRef(ctx, ref);
  if (!parsed || parsed.foreign || (parsed.cluster !== undefined && parsed.cluster !== cluster)) return undefined;
  return instanceWithHeartbeat(ctx, cluster, await withResources(ctx, cluster, await db(ctx).containerInstances.getVersioned(ctx, instanceKey(cluster, parsed.id))));
}

/** All instances of a cluster (any status), in key order, with their agents' liveness. */
export async function clusterInstances(ctx: RequestContext, cluster: string): Promise<InstanceVersioned[]> {
  return instancesWithHeartbeats(ctx, cluster, await withResourcesAll(ctx, cluster, await db(ctx).containerInstances.listVersioned(ctx, `${cluster}/`)));
}

/** Read-modify-write of one instance with compare-and-swap, retried on conflict. `change` returns
 *  the new record, or the same object for "no change" (nothing written, version kept); it may
 *  throw to refuse. Resolves undefined when the instance does not exist. */
export async function modifyInstance(ctx: RequestContext, cluster: string, id: string,
  change: (current: ContainerInstanceRecord) => ContainerInstanceRecord | Promise<ContainerInstanceRecord>): Promise<ContainerInstanceRecord | undefined> {
  for (;;) {
    const current = await getInstance(ctx, cluster, id);
    if (!current) return undefined;
    const next = await change(current.value);
    if (next === current.value) return next;
    const bumped = { ...next, version: (current.value.version ?? 0) + 1 };
    const ops = [...putRecord(ctx, cluster, current, bumped), ...countOps(ctx, cluster, 'instances', current.value, bumped)];
    if ((await ctx.app.store.txn(instanceCompares(ctx, cluster, current), ops)).succeeded) return bumped;
  }
}

/** Live task counts per container instance id of a cluster, from the task records (task-counts.ts
 *  owns the status rules). Instances without tasks are absent: use countsOf. */
export async function taskCountsByInstance(ctx: RequestContext, cluster: string): Promise<Map<string, InstanceTaskCounts>> {
  const out = new Map<string, InstanceTaskCounts>();
  for (const [id, c] of await instanceTaskCounts(ctx, cluster)) out.set(id, { running: c.runningTasksCount, pending: c.pendingTasksCount });
  return out;
}

/** The id part of an instance record's ARN. */
export const instanceIdOfRecord = (record: ContainerInstanceRecord) =>
  record.containerInstanceArn!.slice(record.containerInstanceArn!.lastIndexOf('/') + 1);

/** An instance's entry in taskCountsByInstance's map (0/0 when it has no tasks). */
export const countsOf = (counts: Map<string, InstanceTaskCounts>, record: ContainerInstanceRecord): InstanceTaskCounts =>
  counts.get(instanceIdOfRecord(record)) ?? { running: 0, pending: 0 };
