// Placement and its commit: the needs of a task, the launcher's snapshot as the engine sees it,
// ECS's failure reasons, and the compare-and-swap that keeps concurrent RunTask calls from
// over-committing an instance. (The developer guide's strategy and constraint examples through
// RunTask: placement-run.test.ts.)
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
  StartTaskCommand, type ContainerDefinition, type Resource, type RunTaskRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openMemoryStore } from '../../../store/memory.js';
import type { Store } from '../../../store/types.js';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { eventually } from '../../../testing/eventually.js';
import type { ContainerInstanceRecord } from '../model/common.js';
import { place } from '../../../placement/index.js';
import { engineSnapshot, type Candidate } from './task-launch.js';
import { taskNeeds } from '../model/task-resources.js';

const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const clock = { t: T0, now() { return new Date(this.t); } };
/** Transactions the store refused (a compare failed): proof that concurrent calls really raced. */
let conflicts = 0;
/** Transactions that created task records (placement commits). */
let taskTxns = 0;
/** Heartbeats reaching the store: keep-alives of agent liveness leases (model/liveness.ts). */
let heartbeatWrites = 0;
/** The memory store with a turn of the event loop before every read and write, as a networked
 *  store (etcd) has: without it each in-process request runs to completion between I/O events and
 *  concurrent calls would never interleave between snapshot and commit. */
function yielding(store: Store, options: { keepOpen?: boolean; lagging?: boolean } = {}): Store {
  const turn = () => new Promise((resolve) => setTimeout(resolve, 1));
  const slow = new Set(['get', 'list', 'count', 'create', 'update', 'delete', 'txn', 'currentRevision', 'keepAlive']);
  return new Proxy(store, {
    get(target, prop, receiver) {
      // lagging: the store says its watches may lag its writes (as etcd's do), so launches read
      // the store instead of the in-memory placement view.
      if (prop === 'syncWatch' && options.lagging) return false;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'close' && options.keepOpen) return async () => {};
      const fn = value as (...args: unknown[]) => unknown;
      if (!slow.has(String(prop))) return fn.bind(target);
      return async (...args: unknown[]) => {
        await turn();
        const result = await fn.apply(target, args);
        if (prop === 'keepAlive') heartbeatWrites++;
        if (prop === 'txn' && !(result as { succeeded: boolean }).succeeded) conflicts++;
        if (prop === 'txn' && (args[1] as { key: string }[]).some((op) => op.key.includes('/tasks/'))) taskTxns++;
        return result;
      };
    },
  });
}

const int = (rs: Resource[] | undefined, name: string) => rs?.find((r) => r.name === name)?.integerValue;

describe('task needs and the engine snapshot (pure)', () => {
  it('sums container cpu and memoryReservation-before-memory unless the task sets them; fixed host ports only', () => {
    const containers: ContainerDefinition[] = [
      { name: 'a', image: 'x', cpu: 100, memory: 300, memoryReservation: 200, portMappings: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 0 }] },
      { name: 'b', image: 'x', cpu: 50, memory: 100, portMappings: [{ containerPort: 53, hostPort: 5353, protocol: 'udp' }, { containerPort: 9000 }] },
    ];
    assert.deepEqual(taskNeeds({ containerDefinitions: containers }), { cpu: 150, memory: 300, ports: [8080], portsUdp: [5353] });
    assert.deepEqual(taskNeeds({ containerDefinitions: containers, cpu: '1 vCPU', memory: '1 GB' }), { cpu: 1024, memory: 1024, ports: [8080], portsUdp: [5353] });
    assert.deepEqual(taskNeeds({ containerDefinitions: containers }, { memory: '512', containerOverrides: [{ name: 'a', cpu: 400 }] }),
      { cpu: 450, memory: 512, ports: [8080], portsUdp: [5353] });
    assert.deepEqual(taskNeeds({ containerDefinitions: containers, networkMode: 'host' }).ports, [8080, 81, 9000]);
    assert.deepEqual(taskNeeds({ containerDefinitions: containers, networkMode: 'awsvpc' }).ports, []);
  });

  it('shows the engine each instance as the launcher read it: room, ports, agent, its tasks', () => {
    const candidate = (id: string, cpu: number, memory: number, connected = true, ports: string[] = [], groups: string[] = []): Candidate => {
      const record: ContainerInstanceRecord = { containerInstanceArn: `arn:ci/${id}`, status: 'ACTIVE', remainingResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: cpu }, { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
        { name: 'PORTS', type: 'STRINGSET', stringSetValue: ports }, { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] }] };
      return { id, arn: `arn:ci/${id}`, key: id, revision: 1, resRevision: 0, record, connected, tasks: groups.map((group) => ({ group })), runningTasksCount: groups.length };
    };
    const needs = { cpu: 100, memory: 100, ports: [80], portsUdp: [] };
    const snapshot = { cluster: 'c', candidates: [candidate('a', 50, 500), candidate('b', 500, 50), candidate('c', 500, 500, false),
      candidate('d', 500, 500, true, ['80']), candidate('e', 500, 500, true, [], ['family:x']), candidate('f', 500, 500)] };
    const engine = engineSnapshot(snapshot);
    assert.deepEqual(engine.instances.map((i) => [i.remainingCpu, i.remainingMemory, i.agentConnected, i.runningTasksCount]),
      [[50, 500, true, 0], [500, 50, true, 0], [500, 500, false, 0], [500, 500, true, 0], [500, 500, true, 1], [500, 500, true, 0]]);
    const seeded = { random: () => 0 };
    // No strategy: the first instance that can take it, in snapshot order.
    assert.equal(place(engine, { count: 1, needs, group: 'family:x' }, seeded).placements[0].arn, 'arn:ci/e');
    // distinctInstance sees the task of the group already on e.
    assert.equal(place(engine, { count: 1, needs, group: 'family:x', constraints: [{ type: 'distinctInstance' }] }, seeded).placements[0].arn, 'arn:ci/f');
    const none = place(engineSnapshot({ cluster: 'c', candidates: snapshot.candidates.slice(0, 4) }), { count: 1, needs, group: 'family:x' }, seeded);
    assert.deepEqual(none.failures, [
      { arn: 'arn:ci/a', reason: 'RESOURCE:CPU', detail: 'needs 100 CPU units, 50 left' },
      { arn: 'arn:ci/b', reason: 'RESOURCE:MEMORY', detail: 'needs 100 MiB, 50 MiB left' },
      { arn: 'arn:ci/c', reason: 'AGENT', detail: 'the container agent is disconnected' },
      { arn: 'arn:ci/d', reason: 'RESOURCE:PORTS', detail: 'host port 80/tcp is taken' }]);
  });
});

for (const lagging of [false, true]) describe(`RunTask placement against the store${lagging ? ' (read from the store, as on etcd)' : ''}`, () => {
  let h: Harness;
  /** A second server on the same store (two control-plane replicas): launches in one process take
   *  turns (the cluster's launch lock), so only the commit's compares keep two processes apart. */
  let h2: Harness;
  before(async () => {
    const shared = openMemoryStore();
    h = await startHarness({ clock, store: yielding(shared, { lagging }), config: { ecs: { agentGraceSeconds: 30 } } });
    h2 = await startHarness({ clock, store: yielding(shared, { keepOpen: true, lagging }), config: { ecs: { agentGraceSeconds: 30 } } });
  });
  after(async () => { await h2.close(); await h.close(); });
  beforeEach(async () => {
    await h.reset();
    clock.t = T0;
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'p' }));
  });

  const family = (name: string, c: Partial<ContainerDefinition>) =>
    h.ecs.send(new RegisterTaskDefinitionCommand({ family: name, containerDefinitions: [{ name: 'app', image: 'busybox', ...c }] }));
  const instance = async (arn: string) =>
    (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'p', containerInstances: [arn] }))).containerInstances![0];
  /** n concurrent RunTask calls, alternately to each server, after opening n keep-alive
   *  connections so that they really overlap. */
  const burst = async (n: number, taskDefinition: string, extra: Partial<RunTaskRequest> = {}, servers = [h, h2]) => {
    const client = (i: number) => servers[i % servers.length].ecs;
    await Promise.all(Array.from({ length: n }, (_, i) => client(i).send(new ListTasksCommand({ cluster: 'p' }))));
    return Promise.all(Array.from({ length: n }, (_, i) => client(i).send(new RunTaskCommand({ cluster: 'p', taskDefinition, ...extra }))));
  };
  const taskCount = async () => (await h.ecs.send(new ListTasksCommand({ cluster: 'p' }))).taskArns!.length;

  it('20 concurrent RunTask calls never over-commit one nearly full instance', async () => {
    await family('m', { memory: 100, cpu: 10 });
    const agent = await TestAgent.register(h.ecs, { cluster: 'p', cpu: 4096, memory: 750 });
    conflicts = 0;
    const results = await burst(20, 'm');
    // The calls overlapped between snapshot and commit (else this test would prove nothing):
    // some commits were refused and re-planned.
    assert.ok(conflicts > 0, 'no commit conflicted: the calls did not race');
    const placed = results.flatMap((r) => r.tasks ?? []);
    const failed = results.flatMap((r) => r.failures ?? []);
    assert.equal(placed.length, 7);
    assert.equal(failed.length, 13);
    assert.ok(failed.every((f) => f.reason === 'RESOURCE:MEMORY' && f.arn === agent.instanceArn));
    const ci = await instance(agent.instanceArn);
    assert.equal(int(ci.remainingResources, 'MEMORY'), 50);
    assert.equal(int(ci.remainingResources, 'CPU'), 4096 - 70);
    assert.equal(ci.pendingTasksCount, 7);
    assert.equal(await taskCount(), 7);
  });

  it('one server\'s concurrent RunTask calls take turns: no commit conflicts, the instance filled exactly', async () => {
    await family('m', { memory: 100, cpu: 10 });
    const agent = await TestAgent.register(h.ecs, { cluster: 'p', cpu: 4096, memory: 750 });
    conflicts = 0;
    const results = await burst(20, 'm', { count: 2 }, [h]);
    assert.equal(conflicts, 0);
    assert.equal(results.flatMap((r) => r.tasks ?? []).length, 7);
    assert.equal(int((await instance(agent.instanceArn)).remainingResources, 'MEMORY'), 50);
    assert.equal(await taskCount(), 7);
  });

  it('one server\'s concurrent RunTask calls with the same request share plans and commits: fewer transactions than calls', async () => {
    await family('m', { memory: 10, cpu: 1 });
    const agents = [];
    for (let i = 0; i < 4; i++) agents.push(await TestAgent.register(h.ecs, { cluster: 'p', memory: 1000 }));
    taskTxns = 0;
    const results = await burst(16, 'm', { count: 3 }, [h]);
    const placed = results.flatMap((r) => r.tasks ?? []);
    assert.deepEqual(results.map((r) => [r.tasks?.length, r.failures?.length]), Array.from({ length: 16 }, () => [3, 0]));
    assert.equal(new Set(placed.map((t) => t.taskArn)).size, 48);
    // Each call alone would commit once: calls waiting while a turn ran were served together.
    assert.ok(taskTxns < 16 / 2, `${taskTxns} placement transactions for 16 calls`);
    let memory = 0;
    for (const agent of agents) memory += int((await instance(agent.instanceArn)).remainingResources, 'MEMORY')!;
    assert.equal(memory, 4 * 1000 - 48 * 10);
    assert.equal(await taskCount(), 48);
  });

  it('concurrent calls of several tasks each re-place only what is left after a conflict, and fill the cluster exactly', async () => {
    await family('m', { memory: 100 });
    const agents = [];
    for (let i = 0; i < 3; i++) agents.push(await TestAgent.register(h.ecs, { cluster: 'p', memory: 1000 }));
    // 12 calls × 3 tasks = 36 asked for, room for 30 (10 per instance); spread keeps them contending.
    const results = await burst(12, 'm', { count: 3, placementStrategy: [{ type: 'spread', field: 'instanceId' }] });
    const placed = results.flatMap((r) => r.tasks ?? []);
    assert.equal(placed.length, 30);
    assert.equal(new Set(placed.map((t) => t.taskArn)).size, 30);
    for (const agent of agents) {
      assert.equal(placed.filter((t) => t.containerInstanceArn === agent.instanceArn).length, 10);
      assert.equal(int((await instance(agent.instanceArn)).remainingResources, 'MEMORY'), 0);
    }
    assert.ok(results.flatMap((r) => r.failures ?? []).every((f) => f.reason === 'RESOURCE:MEMORY'));
    assert.equal(await taskCount(), 30);
  });

  it('concurrent distinctInstance calls of one group never share an instance', async () => {
    await family('solo', { memory: 10 });
    const agents = [];
    for (let i = 0; i < 4; i++) agents.push(await TestAgent.register(h.ecs, { cluster: 'p' }));
    const results = await burst(10, 'solo', { placementConstraints: [{ type: 'distinctInstance' }] });
    const placed = results.flatMap((r) => r.tasks ?? []).map((t) => t.containerInstanceArn);
    assert.deepEqual(placed.sort(), agents.map((a) => a.instanceArn).sort());
    const failed = results.filter((r) => !r.tasks?.length);
    assert.equal(failed.length, 6);
    assert.ok(failed.every((r) => r.failures?.length === 4 && r.failures.every((f) => f.reason === 'DistinctInstance placement constraint unsatisfied.')));
  });

  it('20 concurrent RunTask calls for one fixed host port place exactly one task', async () => {
    await family('port', { memory: 10, portMappings: [{ containerPort: 80, hostPort: 8080 }] });
    const agent = await TestAgent.register(h.ecs, { cluster: 'p' });
    const results = await burst(20, 'port');
    assert.equal(results.flatMap((r) => r.tasks ?? []).length, 1);
    assert.deepEqual([...new Set(results.flatMap((r) => r.failures ?? []).map((f) => `${f.arn} ${f.reason}`))], [`${agent.instanceArn} RESOURCE:PORTS`]);
    // Dynamic host ports need no fixed port: many fit.
    await family('dyn', { memory: 10, portMappings: [{ containerPort: 80, hostPort: 0 }] });
    const dyn = await h.ecs.send(new RunTaskCommand({ cluster: 'p', taskDefinition: 'dyn', count: 5 }));
    assert.equal(dyn.tasks?.length, 5);
  });

  it('places the tasks of one call one after the other and reports every instance when the rest fit nowhere', async () => {
    await family('big', { memory: 600 });
    const a = await TestAgent.register(h.ecs, { cluster: 'p', memory: 1000 });
    clock.t = T0 + 1000;
    const b = await TestAgent.register(h.ecs, { cluster: 'p', memory: 1000 });
    const run = await h.ecs.send(new RunTaskCommand({ cluster: 'p', taskDefinition: 'big', count: 3 }));
    // Each instance takes one (the first task's memory is gone when the second is placed).
    assert.deepEqual(run.tasks?.map((t) => t.containerInstanceArn).sort(), [a.instanceArn, b.instanceArn].sort());
    assert.deepEqual(new Set(run.failures?.map((f) => `${f.arn} ${f.reason}`)),
      new Set([`${a.instanceArn} RESOURCE:MEMORY`, `${b.instanceArn} RESOURCE:MEMORY`]));
    assert.equal(run.failures?.length, 2);
  });

  it('fails with AGENT when the agent has been silent past the grace period', async () => {
    await family('small', { memory: 10 });
    const agent = await TestAgent.register(h.ecs, { cluster: 'p' });
    clock.t = T0 + 31_000;
    const run = await h.ecs.send(new RunTaskCommand({ cluster: 'p', taskDefinition: 'small' }));
    assert.deepEqual(run.tasks, []);
    assert.deepEqual(run.failures, [{ arn: agent.instanceArn, reason: 'AGENT', detail: 'the container agent is disconnected' }]);
    const start = await h.ecs.send(new StartTaskCommand({ cluster: 'p', taskDefinition: 'small', containerInstances: [agent.instanceArn] }));
    assert.deepEqual(start.failures, [{ arn: agent.instanceArn, reason: 'AGENT', detail: 'the container agent is disconnected' }]);
    assert.equal(await taskCount(), 0);
  });

  it('StartTask places on the named instances only; unknown ones are MISSING', async () => {
    await family('small', { memory: 10 });
    await TestAgent.register(h.ecs, { cluster: 'p' });
    const b = await TestAgent.register(h.ecs, { cluster: 'p' });
    const start = await h.ecs.send(new StartTaskCommand({
      cluster: 'p', taskDefinition: 'small', containerInstances: [b.instanceArn, '0123456789abcdef0123456789abcdef'], group: 'g1',
    }));
    assert.deepEqual(start.tasks?.map((t) => [t.containerInstanceArn, t.group]), [[b.instanceArn, 'g1']]);
    assert.deepEqual(start.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/p/0123456789abcdef0123456789abcdef', reason: 'MISSING' }]);
  });

  it('rejects RunTask on a cluster without container instances, as ECS does', async () => {
    await family('small', { memory: 10 });
    await assert.rejects(h.ecs.send(new RunTaskCommand({ cluster: 'p', taskDefinition: 'small' })),
      { name: 'InvalidParameterException', message: 'No Container Instances were found in your cluster.' });
  });
});

describe('heartbeats and placement (liveness apart from the instance record)', () => {
  let h: Harness;
  // touchMs 0: every frame the agent sends is a liveness keep-alive.
  before(async () => { h = await startHarness({ clock, store: yielding(openMemoryStore()), config: { ecs: { acs: { touchMs: 0, heartbeatMs: 60_000 } } } }); });
  after(async () => { await h.close(); });

  /** Runs `n` RunTask calls one after another while the agent, if `beating`, sends frames as fast
   *  as the server reads them; returns the store's refused commits and the heartbeat writes. */
  async function placeWhile(beating: boolean, n: number) {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'hb' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'hb', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 10 }] }));
    const agent = await TestAgent.register(h.ecs, { cluster: 'hb', memory: 4000 });
    await agent.connect();
    let stop = false;
    const beat = (async () => {
      while (beating && !stop) {
        agent.send({ type: 'HeartbeatAckRequest', message: { messageId: 'beat' } });
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    conflicts = 0;
    heartbeatWrites = 0;
    for (let i = 0; i < n; i++) {
      const out = await h.ecs.send(new RunTaskCommand({ cluster: 'hb', taskDefinition: 'hb' }));
      assert.equal(out.tasks?.length, 1, JSON.stringify(out.failures));
    }
    stop = true;
    await beat;
    const seen = { conflicts, heartbeatWrites };
    await agent.close();
    return seen;
  }

  it('a placement is never retried because the agent heartbeats: conflicts equal with heartbeats on and off', async () => {
    const off = await placeWhile(false, 15);
    const on = await placeWhile(true, 15);
    assert.ok(on.heartbeatWrites > 15, `heartbeats were written during the placements (${on.heartbeatWrites})`);
    assert.equal(on.conflicts, off.conflicts);
  });

  it('a heartbeat moves neither the instance record\'s revision nor its version; DescribeContainerInstances still sees it', async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'hb' }));
    const agent = await TestAgent.register(h.ecs, { cluster: 'hb' });
    const key = (await h.berth.app.store.list('/ecs/000000000000/us-east-1/container-instances/hb/'))[0];
    clock.t += 5_000;
    await agent.connect();
    await agent.next('TaskManifestMessage'); // the session is up (its liveness lease open)
    const written = heartbeatWrites;
    agent.send({ type: 'HeartbeatAckRequest', message: { messageId: 'beat' } });
    await eventually('a liveness keep-alive', () => heartbeatWrites > written);
    const after = await h.berth.app.store.get(key.key);
    assert.equal(after?.modRevision, key.modRevision);
    const ci = (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'hb', containerInstances: [agent.instanceArn] }))).containerInstances![0];
    assert.equal(ci.agentConnected, true);
    assert.equal(ci.version, 1);
    await agent.close();
  });
});
