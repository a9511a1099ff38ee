// One agent's ACS websocket, as the Amazon ECS agent expects it (src/protocol/acs.ts). On connect:
// a PayloadMessage with every task of the instance not STOPPED yet, then a TaskManifestMessage
// listing them (TaskIdentifier). Then a store watch on the instance's live task index keys
// (model/task-index.ts; not every task of the cluster) pushes a PayloadMessage whenever tasks of
// this instance get a new generation (new task, StopTask): the tasks of one commit together, up to
// PAYLOAD_TASKS a message (one ack, one frame each way, not one per task). seqNum and timeline
// come from one persisted counter (acs-sequence.ts). A TaskStopVerificationMessage (tasks the agent
// runs that the manifest left out) is answered with TaskStopVerificationAck naming only the ones
// that really are to stop. HeartbeatMessage on a timer; any inbound frame keeps the agent's
// liveness lease alive (throttled; model/liveness.ts). PayloadMessages not acknowledged in time are sent again with the tasks'
// current state.
import type { WebSocket } from 'ws';
import type { AgentMessage, ServerMessage, TaskIdentifier, VersionInfo, WireTask } from '../../../protocol/acs.js';
import type { RequestContext } from '../../context.js';
import type { Unwatch, WatchEvent } from '../../../store/types.js';
import { db, type TaskRecord } from '../model/common.js';
import { acsTasks, DefinitionCache, instanceTasks, StrategyCache } from './acs-tasks.js';
import { instanceIdOf, parseTaskRef } from '../model/task-model.js';
import { taskIndexPrefix, type LiveEntry } from '../model/task-index.js';
import { keepLiveness, openLiveness, recordHeartbeat } from '../model/liveness.js';
import { ecsConfig } from '../config.js';
import { AcsSequence } from './acs-sequence.js';
import { modifyInstance } from '../model/container-instance-store.js';
import { SessionCredentials } from './acs-credentials.js';

/** At most this many tasks in a PayloadMessage pushed on a change. */
const PAYLOAD_TASKS = 100;

export interface AcsTimings {
  /** Between HeartbeatMessages. */
  heartbeatMs: number;
  /** Between periodic TaskManifestMessages. */
  manifestMs: number;
  /** At most one lastHeartbeatAt write per this many ms. */
  touchMs: number;
  /** An unacknowledged PayloadMessage is resent after this long. */
  ackTimeoutMs: number;
  /** A session that has sent nothing (no frame, no pong to the server's pings) for this long is closed. */
  silentMs: number;
}

interface Pending { sentAt: number; tasks: string[] }

/** What all sessions did, for the server's stats. */
export interface AcsCounters { stopVerifications: number; stopsConfirmed: number; stopsRefused: number }

export class AcsSession {
  private readonly instanceId: string;
  private readonly cache = new DefinitionCache();
  private readonly strategies = new StrategyCache();
  /** Highest generation sent per task ARN. */
  private readonly sent = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private readonly unwatch: Unwatch[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  /** Events are handled in order, after the manifest. */
  private chain: Promise<void> = Promise.resolve();
  private readonly sequence: AcsSequence;
  /** Role credentials handed out on this connection (refreshed before they expire). */
  private readonly credentials: SessionCredentials;
  private lastTouch = -Infinity;
  /** The liveness lease (model/liveness.ts): kept alive by the agent's frames. */
  private lease?: Promise<string>;
  /** When the agent last sent anything (a frame or a pong), by the monotonic-enough wall clock. */
  private heardAt = Date.now();
  private closed = false;

  constructor(private readonly ctx: RequestContext, private readonly ws: WebSocket, readonly cluster: string,
    readonly clusterArn: string, readonly instanceArn: string, private readonly timings: AcsTimings,
    private readonly onClose: (session: AcsSession) => void, private readonly versionInfo: VersionInfo = {},
    private readonly counters: AcsCounters = { stopVerifications: 0, stopsConfirmed: 0, stopsRefused: 0 },
    /** The agent fences itself: its REPLICA service tasks go out marked selfFence. */
    private readonly selfFences = false, private readonly onSilent: (session: AcsSession) => void = () => {}) {
    this.instanceId = instanceIdOf(instanceArn);
    this.sequence = new AcsSequence(ctx, `${cluster}/${this.instanceId}`);
    this.credentials = new SessionCredentials(ctx);
  }

  async start() {
    this.ws.on('message', (data) => this.receive(String(data)));
    this.ws.on('pong', () => { this.heardAt = Date.now(); this.touch(); });
    this.ws.on('close', () => this.shutdown());
    this.ws.on('error', () => this.shutdown());
    const instances = db(this.ctx).containerInstances;
    const instance = await instances.get(this.ctx, `${this.cluster}/${this.instanceId}`);
    if (!instance || instance.status === 'INACTIVE') {
      this.reject(`The container instance ${this.instanceArn} is not registered (or no longer ACTIVE) in cluster ${this.cluster}.`);
      return;
    }
    await this.recordVersion(instance.versionInfo);
    const store = this.ctx.app.store;
    const revision = await store.currentRevision();
    // Only this instance's tasks: its live/ index keys (task-index.ts), not every task of the cluster.
    const live = `${taskIndexPrefix(this.ctx, this.cluster)}live/${this.instanceId}/`;
    this.unwatch.push(store.watch(live, revision, (e) => this.onLive(e)));
    this.unwatch.push(store.watch(instances.key(this.ctx, `${this.cluster}/${this.instanceId}`), revision, (e) => this.onInstance(e)));
    this.enqueue(() => this.sendAll());
    this.lease = this.openLease();
    this.lastTouch = this.ctx.app.clock.now().getTime();
    this.timers.push(setInterval(() => this.heartbeat(), this.timings.heartbeatMs));
    this.timers.push(setInterval(() => this.checkSilent(), Math.max(25, Math.min(this.timings.heartbeatMs, this.timings.silentMs) / 4)));
    this.timers.push(setInterval(() => this.enqueue(() => this.sendManifest()), this.timings.manifestMs));
  }

  /** versionInfo from the connection's query string (agentVersion, agentHash, dockerVersion),
   *  written only when it differs (the instance record's revision guards placement). */
  private async recordVersion(current: VersionInfo | undefined) {
    const given = Object.fromEntries(Object.entries(this.versionInfo).filter(([, v]) => typeof v === 'string' && v !== '')) as VersionInfo;
    const next = { ...current, ...given };
    if (Object.keys(given).length === 0 || JSON.stringify(next) === JSON.stringify({ ...current })) return;
    await modifyInstance(this.ctx, this.cluster, this.instanceId, (record) => ({ ...record, versionInfo: { ...record.versionInfo, ...given } }));
  }

  /** Which tasks the agent is to fence (REPLICA service tasks), when it fences at all. */
  private readonly fencing = (task: TaskRecord) => this.selfFences && this.strategies.isReplica(this.ctx, this.cluster, task);

  /** Ends the session (server shutdown, or a newer connection of the same instance). */
  close(message?: string) {
    if (message) this.send({ type: 'CloseMessage', message: { message } });
    this.ws.close();
    this.shutdown();
  }

  terminate() { this.ws.terminate(); this.shutdown(); }

  private reject(message: string) {
    this.send({ type: 'InactiveInstanceException', message: { message } });
    this.ws.close(1008, 'InactiveInstanceException');
    this.shutdown();
  }

  private shutdown() {
    if (this.closed) return;
    this.closed = true;
    // When the agent was last heard, for the lost-agent policy. The lease is left to expire one
    // grace period after the last keep-alive: then the instance shows agentConnected false.
    if (this.lease && Number.isFinite(this.lastTouch)) {
      const at = new Date(this.lastTouch);
      this.enqueue(() => recordHeartbeat(this.ctx, this.cluster, this.instanceId, at));
    }
    for (const u of this.unwatch) u();
    for (const t of this.timers) clearInterval(t);
    this.onClose(this);
  }

  private send(message: ServerMessage) {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private enqueue(work: () => Promise<void>) {
    this.chain = this.chain.then(work).catch((err) => { console.error(`acs ${this.instanceArn}:`, err); });
  }

  /** On connect: every live task in full (a PayloadMessage), then the manifest. */
  private async sendAll() {
    if (this.closed) return;
    const records = await instanceTasks(this.ctx, this.cluster, this.instanceArn);
    for (const t of records) this.sent.set(t.taskArn!, Math.max(this.sent.get(t.taskArn!) ?? 0, t.generation ?? 1));
    await this.sendPayload(await acsTasks(this.ctx, this.cache, records, this.credentials, this.fencing));
    await this.sendManifest(records);
  }

  private async sendManifest(known?: TaskRecord[]) {
    if (this.closed) return;
    const records = known ?? await instanceTasks(this.ctx, this.cluster, this.instanceArn);
    const tasks: TaskIdentifier[] = records.map((t) => ({
      taskArn: t.taskArn!, taskClusterArn: t.clusterArn ?? this.clusterArn, desiredStatus: t.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    }));
    const timeline = await this.sequence.allocate();
    this.send({ type: 'TaskManifestMessage', message: {
      messageId: this.ctx.app.ids.uuid(), clusterArn: this.clusterArn, containerInstanceArn: this.instanceArn,
      generatedAt: this.ctx.app.clock.now().getTime(), timeline, tasks,
    } });
  }

  /** Live-index events not handled yet: those of one commit (a RunTask's tasks, a service's
   *  scale-up) go to the agent together, in one PayloadMessage. */
  private incoming: WatchEvent[] = [];

  private onLive(event: WatchEvent) {
    this.incoming.push(event);
    if (this.incoming.length === 1) this.enqueue(() => this.onTasks());
  }

  private async onTasks() {
    const events = this.incoming;
    this.incoming = [];
    if (this.closed) return;
    const tasks: TaskRecord[] = [];
    for (const event of events) {
      const entry = JSON.parse(event.value) as LiveEntry;
      // Stopped (its live key is gone): nothing for the agent to do, nothing to remember.
      if (event.type === 'delete') { this.sent.delete(entry.a); this.credentials.forget(entry.a); continue; }
      if (entry.n <= (this.sent.get(entry.a) ?? 0)) continue;
      const task = await db(this.ctx).tasks.get(this.ctx, `${this.cluster}/${parseTaskRef(entry.a).id}`);
      if (!task || task.lastStatus === 'STOPPED') continue;
      const generation = task.generation ?? 1;
      if (generation <= (this.sent.get(task.taskArn!) ?? 0)) continue;
      this.sent.set(task.taskArn!, generation);
      tasks.push(task);
    }
    for (let i = 0; i < tasks.length; i += PAYLOAD_TASKS) {
      await this.sendPayload(await acsTasks(this.ctx, this.cache, tasks.slice(i, i + PAYLOAD_TASKS), this.credentials, this.fencing));
    }
  }

  private async sendPayload(tasks: WireTask[]) {
    if (tasks.length === 0 || this.closed) return;
    const messageId = this.ctx.app.ids.uuid();
    const seqNum = await this.sequence.allocate();
    this.pending.set(messageId, { sentAt: Date.now(), tasks: tasks.map((t) => t.arn) });
    this.send({ type: 'PayloadMessage', message: {
      messageId, clusterArn: this.clusterArn, containerInstanceArn: this.instanceArn,
      generatedAt: this.ctx.app.clock.now().getTime(), seqNum, tasks,
    } });
  }

  private onInstance(event: WatchEvent) {
    // Every placement on the instance rewrites its record: parsed only when it may say INACTIVE.
    const gone = event.type === 'delete'
      || (event.value.includes('"INACTIVE"') && (JSON.parse(event.value) as { status?: string }).status === 'INACTIVE');
    if (gone && !this.closed) this.reject(`The container instance ${this.instanceArn} was deregistered.`);
  }

  private receive(text: string) {
    this.heardAt = Date.now();
    this.touch();
    let message: AgentMessage;
    try { message = JSON.parse(text) as AgentMessage; } catch { return; }
    if (message?.type === 'AckRequest' && typeof message.message?.messageId === 'string') this.pending.delete(message.message.messageId);
    if (message?.type === 'TaskStopVerificationMessage' && typeof message.message?.messageId === 'string' && Array.isArray(message.message.stopCandidates)) {
      const { messageId, stopCandidates } = message.message;
      this.enqueue(() => this.verifyStops(messageId, stopCandidates));
    }
  }

  /** The candidates the agent may stop: tasks that are gone, desired STOPPED, or not this
   *  instance's. A candidate the server still wants RUNNING here is not confirmed; it is sent again. */
  private async verifyStops(messageId: string, candidates: TaskIdentifier[]) {
    const stopTasks: TaskIdentifier[] = [];
    const keep: TaskRecord[] = [];
    for (const c of candidates.slice(0, 1000)) {
      if (typeof c?.taskArn !== 'string') continue;
      let ref: { id: string; cluster?: string };
      try { ref = parseTaskRef(c.taskArn); } catch { continue; }
      const task = await db(this.ctx).tasks.get(this.ctx, `${ref.cluster ?? this.cluster}/${ref.id}`);
      const here = task?.containerInstanceArn !== undefined && instanceIdOf(task.containerInstanceArn) === this.instanceId;
      if (task && here && task.desiredStatus !== 'STOPPED' && task.lastStatus !== 'STOPPED') keep.push(task);
      else stopTasks.push({ taskArn: c.taskArn, taskClusterArn: c.taskClusterArn ?? this.clusterArn, desiredStatus: 'STOPPED' });
    }
    this.counters.stopVerifications++;
    this.counters.stopsConfirmed += stopTasks.length;
    this.counters.stopsRefused += keep.length;
    this.send({ type: 'TaskStopVerificationAck', message: { messageId, generatedAt: this.ctx.app.clock.now().getTime(), stopTasks } });
    if (keep.length) await this.sendPayload(await acsTasks(this.ctx, this.cache, keep, this.credentials, this.fencing));
  }

  /** Half-open or dead: closed; the agent reconnects (a fresh session) once it can. */
  private checkSilent() {
    if (this.closed || Date.now() - this.heardAt <= this.timings.silentMs) return;
    this.onSilent(this);
    this.terminate();
  }

  private heartbeat() {
    this.enqueue(() => this.refreshCredentials());
    const now = Date.now();
    this.send({ type: 'HeartbeatMessage', message: { messageId: this.ctx.app.ids.uuid(), healthy: true } });
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    for (const [id, p] of this.pending) {
      if (now - p.sentAt < this.timings.ackTimeoutMs) continue;
      this.pending.delete(id);
      this.enqueue(() => this.resend(p.tasks));
    }
  }

  /** An IAMRoleCredentialsMessage for each role whose credentials are past half their lifetime. */
  private async refreshCredentials() {
    if (this.closed) return;
    const running = async (taskArn: string) => {
      const task = await db(this.ctx).tasks.get(this.ctx, `${this.cluster}/${parseTaskRef(taskArn).id}`);
      return !!task && task.desiredStatus !== 'STOPPED' && task.lastStatus !== 'STOPPED';
    };
    for (const r of await this.credentials.refreshDue(running)) {
      this.send({ type: 'IAMRoleCredentialsMessage', message: {
        messageId: this.ctx.app.ids.uuid(), clusterArn: this.clusterArn, taskArn: r.taskArn, roleType: r.roleType, roleCredentials: r.credentials,
      } });
    }
  }

  /** Sends tasks again with their current state (unless they have stopped meanwhile). */
  private async resend(arns: string[]) {
    const records: TaskRecord[] = [];
    for (const arn of arns) {
      const task = await db(this.ctx).tasks.get(this.ctx, `${this.cluster}/${parseTaskRef(arn).id}`);
      if (task && task.lastStatus !== 'STOPPED') records.push(task);
    }
    await this.sendPayload(await acsTasks(this.ctx, this.cache, records, this.credentials, this.fencing));
  }

  private openLease(): Promise<string> {
    const lease = openLiveness(this.ctx, this.cluster, this.instanceId, ecsConfig(this.ctx.app).agentGraceSeconds);
    lease.catch((err) => { console.error(`acs ${this.instanceArn}: liveness lease`, err); });
    return lease;
  }

  /** The agent was heard: keep its liveness lease alive, at most once per touchMs (and at least
   *  three times per grace period) of the app's clock. A keep-alive writes nothing
   *  (model/liveness.ts); a lease found expired (the agent was silent for the grace period but its
   *  socket stayed open) is opened again. */
  private touch() {
    const now = this.ctx.app.clock.now().getTime();
    const every = Math.min(this.timings.touchMs, (ecsConfig(this.ctx.app).agentGraceSeconds * 1000) / 3);
    if (now - this.lastTouch < every || !this.lease || this.closed) return;
    this.lastTouch = now;
    const lease = this.lease;
    this.enqueue(async () => {
      const alive = await lease.then((id) => keepLiveness(this.ctx, this.cluster, this.instanceId, id), () => false);
      if (!alive && !this.closed && this.lease === lease) this.lease = this.openLease();
    });
  }
}
