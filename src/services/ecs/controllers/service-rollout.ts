// The state a service moves through, as a pure function of the view: the next service record
// (the same object when nothing changes). In order:
//
// - DAEMON: desiredCount follows the number of eligible instances.
// - DRAINING → INACTIVE once every task has reached STOPPING or STOPPED (or was superseded).
// - Circuit breaker: the PRIMARY deployment's consecutive failed tasks (failed to start, essential
//   container exited, failed health checks) reaching the threshold make it FAILED ("deployment
//   failed: tasks failed to start."); with rollback the most recent COMPLETED deployment's
//   configuration returns as a new PRIMARY deployment ("rolling back to deployment …"). A
//   rollback that fails is not rolled back again. With resetOnHealthyTask (default true) a task
//   that becomes healthy resets the count.
// - Completion: the PRIMARY deployment reaching a steady state becomes COMPLETED
//   ("(deployment …) deployment completed."); older deployments without tasks become INACTIVE.
// - "has reached a steady state." when the service gets there, and every 6 hours while it stays.
import type { Ids } from '../../../common/ids.js';
import {
  newDeployment, primaryOf, pushDeployment, REPEAT_EVENT_MS, said, withEvents, type DeploymentRecord, type ServiceRecord,
} from '../model/service-model.js';
import {
  breakerThreshold, failuresOf, isCounted, type ServiceTaskRecord,
} from '../model/service-tasks.js';
import { statusRank } from '../model/task-model.js';
import type { ClusterView } from './cluster-view.js';
import { daemonConverged, eligibleInstances } from './service-daemon.js';
import { replicaConverged } from './service-replica.js';

export const BREAKER_REASON = 'ECS deployment circuit breaker: tasks failed to start.';

export function advance(service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView, ids: Ids): ServiceRecord {
  const now = view.now.toISOString();
  const events: string[] = [];
  let s = service;
  if (s.schedulingStrategy === 'DAEMON' && s.status === 'ACTIVE') {
    const eligible = eligibleInstances(s, view).length;
    if (eligible !== s.desiredCount) s = { ...s, desiredCount: eligible };
  }
  if (s.status === 'DRAINING') return drained(tasks) ? inactive(s, now) : s;
  if (s.status !== 'ACTIVE') return s;

  s = resetBreakers(s, tasks, view);
  s = breaker(s, tasks, ids, now, events);
  const converged = s.schedulingStrategy === 'DAEMON' ? daemonConverged(s, tasks, view) : replicaConverged(s, tasks, view);
  const primary = primaryOf(s);
  if (primary && primary.rolloutState === 'IN_PROGRESS' && converged) s = complete(s, primary, now, events);
  s = retireEmpty(s, tasks, now, primaryOf(s)?.rolloutState === 'COMPLETED');

  const steady = converged && primaryOf(s)?.rolloutState === 'COMPLETED' && s.deployments.every((d) => d.status !== 'ACTIVE');
  if (steady && (!s.steadyAt || !s.steadyEventAt || view.now.getTime() - Date.parse(s.steadyEventAt) >= REPEAT_EVENT_MS)) {
    events.push(`${said(s)} has reached a steady state.`);
    s = { ...s, steadyAt: s.steadyAt ?? now, steadyEventAt: now };
  } else if (!steady && s.steadyAt) {
    s = { ...s, steadyAt: undefined };
  }
  return withEvents(s, events, ids, now);
}

/** Every task has reached STOPPING (or beyond), or was superseded by the lost-agent policy. */
const drained = (tasks: ServiceTaskRecord[]) =>
  tasks.every((t) => !isCounted(t) || statusRank(t.lastStatus) >= statusRank('STOPPING'));

function inactive(s: ServiceRecord, now: string): ServiceRecord {
  const deployments = s.deployments.map((d): DeploymentRecord => {
    if (d.status === 'INACTIVE') return d;
    const unfinished = d.deploymentStatus === 'IN_PROGRESS' || d.deploymentStatus === 'PENDING';
    return { ...d, status: 'INACTIVE', updatedAt: now,
      ...(unfinished ? { deploymentStatus: 'STOPPED' as const, stoppedAt: now, statusReason: 'The service was deleted.' } : {}) };
  });
  return { ...s, status: 'INACTIVE', deployments, steadyAt: undefined };
}

/** resetOnHealthyTask (default true): a deployment's failure count restarts from its newest healthy task. */
function resetBreakers(s: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView): ServiceRecord {
  if (s.deploymentConfiguration.deploymentCircuitBreaker?.resetOnHealthyTask === false) return s;
  let changed = false;
  const deployments = s.deployments.map((d) => {
    if (d.status === 'INACTIVE') return d;
    // The newest start in one pass (no sort, one Date per task): this runs on every scheduler pass.
    let newest = -Infinity;
    for (const t of tasks) {
      if (t.startedBy !== d.id || !t.startedAt || !view.healthy(t)) continue;
      const at = Date.parse(String(t.startedAt));
      if (at > newest) newest = at;
    }
    const latest = newest === -Infinity ? undefined : new Date(newest).toISOString();
    if (!latest || (d.breakerResetAt && d.breakerResetAt >= latest)) return d;
    changed = true;
    return { ...d, breakerResetAt: latest };
  });
  return changed ? { ...s, deployments } : s;
}

function breaker(s: ServiceRecord, tasks: ServiceTaskRecord[], ids: Ids, now: string, events: string[]): ServiceRecord {
  const primary = primaryOf(s);
  const config = s.deploymentConfiguration.deploymentCircuitBreaker;
  if (!primary || primary.rolloutState !== 'IN_PROGRESS' || !config?.enable) return s;
  if (failuresOf(primary, tasks).length < breakerThreshold(s.deploymentConfiguration, s.desiredCount)) return s;
  events.push(`${said(s)} (deployment ${primary.id}) deployment failed: tasks failed to start.`);
  const failed: DeploymentRecord = { ...primary, rolloutState: 'FAILED', rolloutStateReason: BREAKER_REASON, updatedAt: now };
  const target = config.rollback && !primary.rollbackOf
    ? s.deployments.filter((d) => d.id !== primary.id && d.rolloutState === 'COMPLETED').sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
    : undefined;
  if (!target) {
    Object.assign(failed, primary.rollbackOf
      ? { deploymentStatus: 'ROLLBACK_FAILED', finishedAt: now }
      : { deploymentStatus: 'STOPPED', stoppedAt: now, statusReason: BREAKER_REASON });
    const rolledBack = primary.rollbackOf
      ? s.deployments.map((d) => (d.id === primary.rollbackOf ? { ...d, deploymentStatus: 'ROLLBACK_FAILED' as const, finishedAt: now, updatedAt: now } : d))
      : s.deployments;
    return { ...s, deployments: rolledBack.map((d) => (d.id === primary.id ? failed : d)) };
  }
  Object.assign(failed, { deploymentStatus: 'ROLLBACK_IN_PROGRESS',
    rollback: { reason: BREAKER_REASON, startedAt: now, serviceRevisionId: target.serviceRevisionId } });
  const revision = {
    taskDefinition: target.taskDefinition, launchType: target.launchType, capacityProviderStrategy: target.capacityProviderStrategy,
    platformVersion: target.platformVersion, networkConfiguration: target.networkConfiguration, loadBalancers: target.loadBalancers,
    serviceRegistries: target.serviceRegistries,
  };
  const back = newDeployment(ids, now, revision, s.deploymentConfiguration,
    { sourceRevisionIds: [primary.serviceRevisionId], rollbackOf: failed, reuseRevisionId: target.serviceRevisionId });
  back.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${target.id}.`;
  events.push(`${said(s)} rolling back to deployment ${target.id}.`);
  const next: ServiceRecord = { ...s, ...revision, loadBalancers: revision.loadBalancers ?? [], serviceRegistries: revision.serviceRegistries ?? [],
    deployments: s.deployments.map((d) => (d.id === primary.id ? failed : d)) };
  return { ...next, deployments: pushDeployment(next, back, now) };
}

function complete(s: ServiceRecord, primary: DeploymentRecord, now: string, events: string[]): ServiceRecord {
  events.push(`${said(s)} (deployment ${primary.id}) deployment completed.`);
  const deployments = s.deployments.map((d): DeploymentRecord => {
    if (d.id === primary.id) {
      return { ...d, rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${d.id} completed.`, updatedAt: now,
        deploymentStatus: 'SUCCESSFUL', finishedAt: now };
    }
    if (primary.rollbackOf && d.id === primary.rollbackOf) return { ...d, deploymentStatus: 'ROLLBACK_SUCCESSFUL', finishedAt: now, updatedAt: now };
    return d;
  });
  return { ...s, deployments };
}

/** Older deployments whose tasks have all stopped (or were superseded) leave the list; a FAILED
 *  one stays in view until the deployment that replaced it has completed. */
function retireEmpty(s: ServiceRecord, tasks: ServiceTaskRecord[], now: string, primaryCompleted: boolean): ServiceRecord {
  let changed = false;
  const deployments = s.deployments.map((d): DeploymentRecord => {
    if (d.status !== 'ACTIVE' || (d.rolloutState === 'FAILED' && !primaryCompleted)) return d;
    if (tasks.some((t) => t.startedBy === d.id && isCounted(t))) return d;
    changed = true;
    const unfinished = d.deploymentStatus === 'IN_PROGRESS' || d.deploymentStatus === 'PENDING';
    return { ...d, status: 'INACTIVE', updatedAt: now, ...(unfinished ? { deploymentStatus: 'STOPPED' as const, stoppedAt: now } : {}) };
  });
  return changed ? { ...s, deployments } : s;
}
