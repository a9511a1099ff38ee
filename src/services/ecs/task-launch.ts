// Launch = plan, then apply (STYLE point 7). Plan: a snapshot of the cluster's ACTIVE instances
// and a pure choice over it (`choose`, first fit for now; the placement engine replaces it).
// Apply: ONE store transaction per task — compare-and-swap on the chosen instance's revision
// (its remainingResources shrink by the task's needs) plus the creation of the task record. On a
// conflict the snapshot is re-read and the choice made again, so concurrent RunTask calls can
// never over-commit an instance.
import type { Failure } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../gateway/context.js';
import { db, invalidParameter, type ContainerInstanceRecord, type TaskRecord } from './common.js';
import { isAgentConnected } from './container-instance-view.js';
import { instanceIdOf, taskId } from './task-model.js';
import { applyReservation, misfit, type TaskNeeds } from './task-resources.js';

/** One container instance as placement sees it. */
export interface Candidate {
  id: string;
  arn: string;
  key: string;
  /** Store revision of the record (the compare of the apply step). */
  revision: number;
  record: ContainerInstanceRecord;
  connected: boolean;
}

export interface Snapshot { cluster: string; candidates: Candidate[] }

export type Choice = { candidate: Candidate } | { failures: Failure[] };

/** The cluster's ACTIVE instances, oldest registration first (a stable first-fit order). */
export async function takeSnapshot(ctx: RequestContext, cluster: string): Promise<Snapshot> {
  const records = db(ctx).containerInstances;
  const now = ctx.app.clock.now();
  const candidates = (await records.listVersioned(ctx, `${cluster}/`))
    .filter((v) => v.value.status === 'ACTIVE')
    .map((v): Candidate => ({
      id: instanceIdOf(v.value.containerInstanceArn!), arn: v.value.containerInstanceArn!, key: v.key, revision: v.revision,
      record: v.value, connected: isAgentConnected(v.value, now, ctx.app.config.agentGraceSeconds),
    }))
    .sort((a, b) => String(a.record.registeredAt ?? '').localeCompare(String(b.record.registeredAt ?? '')) || a.arn.localeCompare(b.arn));
  return { cluster, candidates };
}

/** First fit: the first connected instance with room; else every instance's reason (ECS's words). */
export function choose(snapshot: Snapshot, needs: TaskNeeds): Choice {
  const failures: Failure[] = [];
  for (const candidate of snapshot.candidates) {
    const reason = candidate.connected ? misfit(candidate.record, needs) : 'AGENT';
    if (!reason) return { candidate };
    failures.push({ arn: candidate.arn, reason });
  }
  return { failures };
}

/** Builds the task record for the instance placement chose (called again on each retry). */
export type BuildTask = (instance: ContainerInstanceRecord) => TaskRecord;

const MAX_ATTEMPTS = 100;

/**
 * Places one task and commits it. `snapshot` is reused between tasks of one RunTask call and
 * refreshed here on conflict. `pick` chooses (RunTask: `choose`; StartTask: the named instance).
 */
export async function placeTask(ctx: RequestContext, state: { snapshot: Snapshot }, needs: TaskNeeds, build: BuildTask,
  pick: (snapshot: Snapshot, needs: TaskNeeds) => Choice = choose): Promise<{ task: TaskRecord } | { failures: Failure[] }> {
  const tasks = db(ctx).tasks;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const choice = pick(state.snapshot, needs);
    if ('failures' in choice) return choice;
    const { candidate } = choice;
    const reservation = { cpu: needs.cpu, memory: needs.memory, ports: needs.ports, portsUdp: needs.portsUdp };
    const task: TaskRecord = { ...build(candidate.record), reservation };
    const instance = applyReservation(candidate.record, reservation, 1);
    const taskKey = tasks.key(ctx, `${state.snapshot.cluster}/${taskId(task)}`);
    const result = await ctx.app.store.txn(
      [{ key: candidate.key, modRevision: candidate.revision }, { key: taskKey, modRevision: 0 }],
      [{ type: 'put', key: candidate.key, value: JSON.stringify(instance) }, { type: 'put', key: taskKey, value: JSON.stringify(task) }],
    );
    if (result.succeeded) {
      Object.assign(candidate, { record: instance, revision: result.revision });
      return { task };
    }
    state.snapshot = await takeSnapshot(ctx, state.snapshot.cluster);
  }
  throw new Error(`placement did not commit after ${MAX_ATTEMPTS} attempts (cluster ${state.snapshot.cluster})`);
}

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
