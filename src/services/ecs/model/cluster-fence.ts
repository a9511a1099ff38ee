// DeleteCluster against the writes that add to a cluster, the etcd way: compares in transactions.
//  - A write that adds a container instance, a service or a task to a cluster carries, in its
//    store transaction, a compare on the revision at which it read the cluster ACTIVE
//    (`clusterCompare`). If DeleteCluster committed in between, the write fails; its retry reads
//    the cluster INACTIVE → ClusterNotFoundException.
//  - Registering an instance and creating a service also re-put the cluster record unchanged
//    (`clusterTouch`), bumping its revision: a DeleteCluster that counted before them fails its
//    compare-and-swap on the cluster record, counts again and refuses.
//  - A task does not touch the cluster record (concurrent RunTask calls must not contend on one
//    key). Its commit always rewrites its instance's record, so DeleteCluster also compares every
//    instance record of the cluster as it read them before counting (`instanceCompares`).
import type { Cluster } from '@aws-sdk/client-ecs';
import type { Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import type { Compare, Op } from '../../../store/types.js';
import { db } from './common.js';

/** "The cluster record is still as it was read." */
export const clusterCompare = (cluster: Versioned<Cluster>): Compare => ({ key: cluster.key, modRevision: cluster.revision });

/** Puts the cluster record back unchanged: only its revision moves (DeleteCluster notices). */
export const clusterTouch = (cluster: Versioned<Cluster>): Op => ({ type: 'put', key: cluster.key, value: JSON.stringify(cluster.value) });

/** Compares on every instance record of the cluster (any status), as they are now. */
export async function instanceCompares(ctx: RequestContext, cluster: string): Promise<Compare[]> {
  return (await db(ctx).containerInstances.listVersioned(ctx, `${cluster}/`)).map((v) => ({ key: v.key, modRevision: v.revision }));
}
