// DescribeClusters' registeredContainerInstancesCount and activeServicesCount as counters, kept in
// the same store transaction as the instance / service record whose status they count (issue 8):
// the cluster's counts cost two key reads, whatever the fleet's size.
//
// Under /ecs/<account>/<region>/cluster-counts/<cluster>/:
//   instances   container instances ACTIVE or DRAINING (registered)
//   services    services ACTIVE
// Every write that can change an instance's or service's status adds the difference (countOps);
// writes that keep the status (resources, tags, events) need none. index-rebuild.ts rebuilds both.
import { recordKey, type Scope } from '../../../common/records.js';
import type { Op, Store } from '../../../store/types.js';

export const clusterCounterPrefix = (scope: Scope, cluster: string) => recordKey('ecs', scope, 'cluster-counts', `${cluster}/`);

const REGISTERED = new Set(['ACTIVE', 'DRAINING']);
/** Whether a record counts: instances ACTIVE or DRAINING, services ACTIVE. */
export const counts = (kind: 'instances' | 'services', status: string | undefined) =>
  kind === 'instances' ? REGISTERED.has(status ?? '') : status === 'ACTIVE';

/** The counter change of a record going from `before` to `after` (undefined: absent). */
export function countOps(scope: Scope, cluster: string, kind: 'instances' | 'services',
  before: { status?: string } | undefined, after: { status?: string } | undefined): Op[] {
  const delta = (after && counts(kind, after.status) ? 1 : 0) - (before && counts(kind, before.status) ? 1 : 0);
  return delta === 0 ? [] : [{ type: 'add', key: clusterCounterPrefix(scope, cluster) + kind, delta }];
}

/** Compare-and-swap put of a record plus `ops` in one transaction; false when the record moved. */
export async function putWith(store: Store, key: string, value: unknown, revision: number, ops: Op[]): Promise<boolean> {
  return (await store.txn([{ key, modRevision: revision }], [{ type: 'put', key, value: JSON.stringify(value) }, ...ops])).succeeded;
}

/** The counter's value (0 when never written). */
export async function readCounter(store: Store, scope: Scope, cluster: string, kind: 'instances' | 'services'): Promise<number> {
  return Number((await store.get(clusterCounterPrefix(scope, cluster) + kind))?.value ?? 0) || 0;
}
