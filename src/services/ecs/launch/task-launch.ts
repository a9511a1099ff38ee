// Launch = plan, then apply (STYLE point 7).
//   Plan: a snapshot of the cluster's instances (stable order: by key) with the tasks holding a
//   place on each, and the placement engine (src/placement) over it — up to PLAN_AHEAD tasks in
//   one place(), each placed task updating the engine's working copy before the next is placed.
//   Apply: a turn's tasks (CHUNK from each launch served) in as few transactions as the store takes
//   — compare-and-swap on each chosen instance's record and resources key, whose remaining
//   resources shrink by its tasks' needs (the record itself is not rewritten:
//   model/instance-resources.ts), plus the creation of the task records, with the cluster record
//   still as read ACTIVE (so DeleteCluster and a launch never both win). On a conflict the snapshot
//   is re-read and only the remaining tasks are placed again, so concurrent launches never
//   over-commit an instance (nor put two tasks of a group on one instance under distinctInstance:
//   a task on an instance always changes that instance's resources key).
//   In one process, launches into a cluster wait in its queue and are served in turns (`underLock`),
//   so they do not plan on the same view and conflict; launches with the same request that wait
//   together share a turn (one engine plan, one commit: concurrent RunTask calls cost about what
//   one call of their total count does). Other requests and agent keep-alives are served between
//   turns, so a service placing thousands of tasks never holds everything up.
import { ecsConfig } from '../config.js';
import type { Failure, Task } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { instanceFromRecord, place, type PlacementInstance, type PlacementRequest, type PlacementSnapshot } from '../../../placement/index.js';
import type { Compare, Op } from '../../../store/types.js';
import { clusterCompare } from '../model/cluster-fence.js';
import { activeClusterVersioned, db, invalidParameter, type ContainerInstanceRecord, type TaskRecord } from '../model/common.js';
import { clusterInstances } from '../model/container-instance-store.js';
import { isAgentConnected } from '../model/container-instance-view.js';
import { liveTasksByInstance } from '../model/task-index-read.js';
import { placementView } from './placement-cache.js';
import { instanceIdOf, taskId } from '../model/task-model.js';
import { taskIndexOps } from '../model/task-index.js';
import { applyReservation, misfit, type TaskNeeds } from '../model/task-resources.js';
import { instanceCompares, putResources } from '../model/instance-resources.js';

/** One container instance as placement sees it. */
export interface Candidate {
  id: string;
  arn: string;
  key: string;
  /** Store revisions of the record and of its resources key (0: none), the compares of the apply step. */
  revision: number;
  resRevision: number;
  record: ContainerInstanceRecord;
  connected: boolean;
  /** Tasks holding a place there (not STOPPED, not superseded): spread, distinctInstance and
   *  task:group count their groups. */
  tasks?: Pick<Task, 'group' | 'taskArn'>[];
  /** Tasks RUNNING there (the query language's runningTasksCount). */
  runningTasksCount?: number;
  /** The engine's view of it, when the placement view already built one (engineInstance). */
  placement?: PlacementInstance;
}

export interface Snapshot {
  cluster: string;
  /** The cluster record as read ACTIVE: every commit compares it (cluster-fence.ts). */
  fence: Compare;
  candidates: Candidate[];
  /** What the snapshot was taken with (a re-read after a conflict takes the same). */
  options?: SnapshotOptions;
  /** The cluster's launch sequence it reflects (launchesOf): another means it is stale. */
  seq?: number;
}

/** How a placed task's instance was chosen, recorded on the task (TaskRecord.placement). */
export interface PlacementMeta { by: 'engine' | 'named' | 'pick'; tiers?: string[]; rank?: number[]; group?: string }

export type Choice = { candidate: Candidate; placed?: PlacementMeta } | { failures: Failure[] };

/** Which instances a snapshot holds: RunTask and services see ACTIVE ones; StartTask and the
 *  explanation also the others, so that they can say why those take nothing. */
export interface SnapshotOptions { statuses?: readonly string[] | 'all' }

/**
 * The cluster's instances in key order (stable: it breaks the engine's last ties). Instances are
 * read BEFORE tasks: a task committed in between changes its instance's resources key, so placing on
 * that instance conflicts and is re-planned with the task in view. The cluster is read first and
 * must be ACTIVE (a re-read after DeleteCluster: ClusterNotFoundException).
 */
export async function takeSnapshot(ctx: RequestContext, cluster: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const seq = launchesOf(ctx, cluster).seq;
  const fence = clusterCompare(await activeClusterVersioned(ctx, cluster));
  const statuses = options.statuses ?? ['ACTIVE'];
  const now = ctx.app.clock.now();
  const graceSeconds = ecsConfig(ctx.app).agentGraceSeconds;
  const wanted = (record: ContainerInstanceRecord) => statuses === 'all' || statuses.includes(record.status ?? '');
  // The process's view, followed through watches (placement-cache.ts), where the store allows.
  const cached = await placementView(ctx, cluster);
  if (cached) {
    const candidates: Candidate[] = [];
    for (const c of cached) {
      if (!wanted(c.record)) continue;
      const { record } = c;
      const connected = c.connected(now, graceSeconds);
      candidates.push({ id: instanceIdOf(record.containerInstanceArn!), arn: record.containerInstanceArn!, key: c.key, revision: c.revision,
        resRevision: c.resRevision, record, connected, tasks: c.tasks, runningTasksCount: c.running, placement: c.placement(connected) });
    }
    return { cluster, fence, candidates, options, seq };
  }
  const versions = (await clusterInstances(ctx, cluster)).filter((v) => wanted(v.value));
  // Counted tasks per instance, from the cluster's live/ index (not STOPPED, not superseded).
  const byInstance = versions.length ? await liveTasksByInstance(ctx, cluster) : new Map<string, { tasks: Pick<Task, 'group' | 'taskArn'>[]; running: number }>();
  const candidates = versions
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((v): Candidate => {
      const id = instanceIdOf(v.value.containerInstanceArn!);
      const here = byInstance.get(id);
      return {
        id, arn: v.value.containerInstanceArn!, key: v.key, revision: v.revision, resRevision: v.resRevision, record: v.value,
        connected: isAgentConnected(v.value, now, graceSeconds),
        tasks: here?.tasks ?? [], runningTasksCount: here?.running ?? 0,
      };
    });
  return { cluster, fence, candidates, options, seq };
}

/** One candidate as the engine sees it. */
export function engineInstance(c: Candidate): PlacementInstance {
  // Kept on the candidate until a commit changes it: a long launch (a service's thousands of
  // tasks, CHUNK at a time) reuses the snapshot, and the engine what it derived (working.ts).
  return c.placement ??= { ...instanceFromRecord(c.record, { agentConnected: c.connected, tasks: c.tasks ?? [] }), runningTasksCount: c.runningTasksCount ?? 0 };
}

/** The launcher's snapshot as the engine's (same order: placement indexes are candidate indexes). */
export const engineSnapshot = (snapshot: Pick<Snapshot, 'cluster' | 'candidates'>): PlacementSnapshot => ({ instances: snapshot.candidates.map(engineInstance) });

/** Builds the task record for the instance placement chose (called again on each retry). */
export type BuildTask = (instance: ContainerInstanceRecord, placed: PlacementMeta) => TaskRecord;

const MAX_ATTEMPTS = 100;
/** Tasks of one launch placed and committed per turn of the cluster's launch lock (RunTask's
 *  largest count): between two turns other launches and requests are served. Placing the next
 *  CHUNK tasks on a view that holds the previous ones is what placing them all at once does (the
 *  engine places one task at a time on its working copy). */
export const CHUNK = 10;
/** Tasks the engine places in one pass over the instances (a plan kept across turns), and the
 *  most one turn commits (CHUNK from each of the launches it serves together). */
const PLAN_AHEAD = 100;
/** Room left in a transaction for the next task's operations (about ten) under the store's
 *  maxTxnOps (etcd refuses more than 128). */
const TXN_OPS_MARGIN = 28;
/** Kept for the callers that commit one task at a time (pacer). */
export const YIELD_EVERY = 8;

/** For a loop of commits: resolves after a turn of the event loop (setImmediate: pending I/O is
 *  served first) every YIELD_EVERY calls, at once otherwise. */
export function pacer(): () => Promise<void> {
  let n = 0;
  return async () => {
    if (++n % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  };
}

/**
 * A launch waiting in its cluster's queue: `wanted` identical tasks placed by one request. Launches
 * with the same request (`sig`: same needs, constraints, strategies, group, snapshot options) are
 * served together: one engine pass plans for all of them, one transaction commits a turn's worth.
 */
interface Job {
  sig: string;
  ctx: RequestContext;
  cluster: string;
  request: Omit<PlacementRequest, 'count'>;
  needs: TaskNeeds;
  build: BuildTask;
  wanted: number;
  tasks: TaskRecord[];
  attempts: number;
  resolve: (result: Committed) => void;
  reject: (err: unknown) => void;
}

/** A plan of the engine for one request: the next tasks' instances, valid while the cluster's
 *  launch sequence is `seq` (only its own picks were committed since). */
interface Plan {
  sig: string;
  seq: number;
  snapshot: Snapshot;
  picks: { candidate: Candidate; placed: PlacementMeta }[];
  /** The engine's failures when it could not place all it was asked: given once the picks run out. */
  failures?: Failure[];
}

/**
 * One launch turn at a time per cluster in this process: concurrent RunTask calls and service
 * launches would otherwise plan on the same view, pick the same best instance, and all but one
 * conflict and re-plan. `seq` counts the commits made under the lock: a snapshot or plan made at
 * another seq is stale and is made again before placing. Writers elsewhere (another server on
 * etcd) are still caught by the commit's compares.
 */
interface ClusterLaunches {
  seq: number;
  tail: Promise<void>;
  /** Launches waiting to be placed (placeAndCommit), served in turns by one drain loop. */
  queue: Job[];
  draining: boolean;
  plan?: Plan;
}
const launches = new WeakMap<object, Map<string, ClusterLaunches>>();

function launchesOf(ctx: RequestContext, cluster: string): ClusterLaunches {
  let byCluster = launches.get(ctx.app);
  if (!byCluster) launches.set(ctx.app, byCluster = new Map());
  const id = `${ctx.account}/${ctx.region}/${cluster}`;
  let entry = byCluster.get(id);
  if (!entry) byCluster.set(id, entry = { seq: 0, tail: Promise.resolve(), queue: [], draining: false });
  return entry;
}

/** Runs fn holding the cluster's launch lock. */
async function underLock<T>(ctx: RequestContext, cluster: string, fn: (entry: ClusterLaunches) => Promise<T>): Promise<T> {
  const entry = launchesOf(ctx, cluster);
  const before = entry.tail;
  let release!: () => void;
  entry.tail = new Promise<void>((resolve) => { release = resolve; });
  await before;
  try { return await fn(entry); } finally { release(); }
}

/** Takes the snapshot again if a launch in this process committed since it was taken. */
async function refresh(ctx: RequestContext, state: { snapshot: Snapshot }, entry: ClusterLaunches) {
  if (state.snapshot.seq !== entry.seq) state.snapshot = await takeSnapshot(ctx, state.snapshot.cluster, state.snapshot.options);
}

interface Placed { candidate: Candidate; build: (record: ContainerInstanceRecord) => TaskRecord }

/**
 * Apply: the tasks and their instances' reservations, compared against the revisions the plan
 * saw, in as few transactions as etcd allows (one for a RunTask). The fit is checked again on
 * each record as the earlier tasks of the transaction leave it (plan and check agree; if they
 * ever did not, the conflict path re-plans rather than over-commit). Resolves the tasks
 * committed, in order: fewer than picked on a conflict. Committed candidates hold their new
 * record, revision and tasks.
 */
async function commitAll(ctx: RequestContext, snapshot: Snapshot, picks: Placed[], needs: TaskNeeds, entry: ClusterLaunches): Promise<TaskRecord[]> {
  const done: TaskRecord[] = [];
  const limit = (ctx.app.store.maxTxnOps ?? Infinity) - TXN_OPS_MARGIN;
  for (let i = 0; i < picks.length;) {
    const txn = new PlacementTxn(ctx, snapshot);
    let j = i;
    while (j < picks.length && txn.size < limit && txn.add(picks[j].candidate, needs, picks[j].build)) j++;
    if (j === i) return done; // the next task no longer fits its instance: re-plan
    const committed = await txn.commit();
    if (!committed) return done;
    snapshot.seq = ++entry.seq;
    done.push(...committed);
    i = j;
  }
  return done;
}

/** One transaction of placed tasks: each instance written once, with all its reservations. */
class PlacementTxn {
  private readonly ops: Op[] = [];
  private readonly records = new Map<Candidate, ContainerInstanceRecord>();
  private readonly tasks: { candidate: Candidate; task: TaskRecord; key: string }[] = [];
  private readonly counters = new Map<string, number>();

  constructor(private readonly ctx: RequestContext, private readonly snapshot: Snapshot) {}

  /** Its operations or compares (one per instance and per task, and the fence), the larger. */
  get size() { return Math.max(this.ops.length + this.records.size + this.counters.size, 1 + this.records.size + this.tasks.length); }

  /** False when the task does not fit what the instance has left. */
  add(candidate: Candidate, needs: TaskNeeds, build: (record: ContainerInstanceRecord) => TaskRecord): boolean {
    const record = this.records.get(candidate) ?? candidate.record;
    if (misfit(record, needs)) return false;
    const reservation = { cpu: needs.cpu, memory: needs.memory, ports: [...needs.ports], portsUdp: [...needs.portsUdp] };
    const task: TaskRecord = { ...build(candidate.record), reservation };
    this.records.set(candidate, applyReservation(record, reservation, 1));
    const key = db(this.ctx).tasks.key(this.ctx, `${this.snapshot.cluster}/${taskId(task)}`);
    this.tasks.push({ candidate, task, key });
    this.ops.push({ type: 'put', key, value: JSON.stringify(task) });
    for (const op of taskIndexOps(this.ctx, this.snapshot.cluster, undefined, task)) {
      if (op.type === 'add') this.counters.set(op.key, (this.counters.get(op.key) ?? 0) + op.delta);
      else this.ops.push(op);
    }
    return true;
  }

  async commit(): Promise<TaskRecord[] | undefined> {
    const compares: Compare[] = [this.snapshot.fence];
    const ops: Op[] = [];
    for (const [candidate, record] of this.records) {
      compares.push(...instanceCompares(this.ctx, this.snapshot.cluster, candidate));
      ops.push(putResources(this.ctx, this.snapshot.cluster, candidate, record));
    }
    for (const t of this.tasks) compares.push({ key: t.key, modRevision: 0 });
    ops.push(...this.ops);
    for (const [key, delta] of this.counters) if (delta !== 0) ops.push({ type: 'add', key, delta });
    const store = this.ctx.app.store;
    const committing = store.txn(compares, ops);
    // The cluster's launches wait on this one: commit now rather than at the end of the turn.
    store.flushWrites?.();
    const result = await committing;
    if (!result.succeeded) return undefined;
    for (const [candidate, record] of this.records) {
      const added = this.tasks.filter((t) => t.candidate === candidate).map((t) => ({ group: t.task.group, taskArn: t.task.taskArn }));
      Object.assign(candidate, { record, resRevision: result.revision, placement: undefined, tasks: [...(candidate.tasks ?? []), ...added] });
    }
    return this.tasks.map((t) => t.task);
  }
}

export interface Committed { tasks: TaskRecord[]; failures: Failure[] }

const turnOfEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Places `count` identical tasks with the engine and commits them: the launch joins its cluster's
 * queue, served in turns under the launch lock (other requests are served between turns). A turn
 * takes up to CHUNK tasks from each waiting launch with the same request as the first, PLAN_AHEAD
 * at most, places them from one engine plan and commits them in as few transactions as the store
 * allows (one on SQLite): sixteen concurrent RunTask calls cost one engine pass and one commit,
 * not sixteen. The plan covers up to PLAN_AHEAD of the waiting launches' tasks (the engine's cost
 * is mostly a walk over every instance) and is kept while only these launches commit in the
 * cluster (seq); a conflict re-reads the snapshot and places again what is left. A launch stops at
 * the first task that does not fit (the rest are identical); its failures are the engine's, one
 * per instance.
 */
export function placeAndCommit(ctx: RequestContext, cluster: string, request: Omit<PlacementRequest, 'count'>,
  count: number, build: BuildTask): Promise<Committed> {
  const needs = normalNeeds(request.needs);
  const entry = launchesOf(ctx, cluster);
  return new Promise<Committed>((resolve, reject) => {
    const sig = JSON.stringify(request);
    entry.queue.push({ sig, ctx, cluster, request, needs, build, wanted: count, tasks: [], attempts: 0, resolve, reject });
    if (!entry.draining) {
      entry.draining = true;
      void drain(ctx, cluster, entry);
    }
  });
}

/** Serves the cluster's queue, a turn at a time, until it is empty. */
async function drain(ctx: RequestContext, cluster: string, entry: ClusterLaunches) {
  try {
    while (entry.queue.length > 0) {
      await underLock(ctx, cluster, (e) => launchTurn(e));
      await turnOfEventLoop();
    }
  } finally {
    entry.draining = false;
  }
}

/** Ends a launch: out of the queue, its promise settled. */
function finish(entry: ClusterLaunches, job: Job, outcome: { result: Committed } | { error: unknown }) {
  const at = entry.queue.indexOf(job);
  if (at >= 0) entry.queue.splice(at, 1);
  if ('error' in outcome) job.reject(outcome.error); else job.resolve(outcome.result);
}

/** One turn: the launches like the queue's first, CHUNK tasks each, from one plan, one commit. */
async function launchTurn(entry: ClusterLaunches) {
  const head = entry.queue[0];
  if (!head) return;
  const batch: { job: Job; take: number }[] = [];
  let taken = 0;
  let waiting = 0;
  for (const job of entry.queue) {
    if (job.sig !== head.sig) continue;
    const left = job.wanted - job.tasks.length;
    waiting += left;
    const take = Math.min(CHUNK, left, PLAN_AHEAD - taken);
    if (take > 0) { batch.push({ job, take }); taken += take; }
  }
  try {
    let plan = entry.plan;
    if (!plan || plan.sig !== head.sig || plan.seq !== entry.seq || plan.picks.length === 0) {
      // Read when a plan is made (at most every PLAN_AHEAD tasks): what the cluster has now.
      const snapshot = await takeSnapshot(head.ctx, head.cluster);
      const result = place(engineSnapshot(snapshot), { ...head.request, count: Math.min(PLAN_AHEAD, waiting) }, head.ctx.app.ids);
      plan = entry.plan = {
        sig: head.sig, seq: entry.seq, snapshot, failures: result.unplaced ? result.failures : undefined,
        picks: result.placements.map((p) => ({
          candidate: snapshot.candidates[p.instance],
          placed: { by: 'engine', tiers: result.explanation.tiers, rank: p.rank, group: head.request.group },
        })),
      };
    }
    const picks: Placed[] = [];
    const owners: Job[] = [];
    for (const { job, take } of batch) {
      for (const pick of plan.picks.splice(0, take)) {
        picks.push({ candidate: pick.candidate, build: (record) => job.build(record, pick.placed) });
        owners.push(job);
      }
    }
    const done = picks.length ? await commitAll(head.ctx, plan.snapshot, picks, head.needs, entry) : [];
    done.forEach((task, i) => owners[i].tasks.push(task));
    if (done.length < picks.length) {
      // A conflict: the next turn reads the snapshot again and places anew what is left.
      entry.plan = undefined;
      for (const { job } of batch) {
        if (++job.attempts >= MAX_ATTEMPTS) {
          finish(entry, job, { error: new Error(`placement did not commit after ${MAX_ATTEMPTS} attempts (cluster ${job.cluster})`) });
        }
      }
      return;
    }
    plan.seq = entry.seq;
    for (const { job } of batch) {
      if (job.tasks.length >= job.wanted) finish(entry, job, { result: { tasks: job.tasks, failures: [] } });
      else if (plan.picks.length === 0 && plan.failures) finish(entry, job, { result: { tasks: job.tasks, failures: plan.failures } });
    }
    if (plan.picks.length === 0) entry.plan = undefined;
    // Launches with other requests take their turn before these go again.
    for (const { job } of batch) {
      const at = entry.queue.indexOf(job);
      if (at >= 0) entry.queue.push(...entry.queue.splice(at, 1));
    }
  } catch (err) {
    entry.plan = undefined;
    for (const { job } of batch) finish(entry, job, { error: err });
  }
}

/**
 * Places one task where `pick` says and commits it; on conflict re-reads the snapshot and asks
 * `pick` again. For StartTask (the named instance, still judged by the engine) and for callers
 * that choose themselves.
 */
export async function placeTask(ctx: RequestContext, state: { snapshot: Snapshot }, needs: TaskNeeds, build: BuildTask,
  pick: (snapshot: Snapshot, needs: TaskNeeds) => Choice): Promise<{ task: TaskRecord } | { failures: Failure[] }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const turn = await underLock(ctx, state.snapshot.cluster, async (entry) => {
      await refresh(ctx, state, entry);
      const choice = pick(state.snapshot, needs);
      if ('failures' in choice) return choice;
      const placed = choice.placed ?? { by: 'pick' as const };
      const [task] = await commitAll(ctx, state.snapshot, [{ candidate: choice.candidate, build: (record) => build(record, placed) }], needs, entry);
      return task ? { task } : undefined;
    });
    if (turn) return turn;
    state.snapshot = await takeSnapshot(ctx, state.snapshot.cluster, state.snapshot.options);
  }
  throw new Error(`placement did not commit after ${MAX_ATTEMPTS} attempts (cluster ${state.snapshot.cluster})`);
}

const normalNeeds = (n: PlacementRequest['needs']): TaskNeeds =>
  ({ cpu: n.cpu, memory: n.memory, ports: [...(n.ports ?? [])], portsUdp: [...(n.portsUdp ?? [])] });

/** RunTask on a cluster without ACTIVE container instances is an error, not a failure list (AWS's
 *  words). From the placement view where there is one (no snapshot of every instance is built). */
export async function requireInstances(ctx: RequestContext, cluster: string) {
  const view = await placementView(ctx, cluster);
  const any = view ? view.some((c) => c.record.status === 'ACTIVE') : (await takeSnapshot(ctx, cluster)).candidates.length > 0;
  if (!any) throw invalidParameter('No Container Instances were found in your cluster.');
}

/** Failures of several tasks of one call, without repeating the same instance and reason. */
export function mergeFailures(all: Failure[]): Failure[] {
  const seen = new Set<string>();
  return all.filter((f) => {
    const key = `${f.arn} ${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
