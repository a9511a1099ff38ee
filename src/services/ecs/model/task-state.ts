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

/** The task after the report, or undefined when the report changes nothing. */
export function applyTaskReport(task: TaskRecord, report: TaskReport, now: Date): TaskRecord | undefined {
  if (task.lastStatus === 'STOPPED') return undefined;
  const before = JSON.stringify(task);
  const next: TaskRecord = { ...task, containers: (task.containers ?? []).map((c) => ({ ...c })) };
  for (const change of report.containers ?? []) {
    const container = next.containers!.find((c) => c.name === change.containerName);
    if (container) applyContainer(container, change);
  }
  next.pullStartedAt ??= report.pullStartedAt;
  next.pullStoppedAt ??= report.pullStoppedAt;
  if (report.status && statusRank(report.status) > statusRank(task.lastStatus)) {
    next.lastStatus = report.status as TaskRecord['lastStatus'];
    if (statusRank(report.status) >= statusRank('RUNNING') && !next.startedAt && report.status !== 'STOPPED') {
      next.startedAt = now;
      for (const c of next.containers!) if (c.lastStatus === 'PENDING') c.lastStatus = 'RUNNING';
    }
    if (report.status === 'STOPPED') stop(next, report, now);
  }
  return JSON.stringify(next) === before ? undefined : next;
}

function applyContainer(container: Container, change: ContainerStateChange) {
  if (containerRank(container.lastStatus) === containerRank('STOPPED')) return;
  if (change.status && containerRank(change.status) > containerRank(container.lastStatus)) container.lastStatus = change.status;
  if (change.exitCode !== undefined) container.exitCode = change.exitCode;
  if (change.reason) container.reason = /OutOfMemory|^OOM/i.test(change.reason) ? OOM_REASON : change.reason;
  if (change.networkBindings?.length) container.networkBindings = change.networkBindings.map(binding);
  if (change.runtimeId) container.runtimeId = change.runtimeId;
  if (change.imageDigest) container.imageDigest = change.imageDigest;
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
