// For tests of the server end of the agent protocol: a small client that plays an ECS agent with
// real calls — RegisterContainerInstance and DiscoverPollEndpoint through the SDK, a SigV4-signed
// websocket to ACS (the `ws` package), acks, and state reports via SubmitTaskStateChange. It runs
// no containers: it is a protocol peer, not a mock of Docker.
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  DiscoverPollEndpointCommand, RegisterContainerInstanceCommand, SubmitTaskStateChangeCommand, type ContainerStateChange,
  type ECSClient, type Resource,
} from '@aws-sdk/client-ecs';
import { SignatureV4 } from '@smithy/signature-v4';
import { WebSocket } from 'ws';
import type { AgentMessage, ServerMessage } from '../protocol/acs.js';

export interface TestAgentOptions {
  cluster: string;
  cpu?: number;
  memory?: number;
  /** Extra reserved TCP ports (the agent always reserves 22, 2375, 2376, 51678, 51679). */
  ports?: string[];
  /** Answer PayloadMessages with AckRequest (default true). */
  autoAck?: boolean;
  /** Answer HeartbeatMessages with HeartbeatAckRequest (default true). */
  answerHeartbeats?: boolean;
  /** Answer the server's websocket pings with pongs (default: as answerHeartbeats). */
  answerPings?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  /** Attribute names to register (capabilities such as ecs.capability.container-health-check). */
  attributes?: string[];
}

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** Fails a wait that would otherwise hang the test run (a guard, not a timing assertion). */
const GUARD_MS = 10_000;

export class TestAgent {
  readonly received: ServerMessage[] = [];
  private consumed = new Set<number>();
  private waiters: (() => void)[] = [];
  private ws?: WebSocket;
  closed?: Promise<{ code: number; reason: string }>;

  private constructor(private readonly ecs: ECSClient, readonly cluster: string, readonly instanceArn: string,
    private readonly options: TestAgentOptions) {}

  /** Registers a container instance and returns its agent (not connected yet). */
  static async register(ecs: ECSClient, options: TestAgentOptions): Promise<TestAgent> {
    const totalResources: Resource[] = [
      { name: 'CPU', type: 'INTEGER', integerValue: options.cpu ?? 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: options.memory ?? 4096 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: options.ports ?? [] },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ];
    const out = await ecs.send(new RegisterContainerInstanceCommand({
      cluster: options.cluster, totalResources, versionInfo: { agentVersion: '1.0.0-test' },
      attributes: options.attributes?.map((name) => ({ name })),
    }));
    return new TestAgent(ecs, options.cluster, out.containerInstance!.containerInstanceArn!, options);
  }

  /** An agent for an instance ARN that was not registered here (to test refusals). */
  static forArn(ecs: ECSClient, cluster: string, instanceArn: string): TestAgent {
    return new TestAgent(ecs, cluster, instanceArn, { cluster });
  }

  /** DiscoverPollEndpoint, then the signed websocket upgrade; resolves once open. */
  async connect(query: Record<string, string> = {}): Promise<void> {
    const { endpoint } = await this.ecs.send(new DiscoverPollEndpointCommand({ cluster: this.cluster, containerInstance: this.instanceArn }));
    const url = new URL(`${endpoint}/ws`);
    const params = { clusterArn: this.cluster, containerInstanceArn: this.instanceArn, seqNum: '1', protocolVersion: '2', ...query };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const signer = new SignatureV4({
      service: 'ecs', region: this.options.region ?? 'us-east-1', sha256: Sha256,
      credentials: this.options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const signed = await signer.sign({
      method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname,
      query: Object.fromEntries(url.searchParams), headers: { host: url.host },
    });
    const ws = new WebSocket(url, { headers: signed.headers, autoPong: this.options.answerPings ?? this.options.answerHeartbeats !== false });
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    ws.on('message', (data) => this.receive(JSON.parse(String(data)) as ServerMessage));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(new Error(`upgrade refused: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString('utf8')}`)));
      });
    });
  }

  private receive(message: ServerMessage) {
    this.received.push(message);
    if (message.type === 'PayloadMessage' && this.options.autoAck !== false) this.ack(message.message.messageId);
    if (message.type === 'HeartbeatMessage' && this.options.answerHeartbeats !== false) this.send({ type: 'HeartbeatAckRequest', message: { messageId: message.message.messageId } });
    for (const w of this.waiters.splice(0)) w();
  }

  send(message: AgentMessage | Record<string, unknown>) { this.ws?.send(JSON.stringify(message)); }

  ack(messageId: string) {
    this.send({ type: 'AckRequest', message: { cluster: this.cluster, containerInstance: this.instanceArn, messageId } });
  }

  /** The next not-yet-consumed message of a type (matching `match`), waiting for it if needed. */
  async next<T extends ServerMessage['type']>(type: T, match: (m: Of<T>) => boolean = () => true): Promise<Of<T>> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const i = this.received.findIndex((m, idx) => !this.consumed.has(idx) && m.type === type && match(m as Of<T>));
      if (i >= 0) { this.consumed.add(i); return this.received[i] as Of<T>; }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} arrived; got ${this.received.map((m) => m.type).join(', ') || 'nothing'}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** The next PayloadMessage carrying `taskArn` with the given desired status. */
  async payloadFor(taskArn: string, desiredStatus: 'RUNNING' | 'STOPPED') {
    const m = await this.next('PayloadMessage', (p) => p.message.tasks.some((t) => t.arn === taskArn && t.desiredStatus === desiredStatus));
    return { message: m, task: m.message.tasks.find((t) => t.arn === taskArn)! };
  }

  /** SubmitTaskStateChange, as the agent reports a task's progress. */
  async report(task: string, status: string, extra: { reason?: string; containers?: ContainerStateChange[]; pullStartedAt?: Date;
    pullStoppedAt?: Date; executionStoppedAt?: Date } = {}) {
    return this.ecs.send(new SubmitTaskStateChangeCommand({ cluster: this.cluster, task, status, ...extra }));
  }

  /** Drops the connection without a close handshake, as a killed agent process does. */
  async kill() {
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }

  async close() {
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}
