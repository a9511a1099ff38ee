// A Berth agent: what the ECS container agent is to ECS. It registers its host as a container
// instance (keeping its ARN across restarts in the state dir), serves the task metadata endpoint,
// re-adopts what already runs, then keeps an ACS websocket open, converging the tasks the server
// sends through a runtime (docker or simulated) and reporting their state back, and a TCS
// websocket for container metrics and health — the same protocol as the Amazon ECS agent.
import { ECSClient } from '@aws-sdk/client-ecs';
import { arch } from 'node:os';
import { AcsClient, agentCredentials, Backoff, type Credentials } from './acs-client.js';
import { AwsLogs } from './awslogs.js';
import { LABELS, pullBehaviorFromEnv, stopTimeoutFromEnv, type SpecContext } from './container-spec.js';
import { EcrRegistryAuth } from './ecr-auth.js';
import { HealthReporter } from './health-reporter.js';
import { bridgeGateway, containerIp, probeEngine, type EngineVersion } from './engine-probe.js';
import { hostResources, instanceTypeArchitecture, instanceTypeResources } from './instance-types.js';
import { startMetadataServer, type MetadataServer } from './metadata.js';
import { CredentialsStore, startCredentialsEndpoint, type CredentialsEndpoint } from './credentials-endpoint.js';
import { register, type InstanceIdentity } from './registration.js';
import { DockerRuntime } from './runtime/docker.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import type { Runtime } from './runtime/types.js';
import { defaultStateDir, StateFile } from './state-file.js';
import { ReportClient } from './report-client.js';
import { StateReporter } from './state-reporter.js';
import { TaskEngine } from './task-engine.js';
import { collectMetrics } from './task-metrics.js';
import { TcsClient } from './tcs-client.js';
import { ConnectionPool, tlsTrust, type TlsTrust } from './tls-trust.js';

export interface AgentOptions {
  /** The Berth server, e.g. http://127.0.0.1:4566. */
  endpoint: string;
  cluster: string;
  /** 'docker', 'simulated', or a runtime instance (default docker). */
  runtime?: 'docker' | 'simulated' | Runtime;
  /** The address host ports bind on (default 127.0.0.1). */
  ip?: string;
  instanceType?: string;
  cpu?: number;
  memory?: number;
  availabilityZone?: string;
  attributes?: Record<string, string>;
  /** Host protection (the real agent's ECS_DISABLE_PRIVILEGED): no privileged containers here. */
  disablePrivileged?: boolean;
  /** Host protection: no networkMode host here. */
  disableHostNetwork?: boolean;
  /** Host protection: host bind mounts only under these paths ([]: none at all; undefined: any). */
  allowedBindMounts?: string[];
  stateDir?: string;
  region?: string;
  credentials?: Credentials;
  version: string;
  log?(line: string): void;
  /** Tuning, mostly for tests. */
  inactivityMs?: [number, number];
  backoffMs?: [number, number];
  cleanupAfterMs?: number;
  reconcileMs?: number;
  manifestGraceMs?: number;
  /** Milliseconds awslogs lines wait to be batched (default 500). */
  logFlushMs?: number;
  /** Between telemetry publishes (default 20 s). */
  telemetryPublishMs?: number;
  /** Task state written to the state dir at most once per this many ms (StateFile; default 0:
   *  on every change). A simulated fleet sets it: its tasks cannot outlive its process. */
  stateCoalesceMs?: number;
  /** Self-fencing also stops standalone tasks (RunTask/StartTask), not only REPLICA service tasks. */
  fenceStandalone?: boolean;
  /** PEM CA certificate(s) an https:// endpoint is verified with, besides the bundled and system
   *  roots (`berth agent --ca FILE`). */
  ca?: string;
}

export class Agent {
  private constructor(
    readonly instanceArn: string,
    readonly clusterArn: string,
    readonly runtime: Runtime,
    readonly engine: TaskEngine,
    readonly reporter: StateReporter,
    readonly acs: AcsClient,
    readonly tcs: TcsClient,
    readonly metadata: MetadataServer,
    readonly state: StateFile,
    /** The awslogs driver: ships awslogs containers' output to CloudWatch Logs. */
    readonly awsLogs: AwsLogs,
    private readonly ecs: ECSClient,
    private readonly ownsRuntime: boolean,
    private readonly registryAuth: EcrRegistryAuth,
    /** Task role credentials ACS sent, served to the tasks' containers by the credentials endpoint. */
    readonly roleCredentials: CredentialsStore,
    private readonly credentialsEndpoint: CredentialsEndpoint | undefined,
    private readonly pool: ConnectionPool,
    private readonly tls?: TlsTrust,
  ) {}

  static async start(opts: AgentOptions): Promise<Agent> {
    const log = opts.log ?? ((line: string) => console.log(`agent: ${line}`));
    const ip = opts.ip ?? '127.0.0.1';
    const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const credentials = opts.credentials ?? agentCredentials();
    const state = new StateFile(opts.stateDir ?? defaultStateDir(ip), opts.stateCoalesceMs);
    const tls = tlsTrust(opts.ca);
    // Task role credentials ACS sends; the execution role's sign the task's ECR pulls and log shipping.
    const roleCredentials = new CredentialsStore();
    const executionCredentials = (taskArn: string) => {
      const c = roleCredentials.forTask(taskArn, 'TaskExecution');
      return c && { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
    };
    const registryAuth = new EcrRegistryAuth({ endpoint: opts.endpoint, region, credentials, log, executionCredentials, tls });
    const simulatedCpu = opts.cpu ?? (opts.instanceType ? instanceTypeResources(opts.instanceType)?.cpu : undefined) ?? hostResources().cpu;
    const runtime = typeof opts.runtime === 'object' ? opts.runtime
      : opts.runtime === 'simulated' ? new SimulatedRuntime({ hostCpuUnits: simulatedCpu }) : new DockerRuntime({ registryAuth: registryAuth.forImage });
    const engineVersion: EngineVersion | undefined = runtime.kind === 'docker' ? await probeEngine() : undefined;
    if (runtime.kind === 'docker' && !engineVersion) throw new Error('no Docker engine answers (DOCKER_HOST or /var/run/docker.sock); use --runtime simulated');

    const sized = opts.instanceType ? instanceTypeResources(opts.instanceType) : undefined;
    if (opts.instanceType && !sized && (opts.cpu === undefined || opts.memory === undefined)) {
      throw new Error(`unknown instance type '${opts.instanceType}': give --cpu and --memory too`);
    }
    let engine: TaskEngine | undefined;
    const credentialsEndpoint = runtime.kind === 'docker' ? await startCredentialsEndpoint({
      store: roleCredentials, log, allowed: (taskArn, remote) => taskOwnsAddress(engine!, taskArn, remote),
    }) : undefined;
    if (typeof credentialsEndpoint === 'string') log(`no container credentials endpoint, tasks' containers get no role credentials: ${credentialsEndpoint}`);
    const credentialsServer = typeof credentialsEndpoint === 'object' ? credentialsEndpoint : undefined;
    const host = hostResources();
    const identity: InstanceIdentity = {
      cluster: opts.cluster,
      region,
      availabilityZone: opts.availabilityZone ?? `${region}a`,
      instanceType: opts.instanceType,
      ec2InstanceId: state.data.ec2InstanceId,
      ip,
      cpu: opts.cpu ?? sized?.cpu ?? host.cpu,
      memory: opts.memory ?? sized?.memory ?? host.memory,
      architecture: opts.instanceType ? instanceTypeArchitecture(opts.instanceType) : arch() === 'arm64' ? 'arm64' : 'x86_64',
      attributes: opts.attributes ?? {},
      agentVersion: opts.version,
      dockerVersion: engineVersion?.version,
      dockerApiVersion: engineVersion?.apiVersion,
      runtime: runtime.kind,
      disablePrivileged: opts.disablePrivileged,
      disableHostNetwork: opts.disableHostNetwork,
      allowedBindMounts: opts.allowedBindMounts,
      // Task roles need the credentials endpoint (the simulated runtime runs no containers).
      taskIamRole: runtime.kind === 'simulated' || credentialsServer !== undefined,
    };

    const pool = new ConnectionPool(tls, 2);
    const ecs = new ECSClient({ endpoint: opts.endpoint, region, credentials, maxAttempts: 1, ...pool.sdk() });
    const instanceArn = await registerWithRetry(ecs, identity, state, log, opts.backoffMs, opts.endpoint);
    const clusterArn = instanceArn.replace(/:container-instance\/([^/]+)\/[^/]+$/, ':cluster/$1');

    const metadata = await startMetadata(() => engine!, runtime, clusterArn, identity.availabilityZone, state, log);
    const spec: SpecContext = {
      clusterArn, instanceArn, ip, stateDir: state.dir, metadataUri: metadata.uri, credentialsEnv: credentialsServer?.env,
      hostProtection: { disablePrivileged: opts.disablePrivileged, disableHostNetwork: opts.disableHostNetwork, allowedBindMounts: opts.allowedBindMounts },
      pullBehavior: pullBehaviorFromEnv(), defaultStopTimeout: stopTimeoutFromEnv(),
    };
    // Reports skip the SDK's per-call middleware (report-client.ts): a fleet sends thousands a second.
    const reports = new ReportClient({ endpoint: opts.endpoint, region, credentials, pool });
    const reporter = new StateReporter({ submit: (change) => reports.submitTaskStateChange(change), cluster: clusterArn, log });
    const awsLogs = new AwsLogs({ runtime, endpoint: opts.endpoint, region, credentials, stateDir: state.dir, log, flushMs: opts.logFlushMs, executionCredentials, tls });
    let tcs: TcsClient | undefined;
    const health = new HealthReporter(async (tasks) => (await tcs?.publishHealth(tasks)) ?? false);
    engine = new TaskEngine({
      runtime, state, spec, log, onChange: (t) => {
        reporter.notify(t); health.notify(t); awsLogs.notify(t);
        if (t.known === 'STOPPED') roleCredentials.removeTask(t.arn);
      },
      cleanupAfterMs: opts.cleanupAfterMs ?? cleanupFromEnv(), reconcileMs: opts.reconcileMs, manifestGraceMs: opts.manifestGraceMs,
    });
    await engine.start();
    const tasks = engine;
    // Re-adopted containers resume shipping from their cursors.
    for (const t of Object.values(tasks.tasks)) awsLogs.notify(t);
    const versionInfo = { agentVersion: opts.version, agentHash: 'berth', dockerVersion: engineVersion?.version };
    const acs = new AcsClient({
      ecs, clusterArn, instanceArn, credentials, region, log,
      inactivityMs: opts.inactivityMs, backoffMs: opts.backoffMs, ca: tls?.ca,
      // A new session: connections from before (maybe into a partition) go, and every task's
      // state is reported again at once.
      onConnected: () => { if (acs.connections > 1) pool.reset(); reporter.resendAll(Object.values(tasks.tasks)); },
      versionInfo,
      onTasks: (list) => tasks.apply(list),
      onCredentials: (taskArn, roleType, c) => roleCredentials.set(taskArn, roleType, c),
      stopCandidates: (listed) => tasks.stopCandidates(listed),
      onStopVerified: (arns) => tasks.stopVerified(arns),
      onInactive: (message) => log(`the server deregistered this instance: ${message}`),
      onFence: (silentMs) => {
        const reason = `Task stopped by its agent (self-fencing): the server was not heard from for ${Math.round(silentMs / 1000)} seconds`;
        const stopped = tasks.fence(reason, opts.fenceStandalone);
        log(`self-fencing: stopped ${stopped.length} task(s)${stopped.length ? `: ${stopped.map((a) => a.split('/').pop()).join(' ')}` : ''}`);
      },
    });
    acs.start();
    tcs = new TcsClient({
      ecs, clusterArn, instanceArn, credentials, region, log, versionInfo,
      inactivityMs: opts.inactivityMs, backoffMs: opts.backoffMs, ca: tls?.ca, publishMs: opts.telemetryPublishMs,
      collect: () => collectMetrics(tasks, runtime),
      allHealth: () => health.all(Object.values(tasks.tasks)),
    });
    tcs.start();
    log(`${instanceArn} (${ip}, ${identity.availabilityZone}, ${identity.cpu} CPU, ${identity.memory} MiB) runtime ${runtime.kind}`
      + `${engineVersion ? ` (Docker ${engineVersion.version})` : ''}, task metadata at ${metadata.baseUrl}`);
    return new Agent(instanceArn, clusterArn, runtime, engine, reporter, acs, tcs, metadata, state, awsLogs, ecs, typeof opts.runtime !== 'object', registryAuth,
      roleCredentials, credentialsServer, pool, tls);
  }

  /** Stops the agent; running containers stay (a restarted agent adopts them), unless
   *  stopContainers: then every container of this instance is stopped too (the server learns
   *  what happened when an agent for the instance next connects). */
  async stop(options: { stopContainers?: boolean } = {}): Promise<void> {
    await this.acs.stop();
    await this.tcs.stop();
    await this.engine.close();
    await this.awsLogs.close();
    if (options.stopContainers) {
      for (const c of await this.runtime.listByLabel(LABELS.instance, this.instanceArn)) {
        if (c.state === 'running') await this.runtime.stop(c.id, 10).catch(() => undefined);
      }
    }
    this.reporter.close();
    this.state.saveNow();
    await this.metadata.close();
    await this.credentialsEndpoint?.close();
    if (this.ownsRuntime) await this.runtime.close();
    this.ecs.destroy();
    this.tls?.httpsAgent.destroy();
    this.pool.reset();
    this.registryAuth.close();
  }
}

/** A request from `remote` may read a task's credentials when it comes from one of the task's
 *  containers (bridge); a host-network task's containers share the host's addresses. */
async function taskOwnsAddress(engine: TaskEngine, taskArn: string, remote: string): Promise<boolean> {
  const task = engine.tasks[taskArn];
  if (!task || task.known === 'STOPPED') return false;
  if (task.desired.taskDefinition.networkMode === 'host') return true;
  for (const c of task.containers) {
    if (c.runtimeId && await containerIp(c.runtimeId).catch(() => undefined) === remote) return true;
  }
  return false;
}

/** Registers (re-registering with the saved ARN when the cluster is the same), retrying while
 *  the server cannot be reached. */
async function registerWithRetry(ecs: ECSClient, identity: InstanceIdentity, state: StateFile, log: (l: string) => void,
  backoffMs: [number, number] = [250, 30_000], endpoint = 'http://127.0.0.1:4566'): Promise<string> {
  const backoff = new Backoff(backoffMs[0], backoffMs[1]);
  let saved = state.data.cluster === identity.cluster ? state.data.instanceArn : undefined;
  for (;;) {
    try {
      const arn = await register(ecs, identity, saved);
      Object.assign(state.data, { cluster: identity.cluster, instanceArn: arn });
      state.saveNow();
      return arn;
    } catch (err) {
      const e = err as Error & { $fault?: string };
      if (saved && e.$fault === 'client' && e.name !== 'ClusterNotFoundException') {
        log(`re-registering ${saved} failed (${e.message}); registering as a new instance`);
        saved = undefined;
        continue;
      }
      if (e.name === 'ClusterNotFoundException') {
        throw new Error(`cluster '${identity.cluster}' does not exist on ${endpoint} (region ${identity.region}). Create it first:\n`
          + `  aws --endpoint-url ${endpoint} --region ${identity.region} ecs create-cluster --cluster-name ${identity.cluster}`);
      }
      if (e.$fault === 'client') throw new Error(`RegisterContainerInstance: ${e.name}: ${e.message}`);
      const delay = backoff.next();
      log(`cannot register yet (${e.message}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The metadata endpoint: on the Docker bridge gateway (reachable from containers) at the port
 *  the state dir remembers, so re-adopted containers keep a working URI. */
async function startMetadata(engine: () => TaskEngine, runtime: Runtime, clusterArn: string, availabilityZone: string,
  state: StateFile, log: (l: string) => void): Promise<MetadataServer> {
  const gateway = runtime.kind === 'docker' ? await bridgeGateway() : undefined;
  const opts = {
    get engine() { return engine(); },
    runtime, clusterArn, availabilityZone,
    containerIp: runtime.kind === 'docker' ? (id: string) => containerIp(id) : undefined,
  };
  const attempts = [
    { host: gateway ?? '127.0.0.1', port: state.data.metadataPort ?? 0 },
    { host: gateway ?? '127.0.0.1', port: 0 },
    { host: '0.0.0.0', port: 0, advertise: gateway ?? '127.0.0.1' },
  ];
  let lastError: Error | undefined;
  for (const bind of attempts) {
    try {
      const server = await startMetadataServer(opts, bind);
      if (state.data.metadataPort && state.data.metadataPort !== server.port) log(`metadata port ${state.data.metadataPort} is taken; re-adopted containers lose their metadata URI`);
      state.data.metadataPort = server.port;
      state.saveNow();
      return server;
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw lastError ?? new Error('cannot start the task metadata endpoint');
}

/** ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION (e.g. 3h, 10m, 30s) → ms; Berth's default is 10 min. */
function cleanupFromEnv(value = process.env.ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION): number {
  const m = value && /^(\d+)(ms|s|m|h)$/.exec(value.trim());
  if (!m) return 600_000;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
