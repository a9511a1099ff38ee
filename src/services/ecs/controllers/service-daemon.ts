// What the scheduler does to a DAEMON service's tasks: exactly one task of the PRIMARY deployment
// on every ACTIVE container instance that meets the service's placement constraints (the task
// definition's too). A new instance gets one; a DRAINING instance loses its daemon task once its
// other tasks have stopped (daemons stop last); an instance that no longer meets the constraints
// loses it at once. During a deployment an instance's old task stops first (within
// minimumHealthyPercent, default 0 %) and the new one starts when it has stopped. Lost instances
// (see service-lost.ts) are left alone and do not count.
import { compilePlacement, instanceFromRecord, queryTarget } from '../../../placement/index.js';
import { primaryOf, said, serviceGroup, type ServiceRecord } from '../model/service-model.js';
import { isCounted, isLive, isUnhealthy, type ServiceTaskRecord } from '../model/service-tasks.js';
import { instanceIdOf, taskId } from '../model/task-model.js';
import { instanceOf, type ClusterView, type InstanceView, type SchedulerSettings } from './cluster-view.js';
import { emptyPlan, warn, type StopCause, type TaskPlan } from './service-plan.js';
import { bounds, throttled } from './service-replica.js';

const onInstance = (t: ServiceTaskRecord, id: string) => t.containerInstanceArn !== undefined && instanceIdOf(t.containerInstanceArn) === id;

/** The instances a DAEMON service belongs on: ACTIVE, not lost, meeting its memberOf constraints. */
export function eligibleInstances(service: ServiceRecord, view: ClusterView): InstanceView[] {
  const primary = primaryOf(service);
  const def = primary && view.definitions.get(primary.taskDefinition);
  const { memberOf } = compilePlacement({ constraints: service.placementConstraints, definitionConstraints: def?.placementConstraints });
  const counted = view.tasks.filter(isCounted);
  return [...view.instances.values()].filter((inst) => {
    if (inst.status !== 'ACTIVE' || inst.lost) return false;
    if (memberOf.length === 0) return true;
    const target = queryTarget(instanceFromRecord(inst.record, {
      agentConnected: inst.connected, tasks: counted.filter((t) => onInstance(t, inst.id)),
    }));
    return memberOf.every((m) => m.query.test(target));
  }).sort((a, b) => a.id.localeCompare(b.id));
}

export function planDaemon(service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView, settings: SchedulerSettings): TaskPlan {
  const plan = emptyPlan();
  const now = view.now;
  const primary = primaryOf(service);
  const active = service.status === 'ACTIVE';
  const eligible = active ? eligibleInstances(service, view) : [];
  const eligibleIds = new Set(eligible.map((i) => i.id));
  const counted = tasks.filter((t) => isCounted(t) && instanceOf(view, t)?.lost !== true);
  const stopping = new Set<ServiceTaskRecord>();
  const stop = (t: ServiceTaskRecord, cause: StopCause) => { stopping.add(t); plan.stops.push({ taskId: taskId(t), cause }); };
  const group = serviceGroup(service.serviceName);
  const othersOn = (id: string) => view.tasks.some((t) => isCounted(t) && t.group !== group && onInstance(t, id));

  for (const t of counted.filter(isLive)) {
    const inst = instanceOf(view, t);
    if (!inst || inst.status === 'INACTIVE') stop(t, 'deregistered');
    else if (!active) stop(t, 'scaling');
    else if (inst.status === 'DRAINING') { if (!othersOn(inst.id)) stop(t, 'draining'); }
    else if (!eligibleIds.has(inst.id)) stop(t, 'constraint');
    else if (isUnhealthy(t, now, service.healthCheckGracePeriodSeconds ?? 0)) stop(t, 'unhealthy');
  }

  const frozen = !primary || primary.rolloutState === 'FAILED' || !active;
  const { minHealthy } = bounds(service, eligible.length);
  let spare = counted.filter((t) => view.healthy(t) && !stopping.has(t)).length - minHealthy;
  const startOn: string[] = [];
  for (const inst of eligible) {
    const here = counted.filter((t) => onInstance(t, inst.id) && !stopping.has(t));
    const mine = here.filter((t) => isLive(t) && t.startedBy === primary?.id);
    for (const extra of mine.slice(1)) stop(extra, 'scaling');
    for (const old of here.filter((t) => isLive(t) && t.startedBy !== primary?.id)) {
      if (frozen) continue;
      if (!view.healthy(old)) stop(old, 'scaling');
      else if (spare > 0) { stop(old, 'scaling'); spare--; }
    }
    if (!frozen && here.length === 0) startOn.push(inst.id);
  }
  if (startOn.length && throttled(primary!, tasks, now, settings)) {
    warn(plan, service, `${said(service)} is unable to consistently start tasks successfully.`, now);
  } else if (startOn.length) {
    plan.starts.push({ deploymentId: primary!.id, count: startOn.length, instanceIds: startOn });
  }
  return plan;
}

/** DAEMON steady state: one healthy PRIMARY task on each eligible instance and nothing else. */
export function daemonConverged(service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView): boolean {
  const primary = primaryOf(service);
  const eligible = service.status === 'ACTIVE' ? eligibleInstances(service, view) : [];
  const counted = tasks.filter((t) => isCounted(t) && instanceOf(view, t)?.lost !== true);
  return primary !== undefined && counted.length === eligible.length && eligible.every((inst) => {
    const here = counted.filter((t) => onInstance(t, inst.id));
    return here.length === 1 && here[0].startedBy === primary.id && view.healthy(here[0]);
  });
}
