// Live cluster counters, derived from the records they count (never stored twice, never stale).
import type { KeyValuePair } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';

export interface ClusterCounts {
  registeredContainerInstancesCount: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  activeServicesCount: number;
  statistics: KeyValuePair[];
}

/** Sources of counts; resource files (container instances, tasks, services) register theirs. */
export interface CountSource { (ctx: RequestContext, cluster: string): Promise<Partial<ClusterCounts>> }
const sources: CountSource[] = [];
export const registerCountSource = (source: CountSource) => { sources.push(source); };

export async function clusterCounts(ctx: RequestContext, cluster: string): Promise<ClusterCounts> {
  const out: ClusterCounts = { registeredContainerInstancesCount: 0, runningTasksCount: 0, pendingTasksCount: 0, activeServicesCount: 0, statistics: [] };
  for (const source of sources) {
    const part = await source(ctx, cluster);
    out.registeredContainerInstancesCount += part.registeredContainerInstancesCount ?? 0;
    out.runningTasksCount += part.runningTasksCount ?? 0;
    out.pendingTasksCount += part.pendingTasksCount ?? 0;
    out.activeServicesCount += part.activeServicesCount ?? 0;
    out.statistics.push(...(part.statistics ?? []));
  }
  return out;
}
