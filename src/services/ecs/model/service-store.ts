// Reading and changing stored services: lookup by name or ARN, compare-and-swap updates, and a
// service's tasks. Registers the cluster's activeServicesCount (DescribeClusters, DeleteCluster)
// with counts.ts when loaded.
import { AwsError } from '../../../common/errors.js';
import type { Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { db, invalidParameter } from './common.js';
import { countOps, putWith, readCounter } from './cluster-counters.js';
import { registerCountSource } from './counts.js';
import { parseServiceRef, serviceKey, serviceRecords, type ServiceRecord } from './service-model.js';
import { tasksOf, type ServiceTaskRecord } from './service-tasks.js';
import { rangeAll, serviceTaskRecords, tasksByIds } from './task-index-read.js';
import { enc, idOfIndexKey, taskCountPrefix, taskIndexPrefix } from './task-index.js';
import type { DeploymentFacts } from './service-view.js';
import { failuresOf } from './service-tasks.js';
import { serviceGroup, type DeploymentRecord } from './service-model.js';

export const serviceNotFound = () => new AwsError('ServiceNotFoundException', 'Service not found.');
export const serviceNotActive = () => new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');

export const services = (ctx: RequestContext) => serviceRecords(ctx.app.store);

/** The service a reference names in `cluster` (name or ARN; an ARN of another cluster names nothing). */
export async function findService(ctx: RequestContext, cluster: string, ref: string | undefined): Promise<Versioned<ServiceRecord> | undefined> {
  if (!ref) throw invalidParameter('service is required and cannot be empty.');
  const parsed = parseServiceRef(ref);
  if (parsed.cluster !== undefined && parsed.cluster !== cluster) return undefined;
  return services(ctx).getVersioned(ctx, serviceKey(cluster, parsed.name));
}

/** Read-modify-write with compare-and-swap, retried on conflict. `change` returns the next record,
 *  or the same object for "no change"; it may throw to refuse. */
export async function modifyService(ctx: RequestContext, cluster: string, ref: string | undefined,
  change: (current: ServiceRecord) => ServiceRecord): Promise<ServiceRecord> {
  for (;;) {
    const current = await findService(ctx, cluster, ref);
    if (!current) throw serviceNotFound();
    const next = change(current.value);
    if (next === current.value) return next;
    if (await putWith(ctx.app.store, current.key, next, current.revision, countOps(ctx, cluster, 'services', current.value, next))) return next;
  }
}

/**
 * What DescribeServices shows of each deployment's tasks, from the task counters (task-index.ts:
 * b/<deployment id>/running|pending|live, three key reads per deployment) and, for failedTasks,
 * the records of the deployment's stopped tasks (its b/STOPPED/ index): the cost follows what
 * stopped, never how many tasks run.
 */
export async function serviceFacts(ctx: RequestContext, service: ServiceRecord): Promise<(d: DeploymentRecord) => DeploymentFacts> {
  const store = ctx.app.store;
  const counters = taskCountPrefix(ctx, service.cluster);
  const index = taskIndexPrefix(ctx, service.cluster);
  const group = serviceGroup(service.serviceName);
  const out = new Map<string, DeploymentFacts>();
  await Promise.all(service.deployments.map(async (d) => {
    const by = `${counters}b/${enc(d.id)}/`;
    const [running, pending, live] = await Promise.all(['running', 'pending', 'live'].map(async (k) => Number((await store.get(by + k))?.value ?? 0) || 0));
    let failed = 0;
    if (d.status !== 'INACTIVE') {
      const ids = (await rangeAll(store, `${index}b/STOPPED/${enc(d.id)}/`)).map((kv) => idOfIndexKey(kv.key));
      failed = failuresOf(d, (await tasksByIds(ctx, service.cluster, ids)).filter((t) => t.group === group)).length;
    }
    out.set(d.id, { running, pending, live, failed });
  }));
  return (d) => out.get(d.id) ?? { running: 0, pending: 0, live: 0, failed: 0 };
}

/** A service's tasks: the records its svc/ index names (task-index.ts), not the cluster's. */
export async function serviceTasks(ctx: RequestContext, service: ServiceRecord): Promise<ServiceTaskRecord[]> {
  return tasksOf(service, await serviceTaskRecords(ctx, service.cluster, service.serviceName));
}

registerCountSource(async (ctx, cluster) => ({ activeServicesCount: await readCounter(ctx.app.store, ctx, cluster, 'services') }));
