// A task engine over the simulated runtime with a manual clock, fed desired state by the test
// (as PayloadMessages / manifests would) and recording every state report it would send.
import type { ContainerDefinition, SubmitTaskStateChangeRequest, TaskDefinition } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AcsTask } from '../protocol/acs.js';
import type { SpecContext } from '../agent/container-spec.js';
import { SimulatedRuntime } from '../agent/runtime/simulated.js';
import { flush, ManualTimers } from '../agent/runtime/timers.js';
import { StateFile } from '../agent/state-file.js';
import { TaskEngine } from '../agent/task-engine.js';
import { taskChange, type TaskState } from '../agent/task-state.js';

export const CLUSTER = 'arn:aws:ecs:us-east-1:000000000000:cluster/test';
export const INSTANCE = 'arn:aws:ecs:us-east-1:000000000000:container-instance/test/0000';

let counter = 0;

/** A desired-RUNNING task of a fresh id with these containers. */
export function acsTask(containers: ContainerDefinition[], extra: Partial<TaskDefinition> = {}, arn?: string): AcsTask {
  counter++;
  return {
    arn: arn ?? `arn:aws:ecs:us-east-1:000000000000:task/test/${counter.toString(16).padStart(32, '0')}`,
    desiredStatus: 'RUNNING',
    generation: 1,
    taskDefinition: { family: 'fam', revision: 1, containerDefinitions: containers.map((c) => ({ image: 'busybox', ...c })), ...extra },
  };
}

export const stopped = (t: AcsTask, reason = 'Task stopped by user'): AcsTask =>
  ({ ...t, desiredStatus: 'STOPPED', stoppedReason: reason, generation: t.generation + 1 });

export class EngineFixture {
  readonly dir: string;
  readonly timers = new ManualTimers(Date.now());
  readonly runtime: SimulatedRuntime;
  readonly reports: SubmitTaskStateChangeRequest[] = [];
  engine!: TaskEngine;
  state!: StateFile;

  constructor(runtime?: SimulatedRuntime, dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'berth-engine-'));
    this.runtime = runtime ?? new SimulatedRuntime({ timers: this.timers });
  }

  get spec(): SpecContext {
    return { clusterArn: CLUSTER, instanceArn: INSTANCE, ip: '127.0.0.1', stateDir: this.dir, pullBehavior: 'default', defaultStopTimeout: 30,
      metadataUri: (token) => `http://127.0.0.1:1/v4/${token}` };
  }

  async start(options: { manifestGraceMs?: number } = {}): Promise<this> {
    this.state = new StateFile(this.dir);
    this.engine = new TaskEngine({
      runtime: this.runtime, state: this.state, spec: this.spec,
      onChange: (t) => this.reports.push(taskChange(t, CLUSTER)),
      reconcileMs: 3_600_000, cleanupAfterMs: 3_600_000, manifestGraceMs: options.manifestGraceMs ?? 0,
    });
    await this.engine.start();
    return this;
  }

  task(arn: string): TaskState { return this.engine.tasks[arn]; }

  /** What a connect does over ACS: a PayloadMessage with these tasks, then a manifest listing
   *  them, whose stop candidates the server confirms (TaskStopVerificationAck). Returns them. */
  manifest(tasks: AcsTask[]): string[] {
    this.engine.apply(tasks);
    const candidates = this.engine.stopCandidates(new Set(tasks.map((t) => t.arn)));
    this.engine.stopVerified(candidates);
    return candidates;
  }
  container(arn: string, name: string) { return this.task(arn).containers.find((c) => c.name === name)!; }

  /** Lets events and steps run until nothing moves (a step may wait on the manual clock: then
   *  settling stops waiting for it after a moment). */
  async settle(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      await flush();
      await Promise.race([this.engine.idle(), new Promise((resolve) => setTimeout(resolve, 50))]);
    }
  }

  /** Advances the manual clock, then settles. */
  async tick(seconds: number): Promise<void> {
    await this.timers.tick(seconds);
    await this.settle();
  }

  /** Settles until pred holds (the engine also reacts to real timers, e.g. startTimeout). */
  async until(pred: () => boolean, what: string, maxMs = 5000): Promise<void> {
    const end = Date.now() + maxMs;
    for (;;) {
      await this.settle();
      if (pred()) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Statuses reported for a task, in order, without repeats. */
  statuses(arn: string): string[] {
    return this.reports.filter((r) => r.task === arn).map((r) => r.status!).filter((s, i, a) => i === 0 || a[i - 1] !== s);
  }

  lastReport(arn: string): SubmitTaskStateChangeRequest {
    return this.reports.filter((r) => r.task === arn).at(-1)!;
  }

  async close(removeDir = true): Promise<void> {
    this.timers.advance(3_600_000); // lets a stop that waits on the manual clock finish
    await this.engine.close();
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
