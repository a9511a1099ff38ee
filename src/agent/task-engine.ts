// The task engine: holds every task the server gave this agent, and converges each one to its
// desired status through the Runtime (task-runner.ts does one step). Steps run one at a time per
// task and again whenever something about it changes: a PayloadMessage or manifest, a runtime
// event of one of its containers, a timer, or the periodic reconcile that catches events missed
// while the agent was down. On start-up it re-adopts what the runtime already runs (state dir +
// container labels), so a restarted agent neither orphans nor duplicates a container.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { AcsTask } from '../protocol/acs.js';
import { containerSpec, LABELS, runtimeName, taskVolumeRoot, type SpecContext } from './container-spec.js';
import type { HeldPort } from './ports.js';
import type { ContainerStatus, Runtime, RuntimeEvent } from './runtime/types.js';
import type { StateFile } from './state-file.js';
import { applyStatus, step, type RunnerHost } from './task-runner.js';
import { isActive, type ContainerState, type TaskState } from './task-state.js';

export interface TaskEngineOptions {
  runtime: Runtime;
  state: StateFile;
  spec: SpecContext;
  /** A task changed: report it (persisting is the engine's job). */
  onChange(task: TaskState): void;
  log?(line: string): void;
  now?(): Date;
  /** How long a stopped task's containers are kept before removal (default 10 min). */
  cleanupAfterMs?: number;
  /** Period of the full reconcile against the runtime (default 15 s). */
  reconcileMs?: number;
  /** A task received less than this long ago is not stopped for missing from a manifest (default 10 s). */
  manifestGraceMs?: number;
}

const FORGOTTEN_KEPT = 500;
export const NOT_IN_MANIFEST = 'Task is no longer in the task manifest of its container instance';
export const NO_CONTAINERS = 'Task stopped by the agent: no containers found';

interface Worker { running: Promise<void>; again: boolean }

export class TaskEngine {
  private readonly byRuntimeId = new Map<string, { task: TaskState; container: ContainerState }>();
  private readonly workers = new Map<string, Worker>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Containers found in the runtime at start-up that the state dir does not account for, by task ARN. */
  private readonly orphans = new Map<string, ContainerStatus[]>();
  private readonly adoptableByName = new Map<string, ContainerStatus>();
  private readonly receivedAt = new Map<string, number>();
  /** specPorts by desired state (replaced, never changed in place, when the server sends a newer one). */
  private readonly specPortCache = new WeakMap<AcsTask, Map<string, HeldPort[]>>();
  private unsubscribe?: () => void;
  private closed = false;
  private readonly host: RunnerHost;

  constructor(private readonly opts: TaskEngineOptions) {
    const now = opts.now ?? (() => new Date());
    this.host = {
      runtime: opts.runtime,
      spec: opts.spec,
      now,
      changed: (t) => { this.save(); if (!this.closed) opts.onChange(t); },
      save: () => this.save(),
      heldPorts: (arn) => this.heldPorts(arn),
      index: (t, c) => { if (c.runtimeId) this.byRuntimeId.set(c.runtimeId, { task: t, container: c }); },
      adoptable: (name) => this.adoptableByName.get(name),
      wakeAfter: (arn, ms) => this.after(ms, () => this.wake(arn)),
      log: (line) => this.log(line),
    };
  }

  get tasks(): Record<string, TaskState> { return this.opts.state.data.tasks; }

  private log(line: string) { this.opts.log?.(line); }
  private save() { this.opts.state.save(); }

  /** Subscribes to runtime events, re-adopts running containers and resumes every known task. */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.runtime.events((e) => this.onEvent(e));
    for (const t of Object.values(this.tasks)) for (const c of t.containers) this.host.index(t, c);
    const found = await this.opts.runtime.listByLabel(LABELS.instance, this.opts.spec.instanceArn);
    for (const st of found) {
      if (this.byRuntimeId.has(st.id)) continue;
      const arn = st.labels[LABELS.taskArn];
      const t = arn ? this.tasks[arn] : undefined;
      const c = t?.containers.find((x) => x.name === st.labels[LABELS.containerName]);
      if (t && c && !c.runtimeId) {
        // Created just before the agent died, before the state file recorded it.
        c.runtimeId = st.id;
        applyStatus(this.host, c, st);
        this.host.index(t, c);
      } else if (t && c) {
        this.log(`removing duplicate container ${st.name} of task ${arn}`);
        await this.discard(st);
      } else if (arn) {
        this.orphans.set(arn, [...(this.orphans.get(arn) ?? []), st]);
        this.adoptableByName.set(st.name, st);
      } else {
        await this.discard(st);
      }
    }
    this.save();
    for (const t of Object.values(this.tasks)) {
      if (isActive(t)) this.wake(t.arn);
      else this.scheduleCleanup(t);
    }
    const reconcile = () => {
      for (const t of Object.values(this.tasks)) if (isActive(t)) this.wake(t.arn);
      this.after(this.opts.reconcileMs ?? 15_000, reconcile);
    };
    this.after(this.opts.reconcileMs ?? 15_000, reconcile);
  }

  /** Tasks from a PayloadMessage: new ones start, known ones take the newer desired state. */
  apply(tasks: AcsTask[]): void {
    for (const desired of tasks) {
      if (this.opts.state.data.forgotten?.includes(desired.arn)) { this.reportGone(desired); continue; }
      this.receivedAt.set(desired.arn, Date.now());
      const t = this.tasks[desired.arn];
      if (!t) {
        this.tasks[desired.arn] = this.newTask(desired);
      } else if (desired.generation >= t.desired.generation && t.desired.desiredStatus !== 'STOPPED') {
        t.desired = desired;
      } else if (t.known === 'STOPPED') {
        this.opts.onChange(t); // the server still thinks it runs: tell it again
      }
      this.wake(desired.arn);
    }
    this.save();
  }

  /** The tasks a TaskManifestMessage leaves out (`listed`: the ARNs it names desired RUNNING):
   *  active ones the agent still wants RUNNING, and containers found at start-up whose task it
   *  does not know. They stop only once the server confirms (stopVerified). */
  stopCandidates(listed: ReadonlySet<string>): string[] {
    const grace = this.opts.manifestGraceMs ?? 10_000;
    const out: string[] = [];
    for (const t of Object.values(this.tasks)) {
      if (listed.has(t.arn) || !isActive(t) || t.desired.desiredStatus === 'STOPPED') continue;
      if (Date.now() - (this.receivedAt.get(t.arn) ?? 0) < grace) continue;
      out.push(t.arn);
    }
    for (const arn of this.orphans.keys()) if (!listed.has(arn)) out.push(arn);
    return out;
  }

  /** Self-fencing: the server has not been heard from for its fence deadline, so it is about to
   *  run replacements of this agent's service tasks elsewhere. Every active task marked selfFence
   *  (a REPLICA service's) — and with `standalone`, every task not of a service — stops now, with
   *  `reason`. DAEMON service tasks keep running. Returns the ARNs stopped. */
  fence(reason: string, standalone = false): string[] {
    const stopped: string[] = [];
    for (const t of Object.values(this.tasks)) {
      if (!isActive(t) || t.desired.desiredStatus === 'STOPPED') continue;
      if (!t.desired.selfFence && !(standalone && !t.desired.group?.startsWith('service:'))) continue;
      t.desired = { ...t.desired, desiredStatus: 'STOPPED', generation: t.desired.generation + 1, stoppedReason: reason };
      stopped.push(t.arn);
      this.wake(t.arn);
    }
    this.save();
    return stopped;
  }

  /** The server's TaskStopVerificationAck: these tasks stop (and unknown containers go). */
  stopVerified(arns: readonly string[]): void {
    for (const arn of arns) {
      const t = this.tasks[arn];
      if (t && isActive(t) && t.desired.desiredStatus !== 'STOPPED') {
        this.log(`task ${arn} is not in the manifest and the server confirmed it stops: stopping it`);
        t.desired = { ...t.desired, desiredStatus: 'STOPPED', generation: t.desired.generation + 1, stoppedReason: t.desired.stoppedReason ?? NOT_IN_MANIFEST };
        this.wake(arn);
      }
      const containers = this.orphans.get(arn);
      if (!containers) continue;
      this.orphans.delete(arn);
      for (const st of containers) {
        this.log(`removing container ${st.name}: its task ${arn} is not in the manifest`);
        void this.discard(st);
      }
    }
    this.save();
  }

  /** A task this agent ran and cleaned up (forgotten) that the server still lists, e.g. its
   *  STOPPED report was lost because the agent was killed right after the cleanup: it never runs
   *  here again, and the server is told (again) that it STOPPED. Nothing of it is kept. */
  private reportGone(desired: AcsTask): void {
    if (this.closed) return;
    const containers = freshContainers(desired).map((c): ContainerState => ({ ...c, known: 'STOPPED' }));
    const now = this.host.now().toISOString();
    this.opts.onChange({ arn: desired.arn, desired, known: 'STOPPED', stopReason: desired.stoppedReason ?? NO_CONTAINERS,
      executionStoppedAt: now, containers });
  }

  private newTask(desired: AcsTask): TaskState {
    const t: TaskState = { arn: desired.arn, desired, known: 'NONE', containers: freshContainers(desired) };
    // Containers of this task the runtime already runs (the state dir lost track of them).
    for (const st of this.orphans.get(desired.arn) ?? []) {
      const c = t.containers.find((x) => x.name === st.labels[LABELS.containerName]);
      if (!c) continue;
      c.runtimeId = st.id;
      applyStatus(this.host, c, st);
      this.host.index(t, c);
      this.adoptableByName.delete(st.name);
    }
    if (this.orphans.delete(desired.arn) && t.containers.some((c) => c.runtimeId)) {
      // Adopted containers were created from this definition, so the pull happened.
      t.known = t.containers.every((c) => c.everStarted || c.known === 'STOPPED') ? 'RUNNING' : 'PULLED';
      t.pullStartedAt = t.pullStoppedAt = new Date().toISOString();
      if (t.known === 'RUNNING') t.startedAt = t.pullStartedAt;
    }
    return t;
  }

  /** Schedules a step of the task (at most one runs at a time; a request during one runs after it). */
  wake(arn: string): void {
    if (this.closed) return;
    const existing = this.workers.get(arn);
    if (existing) { existing.again = true; return; }
    const worker: Worker = { again: true, running: Promise.resolve() };
    this.workers.set(arn, worker);
    worker.running = (async () => {
      await Promise.resolve();
      while (worker.again && !this.closed) {
        worker.again = false;
        const t = this.tasks[arn];
        if (!t) break;
        const wasActive = isActive(t);
        try {
          await step(this.host, t);
        } catch (err) {
          this.log(`task ${arn}: ${(err as Error).stack ?? String(err)}`);
          this.after(2000, () => this.wake(arn));
        }
        if (wasActive && !isActive(t)) this.scheduleCleanup(t);
      }
      this.workers.delete(arn);
    })();
  }

  private onEvent(e: RuntimeEvent) {
    const ref = this.byRuntimeId.get(e.id);
    if (ref) this.wake(ref.task.arn);
  }

  /** Fixed host ports the other active tasks use or will use. */
  private heldPorts(exceptArn: string): HeldPort[] {
    const out: HeldPort[] = [];
    for (const t of Object.values(this.tasks)) {
      if (t.arn === exceptArn || !isActive(t) || (t.known === 'NONE' && !t.pullStartedAt)) continue;
      for (const c of t.containers) {
        if (c.known === 'STOPPED') continue;
        for (const b of c.bindings) if (b.hostPort) out.push({ ip: b.bindIP ?? '', port: b.hostPort, protocol: b.protocol === 'udp' ? 'udp' : 'tcp', taskArn: t.arn });
        out.push(...this.specPorts(t, c));
      }
    }
    return out;
  }

  /** The fixed host ports a container's spec asks for: built once per desired state of its task. */
  private specPorts(t: TaskState, c: ContainerState): HeldPort[] {
    let byName = this.specPortCache.get(t.desired);
    if (!byName) this.specPortCache.set(t.desired, byName = new Map());
    let held = byName.get(c.name);
    if (held) return held;
    held = [];
    const def = t.desired.taskDefinition.containerDefinitions?.find((d) => d.name === c.name);
    try {
      for (const b of def ? containerSpec(t.desired, def, this.opts.spec, c.token).portBindings : []) {
        if (b.hostPort) held.push({ ip: b.hostIp, port: b.hostPort, protocol: b.protocol, taskArn: t.arn });
      }
    } catch { /* a task whose spec cannot be built holds nothing */ }
    byName.set(c.name, held);
    return held;
  }

  private scheduleCleanup(t: TaskState) {
    const stoppedAt = Date.parse(t.executionStoppedAt ?? '') || Date.now();
    const delay = Math.max(0, stoppedAt + (this.opts.cleanupAfterMs ?? 600_000) - Date.now());
    this.after(delay, () => { void this.cleanup(t.arn); });
  }

  /** Removes a stopped task's containers and volumes, and forgets the task. */
  async cleanup(arn: string): Promise<void> {
    // A step may be running (a stale payload woke the task): wait for it rather than skip for good.
    while (this.workers.has(arn)) await this.workers.get(arn)!.running;
    const t = this.tasks[arn];
    if (!t || isActive(t)) return;
    for (const c of t.containers) {
      if (!c.runtimeId) continue;
      this.byRuntimeId.delete(c.runtimeId);
      await this.opts.runtime.remove(c.runtimeId).catch((err: Error) => this.log(`removing ${c.runtimeName}: ${err.message}`));
    }
    rmSync(taskVolumeRoot(this.opts.spec.stateDir, arn), { recursive: true, force: true });
    delete this.tasks[arn];
    this.receivedAt.delete(arn);
    const forgotten = this.opts.state.data.forgotten ??= [];
    forgotten.push(arn);
    if (forgotten.length > FORGOTTEN_KEPT) forgotten.splice(0, forgotten.length - FORGOTTEN_KEPT);
    this.save();
  }

  private async discard(st: ContainerStatus) {
    try {
      if (st.state === 'running') await this.opts.runtime.stop(st.id, 10);
      await this.opts.runtime.remove(st.id);
    } catch (err) {
      this.log(`removing ${st.name}: ${(err as Error).message}`);
    }
  }

  private after(ms: number, fn: () => void) {
    if (this.closed) return;
    const timer = setTimeout(() => { this.timers.delete(timer); fn(); }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** The task and container a metadata token belongs to. */
  byToken(token: string): { task: TaskState; container: ContainerState } | undefined {
    for (const task of Object.values(this.tasks)) {
      const container = task.containers.find((c) => c.token === token);
      if (container) return { task, container };
    }
    return undefined;
  }

  /** Resolves once no step is running (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()].map((w) => w.running));
  }

  /** Stops driving tasks (containers keep running, as with the ECS agent). */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.workers.values()].map((w) => w.running));
  }
}

/** The containers of a task not started yet, one per container definition. */
function freshContainers(desired: AcsTask): ContainerState[] {
  return (desired.taskDefinition.containerDefinitions ?? []).map((d) => ({
    name: d.name ?? '',
    runtimeName: runtimeName(desired, d.name ?? ''),
    known: 'NONE',
    essential: d.essential ?? true,
    everStarted: false,
    hasHealthCheck: Boolean(d.healthCheck?.command?.length),
    bindings: [],
    token: randomUUID(),
  }));
}
