// RegisterTaskDefinition's checks, in ECS's words where AWS's message is known (ClientException,
// the code ECS uses for task definition content). Runs on the normalized draft, before anything is
// written, so a rejected request changes nothing.
import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import { clientException } from './common.js';
import { fargateIncompatibility } from './task-definition-compat.js';

const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;
const CONTAINER_NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const VOLUME_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export function checkFamily(family: string) {
  if (!FAMILY.test(family)) {
    throw clientException(`Invalid family '${family}': up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`);
  }
}

/** ECS's size limit for a task definition: 64 KiB, measured on the request as JSON. */
export const MAX_TASK_DEFINITION_BYTES = 65_536;

export function checkSize(input: object) {
  const bytes = Buffer.byteLength(JSON.stringify(input));
  if (bytes > MAX_TASK_DEFINITION_BYTES) throw clientException(`Actual length: '${bytes}'. Max allowed length is '${MAX_TASK_DEFINITION_BYTES}' bytes.`);
}

/** Task-level cpu as ECS stores it: CPU units ("1024"); accepts "1 vCPU" / "0.25 vcpu" like ECS. */
export function normalizeTaskCpu(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let units = NaN;
  if (/^\d+$/.test(v)) units = Number(v);
  else {
    const m = /^(\d+(?:\.\d+)?)\s*vcpus?$/i.exec(v);
    if (m) units = Number(m[1]) * 1024;
  }
  if (!Number.isInteger(units) || units <= 0) throw clientException(`Invalid 'cpu' setting for task: '${value}'. Use CPU units (for example 1024) or vCPUs (for example 1 vCPU).`);
  return String(units);
}

/** Task-level memory as ECS stores it: MiB ("2048"); accepts "2 GB" / "0.5GB" like ECS. */
export function normalizeTaskMemory(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let mib = NaN;
  if (/^\d+$/.test(v)) mib = Number(v);
  else {
    const m = /^(\d+(?:\.\d+)?)\s*gb$/i.exec(v);
    if (m) mib = Number(m[1]) * 1024;
  }
  if (!Number.isInteger(mib) || mib <= 0) throw clientException(`Invalid 'memory' setting for task: '${value}'. Use MiB (for example 2048) or GB (for example 2 GB).`);
  return String(mib);
}

/** Every content rule of RegisterTaskDefinition, on the normalized draft. */
export function validateTaskDefinition(td: TaskDefinition) {
  const containers = td.containerDefinitions ?? [];
  if (containers.length === 0) throw clientException('Container list cannot be empty: a task definition needs at least one container definition.');
  if (containers.length > 10) throw clientException('Too many containers.');
  const names = new Set<string>();
  for (const c of containers) {
    if (!c.name) throw clientException('Container.name should not be null or empty.');
    if (!CONTAINER_NAME.test(c.name)) {
      throw clientException(`Invalid container name '${c.name}': up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`);
    }
    if (names.has(c.name)) throw clientException(`Container names must be unique within a task definition: '${c.name}' is used more than once.`);
    names.add(c.name);
    if (!c.image) throw clientException('Container.image should not be null or empty.');
  }
  if (!containers.some((c) => c.essential !== false)) throw clientException('All tasks must have at least one essential container.');

  checkEphemeralStorage(td);
  checkMemory(td, containers);
  checkCpu(td, containers);
  checkNetworking(td, containers);
  checkDependencies(containers);
  checkVolumes(td, containers);

  for (const wanted of td.requiresCompatibilities ?? []) {
    if (wanted === 'FARGATE') {
      const reason = fargateIncompatibility(td);
      if (reason) throw clientException(reason);
    }
    if (wanted === 'EXTERNAL' && td.networkMode === 'awsvpc') {
      throw clientException("Tasks using the EXTERNAL launch type do not support network mode 'awsvpc'.");
    }
  }
}

function checkEphemeralStorage(td: TaskDefinition) {
  const size = td.ephemeralStorage?.sizeInGiB;
  if (size !== undefined && (size < 21 || size > 200)) {
    throw clientException(`Invalid 'ephemeralStorage' setting: sizeInGiB ${size} is outside 21 to 200 GiB.`);
  }
}

function checkMemory(td: TaskDefinition, containers: ContainerDefinition[]) {
  const taskMemory = td.memory === undefined ? undefined : Number(td.memory);
  let reserved = 0;
  for (const c of containers) {
    if (taskMemory === undefined && c.memory === undefined && c.memoryReservation === undefined) {
      throw clientException(`Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
    }
    for (const field of ['memory', 'memoryReservation'] as const) {
      const v = c[field];
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw clientException(`Invalid '${field}' setting for container '${c.name}': ${v}.`);
    }
    if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
      throw clientException(`Invalid setting for container '${c.name}'. 'memory' (${c.memory}) must be greater than or equal to 'memoryReservation' (${c.memoryReservation}).`);
    }
    if (taskMemory !== undefined && c.memory !== undefined && c.memory > taskMemory) {
      throw clientException(`The 'memory' setting for container '${c.name}' is greater than for the task.`);
    }
    reserved += c.memoryReservation ?? 0;
  }
  if (taskMemory !== undefined && reserved > taskMemory) {
    throw clientException("The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.");
  }
}

function checkCpu(td: TaskDefinition, containers: ContainerDefinition[]) {
  if (td.cpu !== undefined && !(td.requiresCompatibilities ?? []).includes('FARGATE')) {
    const units = Number(td.cpu);
    if (units < 128 || units > 196608) {
      throw clientException(`Invalid 'cpu' setting for task: ${td.cpu}. Task-level CPU must be between 128 and 196608 CPU units.`);
    }
  }
  let total = 0;
  for (const c of containers) {
    if (c.cpu !== undefined && (!Number.isInteger(c.cpu) || c.cpu < 0)) throw clientException(`Invalid 'cpu' setting for container '${c.name}': ${c.cpu}.`);
    total += c.cpu ?? 0;
  }
  if (td.cpu !== undefined && total > Number(td.cpu)) {
    throw clientException("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.");
  }
}

function checkNetworking(td: TaskDefinition, containers: ContainerDefinition[]) {
  const mode = td.networkMode ?? 'bridge';
  const seen = new Set<string>();
  for (const c of containers) {
    if (mode === 'awsvpc' && c.hostname !== undefined) throw clientException('hostname is not supported on container when networkMode=awsvpc.');
    if (mode !== 'bridge' && c.links?.length) throw clientException(`links are not supported on container when networkMode=${mode}.`);
    if (mode === 'none' && c.portMappings?.length) {
      throw clientException(`Invalid 'portMappings' setting for container '${c.name}': port mappings are not supported when networkMode=none.`);
    }
    for (const pm of c.portMappings ?? []) {
      if (pm.containerPortRange !== undefined) {
        const m = /^(\d+)-(\d+)$/.exec(pm.containerPortRange);
        if (!m || Number(m[1]) < 1 || Number(m[2]) > 65535 || Number(m[1]) >= Number(m[2])) {
          throw clientException(`Invalid 'containerPortRange' setting for container '${c.name}': '${pm.containerPortRange}'.`);
        }
        continue;
      }
      const port = pm.containerPort;
      if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw clientException(`Invalid 'containerPort' setting for container '${c.name}'.`);
      }
      if (pm.hostPort !== undefined && (!Number.isInteger(pm.hostPort) || pm.hostPort < 0 || pm.hostPort > 65535)) {
        throw clientException(`Invalid 'hostPort' setting for container '${c.name}'.`);
      }
      if ((mode === 'awsvpc' || mode === 'host') && pm.hostPort !== undefined && pm.hostPort !== port) {
        throw clientException(`When networkMode=${mode}, the host ports and container ports in port mappings must match.`);
      }
      const hostPort = mode === 'bridge' ? pm.hostPort ?? 0 : port;
      if (hostPort === 0) continue;
      const protocol = (pm.protocol ?? 'tcp').toUpperCase();
      const key = `${protocol}/${hostPort}`;
      if (seen.has(key)) throw clientException(`${protocol} host port '${hostPort}' is mapped multiple times in task.`);
      seen.add(key);
    }
  }
}

function checkDependencies(containers: ContainerDefinition[]) {
  const byName = new Map(containers.map((c) => [c.name!, c]));
  for (const c of containers) {
    for (const dep of c.dependsOn ?? []) {
      const target = byName.get(dep.containerName ?? '');
      if (!target) {
        throw clientException(`Invalid 'dependsOn' setting for container '${c.name}': container '${dep.containerName}' does not exist in the task definition.`);
      }
      if (target === c) throw clientException(`Invalid 'dependsOn' setting for container '${c.name}': a container cannot depend on itself.`);
      if (dep.condition === 'HEALTHY' && !target.healthCheck) {
        throw clientException(`Invalid 'dependsOn' setting for container '${c.name}': condition HEALTHY requires container '${target.name}' to define a healthCheck.`);
      }
    }
    for (const from of c.volumesFrom ?? []) {
      if (!from.sourceContainer || !byName.has(from.sourceContainer)) {
        throw clientException(`Invalid 'volumesFrom' setting for container '${c.name}': container '${from.sourceContainer ?? ''}' does not exist in the task definition.`);
      }
    }
  }
}

function checkVolumes(td: TaskDefinition, containers: ContainerDefinition[]) {
  const volumes = new Set<string>();
  for (const v of td.volumes ?? []) {
    if (!v.name || !VOLUME_NAME.test(v.name)) {
      throw clientException(`Invalid volume name '${v.name ?? ''}': up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`);
    }
    if (volumes.has(v.name)) throw clientException(`Volume names must be unique within a task definition: '${v.name}' is used more than once.`);
    volumes.add(v.name);
  }
  for (const c of containers) {
    for (const mp of c.mountPoints ?? []) {
      if (!mp.sourceVolume || !volumes.has(mp.sourceVolume)) {
        throw clientException(`Invalid 'mountPoints' setting for container '${c.name}': volume '${mp.sourceVolume ?? ''}' is not defined in the task definition's volumes.`);
      }
    }
  }
}
