// How a stored container instance looks on the wire. Pure: anyone holding a record (describe,
// the scheduler, the agent API, events) renders it the same way, with the same notion of
// "agent connected".
import type { ContainerInstance, ContainerInstanceHealthStatus } from '@aws-sdk/client-ecs';
import type { ContainerInstanceRecord } from './common.js';

/** Tasks on one instance (see container-instance-store.ts taskCountsByInstance). */
export interface InstanceTaskCounts { running: number; pending: number }

export interface RenderOptions {
  /** DescribeContainerInstances' include: TAGS, CONTAINER_INSTANCE_HEALTH. Default: TAGS. */
  include?: readonly string[];
  /** Live task counts; without them the record's stored counts (or 0) are shown. */
  counts?: InstanceTaskCounts;
}

/** True iff the instance is registered (not INACTIVE) and its agent was heard from within the
 *  grace period: lastHeartbeatAt ≥ now − graceSeconds. */
export function isAgentConnected(record: ContainerInstanceRecord, now: Date, graceSeconds: number): boolean {
  if (record.status === 'INACTIVE' || !record.lastHeartbeatAt) return false;
  const last = Date.parse(record.lastHeartbeatAt);
  return Number.isFinite(last) && now.getTime() - last <= graceSeconds * 1000;
}

/** The instance's health as ECS reports it: OK while the agent is connected, else INSUFFICIENT_DATA. */
export function instanceHealth(record: ContainerInstanceRecord, now: Date, graceSeconds: number): ContainerInstanceHealthStatus {
  const status = isAgentConnected(record, now, graceSeconds) ? 'OK' : 'INSUFFICIENT_DATA';
  const lastUpdated = (record.lastHeartbeatAt ?? record.registeredAt) as unknown as Date | undefined;
  return {
    overallStatus: status,
    details: [{ type: 'CONTAINER_RUNTIME', status, lastUpdated, lastStatusChange: lastUpdated }],
  };
}

/** The ContainerInstance ECS returns for a record; internal fields are dropped. */
export function renderContainerInstance(record: ContainerInstanceRecord, now: Date, graceSeconds: number,
  options: RenderOptions = {}): ContainerInstance {
  const { lastHeartbeatAt: _h, agentIp: _ip, platformDevices: _d, tags, healthStatus: _s, ...base } = record;
  const include = options.include ?? ['TAGS'];
  return {
    ...base,
    agentConnected: isAgentConnected(record, now, graceSeconds),
    runningTasksCount: options.counts?.running ?? record.runningTasksCount ?? 0,
    pendingTasksCount: options.counts?.pending ?? record.pendingTasksCount ?? 0,
    attributes: record.attributes ?? [],
    tags: include.includes('TAGS') ? tags ?? [] : undefined,
    healthStatus: include.includes('CONTAINER_INSTANCE_HEALTH') ? instanceHealth(record, now, graceSeconds) : undefined,
  };
}
