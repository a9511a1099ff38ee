// The agent's end of TCS (src/protocol/tcs.ts), as the Amazon ECS agent does it: DiscoverPollEndpoint's
// telemetryEndpoint, a SigV4-signed websocket to `<telemetryEndpoint>/ws?cluster=…&containerInstance=…`,
// and every frame a signed request's header block followed by the JSON message. Every publishMs
// (20 s, like the ECS agent) a PublishMetricsRequest with each running task's container CPU (percent
// of the whole host, from the runtime's Docker-shaped stats) and memory (MiB); task health goes out
// as PublishHealthRequest whenever it changes and again after every (re)connect. The server's
// HeartbeatMessage / Ack* keep the connection; 1–2 min of silence, a close or an error reconnects
// with backoff.
import { DiscoverPollEndpointCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { TaskHealth, VersionInfo } from '../protocol/acs.js';
import {
  formatFrame, type ContainerMetric, type CWStatsSet, type TaskMetric, type TcsAgentMessage, type TcsServerMessage,
} from '../protocol/tcs.js';
import { Backoff, signedUpgradeHeaders, type Credentials } from './acs-client.js';
import { sign } from './sigv4-signer.js';

export interface TcsClientOptions {
  ecs: ECSClient;
  clusterArn: string;
  instanceArn: string;
  credentials: Credentials;
  region: string;
  versionInfo?: VersionInfo;
  /** The task metrics of one publish (metrics.ts). */
  collect(): Promise<TaskMetric[]>;
  /** Health of every task with a health check (sent again after each connect). */
  allHealth(): TaskHealth[];
  log?(line: string): void;
  /** Between PublishMetricsRequests (default 20 s). */
  publishMs?: number;
  inactivityMs?: [number, number];
  backoffMs?: [number, number];
  /** CA certificates for a wss:// endpoint (tls-trust.ts). */
  ca?: string[];
}

/** `<telemetryEndpoint>/ws?…` with the ECS agent's query parameters. */
export function tcsUrl(endpoint: string, cluster: string, instanceArn: string, version: VersionInfo = {}): URL {
  const url = new URL(`${endpoint.replace(/\/+$/, '')}/ws`);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.searchParams.set('cluster', cluster);
  url.searchParams.set('containerInstance', instanceArn);
  url.searchParams.set('agentVersion', version.agentVersion ?? 'berth');
  url.searchParams.set('agentHash', version.agentHash ?? '');
  if (version.dockerVersion) url.searchParams.set('dockerVersion', version.dockerVersion);
  return url;
}

/** A frame: the headers of a SigV4-signed GET of the connection URL with the message as body. */
export async function signedFrame(url: URL, message: TcsAgentMessage, credentials: Credentials, region: string): Promise<string> {
  const body = JSON.stringify(message);
  const signed = sign({ method: 'GET', host: url.host, path: url.pathname, query: url.searchParams, body }, credentials, region);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed)) headers[k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())] = v;
  return formatFrame(headers, body);
}

export class TcsClient {
  private stopped = false;
  private socket?: WebSocket;
  private url?: URL;
  private wakeUp?: () => void;
  private readonly backoff: Backoff;
  private loop?: Promise<void>;
  private publisher?: NodeJS.Timeout;
  connected = false;
  /** Acks received, by type (for tests). */
  readonly acks = new Map<string, number>();

  constructor(private readonly opts: TcsClientOptions) {
    const [min, max] = opts.backoffMs ?? [250, 10_000];
    this.backoff = new Backoff(min, max);
  }

  start(): void { this.loop ??= this.run(); }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.publisher);
    this.socket?.terminate();
    this.wakeUp?.();
    await this.loop;
  }

  private log(line: string) { this.opts.log?.(line); }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const out = await this.opts.ecs.send(new DiscoverPollEndpointCommand({ containerInstance: this.opts.instanceArn, cluster: this.opts.clusterArn }));
        if (!out.telemetryEndpoint) throw new Error('DiscoverPollEndpoint answered without a telemetryEndpoint');
        await this.connectOnce(out.telemetryEndpoint);
      } catch (err) {
        this.log(`tcs: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      const delay = this.backoff.next();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  private async connectOnce(endpoint: string): Promise<void> {
    const url = tcsUrl(endpoint, this.opts.clusterArn, this.opts.instanceArn, this.opts.versionInfo);
    const headers = await signedUpgradeHeaders(url, this.opts.credentials, this.opts.region);
    if (this.stopped) return;
    const ws = new WebSocket(url, { headers, handshakeTimeout: 15_000, ...(this.opts.ca ? { ca: this.opts.ca } : {}) });
    this.socket = ws;
    this.url = url;
    const [lo, hi] = this.opts.inactivityMs ?? [60_000, 120_000];
    const window = lo + Math.floor(Math.random() * Math.max(0, hi - lo));
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.log(`tcs: nothing heard for ${window} ms, reconnecting`); ws.terminate(); }, window);
    };
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`telemetry websocket upgrade refused: HTTP ${res.statusCode}`));
      });
      ws.on('open', () => {
        opened = true;
        this.connected = true;
        this.backoff.reset();
        touch();
        // One publish at a time: a tick that finds the last one still collecting is skipped.
        let publishing = false;
        this.publisher = setInterval(() => {
          if (publishing) return;
          publishing = true;
          void this.publishMetrics().finally(() => { publishing = false; });
        }, this.opts.publishMs ?? 20_000);
        void this.publishHealth(this.opts.allHealth());
      });
      ws.on('message', (data) => {
        touch();
        let msg: TcsServerMessage;
        try { msg = JSON.parse(String(data)) as TcsServerMessage; } catch { return; }
        this.acks.set(msg.type, (this.acks.get(msg.type) ?? 0) + 1);
        if (msg.type === 'BadRequestException' || msg.type === 'ServerException' || msg.type === 'InvalidParameterException') this.log(`tcs: ${msg.type}: ${msg.message?.message}`);
        if (msg.type === 'StopTelemetrySessionMessage') ws.close();
      });
      ws.on('error', (err) => { if (!opened) reject(err); else this.log(`tcs: ${err.message}`); });
      ws.on('close', () => {
        clearTimeout(timer);
        clearInterval(this.publisher);
        this.connected = false;
        if (opened) resolve(); else reject(new Error('telemetry websocket closed before it opened'));
      });
    });
  }

  private async send(message: TcsAgentMessage): Promise<boolean> {
    const ws = this.socket;
    if (!ws || !this.url || ws.readyState !== WebSocket.OPEN) return false;
    const frame = await signedFrame(this.url, message, this.opts.credentials, this.opts.region);
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame);
    return true;
  }

  /** One PublishMetricsRequest per 10 tasks, the last one with fin (as the ECS agent batches them). */
  async publishMetrics(): Promise<void> {
    try {
      const tasks = await this.opts.collect();
      const meta = { cluster: this.opts.clusterArn, containerInstance: this.opts.instanceArn };
      const timestamp = new Date().toISOString();
      if (tasks.length === 0) {
        await this.send({ type: 'PublishMetricsRequest', message: { metadata: { ...meta, messageId: randomUUID(), idle: true, fin: true }, taskMetrics: [], timestamp } });
        return;
      }
      for (let i = 0; i < tasks.length; i += 10) {
        const fin = i + 10 >= tasks.length;
        await this.send({ type: 'PublishMetricsRequest', message: { metadata: { ...meta, messageId: randomUUID(), idle: false, fin }, taskMetrics: tasks.slice(i, i + 10), timestamp } });
      }
    } catch (err) {
      this.log(`tcs: publishing metrics failed: ${(err as Error).message}`);
    }
  }

  /** PublishHealthRequest for these tasks (false when not connected: all go out after the next connect). */
  async publishHealth(tasks: TaskHealth[]): Promise<boolean> {
    if (tasks.length === 0) return this.connected;
    const meta = { cluster: this.opts.clusterArn, containerInstance: this.opts.instanceArn };
    const now = new Date().toISOString();
    let ok = true;
    for (let i = 0; i < tasks.length; i += 10) {
      const batch = tasks.slice(i, i + 10).map((t) => ({
        taskArn: t.taskArn, clusterArn: this.opts.clusterArn,
        containers: t.containers.map((c) => ({ containerName: c.containerName, healthStatus: c.healthStatus, statusSince: now })),
      }));
      ok = await this.send({ type: 'PublishHealthRequest', message: { metadata: { ...meta, messageId: randomUUID(), fin: i + 10 >= tasks.length }, tasks: batch, timestamp: now } }) && ok;
    }
    return ok;
  }
}

/** A single-sample stats set. */
export const oneSample = (value: number): CWStatsSet => ({ min: value, max: value, sampleCount: 1, sum: value });

/** A container's metric from Docker-shaped stats (`GET /containers/{id}/stats?stream=false`):
 *  CPU in percent of the whole host (Δ container usage / Δ system usage, which covers all cores),
 *  memory in MiB (usage less page cache). */
export function containerMetric(name: string, stats: Record<string, unknown> | undefined): ContainerMetric {
  type Cpu = { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  const cpu = (stats?.cpu_stats ?? {}) as Cpu;
  const pre = (stats?.precpu_stats ?? {}) as Cpu;
  const dc = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const ds = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const percent = dc > 0 && ds > 0 ? (dc / ds) * 100 : 0;
  const mem = (stats?.memory_stats ?? {}) as { usage?: number; stats?: { cache?: number; inactive_file?: number } };
  const bytes = Math.max(0, (mem.usage ?? 0) - (mem.stats?.inactive_file ?? mem.stats?.cache ?? 0));
  return { containerName: name, cpuStatsSet: oneSample(percent), memoryStatsSet: oneSample(Math.round(bytes / (1024 * 1024))) };
}
