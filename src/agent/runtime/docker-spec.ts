// ContainerSpec → Docker's create body, and Docker's inspect document → ContainerStatus. Pure
// functions: every ContainerSpec field has its line here, in the order of types.ts.
import type { ContainerSpec, ContainerStatus, PortBinding, RuntimeState } from './types.js';

const MiB = 1024 * 1024;
const NS_PER_S = 1_000_000_000;
/** The smallest CPU share Linux accepts; ECS passes 0, 1 and "unset" as 2 (agent ≥ 1.2.0). */
const MIN_CPU_SHARES = 2;

/** The JSON body of POST /containers/create?name=… */
export function createBody(spec: ContainerSpec): Record<string, unknown> {
  const publish = spec.networkMode === 'bridge' || spec.networkMode === 'awsvpc';
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.portBindings) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    if (!publish) continue;
    // HostPort "" lets the engine pick a free port from the ephemeral range.
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' });
  }
  const anonymousVolumes: Record<string, object> = {};
  const binds: string[] = [];
  for (const m of spec.mounts) {
    if (!m.source) { anonymousVolumes[m.target] = {}; continue; }
    binds.push(`${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
  }
  const hc = spec.healthCheck;
  return {
    Image: spec.image,
    ...(spec.command ? { Cmd: spec.command } : {}),
    ...(spec.entryPoint ? { Entrypoint: spec.entryPoint } : {}),
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    ...(spec.workingDirectory ? { WorkingDir: spec.workingDirectory } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.hostname ? { Hostname: spec.hostname } : {}),
    ExposedPorts: exposed,
    ...(Object.keys(anonymousVolumes).length ? { Volumes: anonymousVolumes } : {}),
    Labels: spec.labels,
    ...(hc ? {
      Healthcheck: {
        Test: hc.command,
        Interval: hc.interval * NS_PER_S,
        Timeout: hc.timeout * NS_PER_S,
        Retries: hc.retries,
        StartPeriod: hc.startPeriod * NS_PER_S,
      },
    } : {}),
    StopTimeout: spec.stopTimeout,
    HostConfig: {
      ...(spec.memory ? { Memory: spec.memory * MiB } : {}),
      ...(spec.memoryReservation ? { MemoryReservation: spec.memoryReservation * MiB } : {}),
      CpuShares: Math.max(MIN_CPU_SHARES, spec.cpu ?? 0),
      // awsvpc gets a bridge network: Berth gives tasks no ENI of their own.
      NetworkMode: spec.networkMode === 'awsvpc' ? 'bridge' : spec.networkMode,
      PortBindings: bindings,
      Binds: binds,
      VolumesFrom: spec.volumesFrom.map((v) => `${v.sourceContainer}:${v.readOnly ? 'ro' : 'rw'}`),
      Links: spec.links,
      ExtraHosts: spec.extraHosts.map((h) => `${h.hostname}:${h.ipAddress}`),
      Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.softLimit, Hard: u.hardLimit })),
      Privileged: spec.privileged,
      ReadonlyRootfs: spec.readonlyRootFilesystem,
    },
  };
}

/** The parts of GET /containers/{id}/json Berth reads. */
export interface DockerInspect {
  Id: string;
  Name: string;
  State: {
    Status: string;
    ExitCode: number;
    OOMKilled: boolean;
    Error?: string;
    StartedAt?: string;
    FinishedAt?: string;
    Health?: { Status: string };
  };
  Config: { Labels?: Record<string, string> | null; ExposedPorts?: Record<string, object> | null };
  HostConfig: { NetworkMode?: string; PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
  NetworkSettings: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

const STATES: Record<string, RuntimeState> = {
  created: 'created', running: 'running', paused: 'running', restarting: 'running',
  removing: 'exited', exited: 'exited', dead: 'exited',
};

export function toStatus(doc: DockerInspect): ContainerStatus {
  const state = STATES[doc.State.Status] ?? 'exited';
  const health = doc.State.Health?.Status;
  const started = time('startedAt', doc.State.StartedAt);
  const finished = time('finishedAt', doc.State.FinishedAt);
  // The engine stamps StartedAt after the process began, so a quick exit can "finish" a few µs
  // before it "started": never report a container that stopped before it started.
  if (started.startedAt && finished.finishedAt && finished.finishedAt < started.startedAt) finished.finishedAt = started.startedAt;
  return {
    id: doc.Id,
    name: doc.Name.replace(/^\//, ''),
    state,
    ...(state === 'exited' ? { exitCode: doc.State.ExitCode } : {}),
    oomKilled: doc.State.OOMKilled,
    ...(health === 'healthy' || health === 'unhealthy' || health === 'starting' ? { health } : {}),
    ...started,
    ...finished,
    portBindings: portsOf(doc, state),
    labels: doc.Config.Labels ?? {},
    ...(doc.State.Error ? { error: doc.State.Error } : {}),
  };
}

/** Docker writes 0001-01-01T00:00:00Z for "never". */
function time<K extends string>(key: K, value: string | undefined): Partial<Record<K, Date>> {
  if (!value || value.startsWith('0001-')) return {};
  return { [key]: new Date(value) } as Record<K, Date>;
}

/**
 * Actual host ports while running (NetworkSettings.Ports); before start or after exit, the requested
 * ones (dynamic = 0). Host network mode binds the container port itself on every address.
 */
function portsOf(doc: DockerInspect, state: RuntimeState): PortBinding[] {
  if (doc.HostConfig.NetworkMode === 'host') {
    return Object.keys(doc.Config.ExposedPorts ?? {}).map((key) => {
      const [port, protocol] = splitKey(key);
      return { containerPort: port, hostPort: port, protocol, hostIp: '0.0.0.0' };
    });
  }
  const live = doc.NetworkSettings.Ports ?? {};
  const source = state === 'running' && Object.values(live).some((v) => v?.length) ? live : doc.HostConfig.PortBindings ?? {};
  const out: PortBinding[] = [];
  for (const [key, list] of Object.entries(source)) {
    const [containerPort, protocol] = splitKey(key);
    for (const b of list ?? []) {
      out.push({ containerPort, hostPort: Number(b.HostPort || 0), protocol, hostIp: b.HostIp || '0.0.0.0' });
    }
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

function splitKey(key: string): [number, 'tcp' | 'udp'] {
  const [port, protocol] = key.split('/');
  return [Number(port), protocol === 'udp' ? 'udp' : 'tcp'];
}
