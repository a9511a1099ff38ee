// An instance's remaining resources, apart from its record (STYLE point 18). Every placement and
// every task reaching STOPPED changes them, while the record carries kilobytes of attributes that
// would otherwise be re-serialised, re-stored and re-parsed by every watcher of the record each
// time (a spread RunTask wrote 3.8 KB of instance record per task).
//   /ecs/<account>/<region>/instance-resources/<cluster>/<id>   {"remainingResources":[…],"version":N}
// The key exists once a placement or a release has changed the instance since its record was last
// written; its remainingResources then stand for the record's, and the instance's version is the
// larger of the two (each change bumps it once, as ECS's version counter does). Whoever writes the
// record (modifyInstance, PutAttributes) folds the key back in: the record gets the current
// remaining resources and the key is deleted, in one transaction. Every writer of either compares
// both keys' revisions, so a placement, a release and a record change never both win.
import type { Resource } from '@aws-sdk/client-ecs';
import { recordKey, type Scope, type Versioned } from '../../../common/records.js';
import type { Compare, Op } from '../../../store/types.js';
import type { RequestContext } from '../../context.js';
import { db, type ContainerInstanceRecord } from './common.js';

export interface InstanceResources { remainingResources: Resource[]; version: number }

/** An instance record as its readers see it (remaining resources and version from the resources
 *  key when there is one), with the revision of each key: `resRevision` 0 when there is none. */
export interface InstanceVersioned extends Versioned<ContainerInstanceRecord> { resRevision: number }

export const resourcesPrefix = (scope: Scope, cluster: string) => recordKey('ecs', scope, 'instance-resources', `${cluster}/`);
export const resourcesKey = (scope: Scope, cluster: string, id: string) => resourcesPrefix(scope, cluster) + id;

const idOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** The record with the resources key's remaining resources and version (when newer). */
export function overlay(record: ContainerInstanceRecord, res: InstanceResources | undefined): ContainerInstanceRecord {
  if (!res) return record;
  return { ...record, remainingResources: res.remainingResources, version: Math.max(record.version ?? 0, res.version) };
}

/** The resources key's value for an instance record (what placement and release write). */
export const resourcesOf = (record: ContainerInstanceRecord): string =>
  JSON.stringify({ remainingResources: record.remainingResources ?? [], version: record.version ?? 0 } satisfies InstanceResources);

/** One instance's record with its resources key. */
export async function withResources(ctx: RequestContext, cluster: string, found: Versioned<ContainerInstanceRecord> | undefined): Promise<InstanceVersioned | undefined> {
  if (!found) return undefined;
  const kv = await ctx.app.store.get(resourcesKey(ctx, cluster, idOf(found.key)));
  return { ...found, value: overlay(found.value, kv && JSON.parse(kv.value) as InstanceResources), resRevision: kv?.modRevision ?? 0 };
}

/** A cluster's instance records with their resources keys: one range read of those. */
export async function withResourcesAll(ctx: RequestContext, cluster: string, found: Versioned<ContainerInstanceRecord>[]): Promise<InstanceVersioned[]> {
  if (found.length === 0) return [];
  const byId = new Map<string, { res: InstanceResources; revision: number }>();
  for (const kv of await ctx.app.store.list(resourcesPrefix(ctx, cluster))) {
    byId.set(idOf(kv.key), { res: JSON.parse(kv.value) as InstanceResources, revision: kv.modRevision });
  }
  return found.map((v) => {
    const r = byId.get(idOf(v.key));
    return { ...v, value: overlay(v.value, r?.res), resRevision: r?.revision ?? 0 };
  });
}

/** An instance as its readers see it, by `<cluster>/<id>` (no liveness merged). */
export async function getInstance(ctx: RequestContext, cluster: string, id: string): Promise<InstanceVersioned | undefined> {
  return withResources(ctx, cluster, await db(ctx).containerInstances.getVersioned(ctx, `${cluster}/${id}`));
}

/** Both keys as read: what a writer of either compares. */
export const instanceCompares = (ctx: Scope, cluster: string, found: Pick<InstanceVersioned, 'key' | 'revision' | 'resRevision'>): Compare[] => [
  { key: found.key, modRevision: found.revision },
  { key: resourcesKey(ctx, cluster, idOf(found.key)), modRevision: found.resRevision },
];

/** A new resources value for the instance (placement, release): the record is not written. */
export const putResources = (ctx: Scope, cluster: string, found: Pick<InstanceVersioned, 'key'>, next: ContainerInstanceRecord): Op =>
  ({ type: 'put', key: resourcesKey(ctx, cluster, idOf(found.key)), value: resourcesOf(next) });

/** Writing the whole record (it holds the current remaining resources): the resources key goes. */
export function putRecord(ctx: Scope, cluster: string, found: InstanceVersioned, next: ContainerInstanceRecord): Op[] {
  const ops: Op[] = [{ type: 'put', key: found.key, value: JSON.stringify(next) }];
  if (found.resRevision > 0) ops.push({ type: 'delete', key: resourcesKey(ctx, cluster, idOf(found.key)) });
  return ops;
}
