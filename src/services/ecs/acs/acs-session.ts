// One agent's ACS websocket. On connect: the TaskManifestMessage (every task of the instance not
// STOPPED yet). Then a store watch on the instance's live task index pushes a PayloadMessage whenever a task
// of this instance gets a new generation (new task, StopTask). HeartbeatMessage on a timer; any
// inbound frame keeps the agent's liveness lease alive (throttled; model/liveness.ts).
// TaskHealthRequest (Berth's extension) sets the tasks' healthStatus.
// PayloadMessages not acknowledged in time are sent again with the tasks' current state.
import type { WebSocket } from 'ws';
import type { AcsTask, AgentMessage, ServerMessage, TaskHealth } from '../../../protocol/acs.js';
import type { RequestContext } from '../../context.js';
import type { Unwatch, WatchEvent } from '../../../store/types.js';
import { db, type TaskRecord } from '../model/common.js';
import { acsTasks, DefinitionCache, instanceTasks } from './acs-tasks.js';
import { instanceIdOf, taskId } from '../model/task-model.js';
import { taskIndexPrefix, type LiveEntry } from '../model/task-index.js';
import { keepLiveness, openLiveness, recordHeartbeat } from '../model/liveness.js';
import { ecsConfig } from '../config.js';
import { applyHealth } from '../model/task-state.js';
import { modifyTask } from '../model/task-store.js';

export interface AcsTimings {
  /** Between HeartbeatMessages. */
  heartbeatMs: number;
  /** Between periodic TaskManifestMessages. */
  manifestMs: number;
  /** At most one lastHeartbeatAt write per this many ms. */
  touchMs: number;
  /** An unacknowledged PayloadMessage is resent after this long. */
  ackTimeoutMs: number;
}

interface Pending { sentAt: number; tasks: string[] }

export class AcsSession {
  private readonly instanceId: string;
  private readonly cache = new DefinitionCache();
  /** Highest generation sent per task ARN. */
  private readonly sent = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private readonly unwatch: Unwatch[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  /** Events are handled in order, after the manifest. */
  private chain: Promise<void> = Promise.resolve();
  private seqNum = 0;
  private timeline = 0;
  private lastTouch = -Infinity;
  /** The liveness lease (model/liveness.ts): kept alive by the agent's frames. */
  private lease?: Promise<string>;
  private closed = false;

  constructor(private readonly ctx: RequestContext, private readonly ws: WebSocket, readonly cluster: string,
    readonly clusterArn: string, readonly instanceArn: string, private readonly timings: AcsTimings,
    private readonly onClose: (session: AcsSession) => void) {
    this.instanceId = instanceIdOf(instanceArn);
  }

  async start() {
    this.ws.on('message', (data) => this.receive(String(data)));
    this.ws.on('close', () => this.shutdown());
    this.ws.on('error', () => this.shutdown());
    const instances = db(this.ctx).containerInstances;
    const instance = await instances.get(this.ctx, `${this.cluster}/${this.instanceId}`);
    if (!instance || instance.status === 'INACTIVE') {
      this.reject(`The container instance ${this.instanceArn} is not registered (or no longer ACTIVE) in cluster ${this.cluster}.`);
      return;
    }
    const store = this.ctx.app.store;
    const revision = await store.currentRevision();
    // Only this instance's tasks: its live/ index keys (task-index.ts), not every task of the cluster.
    const live = `${taskIndexPrefix(this.ctx, this.cluster)}live/${this.instanceId}/`;
    this.unwatch.push(store.watch(live, revision, (e) => this.enqueue(() => this.onTask(e))));
    this.unwatch.push(store.watch(instances.key(this.ctx, `${this.cluster}/${this.instanceId}`), revision, (e) => this.onInstance(e)));
    this.chain = this.chain.then(() => this.sendManifest());
    this.lease = this.openLease();
    this.lastTouch = this.ctx.app.clock.now().getTime();
    this.timers.push(setInterval(() => this.heartbeat(), this.timings.heartbeatMs));
    this.timers.push(setInterval(() => this.enqueue(() => this.sendManifest()), this.timings.manifestMs));
  }

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

  private async sendManifest() {
    if (this.closed) return;
    const records = await instanceTasks(this.ctx, this.cluster, this.instanceArn);
    for (const t of records) this.sent.set(t.taskArn!, Math.max(this.sent.get(t.taskArn!) ?? 0, t.generation ?? 1));
    const tasks = await acsTasks(this.ctx, this.cache, records);
    this.send({ type: 'TaskManifestMessage', message: {
      messageId: this.ctx.app.ids.uuid(), clusterArn: this.clusterArn, containerInstanceArn: this.instanceArn, timeline: ++this.timeline, tasks,
    } });
  }

  private async onTask(event: WatchEvent) {
    if (this.closed) return;
    const entry = JSON.parse(event.value) as LiveEntry;
    // Stopped (its live key is gone): nothing for the agent to do, nothing to remember.
    if (event.type === 'delete') { this.sent.delete(entry.a); return; }
    if (entry.n <= (this.sent.get(entry.a) ?? 0)) return;
    const task = await db(this.ctx).tasks.get(this.ctx, `${this.cluster}/${taskId({ taskArn: entry.a })}`);
    if (!task || task.lastStatus === 'STOPPED') return;
    const generation = task.generation ?? 1;
    if (generation <= (this.sent.get(task.taskArn!) ?? 0)) return;
    this.sent.set(task.taskArn!, generation);
    await this.sendPayload(await acsTasks(this.ctx, this.cache, [task]));
  }

  private async sendPayload(tasks: AcsTask[]) {
    if (tasks.length === 0) return;
    const messageId = this.ctx.app.ids.uuid();
    this.pending.set(messageId, { sentAt: Date.now(), tasks: tasks.map((t) => t.arn) });
    this.send({ type: 'PayloadMessage', message: {
      messageId, clusterArn: this.clusterArn, containerInstanceArn: this.instanceArn, seqNum: ++this.seqNum, tasks,
    } });
  }

  private onInstance(event: WatchEvent) {
    const gone = event.type === 'delete' || (JSON.parse(event.value) as { status?: string }).status === 'INACTIVE';
    if (gone && !this.closed) this.reject(`The container instance ${this.instanceArn} was deregistered.`);
  }

  private receive(text: string) {
    this.touch();
    let message: AgentMessage;
    try { message = JSON.parse(text) as AgentMessage; } catch { return; }
    if (message?.type === 'AckRequest' && typeof message.message?.messageId === 'string') this.pending.delete(message.message.messageId);
    if (message?.type === 'TaskHealthRequest' && Array.isArray(message.message?.tasks)) {
      const tasks = message.message.tasks;
      this.enqueue(() => this.recordHealth(tasks));
    }
  }

  /** TaskHealthRequest (a Berth extension): task and container healthStatus, for this instance's tasks only. */
  private async recordHealth(tasks: TaskHealth[]) {
    for (const health of tasks) {
      if (typeof health?.taskArn !== 'string') continue;
      const id = taskId(health);
      await modifyTask(this.ctx, this.cluster, id, (task) =>
        task.containerInstanceArn && instanceIdOf(task.containerInstanceArn) === this.instanceId ? applyHealth(task, health) : undefined);
    }
  }

  private heartbeat() {
    this.send({ type: 'HeartbeatMessage', message: { messageId: this.ctx.app.ids.uuid(), healthy: true } });
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (now - p.sentAt < this.timings.ackTimeoutMs) continue;
      this.pending.delete(id);
      this.enqueue(() => this.resend(p.tasks));
    }
  }

  /** Sends tasks again with their current state (unless they have stopped meanwhile). */
  private async resend(arns: string[]) {
    const records: TaskRecord[] = [];
    for (const arn of arns) {
      const task = await db(this.ctx).tasks.get(this.ctx, `${this.cluster}/${taskId({ taskArn: arn })}`);
      if (task && task.lastStatus !== 'STOPPED') records.push(task);
    }
    await this.sendPayload(await acsTasks(this.ctx, this.cache, records));
  }

  private openLease(): Promise<string> {
    const lease = openLiveness(this.ctx, this.cluster, this.instanceId, ecsConfig(this.ctx.app).agentGraceSeconds);
    lease.catch((err) => { console.error(`acs ${this.instanceArn}: liveness lease`, err); });
    return lease;
  }

  /** The agent was heard: keep its liveness lease alive, at most once per touchMs (and at least
   *  three times per grace period) of the app's clock. A keep-alive writes nothing (model/liveness.ts); a lease found expired (the agent was
   *  silent for the grace period but its socket stayed open) is opened again. */
  private touch() {
    const now = this.ctx.app.clock.now().getTime();
    // At least three keep-alives per TTL (the grace period), as etcd clients do.
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
