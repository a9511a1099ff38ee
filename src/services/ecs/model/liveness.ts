// Agent liveness lives in its own keys (STYLE point 16): `/ecs/<account>/<region>/liveness/<cluster>/<id>`.
// The instance record's revision is the placement compare-and-swap guard and a scheduler trigger,
// so a heartbeat must not move it: only real changes to an instance's resources or status do.
// Readers see the later of the record's lastHeartbeatAt (set at registration) and the liveness key.
import type { Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { db, type ContainerInstanceRecord } from './common.js';

/** Records that the agent of `<cluster>/<id>` was heard from at `at` (last writer wins). */
export async function recordHeartbeat(ctx: RequestContext, cluster: string, id: string, at: Date): Promise<void> {
  await db(ctx).liveness.put(ctx, `${cluster}/${id}`, { lastHeartbeatAt: at.toISOString() });
}

/** The record with lastHeartbeatAt the later of its own and the liveness key's. */
export function withHeartbeat(record: ContainerInstanceRecord, heartbeat: string | undefined): ContainerInstanceRecord {
  if (!heartbeat || (record.lastHeartbeatAt && record.lastHeartbeatAt >= heartbeat)) return record;
  return { ...record, lastHeartbeatAt: heartbeat };
}

/** One instance with its liveness. */
export async function instanceWithHeartbeat(ctx: RequestContext, cluster: string, found: Versioned<ContainerInstanceRecord> | undefined) {
  if (!found) return undefined;
  const id = found.key.slice(found.key.lastIndexOf('/') + 1);
  const live = await db(ctx).liveness.get(ctx, `${cluster}/${id}`);
  return { ...found, value: withHeartbeat(found.value, live?.lastHeartbeatAt) };
}

/** A cluster's instances with their liveness: one range read of the cluster's liveness keys. */
export async function instancesWithHeartbeats(ctx: RequestContext, cluster: string, found: Versioned<ContainerInstanceRecord>[]) {
  if (found.length === 0) return found;
  const beats = new Map<string, string>();
  for (const v of await db(ctx).liveness.listVersioned(ctx, `${cluster}/`)) beats.set(v.key.slice(v.key.lastIndexOf('/') + 1), v.value.lastHeartbeatAt);
  return found.map((v) => ({ ...v, value: withHeartbeat(v.value, beats.get(v.key.slice(v.key.lastIndexOf('/') + 1))) }));
}
