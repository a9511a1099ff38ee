// Task counters, derived from the task records every time (never stored twice, never stale):
// the cluster's running/pending counts (a count source for counts.ts) and the same per
// container instance (`instanceTaskCounts`, for DescribeContainerInstances).
// Pending = PROVISIONING, PENDING, ACTIVATING; running = RUNNING up to DEPROVISIONING (its
// containers still exist), so every task that is not STOPPED is counted exactly once.
import type { RequestContext } from '../../context.js';
import { db, type TaskRecord } from './common.js';
import { registerCountSource } from './counts.js';
import { instanceIdOf, PENDING_STATUSES, RUNNING_STATUSES } from './task-model.js';

export interface TaskCounts { runningTasksCount: number; pendingTasksCount: number }

const bump = (counts: TaskCounts, task: TaskRecord) => {
  if (RUNNING_STATUSES.includes(task.lastStatus ?? '')) counts.runningTasksCount++;
  else if (PENDING_STATUSES.includes(task.lastStatus ?? '')) counts.pendingTasksCount++;
};

/** The cluster's task counts. */
export async function clusterTaskCounts(ctx: RequestContext, cluster: string): Promise<TaskCounts> {
  const counts = { runningTasksCount: 0, pendingTasksCount: 0 };
  for (const task of await db(ctx).tasks.list(ctx, `${cluster}/`)) bump(counts, task);
  return counts;
}

/** Task counts per container instance id of the cluster (instances without tasks are absent: 0/0). */
export async function instanceTaskCounts(ctx: RequestContext, cluster: string): Promise<Map<string, TaskCounts>> {
  const out = new Map<string, TaskCounts>();
  for (const task of await db(ctx).tasks.list(ctx, `${cluster}/`)) {
    if (!task.containerInstanceArn) continue;
    const id = instanceIdOf(task.containerInstanceArn);
    let counts = out.get(id);
    if (!counts) out.set(id, counts = { runningTasksCount: 0, pendingTasksCount: 0 });
    bump(counts, task);
  }
  return out;
}

/** Tasks of the cluster (or of one of its instances, by ARN or id) that are not STOPPED yet
 *  (DeleteCluster, DeregisterContainerInstance). */
export async function activeTaskCount(ctx: RequestContext, cluster: string, instanceArn?: string): Promise<number> {
  const id = instanceArn && instanceIdOf(instanceArn);
  return (await db(ctx).tasks.list(ctx, `${cluster}/`))
    .filter((t) => t.lastStatus !== 'STOPPED' && (!id || (t.containerInstanceArn && instanceIdOf(t.containerInstanceArn) === id))).length;
}

registerCountSource(clusterTaskCounts);
