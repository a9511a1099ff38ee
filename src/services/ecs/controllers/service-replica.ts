// What the scheduler does to a REPLICA service's tasks, as a pure function of the view. The rules
// (ECS developer guide, "Deployment configuration"):
//
// - Keep desiredCount tasks of the PRIMARY deployment running on ACTIVE instances.
// - maximumPercent (rounded DOWN) caps the tasks in a slot: everything not STOPPED yet, including
//   tasks asked to stop that have not stopped. minimumHealthyPercent (rounded UP) is the floor of
//   healthy tasks (RUNNING, and HEALTHY when the task has container health checks).
// - Tasks to replace — an older deployment's, tasks on DRAINING instances — are stopped while the
//   healthy count stays at or above the floor; replacements start while the cap allows. So with
//   4 tasks, minimum 50 % and maximum 100 %: 2 old tasks stop, 2 new start once they have
//   stopped, then the other 2 old stop once the new ones are healthy, and 2 more new start.
// - Not-yet-healthy tasks of older deployments, PENDING tasks on DRAINING instances, UNHEALTHY
//   tasks (after the health check grace period) and tasks of deregistered instances stop at once:
//   they are not healthy, the floor does not protect them.
// - More tasks than desired: the surplus stops, not-healthy ones first, then AZ-balanced.
// - A FAILED deployment (circuit breaker, no rollback) starts nothing and stops no healthy task.
// - After 3 consecutive failed launches, launches wait (service throttle logic). Only tasks that
//   never reached RUNNING count (ECS: tasks that go from PENDING straight to STOPPED): tasks that
//   ran and were lost with their host or a crashed agent are replaced at once.
import { said, primaryOf, type ServiceRecord } from '../model/service-model.js';
import {
  failuresOf, isCounted, isLive, isUnhealthy, type ServiceTaskRecord,
} from '../model/service-tasks.js';
import { taskId } from '../model/task-model.js';
import type { DeploymentRecord } from '../model/service-model.js';
import { instanceOf, type ClusterView, type SchedulerSettings } from './cluster-view.js';
import { lostTasks } from './service-lost.js';
import { emptyPlan, stopOrder, warn, type StopCause, type TaskPlan } from './service-plan.js';

/** The floor and the cap for `desired` tasks. */
export function bounds(service: ServiceRecord, desired: number) {
  const cfg = service.deploymentConfiguration;
  return {
    maxTasks: Math.floor((desired * (cfg.maximumPercent ?? 200)) / 100),
    minHealthy: Math.ceil((desired * (cfg.minimumHealthyPercent ?? 100)) / 100),
  };
}

/** True while launches of `deployment` must wait after repeated failures to start (ECS's throttle). */
export function throttled(deployment: DeploymentRecord, tasks: ServiceTaskRecord[], now: Date, settings: SchedulerSettings): boolean {
  const failures = failuresOf(deployment, tasks).filter((t) => t.startedAt === undefined);
  if (failures.length < 3) return false;
  const last = Math.max(...failures.map((t) => Date.parse(String(t.stoppedAt ?? 0))));
  const wait = Math.min(settings.throttleMaxMs, settings.throttleBaseMs * 2 ** (failures.length - 3));
  return now.getTime() < last + wait;
}

export function planReplica(service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView, settings: SchedulerSettings): TaskPlan {
  const plan = emptyPlan();
  const now = view.now;
  const primary = primaryOf(service);
  plan.lost = lostTasks(service, tasks, view);
  const superseded = new Set(plan.lost);
  const counted = tasks.filter((t) => isCounted(t) && !superseded.has(taskId(t)));
  const desired = service.status === 'ACTIVE' ? service.desiredCount : 0;
  const { maxTasks, minHealthy } = bounds(service, desired);
  const draining = (t: ServiceTaskRecord) => instanceOf(view, t)?.status === 'DRAINING';
  const isPrimary = (t: ServiceTaskRecord) => primary !== undefined && t.startedBy === primary.id;
  const stopping = new Set<ServiceTaskRecord>();
  const stop = (t: ServiceTaskRecord, cause: StopCause) => { stopping.add(t); plan.stops.push({ taskId: taskId(t), cause }); };

  // Tasks the floor does not protect stop at once.
  const keep: ServiceTaskRecord[] = [];
  for (const t of counted.filter(isLive)) {
    const status = instanceOf(view, t)?.status ?? 'INACTIVE';
    if (status === 'INACTIVE') stop(t, 'deregistered');
    else if (isUnhealthy(t, now, service.healthCheckGracePeriodSeconds ?? 0)) stop(t, 'unhealthy');
    else if (draining(t) && t.lastStatus !== 'RUNNING') stop(t, 'draining');
    else if (!isPrimary(t) && !view.healthy(t)) stop(t, 'scaling');
    else keep.push(t);
  }
  let wanted = keep.filter((t) => isPrimary(t) && !draining(t));
  const wantedSet = new Set(wanted); // a Set: keep and wanted hold every task of a big service
  const replace = keep.filter((t) => !wantedSet.has(t));

  // Surplus of the primary deployment (scale-in).
  if (wanted.length > desired) {
    const surplus = stopOrder(wanted, counted, view.healthy).slice(0, wanted.length - desired);
    for (const t of surplus) stop(t, 'scaling');
    wanted = wanted.filter((t) => !stopping.has(t));
  }

  // Starts, within the cap: every counted task holds its slot until it has STOPPED.
  const frozen = !primary || primary.rolloutState === 'FAILED' || service.status !== 'ACTIVE';
  const needed = Math.max(0, desired - wanted.length);
  const room = Math.max(0, maxTasks - counted.length);
  let start = frozen ? 0 : Math.min(needed, room);
  if (start > 0 && throttled(primary!, tasks, now, settings)) {
    start = 0;
    warn(plan, service, `${said(service)} is unable to consistently start tasks successfully.`, now);
  }
  if (start > 0) plan.starts.push({ deploymentId: primary!.id, count: start });

  // Replacements stop while the healthy count stays at or above the floor (draining ones first).
  const rolling = service.status !== 'ACTIVE' || primary?.rolloutState !== 'FAILED';
  let spare = keep.filter((t) => view.healthy(t) && !stopping.has(t)).length - minHealthy;
  const order = [...stopOrder(replace.filter(draining), counted, view.healthy),
    ...stopOrder(replace.filter((t) => !draining(t)), counted, view.healthy)];
  let replaced = 0;
  for (const t of rolling ? order : []) {
    if (spare <= 0) break;
    stop(t, draining(t) ? 'draining' : 'scaling');
    spare--;
    replaced++;
  }

  // Nothing can move: the deployment configuration allows neither a stop nor a start.
  const moving = counted.some((t) => !view.healthy(t) || t.desiredStatus === 'STOPPED');
  if (rolling && !frozen && replace.length > replaced && plan.stops.length === 0 && start === 0 && needed > 0 && room === 0 && !moving) {
    warn(plan, service, `${said(service)} was unable to stop or start tasks during a deployment because of the service deployment configuration. `
      + 'Update the minimumHealthyPercent or maximumPercent value and try again.', now);
  }
  return plan;
}

/** REPLICA steady state: exactly desiredCount healthy PRIMARY tasks on non-draining instances, and
 *  no other task of the service holding a slot. */
export function replicaConverged(service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView): boolean {
  const primary = primaryOf(service);
  const desired = service.status === 'ACTIVE' ? service.desiredCount : 0;
  const counted = tasks.filter((t) => isCounted(t) && instanceOf(view, t)?.lost !== true);
  return primary !== undefined && counted.length === desired && counted.every((t) =>
    t.startedBy === primary.id && view.healthy(t) && instanceOf(view, t)?.status !== 'DRAINING');
}
