// One agent's telemetry websocket. Each frame is a signed header block then the JSON message
// (src/protocol/tcs.ts); the header block is authenticated like any request (the gateway's
// authenticate stage) and must be the connection's account. PublishMetricsRequest feeds
// CloudWatch (metrics.ts), PublishHealthRequest the tasks' healthStatus (health.ts),
// PublishInstanceStatusRequest the instance's status (health.ts); each is acknowledged with its
// Ack* message. A HeartbeatMessage and a websocket ping go out every heartbeatMs (the agent closes a
// connection it hears nothing on for 1–2 min); a session that sends nothing and answers no ping for
// silentMs is closed on this side too, so a half-open connection's session (and the metrics samples
// it holds) does not outlive its agent. Messages of one session are handled in order.
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { parseFrame, type TcsAgentMessage, type TcsFrame, type TcsServerMessage } from '../../../protocol/tcs.js';
import { AwsError } from '../../../common/errors.js';
import type { RequestContext } from '../../context.js';
import type { ServiceHost } from '../../types.js';
import { DefinitionCache } from '../acs/acs-tasks.js';
import { instanceIdOf } from '../model/task-model.js';
import { ingestHealth, ingestInstanceStatus } from './health.js';
import { MetricsIngest } from './metrics.js';

export interface TcsOptions {
  /** Between HeartbeatMessages and pings (default 30 s; the agent gives up after 1–2 min of silence). */
  heartbeatMs: number;
  /** A session that sends no frame and answers no ping this long is closed (ACS's silentMs). */
  silentMs: number;
}

/** At most this many frames wait to be handled; more are answered with ServerException. */
const MAX_QUEUED = 50;

export class TcsSession {
  private readonly instanceId: string;
  private readonly cache = new DefinitionCache();
  readonly metrics: MetricsIngest;
  private timer?: NodeJS.Timeout;
  private silence?: NodeJS.Timeout;
  private heardAt = Date.now();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;

  constructor(private readonly ctx: RequestContext, private readonly ws: WebSocket, readonly cluster: string, readonly instanceArn: string,
    private readonly url: string, private readonly host: Pick<ServiceHost<unknown>, 'authenticate'>, private readonly options: TcsOptions,
    private readonly onClose: (s: TcsSession) => void, private readonly received: Map<string, number> = new Map()) {
    this.instanceId = instanceIdOf(instanceArn);
    this.metrics = new MetricsIngest(ctx, cluster, this.instanceId, this.cache);
  }

  start() {
    this.ws.on('message', (data) => { this.heardAt = Date.now(); this.receive(String(data)); });
    this.ws.on('pong', () => { this.heardAt = Date.now(); });
    this.ws.on('close', () => this.shutdown());
    this.ws.on('error', () => this.shutdown());
    this.timer = setInterval(() => {
      this.send({ type: 'HeartbeatMessage', message: { healthy: true } });
      if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    }, this.options.heartbeatMs);
    this.silence = setInterval(() => {
      if (Date.now() - this.heardAt <= this.options.silentMs) return;
      this.ws.terminate();
      this.shutdown();
    }, Math.max(25, Math.min(this.options.heartbeatMs, this.options.silentMs) / 4));
  }

  close() { this.ws.close(); this.shutdown(); }

  private shutdown() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.silence);
    this.onClose(this);
  }

  private send(message: TcsServerMessage) {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private fail(type: 'BadRequestException' | 'ServerException', message: string) {
    this.send({ type, message: { message } });
  }

  private receive(data: string) {
    let message: TcsAgentMessage;
    try {
      const frame = parseFrame(data);
      message = JSON.parse(frame.body) as TcsAgentMessage;
      if (typeof message?.type !== 'string' || typeof message.message !== 'object' || message.message === null) throw new Error('a frame needs "type" and "message"');
      if (this.queued >= MAX_QUEUED) { this.fail('ServerException', 'Too many telemetry messages waiting; slow down.'); return; }
      this.queued++;
      this.chain = this.chain
        .then(() => this.authenticate(frame))
        .then(() => this.handle(message))
        .catch((err: Error) => {
          if (err instanceof AwsError && err.fault === 'client') this.fail('BadRequestException', `${err.code}: ${err.message}`);
          else { console.error(`tcs ${this.instanceArn}:`, err); this.fail('ServerException', 'The telemetry message could not be handled.'); }
        })
        .finally(() => { this.queued--; });
    } catch (err) {
      this.fail('BadRequestException', (err as Error).message);
    }
  }

  /** The frame's signed header block (a GET of the connection URL whose body is the JSON), through
   *  the gateway's authenticate stage — in strict mode its signature is verified over that body —
   *  and it must name the connection's account. A bare JSON frame (no header block) is refused in
   *  strict mode and taken as the connection's otherwise. */
  private async authenticate(frame: TcsFrame) {
    if (!frame.headers.authorization && this.ctx.app.config.auth !== 'strict') return;
    const req = { method: 'GET', url: this.url, headers: frame.headers } as unknown as IncomingMessage;
    const principal = await this.host.authenticate(req, Buffer.from(frame.body, 'utf8'));
    if (/^\d{12}$/.test(principal.accessKeyId) && principal.account !== this.ctx.account) {
      throw new AwsError('AccessDeniedException', `account ${principal.account} cannot publish telemetry for ${this.instanceArn}`);
    }
  }

  private async handle(m: TcsAgentMessage) {
    if (this.closed) return;
    this.received.set(m.type, (this.received.get(m.type) ?? 0) + 1);
    switch (m.type) {
      case 'PublishMetricsRequest':
        await this.metrics.ingest(m.message);
        this.send({ type: 'AckPublishMetric', message: { message: 'ACK' } });
        return;
      case 'PublishHealthRequest':
        await ingestHealth(this.ctx, this.cache, this.cluster, this.instanceId, m.message);
        this.send({ type: 'AckPublishHealth', message: { message: 'ACK' } });
        return;
      case 'PublishInstanceStatusRequest':
        await ingestInstanceStatus(this.ctx, this.cluster, this.instanceId, m.message);
        this.send({ type: 'AckPublishInstanceStatus', message: { message: 'ACK' } });
        return;
      case 'StartTelemetrySessionRequest':
        return;
      default:
        this.fail('BadRequestException', `Unknown message type '${(m as { type: string }).type}'`);
    }
  }
}
