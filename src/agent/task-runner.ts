// One convergence step of one task (the engine runs at most one step per task at a time, and runs
// another whenever something about the task changed). A step reads what the runtime says, then
// moves the task toward its desired status: refresh → (stop | pull → start what is ready → RUNNING).
// Every step is safe to repeat and to resume after a crash: the state it acts on is persisted.
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { mkdirSync } from 'node:fs';
import { agentManagedDirs, containerSpec, SpecError, type SpecContext } from './container-spec.js';
import { readiness, stopWaves } from './dependencies.js';
import { portConflict, type HeldPort } from './ports.js';
import type { ContainerSpec, ContainerStatus, Runtime } from './runtime/types.js';
import type { ContainerState, TaskState } from './task-state.js';

export const ESSENTIAL_EXITED = 'Essential container in task exited';
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';
export const REMOVED_PREFIX = 'ContainerRemovedError:';

/** What a step needs from the engine around it. */
export interface RunnerHost {
  runtime: Runtime;
  spec: SpecContext;
  now(): Date;
  /** Persist and report the task. */
  changed(t: TaskState): void;
  /** Persist only (before a runtime call whose result must not be lost). */
  save(): void;
  /** Fixed host ports held by the other active tasks of this agent. */
  heldPorts(exceptArn: string): HeldPort[];
  /** Records which task/container a runtime id belongs to (for events). */
  index(t: TaskState, c: ContainerState): void;
  /** A container of this name the runtime already has (found at start-up), to adopt instead of creating. */
  adoptable(runtimeName: string): ContainerStatus | undefined;
  /** Asks for another step of the task after ms. */
  wakeAfter(arn: string, ms: number): void;
  log(line: string): void;
}

const isStopped = (c: ContainerState) => c.known === 'STOPPED';
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const defOf = (t: TaskState, c: ContainerState): ContainerDefinition =>
  t.desired.taskDefinition.containerDefinitions?.find((d) => d.name === c.name) ?? { name: c.name };

export function specOf(h: RunnerHost, t: TaskState, c: ContainerState): ContainerSpec {
  return containerSpec(t.desired, defOf(t, c), h.spec, c.token);
}

/** Brings a container's state in line with what the runtime reports. */
export function applyStatus(h: RunnerHost, c: ContainerState, st: ContainerStatus): void {
  if (st.health) c.health = st.health === 'healthy' ? 'HEALTHY' : st.health === 'unhealthy' ? 'UNHEALTHY' : 'UNKNOWN';
  if (c.known === 'STOPPED') return;
  if (st.state === 'created') {
    c.known = 'CREATED';
    return;
  }
  if (st.startedAt) {
    c.everStarted = true;
    c.startedAt ??= st.startedAt.toISOString();
  }
  if (st.state === 'running') {
    c.known = 'RUNNING';
    c.bindings = st.portBindings.map((p) => ({ bindIP: p.hostIp, containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol }));
    return;
  }
  c.known = 'STOPPED';
  c.exitCode = st.exitCode;
  c.finishedAt = (st.finishedAt ?? h.now()).toISOString();
  if (st.oomKilled) c.reason = OOM_REASON;
  else if (!c.everStarted && st.error) c.reason ??= `CannotStartContainerError: ${st.error}`;
}

async function refresh(h: RunnerHost, c: ContainerState): Promise<void> {
  if (!c.runtimeId || c.known === 'STOPPED') return;
  const st = await h.runtime.inspect(c.runtimeId);
  if (st) { applyStatus(h, c, st); return; }
  c.known = 'STOPPED';
  c.finishedAt = h.now().toISOString();
  c.reason ??= `${REMOVED_PREFIX} container ${c.runtimeName} was removed from the runtime outside the agent`;
}

/** The agent's reason to stop a task whose essential container has stopped, if any. */
function essentialStop(t: TaskState): string | undefined {
  const c = t.containers.find((x) => x.essential && x.known === 'STOPPED');
  if (!c) return undefined;
  if (c.reason?.startsWith(REMOVED_PREFIX)) return `Essential container ${c.name} was removed outside the agent`;
  return c.everStarted ? ESSENTIAL_EXITED : c.reason ?? ESSENTIAL_EXITED;
}

function fail(t: TaskState, reason: string) {
  if (t.stopReason) return;
  t.stopReason = reason;
  t.failedToStart = t.known !== 'RUNNING';
}

/** What the agent knows of a task, to tell whether a step changed it: everything but the desired
 *  state (which a step never changes, and which holds the whole task definition). */
function known(t: TaskState): string {
  const { desired: _desired, ...rest } = t;
  return JSON.stringify(rest);
}

export async function step(h: RunnerHost, t: TaskState): Promise<void> {
  if (t.known === 'STOPPED') return;
  const before = known(t);
  for (const c of t.containers) await refresh(h, c);
  if (t.desired.desiredStatus === 'RUNNING' && !t.stopReason) {
    const reason = essentialStop(t);
    if (reason) fail(t, reason);
  }
  if (t.desired.desiredStatus === 'STOPPED' || t.stopReason) {
    await stopTask(h, t);
    return;
  }
  if (t.known === 'NONE') await prepare(h, t);
  if (!t.stopReason) await startReady(h, t);
  if (t.stopReason || t.desired.desiredStatus !== 'RUNNING') {
    await stopTask(h, t);
    return;
  }
  if (t.known === 'PULLED' && t.containers.every((c) => c.everStarted || c.known === 'STOPPED')) {
    t.known = 'RUNNING';
    t.startedAt = h.now().toISOString();
  }
  if (known(t) !== before) h.changed(t);
}

/** Specs, host port check, task volume dirs, image pulls → PULLED (or a failure reason). */
async function prepare(h: RunnerHost, t: TaskState): Promise<void> {
  let specs: ContainerSpec[];
  try {
    specs = t.containers.map((c) => specOf(h, t, c));
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    fail(t, `CannotCreateContainerError: ${err.message}`);
    return;
  }
  // Claims the task's ports before the first await: a task preparing at the same time sees them.
  // Only a task with fixed host ports can conflict: the others skip the look at every other task.
  t.pullStartedAt = h.now().toISOString();
  const fixed = specs.some((s) => s.networkMode !== 'awsvpc' && s.portBindings.some((b) => b.hostPort !== 0));
  const conflict = fixed ? await portConflict(specs, h.heldPorts(t.arn)) : undefined;
  if (conflict) {
    t.pullStartedAt = undefined;
    for (const c of t.containers) if (specs.find((s) => s.name === c.runtimeName)?.portBindings.some((b) => b.hostPort)) c.reason = conflict;
    fail(t, conflict);
    return;
  }
  for (const dir of agentManagedDirs(t.desired, h.spec.stateDir)) mkdirSync(dir, { recursive: true });
  h.changed(t);
  for (const image of new Set(specs.map((s) => s.image))) {
    try {
      await h.runtime.pullImage(image, h.spec.pullBehavior, t.arn);
    } catch (err) {
      const text = message(err);
      const reason = text.startsWith('CannotPullContainerError') ? text : `CannotPullContainerError: ${text}`;
      for (const c of t.containers) {
        if (specs.find((s) => s.name === c.runtimeName)?.image !== image) continue;
        c.known = 'STOPPED';
        c.reason = reason;
      }
      fail(t, reason);
    }
  }
  t.pullStoppedAt = h.now().toISOString();
  if (!t.stopReason) t.known = 'PULLED';
  h.changed(t);
}

/** Starts, wave after wave, every container whose dependencies hold. */
async function startReady(h: RunnerHost, t: TaskState): Promise<void> {
  for (;;) {
    const ready: ContainerState[] = [];
    for (const c of t.containers) {
      if (c.known !== 'NONE' && c.known !== 'CREATED') continue;
      const def = defOf(t, c);
      const r = readiness(t, def);
      if (r.kind === 'ready') { ready.push(c); continue; }
      let reason = r.kind === 'fail' ? r.reason : undefined;
      if (r.kind === 'wait' && def.startTimeout) {
        const waited = h.now().getTime() - Date.parse(t.pullStoppedAt ?? h.now().toISOString());
        if (waited >= def.startTimeout * 1000) {
          reason = `DependencyError: container '${c.name}' gave up after ${def.startTimeout} s (startTimeout) waiting for ${r.on}`;
        } else {
          h.wakeAfter(t.arn, def.startTimeout * 1000 - waited + 10);
        }
      }
      if (reason === undefined) continue;
      c.known = 'STOPPED';
      c.reason = reason;
      if (c.essential) fail(t, reason);
    }
    if (t.stopReason || ready.length === 0) return;
    await Promise.all(ready.map((c) => startContainer(h, t, c)));
    const reason = essentialStop(t);
    if (reason) fail(t, reason);
    h.changed(t);
  }
}

async function startContainer(h: RunnerHost, t: TaskState, c: ContainerState): Promise<void> {
  const spec = specOf(h, t, c);
  const fresh = !c.runtimeId;
  if (!c.runtimeId) {
    try {
      c.runtimeId = h.adoptable(spec.name)?.id ?? await h.runtime.create(spec);
    } catch (err) {
      // A container of this name exists (created just before a crash): take it over.
      const existing = await h.runtime.inspect(spec.name).catch(() => undefined);
      if (!existing || existing.labels['com.amazonaws.ecs.task-arn'] !== t.arn) {
        c.known = 'STOPPED';
        c.reason = `CannotCreateContainerError: ${message(err)}`;
        return;
      }
      c.runtimeId = existing.id;
    }
    c.known = 'CREATED';
    c.createdAt = h.now().toISOString();
    h.index(t, c);
    h.save();
  }
  // A container from before (adopted, or created by a step that did not finish) may run already.
  const current = fresh ? undefined : await h.runtime.inspect(c.runtimeId);
  if (current && current.state !== 'created') { applyStatus(h, c, current); return; }
  try {
    await h.runtime.start(c.runtimeId);
  } catch (err) {
    c.known = 'STOPPED';
    c.reason = `CannotStartContainerError: ${message(err)}`;
    return;
  }
  const st = await h.runtime.inspect(c.runtimeId);
  if (st) applyStatus(h, c, st);
  if (c.known === 'CREATED') { // started, but inspect lags behind: it runs
    c.known = 'RUNNING';
    c.everStarted = true;
  }
}

/** Stops the containers, dependents first, each with its stop timeout; then the task is STOPPED. */
async function stopTask(h: RunnerHost, t: TaskState): Promise<void> {
  for (const wave of stopWaves(t.desired.taskDefinition)) {
    await Promise.all(wave.map(async (name) => {
      const c = t.containers.find((x) => x.name === name);
      if (!c || c.known === 'STOPPED') return;
      if (c.runtimeId) {
        try {
          await h.runtime.stop(c.runtimeId, defOf(t, c).stopTimeout ?? h.spec.defaultStopTimeout);
        } catch (err) {
          h.log(`task ${t.arn}: stopping ${c.name}: ${message(err)}`);
        }
        await refresh(h, c);
      }
      if (!isStopped(c)) { // refresh may have changed it
        c.known = 'STOPPED';
        c.finishedAt = h.now().toISOString();
      }
    }));
  }
  t.known = 'STOPPED';
  t.executionStoppedAt = h.now().toISOString();
  h.changed(t);
}
