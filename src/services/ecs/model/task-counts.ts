// Task counters, kept transactionally with the task records (task-index.ts): the cluster's
// running/pending counts (a count source for counts.ts) and the same per container instance
// (`instanceTaskCounts`, for DescribeContainerInstances).
// Pending = PROVISIONING, PENDING, ACTIVATING; running = RUNNING up to DEPROVISIONING (its
// containers still exist), so every task that is not STOPPED is counted exactly once.
import type { RequestContext } from '../../context.js';
import { registerCountSource } from './counts.js';
import { clusterTaskCounters, instanceTaskCounters, oneInstanceTaskCounters, type TaskCounts } from './task-index-read.js';
import { instanceIdOf } from './task-model.js';

export type { TaskCounts };

/** The cluster's task counts. */
export const clusterTaskCounts = (ctx: RequestContext, cluster: string): Promise<TaskCounts> => clusterTaskCounters(ctx, cluster);

/** Task counts per container instance id of the cluster (instances without tasks are absent: 0/0). */
export const instanceTaskCounts = (ctx: RequestContext, cluster: string): Promise<Map<string, TaskCounts>> => instanceTaskCounters(ctx, cluster);

/** Tasks of the cluster (or of one of its instances, by ARN or id) that are not STOPPED yet
 *  (DeleteCluster, DeregisterContainerInstance). */
export async function activeTaskCount(ctx: RequestContext, cluster: string, instanceArn?: string): Promise<number> {
  const counts = instanceArn ? await oneInstanceTaskCounters(ctx, cluster, instanceIdOf(instanceArn)) : await clusterTaskCounters(ctx, cluster);
  return counts.runningTasksCount + counts.pendingTasksCount;
}

registerCountSource(clusterTaskCounts);
