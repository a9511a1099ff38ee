// Changing a stored task: read-modify-write with compare-and-swap, bumping `version` on every
// change. The change that brings a task to STOPPED also gives its reservation back to the
// container instance, in the same transaction, exactly once.
// Agents' state reports come by the thousand (a fleet starting a burst of tasks): the changes asked
// for in one turn of the event loop are committed together (modifyTaskGrouped), one transaction
// whose counters are added up (the cluster's running/pending move once, not once per task).
import { recordKey, type Records, type Scope, type Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { db, type TaskRecord } from './common.js';
import { instanceIdOf } from './task-model.js';
import type { Op, Store } from '../../../store/types.js';
import { taskIndexOps } from './task-index.js';
import { applyReservation } from './task-resources.js';
import { getInstance, instanceCompares, putResources } from './instance-resources.js';

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
  const indexOps = () => taskIndexOps(ctx, cluster, current.value, next);
  if (!r || !releases(next)) {
    const ops: Op[] = [{ type: 'put', key: current.key, value: JSON.stringify(next) }, ...indexOps()];
    return (await ctx.app.store.txn([{ key: current.key, modRevision: current.revision }], ops)).succeeded;
  }
  next.reservation = { ...r, released: true };
  const instance = await getInstance(ctx, cluster, instanceIdOf(next.containerInstanceArn!));
  const compares = [{ key: current.key, modRevision: current.revision }];
  const ops: Op[] = [{ type: 'put', key: current.key, value: JSON.stringify(next) }, ...indexOps()];
  if (instance) {
    // The instance's resources key, not its record (instance-resources.ts); both compared.
    compares.push(...instanceCompares(ctx, cluster, instance));
    ops.push(putResources(ctx, cluster, instance, applyReservation(instance.value, r, -1)));
  }
  return (await ctx.app.store.txn(compares, ops)).succeeded;
}

/** Creates a task record with its index keys and counters (tests, and anything storing a task
 *  outside placement); false if the task exists. */
export async function createTaskRecord(store: Store, scope: Scope, cluster: string, task: TaskRecord): Promise<boolean> {
  const key = recordKey('ecs', scope, 'tasks', `${cluster}/${task.taskArn!.slice(task.taskArn!.lastIndexOf('/') + 1)}`);
  const ops: Op[] = [{ type: 'put', key, value: JSON.stringify(task) }, ...taskIndexOps(scope, cluster, undefined, task)];
  return (await store.txn([{ key, modRevision: 0 }], ops)).succeeded;
}

interface Asked { ctx: RequestContext; cluster: string; id: string; change: TaskChange; resolve(m: Modified | undefined): void; reject(err: unknown): void }

/** Tasks changed in one transaction at most (etcd refuses a transaction of more than 128 operations
 *  by default; a task's change is its record, its live/ key, and counters). */
const GROUP_MAX = 16;
const waiting = new WeakMap<Store, Asked[]>();

/** modifyTask, committed with the other changes asked for in the same turn of the event loop: one
 *  transaction (compare-and-swap on every task in it, counters summed); if any of its tasks changed
 *  meanwhile, each change is made on its own, as modifyTask does. */
export function modifyTaskGrouped(ctx: RequestContext, cluster: string, id: string, change: TaskChange): Promise<Modified | undefined> {
  const store = ctx.app.store;
  return new Promise((resolve, reject) => {
    let queue = waiting.get(store);
    if (!queue) {
      waiting.set(store, queue = []);
      const asked = queue;
      setImmediate(() => {
        waiting.delete(store);
        for (let i = 0; i < asked.length; i += GROUP_MAX) void commitGroup(asked.slice(i, i + GROUP_MAX));
      });
    }
    queue.push({ ctx, cluster, id, change, resolve, reject });
  });
}

/** One task of a group: as read, as changed by the asks for it (in order), and their outcomes. */
interface Slot { ctx: RequestContext; cluster: string; current: Versioned<TaskRecord>; next?: TaskRecord; asked: [Asked, Modified][] }

async function commitGroup(group: Asked[]) {
  const settled = new Set<Asked>();
  try {
    const slots = new Map<string, Slot>();
    for (const a of group) {
      const tasks: Records<TaskRecord> = db(a.ctx).tasks;
      const key = tasks.key(a.ctx, `${a.cluster}/${a.id}`);
      let slot = slots.get(key);
      if (!slot) {
        const current = await tasks.getVersioned(a.ctx, `${a.cluster}/${a.id}`);
        if (!current) { settled.add(a); a.resolve(undefined); continue; }
        slots.set(key, slot = { ctx: a.ctx, cluster: a.cluster, current, asked: [] });
      }
      const base = slot.next ?? slot.current.value;
      const next = a.change(structuredClone(base));
      if (next) { next.version = (slot.current.value.version ?? 0) + 1; slot.next = next; }
      slot.asked.push([a, next ? { task: next, changed: true } : { task: base, changed: false }]);
    }
    const changed: Slot[] = [];
    for (const slot of slots.values()) {
      if (slot.next) changed.push(slot);
      else for (const [a, m] of slot.asked) { settled.add(a); a.resolve(m); }
    }
    // A task reaching STOPPED gives its reservation back (an instance compare of its own): alone.
    const together = changed.filter((s) => !releases(s.next!));
    const alone = changed.filter((s) => releases(s.next!));
    const ok = together.length > 0 && await commitTogether(together);
    if (ok) for (const slot of together) for (const [a, m] of slot.asked) { settled.add(a); a.resolve(m); }
    // What was not committed together is changed one ask at a time, on what is stored then.
    for (const slot of ok ? alone : changed) {
      for (const [a] of slot.asked) { const m = await modifyTask(a.ctx, a.cluster, a.id, a.change); settled.add(a); a.resolve(m); }
    }
  } catch (err) {
    for (const a of group) if (!settled.has(a)) a.reject(err);
  }
}

const releases = (next: TaskRecord) => next.lastStatus === 'STOPPED' && !!next.reservation && !next.reservation.released && !!next.containerInstanceArn;

/** The group's records and index keys in one transaction, each counter's additions summed. */
async function commitTogether(slots: Slot[]): Promise<boolean> {
  if (slots.length === 1) return commit(slots[0].ctx, slots[0].cluster, slots[0].current, slots[0].next!);
  const ops: Op[] = [];
  const added = new Map<string, number>();
  for (const s of slots) {
    ops.push({ type: 'put', key: s.current.key, value: JSON.stringify(s.next) });
    for (const op of taskIndexOps(s.ctx, s.cluster, s.current.value, s.next)) {
      if (op.type === 'add') added.set(op.key, (added.get(op.key) ?? 0) + op.delta);
      else ops.push(op);
    }
  }
  for (const [key, delta] of added) if (delta !== 0) ops.push({ type: 'add', key, delta });
  const compares = slots.map((s) => ({ key: s.current.key, modRevision: s.current.revision }));
  return (await slots[0].ctx.app.store.txn(compares, ops)).succeeded;
}
