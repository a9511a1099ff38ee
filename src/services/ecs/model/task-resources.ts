// What a task needs from a container instance (CPU units, MiB, fixed host ports) and the arithmetic
// on an instance's remainingResources: take when placed, give back when the task has STOPPED.
import type { TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';
import type { ContainerInstanceRecord, TaskReservation } from './common.js';
import { releaseResources, reserveResources, whyNotFit } from './container-instance-resources.js';
import { containerLimits, cpuUnits, memoryMiB, overrideFor } from './task-model.js';

export interface TaskNeeds { cpu: number; memory: number; ports: number[]; portsUdp: number[] }

/** Task-level cpu/memory when set (overrides win), else the sum over containers (memoryReservation
 *  before memory, as ECS reserves the soft limit). Host ports: fixed ones only — bridge hostPort 0
 *  or unset is dynamic (the agent picks a free one); host mode uses the containerPort; awsvpc/none
 *  take no host ports. */
export function taskNeeds(def: TaskDefinition, overrides?: TaskOverride): TaskNeeds {
  const containers = def.containerDefinitions ?? [];
  const limits = containers.map((c) => containerLimits(c, overrideFor(overrides, c.name)));
  const cpu = cpuUnits(overrides?.cpu ?? def.cpu) ?? limits.reduce((sum, l) => sum + l.cpu, 0);
  const memory = memoryMiB(overrides?.memory ?? def.memory) ?? limits.reduce((sum, l) => sum + (l.memoryReservation ?? l.memory ?? 0), 0);
  const ports: number[] = [];
  const portsUdp: number[] = [];
  const mode = def.networkMode ?? 'bridge';
  if (mode === 'bridge' || mode === 'host') {
    for (const c of containers) {
      for (const m of c.portMappings ?? []) {
        const hostPort = mode === 'host' ? m.hostPort || m.containerPort : m.hostPort;
        if (!hostPort) continue;
        (m.protocol === 'udp' ? portsUdp : ports).push(hostPort);
      }
    }
  }
  return { cpu, memory, ports, portsUdp };
}

/** Why the instance cannot take the task (ECS's failure reason; UDP port clashes are PORTS too),
 *  or undefined if it fits. The arithmetic is container-instance-resources.ts's. */
export function misfit(instance: ContainerInstanceRecord, needs: TaskNeeds): string | undefined {
  const why = whyNotFit(instance.remainingResources, needs);
  return why && `RESOURCE:${why === 'PORTS_UDP' ? 'PORTS' : why}`;
}

/** The instance with the task's reservation taken from (sign 1) or given back to (sign -1) it. */
export function applyReservation(instance: ContainerInstanceRecord, r: TaskReservation, sign: 1 | -1): ContainerInstanceRecord {
  const remaining = instance.remainingResources ?? [];
  return {
    ...instance,
    version: (instance.version ?? 0) + 1,
    remainingResources: sign === 1 ? reserveResources(remaining, r) : releaseResources(remaining, r, instance.registeredResources ?? []),
  };
}
