// The ECS developer guide's placement examples end to end: real SDK calls (RegisterContainerInstance
// with identity documents, RegisterTaskDefinition, RunTask, StartTask) against a real server, and
// assertions on which instances got the tasks, what failed and what was recorded.
import {
  CreateClusterCommand, DescribeClustersCommand, DescribeContainerInstancesCommand, ListTasksCommand, RegisterTaskDefinitionCommand,
  RunTaskCommand, StartTaskCommand, UpdateContainerInstancesStateCommand, type ContainerDefinition, type PlacementConstraint,
  type PlacementStrategy, type RegisterTaskDefinitionRequest, type RunTaskRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { REASON, SERVICE_DEFAULT_STRATEGY } from '../../../placement/index.js';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { contextOf, registerInstances, storedTask } from '../../../testing/placement-fixture.js';
import { db } from '../model/common.js';
import { resolveTaskDefinition } from '../model/task-definition-lookup.js';
import { CHUNK } from './task-launch.js';
import { launchTasks } from './task-run.js';

const C = 'placement';
const AZ: PlacementStrategy = { type: 'spread', field: 'attribute:ecs.availability-zone' };
const MEMORY: PlacementStrategy = { type: 'binpack', field: 'memory' };
const CPU: PlacementStrategy = { type: 'binpack', field: 'cpu' };
const INSTANCE: PlacementStrategy = { type: 'spread', field: 'instanceId' };
const memberOf = (expression: string): PlacementConstraint => ({ type: 'memberOf', expression });
const DISTINCT: PlacementConstraint = { type: 'distinctInstance' };

describe('RunTask and StartTask place with the placement engine', () => {
  let h: Harness;
  const clock = { now: () => new Date('2026-11-25T12:00:00.000Z') };
  before(async () => { h = await startHarness({ clock, config: { ecs: { agentGraceSeconds: 30 } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: C }));
  });

  const family = (name: string, c: Partial<ContainerDefinition> = {}, extra: Partial<RegisterTaskDefinitionRequest> = {}) =>
    h.ecs.send(new RegisterTaskDefinitionCommand({ family: name, containerDefinitions: [{ name: 'app', image: 'busybox', memory: 256, cpu: 128, ...c }], ...extra }));
  const run = (input: Partial<RunTaskRequest>) => h.ecs.send(new RunTaskCommand({ cluster: C, taskDefinition: 'web', ...input }));
  const remaining = async (arns: string[]) =>
    (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: C, containerInstances: arns }))).containerInstances!
      .map((ci) => [ci.containerInstanceArn, ci.remainingResources]);
  const allTasks = async () => [
    ...(await h.ecs.send(new ListTasksCommand({ cluster: C }))).taskArns!,
    ...(await h.ecs.send(new ListTasksCommand({ cluster: C, desiredStatus: 'STOPPED' }))).taskArns!,
  ];

  it('spreads across Availability Zones, then binpacks memory within each zone (6 instances, 3 zones)', async () => {
    await family('web');
    const { arns, nameOf } = await registerInstances(h.ecs, C, {
      a1: { az: 'us-east-1a', memory: 2048 }, a2: { az: 'us-east-1a', memory: 1000 },
      b1: { az: 'us-east-1b', memory: 1100 }, b2: { az: 'us-east-1b', memory: 3072 },
      c1: { az: 'us-east-1c', memory: 4096 }, c2: { az: 'us-east-1c', memory: 1500 },
    });
    const out = await run({ count: 6, placementStrategy: [AZ, MEMORY] });
    // One per zone on its fullest instance (a2 1000, b1 1100, c2 1500), then again: every zone
    // holds one, so binpack decides across them in the same order.
    assert.deepEqual(out.tasks!.map((t) => nameOf(t.containerInstanceArn)), ['a2', 'b1', 'c2', 'a2', 'b1', 'c2']);
    assert.deepEqual(out.failures, []);
    assert.deepEqual(out.tasks!.map((t) => t.availabilityZone), ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a', 'us-east-1b', 'us-east-1c']);
    // The placement that produced each task is recorded: tiers and rank tuple.
    const first = await storedTask(h, C, out.tasks![0].taskArn!);
    assert.deepEqual(first?.placement, {
      strategy: [AZ, MEMORY], by: 'engine', tiers: ['spread(attribute:ecs.availability-zone)', 'binpack(memory)'], rank: [0, 1000], group: 'family:web',
    });
    assert.deepEqual((await storedTask(h, C, out.tasks![3].taskArn!))?.placement?.rank, [1, 744]);
    // Binpack alone fills the fullest instance until it is full (a2: 488 MiB left, four tasks of
    // 100), then the next fullest (b1: 588), whatever the zones.
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'other', containerDefinitions: [{ name: 'app', image: 'x', memory: 100 }] }));
    const packed = await run({ taskDefinition: 'other', count: 5, placementStrategy: [MEMORY] });
    assert.deepEqual(packed.tasks!.map((t) => nameOf(t.containerInstanceArn)), ['a2', 'a2', 'a2', 'a2', 'b1']);
    const left = await remaining([arns.a2, arns.b1]);
    assert.deepEqual(left.map(([, r]) => (r as { name?: string; integerValue?: number }[]).find((x) => x.name === 'MEMORY')?.integerValue), [88, 488]);
  });

  it('distinctInstance: 4 tasks on 3 instances place 3, one per instance, and fail the 4th on every instance', async () => {
    await family('web');
    const { arns } = await registerInstances(h.ecs, C, { x: { az: 'us-east-1a' }, y: { az: 'us-east-1b' }, z: { az: 'us-east-1a' } });
    const out = await run({ count: 4, placementConstraints: [DISTINCT] });
    assert.deepEqual(out.tasks!.map((t) => t.containerInstanceArn).sort(), Object.values(arns).sort());
    assert.deepEqual(out.failures!.map((f) => [f.arn, f.reason]).sort(), Object.values(arns).sort().map((a) => [a, REASON.DISTINCT_INSTANCE]));
    // The tasks placed earlier count: the group is full; another group is not.
    const again = await run({ placementConstraints: [DISTINCT] });
    assert.deepEqual([again.tasks!.length, again.failures!.length], [0, 3]);
    const other = await run({ placementConstraints: [DISTINCT], group: 'batch' });
    assert.equal(other.tasks!.length, 1);
  });

  it('memberOf on instance type and Availability Zone, from the request and from the task definition', async () => {
    await family('web');
    const { arns, nameOf } = await registerInstances(h.ecs, C, {
      t2a: { az: 'us-east-1a', type: 't2.small' }, t2c: { az: 'us-east-1c', type: 't2.small' },
      m5a: { az: 'us-east-1a', type: 'm5.large' }, g2b: { az: 'us-east-1b', type: 'g2.2xlarge' },
    });
    const names = (out: { tasks?: { containerInstanceArn?: string }[] }) => [...new Set(out.tasks!.map((t) => nameOf(t.containerInstanceArn)))].sort();
    const t2 = await run({ count: 4, placementConstraints: [memberOf('attribute:ecs.instance-type =~ t2.*')], placementStrategy: [INSTANCE] });
    assert.deepEqual(t2.tasks!.map((t) => nameOf(t.containerInstanceArn)).sort(), ['t2a', 't2a', 't2c', 't2c']);
    assert.deepEqual(names(await run({ count: 3, placementConstraints: [
      memberOf('attribute:ecs.instance-type =~ t2.*'), memberOf('attribute:ecs.availability-zone in [us-east-1a, us-east-1b]')] })), ['t2a']);
    assert.deepEqual(names(await run({ count: 2, placementConstraints: [
      memberOf('attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d')] })), ['g2b']);
    // The definition's constraints hold together with the request's.
    await family('m5only', {}, { placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == m5.large' }] });
    assert.deepEqual(names(await run({ taskDefinition: 'm5only', count: 2 })), ['m5a']);
    const none = await run({ taskDefinition: 'm5only', placementConstraints: [memberOf('attribute:ecs.availability-zone == us-east-1b')] });
    assert.deepEqual(none.tasks, []);
    assert.deepEqual(none.failures!.map((f) => f.reason), Array(4).fill(REASON.MEMBER_OF));
    assert.equal(new Set(none.failures!.map((f) => f.arn)).size, Object.keys(arns).length);
  });

  it('task:group: next to the databases group, or away from it', async () => {
    await family('web');
    await family('db');
    const { arns, nameOf } = await registerInstances(h.ecs, C, { p: { az: 'us-east-1a' }, q: { az: 'us-east-1b' }, r: { az: 'us-east-1c' } });
    const db = await h.ecs.send(new StartTaskCommand({ cluster: C, taskDefinition: 'db', containerInstances: [arns.q], group: 'databases' }));
    assert.equal(db.tasks!.length, 1);
    const near = await run({ count: 3, placementConstraints: [memberOf('task:group == databases')] });
    assert.deepEqual(near.tasks!.map((t) => nameOf(t.containerInstanceArn)), ['q', 'q', 'q']);
    const away = await run({ count: 4, placementConstraints: [memberOf('not(task:group == databases)')], placementStrategy: [INSTANCE] });
    assert.deepEqual(away.tasks!.map((t) => nameOf(t.containerInstanceArn)).sort(), ['p', 'p', 'r', 'r']);
  });

  it('binpack picks the fullest instance (memory or CPU); spread by instance picks the emptiest', async () => {
    await family('web');
    await family('big', { memory: 1024, cpu: 1024 });
    const { arns, nameOf } = await registerInstances(h.ecs, C, {
      u: { az: 'us-east-1a', cpu: 4096, memory: 4096 }, v: { az: 'us-east-1a', cpu: 4096, memory: 4096 }, w: { az: 'us-east-1a', cpu: 4096, memory: 4096 },
    });
    await h.ecs.send(new StartTaskCommand({ cluster: C, taskDefinition: 'big', containerInstances: [arns.v] }));
    assert.equal(nameOf((await run({ placementStrategy: [MEMORY] })).tasks![0].containerInstanceArn), 'v');
    assert.equal(nameOf((await run({ placementStrategy: [CPU] })).tasks![0].containerInstanceArn), 'v');
    // The group family:web now has two tasks on v: spread by instance avoids it.
    assert.deepEqual((await run({ count: 2, placementStrategy: [INSTANCE] })).tasks!.map((t) => nameOf(t.containerInstanceArn)).sort(), ['u', 'w']);
  });

  it('refuses bad constraints and strategies with InvalidParameterException before anything changes', async () => {
    await family('web');
    await family('two', {}, { placementConstraints: [
      { type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }, { type: 'memberOf', expression: 'agentConnected == true' }] });
    const { arns } = await registerInstances(h.ecs, C, { a: { az: 'us-east-1a' }, b: { az: 'us-east-1b' } });
    const before = await remaining(Object.values(arns));
    const nine = Array.from({ length: 9 }, () => memberOf('attribute:ecs.os-type == linux'));
    const cases: [string, Partial<RunTaskRequest>, RegExp][] = [
      ['bad expression', { placementConstraints: [memberOf('attribute:ecs.instance-type ==')] }, /Invalid expression at position \d+/],
      ['unbalanced parentheses', { placementConstraints: [memberOf('(attribute:ecs.instance-type == t2.small')] }, /Invalid expression/],
      ['bad regex', { placementConstraints: [memberOf('attribute:ecs.instance-type =~ t2.[')] }, /regular expression/],
      ['memberOf without expression', { placementConstraints: [{ type: 'memberOf' }] }, /expression/],
      ['distinctInstance with an expression', { placementConstraints: [{ type: 'distinctInstance', expression: 'agentConnected == true' }] }, /distinctInstance/],
      ['11 constraints with the definition\'s', { taskDefinition: 'two', placementConstraints: nine }, /11.*at most 10/],
      ['6 strategies', { placementStrategy: [AZ, MEMORY, CPU, INSTANCE, AZ, MEMORY] }, /at most 5/],
      ['binpack on disk', { placementStrategy: [{ type: 'binpack', field: 'disk' }] }, /binpack field must be cpu or memory/],
      ['spread without a field', { placementStrategy: [{ type: 'spread' }] }, /spread field/],
      ['spread on a bare attribute prefix', { placementStrategy: [{ type: 'spread', field: 'attribute:' }] }, /spread field/],
      ['unknown strategy type', { placementStrategy: [{ type: 'pack' as never, field: 'memory' }] }, /should be one of/],
      ['unknown constraint type', { placementConstraints: [{ type: 'sameHost' as never }] }, /should be one of/],
      ['expression longer than 2000', { placementConstraints: [memberOf(`attribute:x == ${'y'.repeat(2000)}`)] }, /2000/],
    ];
    for (const [what, input, message] of cases) {
      await assert.rejects(run({ count: 2, ...input }), (err: Error) => {
        assert.equal(err.name, 'InvalidParameterException', `${what}: ${err.name}: ${err.message}`);
        assert.match(err.message, message, what);
        return true;
      }, what);
    }
    assert.deepEqual(await allTasks(), []);
    assert.deepEqual(await remaining(Object.values(arns)), before);
  });

  it('StartTask judges each named instance: resources, ports, status; one failure per instance that cannot', async () => {
    await family('port', { memory: 512, portMappings: [{ containerPort: 80, hostPort: 8080 }] });
    const { arns } = await registerInstances(h.ecs, C, {
      big: { az: 'us-east-1a', memory: 4096 }, small: { az: 'us-east-1a', memory: 256 }, drained: { az: 'us-east-1b' }, taken: { az: 'us-east-1b', ports: ['8080'] },
    });
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: C, containerInstances: [arns.drained], status: 'DRAINING' }));
    const out = await h.ecs.send(new StartTaskCommand({
      cluster: C, taskDefinition: 'port', containerInstances: [arns.big, arns.small, arns.drained, arns.taken, arns.big],
    }));
    assert.deepEqual(out.tasks!.map((t) => t.containerInstanceArn), [arns.big]);
    assert.deepEqual(out.failures, [
      { arn: arns.small, reason: REASON.MEMORY, detail: 'needs 512 MiB, 256 MiB left' },
      { arn: arns.drained, reason: REASON.DRAINING, detail: 'the instance is DRAINING; only ACTIVE instances take new tasks' },
      { arn: arns.taken, reason: REASON.PORTS, detail: 'host port 8080/tcp is taken' }, { arn: arns.big, reason: REASON.PORTS, detail: 'host port 8080/tcp is taken' },
    ]);
    assert.deepEqual((await storedTask(h, C, out.tasks![0].taskArn!))?.placement, { by: 'named', tiers: [], rank: [], group: 'family:port' });
  });

  it('lets the service scheduler place with a default strategy, relative to the service group', async () => {
    await family('web');
    const { arns, nameOf } = await registerInstances(h.ecs, C, {
      a1: { az: 'us-east-1a' }, a2: { az: 'us-east-1a' }, b1: { az: 'us-east-1b' }, b2: { az: 'us-east-1b' }, c1: { az: 'us-east-1c' }, c2: { az: 'us-east-1c' },
    });
    const ctx = contextOf(h);
    const cluster = (await h.ecs.send(new DescribeClustersCommand({ clusters: [C] }))).clusters![0];
    const definition = await resolveTaskDefinition(ctx, 'web');
    const spec = { cluster, definition, launchType: 'EC2' as const, group: 'service:api' };
    // No strategy at all: the first instance (in key order) takes everything that fits.
    const bare = await launchTasks(ctx, { ...spec, group: 'service:bare' }, 3);
    assert.equal(new Set(bare.tasks.map((t) => t.containerInstanceArn)).size, 1);
    // ECS's default (spread by zone) spreads the service's own tasks, not the others'.
    const azOnly = await launchTasks(ctx, { ...spec, defaultStrategy: SERVICE_DEFAULT_STRATEGY }, 3);
    assert.deepEqual(azOnly.tasks.map((t) => t.availabilityZone).sort(), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    // Zone, then instance: the next three go to the other instance of each zone.
    const next = await launchTasks(ctx, { ...spec, defaultStrategy: [AZ, INSTANCE] }, 3);
    const used = [...azOnly.tasks, ...next.tasks].map((t) => nameOf(t.containerInstanceArn)).sort();
    assert.deepEqual(used, Object.keys(arns).sort());
    assert.deepEqual(next.tasks.map((t) => t.group), ['service:api', 'service:api', 'service:api']);
    // A strategy in the spec wins over the default.
    const packed = await launchTasks(ctx, { ...spec, placementStrategy: [MEMORY], defaultStrategy: [INSTANCE] }, 2);
    assert.equal(new Set(packed.tasks.map((t) => t.containerInstanceArn)).size, 1);
  });

  it('answers API requests while a large placement is still committing its tasks', async () => {
    await family('tiny', { memory: 4, cpu: 1 });
    await registerInstances(h.ecs, C, { a: { az: 'us-east-1a', cpu: 100_000, memory: 100_000 }, b: { az: 'us-east-1b', cpu: 100_000, memory: 100_000 } });
    const ctx = contextOf(h);
    const cluster = (await h.ecs.send(new DescribeClustersCommand({ clusters: [C] }))).clusters![0];
    const spec = { cluster, definition: await resolveTaskDefinition(ctx, 'tiny'), launchType: 'EC2' as const, group: 'service:big' };
    const count = 1_000;
    // Task records committed so far, counted as the store delivers them (inside each commit).
    let committed = 0;
    const store = h.berth.app.store;
    const unwatch = store.watch(db(ctx).tasks.prefix(ctx, `${C}/`), await store.currentRevision() + 1, (e) => { if (e.type === 'put') committed++; });
    const order: string[] = [];
    let answeredAt = -1;
    const launch = launchTasks(ctx, { ...spec, defaultStrategy: SERVICE_DEFAULT_STRATEGY }, count).then((out) => { order.push('placed'); return out; });
    const answer = h.ecs.send(new DescribeClustersCommand({ clusters: [C] })).then(() => { order.push('answered'); answeredAt = committed; });
    const [out] = await Promise.all([launch, answer]);
    unwatch();
    assert.equal(out.tasks.length, count);
    // The request was answered between two commits of the call, not after its last one.
    assert.deepEqual(order, ['answered', 'placed']);
    assert.ok(answeredAt >= CHUNK && answeredAt < count, `answered after ${answeredAt} of ${count} commits`);
  });
});
