// The simulated runtime: Docker's container lifecycle (create → start → die → destroy, stop with
// SIGTERM then SIGKILL, OOM kills, health checks, dynamic host ports, events, pull behaviours)
// in-process, without containers. Time comes from an injected Timers, so tests drive it with
// ManualTimers and never sleep.
//
// ── The command language ── a product feature (hosts without Docker, scale tests with thousands
// of "containers"), parsed in simulated-program.ts.
//
// A container's program is its entryPoint followed by its command. When that is a shell call
// (`sh -c SCRIPT`, also /bin/sh, ash, bash), the program is SCRIPT; otherwise the words joined
// with spaces. Statements are separated by `;`, `&&` or newlines and run in order:
//
//   sleep N        wait N seconds (decimals allowed; `sleep infinity` waits until stopped)
//   exit N         exit with code N
//   cpu N          use N CPU units (1024 = one vCPU) until stopped: shows in stats as CPU time
//   alloc M        take M MiB of memory and hold it until stopped; more than the hard memory
//                  limit → OOM-killed at once (exit 137, oomKilled); the memory shows in stats
//   trap … TERM    ignore SIGTERM from here on: a stop waits the stop timeout, then SIGKILL (137)
//   true, :, echo …, export …, cd …, set …   no-ops
//   false          exit 1
//   anything else  a long-running process (a server, a daemon): runs until stopped
//
// Reaching the end of the program exits 0. A stop ends a running program with 143 (SIGTERM),
// or 137 when it ignores TERM; removing a running container kills it (137).
// Health checks ("CMD-SHELL", … or "CMD", …) pass unless their command contains the word
// `unhealthy` or its program is `exit N` (N ≠ 0) / `false`: a passing one turns healthy when the
// start period ends; a failing one unhealthy after startPeriod + retries × interval.
// Host ports: bridge/awsvpc bindings with hostPort 0 get the next free port of 32768–60999 on
// their hostIp (fixed ones must be free there, else the start fails like Docker's); host mode
// reports hostPort = containerPort. Ports are held while running.
// Images: every pull succeeds, except image names containing `does-not-exist`; create needs the
// image pulled (or passed in `images`), as Docker does.
import { randomIds, type Ids } from '../../common/ids.js';
import { RuntimeError } from './errors.js';
import { ensureImage, normalizeImage, splitImage, type ImageStore } from './pull-policy.js';
import { healthPasses, parseProgram, programText, type Statement } from './simulated-program.js';
import { PortAllocator } from './simulated-ports.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';
import type { ContainerSpec, ContainerStatus, PortBinding, Runtime, RuntimeEvent, RuntimeState } from './types.js';

export interface SimulatedRuntimeOptions {
  timers?: Timers;
  ids?: Ids;
  /** Images already on the "host" (found by prefer-cached, and by default when a pull fails). */
  images?: string[];
  portRange?: { first: number; last: number };
  /** Memory `alloc` may take in a container without a hard limit, MiB (default: unlimited). */
  hostMemoryMiB?: number;
  /** The host's CPU units (1024 per vCPU) stats measure `cpu` against (default 2048). */
  hostCpuUnits?: number;
}

const SIGTERM_EXIT = 143;
const SIGKILL_EXIT = 137;
const MiB = 1024 * 1024;

/** A simulated container: its status fields as inspect reports them, plus the program's state. */
interface Sim extends Omit<ContainerStatus, 'portBindings' | 'labels'> {
  spec: ContainerSpec;
  /** Host ports held while running. */
  ports: PortBinding[];
  allocatedMiB: number;
  /** CPU units `cpu` uses, and since when (ms of the timers' clock). */
  cpuUnits: number;
  cpuSince: number;
  ignoresTerm: boolean;
  timers: TimerHandle[];
  exitWaiters: (() => void)[];
  /** Bumped on every start, so timers of an earlier run do nothing. */
  run: number;
}

export class SimulatedRuntime implements Runtime {
  readonly kind = 'simulated' as const;
  private readonly timers: Timers;
  private readonly ids: Ids;
  private readonly images: Set<string>;
  private readonly pulled = new Set<string>();
  private readonly ports: PortAllocator;
  private readonly containers = new Map<string, Sim>();
  private readonly byName = new Map<string, string>();
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();

  constructor(private readonly options: SimulatedRuntimeOptions = {}) {
    this.timers = options.timers ?? systemTimers;
    this.ids = options.ids ?? randomIds;
    this.images = new Set((options.images ?? []).map(normalizeImage));
    this.ports = new PortAllocator(options.portRange);
  }

  private readonly store: ImageStore = {
    exists: async (image) => this.images.has(normalizeImage(image)),
    pull: async (image) => {
      if (image.includes('does-not-exist')) {
        const { repository } = splitImage(image);
        throw new Error(`Error response from daemon: pull access denied for ${repository}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);
      }
      this.images.add(normalizeImage(image));
    },
  };

  pullImage(image: string, behavior: ContainerSpec['pullBehavior']): Promise<void> {
    return ensureImage(this.store, image, behavior, this.pulled);
  }

  async create(spec: ContainerSpec): Promise<string> {
    const existing = this.byName.get(spec.name);
    if (existing) {
      throw new RuntimeError(`Conflict. The container name "/${spec.name}" is already in use by container "${existing}". You have to remove (or rename) that container to be able to reuse that name.`, 409);
    }
    if (!this.images.has(normalizeImage(spec.image))) throw new RuntimeError(`No such image: ${normalizeImage(spec.image)}`, 404);
    for (const v of spec.volumesFrom) {
      if (!this.find(v.sourceContainer)) throw new RuntimeError(`No such container: ${v.sourceContainer}`, 404);
    }
    const id = this.ids.hex(64);
    this.containers.set(id, {
      id, name: spec.name, spec: structuredClone(spec), state: 'created', oomKilled: false,
      ports: [], allocatedMiB: 0, cpuUnits: 0, cpuSince: 0, ignoresTerm: false, timers: [], exitWaiters: [], run: 0,
    });
    this.byName.set(spec.name, id);
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state === 'running') return;
    c.ports = this.bindPorts(c);
    Object.assign(c, {
      state: 'running', startedAt: this.timers.now(), finishedAt: undefined, exitCode: undefined, oomKilled: false,
      error: undefined, allocatedMiB: 0, cpuUnits: 0, cpuSince: 0, ignoresTerm: false, run: c.run + 1,
      health: c.spec.healthCheck ? 'starting' : undefined,
    } satisfies Partial<Sim>);
    this.emit(c, 'start');
    this.scheduleHealth(c);
    const words = [...(c.spec.entryPoint ?? []), ...(c.spec.command ?? [])];
    this.step(c, parseProgram(programText(words)), 0, c.run);
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.get(id);
    if (c.state !== 'running') return;
    if (!c.ignoresTerm || timeoutSeconds <= 0) {
      this.finish(c, c.ignoresTerm ? SIGKILL_EXIT : SIGTERM_EXIT, false);
      return;
    }
    await new Promise<void>((resolve) => {
      c.exitWaiters.push(resolve);
      this.after(c, timeoutSeconds, () => this.finish(c, SIGKILL_EXIT, false));
    });
  }

  async remove(id: string): Promise<void> {
    const c = this.find(id);
    if (!c) return;
    if (c.state === 'running') this.finish(c, SIGKILL_EXIT, false);
    this.containers.delete(c.id);
    this.byName.delete(c.name);
    this.emit(c, 'destroy');
  }

  async inspect(id: string): Promise<ContainerStatus | undefined> {
    const c = this.find(id);
    return c && this.status(c);
  }

  async listByLabel(label: string, value?: string): Promise<ContainerStatus[]> {
    return [...this.containers.values()]
      .filter((c) => label in c.spec.labels && (value === undefined || c.spec.labels[label] === value))
      .map((c) => this.status(c));
  }

  events(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Docker-shaped stats: memory usage is what `alloc` holds (plus a small baseline while running). */
  async stats(id: string): Promise<Record<string, unknown> | undefined> {
    const c = this.find(id);
    if (!c) return undefined;
    const running = c.state === 'running';
    const limitMiB = c.spec.memory ?? this.options.hostMemoryMiB;
    // CPU time as Docker counts it (ns): the container's since its `cpu` began, the host's since
    // the epoch over all its cores; precpu is one second earlier (or when `cpu` began, if later).
    const hostUnits = this.options.hostCpuUnits ?? 2048;
    const nowMs = this.timers.now().getTime();
    const usage = (atMs: number) => running && c.cpuUnits > 0 ? Math.round((c.cpuUnits / 1024) * 1e6 * Math.max(0, atMs - c.cpuSince)) : 0;
    const sample = (atMs: number) => ({
      cpu_usage: { total_usage: usage(atMs), usage_in_kernelmode: 0, usage_in_usermode: usage(atMs) },
      system_cpu_usage: Math.round((hostUnits / 1024) * 1e6 * atMs), online_cpus: Math.max(1, Math.round(hostUnits / 1024)),
    });
    const cpu = sample(nowMs);
    return {
      read: this.timers.now().toISOString(),
      name: `/${c.name}`,
      id: c.id,
      pids_stats: { current: running ? 1 : 0 },
      memory_stats: running ? { usage: (1 + c.allocatedMiB) * MiB, limit: limitMiB ? limitMiB * MiB : Number.MAX_SAFE_INTEGER } : {},
      cpu_stats: cpu,
      precpu_stats: sample(running && c.cpuUnits > 0 ? Math.max(c.cpuSince, nowMs - 1000) : nowMs - 1000),
      networks: running && c.spec.networkMode !== 'none' ? { eth0: { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0 } } : undefined,
    };
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) this.cancelTimers(c);
    this.listeners.clear();
  }

  // ── the running program ──

  private step(c: Sim, program: Statement[], from: number, run: number): void {
    for (let i = from; i < program.length; i++) {
      if (c.run !== run || c.state !== 'running') return;
      const s = program[i];
      switch (s.op) {
        case 'sleep':
          if (s.seconds !== Infinity) this.after(c, s.seconds, () => this.step(c, program, i + 1, run));
          return;
        case 'exit':
          this.finish(c, s.code, false);
          return;
        case 'alloc': {
          c.allocatedMiB += s.mib;
          const limit = c.spec.memory ?? this.options.hostMemoryMiB;
          if (limit !== undefined && c.allocatedMiB > limit) this.finish(c, SIGKILL_EXIT, true);
          return; // holds the memory until stopped
        }
        case 'cpu':
          c.cpuUnits += s.units;
          c.cpuSince = this.timers.now().getTime();
          return; // busy until stopped
        case 'trap-term':
          c.ignoresTerm = true;
          break;
        case 'noop':
          break;
        case 'serve':
          return;
      }
    }
    this.finish(c, 0, false);
  }

  private finish(c: Sim, exitCode: number, oomKilled: boolean): void {
    if (c.state !== 'running') return;
    Object.assign(c, { state: 'exited', exitCode, oomKilled, finishedAt: this.timers.now(), allocatedMiB: 0, cpuUnits: 0 } satisfies Partial<Sim>);
    this.cancelTimers(c);
    for (const p of c.ports) if (c.spec.networkMode !== 'host') this.ports.release(p.hostIp, p.protocol, p.hostPort);
    c.ports = [];
    if (oomKilled) this.emit(c, 'oom');
    this.emit(c, 'die', { exitCode });
    for (const w of c.exitWaiters.splice(0)) w();
  }

  private scheduleHealth(c: Sim): void {
    const hc = c.spec.healthCheck;
    if (!hc) return;
    // Passing: healthy once the start period is over. Failing: unhealthy after `retries` failed
    // checks, `interval` apart, counted from the end of the start period (as Docker counts them).
    const passes = healthPasses(hc.command);
    const at = passes ? hc.startPeriod : hc.startPeriod + Math.max(1, hc.interval) * Math.max(1, hc.retries);
    this.after(c, at, () => {
      c.health = passes ? 'healthy' : 'unhealthy';
      this.emit(c, 'health', { health: c.health });
    });
  }

  /** Host ports at start: fixed ones must be free on their address, 0 takes the next ephemeral port. */
  private bindPorts(c: Sim): PortBinding[] {
    const mode = c.spec.networkMode;
    if (mode === 'none') return [];
    if (mode === 'host') return c.spec.portBindings.map((p) => ({ ...p, hostPort: p.containerPort, hostIp: '0.0.0.0' }));
    const taken: PortBinding[] = [];
    for (const p of c.spec.portBindings) {
      const hostPort = p.hostPort ? (this.ports.reserve(p.hostIp, p.protocol, p.hostPort) ? p.hostPort : undefined)
        : this.ports.allocate(p.hostIp, p.protocol);
      if (hostPort === undefined) {
        for (const t of taken) this.ports.release(t.hostIp, t.protocol, t.hostPort);
        const message = p.hostPort
          ? `driver failed programming external connectivity on endpoint ${c.name}: Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated`
          : `no free host port left in the ephemeral range on ${p.hostIp}/${p.protocol}`;
        c.error = message;
        throw new RuntimeError(message, 500);
      }
      taken.push({ ...p, hostPort });
    }
    return taken;
  }

  // ── bookkeeping ──

  private after(c: Sim, seconds: number, fn: () => void): void {
    const run = c.run;
    c.timers.push(this.timers.setTimeout(() => { if (c.run === run) fn(); }, seconds * 1000));
  }

  private cancelTimers(c: Sim): void {
    for (const t of c.timers.splice(0)) t.cancel();
  }

  private emit(c: Sim, type: RuntimeEvent['type'], extra: Partial<RuntimeEvent> = {}): void {
    const event: RuntimeEvent = { id: c.id, name: c.name, type, ...extra };
    // Delivered asynchronously, like the engine's stream, so listeners may call back into the runtime.
    queueMicrotask(() => {
      for (const l of [...this.listeners]) {
        try { l(event); } catch { /* one listener's failure is not the runtime's */ }
      }
    });
  }

  private find(idOrName: string): Sim | undefined {
    return this.containers.get(idOrName) ?? this.containers.get(this.byName.get(idOrName) ?? '');
  }

  private get(idOrName: string): Sim {
    const c = this.find(idOrName);
    if (!c) throw new RuntimeError(`No such container: ${idOrName}`, 404);
    return c;
  }

  private status(c: Sim): ContainerStatus {
    const requested = c.spec.networkMode === 'none' ? []
      : c.spec.portBindings.map((p) => c.spec.networkMode === 'host' ? { ...p, hostPort: p.containerPort, hostIp: '0.0.0.0' } : { ...p });
    return {
      id: c.id,
      name: c.name,
      state: c.state,
      ...(c.state === 'exited' ? { exitCode: c.exitCode } : {}),
      oomKilled: c.oomKilled,
      ...(c.health ? { health: c.health } : {}),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      portBindings: (c.state === 'running' ? c.ports : requested).map((p) => ({ ...p })),
      labels: { ...c.spec.labels },
      ...(c.error ? { error: c.error } : {}),
    };
  }
}
