// What an agent drives: a container runtime. Two implementations: docker (real Docker Engine API
// over its socket) and simulated (same lifecycle without containers, for scale and Docker-less
// hosts — a product feature, documented, not a test double).

export interface PortBinding {
  containerPort: number;
  /** 0 = pick a free one from the ephemeral range. */
  hostPort: number;
  protocol: 'tcp' | 'udp';
  /** The address host ports bind on (the agent's --ip). */
  hostIp: string;
}

export interface MountSpec { source: string; target: string; readOnly: boolean }

/** Everything a runtime needs to create one container (already resolved from the task definition). */
export interface ContainerSpec {
  /** Unique runtime name, e.g. ecs-<family>-<rev>-<container>-<taskid>. */
  name: string;
  image: string;
  command?: string[];
  entryPoint?: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  user?: string;
  /** Hard limit, MiB. */
  memory?: number;
  /** Soft limit, MiB. */
  memoryReservation?: number;
  /** CPU shares. */
  cpu?: number;
  networkMode: 'bridge' | 'host' | 'none' | 'awsvpc';
  portBindings: PortBinding[];
  mounts: MountSpec[];
  /** Names of containers whose volumes this one shares. */
  volumesFrom: { sourceContainer: string; readOnly: boolean }[];
  links: string[];
  hostname?: string;
  extraHosts: { hostname: string; ipAddress: string }[];
  ulimits: { name: string; softLimit: number; hardLimit: number }[];
  privileged: boolean;
  readonlyRootFilesystem: boolean;
  labels: Record<string, string>;
  healthCheck?: { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
  /** Seconds between SIGTERM and SIGKILL. */
  stopTimeout: number;
  pullBehavior: 'default' | 'always' | 'once' | 'prefer-cached';
}

export type RuntimeState = 'created' | 'running' | 'exited';

export interface ContainerStatus {
  id: string;
  name: string;
  state: RuntimeState;
  exitCode?: number;
  oomKilled: boolean;
  /** 'healthy' | 'unhealthy' | 'starting' | undefined (no health check). */
  health?: 'healthy' | 'unhealthy' | 'starting';
  startedAt?: Date;
  finishedAt?: Date;
  /** Actual host ports, after dynamic assignment. */
  portBindings: PortBinding[];
  labels: Record<string, string>;
  /** Failure text from the runtime (e.g. CannotPullContainerError: …). */
  error?: string;
}

export interface RuntimeEvent {
  id: string;
  name: string;
  type: 'start' | 'die' | 'oom' | 'health' | 'destroy';
  /** On 'die': the exit code, when the runtime reports it. */
  exitCode?: number;
  /** On 'health': the new health status. */
  health?: 'healthy' | 'unhealthy' | 'starting';
}

/** One line a container wrote, with the engine's timestamp (RFC 3339, nanoseconds). */
export interface LogLine { stream: 'stdout' | 'stderr'; time: string; text: string }

export interface LogsOptions {
  /** Only lines at or after this time (RFC 3339 with nanoseconds, as LogLine.time). */
  since?: string;
  /** Keep following until the container exits (or the signal aborts). */
  follow: boolean;
  signal?: AbortSignal;
}

export interface Runtime {
  readonly kind: 'docker' | 'simulated';
  /** Ensures the image is present according to the pull behaviour; throws CannotPullContainerError text.
   *  `taskArn`: the task pulling (registry credentials come from its execution role when it has one). */
  pullImage(image: string, behavior: ContainerSpec['pullBehavior'], taskArn?: string): Promise<void>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutSeconds. */
  stop(id: string, timeoutSeconds: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** undefined: no such container, or the runtime is removing it. */
  inspect(id: string): Promise<ContainerStatus | undefined>;
  /** Containers carrying a label (e.g. com.amazonaws.ecs.cluster), for re-adoption after a restart. */
  listByLabel(label: string, value?: string): Promise<ContainerStatus[]>;
  /** Live container events; returns an unsubscribe function. */
  events(listener: (event: RuntimeEvent) => void): () => void;
  /** The container's stdout/stderr lines in order (runtimes without output omit it). Resolves when
   *  the output ends (the container exited, with follow) or the signal aborts. */
  logs?(id: string, options: LogsOptions, onLine: (line: LogLine) => void): Promise<void>;
  /** CPU/memory usage for the metadata endpoint's /stats. */
  stats(id: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}
