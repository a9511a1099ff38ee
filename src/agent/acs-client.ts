// The agent's end of ACS, as the Amazon ECS agent does it (ecs-agent/acs/session): DiscoverPollEndpoint,
// then a websocket to <endpoint>/ws with a SigV4-signed upgrade request. A PayloadMessage's tasks
// are decoded (src/protocol/acs-task.ts), handed to the task engine and acked (AckRequest); its
// seqNum raises the highest sequence number seen. A TaskManifestMessage whose timeline is not
// above that number is ignored; else it is acked, and the tasks it leaves out are sent back as a
// TaskStopVerificationMessage: only those the server names in its TaskStopVerificationAck stop.
// Every HeartbeatMessage is acked. Any inbound frame (or ping) resets an inactivity timer; when it
// fires, or the socket closes or fails, the client rediscovers the endpoint and reconnects with
// backoff from 250 ms (×1.5, ±20 % jitter). A Berth server names its heartbeat interval in the
// upgrade response (HEARTBEAT_HEADER): the inactivity window is then 2 heartbeats, as on the server (a half-open
// connection is noticed within the server's grace period) and the backoff is capped at one
// heartbeat (after a partition heals the agent is back within about one). Without it (another
// server) the ECS agent's 1–2 min window applies, and a 10 s cap (one default heartbeat).
// Self-fencing: a server that gives a fence deadline (FENCE_AFTER_HEADER) is obeyed — once nothing
// has been heard from it for that long, across reconnection attempts, onFence is called (once per
// silence) so the agent stops the tasks marked selfFence before the server replaces them.
import { Sha256 } from '@aws-crypto/sha256-js';
import { DiscoverPollEndpointCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { SignatureV4 } from '@smithy/signature-v4';
import WebSocket from 'ws';
import { ACS_PATH, FENCE_AFTER_HEADER, HEARTBEAT_HEADER, type AcsTask, type AgentMessage, type ServerMessage, type TaskIdentifier, type VersionInfo, type WireRoleCredentials } from '../protocol/acs.js';
import { decodeTask } from '../protocol/acs-task.js';

export interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) from the environment, else test/test. */
export function agentCredentials(env = process.env): Credentials {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  }
  return { accessKeyId: 'test', secretAccessKey: 'test' };
}

export interface AcsClientOptions {
  ecs: ECSClient;
  clusterArn: string;
  instanceArn: string;
  credentials: Credentials;
  region: string;
  /** Takes in a PayloadMessage's tasks; the ack goes out when it resolves. */
  onTasks(tasks: AcsTask[]): Promise<void> | void;
  /** Role credentials ECS sent for a task (in its PayloadMessage task, or an IAMRoleCredentialsMessage). */
  onCredentials?(taskArn: string, roleType: 'TaskApplication' | 'TaskExecution', credentials: WireRoleCredentials): void;
  /** The tasks a manifest leaves out (`listed`: the ARNs it names desired RUNNING). */
  stopCandidates(listed: ReadonlySet<string>): string[];
  /** The server confirmed these may stop. */
  onStopVerified(taskArns: string[]): void;
  /** Sent in the connection's query string (the server records it as the instance's versionInfo). */
  versionInfo?: VersionInfo;
  /** Called on every (re)connection, before any message of it. */
  onConnected?(): void;
  /** The server says the instance is deregistered: the client stops. */
  onInactive?(message: string): void;
  log?(line: string): void;
  /** Inactivity window, ms (a random value in it per connection). Default 60–120 s. */
  inactivityMs?: [number, number];
  /** Reconnect backoff, ms. Default 250 → the server's heartbeat interval (else 10,000: one default heartbeat). */
  backoffMs?: [number, number];
  /** Nothing heard from the server for its fence deadline: stop the self-fencing tasks. */
  onFence?(silentMs: number): void;
  /** CA certificates for a wss:// endpoint (tls-trust.ts); Node's defaults otherwise. */
  ca?: string[];
}

export class Backoff {
  private current: number;
  constructor(private readonly min: number, private max: number, private readonly random = Math.random) { this.current = min; }
  /** A new ceiling (the server's heartbeat interval). */
  cap(max: number) { this.max = Math.max(this.min, max); this.current = Math.min(this.current, this.max); }
  /** The next delay: grows ×1.5 up to max, with ±20 % jitter. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.max, this.current * 1.5);
    return Math.round(Math.min(this.max, base * (0.8 + 0.4 * this.random())));
  }
  reset() { this.current = this.min; }
}

/** ws(s)://host/ws?… for an http(s) endpoint, with the ECS agent's query parameters. */
export function acsUrl(endpoint: string, clusterArn: string, instanceArn: string, version: VersionInfo = {}): URL {
  const url = new URL(endpoint.replace(/\/+$/, '') + ACS_PATH);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.searchParams.set('clusterArn', clusterArn);
  url.searchParams.set('containerInstanceArn', instanceArn);
  url.searchParams.set('agentHash', version.agentHash ?? '');
  url.searchParams.set('agentVersion', version.agentVersion ?? 'berth');
  url.searchParams.set('seqNum', '1');
  url.searchParams.set('protocolVersion', '2');
  if (version.dockerVersion) url.searchParams.set('dockerVersion', `DockerVersion: ${version.dockerVersion}`);
  url.searchParams.set('sendCredentials', 'false');
  return url;
}

/** The headers of a SigV4-signed (service ecs) GET of the upgrade URL. */
export async function signedUpgradeHeaders(url: URL, credentials: Credentials, region: string): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials, region, service: 'ecs', sha256: Sha256 });
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => { query[k] = v; });
  const signed = await signer.sign({
    method: 'GET',
    protocol: url.protocol === 'wss:' ? 'https:' : 'http:',
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers: { host: url.host },
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = String(v);
  return headers;
}

export class AcsClient {
  private stopped = false;
  private socket?: WebSocket;
  private wakeUp?: () => void;
  private readonly backoff: Backoff;
  private loop?: Promise<void>;
  connected = false;
  /** Connections opened so far. */
  connections = 0;
  /** The highest seqNum / timeline taken in (a manifest not above it is stale). */
  latestSeqNum = 0;
  /** The messageId of the latest manifest acted on (a verification ack must name it). */
  private manifestMessageId = '';
  /** When the server was last heard from (any frame or ping; Date.now()). */
  heardAt = Date.now();
  /** The server's heartbeat interval and fence deadline, from the latest upgrade response. */
  heartbeatMs?: number;
  fenceAfterMs?: number;
  /** onFence was called for the current silence. */
  fenced = false;
  private fenceTimer?: NodeJS.Timeout;

  constructor(private readonly opts: AcsClientOptions) {
    const [min, max] = opts.backoffMs ?? [250, 10_000];
    this.backoff = new Backoff(min, max);
  }

  start(): void {
    this.loop ??= this.run();
  }

  private heard() {
    this.heardAt = Date.now();
    if (this.fenced) { this.fenced = false; this.armFence(); }
  }

  /** One timer per agent, due when the current silence would reach the fence deadline (a fleet
   *  of 1,000 agents polling every 250 ms fired 4,000 timers a second). Hearing from the server
   *  only moves heardAt: the timer, when due, looks again. */
  private armFence() {
    clearTimeout(this.fenceTimer);
    if (this.stopped || this.fenced || this.fenceAfterMs === undefined) return;
    this.fenceTimer = setTimeout(() => this.checkFence(), Math.max(0, this.heardAt + this.fenceAfterMs - Date.now()));
    this.fenceTimer.unref();
  }

  private checkFence() {
    if (this.fenced || this.stopped || this.fenceAfterMs === undefined) return;
    const silent = Date.now() - this.heardAt;
    if (silent < this.fenceAfterMs) { this.armFence(); return; }
    this.fenced = true;
    this.log(`acs: nothing heard from the server for ${silent} ms (fence deadline ${this.fenceAfterMs} ms): stopping self-fencing tasks`);
    this.opts.onFence?.(silent);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.fenceTimer);
    this.socket?.terminate();
    this.wakeUp?.();
    await this.loop;
  }

  private log(line: string) { this.opts.log?.(line); }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const out = await this.opts.ecs.send(new DiscoverPollEndpointCommand({ containerInstance: this.opts.instanceArn, cluster: this.opts.clusterArn }));
        if (!out.endpoint) throw new Error('DiscoverPollEndpoint answered without an endpoint');
        await this.connectOnce(out.endpoint);
      } catch (err) {
        const e = err as Error;
        if (e.name === 'InactiveInstanceException' || e.name === 'ClientException' && /deregistered|inactive/i.test(e.message)) {
          this.inactive(e.message);
        } else {
          this.log(`acs: ${e.message}`);
        }
      }
      if (this.stopped) break;
      const delay = this.backoff.next();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  private inactive(message: string) {
    this.log(`acs: instance is inactive: ${message}`);
    this.stopped = true;
    this.opts.onInactive?.(message);
  }

  private async connectOnce(endpoint: string): Promise<void> {
    const url = acsUrl(endpoint, this.opts.clusterArn, this.opts.instanceArn, this.opts.versionInfo);
    const headers = await signedUpgradeHeaders(url, this.opts.credentials, this.opts.region);
    if (this.stopped) return;
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5_000, ...(this.opts.ca ? { ca: this.opts.ca } : {}) });
    this.socket = ws;
    let [lo, hi] = this.opts.inactivityMs ?? [60_000, 120_000];
    ws.on('upgrade', (res) => {
      const number = (name: string) => { const v = Number(res.headers[name]); return Number.isFinite(v) && v > 0 ? v : undefined; };
      this.heartbeatMs = number(HEARTBEAT_HEADER);
      this.fenceAfterMs = number(FENCE_AFTER_HEADER);
      this.armFence();
      if (this.heartbeatMs && !this.opts.inactivityMs) lo = hi = this.heartbeatMs * 2;
      if (this.heartbeatMs && !this.opts.backoffMs) this.backoff.cap(this.heartbeatMs);
    });
    ws.on('ping', () => { this.heard(); touch(); });
    let window = lo;
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.log(`acs: nothing heard for ${window} ms, reconnecting`); ws.terminate(); }, window);
    };
    let chain = Promise.resolve();
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (/InactiveInstanceException/.test(text)) this.inactive(text);
          reject(new Error(`websocket upgrade refused: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
        });
      });
      ws.on('open', () => {
        opened = true;
        window = lo + Math.floor(Math.random() * Math.max(0, hi - lo));
        this.heard();
        this.connected = true;
        this.connections++;
        this.backoff.reset();
        touch();
        this.opts.onConnected?.();
      });
      ws.on('message', (data) => {
        this.heard();
        touch();
        let msg: ServerMessage;
        try { msg = JSON.parse(String(data)) as ServerMessage; } catch { this.log('acs: dropped a frame that is not JSON'); return; }
        chain = chain.then(() => this.handle(ws, msg)).catch((err: Error) => this.log(`acs: handling ${msg.type} failed: ${err.message}`));
      });
      ws.on('error', (err) => { if (!opened) reject(err); else this.log(`acs: ${err.message}`); });
      ws.on('close', () => {
        clearTimeout(timer);
        this.connected = false;
        if (opened) resolve(); else reject(new Error('websocket closed before it opened'));
      });
    });
  }

  /** Sends a message on the current connection; false when there is none. */
  sendMessage(msg: AgentMessage): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(msg));
    return true;
  }

  private send(ws: WebSocket, msg: AgentMessage) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  private ack(ws: WebSocket, messageId: string) {
    this.send(ws, { type: 'AckRequest', message: { cluster: this.opts.clusterArn, containerInstance: this.opts.instanceArn, messageId } });
  }

  private async handle(ws: WebSocket, msg: ServerMessage): Promise<void> {
    switch (msg.type) {
      case 'HeartbeatMessage':
        this.send(ws, { type: 'HeartbeatAckRequest', message: { messageId: msg.message.messageId } });
        return;
      case 'PayloadMessage': {
        const tasks: AcsTask[] = [];
        for (const wire of msg.message.tasks ?? []) {
          try { tasks.push(decodeTask(wire)); } catch (err) { this.log(`acs: task ${wire?.arn} is malformed: ${(err as Error).message}`); continue; }
          if (wire.roleCredentials) this.opts.onCredentials?.(wire.arn, 'TaskApplication', wire.roleCredentials);
          if (wire.executionRoleCredentials) this.opts.onCredentials?.(wire.arn, 'TaskExecution', wire.executionRoleCredentials);
        }
        await this.opts.onTasks(tasks);
        this.latestSeqNum = Math.max(this.latestSeqNum, msg.message.seqNum ?? 0);
        this.ack(ws, msg.message.messageId);
        return;
      }
      case 'TaskManifestMessage': {
        const m = msg.message;
        if (!(m.timeline > this.latestSeqNum)) { this.log(`acs: ignoring manifest ${m.messageId}: timeline ${m.timeline} is not above ${this.latestSeqNum}`); return; }
        this.latestSeqNum = m.timeline;
        this.manifestMessageId = m.messageId;
        const listed = new Set((m.tasks ?? []).filter((t) => t.desiredStatus === 'RUNNING').map((t) => t.taskArn));
        const candidates = this.opts.stopCandidates(listed);
        this.ack(ws, m.messageId);
        if (candidates.length) {
          const stopCandidates: TaskIdentifier[] = candidates.map((taskArn) => ({ taskArn, taskClusterArn: m.clusterArn, desiredStatus: 'STOPPED' }));
          this.send(ws, { type: 'TaskStopVerificationMessage', message: { messageId: m.messageId, stopCandidates } });
        }
        return;
      }
      case 'TaskStopVerificationAck': {
        if (!msg.message.messageId || msg.message.messageId !== this.manifestMessageId) return;
        this.manifestMessageId = '';
        this.opts.onStopVerified((msg.message.stopTasks ?? []).map((t) => t.taskArn));
        return;
      }
      case 'IAMRoleCredentialsMessage': {
        const m = msg.message;
        if (!m?.taskArn || !m.roleCredentials?.credentialsId) return;
        this.opts.onCredentials?.(m.taskArn, m.roleType === 'TaskExecution' ? 'TaskExecution' : 'TaskApplication', m.roleCredentials);
        this.send(ws, { type: 'IAMRoleCredentialsAckRequest', message: { messageId: m.messageId, expiration: m.roleCredentials.expiration, credentialsId: m.roleCredentials.credentialsId } });
        return;
      }
      case 'CloseMessage':
        this.log(`acs: server closed the session: ${msg.message.message}`);
        ws.close();
        return;
      case 'InactiveInstanceException':
        this.inactive(msg.message.message);
        ws.close();
        return;
      default:
        this.log(`acs: no handler for ${(msg as { type?: string }).type}`);
    }
  }

  /** For tests: drop the current connection as if the network failed. */
  dropConnection() { this.socket?.terminate(); }
}
