// Agent liveness on store leases (issue 8), apart from the instance record (STYLE point 16): the
// instance record's revision is the placement compare-and-swap guard and a scheduler trigger, so
// a heartbeat never moves it.
//  - An ACS session grants a lease with TTL = the agent grace period and puts
//    `/ecs/<account>/<region>/agent-leases/<cluster>/<id>` attached to it. The agent's frames keep
//    the lease alive (keepAlive: no write, no revision). While the key exists the agent is
//    connected. When the agent dies, nothing keeps the lease alive: it expires one grace period
//    after the agent was last heard, the store deletes the key (a watch event) and the instance
//    shows agentConnected false.
//  - `/ecs/<account>/<region>/liveness/<cluster>/<id>` holds when the agent was last heard
//    (written when its session ends; the lost-agent policy reads it), never attached to a lease.
// Readers see the latest of the record's lastHeartbeatAt (set at registration), the liveness key,
// and "now" while the lease key exists.
import type { Versioned } from '../../../common/records.js';
import { recordKey } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { db, type ContainerInstanceRecord } from './common.js';

export const leaseKeyPrefix = (ctx: RequestContext, cluster: string) => recordKey('ecs', ctx, 'agent-leases', `${cluster}/`);

/** Opens an agent's liveness: a lease of ttlSeconds and the key attached to it. Resolves the lease id. */
export async function openLiveness(ctx: RequestContext, cluster: string, id: string, ttlSeconds: number): Promise<string> {
  const lease = await ctx.app.store.grantLease(Math.max(1, Math.ceil(ttlSeconds)));
  const value = JSON.stringify({ connectedAt: ctx.app.clock.now().toISOString() });
  await ctx.app.store.txn([], [{ type: 'put', key: leaseKeyPrefix(ctx, cluster) + id, value, lease: lease.id }]);
  return lease.id;
}

/** Keeps the lease alive and makes sure the liveness key is attached to it (a replaced session's
 *  put may have landed last, on a lease nobody keeps alive). False when the lease is gone. */
export async function keepLiveness(ctx: RequestContext, cluster: string, id: string, lease: string): Promise<boolean> {
  if (await ctx.app.store.keepAlive(lease) === undefined) return false;
  const key = leaseKeyPrefix(ctx, cluster) + id;
  const kv = await ctx.app.store.get(key);
  if (kv?.lease !== lease) {
    const value = JSON.stringify({ connectedAt: ctx.app.clock.now().toISOString() });
    await ctx.app.store.txn([], [{ type: 'put', key, value, lease }]);
  }
  return true;
}

/** Records that the agent of `<cluster>/<id>` was last heard at `at` (when its session ends). */
export async function recordHeartbeat(ctx: RequestContext, cluster: string, id: string, at: Date): Promise<void> {
  await db(ctx).liveness.put(ctx, `${cluster}/${id}`, { lastHeartbeatAt: at.toISOString() });
}

/** The record with lastHeartbeatAt the later of its own and `heartbeat`. */
export function withHeartbeat(record: ContainerInstanceRecord, heartbeat: string | undefined): ContainerInstanceRecord {
  if (!heartbeat || (record.lastHeartbeatAt && record.lastHeartbeatAt >= heartbeat)) return record;
  return { ...record, lastHeartbeatAt: heartbeat };
}

/** One instance with its liveness. */
export async function instanceWithHeartbeat<V extends Versioned<ContainerInstanceRecord>>(ctx: RequestContext, cluster: string, found: V | undefined): Promise<V | undefined> {
  if (!found) return undefined;
  const id = found.key.slice(found.key.lastIndexOf('/') + 1);
  const [live, leased] = await Promise.all([db(ctx).liveness.get(ctx, `${cluster}/${id}`), ctx.app.store.get(leaseKeyPrefix(ctx, cluster) + id)]);
  const beat = leased ? ctx.app.clock.now().toISOString() : live?.lastHeartbeatAt;
  return { ...found, value: withHeartbeat(found.value, beat) };
}

/** A cluster's instances with their liveness: one range read of the liveness keys, one of the lease keys. */
export async function instancesWithHeartbeats<V extends Versioned<ContainerInstanceRecord>>(ctx: RequestContext, cluster: string, found: V[]): Promise<V[]> {
  if (found.length === 0) return found;
  const idOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);
  const beats = new Map<string, string>();
  const [stamps, leased] = await Promise.all([db(ctx).liveness.listVersioned(ctx, `${cluster}/`), ctx.app.store.list(leaseKeyPrefix(ctx, cluster))]);
  for (const v of stamps) beats.set(idOf(v.key), v.value.lastHeartbeatAt);
  const now = ctx.app.clock.now().toISOString();
  for (const kv of leased) beats.set(idOf(kv.key), now);
  return found.map((v) => ({ ...v, value: withHeartbeat(v.value, beats.get(idOf(v.key))) }));
}
