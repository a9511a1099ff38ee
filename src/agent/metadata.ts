// Task metadata endpoint v4: an HTTP server containers reach (on the Docker bridge gateway, e.g.
// 172.17.0.1), serving for the token in each container's ECS_CONTAINER_METADATA_URI_V4:
//   /v4/<token>             the container's document       /v4/<token>/stats       its Docker stats
//   /v4/<token>/task        the task's document            /v4/<token>/task/stats  stats per container
// (and the same under /v3/<token> for ECS_CONTAINER_METADATA_URI, which the ECS agent also sets)
// in the JSON shapes ECS uses (Name, DockerId, KnownStatus, Limits, Ports, Networks…).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime/types.js';
import type { TaskEngine } from './task-engine.js';
import { containerStatus, taskStatus, type ContainerState, type TaskState } from './task-state.js';

export interface MetadataOptions {
  engine: TaskEngine;
  runtime: Runtime;
  clusterArn: string;
  availabilityZone: string;
  /** A container's address on its network, when the runtime can tell. */
  containerIp?(runtimeId: string): Promise<string | undefined>;
}

export interface MetadataServer {
  /** http://<address>:<port> containers use. */
  baseUrl: string;
  port: number;
  uri(token: string): string;
  close(): Promise<void>;
}

function containerDoc(t: TaskState, c: ContainerState, ip: string | undefined, labels: Record<string, string>): Record<string, unknown> {
  const def = t.desired.taskDefinition.containerDefinitions?.find((d) => d.name === c.name) ?? {};
  const override = t.desired.overrides?.containerOverrides?.find((o) => o.name === c.name);
  const mode = t.desired.taskDefinition.networkMode ?? 'bridge';
  return {
    DockerId: c.runtimeId ?? '',
    Name: c.name,
    DockerName: c.runtimeName,
    Image: def.image,
    Labels: labels,
    DesiredStatus: t.desired.desiredStatus === 'STOPPED' || t.stopReason ? 'STOPPED' : 'RUNNING',
    KnownStatus: containerStatus(c),
    ...(c.exitCode !== undefined ? { ExitCode: c.exitCode } : {}),
    Limits: { CPU: override?.cpu ?? def.cpu ?? 0, Memory: override?.memory ?? def.memory ?? 0 },
    ...(c.createdAt ? { CreatedAt: c.createdAt } : {}),
    ...(c.startedAt ? { StartedAt: c.startedAt } : {}),
    ...(c.finishedAt && c.known === 'STOPPED' ? { FinishedAt: c.finishedAt } : {}),
    Type: 'NORMAL',
    ...(c.health ? { Health: { status: c.health } } : {}),
    LogDriver: def.logConfiguration?.logDriver ?? 'json-file',
    ...(def.logConfiguration?.options ? { LogOptions: def.logConfiguration.options } : {}),
    Networks: [{ NetworkMode: mode, IPv4Addresses: ip ? [ip] : [] }],
    ...(c.bindings.length ? {
      Ports: c.bindings.map((b) => ({ ContainerPort: b.containerPort, Protocol: b.protocol, HostPort: b.hostPort, HostIp: b.bindIP })),
    } : {}),
  };
}

export async function startMetadataServer(opts: MetadataOptions, bind: { host: string; port: number; advertise?: string }): Promise<MetadataServer> {
  const ipOf = async (c: ContainerState) => (c.runtimeId && opts.containerIp ? await opts.containerIp(c.runtimeId).catch(() => undefined) : undefined);

  const taskDoc = async (t: TaskState) => {
    const td = t.desired.taskDefinition;
    const containers = [];
    for (const c of t.containers) {
      containers.push(containerDoc(t, c, await ipOf(c), labelsOf(t, c)));
    }
    const cpu = t.desired.overrides?.cpu ?? td.cpu;
    const memory = t.desired.overrides?.memory ?? td.memory;
    return {
      Cluster: opts.clusterArn,
      TaskARN: t.arn,
      Family: td.family,
      Revision: String(td.revision ?? ''),
      DesiredStatus: t.desired.desiredStatus === 'STOPPED' || t.stopReason ? 'STOPPED' : 'RUNNING',
      KnownStatus: taskStatus(t),
      ...(cpu || memory ? { Limits: { ...(cpu ? { CPU: Number(cpu) / 1024 } : {}), ...(memory ? { Memory: Number(memory) } : {}) } } : {}),
      ...(t.pullStartedAt ? { PullStartedAt: t.pullStartedAt } : {}),
      ...(t.pullStoppedAt ? { PullStoppedAt: t.pullStoppedAt } : {}),
      ...(t.executionStoppedAt ? { ExecutionStoppedAt: t.executionStoppedAt } : {}),
      AvailabilityZone: opts.availabilityZone,
      LaunchType: 'EC2',
      Containers: containers,
    };
  };

  const labelsOf = (t: TaskState, c: ContainerState): Record<string, string> => {
    const td = t.desired.taskDefinition;
    const def = td.containerDefinitions?.find((d) => d.name === c.name);
    return {
      ...def?.dockerLabels,
      'com.amazonaws.ecs.cluster': opts.clusterArn,
      'com.amazonaws.ecs.container-name': c.name,
      'com.amazonaws.ecs.task-arn': t.arn,
      'com.amazonaws.ecs.task-definition-family': td.family ?? '',
      'com.amazonaws.ecs.task-definition-version': String(td.revision ?? ''),
    };
  };

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      // v3 (ECS_CONTAINER_METADATA_URI) and v4 answer the same documents for a token.
      const m = /^\/v[34]\/([^/]+)(\/task)?(\/stats)?\/?$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) { send(404, { error: 'Not found: use /v4/<token>[/task][/stats] (or /v3/…)' }); return; }
      const found = opts.engine.byToken(decodeURIComponent(m[1]));
      if (!found) { send(404, { error: 'Unknown metadata token' }); return; }
      const { task, container } = found;
      if (!m[2] && !m[3]) {
        send(200, containerDoc(task, container, await ipOf(container), labelsOf(task, container)));
      } else if (m[2] && !m[3]) {
        send(200, await taskDoc(task));
      } else if (!m[2]) {
        send(200, container.runtimeId ? (await opts.runtime.stats(container.runtimeId)) ?? {} : {});
      } else {
        const out: Record<string, unknown> = {};
        for (const c of task.containers) if (c.runtimeId) out[c.runtimeId] = (await opts.runtime.stats(c.runtimeId)) ?? null;
        send(200, out);
      }
    } catch (err) {
      send(500, { error: (err as Error).message });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const address = bind.advertise ?? bind.host;
  const baseUrl = `http://${address}:${port}`;
  return {
    baseUrl,
    port,
    uri: (token) => `${baseUrl}/v4/${token}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
