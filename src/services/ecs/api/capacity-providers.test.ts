import {
  CreateCapacityProviderCommand, CreateClusterCommand, DeleteCapacityProviderCommand, DescribeCapacityProvidersCommand,
  DescribeClustersCommand, PutClusterCapacityProvidersCommand, UpdateCapacityProviderCommand,
  type CreateCapacityProviderRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { ecsRecords } from '../model/common.js';

const ACCOUNT = '000000000000';
const scope = { account: ACCOUNT, region: 'us-east-1' };
const cpArn = (name: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/${name}`;
const asgArn = (name: string) => `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:57ffcb94-11f0-4d6d-bf60-3bac5EXAMPLE:autoScalingGroupName/${name}`;

describe('ECS capacity providers', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); });

  const create = (name: string, extra: Partial<CreateCapacityProviderRequest> = {}) =>
    h.ecs.send(new CreateCapacityProviderCommand({ name, autoScalingGroupProvider: { autoScalingGroupArn: asgArn(`asg-${name}`) }, ...extra }));
  const describeOne = async (name: string) =>
    (await h.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [name], include: ['TAGS'] })));
  const clusterOf = async (name: string) => (await h.ecs.send(new DescribeClustersCommand({ clusters: [name] }))).clusters?.[0];

  it('creates with AWS defaults and describes by name, ARN and include TAGS', async () => {
    const c = await create('cp1', { tags: [{ key: 'team', value: 'a' }] });
    assert.deepEqual(c.capacityProvider, {
      capacityProviderArn: cpArn('cp1'), name: 'cp1', status: 'ACTIVE', type: 'EC2_AUTOSCALING', tags: [{ key: 'team', value: 'a' }],
      autoScalingGroupProvider: {
        autoScalingGroupArn: asgArn('asg-cp1'),
        managedScaling: { status: 'DISABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 },
        managedTerminationProtection: 'DISABLED', managedDraining: 'ENABLED',
      },
    });
    const byArn = await h.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [cpArn('cp1'), 'nope'] }));
    assert.equal(byArn.capacityProviders?.[0].name, 'cp1');
    assert.equal(byArn.capacityProviders?.[0].tags, undefined);
    assert.deepEqual(byArn.failures, [{ arn: cpArn('nope'), reason: 'MISSING' }]);
    assert.deepEqual((await describeOne('cp1')).capacityProviders?.[0].tags, [{ key: 'team', value: 'a' }]);
  });

  it('always describes FARGATE and FARGATE_SPOT, and paginates the full list', async () => {
    for (const n of ['a1', 'a2', 'a3']) await create(n);
    const all = await h.ecs.send(new DescribeCapacityProvidersCommand({}));
    assert.deepEqual(all.capacityProviders?.map((p) => p.name), ['a1', 'a2', 'a3', 'FARGATE', 'FARGATE_SPOT']);
    assert.deepEqual(all.capacityProviders?.[3], { capacityProviderArn: cpArn('FARGATE'), name: 'FARGATE', status: 'ACTIVE', type: 'FARGATE' });
    const p1 = await h.ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 2 }));
    const p2 = await h.ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 2, nextToken: p1.nextToken }));
    const p3 = await h.ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 2, nextToken: p2.nextToken }));
    assert.deepEqual([p1, p2, p3].flatMap((p) => p.capacityProviders!.map((c) => c.name)), ['a1', 'a2', 'a3', 'FARGATE', 'FARGATE_SPOT']);
    assert.equal(p3.nextToken, undefined);
    const spot = await h.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ['FARGATE_SPOT'] }));
    assert.equal(spot.capacityProviders?.[0].status, 'ACTIVE');
    assert.equal(spot.capacityProviders?.[0].autoScalingGroupProvider, undefined);
  });

  it('updates managed scaling by merging into the stored settings', async () => {
    await create('up', { autoScalingGroupProvider: { autoScalingGroupArn: asgArn('up'), managedScaling: { status: 'ENABLED', targetCapacity: 80 } } });
    const u = await h.ecs.send(new UpdateCapacityProviderCommand({
      name: 'up', autoScalingGroupProvider: { managedScaling: { instanceWarmupPeriod: 150 }, managedTerminationProtection: 'ENABLED' },
    }));
    assert.equal(u.capacityProvider?.updateStatus, 'UPDATE_COMPLETE');
    assert.deepEqual(u.capacityProvider?.autoScalingGroupProvider?.managedScaling,
      { status: 'ENABLED', targetCapacity: 80, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 150 });
    const d = await describeOne('up');
    assert.equal(d.capacityProviders?.[0].autoScalingGroupProvider?.managedTerminationProtection, 'ENABLED');
    assert.equal(d.capacityProviders?.[0].autoScalingGroupProvider?.managedScaling?.instanceWarmupPeriod, 150);
  });

  it('associates providers with a cluster and refuses to delete them until removed', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await create('ec2');
    const put = await h.ecs.send(new PutClusterCapacityProvidersCommand({
      cluster: 'prod', capacityProviders: ['ec2', cpArn('FARGATE')], defaultCapacityProviderStrategy: [{ capacityProvider: 'ec2', weight: 1, base: 2 }],
    }));
    assert.deepEqual(put.cluster?.capacityProviders, ['ec2', 'FARGATE']);
    assert.deepEqual(put.cluster?.defaultCapacityProviderStrategy, [{ capacityProvider: 'ec2', weight: 1, base: 2 }]);
    assert.deepEqual((await clusterOf('prod'))?.capacityProviders, ['ec2', 'FARGATE']);

    const refused = await h.ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: 'ec2' }));
    assert.equal(refused.capacityProvider?.status, 'ACTIVE');
    assert.equal(refused.capacityProvider?.updateStatus, 'DELETE_FAILED');
    assert.match(refused.capacityProvider?.updateStatusReason ?? '', /associated with cluster: prod/);

    await h.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'prod', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] }));
    const del = await h.ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: cpArn('ec2') }));
    // As ECS: the deletion is answered as started, and DescribeCapacityProviders shows it done.
    assert.equal(del.capacityProvider?.status, 'ACTIVE');
    assert.equal(del.capacityProvider?.updateStatus, 'DELETE_IN_PROGRESS');
    const after = (await describeOne('ec2')).capacityProviders?.[0];
    assert.equal(after?.status, 'INACTIVE');
    assert.equal(after?.updateStatus, 'DELETE_COMPLETE');
    const all = await h.ecs.send(new DescribeCapacityProvidersCommand({}));
    assert.deepEqual(all.capacityProviders?.map((p) => p.name), ['FARGATE', 'FARGATE_SPOT']);
    assert.equal((await create('ec2')).capacityProvider?.status, 'ACTIVE');
  });

  it('filters Describe by cluster', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    for (const n of ['in', 'out']) await create(n);
    await h.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'c', capacityProviders: ['in', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [] }));
    const d = await h.ecs.send(new DescribeCapacityProvidersCommand({ cluster: 'c' }));
    assert.deepEqual(d.capacityProviders?.map((p) => p.name), ['in', 'FARGATE_SPOT']);
  });

  it('rejects bad capacity providers without creating or changing anything', async () => {
    await create('keep');
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => create('ecsWorkers'), 'ClientException', /name is invalid: 'ecsWorkers'/],
      [() => create('Fargate-x'), 'ClientException', /name is invalid/],
      [() => create('bad name'), 'ClientException', /name is invalid/],
      [() => create('keep', { autoScalingGroupProvider: { autoScalingGroupArn: asgArn('other') } }), 'ClientException', /already exists: 'keep'/],
      [() => create('dup-asg', { autoScalingGroupProvider: { autoScalingGroupArn: asgArn('asg-keep') } }), 'ClientException', /already being used/],
      [() => create('t0', { autoScalingGroupProvider: { autoScalingGroupArn: asgArn('t0'), managedScaling: { status: 'ENABLED', targetCapacity: 0 } } }),
        'InvalidParameterException', /targetCapacity/],
      [() => create('steps', { autoScalingGroupProvider: { autoScalingGroupArn: asgArn('s'), managedScaling: { minimumScalingStepSize: 20, maximumScalingStepSize: 10 } } }),
        'InvalidParameterException', /minimumScalingStepSize \(20\)/],
      [() => create('mtp', { autoScalingGroupProvider: { autoScalingGroupArn: asgArn('m'), managedTerminationProtection: 'ENABLED' } }), 'InvalidParameterException', /managed scaling must/],
      [() => create('badtag', { tags: [{ key: 'aws:owner', value: 'x' }] }), 'InvalidParameterException', /aws:/],
    ];
    for (const [call, name, message] of cases) await assert.rejects(call(), { name, message });
    const all = await h.ecs.send(new DescribeCapacityProvidersCommand({ include: ['TAGS'] }));
    assert.deepEqual(all.capacityProviders?.map((p) => p.name), ['keep', 'FARGATE', 'FARGATE_SPOT']);
    assert.equal(all.capacityProviders?.[0].autoScalingGroupProvider?.autoScalingGroupArn, asgArn('asg-keep'));

    await assert.rejects(h.ecs.send(new UpdateCapacityProviderCommand({
      name: 'keep', autoScalingGroupProvider: { managedScaling: { targetCapacity: 101 } },
    })), { name: 'InvalidParameterException' });
    await assert.rejects(h.ecs.send(new UpdateCapacityProviderCommand({ name: 'ghost', autoScalingGroupProvider: {} })), { name: 'ClientException' });
    await assert.rejects(h.ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: 'FARGATE' })), { name: 'InvalidParameterException' });
    await assert.rejects(h.ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: 'ghost' })), { name: 'ClientException' });
    const kept = (await describeOne('keep')).capacityProviders?.[0];
    assert.equal(kept?.autoScalingGroupProvider?.managedScaling?.targetCapacity, 100);
    assert.equal(kept?.status, 'ACTIVE');
    assert.equal(kept?.updateStatus, undefined);
  });

  it('rejects bad cluster associations and leaves the cluster as it was', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'other' }));
    for (const n of ['a', 'b', 'shared']) await create(n);
    await h.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'other', capacityProviders: ['shared'], defaultCapacityProviderStrategy: [] }));
    await h.ecs.send(new PutClusterCapacityProvidersCommand({
      cluster: 'prod', capacityProviders: ['a'], defaultCapacityProviderStrategy: [{ capacityProvider: 'a', weight: 1 }],
    }));
    const put = (capacityProviders: string[], strategy: { capacityProvider: string; weight?: number; base?: number }[], cluster = 'prod') =>
      h.ecs.send(new PutClusterCapacityProvidersCommand({ cluster, capacityProviders, defaultCapacityProviderStrategy: strategy }));
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => put(['a', 'ghost'], []), 'InvalidParameterException', /not found: 'ghost'/],
      [() => put(['a'], [{ capacityProvider: 'b', weight: 1 }]), 'InvalidParameterException', /not associated with the cluster: 'b'/],
      [() => put(['a', 'b'], [{ capacityProvider: 'a', base: 1 }, { capacityProvider: 'b', base: 2 }]), 'InvalidParameterException', /Only one capacity provider/],
      [() => put(['a'], [{ capacityProvider: 'a', weight: 1001 }]), 'InvalidParameterException', /weight .* 1001/],
      [() => put(['a'], [{ capacityProvider: 'a', base: 100001 }]), 'InvalidParameterException', /base .* 100001/],
      [() => put(['a', 'FARGATE'], [{ capacityProvider: 'a', weight: 1 }, { capacityProvider: 'FARGATE', weight: 1 }]), 'InvalidParameterException', /both Fargate/],
      [() => put(['a', 'a'], []), 'InvalidParameterException', /more than once/],
      [() => put(['a', 'shared'], []), 'InvalidParameterException', /already associated with cluster 'other'/],
      [() => put(['a'], [], 'missing'), 'ClusterNotFoundException', /Cluster not found/],
    ];
    for (const [call, name, message] of cases) await assert.rejects(call(), { name, message });

    const records = ecsRecords(h.berth.app.store);
    await records.services.create(scope, 'prod/web', {
      serviceName: 'web', status: 'ACTIVE', capacityProviderStrategy: [{ capacityProvider: 'a', weight: 1 }],
    });
    await assert.rejects(put(['b'], []), { name: 'ResourceInUseException' });

    const prod = await clusterOf('prod');
    assert.deepEqual(prod?.capacityProviders, ['a']);
    assert.deepEqual(prod?.defaultCapacityProviderStrategy, [{ capacityProvider: 'a', weight: 1, base: 0 }]);
    assert.deepEqual((await clusterOf('other'))?.capacityProviders, ['shared']);
  });
});
