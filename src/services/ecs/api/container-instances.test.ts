import {
  CreateClusterCommand, DeleteClusterCommand, DeregisterContainerInstanceCommand, DescribeClustersCommand,
  DescribeContainerInstancesCommand, ListContainerInstancesCommand, RegisterContainerInstanceCommand,
  UpdateContainerInstancesStateCommand, type ContainerInstance, type Resource,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { ecsRecords } from '../model/common.js';

const ARN = /^arn:aws:ecs:us-east-1:000000000000:container-instance\/prod\/[0-9a-f]{32}$/;
const START = Date.parse('2026-11-25T10:00:00.000Z');
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

const identity = (n: number, az: string, instanceType = 't3.large') => JSON.stringify({
  instanceId: `i-0abc00000000000${n}${n}`, availabilityZone: az, instanceType, imageId: 'ami-0123456789abcdef0', region: 'us-east-1',
});
const resources = (cpu = 2048, memory = 7800): Resource[] => [
  { name: 'CPU', type: 'INTEGER', integerValue: cpu },
  { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
  { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
  { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
];
const attr = (ci: ContainerInstance | undefined, name: string) => ci?.attributes?.find((a) => a.name === name)?.value;
const res = (list: Resource[] | undefined, name: string) => list?.find((r) => r.name === name);

describe('ECS container instances', () => {
  let h: Harness;
  let now = START;
  before(async () => { h = await startHarness({ clock: { now: () => new Date(now) }, config: { ecs: { agentGraceSeconds: 30 } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    now = START;
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
  });

  const register = (n: number, extra: Record<string, string> = {}) => h.ecs.send(new RegisterContainerInstanceCommand({
    cluster: 'prod', instanceIdentityDocument: identity(n, AZS[n % 3]), totalResources: resources(),
    versionInfo: { agentVersion: '1.90.0', dockerVersion: '27.0.1' },
    attributes: [{ name: 'stack', value: n === 0 ? 'blue' : 'green' }, ...Object.entries(extra).map(([name, value]) => ({ name, value }))],
    tags: [{ key: 'team', value: 'core' }],
  })).then((r) => r.containerInstance!);
  const describeOne = async (ref: string, include?: ('TAGS' | 'CONTAINER_INSTANCE_HEALTH')[]) =>
    (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [ref], include }))).containerInstances?.[0];
  const list = async (status?: 'ACTIVE' | 'DRAINING') =>
    (await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', status }))).containerInstanceArns ?? [];
  const registeredCount = async () =>
    (await h.ecs.send(new DescribeClustersCommand({ clusters: ['prod'] }))).clusters?.[0].registeredContainerInstancesCount;

  it('registers instances in three zones with built-in and custom attributes, and describes them', async () => {
    const [a, b, c] = [await register(0), await register(1), await register(2)];
    for (const [i, ci] of [a, b, c].entries()) {
      assert.match(ci.containerInstanceArn!, ARN);
      assert.equal(ci.ec2InstanceId, `i-0abc00000000000${i}${i}`);
      assert.equal(ci.status, 'ACTIVE');
      assert.equal(ci.agentConnected, true);
      assert.equal(ci.version, 1);
      assert.equal(ci.runningTasksCount, 0);
      assert.equal(ci.pendingTasksCount, 0);
      assert.equal(attr(ci, 'ecs.availability-zone'), AZS[i]);
      assert.equal(attr(ci, 'ecs.instance-type'), 't3.large');
      assert.equal(attr(ci, 'ecs.ami-id'), 'ami-0123456789abcdef0');
      assert.equal(attr(ci, 'ecs.os-type'), 'linux');
      assert.equal(attr(ci, 'ecs.cpu-architecture'), 'x86_64');
      assert.equal(attr(ci, 'stack'), i === 0 ? 'blue' : 'green');
      assert.equal(ci.registeredAt?.getTime(), START);
    }
    assert.equal(new Set([a, b, c].map((ci) => ci.containerInstanceArn)).size, 3);
    assert.equal(res(a.registeredResources, 'CPU')?.integerValue, 2048);
    assert.equal(res(a.registeredResources, 'MEMORY')?.integerValue, 7800);
    assert.deepEqual(res(a.registeredResources, 'PORTS')?.stringSetValue, ['22', '2375', '2376', '51678', '51679']);
    assert.deepEqual(a.remainingResources, a.registeredResources);

    const id = b.containerInstanceArn!.split('/').pop()!;
    const d = await h.ecs.send(new DescribeContainerInstancesCommand({
      cluster: 'prod', containerInstances: [a.containerInstanceArn!, id, 'ffffffffffffffffffffffffffffffff'], include: ['TAGS', 'CONTAINER_INSTANCE_HEALTH'],
    }));
    assert.deepEqual(d.containerInstances?.map((ci) => ci.containerInstanceArn), [a.containerInstanceArn, b.containerInstanceArn]);
    assert.deepEqual(d.containerInstances?.[0].tags, [{ key: 'team', value: 'core' }]);
    assert.equal(d.containerInstances?.[0].healthStatus?.overallStatus, 'OK');
    assert.deepEqual(d.containerInstances?.[0].versionInfo, { agentVersion: '1.90.0', dockerVersion: '27.0.1' });
    assert.deepEqual(d.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/prod/ffffffffffffffffffffffffffffffff', reason: 'MISSING' }]);
    const plain = await describeOne(a.containerInstanceArn!);
    assert.equal(plain?.tags, undefined);
    assert.equal(plain?.healthStatus, undefined);
    // An instance of another cluster is not found through this one.
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'other' }));
    const o = await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'other', containerInstances: [a.containerInstanceArn!] }));
    assert.deepEqual(o.failures, [{ arn: a.containerInstanceArn, reason: 'MISSING' }]);
  });

  it('fills in defaults when the registration says little', async () => {
    const ci = (await h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod' }))).containerInstance!;
    assert.match(ci.ec2InstanceId!, /^i-[0-9a-f]{17}$/);
    assert.equal(res(ci.registeredResources, 'CPU')?.integerValue, 2048);
    assert.equal(res(ci.registeredResources, 'MEMORY')?.integerValue, 3904);
    assert.deepEqual(res(ci.registeredResources, 'PORTS')?.stringSetValue, ['22', '2375', '2376', '51678', '51679']);
    assert.deepEqual(res(ci.registeredResources, 'PORTS_UDP')?.stringSetValue, []);
    assert.equal(attr(ci, 'ecs.availability-zone'), 'us-east-1a');
    assert.equal(attr(ci, 'ecs.instance-type'), undefined);
    // Reserved ports are always there, next to the agent's own.
    const withPorts = (await h.ecs.send(new RegisterContainerInstanceCommand({
      cluster: 'prod', totalResources: [{ name: 'PORTS', type: 'STRINGSET', stringSetValue: ['8080'] }],
    }))).containerInstance!;
    assert.deepEqual(res(withPorts.registeredResources, 'PORTS')?.stringSetValue, ['22', '2375', '2376', '8080', '51678', '51679']);
  });

  it('lists with pagination and status filters', async () => {
    const arns = [(await register(0)).containerInstanceArn!, (await register(1)).containerInstanceArn!, (await register(2)).containerInstanceArn!];
    const p1 = await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', maxResults: 2 }));
    assert.equal(p1.containerInstanceArns?.length, 2);
    assert.ok(p1.nextToken);
    const p2 = await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', maxResults: 2, nextToken: p1.nextToken }));
    assert.equal(p2.containerInstanceArns?.length, 1);
    assert.equal(p2.nextToken, undefined);
    assert.deepEqual([...p1.containerInstanceArns!, ...p2.containerInstanceArns!].sort(), [...arns].sort());
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', containerInstances: [arns[1]], status: 'DRAINING' }));
    assert.deepEqual(await list('DRAINING'), [arns[1]]);
    assert.deepEqual((await list('ACTIVE')).sort(), [arns[0], arns[2]].sort());
    assert.equal((await list()).length, 3);
  });

  it('filters with the cluster query language', async () => {
    const arns = [(await register(0)).containerInstanceArn!, (await register(1)).containerInstanceArn!, (await register(2)).containerInstanceArn!];
    const filter = async (f: string) => ((await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', filter: f }))).containerInstanceArns ?? []).sort();
    assert.deepEqual(await filter('attribute:stack == blue'), [arns[0]]);
    assert.deepEqual(await filter('attribute:ecs.availability-zone in [us-east-1b, us-east-1c]'), [arns[1], arns[2]].sort());
    assert.deepEqual(await filter('attribute:stack == green and not(attribute:ecs.availability-zone == us-east-1b)'), [arns[2]]);
    assert.deepEqual(await filter('runningTasksCount == 0 && agentConnected == true'), [...arns].sort());
    assert.deepEqual(await filter('ec2InstanceId =~ i-0abc0+11'), [arns[1]]);
    now += 31_000; // past the grace period: every agent is silent
    assert.deepEqual(await filter('agentConnected == false'), [...arns].sort());
    await assert.rejects(filter('attribute:stack == blue &&'), { name: 'InvalidParameterException' });
  });

  it('re-registration with the saved ARN keeps the ARN and refreshes resources and attributes', async () => {
    const first = await register(0);
    const again = (await h.ecs.send(new RegisterContainerInstanceCommand({
      cluster: 'prod', containerInstanceArn: first.containerInstanceArn, instanceIdentityDocument: identity(0, AZS[0]),
      totalResources: resources(4096, 15600), attributes: [{ name: 'stack', value: 'red' }, { name: 'rack', value: 'r7' }],
      versionInfo: { agentVersion: '1.91.0' },
    }))).containerInstance!;
    assert.equal(again.containerInstanceArn, first.containerInstanceArn);
    assert.equal(again.ec2InstanceId, first.ec2InstanceId);
    assert.equal(again.version, 2);
    assert.equal(res(again.registeredResources, 'CPU')?.integerValue, 4096);
    assert.equal(res(again.remainingResources, 'MEMORY')?.integerValue, 15600);
    assert.equal(attr(again, 'stack'), 'red');
    assert.equal(attr(again, 'rack'), 'r7');
    assert.equal(attr(again, 'ecs.availability-zone'), 'us-east-1a');
    assert.equal(again.versionInfo?.agentVersion, '1.91.0');
    assert.equal(again.registeredAt?.getTime(), START);
    assert.deepEqual(await list(), [first.containerInstanceArn]);
    // The same instance may not come back as another instance type.
    await assert.rejects(h.ecs.send(new RegisterContainerInstanceCommand({
      cluster: 'prod', containerInstanceArn: first.containerInstanceArn, instanceIdentityDocument: identity(0, AZS[0], 'm5.xlarge'),
    })), { name: 'ClientException', message: 'Container instance type changes are not supported.' });
    assert.equal((await describeOne(first.containerInstanceArn!))?.version, 2);
  });

  it('drains and reactivates, reporting unknown instances as failures', async () => {
    const ci = await register(0);
    const drained = await h.ecs.send(new UpdateContainerInstancesStateCommand({
      cluster: 'prod', containerInstances: [ci.containerInstanceArn!, '0123456789abcdef0123456789abcdef'], status: 'DRAINING',
    }));
    assert.equal(drained.containerInstances?.[0].status, 'DRAINING');
    assert.equal(drained.containerInstances?.[0].version, 2);
    assert.deepEqual(drained.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/prod/0123456789abcdef0123456789abcdef', reason: 'MISSING' }]);
    assert.equal((await describeOne(ci.containerInstanceArn!))?.status, 'DRAINING');
    assert.equal(await registeredCount(), 1);
    const back = await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', containerInstances: [ci.containerInstanceArn!], status: 'ACTIVE' }));
    assert.equal(back.containerInstances?.[0].status, 'ACTIVE');
    assert.equal(back.containerInstances?.[0].version, 3);
    // Setting the status it already has changes nothing.
    const same = await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', containerInstances: [ci.containerInstanceArn!], status: 'ACTIVE' }));
    assert.equal(same.containerInstances?.[0].version, 3);
  });

  it('deregisters to INACTIVE (still describable, no longer listed), refusing while tasks run unless forced', async () => {
    const [a, b] = [await register(0), await register(1)];
    // A running task on b (as the task applier would store it).
    await ecsRecords(h.berth.app.store).tasks.create({ account: '000000000000', region: 'us-east-1' }, 'prod/t1',
      { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/prod/t1', containerInstanceArn: b.containerInstanceArn, lastStatus: 'RUNNING' });
    assert.equal((await describeOne(b.containerInstanceArn!))?.runningTasksCount, 1);
    await assert.rejects(h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: b.containerInstanceArn })),
      { name: 'InvalidParameterException', message: 'Found running tasks on the instance.' });
    assert.equal((await describeOne(b.containerInstanceArn!))?.status, 'ACTIVE');

    const gone = await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: a.containerInstanceArn!.split('/').pop() }));
    assert.equal(gone.containerInstance?.status, 'INACTIVE');
    assert.equal(gone.containerInstance?.agentConnected, false);
    const forced = await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: b.containerInstanceArn, force: true }));
    assert.equal(forced.containerInstance?.status, 'INACTIVE');
    assert.equal((await describeOne(a.containerInstanceArn!))?.status, 'INACTIVE');
    assert.deepEqual(await list(), []);
    assert.equal(await registeredCount(), 0);
    // A deregistered instance cannot come back under its old ARN.
    await assert.rejects(h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', containerInstanceArn: a.containerInstanceArn })),
      { name: 'ClientException' });
  });

  it('derives agentConnected from the last heartbeat and the grace period', async () => {
    const ci = await register(0);
    now = START + 30_000;
    assert.equal((await describeOne(ci.containerInstanceArn!))?.agentConnected, true);
    now = START + 31_000;
    const late = await describeOne(ci.containerInstanceArn!, ['CONTAINER_INSTANCE_HEALTH']);
    assert.equal(late?.agentConnected, false);
    assert.equal(late?.healthStatus?.overallStatus, 'INSUFFICIENT_DATA');
    // A restarted agent registers again: connected from then on.
    const again = (await h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', containerInstanceArn: ci.containerInstanceArn }))).containerInstance;
    assert.equal(again?.agentConnected, true);
    assert.equal(res(again?.registeredResources, 'MEMORY')?.integerValue, 7800, 'resources kept when not re-sent');
  });

  it('counts ACTIVE and DRAINING instances in the cluster and refuses to delete it while any remain', async () => {
    const [a, b, c] = [await register(0), await register(1), await register(2)];
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', containerInstances: [b.containerInstanceArn!], status: 'DRAINING' }));
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: c.containerInstanceArn }));
    assert.equal(await registeredCount(), 2);
    await assert.rejects(h.ecs.send(new DeleteClusterCommand({ cluster: 'prod' })), { name: 'ClusterContainsContainerInstancesException' });
    for (const ci of [a, b]) await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: ci.containerInstanceArn }));
    assert.equal((await h.ecs.send(new DeleteClusterCommand({ cluster: 'prod' }))).cluster?.status, 'INACTIVE');
    await assert.rejects(register(3), { name: 'ClusterNotFoundException' });
  });

  it('rejects bad input and changes nothing', async () => {
    const ci = await register(0, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'v'])));
    const arn = ci.containerInstanceArn!;
    const snapshot = async () => JSON.stringify({
      list: await list(), count: await registeredCount(),
      ci: await describeOne(arn, ['TAGS']),
    });
    const before = await snapshot();
    const cases: [string, () => Promise<unknown>][] = [
      ['ClusterNotFoundException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'nope' }))],
      ['InvalidParameterException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', attributes: [{ name: 'bad name!', value: 'x' }] }))],
      ['InvalidParameterException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', attributes: [{ name: 'ok', value: ' padded' }] }))],
      ['InvalidParameterException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: -1 }] }))],
      ['InvalidParameterException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', totalResources: [{ name: 'PORTS', type: 'STRINGSET', stringSetValue: ['70000'] }] }))],
      ['InvalidParameterException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', instanceIdentityDocument: '{not json' }))],
      ['InvalidParameterException', () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod', tags: [{ key: 'aws:x', value: 'y' }] }))],
      // Two more custom attributes on re-registration would make 11.
      ['AttributeLimitExceededException', () => h.ecs.send(new RegisterContainerInstanceCommand({
        cluster: 'prod', containerInstanceArn: arn, attributes: [{ name: 'k8', value: 'v' }, { name: 'k9', value: 'v' }] }))],
      ['ClientException', () => h.ecs.send(new RegisterContainerInstanceCommand({
        cluster: 'prod', containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/prod/00000000000000000000000000000000' }))],
      ['InvalidParameterException', () => h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', containerInstances: [arn], status: 'REGISTERING' }))],
      ['InvalidParameterException', () => h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', containerInstances: [arn], status: 'SLEEPING' as 'ACTIVE' }))],
      ['InvalidParameterException', () => h.ecs.send(new UpdateContainerInstancesStateCommand({
        cluster: 'prod', containerInstances: Array.from({ length: 11 }, () => arn), status: 'DRAINING' }))],
      ['InvalidParameterException', () => h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: Array.from({ length: 101 }, () => arn) }))],
      ['InvalidParameterException', () => h.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', maxResults: 101 }))],
      ['InvalidParameterException', () => h.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', filter: 'attribute:stack blue' }))],
      ['InvalidParameterException', () => h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: 'not-there' }))],
    ];
    for (const [name, call] of cases) {
      await assert.rejects(call(), (err: Error) => { assert.equal(err.name, name, `${name} expected, got ${err.name}: ${err.message}`); return true; });
      assert.equal(await snapshot(), before, `state changed after a rejected call (${name})`);
    }
  });
});
