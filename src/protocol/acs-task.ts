// Task definition + overrides ↔ the ACS wire Task (src/protocol/acs.ts), the way ECS sends a task
// to its agent: container overrides merged into flat containers (the agent reads only `command`
// from a container's `overrides`), environment as a map, everything the Task shape has no field
// for carried in `dockerConfig` as Docker Engine API Config / HostConfig JSON (health check,
// labels, working directory, user, hostname, log configuration, ulimits, extra hosts, memory
// reservation in bytes…). The server encodes; Berth's agent decodes back into a task definition,
// so both agents read one format.
import type {
  ContainerDefinition, ContainerOverride, HealthCheck, KeyValuePair, LogConfiguration, TaskDefinition, TaskOverride, Ulimit, Volume,
} from '@aws-sdk/client-ecs';
import type { AcsTask, WireContainer, WireTask, WireVolume } from './acs.js';

const NS = 1_000_000_000;
const MIB = 1024 * 1024;

export interface TaskToEncode {
  taskArn: string;
  clusterArn: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  taskDefinition: TaskDefinition;
  overrides?: TaskOverride;
  /** `service:<name>` for a service's tasks. */
  group?: string;
  /** Berth's extension: the agent stops it itself when cut off (SELF_FENCE_CAPABILITY). */
  selfFence?: boolean;
}

/** Task-level cpu of a task definition ("256", "1 vCPU", "0.25 vcpu") in vCPUs. */
function vcpus(cpu: string | undefined): number | undefined {
  if (!cpu) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(cpu);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) : Number(m[1]) / 1024;
}

function mib(memory: string | undefined): number | undefined {
  if (!memory) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(memory);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
}

const compact = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as T;

function envMap(base: KeyValuePair[] | undefined, override: KeyValuePair[] | undefined): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const kv of [...(base ?? []), ...(override ?? [])]) if (kv.name) env[kv.name] = kv.value ?? '';
  return Object.keys(env).length ? env : undefined;
}

function dockerConfig(def: ContainerDefinition, override: ContainerOverride): WireContainer['dockerConfig'] {
  const hc = def.healthCheck;
  const config = compact({
    Healthcheck: hc?.command?.length ? compact({
      Test: hc.command, Interval: (hc.interval ?? 30) * NS, Timeout: (hc.timeout ?? 5) * NS,
      Retries: hc.retries ?? 3, StartPeriod: (hc.startPeriod ?? 0) * NS,
    }) : undefined,
    Labels: def.dockerLabels && Object.keys(def.dockerLabels).length ? def.dockerLabels : undefined,
    WorkingDir: def.workingDirectory,
    User: def.user,
    Hostname: def.hostname,
    Tty: def.pseudoTerminal,
    OpenStdin: def.interactive,
  });
  const reservation = override.memoryReservation ?? def.memoryReservation;
  const hostConfig = compact({
    LogConfig: def.logConfiguration?.logDriver ? { Type: def.logConfiguration.logDriver, Config: def.logConfiguration.options ?? {} } : undefined,
    Ulimits: def.ulimits?.map((u) => ({ Name: u.name, Soft: u.softLimit, Hard: u.hardLimit })),
    ExtraHosts: def.extraHosts?.map((h) => `${h.hostname}:${h.ipAddress}`),
    ReadonlyRootfs: def.readonlyRootFilesystem,
    MemoryReservation: reservation ? reservation * MIB : undefined,
    Dns: def.dnsServers,
    DnsSearch: def.dnsSearchDomains,
    SecurityOpt: def.dockerSecurityOptions,
    Sysctls: def.systemControls?.length ? Object.fromEntries(def.systemControls.map((s) => [s.namespace ?? '', s.value ?? ''])) : undefined,
  });
  const out = compact({
    config: Object.keys(config).length ? JSON.stringify(config) : undefined,
    hostConfig: Object.keys(hostConfig).length ? JSON.stringify(hostConfig) : undefined,
  });
  return Object.keys(out).length ? out : undefined;
}

function encodeContainer(def: ContainerDefinition, td: TaskDefinition, override: ContainerOverride): WireContainer {
  const hostMode = td.networkMode === 'host';
  const command = override.command ?? def.command;
  return compact({
    name: def.name ?? '',
    image: def.image ?? '',
    command,
    entryPoint: def.entryPoint,
    cpu: override.cpu ?? def.cpu ?? 0,
    memory: override.memory ?? def.memory,
    essential: def.essential ?? true,
    environment: envMap(def.environment, override.environment),
    environmentFiles: (override.environmentFiles ?? def.environmentFiles)?.map((f) => ({ value: f.value, type: 's3' as const })),
    links: def.links,
    mountPoints: def.mountPoints?.map((m) => ({ sourceVolume: m.sourceVolume, containerPath: m.containerPath, readOnly: m.readOnly ?? false })),
    volumesFrom: def.volumesFrom?.map((v) => ({ sourceContainer: v.sourceContainer, readOnly: v.readOnly ?? false })),
    portMappings: def.portMappings?.map((m) => compact({
      containerPort: m.containerPort,
      hostPort: hostMode ? m.hostPort || m.containerPort : m.hostPort,
      containerPortRange: m.containerPortRange,
      protocol: m.protocol === 'udp' ? 'udp' as const : 'tcp' as const,
    })),
    privileged: def.privileged,
    linuxParameters: def.linuxParameters ? compact({
      capabilities: def.linuxParameters.capabilities ? { add: def.linuxParameters.capabilities.add, drop: def.linuxParameters.capabilities.drop } : undefined,
      devices: def.linuxParameters.devices?.map((d) => ({ hostPath: d.hostPath, containerPath: d.containerPath, permissions: d.permissions })),
      initProcessEnabled: def.linuxParameters.initProcessEnabled,
      sharedMemorySize: def.linuxParameters.sharedMemorySize,
    }) : undefined,
    dockerConfig: dockerConfig(def, override),
    healthCheckType: def.healthCheck?.command?.length ? 'docker' as const : undefined,
    secrets: def.secrets?.map((s) => ({ name: s.name, valueFrom: s.valueFrom, type: 'ENVIRONMENT_VARIABLE', provider: /^arn:aws:secretsmanager:/.test(s.valueFrom ?? '') ? 'asm' : 'ssm', target: 'CONTAINER' })),
    dependsOn: def.dependsOn?.map((d) => ({ containerName: d.containerName, condition: d.condition })),
    startTimeout: def.startTimeout,
    stopTimeout: def.stopTimeout,
    overrides: override.command ? JSON.stringify({ command: override.command }) : undefined,
    firelensConfiguration: def.firelensConfiguration ? { type: def.firelensConfiguration.type, options: def.firelensConfiguration.options } : undefined,
    logsAuthStrategy: def.logConfiguration?.logDriver === 'awslogs' ? 'ExecutionRole' as const : undefined,
  });
}

function encodeVolume(v: Volume): WireVolume {
  if (v.dockerVolumeConfiguration) {
    const d = v.dockerVolumeConfiguration;
    return { name: v.name ?? '', type: 'docker', dockerVolumeConfiguration: compact({ scope: d.scope, autoprovision: d.autoprovision, driver: d.driver, driverOpts: d.driverOpts, labels: d.labels }) };
  }
  if (v.efsVolumeConfiguration) return { name: v.name ?? '', type: 'efs', efsVolumeConfiguration: { ...v.efsVolumeConfiguration } };
  // A host volume without a sourcePath is a task-scoped volume the agent creates.
  return { name: v.name ?? '', type: 'host', host: v.host?.sourcePath ? { sourcePath: v.host.sourcePath } : {} };
}

/** The ACS Task for a task record's definition and overrides. */
export function encodeTask(t: TaskToEncode): WireTask {
  const td = t.taskDefinition;
  const overrides = t.overrides ?? {};
  const byName = new Map((overrides.containerOverrides ?? []).map((o) => [o.name, o]));
  const service = t.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined;
  return compact({
    arn: t.taskArn,
    taskClusterArn: t.clusterArn,
    desiredStatus: t.desiredStatus,
    family: td.family ?? '',
    version: String(td.revision ?? ''),
    overrides: JSON.stringify(overrides),
    containers: (td.containerDefinitions ?? []).map((c) => encodeContainer(c, td, byName.get(c.name) ?? {})),
    volumes: td.volumes?.map(encodeVolume),
    networkMode: td.networkMode ?? 'bridge',
    cpu: vcpus(overrides.cpu ?? td.cpu),
    memory: mib(overrides.memory ?? td.memory),
    pidMode: td.pidMode,
    ipcMode: td.ipcMode,
    launchType: 'EC2',
    serviceName: service,
    berthSelfFence: t.selfFence || undefined,
    taskDefinitionAccountId: /^arn:[^:]+:ecs:[^:]*:(\d{12}):/.exec(td.taskDefinitionArn ?? '')?.[1],
  });
}

// ---- decoding (Berth's agent) ----

function parseJson<T>(text: string | undefined, what: string): T | undefined {
  if (!text) return undefined;
  try { return JSON.parse(text) as T; } catch { throw new Error(`${what} is not JSON: ${text.slice(0, 200)}`); }
}

interface DockerContainerConfig {
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  Labels?: Record<string, string>; WorkingDir?: string; User?: string; Hostname?: string; Tty?: boolean; OpenStdin?: boolean;
}
interface DockerHostConfig {
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  Ulimits?: { Name?: string; Soft?: number; Hard?: number }[];
  ExtraHosts?: string[]; ReadonlyRootfs?: boolean; MemoryReservation?: number; Dns?: string[]; DnsSearch?: string[];
  SecurityOpt?: string[]; Sysctls?: Record<string, string>;
}

function decodeContainer(c: WireContainer): ContainerDefinition {
  const config = parseJson<DockerContainerConfig>(c.dockerConfig?.config, `container ${c.name}: dockerConfig.config`) ?? {};
  const host = parseJson<DockerHostConfig>(c.dockerConfig?.hostConfig, `container ${c.name}: dockerConfig.hostConfig`) ?? {};
  const override = parseJson<{ command?: string[] }>(c.overrides, `container ${c.name}: overrides`) ?? {};
  const hc = config.Healthcheck;
  const healthCheck: HealthCheck | undefined = hc?.Test?.length ? {
    command: hc.Test, interval: (hc.Interval ?? 30 * NS) / NS, timeout: (hc.Timeout ?? 5 * NS) / NS,
    retries: hc.Retries ?? 3, startPeriod: (hc.StartPeriod ?? 0) / NS,
  } : undefined;
  const logConfiguration: LogConfiguration | undefined = host.LogConfig?.Type
    ? { logDriver: host.LogConfig.Type as LogConfiguration['logDriver'], options: host.LogConfig.Config } : undefined;
  return compact<ContainerDefinition>({
    name: c.name,
    image: c.image,
    command: override.command ?? c.command,
    entryPoint: c.entryPoint,
    cpu: c.cpu,
    memory: c.memory,
    memoryReservation: host.MemoryReservation ? Math.round(host.MemoryReservation / MIB) : undefined,
    essential: c.essential ?? true,
    environment: c.environment ? Object.entries(c.environment).map(([name, value]) => ({ name, value })) : undefined,
    links: c.links,
    mountPoints: c.mountPoints,
    volumesFrom: c.volumesFrom,
    portMappings: c.portMappings?.map((m) => compact({ containerPort: m.containerPort, hostPort: m.hostPort, containerPortRange: m.containerPortRange, protocol: m.protocol })),
    privileged: c.privileged,
    linuxParameters: c.linuxParameters as ContainerDefinition['linuxParameters'],
    healthCheck,
    dockerLabels: config.Labels,
    workingDirectory: config.WorkingDir,
    user: config.User,
    hostname: config.Hostname,
    pseudoTerminal: config.Tty,
    interactive: config.OpenStdin,
    logConfiguration,
    ulimits: host.Ulimits?.map((u): Ulimit => ({ name: u.Name as Ulimit['name'], softLimit: u.Soft, hardLimit: u.Hard })),
    extraHosts: host.ExtraHosts?.map((h) => { const i = h.lastIndexOf(':'); return { hostname: h.slice(0, i), ipAddress: h.slice(i + 1) }; }),
    readonlyRootFilesystem: host.ReadonlyRootfs,
    dnsServers: host.Dns,
    dnsSearchDomains: host.DnsSearch,
    dockerSecurityOptions: host.SecurityOpt,
    systemControls: host.Sysctls ? Object.entries(host.Sysctls).map(([namespace, value]) => ({ namespace, value })) : undefined,
    secrets: c.secrets?.map((s) => ({ name: s.name, valueFrom: s.valueFrom })),
    dependsOn: c.dependsOn?.map((d) => ({ containerName: d.containerName ?? '', condition: d.condition ?? 'START' })),
    startTimeout: c.startTimeout,
    stopTimeout: c.stopTimeout,
  });
}

function decodeVolume(v: WireVolume): Volume {
  if (v.type === 'docker') return { name: v.name, dockerVolumeConfiguration: v.dockerVolumeConfiguration };
  return { name: v.name, host: v.host?.sourcePath ? { sourcePath: v.host.sourcePath } : undefined };
}

/** A wire Task as Berth's agent holds it. Throws on a malformed task (the agent reports it STOPPED). */
export function decodeTask(w: WireTask): AcsTask {
  const overrides = parseJson<TaskOverride>(w.overrides, 'task overrides') ?? {};
  // Container overrides are already in the containers.
  const { containerOverrides: _merged, ...taskOverrides } = overrides;
  void _merged;
  const revision = Number(w.version);
  const taskDefinition: TaskDefinition = compact({
    family: w.family,
    revision: Number.isFinite(revision) ? revision : undefined,
    containerDefinitions: w.containers.map(decodeContainer),
    volumes: w.volumes?.map(decodeVolume),
    networkMode: w.networkMode as TaskDefinition['networkMode'],
    cpu: w.cpu !== undefined ? String(Math.round(w.cpu * 1024)) : undefined,
    memory: w.memory !== undefined ? String(w.memory) : undefined,
    pidMode: w.pidMode as TaskDefinition['pidMode'],
    ipcMode: w.ipcMode as TaskDefinition['ipcMode'],
  });
  return compact({
    arn: w.arn,
    desiredStatus: w.desiredStatus === 'STOPPED' ? 'STOPPED' as const : 'RUNNING' as const,
    taskDefinition,
    overrides: Object.keys(taskOverrides).length ? taskOverrides : undefined,
    group: w.serviceName ? `service:${w.serviceName}` : undefined,
    selfFence: w.berthSelfFence === true || undefined,
    credentialsId: w.roleCredentials?.credentialsId,
    executionCredentialsId: w.executionRoleCredentials?.credentialsId,
    generation: w.desiredStatus === 'STOPPED' ? 2 : 1,
  });
}
