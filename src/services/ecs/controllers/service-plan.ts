// The service scheduler's decisions, as data: which tasks to stop (and why), which to start, which
// to supersede under the lost-agent policy, and the warnings to record. Planners
// (service-replica.ts, service-daemon.ts) produce a TaskPlan from a ClusterView; service-apply.ts
// carries it out. Also here: the order in which ECS picks tasks to stop.
import { recentlySaid, type ServiceRecord } from '../model/service-model.js';
import { isCounted, type ServiceTaskRecord } from '../model/service-tasks.js';
import { instanceIdOf, taskId } from '../model/task-model.js';

/** Why the scheduler stops a task: its stoppedReason, and the event that goes with it. */
export type StopCause = 'scaling' | 'unhealthy' | 'draining' | 'constraint' | 'deregistered';

export interface StopAction { taskId: string; cause: StopCause }

export interface StartAction {
  deploymentId: string;
  /** REPLICA: how many tasks to place. */
  count: number;
  /** DAEMON: the container instances (ids) to start one task on each. */
  instanceIds?: string[];
}

export interface TaskPlan {
  /** Task ids the lost-agent policy supersedes (replacements are counted in `starts`). */
  lost: string[];
  stops: StopAction[];
  starts: StartAction[];
  /** Warnings decided while planning (already deduplicated against the service's events). */
  events: string[];
}

export const emptyPlan = (): TaskPlan => ({ lost: [], stops: [], starts: [], events: [] });

/** stoppedReason for each cause (the scaling one is ECS's exact text, naming the deployment). */
export function stopReason(cause: StopCause, deploymentId: string): string {
  switch (cause) {
    case 'unhealthy': return 'Task failed container health checks';
    case 'draining': return 'Container instance is DRAINING: the service scheduler moved the task to another instance';
    case 'constraint': return 'The container instance no longer meets the placement constraints of the DAEMON service';
    case 'deregistered': return 'Container instance deregistered';
    default: return `Scaling activity initiated by (deployment ${deploymentId})`;
  }
}

const zoneOf = (t: ServiceTaskRecord) => t.availabilityZone ?? '';
const hostOf = (t: ServiceTaskRecord) => (t.containerInstanceArn ? instanceIdOf(t.containerInstanceArn) : '');

/**
 * The order in which to stop `candidates` (ECS's scale-in logic): tasks that are not healthy yet
 * first; then, keeping Availability Zones balanced, the AZ with the most of the service's tasks,
 * within it the instance with the most; ties by task id. `population` is every task of the
 * service that still occupies a slot (the counts are recomputed after each pick).
 */
export function stopOrder(candidates: ServiceTaskRecord[], population: ServiceTaskRecord[],
  healthy: (t: ServiceTaskRecord) => boolean): ServiceTaskRecord[] {
  const left = new Set(population.filter(isCounted));
  const pool = [...candidates];
  const out: ServiceTaskRecord[] = [];
  while (pool.length) {
    const zones = new Map<string, number>();
    const hosts = new Map<string, number>();
    for (const t of left) {
      zones.set(zoneOf(t), (zones.get(zoneOf(t)) ?? 0) + 1);
      hosts.set(hostOf(t), (hosts.get(hostOf(t)) ?? 0) + 1);
    }
    const score = (t: ServiceTaskRecord): [number, number, number] =>
      [healthy(t) ? 0 : 1, zones.get(zoneOf(t)) ?? 0, hosts.get(hostOf(t)) ?? 0];
    pool.sort((a, b) => {
      const sa = score(a), sb = score(b);
      return sb[0] - sa[0] || sb[1] - sa[1] || sb[2] - sa[2] || taskId(a).localeCompare(taskId(b));
    });
    const next = pool.shift()!;
    out.push(next);
    left.delete(next);
  }
  return out;
}

/** Adds the warning `message` unless the service said it recently (see recentlySaid). */
export function warn(plan: TaskPlan, service: ServiceRecord, message: string, now: Date) {
  if (!recentlySaid(service, message, now) && !plan.events.includes(message)) plan.events.push(message);
}
