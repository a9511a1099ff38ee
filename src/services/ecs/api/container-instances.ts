// ECS container instances (API side): RegisterContainerInstance (also the agent's re-registration),
// DeregisterContainerInstance (→ INACTIVE, still describable), DescribeContainerInstances,
// ListContainerInstances, UpdateContainerInstancesState (ACTIVE ⇄ DRAINING).
// Records live at container-instances/<cluster>/<id>; agentConnected is derived when rendered.
import { ecsConfig } from '../config.js';
import type {
  ContainerInstance, DeregisterContainerInstanceRequest, DeregisterContainerInstanceResponse,
  DescribeContainerInstancesRequest, DescribeContainerInstancesResponse, Failure, ListContainerInstancesRequest,
  ListContainerInstancesResponse, RegisterContainerInstanceRequest, RegisterContainerInstanceResponse, Tag,
  UpdateContainerInstancesStateRequest, UpdateContainerInstancesStateResponse,
} from '@aws-sdk/client-ecs';
import { scanPage } from '../../../common/pagination.js';
import type { KeyValue } from '../../../store/types.js';
import { liveTasksOn, oneInstanceTaskCounters } from '../model/task-index-read.js';
import { instanceWithHeartbeat } from '../model/liveness.js';
import type { RequestContext } from '../../context.js';
import { compileQuery, instanceFromRecord, queryTarget } from '../../../placement/index.js';
import { clusterCompare, clusterTouch } from '../model/cluster-fence.js';
import { countOps } from '../model/cluster-counters.js';
import {
  activeCluster, activeClusterVersioned, checkTags, clientException, db, invalidParameter, type ContainerInstanceRecord, type TaskRecord,
} from '../model/common.js';
import {
  builtInAttributes, checkAttribute, checkCustomLimit, mergeAttributes, parseIdentity, statedAttributes, type Identity,
} from '../model/container-instance-attributes.js';
import '../model/container-instance-counts.js';
import { rebaseRemaining, registeredResources } from '../model/container-instance-resources.js';
import {
  clusterInstances, countsOf, findInstance, instanceArn, instanceIdOfRecord, instanceKey, modifyInstance, parseInstanceRef, refArn,
  taskCountsByInstance,
} from '../model/container-instance-store.js';
import { isAgentConnected, renderContainerInstance } from '../model/container-instance-view.js';
import { activeTaskCount } from '../model/task-counts.js';

const MAX_DESCRIBE = 100;
const MAX_UPDATE_STATE = 10;

export async function registerContainerInstance(input: RegisterContainerInstanceRequest, ctx: RequestContext): Promise<RegisterContainerInstanceResponse> {
  let found = await activeClusterVersioned(ctx, input.cluster);
  const cluster = found.value.clusterName!;
  const identity = parseIdentity(input.instanceIdentityDocument);
  checkTags(input.tags);
  for (const a of input.attributes ?? []) checkAttribute(a);
  const registered = input.totalResources ? registeredResources(input.totalResources) : undefined;
  if (input.containerInstanceArn) return { containerInstance: await reregister(ctx, cluster, input, identity, registered) };

  const now = ctx.app.clock.now();
  const attributes = mergeAttributes(builtInAttributes(identity, ctx.region), input.attributes ?? []);
  const total = registered ?? registeredResources(undefined);
  for (;;) {
    const id = ctx.app.ids.hex(32);
    const arn = instanceArn(ctx, cluster, id);
    checkCustomLimit(attributes, arn);
    const record: ContainerInstanceRecord = {
      containerInstanceArn: arn,
      ec2InstanceId: identity.instanceId ?? `i-${ctx.app.ids.hex(17)}`,
      version: 1,
      versionInfo: input.versionInfo ?? {},
      registeredResources: total,
      remainingResources: rebaseRemaining(total),
      status: 'ACTIVE',
      runningTasksCount: 0,
      pendingTasksCount: 0,
      attributes,
      registeredAt: now, // stored as ISO text; the serializer turns it back into a timestamp
      attachments: [],
      tags: input.tags ?? [],
      lastHeartbeatAt: now.toISOString(),
      platformDevices: input.platformDevices,
    };
    // With the cluster still as read (ACTIVE), which this touches: see cluster-fence.ts.
    const key = db(ctx).containerInstances.key(ctx, instanceKey(cluster, id));
    const { succeeded } = await ctx.app.store.txn([clusterCompare(found), { key, modRevision: 0 }],
      [clusterTouch(found), { type: 'put', key, value: JSON.stringify(record) }, ...countOps(ctx, cluster, 'instances', undefined, record)]);
    if (succeeded) {
      return { containerInstance: renderContainerInstance(record, now, ecsConfig(ctx.app).agentGraceSeconds, { counts: { running: 0, pending: 0 } }) };
    }
    found = await activeClusterVersioned(ctx, input.cluster);
  }
}

/** A restarted agent registers again with its saved ARN: same ARN and id, fresh resources and
 *  attributes (attributes set with PutAttributes survive), status and held resources kept. */
async function reregister(ctx: RequestContext, cluster: string, input: RegisterContainerInstanceRequest, identity: Identity,
  registered: ReturnType<typeof registeredResources> | undefined): Promise<ContainerInstance> {
  const ref = input.containerInstanceArn!;
  const parsed = parseInstanceRef(ctx, ref);
  if (!parsed) throw invalidParameter(`Invalid containerInstanceArn: '${ref}'.`);
  if (parsed.foreign || (parsed.cluster !== undefined && parsed.cluster !== cluster)) {
    throw clientException(`Container instance ${ref} is not registered in cluster ${cluster}.`);
  }
  const now = ctx.app.clock.now();
  const updated = await modifyInstance(ctx, cluster, parsed.id, (current) => {
    if (current.status === 'INACTIVE') {
      throw clientException(`Container instance ${current.containerInstanceArn} is deregistered (INACTIVE) and cannot register again; register without containerInstanceArn.`);
    }
    const typeNow = identity.instanceType;
    const typeBefore = current.attributes?.find((a) => a.name === 'ecs.instance-type')?.value;
    if (typeNow && typeBefore && typeNow !== typeBefore) throw clientException('Container instance type changes are not supported.');
    const attributes = mergeAttributes(mergeAttributes(current.attributes ?? [], statedAttributes(identity)), input.attributes ?? []);
    checkCustomLimit(attributes, current.containerInstanceArn!);
    const tags = mergeTags(current.tags ?? [], input.tags ?? []);
    checkTags(tags);
    const total = registered ?? current.registeredResources ?? registeredResources(undefined);
    return {
      ...current,
      ec2InstanceId: current.ec2InstanceId ?? identity.instanceId,
      versionInfo: input.versionInfo ?? current.versionInfo,
      registeredResources: total,
      remainingResources: rebaseRemaining(total, { registered: current.registeredResources, remaining: current.remainingResources }),
      attributes,
      tags,
      platformDevices: input.platformDevices ?? current.platformDevices,
      lastHeartbeatAt: now.toISOString(),
    };
  });
  if (!updated) throw clientException(`Container instance ${ref} was not found in cluster ${cluster}.`);
  const counts = countsOf(await taskCountsByInstance(ctx, cluster), updated);
  return renderContainerInstance(updated, now, ecsConfig(ctx.app).agentGraceSeconds, { counts });
}

export async function deregisterContainerInstance(input: DeregisterContainerInstanceRequest, ctx: RequestContext): Promise<DeregisterContainerInstanceResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  const ref = input.containerInstance ?? '';
  const found = await findInstance(ctx, cluster, ref);
  if (!found) throw invalidParameter(`Container instance not found: '${ref}' in cluster ${cluster}.`);
  const updated = await modifyInstance(ctx, cluster, instanceIdOfRecord(found.value), async (current) => {
    if (current.status === 'INACTIVE') return current;
    // Counted inside the compare-and-swap loop: a task placed meanwhile changes the record (its
    // resources), so the swap fails and we count again.
    if (!input.force && await activeTaskCount(ctx, cluster, current.containerInstanceArn) > 0) {
      throw invalidParameter('Found running tasks on the instance.');
    }
    return { ...current, status: 'INACTIVE' };
  });
  const counts = countsOf(await taskCountsByInstance(ctx, cluster), updated!);
  return { containerInstance: renderContainerInstance(updated!, ctx.app.clock.now(), ecsConfig(ctx.app).agentGraceSeconds, { counts }) };
}

export async function describeContainerInstances(input: DescribeContainerInstancesRequest, ctx: RequestContext): Promise<DescribeContainerInstancesResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  const refs = namedInstances(input.containerInstances, MAX_DESCRIBE);
  const counts = await taskCountsByInstance(ctx, cluster);
  const now = ctx.app.clock.now();
  const containerInstances: ContainerInstance[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const found = await findInstance(ctx, cluster, ref);
    if (!found) { failures.push({ arn: refArn(ctx, cluster, ref), reason: 'MISSING' }); continue; }
    containerInstances.push(renderContainerInstance(found.value, now, ecsConfig(ctx.app).agentGraceSeconds,
      { include: input.include ?? [], counts: countsOf(counts, found.value) }));
  }
  return { containerInstances, failures };
}

export async function listContainerInstances(input: ListContainerInstancesRequest, ctx: RequestContext): Promise<ListContainerInstancesResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  // The cluster query language (src/placement/query): compiled first, so a bad filter changes nothing.
  const query = input.filter !== undefined && input.filter.trim() !== '' ? compileQuery(input.filter) : undefined;
  // A page of instance keys at a time from the token, filtered as read (the query's facts for an
  // instance: its counters, its liveness, its live tasks through the task index).
  const now = ctx.app.clock.now();
  const graceSeconds = ecsConfig(ctx.app).agentGraceSeconds;
  const keep = async (record: ContainerInstanceRecord, kv: KeyValue) => {
    if (input.status ? record.status !== input.status : record.status === 'INACTIVE') return false;
    if (!query) return true;
    const id = instanceIdOfRecord(record);
    const [withBeat, counts, tasks] = await Promise.all([
      instanceWithHeartbeat(ctx, cluster, { key: kv.key, revision: kv.modRevision, value: record }),
      oneInstanceTaskCounters(ctx, cluster, id), liveTasksOn(ctx, cluster, id)]);
    const live = withBeat!.value;
    return query.test(queryTarget(instanceFromRecord({ ...live, runningTasksCount: counts.runningTasksCount },
      { agentConnected: isAgentConnected(live, now, graceSeconds), tasks })));
  };
  const { page, nextToken } = await scanPage(ctx.app.store, db(ctx).containerInstances.prefix(ctx, `${cluster}/`),
    (kv) => JSON.parse(kv.value) as ContainerInstanceRecord, keep, input.maxResults, input.nextToken);
  return { containerInstanceArns: page.map((p) => p.item.containerInstanceArn!), nextToken };
}

export async function updateContainerInstancesState(input: UpdateContainerInstancesStateRequest, ctx: RequestContext): Promise<UpdateContainerInstancesStateResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  const status = input.status;
  if (status !== 'ACTIVE' && status !== 'DRAINING') {
    throw invalidParameter(`Container instance status can only be updated to ACTIVE or DRAINING, not '${status}'.`);
  }
  const refs = namedInstances(input.containerInstances, MAX_UPDATE_STATE);
  const counts = await taskCountsByInstance(ctx, cluster);
  const now = ctx.app.clock.now();
  const containerInstances: ContainerInstance[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const found = await findInstance(ctx, cluster, ref);
    if (!found) { failures.push({ arn: refArn(ctx, cluster, ref), reason: 'MISSING' }); continue; }
    let inactive = false;
    const updated = await modifyInstance(ctx, cluster, instanceIdOfRecord(found.value), (current) => {
      inactive = current.status === 'INACTIVE';
      return inactive || current.status === status ? current : { ...current, status };
    });
    if (!updated) { failures.push({ arn: refArn(ctx, cluster, ref), reason: 'MISSING' }); continue; }
    if (inactive) {
      failures.push({ arn: updated.containerInstanceArn, reason: 'INACTIVE', detail: 'The container instance is deregistered.' });
      continue;
    }
    containerInstances.push(renderContainerInstance(updated, now, ecsConfig(ctx.app).agentGraceSeconds,
      { counts: countsOf(counts, updated) }));
  }
  return { containerInstances, failures };
}

/** The containerInstances a call names: 1 to max of them. */
function namedInstances(refs: string[] | undefined, max: number): string[] {
  if (!refs?.length) throw invalidParameter('Container instance cannot be empty.');
  if (refs.length > max) throw invalidParameter(`containerInstances can have at most ${max} items, got ${refs.length}.`);
  return refs;
}

function mergeTags(current: Tag[], changes: Tag[]): Tag[] {
  const out = new Map(current.map((t) => [t.key!, t]));
  for (const t of changes) out.set(t.key!, t);
  return [...out.values()];
}
