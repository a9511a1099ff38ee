// Reads over the task indexes and counters of task-index.ts: each costs what its answer holds
// (keys of one filter, one page, a few counters), never a scan of the cluster's task records.
import type { Task } from '@aws-sdk/client-ecs';
import type { KeyValue, Store } from '../../../store/types.js';
import type { RequestContext } from '../../context.js';
import { db, type TaskRecord } from './common.js';
import { enc, idOfIndexKey, taskCountPrefix, taskIndexPrefix, type LiveEntry } from './task-index.js';

const PAGE = 1000;

/** Every key under prefix, read a page at a time. */
export async function rangeAll(store: Store, prefix: string): Promise<KeyValue[]> {
  const out: KeyValue[] = [];
  for (let after: string | undefined; ;) {
    const { kvs, more } = await store.range(prefix, { limit: PAGE, startAfter: after });
    out.push(...kvs);
    if (!more || kvs.length === 0) return out;
    after = kvs[kvs.length - 1].key;
  }
}

/** The task records of some ids (ones deleted meanwhile are left out). */
export async function tasksByIds(ctx: RequestContext, cluster: string, ids: string[]): Promise<TaskRecord[]> {
  const found = await Promise.all(ids.map((id) => db(ctx).tasks.get(ctx, `${cluster}/${id}`)));
  return found.filter((t): t is TaskRecord => t !== undefined);
}

export interface InstanceTasks { tasks: Pick<Task, 'group' | 'taskArn'>[]; running: number }

/** Per instance id: the tasks placement counts there (not STOPPED, not superseded) and how many run. */
export async function liveTasksByInstance(ctx: RequestContext, cluster: string): Promise<Map<string, InstanceTasks>> {
  const prefix = `${taskIndexPrefix(ctx, cluster)}live/`;
  const out = new Map<string, InstanceTasks>();
  for (const kv of await rangeAll(ctx.app.store, prefix)) {
    const live = JSON.parse(kv.value) as LiveEntry;
    if (live.s) continue;
    const instance = kv.key.slice(prefix.length, kv.key.lastIndexOf('/'));
    let entry = out.get(instance);
    if (!entry) out.set(instance, entry = { tasks: [], running: 0 });
    entry.tasks.push({ group: live.g, taskArn: live.a });
    if (live.r) entry.running++;
  }
  return out;
}

/** The records of an instance's tasks that are not STOPPED yet (what its agent must act on). */
export async function liveTasksOn(ctx: RequestContext, cluster: string, instanceId: string): Promise<TaskRecord[]> {
  const keys = await rangeAll(ctx.app.store, `${taskIndexPrefix(ctx, cluster)}live/${instanceId}/`);
  return (await tasksByIds(ctx, cluster, keys.map((kv) => idOfIndexKey(kv.key)))).filter((t) => t.lastStatus !== 'STOPPED');
}

/** Tasks RunTask started with this clientToken. */
export async function tasksByClientToken(ctx: RequestContext, cluster: string, token: string): Promise<TaskRecord[]> {
  const keys = await rangeAll(ctx.app.store, `${taskIndexPrefix(ctx, cluster)}t/${enc(token)}/`);
  return tasksByIds(ctx, cluster, keys.map((kv) => idOfIndexKey(kv.key)));
}

/** Every task of a service (group service:<name>), any status. */
export async function serviceTaskRecords(ctx: RequestContext, cluster: string, service: string): Promise<TaskRecord[]> {
  const keys = await rangeAll(ctx.app.store, `${taskIndexPrefix(ctx, cluster)}svc/${service}/`);
  return tasksByIds(ctx, cluster, keys.map((kv) => idOfIndexKey(kv.key)));
}

export interface TaskCounts { runningTasksCount: number; pendingTasksCount: number }

const counter = (kv: KeyValue | undefined) => (kv ? Number(kv.value) || 0 : 0);

/** The cluster's running/pending counters (two key reads). */
export async function clusterTaskCounters(ctx: RequestContext, cluster: string): Promise<TaskCounts> {
  const prefix = taskCountPrefix(ctx, cluster);
  const [running, pending] = await Promise.all([ctx.app.store.get(`${prefix}running`), ctx.app.store.get(`${prefix}pending`)]);
  return { runningTasksCount: counter(running), pendingTasksCount: counter(pending) };
}

/** Per instance id of the cluster: its running/pending counters (instances without tasks: absent). */
export async function instanceTaskCounters(ctx: RequestContext, cluster: string): Promise<Map<string, TaskCounts>> {
  const prefix = `${taskCountPrefix(ctx, cluster)}i/`;
  const out = new Map<string, TaskCounts>();
  for (const kv of await rangeAll(ctx.app.store, prefix)) {
    const [instance, kind] = kv.key.slice(prefix.length).split('/');
    let counts = out.get(instance);
    if (!counts) out.set(instance, counts = { runningTasksCount: 0, pendingTasksCount: 0 });
    if (kind === 'running') counts.runningTasksCount = counter(kv);
    else if (kind === 'pending') counts.pendingTasksCount = counter(kv);
  }
  return out;
}

/** One instance's running/pending counters. */
export async function oneInstanceTaskCounters(ctx: RequestContext, cluster: string, instanceId: string): Promise<TaskCounts> {
  const prefix = `${taskCountPrefix(ctx, cluster)}i/${instanceId}/`;
  const [running, pending] = await Promise.all([ctx.app.store.get(`${prefix}running`), ctx.app.store.get(`${prefix}pending`)]);
  return { runningTasksCount: counter(running), pendingTasksCount: counter(pending) };
}
