// What the agent knows about each task and container: plain JSON, persisted in the state dir
// after every change so a restarted agent picks up where it left off (no orphan, no duplicate).
// Statuses follow the ECS agent's: a task is NONE → PULLED → RUNNING → STOPPED and never goes back.
import type { ContainerStateChange, NetworkBinding, SubmitTaskStateChangeRequest } from '@aws-sdk/client-ecs';
import type { AcsTask, HealthStatus, TaskHealth } from '../protocol/acs.js';

export type ContainerKnown = 'NONE' | 'CREATED' | 'RUNNING' | 'STOPPED';
export type TaskKnown = 'NONE' | 'PULLED' | 'RUNNING' | 'STOPPED';
export type { HealthStatus };

export interface ContainerState {
  name: string;
  /** ecs-<family>-<rev>-<name>-<task id>. */
  runtimeName: string;
  runtimeId?: string;
  known: ContainerKnown;
  essential: boolean;
  /** Set once the container has been started (a STOPPED container may never have run). */
  everStarted: boolean;
  exitCode?: number;
  reason?: string;
  health?: HealthStatus;
  hasHealthCheck: boolean;
  bindings: NetworkBinding[];
  /** The container's task metadata endpoint token. */
  token: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface TaskState {
  arn: string;
  desired: AcsTask;
  known: TaskKnown;
  /** The agent decided to stop the task (essential exit, start failure): why. */
  stopReason?: string;
  /** The task failed before it ever ran (ECS stop code TaskFailedToStart). */
  failedToStart?: boolean;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  executionStoppedAt?: string;
  /** When the task's containers began waiting for their dependencies (startTimeout). */
  waitingSince?: string;
  containers: ContainerState[];
}

/** ECS's status for a task, as SubmitTaskStateChange carries it. */
export const taskStatus = (t: TaskState) => (t.known === 'RUNNING' ? 'RUNNING' : t.known === 'STOPPED' ? 'STOPPED' : 'PENDING');
export const containerStatus = (c: ContainerState) => (c.known === 'RUNNING' ? 'RUNNING' : c.known === 'STOPPED' ? 'STOPPED' : 'PENDING');

/** The task's reason to be stopped: the agent's own, else the server's. */
export const stoppedReason = (t: TaskState) => t.stopReason ?? t.desired.stoppedReason;

/** Task health as ECS computes it: UNHEALTHY if any essential container is, HEALTHY if every
 *  essential container with a health check is, UNKNOWN otherwise (no checks, or still starting). */
export function taskHealth(t: TaskState): HealthStatus {
  const checked = t.containers.filter((c) => c.essential && c.hasHealthCheck);
  if (checked.length === 0) return 'UNKNOWN';
  if (checked.some((c) => c.health === 'UNHEALTHY')) return 'UNHEALTHY';
  return checked.every((c) => c.health === 'HEALTHY') ? 'HEALTHY' : 'UNKNOWN';
}

/** The TaskHealthRequest entry of a task, or undefined when none of its containers has a health check. */
export function healthOf(t: TaskState): TaskHealth | undefined {
  if (!t.containers.some((c) => c.hasHealthCheck)) return undefined;
  return {
    taskArn: t.arn,
    healthStatus: taskHealth(t),
    containers: t.containers.filter((c) => c.hasHealthCheck).map((c) => ({ containerName: c.name, healthStatus: c.health ?? 'UNKNOWN' })),
  };
}

export function containerChange(c: ContainerState): ContainerStateChange {
  return {
    containerName: c.name,
    runtimeId: c.runtimeId,
    status: containerStatus(c),
    exitCode: c.exitCode,
    reason: c.reason,
    networkBindings: c.known === 'RUNNING' || c.known === 'STOPPED' ? c.bindings : undefined,
  };
}

/** The SubmitTaskStateChange that reports a task as it stands. */
export function taskChange(t: TaskState, cluster: string): SubmitTaskStateChangeRequest {
  const date = (s?: string) => (s ? new Date(s) : undefined);
  return {
    cluster,
    task: t.arn,
    status: taskStatus(t),
    reason: t.known === 'STOPPED' ? stoppedReason(t) : undefined,
    containers: t.containers.map(containerChange),
    pullStartedAt: date(t.pullStartedAt),
    pullStoppedAt: date(t.pullStoppedAt),
    executionStoppedAt: date(t.executionStoppedAt),
  };
}

export const isActive = (t: TaskState) => t.known !== 'STOPPED';
