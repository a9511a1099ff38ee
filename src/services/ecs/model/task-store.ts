// Changing a stored task: read-modify-write with compare-and-swap, bumping `version` on every
// change. The change that brings a task to STOPPED also gives its reservation back to the
// container instance, in the same transaction, exactly once.
import type { Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { db, type TaskRecord } from './common.js';
import { instanceIdOf } from './task-model.js';
import { applyReservation } from './task-resources.js';

/** Returns the next record, or undefined for "no change". */
export type TaskChange = (task: TaskRecord) => TaskRecord | undefined;

export interface Modified { task: TaskRecord; changed: boolean }

/** Applies `change` to the task `<cluster>/<id>`; undefined if there is no such task. */
export async function modifyTask(ctx: RequestContext, cluster: string, id: string, change: TaskChange): Promise<Modified | undefined> {
  const tasks = db(ctx).tasks;
  for (;;) {
    const current = await tasks.getVersioned(ctx, `${cluster}/${id}`);
    if (!current) return undefined;
    const next = change(structuredClone(current.value));
    if (!next) return { task: current.value, changed: false };
    next.version = (current.value.version ?? 0) + 1;
    if (await commit(ctx, cluster, current, next)) return { task: next, changed: true };
  }
}

async function commit(ctx: RequestContext, cluster: string, current: Versioned<TaskRecord>, next: TaskRecord): Promise<boolean> {
  const r = next.reservation;
  const release = next.lastStatus === 'STOPPED' && r && !r.released && next.containerInstanceArn;
  if (!release) return ctx.app.store.update(current.key, JSON.stringify(next), current.revision);
  next.reservation = { ...r, released: true };
  const instances = db(ctx).containerInstances;
  const instance = await instances.getVersioned(ctx, `${cluster}/${instanceIdOf(next.containerInstanceArn!)}`);
  const compares = [{ key: current.key, modRevision: current.revision }];
  const ops: { type: 'put'; key: string; value: string }[] = [{ type: 'put', key: current.key, value: JSON.stringify(next) }];
  if (instance) {
    compares.push({ key: instance.key, modRevision: instance.revision });
    ops.push({ type: 'put', key: instance.key, value: JSON.stringify(applyReservation(instance.value, r, -1)) });
  }
  return (await ctx.app.store.txn(compares, ops)).succeeded;
}
