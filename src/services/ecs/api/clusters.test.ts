import {
  CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand, ListClustersCommand, UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';

describe('ECS clusters', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); });

  it('creates idempotently and describes with counts', async () => {
    const a = await h.ecs.send(new CreateClusterCommand({ clusterName: 'deepdive', tags: [{ key: 'team', value: 'a' }] }));
    const b = await h.ecs.send(new CreateClusterCommand({ clusterName: 'deepdive' }));
    assert.equal(a.cluster?.clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/deepdive');
    assert.equal(b.cluster?.clusterArn, a.cluster?.clusterArn);
    assert.deepEqual(b.cluster?.tags, [{ key: 'team', value: 'a' }]);
    const d = await h.ecs.send(new DescribeClustersCommand({ clusters: ['deepdive', 'nope'], include: ['TAGS'] }));
    assert.equal(d.clusters?.length, 1);
    assert.equal(d.clusters?.[0].status, 'ACTIVE');
    assert.equal(d.clusters?.[0].runningTasksCount, 0);
    assert.deepEqual(d.clusters?.[0].tags, [{ key: 'team', value: 'a' }]);
    assert.equal(d.clusters?.[0].settings, undefined);
    assert.deepEqual(d.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', reason: 'MISSING' }]);
  });

  it('lists with pagination', async () => {
    for (const n of ['c1', 'c2', 'c3']) await h.ecs.send(new CreateClusterCommand({ clusterName: n }));
    const p1 = await h.ecs.send(new ListClustersCommand({ maxResults: 2 }));
    assert.equal(p1.clusterArns?.length, 2);
    assert.ok(p1.nextToken);
    const p2 = await h.ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: p1.nextToken }));
    assert.deepEqual(p2.clusterArns, ['arn:aws:ecs:us-east-1:000000000000:cluster/c3']);
    assert.equal(p2.nextToken, undefined);
  });

  it('deletes to INACTIVE, still describable and still listed (as AWS lists it while describable)', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'gone' }));
    const del = await h.ecs.send(new DeleteClusterCommand({ cluster: 'gone' }));
    assert.equal(del.cluster?.status, 'INACTIVE');
    const d = await h.ecs.send(new DescribeClustersCommand({ clusters: ['arn:aws:ecs:us-east-1:000000000000:cluster/gone'] }));
    assert.equal(d.clusters?.[0].status, 'INACTIVE');
    assert.deepEqual((await h.ecs.send(new ListClustersCommand({}))).clusterArns, ['arn:aws:ecs:us-east-1:000000000000:cluster/gone']);
    await assert.rejects(h.ecs.send(new DeleteClusterCommand({ cluster: 'gone' })), { name: 'ClusterNotFoundException' });
  });

  it('updates settings and rejects bad values without change', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 's' }));
    const u = await h.ecs.send(new UpdateClusterSettingsCommand({ cluster: 's', settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    assert.deepEqual(u.cluster?.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    await assert.rejects(h.ecs.send(new UpdateClusterSettingsCommand({ cluster: 's', settings: [{ name: 'containerInsights', value: 'maybe' }] })),
      { name: 'InvalidParameterException' });
    const d = await h.ecs.send(new DescribeClustersCommand({ clusters: ['s'], include: ['SETTINGS'] }));
    assert.deepEqual(d.clusters?.[0].settings, [{ name: 'containerInsights', value: 'enabled' }]);
  });

  it('isolates accounts by 12-digit access key', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'mine' }));
    const { ECSClient } = await import('@aws-sdk/client-ecs');
    const other = new ECSClient({ endpoint: h.url, region: 'us-east-1', credentials: { accessKeyId: '111122223333', secretAccessKey: 'x' } });
    const l = await other.send(new ListClustersCommand({}));
    assert.deepEqual(l.clusterArns, []);
    const c = await other.send(new CreateClusterCommand({ clusterName: 'theirs' }));
    assert.equal(c.cluster?.clusterArn, 'arn:aws:ecs:us-east-1:111122223333:cluster/theirs');
    other.destroy();
  });

  it('associates capacity providers at creation and refuses unknown ones without creating', async () => {
    const c = await h.ecs.send(new CreateClusterCommand({ clusterName: 'cp', capacityProviders: ['FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }));
    assert.deepEqual(c.cluster?.capacityProviders, ['FARGATE']);
    assert.deepEqual(c.cluster?.defaultCapacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }]);
    await assert.rejects(h.ecs.send(new CreateClusterCommand({ clusterName: 'cp2', capacityProviders: ['nope'] })), { name: 'InvalidParameterException' });
    await assert.rejects(h.ecs.send(new CreateClusterCommand({ clusterName: 'cp3', defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })),
      { name: 'InvalidParameterException' });
    const d = await h.ecs.send(new DescribeClustersCommand({ clusters: ['cp2', 'cp3'] }));
    assert.equal(d.failures?.length, 2);
  });
});
