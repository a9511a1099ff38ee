// A service's tasks as the scheduler and DescribeServices see them. Pure functions of task records:
// which tasks belong to a service, which occupy a slot, which are healthy, which failed (for the
// circuit breaker), and the live counts.
//
// A task "superseded" by the lost-agent policy (its instance's agent was silent too long, see
// src/services/ecs/controllers/service-lost.ts) keeps running where it is until its agent returns and stops it,
// but no longer counts for anything: a replacement runs elsewhere.
import type { DeploymentConfiguration, TaskDefinition } from '@aws-sdk/client-ecs';
import type { TaskRecord } from './common.js';
import { serviceGroup, type DeploymentRecord, type ServiceRecord } from './service-model.js';
import { PENDING_STATUSES } from './task-model.js';

/** A task record with the scheduler's own bookkeeping. */
export interface ServiceTaskRecord extends TaskRecord {
  /** Set (ISO) when the lost-agent policy replaced this task elsewhere. */
  supersededAt?: string;
}

export const UNHEALTHY_REASON = 'Task failed container health checks';
export const SCHEDULER_STOP_CODE = 'ServiceSchedulerInitiated';

/** The tasks a service started: its group, and the startedBy of one of its deployments. */
export function tasksOf(service: ServiceRecord, all: ServiceTaskRecord[]): ServiceTaskRecord[] {
  const group = serviceGroup(service.serviceName);
  const ids = new Set(service.deployments.map((d) => d.id));
  return all.filter((t) => t.group === group && t.startedBy !== undefined && ids.has(t.startedBy));
}

export const isStopped = (t: TaskRecord) => t.lastStatus === 'STOPPED';
/** Occupies a slot of the service: not STOPPED yet, not superseded. */
export const isCounted = (t: ServiceTaskRecord) => !isStopped(t) && t.supersededAt === undefined;
/** Counted and still wanted (desiredStatus RUNNING). */
export const isLive = (t: ServiceTaskRecord) => isCounted(t) && t.desiredStatus !== 'STOPPED';
/** Counted, but asked to stop and not stopped yet. */
export const isStopping = (t: ServiceTaskRecord) => isCounted(t) && t.desiredStatus === 'STOPPED';

/** True when an essential container of the definition has a health check (the task's health
 *  then comes from the checks; without one it stays UNKNOWN). */
export const hasHealthChecks = (def: TaskDefinition | undefined) =>
  (def?.containerDefinitions ?? []).some((c) => c.essential !== false && c.healthCheck !== undefined);

/** RUNNING, and HEALTHY when the task has container health checks (`checked`). */
export function isHealthy(t: ServiceTaskRecord, checked: boolean): boolean {
  if (!isLive(t) || t.lastStatus !== 'RUNNING' || t.healthStatus === 'UNHEALTHY') return false;
  return !checked || t.healthStatus === 'HEALTHY';
}

/** RUNNING and UNHEALTHY once the health check grace period since it started has passed. */
export function isUnhealthy(t: ServiceTaskRecord, now: Date, graceSeconds = 0): boolean {
  if (!isLive(t) || t.lastStatus !== 'RUNNING' || t.healthStatus !== 'UNHEALTHY') return false;
  const started = t.startedAt ? Date.parse(String(t.startedAt)) : 0;
  return now.getTime() - started >= graceSeconds * 1000;
}

/** A task that stopped without anyone asking: it failed to start, its essential container exited,
 *  or the scheduler stopped it for failing its health checks. */
export function isFailure(t: ServiceTaskRecord): boolean {
  if (!isStopped(t) || t.supersededAt !== undefined) return false;
  return t.stopCode === 'TaskFailedToStart' || t.stopCode === 'EssentialContainerExited' || t.stoppedReason === UNHEALTHY_REASON;
}

const time = (v: unknown) => (v === undefined || v === null ? NaN : Date.parse(String(v)));

/** Failed tasks of a deployment since its breaker was last reset (ECS's failedTasks: consecutive failures). */
export function failuresOf(deployment: DeploymentRecord, tasks: ServiceTaskRecord[]): ServiceTaskRecord[] {
  const reset = deployment.breakerResetAt ? Date.parse(deployment.breakerResetAt) : -Infinity;
  return tasks.filter((t) => t.startedBy === deployment.id && isFailure(t) && !(time(t.stoppedAt) <= reset));
}

/** The circuit breaker's failure threshold. Classic: 0.5 × desired count, at least 3 and at most
 *  200; thresholdConfiguration: BOUNDED_PERCENT (default, 50) the same with its percentage,
 *  UNBOUNDED_PERCENT without the bounds (at least 1), COUNT the value itself. Rounded up. */
export function breakerThreshold(config: DeploymentConfiguration, desiredCount: number): number {
  const t = config.deploymentCircuitBreaker?.thresholdConfiguration;
  const type = t?.type ?? 'BOUNDED_PERCENT';
  const value = t?.value ?? 50;
  if (type === 'COUNT') return Math.max(1, value);
  const raw = Math.ceil((value * desiredCount) / 100);
  return type === 'UNBOUNDED_PERCENT' ? Math.max(1, raw) : Math.min(200, Math.max(3, raw));
}

export interface LiveCounts { running: number; pending: number }

/** RUNNING / pending (PROVISIONING, PENDING, ACTIVATING) tasks among `tasks`, superseded ones excluded. */
export function liveCounts(tasks: ServiceTaskRecord[]): LiveCounts {
  let running = 0, pending = 0;
  for (const t of tasks) {
    if (!isCounted(t)) continue;
    if (t.lastStatus === 'RUNNING') running++;
    else if (PENDING_STATUSES.includes(t.lastStatus ?? '')) pending++;
  }
  return { running, pending };
}
