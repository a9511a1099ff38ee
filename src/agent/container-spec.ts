// Task definition + overrides → one ContainerSpec per container, resolved the way the ECS agent
// resolves them: overrides win over the definition, host ports come from the server's placement
// (0 = dynamic), task-scoped volumes become a per-task directory under the agent's state dir, and
// every container carries the labels the ECS agent sets plus the metadata endpoint's URI.
import type { ContainerDefinition, ContainerOverride, KeyValuePair, Volume } from '@aws-sdk/client-ecs';
import { resolve } from 'node:path';
import { bindMountAllowed } from '../common/host-protection.js';
import type { AcsTask } from '../protocol/acs.js';
import type { ContainerSpec, MountSpec, PortBinding } from './runtime/types.js';

/** The labels the ECS agent puts on every container (docker ps --filter label=…). */
export const LABELS = {
  taskArn: 'com.amazonaws.ecs.task-arn',
  containerName: 'com.amazonaws.ecs.container-name',
  family: 'com.amazonaws.ecs.task-definition-family',
  revision: 'com.amazonaws.ecs.task-definition-version',
  cluster: 'com.amazonaws.ecs.cluster',
  /** Berth's own: which container instance (agent) owns the container, for re-adoption. */
  instance: 'berth.container-instance-arn',
} as const;

export const METADATA_ENV = 'ECS_CONTAINER_METADATA_URI_V4';
/** The v3 variable the ECS agent sets too (same token, /v3/ path). */
export const METADATA_ENV_V3 = 'ECS_CONTAINER_METADATA_URI';

export interface SpecContext {
  clusterArn: string;
  instanceArn: string;
  /** Address host ports bind on (the agent's --ip). */
  ip: string;
  stateDir: string;
  /** The agent's host protection (--disable-privileged, --disable-host-network, --allowed-bind-mounts):
   *  a task placed here anyway is refused with a clear reason. */
  hostProtection?: HostProtection;
  /** The container credentials environment for a task role's credentials id, when the endpoint runs. */
  credentialsEnv?: (credentialsId: string) => Record<string, string>;
  /** Metadata URI for a container's token, when the endpoint runs. */
  metadataUri?: (token: string) => string;
  pullBehavior: ContainerSpec['pullBehavior'];
  /** ECS_CONTAINER_STOP_TIMEOUT, seconds (default 30). */
  defaultStopTimeout: number;
}

export class SpecError extends Error {}

export interface HostProtection { disablePrivileged?: boolean; disableHostNetwork?: boolean; allowedBindMounts?: readonly string[] }

/** Throws when the container asks for what the agent's host protection forbids. */
function checkHostProtection(def: ContainerDefinition, task: AcsTask, networkMode: string, p: HostProtection | undefined) {
  if (!p) return;
  if (p.disableHostNetwork && networkMode === 'host') {
    throw new SpecError('networkMode host is refused by this instance\'s host protection (agent option --disable-host-network)');
  }
  if (p.disablePrivileged && def.privileged) {
    throw new SpecError(`Container '${def.name}' is privileged, which this instance's host protection refuses (agent option --disable-privileged)`);
  }
  if (!p.allowedBindMounts) return;
  for (const mp of def.mountPoints ?? []) {
    const path = task.taskDefinition.volumes?.find((v) => v.name === mp.sourceVolume)?.host?.sourcePath;
    if (path && !bindMountAllowed(path, p.allowedBindMounts)) {
      throw new SpecError(`Container '${def.name}' bind-mounts the host path ${path}, which this instance's host protection does not allow`
        + ` (agent option --allowed-bind-mounts ${p.allowedBindMounts.join(',') || 'none'})`);
    }
  }
}

export const taskId = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);

/** ecs-<family>-<revision>-<container>-<task id>: unique per task, stable across agent restarts. */
export function runtimeName(task: AcsTask, containerName: string): string {
  const td = task.taskDefinition;
  return `ecs-${td.family}-${td.revision}-${containerName}-${taskId(task.arn)}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** The directory holding a task's task-scoped volumes. */
export const taskVolumeRoot = (stateDir: string, taskArn: string) => resolve(stateDir, 'volumes', taskId(taskArn));

/** Host directories a task's specs mount that the agent must create first (task and shared volumes). */
export function agentManagedDirs(task: AcsTask, stateDir: string): string[] {
  return (task.taskDefinition.volumes ?? []).filter((v) => !v.host?.sourcePath).map((v) => volumeSource(v, task, stateDir));
}

function volumeSource(volume: Volume, task: AcsTask, stateDir: string): string {
  if (volume.host?.sourcePath) return volume.host.sourcePath;
  if (volume.dockerVolumeConfiguration?.scope === 'shared') return resolve(stateDir, 'volumes', 'shared', safe(volume.name ?? ''));
  return resolve(taskVolumeRoot(stateDir, task.arn), safe(volume.name ?? ''));
}

const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '_');

function mergeEnv(base: KeyValuePair[] | undefined, override: KeyValuePair[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of [...(base ?? []), ...(override ?? [])]) if (kv.name) env[kv.name] = kv.value ?? '';
  return env;
}

function portBindings(def: ContainerDefinition, task: AcsTask, mode: ContainerSpec['networkMode'], ip: string): PortBinding[] {
  if (mode === 'none') return [];
  const reserved = task.reservedPorts?.[def.name ?? ''] ?? [];
  const out: PortBinding[] = [];
  for (const m of def.portMappings ?? []) {
    const protocol = m.protocol === 'udp' ? 'udp' : 'tcp';
    const containerPorts = m.containerPort !== undefined ? [m.containerPort] : expandRange(m.containerPortRange);
    for (const containerPort of containerPorts) {
      const fromServer = reserved.find((r) => r.containerPort === containerPort && r.protocol === protocol)?.hostPort;
      // awsvpc runs on a bridge network here (no ENIs): its ports are published on dynamic host ports.
      const hostPort = mode === 'host' ? containerPort : mode === 'awsvpc' ? fromServer ?? 0 : fromServer ?? m.hostPort ?? 0;
      out.push({ containerPort, hostPort, protocol, hostIp: ip });
    }
  }
  return out;
}

function expandRange(range: string | undefined): number[] {
  const m = range && /^(\d+)-(\d+)$/.exec(range);
  if (!m) return [];
  const [lo, hi] = [Number(m[1]), Number(m[2])];
  if (hi < lo || hi - lo >= 10_000) throw new SpecError(`Invalid containerPortRange '${range}'`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

function mounts(def: ContainerDefinition, task: AcsTask, stateDir: string): MountSpec[] {
  const volumes = task.taskDefinition.volumes ?? [];
  return (def.mountPoints ?? []).map((mp) => {
    const volume = volumes.find((v) => v.name === mp.sourceVolume);
    if (!volume) throw new SpecError(`Container '${def.name}' mounts volume '${mp.sourceVolume}', which the task definition does not declare`);
    if (!mp.containerPath) throw new SpecError(`Container '${def.name}' mounts volume '${mp.sourceVolume}' without a containerPath`);
    return { source: volumeSource(volume, task, stateDir), target: mp.containerPath, readOnly: mp.readOnly ?? false };
  });
}

function healthCheck(def: ContainerDefinition): ContainerSpec['healthCheck'] {
  const hc = def.healthCheck;
  if (!hc?.command?.length) return undefined;
  return { command: hc.command, interval: hc.interval ?? 30, timeout: hc.timeout ?? 5, retries: hc.retries ?? 3, startPeriod: hc.startPeriod ?? 0 };
}

/** The spec of one container of a task. tokens: the metadata token per container name. */
export function containerSpec(task: AcsTask, def: ContainerDefinition, ctx: SpecContext, token: string): ContainerSpec {
  const td = task.taskDefinition;
  if (!def.name || !def.image) throw new SpecError('A container definition needs a name and an image');
  const override: ContainerOverride = task.overrides?.containerOverrides?.find((o) => o.name === def.name) ?? {};
  const networkMode = (td.networkMode ?? 'bridge') as ContainerSpec['networkMode'];
  checkHostProtection(def, task, networkMode, ctx.hostProtection);
  const environment = mergeEnv(def.environment, override.environment);
  environment.AWS_EXECUTION_ENV = 'AWS_ECS_EC2';
  if (ctx.metadataUri) {
    environment[METADATA_ENV] = ctx.metadataUri(token);
    environment[METADATA_ENV_V3] = ctx.metadataUri(token).replace(/\/v4\/([^/]+)$/, '/v3/$1');
  }
  if (task.credentialsId && ctx.credentialsEnv) Object.assign(environment, ctx.credentialsEnv(task.credentialsId));
  const byName = (name: string) => {
    if (!td.containerDefinitions?.some((c) => c.name === name)) {
      throw new SpecError(`Container '${def.name}' refers to container '${name}', which is not in the task definition`);
    }
    return runtimeName(task, name);
  };
  return {
    name: runtimeName(task, def.name),
    image: def.image,
    command: override.command ?? def.command,
    entryPoint: def.entryPoint,
    environment,
    workingDirectory: def.workingDirectory,
    user: def.user,
    memory: override.memory ?? def.memory,
    memoryReservation: override.memoryReservation ?? def.memoryReservation,
    // Docker reads 0 shares as 1024; the ECS agent gives an unset or 0 cpu the minimum, 2.
    cpu: Math.max(2, override.cpu ?? def.cpu ?? 0),
    networkMode,
    portBindings: portBindings(def, task, networkMode, ctx.ip),
    mounts: mounts(def, task, ctx.stateDir),
    volumesFrom: (def.volumesFrom ?? []).map((v) => ({ sourceContainer: byName(v.sourceContainer ?? ''), readOnly: v.readOnly ?? false })),
    links: networkMode === 'bridge' ? (def.links ?? []).map((l) => {
      const [name, alias] = l.split(':');
      return `${byName(name)}:${alias ?? name}`;
    }) : [],
    hostname: def.hostname,
    extraHosts: (def.extraHosts ?? []).map((h) => ({ hostname: h.hostname ?? '', ipAddress: h.ipAddress ?? '' })),
    ulimits: (def.ulimits ?? []).map((u) => ({ name: u.name ?? '', softLimit: u.softLimit ?? 0, hardLimit: u.hardLimit ?? 0 })),
    privileged: def.privileged ?? false,
    readonlyRootFilesystem: def.readonlyRootFilesystem ?? false,
    labels: {
      ...def.dockerLabels,
      [LABELS.taskArn]: task.arn,
      [LABELS.containerName]: def.name,
      [LABELS.family]: td.family ?? '',
      [LABELS.revision]: String(td.revision ?? ''),
      [LABELS.cluster]: ctx.clusterArn,
      [LABELS.instance]: ctx.instanceArn,
    },
    healthCheck: healthCheck(def),
    stopTimeout: def.stopTimeout ?? ctx.defaultStopTimeout,
    pullBehavior: ctx.pullBehavior,
  };
}

/** ECS_IMAGE_PULL_BEHAVIOR → the runtime's pull behaviour (default: default). */
export function pullBehaviorFromEnv(value = process.env.ECS_IMAGE_PULL_BEHAVIOR): ContainerSpec['pullBehavior'] {
  const v = (value ?? 'default').toLowerCase();
  if (v === 'always' || v === 'once' || v === 'prefer-cached' || v === 'default') return v;
  throw new SpecError(`ECS_IMAGE_PULL_BEHAVIOR must be default, always, once or prefer-cached, not '${value}'`);
}

/** ECS_CONTAINER_STOP_TIMEOUT (Go duration like 30s, 2m, or plain seconds) → seconds, default 30. */
export function stopTimeoutFromEnv(value = process.env.ECS_CONTAINER_STOP_TIMEOUT): number {
  if (!value) return 30;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new SpecError(`ECS_CONTAINER_STOP_TIMEOUT must be a duration such as 30s or 2m, not '${value}'`);
  const n = Number(m[1]);
  const seconds = { ms: n / 1000, s: n, m: n * 60, h: n * 3600 }[m[2] ?? 's'] ?? n;
  return Math.max(0, Math.round(seconds));
}
