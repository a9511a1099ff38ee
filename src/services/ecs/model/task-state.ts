// What an agent's state report does to a task (SubmitTaskStateChange / SubmitContainerStateChange):
// statuses only move forward (a stale or duplicate report changes nothing, a STOPPED task never
// comes back), timestamps are set once, and reaching STOPPED fixes stopCode/stoppedReason:
// UserInitiated (or any code a scheduler already set) is kept; a task that never ran is
// TaskFailedToStart; otherwise its essential container exited.
import type { Container, ContainerStateChange, NetworkBinding } from '@aws-sdk/client-ecs';
import type { TaskHealth } from '../../../protocol/acs.js';
import type { TaskRecord } from './common.js';
import { ESSENTIAL_EXITED, OOM_REASON, statusRank } from './task-model.js';

export interface TaskReport {
  status?: string;
  reason?: string;
  containers?: ContainerStateChange[];
  pullStartedAt?: Date;
  pullStoppedAt?: Date;
  executionStoppedAt?: Date;
}

const CONTAINER_STATUSES = ['PENDING', 'RUNNING', 'STOPPED'];
const containerRank = (s: string | undefined) => CONTAINER_STATUSES.indexOf(s ?? '');

/** The task after the report, or undefined when the report changes nothing. Every report of
 *  every agent comes here, so what changed is tracked field by field rather than by comparing the
 *  record's JSON before and after. */
export function applyTaskReport(task: TaskRecord, report: TaskReport, now: Date): TaskRecord | undefined {
  if (task.lastStatus === 'STOPPED') return undefined;
  const next: TaskRecord = { ...task, containers: (task.containers ?? []).map((c) => ({ ...c })) };
  let changed = false;
  for (const change of report.containers ?? []) {
    const container = next.containers!.find((c) => c.name === change.containerName);
    if (container && applyContainer(container, change)) changed = true;
  }
  if (next.pullStartedAt === undefined && report.pullStartedAt !== undefined) { next.pullStartedAt = report.pullStartedAt; changed = true; }
  if (next.pullStoppedAt === undefined && report.pullStoppedAt !== undefined) { next.pullStoppedAt = report.pullStoppedAt; changed = true; }
  if (report.status && statusRank(report.status) > statusRank(task.lastStatus)) {
    changed = true;
    next.lastStatus = report.status as TaskRecord['lastStatus'];
    if (statusRank(report.status) >= statusRank('RUNNING') && !next.startedAt && report.status !== 'STOPPED') {
      next.startedAt = now;
      for (const c of next.containers!) if (c.lastStatus === 'PENDING') c.lastStatus = 'RUNNING';
    }
    if (report.status === 'STOPPED') stop(next, report, now);
  }
  return changed ? next : undefined;
}

/** Applies one container's change; true if it changed anything. */
function applyContainer(container: Container, change: ContainerStateChange): boolean {
  if (containerRank(container.lastStatus) === containerRank('STOPPED')) return false;
  let changed = false;
  const set = <K extends keyof Container>(key: K, value: Container[K]) => {
    if (container[key] !== value) { container[key] = value; changed = true; }
  };
  if (change.status && containerRank(change.status) > containerRank(container.lastStatus)) set('lastStatus', change.status);
  if (change.exitCode !== undefined) set('exitCode', change.exitCode);
  if (change.reason) set('reason', /OutOfMemory|^OOM/i.test(change.reason) ? OOM_REASON : change.reason);
  if (change.networkBindings?.length) {
    const bindings = change.networkBindings.map(binding);
    if (JSON.stringify(bindings) !== JSON.stringify(container.networkBindings)) { container.networkBindings = bindings; changed = true; }
  }
  if (change.runtimeId) set('runtimeId', change.runtimeId);
  if (change.imageDigest) set('imageDigest', change.imageDigest);
  return changed;
}

const binding = (b: NetworkBinding): NetworkBinding => ({
  bindIP: b.bindIP ?? '0.0.0.0', containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol ?? 'tcp',
});

function stop(task: TaskRecord, report: TaskReport, now: Date) {
  task.desiredStatus = 'STOPPED';
  task.stoppedAt = now;
  task.executionStoppedAt = report.executionStoppedAt ?? task.executionStoppedAt ?? now;
  task.stoppingAt ??= now;
  const ran = task.startedAt !== undefined || task.containers!.some((c) => c.exitCode !== undefined);
  for (const c of task.containers!) c.lastStatus = 'STOPPED';
  if (task.stopCode) return;
  if (!ran) {
    task.stopCode = 'TaskFailedToStart';
    task.stoppedReason = report.reason || task.containers!.find((c) => c.reason)?.reason || 'Task failed to start';
  } else {
    task.stopCode = 'EssentialContainerExited';
    task.stoppedReason = report.reason || ESSENTIAL_EXITED;
  }
}

/** The task after a TaskHealthRequest entry (the agent's health checks), or undefined for no change.
 *  Health of a STOPPED task is frozen. */
export function applyHealth(task: TaskRecord, health: TaskHealth): TaskRecord | undefined {
  if (task.lastStatus === 'STOPPED' || !HEALTH.includes(health.healthStatus)) return undefined;
  const containers = (task.containers ?? []).map((c) => {
    const h = health.containers?.find((x) => x.containerName === c.name)?.healthStatus;
    return h && HEALTH.includes(h) ? { ...c, healthStatus: h } : c;
  });
  const next: TaskRecord = { ...task, healthStatus: health.healthStatus, containers };
  return JSON.stringify(next) === JSON.stringify(task) ? undefined : next;
}

const HEALTH: readonly string[] = ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'];
