// Adapters from ECS's shapes (a stored container instance, the tasks on it) to the engine's
// snapshot, so RunTask, services and ListContainerInstances build snapshots the same way.
import type { ContainerInstance, Resource, Task } from '@aws-sdk/client-ecs';
import type { QueryTarget } from './query/index.js';
import type { PlacementInstance } from './types.js';
import { WorkingInstance } from './working.js';

const integer = (resources: Resource[] | undefined, name: string) => resources?.find((r) => r.name === name)?.integerValue ?? 0;
/** remainingResources' PORTS / PORTS_UDP list the ports that are TAKEN (see container-instance-resources.ts). */
const ports = (resources: Resource[] | undefined, name: string) =>
  (resources?.find((r) => r.name === name)?.stringSetValue ?? []).map(Number).filter(Number.isInteger);

/**
 * One container instance (a ContainerInstance or a stored record) as placement sees it.
 * `agentConnected` is the caller's judgement (heartbeat and grace period); `tasks` are the
 * instance's PENDING and RUNNING tasks (their `group` is what spread and task:group read).
 */
export function instanceFromRecord(record: ContainerInstance, options: {
  agentConnected: boolean;
  tasks?: readonly Pick<Task, 'group' | 'taskArn'>[];
}): PlacementInstance {
  const remaining = record.remainingResources;
  return {
    arn: record.containerInstanceArn ?? '',
    ec2InstanceId: record.ec2InstanceId,
    status: record.status ?? 'ACTIVE',
    agentConnected: options.agentConnected,
    attributes: record.attributes ?? [],
    remainingCpu: integer(remaining, 'CPU'),
    remainingMemory: integer(remaining, 'MEMORY'),
    usedTcpPorts: ports(remaining, 'PORTS'),
    usedUdpPorts: ports(remaining, 'PORTS_UDP'),
    runningTasksCount: record.runningTasksCount ?? 0,
    // Records keep timestamps as ISO strings; SDK objects as Dates. Both are accepted.
    registeredAt: record.registeredAt as unknown as string | Date | undefined,
    agentVersion: record.versionInfo?.agentVersion,
    tasks: (options.tasks ?? []).map((t) => ({
      group: t.group,
      id: t.taskArn?.slice(t.taskArn.lastIndexOf('/') + 1),
      serviceName: t.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined,
    })),
  };
}

/** The instance as the cluster query language reads it (ListContainerInstances' filter). */
export function queryTarget(instance: PlacementInstance): QueryTarget {
  return new WorkingInstance(0, instance);
}
