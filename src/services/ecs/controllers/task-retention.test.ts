// STOPPED task retention: a real server with a manual clock, an in-process simulated agent, real
// SDK calls; each pass is run explicitly (runOnce), so nothing depends on timing.
import {
  CreateClusterCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand,
  SubmitTaskStateChangeCommand, type ECSClient, type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { openMemoryStore } from '../../../store/memory.js';
import type { KeyValue, Store } from '../../../store/types.js';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { deployment, instance, service, T0, task } from '../../../testing/service-fixture.js';
import { Agents, eventually } from '../../../testing/service-test-kit.js';
import { expiredTasks, type StoredTask } from './task-retention.js';

const MINUTE = 60_000;

/** A clock the test moves by hand. */
function manualClock() {
  let now = Date.parse('2026-11-25T12:00:00.000Z');
  return { now: () => new Date(now), advance: (ms: number) => { now += ms; } };
}

async function describe1(ecs: ECSClient, arn: string) {
  const out = await ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [arn] }));
  return { task: out.tasks?.[0], failure: out.failures?.[0] };
}

const stoppedArns = async (ecs: ECSClient) =>
  (await ecs.send(new ListTasksCommand({ cluster: 'c', desiredStatus: 'STOPPED' }))).taskArns ?? [];

function suite(name: string, retentionSeconds: number | undefined, body: (ctx: {
  h: () => Harness; clock: ReturnType<typeof manualClock>; run: () => Promise<Task>; stop: (t: Task) => Promise<Task>;
}) => void) {
  describe(name, () => {
    const clock = manualClock();
    let h: Harness;
    let agents: Agents;
    before(async () => {
      h = await startHarness({ clock, config: { ecs: { scheduler: false, taskRetention: { intervalMs: 20 }, stoppedTaskRetentionSeconds: retentionSeconds } } });
    });
    after(async () => { await h.close(); });
    beforeEach(async () => {
      await h.reset();
      agents = new Agents(h.url);
      await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
      await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'job',
        containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64, command: ['sleep', 'infinity'] }] }));
      await agents.start('c');
    });
    afterEach(async () => { await agents.close(); });

    const run = async () => {
      const arn = (await h.ecs.send(new RunTaskCommand({ cluster: 'c', taskDefinition: 'job' }))).tasks![0].taskArn!;
      return eventually('the task RUNNING', async () => { const { task: t } = await describe1(h.ecs, arn); return t?.lastStatus === 'RUNNING' && t; });
    };
    const stop = async (t: Task) => {
      await h.ecs.send(new StopTaskCommand({ cluster: 'c', task: t.taskArn! }));
      return eventually('the task STOPPED', async () => { const { task: s } = await describe1(h.ecs, t.taskArn!); return s?.lastStatus === 'STOPPED' && s; });
    };
    body({ h: () => h, clock, run, stop });
  });
}

suite('STOPPED task retention (default 1 hour)', undefined, ({ h, clock, run, stop }) => {
  it('keeps a STOPPED task for the retention, then deletes it', async () => {
    assert.equal(h().berth.services.ecs.taskRetention!.retentionSeconds, 3600);
    const stopped = await stop(await run());
    assert.ok(stopped.stoppedAt);
    clock.advance(59 * MINUTE);
    assert.equal(await h().berth.services.ecs.taskRetention!.runOnce(), 0);
    assert.equal((await describe1(h().ecs, stopped.taskArn!)).task?.lastStatus, 'STOPPED');
    assert.deepEqual(await stoppedArns(h().ecs), [stopped.taskArn]);

    clock.advance(2 * MINUTE);
    assert.equal(await h().berth.services.ecs.taskRetention!.runOnce(), 1);
    const { task: gone, failure } = await describe1(h().ecs, stopped.taskArn!);
    assert.equal(gone, undefined);
    assert.deepEqual([failure?.arn, failure?.reason], [stopped.taskArn, 'MISSING']);
    assert.deepEqual(await stoppedArns(h().ecs), []);
  });

  it('never deletes a task that is not STOPPED, however old', async () => {
    const running = await run();
    const stopped = await stop(await run());
    clock.advance(1000 * 60 * MINUTE);
    assert.equal(await h().berth.services.ecs.taskRetention!.runOnce(), 1);
    assert.equal((await describe1(h().ecs, running.taskArn!)).task?.lastStatus, 'RUNNING');
    assert.equal((await describe1(h().ecs, stopped.taskArn!)).failure?.reason, 'MISSING');
    const listed = (await h().ecs.send(new ListTasksCommand({ cluster: 'c' }))).taskArns;
    assert.deepEqual(listed, [running.taskArn]);
  });

  it('answers a late report on a purged task like one on an unknown task, without bringing it back', async () => {
    const stopped = await stop(await run());
    clock.advance(61 * MINUTE);
    assert.equal(await h().berth.services.ecs.taskRetention!.runOnce(), 1);
    const report = (taskArn: string) => h().ecs.send(new SubmitTaskStateChangeCommand({ cluster: 'c', task: taskArn, status: 'STOPPED', reason: 'late' }))
      .then(() => ({ name: 'ACK', message: '' }), (err: Error) => ({ name: err.name, message: err.message }));
    const unknown = stopped.taskArn!.replace(/[0-9a-f]{32}$/, 'f'.repeat(32));
    const late = await report(stopped.taskArn!);
    assert.deepEqual(late, await report(unknown));
    assert.notEqual(late.name, 'InternalFailure');
    assert.equal((await describe1(h().ecs, stopped.taskArn!)).failure?.reason, 'MISSING');
    assert.deepEqual(await stoppedArns(h().ecs), []);
    // The report was not taken as a new task either.
    assert.deepEqual((await h().ecs.send(new ListTasksCommand({ cluster: 'c' }))).taskArns, []);
  });
});

suite('STOPPED task retention 0 (forever)', 0, ({ h, clock, run, stop }) => {
  it('keeps every STOPPED task', async () => {
    const stopped = await stop(await run());
    clock.advance(10_000 * 60 * MINUTE);
    assert.equal(await h().berth.services.ecs.taskRetention!.runOnce(), 0);
    assert.equal((await describe1(h().ecs, stopped.taskArn!)).task?.lastStatus, 'STOPPED');
    assert.deepEqual(await stoppedArns(h().ecs), [stopped.taskArn]);
  });
});

describe('expiredTasks (what a pass deletes)', () => {
  const on = instance('i-1', 'us-east-1a');
  const stored = (t: ReturnType<typeof task>): StoredTask => ({ kv: { key: t.taskArn!, modRevision: 1 } as KeyValue, task: t });
  const stoppedAt = (minutesAgo: number) => new Date(T0.getTime() - minutesAgo * MINUTE);
  const cutoff = T0.getTime() - 60 * MINUTE;

  it('keeps the failures a service still counts, deletes the rest of the old STOPPED tasks', () => {
    const svc = service({ deployments: [deployment('ecs-svc/A', 1, { breakerResetAt: stoppedAt(200).toISOString() })],
      breaker: { enable: true, rollback: true } });
    const failed = task('ecs-svc/A', on, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: stoppedAt(90) });
    const beforeReset = task('ecs-svc/A', on, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: stoppedAt(300) });
    const scaledIn = task('ecs-svc/A', on, { lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedAt: stoppedAt(90) });
    const orphanFailure = task('ecs-svc/GONE', on, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: stoppedAt(90) });
    const recent = task('ecs-svc/A', on, { lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedAt: stoppedAt(30) });
    const unreleased = task('ecs-svc/A', on, { lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedAt: stoppedAt(90),
      reservation: { released: false } as never });
    const old = task('ecs-svc/A', on, { lastStatus: 'RUNNING', desiredStatus: 'STOPPED', stoppedAt: stoppedAt(9000) });
    const all = [failed, beforeReset, scaledIn, orphanFailure, recent, unreleased, old].map(stored);
    const out = expiredTasks(all, [svc], cutoff).map((s) => s.task);
    assert.deepEqual(new Set(out), new Set([beforeReset, scaledIn, orphanFailure]));
    // Without the service, its failures go too.
    assert.deepEqual(new Set(expiredTasks(all, [], cutoff).map((s) => s.task)), new Set([failed, beforeReset, scaledIn, orphanFailure]));
  });
});

describe('a retention pass reads what expired, not the cluster history', () => {
  const clock = manualClock();
  let h: Harness;
  const reads = { records: 0, lists: 0 };
  /** The memory store, counting reads of task records and listings of the tasks/ prefix. */
  const counting = (store: Store): Store => new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      if (prop === 'get') return (key: string) => { if (key.includes('/tasks/')) reads.records++; return fn(key); };
      if (prop === 'list' || prop === 'range') return (prefix: string, o?: unknown) => { if (prefix.includes('/tasks/')) reads.lists++; return fn(prefix, o); };
      return fn;
    },
  });
  before(async () => {
    h = await startHarness({ clock, store: counting(openMemoryStore()), config: { ecs: { scheduler: false, taskRetention: { intervalMs: 3_600_000 } } } });
  });
  after(async () => { await h.close(); });

  it('reads the records of the expired tasks only, and deletes them', async () => {
    const agents = new Agents(h.url);
    try {
      await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
      await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'job',
        containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64, command: ['sleep', 'infinity'] }] }));
      await agents.start('c');
      const runAndStop = async (n: number) => {
        const arns = (await h.ecs.send(new RunTaskCommand({ cluster: 'c', taskDefinition: 'job', count: n }))).tasks!.map((t) => t.taskArn!);
        await eventually('RUNNING', async () => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: arns }))).tasks!.every((t) => t.lastStatus === 'RUNNING'));
        for (const task of arns) await h.ecs.send(new StopTaskCommand({ cluster: 'c', task }));
        await eventually('STOPPED', async () => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: arns }))).tasks!.every((t) => t.lastStatus === 'STOPPED'));
        return arns;
      };
      const old = await runAndStop(2);
      clock.advance(61 * MINUTE);
      const recent = await runAndStop(8);
      reads.records = 0;
      reads.lists = 0;
      assert.equal(await h.berth.services.ecs.taskRetention!.runOnce(), 2);
      assert.equal(reads.records, 2);
      // Only the probes for the clusters with tasks (one key each): no listing of the records.
      assert.equal(reads.lists, 2);
      assert.deepEqual((await stoppedArns(h.ecs)).sort(), [...recent].sort());
      assert.equal((await describe1(h.ecs, old[0])).failure?.reason, 'MISSING');
    } finally {
      await agents.close();
    }
  });
});
