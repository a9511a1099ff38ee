// The awslogs log driver, as the ECS agent offers it: a container whose logConfiguration names
// `awslogs` has its stdout/stderr shipped to CloudWatch Logs with PutLogEvents over the wire (the
// public logs API of the Berth server), into `awslogs-group`, stream
// `<awslogs-stream-prefix>/<container name>/<task id>` (the container id without a prefix),
// creating the group first when `awslogs-create-group` is true. Lines keep the engine's
// timestamps. The container writes to Docker's json-file log as usual, so it never waits on
// delivery (`mode` blocking and non-blocking behave alike); the agent reads that log from its
// cursor (awslogs-cursor.ts), which makes delivery survive agent restarts and kill -9 with no line
// lost and none doubled.
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, GetLogEventsCommand, PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Credentials } from './acs-client.js';
import { batchHash, CursorStore, type LineCursor, type LogEventOut, type PendingBatch, type ShipState } from './awslogs-cursor.js';
import { timeNanos } from './runtime/docker-logs.js';
import type { LogLine, Runtime } from './runtime/types.js';
import type { TaskState } from './task-state.js';
import { sdkTls, type TlsTrust } from './tls-trust.js';

export interface AwsLogsOptions {
  runtime: Runtime;
  endpoint: string;
  region: string;
  credentials: Credentials;
  stateDir: string;
  log(line: string): void;
  /** Milliseconds lines wait to be batched (default 500). */
  flushMs?: number;
  /** The CA list for an HTTPS server (tls-trust.ts). */
  tls?: TlsTrust;
  /** A task's execution role credentials, when ECS sent some: its logs are shipped with them. */
  executionCredentials?: (taskArn: string) => (Credentials & { expiration?: string }) | undefined;
}

const MAX_EVENTS = 10_000;
const MAX_BYTES = 1_048_576;
const OVERHEAD = 26;
const SPAN_MS = 23 * 3_600_000;

interface Target { containerId: string; containerName: string; taskId: string; options: Record<string, string> }

/** Ships the output of every awslogs container the agent runs. */
export class AwsLogs {
  private readonly cursors: CursorStore;
  private readonly shippers = new Map<string, ContainerShipper>();
  private readonly clients = new Map<string, CloudWatchLogsClient>();
  private closed = false;

  constructor(private readonly opts: AwsLogsOptions) {
    this.cursors = new CursorStore(opts.stateDir);
  }

  /** Starts shipping any awslogs container of the task that has started and is not shipped yet. */
  notify(t: TaskState): void {
    if (this.closed || !this.opts.runtime.logs) return;
    for (const c of t.containers) {
      if (!c.runtimeId || !c.everStarted || this.shippers.has(c.runtimeId)) continue;
      const def = t.desired.taskDefinition.containerDefinitions?.find((d) => d.name === c.name);
      const config = def?.logConfiguration;
      if (config?.logDriver !== 'awslogs') continue;
      const target = { containerId: c.runtimeId, containerName: c.name, taskId: t.arn.split('/').pop()!, options: config.options ?? {} };
      const region = target.options['awslogs-region'] ?? this.opts.region;
      // With the task's execution role (a client of its own, read at each call so refreshed
      // credentials apply, gone when the shipper ends), else the agent's credentials.
      const own = this.opts.executionCredentials?.(t.arn) ? this.executionClient(region, t.arn) : undefined;
      const shipper = new ContainerShipper(target, this.opts, this.cursors, own ?? this.client(region));
      this.shippers.set(c.runtimeId, shipper);
      void shipper.run().finally(() => own?.destroy());
    }
  }

  private client(region: string) {
    let c = this.clients.get(region);
    if (!c) {
      c = new CloudWatchLogsClient({ endpoint: this.opts.endpoint, region, credentials: this.opts.credentials, maxAttempts: 1, ...sdkTls(this.opts.tls) });
      this.clients.set(region, c);
    }
    return c;
  }

  private executionClient(region: string, taskArn: string) {
    const credentials = async () => {
      const c: Credentials & { expiration?: string } = this.opts.executionCredentials?.(taskArn) ?? this.opts.credentials;
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration ? new Date(c.expiration) : undefined };
    };
    return new CloudWatchLogsClient({ endpoint: this.opts.endpoint, region, credentials, maxAttempts: 1, ...sdkTls(this.opts.tls) });
  }

  /** Resolves once every shipper has sent what it has read so far (tests). */
  async idle(): Promise<void> { await Promise.all([...this.shippers.values()].map((s) => s.idle())); }

  /** Whether the container's output has been shipped to its end (it exited). */
  finished(containerId: string): boolean { return this.cursors.load(containerId)?.done === true; }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.shippers.values()].map((s) => s.stop()));
    for (const c of this.clients.values()) c.destroy();
  }
}

class ContainerShipper {
  private readonly abort = new AbortController();
  private state!: ShipState;
  private batch: Array<LogEventOut & { bytes: number }> = [];
  private bytes = 0;
  /** The cursor after the last line read (shipped or batched). */
  private readCursor?: LineCursor;
  private skipAtCursor = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private running?: Promise<void>;

  constructor(private readonly target: Target, private readonly opts: AwsLogsOptions, private readonly cursors: CursorStore,
    private readonly client: CloudWatchLogsClient) {}

  run(): Promise<void> {
    this.running ??= this.loop().catch((err: Error) => {
      if (!this.abort.signal.aborted) this.opts.log(`awslogs ${this.target.containerName}: ${err.message}`);
    });
    return this.running;
  }

  private get streamName() {
    const prefix = this.target.options['awslogs-stream-prefix'];
    return prefix ? `${prefix}/${this.target.containerName}/${this.target.taskId}` : this.target.containerId;
  }

  private async loop(): Promise<void> {
    const group = this.target.options['awslogs-group'];
    if (!group) throw new Error('logConfiguration awslogs needs the option awslogs-group');
    this.state = this.cursors.load(this.target.containerId) ?? { group, stream: this.streamName };
    if (this.state.done) return;
    let delay = 250;
    for (;;) {
      try {
        await this.ensureDestination();
        if (this.state.pending) await this.settlePending();
        this.readCursor = this.state.cursor;
        this.skipAtCursor = 0;
        const since = this.state.cursor?.time;
        const sinceNs = since ? timeNanos(since) : undefined;
        await this.opts.runtime.logs!(this.target.containerId, { since, follow: true, signal: this.abort.signal }, (line) => this.onLine(line, sinceNs));
        if (this.abort.signal.aborted) return;
        await this.flush();
        await this.chain;
        this.state.done = true;
        this.cursors.save(this.target.containerId, this.state);
        return;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.opts.log(`awslogs ${this.target.containerName}: ${(err as Error).message}; retrying in ${delay} ms`);
        await this.chain.catch(() => undefined);
        this.batch = [];
        this.bytes = 0;
        await sleep(delay, this.abort.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  private async ensureDestination() {
    if (this.target.options['awslogs-create-group'] === 'true') {
      await this.client.send(new CreateLogGroupCommand({ logGroupName: this.state.group })).catch(ignore('ResourceAlreadyExistsException'));
    }
    await this.client.send(new CreateLogStreamCommand({ logGroupName: this.state.group, logStreamName: this.state.stream }))
      .catch(ignore('ResourceAlreadyExistsException'));
  }

  private onLine(line: LogLine, sinceNs: bigint | undefined) {
    const ns = timeNanos(line.time);
    // Lines before the cursor, and as many at its exact time as were shipped, went out already.
    if (sinceNs !== undefined && this.state.cursor) {
      if (ns < sinceNs) return;
      if (ns === sinceNs && this.skipAtCursor < this.state.cursor.n) { this.skipAtCursor++; return; }
    }
    this.readCursor = this.readCursor && this.readCursor.time === line.time ? { time: line.time, n: this.readCursor.n + 1 } : { time: line.time, n: 1 };
    if (line.text === '') { this.schedule(); return; } // CloudWatch refuses empty messages
    const bytes = Buffer.byteLength(line.text, 'utf8') + OVERHEAD;
    const last = this.batch.at(-1)?.timestamp;
    // Timestamps in a batch must not go backwards (stdout and stderr can interleave).
    const timestamp = Math.max(Math.floor(Number(ns / 1_000_000n)), last ?? 0);
    if (this.batch.length >= MAX_EVENTS || this.bytes + bytes > MAX_BYTES || (this.batch.length && timestamp - this.batch[0].timestamp > SPAN_MS)) {
      this.cut(this.readCursorBefore());
    }
    this.batch.push({ timestamp, message: line.text.slice(0, MAX_BYTES - OVERHEAD), bytes });
    this.bytes += bytes;
    this.pendingCursor = this.readCursor;
    this.schedule();
  }

  /** The cursor the current batch ends at (the last line put into it). */
  private pendingCursor?: LineCursor;
  private readCursorBefore() { return this.pendingCursor; }

  private schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, this.opts.flushMs ?? 500);
    this.timer.unref();
  }

  private flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    // Lines that produced no event (empty) still move the cursor.
    return this.cut(this.readCursor);
  }

  private cut(to: LineCursor | undefined): Promise<void> {
    const events = this.batch.map(({ timestamp, message }) => ({ timestamp, message }));
    this.batch = [];
    this.bytes = 0;
    if (!to) return this.chain;
    this.chain = this.chain.then(() => (events.length ? this.send(events, to) : this.commit(to)));
    return this.chain;
  }

  private commit(to: LineCursor) {
    this.state.cursor = to;
    delete this.state.pending;
    this.cursors.save(this.target.containerId, this.state);
  }

  private async send(events: LogEventOut[], to: LineCursor): Promise<void> {
    const pending: PendingBatch = { to, count: events.length, firstMs: events[0].timestamp, lastMs: events.at(-1)!.timestamp, hash: batchHash(events) };
    this.state.pending = pending;
    this.cursors.save(this.target.containerId, this.state);
    let delay = 250;
    for (;;) {
      try {
        await this.client.send(new PutLogEventsCommand({ logGroupName: this.state.group, logStreamName: this.state.stream, logEvents: events }));
        break;
      } catch (err) {
        if (this.abort.signal.aborted) throw err;
        const e = err as Error;
        if (e.name === 'ResourceNotFoundException') await this.ensureDestination().catch(() => undefined);
        this.opts.log(`awslogs ${this.target.containerName}: PutLogEvents: ${e.message}; retrying in ${delay} ms`);
        await sleep(delay, this.abort.signal);
        delay = Math.min(delay * 2, 30_000);
        // The call may have landed before it failed: look before sending it again.
        if (await this.landed(pending).catch(() => false)) break;
      }
    }
    this.commit(to);
  }

  /** Whether a batch is in the stream: its last `count` events in its time range hash the same. */
  private async landed(p: PendingBatch): Promise<boolean> {
    const out = await this.client.send(new GetLogEventsCommand({
      logGroupName: this.state.group, logStreamName: this.state.stream, startTime: p.firstMs, endTime: p.lastMs + 1, limit: p.count,
    }));
    const events = (out.events ?? []).map((e) => ({ timestamp: e.timestamp!, message: e.message! }));
    return events.length === p.count && batchHash(events) === p.hash;
  }

  /** After a restart: a batch that was in flight either arrived (move the cursor past it) or is
   *  read again from the cursor and resent. */
  private async settlePending() {
    const p = this.state.pending!;
    if (await this.landed(p)) this.commit(p.to);
    else { delete this.state.pending; this.cursors.save(this.target.containerId, this.state); }
  }

  async idle(): Promise<void> {
    await this.flush();
    await this.chain;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}

const ignore = (name: string) => (err: Error) => { if (err.name !== name) throw err; };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
