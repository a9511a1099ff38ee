// Launch = plan, then apply (STYLE point 7).
//   Plan: a snapshot of the cluster's instances (stable order: by key) with the tasks holding a
//   place on each, and the placement engine (src/placement) over it — ALL tasks of a call in one
//   place(), each placed task updating the engine's working copy before the next is placed.
//   Apply: ONE store transaction per task — compare-and-swap on the chosen instance's revision
//   (its remainingResources shrink by the task's needs) plus the creation of the task record, with
//   the cluster record still as read ACTIVE (so DeleteCluster and a launch never both win). On
//   a conflict the snapshot is re-read and only the remaining tasks are placed again, so
//   concurrent RunTask calls never over-commit an instance (nor put two tasks of a group on one
//   instance under distinctInstance: a task on an instance always changes that instance's record).
//   The commits of one call yield to the event loop every YIELD_EVERY tasks (`pacer`): on an
//   in-process store a txn resolves without I/O, so a service placing thousands of tasks would
//   otherwise keep every API request and agent keep-alive waiting until its last commit.
import { ecsConfig } from '../config.js';
import type { Failure, Task } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { instanceFromRecord, place, type PlacementInstance, type PlacementRequest, type PlacementSnapshot } from '../../../placement/index.js';
import type { Compare } from '../../../store/types.js';
import { clusterCompare } from '../model/cluster-fence.js';
import { activeClusterVersioned, db, invalidParameter, type ContainerInstanceRecord, type TaskRecord } from '../model/common.js';
import { clusterInstances } from '../model/container-instance-store.js';
import { isAgentConnected } from '../model/container-instance-view.js';
import { liveTasksByInstance } from '../model/task-index-read.js';
import { placementView } from './placement-cache.js';
import { instanceIdOf, taskId } from '../model/task-model.js';
import { taskIndexOps } from '../model/task-index.js';
import { applyReservation, misfit, type TaskNeeds } from '../model/task-resources.js';

/** One container instance as placement sees it. */
export interface Candidate {
  id: string;
  arn: string;
  key: string;
  /** Store revision of the record (the compare of the apply step). */
  revision: number;
  record: ContainerInstanceRecord;
  connected: boolean;
  /** Tasks holding a place there (not STOPPED, not superseded): spread, distinctInstance and
   *  task:group count their groups. */
  tasks?: Pick<Task, 'group' | 'taskArn'>[];
  /** Tasks RUNNING there (the query language's runningTasksCount). */
  runningTasksCount?: number;
}

export interface Snapshot {
  cluster: string;
  /** The cluster record as read ACTIVE: every commit compares it (cluster-fence.ts). */
  fence: Compare;
  candidates: Candidate[];
  /** What the snapshot was taken with (a re-read after a conflict takes the same). */
  options?: SnapshotOptions;
}

/** How a placed task's instance was chosen, recorded on the task (TaskRecord.placement). */
export interface PlacementMeta { by: 'engine' | 'named' | 'pick'; tiers?: string[]; rank?: number[]; group?: string }

export type Choice = { candidate: Candidate; placed?: PlacementMeta } | { failures: Failure[] };

/** Which instances a snapshot holds: RunTask and services see ACTIVE ones; StartTask and the
 *  explanation also the others, so that they can say why those take nothing. */
export interface SnapshotOptions { statuses?: readonly string[] | 'all' }

/**
 * The cluster's instances in key order (stable: it breaks the engine's last ties). Instances are
 * read BEFORE tasks: a task committed in between changes its instance's revision, so placing on
 * that instance conflicts and is re-planned with the task in view. The cluster is read first and
 * must be ACTIVE (a re-read after DeleteCluster: ClusterNotFoundException).
 */
export async function takeSnapshot(ctx: RequestContext, cluster: string, options: SnapshotOptions = {}): Promise<Snapshot> {
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
      const record = c.withBeat(now);
      candidates.push({ id: instanceIdOf(record.containerInstanceArn!), arn: record.containerInstanceArn!, key: c.key, revision: c.revision,
        record, connected: isAgentConnected(record, now, graceSeconds), tasks: c.tasks, runningTasksCount: c.running });
    }
    return { cluster, fence, candidates, options };
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
        id, arn: v.value.containerInstanceArn!, key: v.key, revision: v.revision, record: v.value,
        connected: isAgentConnected(v.value, now, graceSeconds),
        tasks: here?.tasks ?? [], runningTasksCount: here?.running ?? 0,
      };
    });
  return { cluster, fence, candidates, options };
}

/** One candidate as the engine sees it. */
export function engineInstance(c: Candidate): PlacementInstance {
  return { ...instanceFromRecord(c.record, { agentConnected: c.connected, tasks: c.tasks ?? [] }), runningTasksCount: c.runningTasksCount ?? 0 };
}

/** The launcher's snapshot as the engine's (same order: placement indexes are candidate indexes). */
export const engineSnapshot = (snapshot: Pick<Snapshot, 'cluster' | 'candidates'>): PlacementSnapshot => ({ instances: snapshot.candidates.map(engineInstance) });

/** Builds the task record for the instance placement chose (called again on each retry). */
export type BuildTask = (instance: ContainerInstanceRecord, placed: PlacementMeta) => TaskRecord;

const MAX_ATTEMPTS = 100;
/** Commits between two turns of the event loop in one call's placement. */
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
 * Apply: the task and the instance's reservation in one transaction, compared against the
 * revision the plan saw. The fit is checked again on that very record (plan and check agree; if
 * they ever did not, the conflict path re-plans rather than over-commit). Undefined on conflict;
 * on success the candidate holds the new record, revision and task.
 */
async function commit(ctx: RequestContext, snapshot: Snapshot, candidate: Candidate, needs: TaskNeeds, built: TaskRecord): Promise<TaskRecord | undefined> {
  if (misfit(candidate.record, needs)) return undefined;
  const reservation = { cpu: needs.cpu, memory: needs.memory, ports: [...needs.ports], portsUdp: [...needs.portsUdp] };
  const task: TaskRecord = { ...built, reservation };
  const instance = applyReservation(candidate.record, reservation, 1);
  const taskKey = db(ctx).tasks.key(ctx, `${snapshot.cluster}/${taskId(task)}`);
  const result = await ctx.app.store.txn(
    [snapshot.fence, { key: candidate.key, modRevision: candidate.revision }, { key: taskKey, modRevision: 0 }],
    [{ type: 'put', key: candidate.key, value: JSON.stringify(instance) }, { type: 'put', key: taskKey, value: JSON.stringify(task) },
      ...taskIndexOps(ctx, snapshot.cluster, undefined, task)],
  );
  if (!result.succeeded) return undefined;
  Object.assign(candidate, {
    record: instance, revision: result.revision,
    tasks: [...(candidate.tasks ?? []), { group: task.group, taskArn: task.taskArn }],
  });
  return task;
}

export interface Committed { tasks: TaskRecord[]; failures: Failure[] }

/**
 * Places `count` identical tasks with the engine and commits them one by one. A conflict re-reads
 * the snapshot and places only the tasks not committed yet. Stops at the first task that does not
 * fit (the rest are identical); its failures are the engine's, one per instance.
 */
export async function placeAndCommit(ctx: RequestContext, state: { snapshot: Snapshot }, request: Omit<PlacementRequest, 'count'>,
  count: number, build: BuildTask): Promise<Committed> {
  const tasks: TaskRecord[] = [];
  const needs = normalNeeds(request.needs);
  const pace = pacer();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const result = place(engineSnapshot(state.snapshot), { ...request, count: count - tasks.length }, ctx.app.ids);
    let conflict = false;
    for (const p of result.placements) {
      const candidate = state.snapshot.candidates[p.instance];
      const placed: PlacementMeta = { by: 'engine', tiers: result.explanation.tiers, rank: p.rank, group: request.group };
      const task = await commit(ctx, state.snapshot, candidate, needs, build(candidate.record, placed));
      if (!task) { conflict = true; break; }
      tasks.push(task);
      await pace();
    }
    if (!conflict) return { tasks, failures: result.unplaced ? result.failures : [] };
    state.snapshot = await takeSnapshot(ctx, state.snapshot.cluster, state.snapshot.options);
  }
  throw new Error(`placement did not commit after ${MAX_ATTEMPTS} attempts (cluster ${state.snapshot.cluster})`);
}

/**
 * Places one task where `pick` says and commits it; on conflict re-reads the snapshot and asks
 * `pick` again. For StartTask (the named instance, still judged by the engine) and for callers
 * that choose themselves.
 */
export async function placeTask(ctx: RequestContext, state: { snapshot: Snapshot }, needs: TaskNeeds, build: BuildTask,
  pick: (snapshot: Snapshot, needs: TaskNeeds) => Choice): Promise<{ task: TaskRecord } | { failures: Failure[] }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const choice = pick(state.snapshot, needs);
    if ('failures' in choice) return choice;
    const { candidate } = choice;
    const task = await commit(ctx, state.snapshot, candidate, needs, build(candidate.record, choice.placed ?? { by: 'pick' }));
    if (task) return { task };
    state.snapshot = await takeSnapshot(ctx, state.snapshot.cluster, state.snapshot.options);
  }
  throw new Error(`placement did not commit after ${MAX_ATTEMPTS} attempts (cluster ${state.snapshot.cluster})`);
}

const normalNeeds = (n: PlacementRequest['needs']): TaskNeeds =>
  ({ cpu: n.cpu, memory: n.memory, ports: [...(n.ports ?? [])], portsUdp: [...(n.portsUdp ?? [])] });

/** RunTask on a cluster without container instances is an error, not a failure list (AWS's words). */
export function requireInstances(snapshot: Snapshot) {
  if (snapshot.candidates.length === 0) throw invalidParameter('No Container Instances were found in your cluster.');
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
