// Per-account, per-region isolation: the account comes from the access key (12 digits, else
// 000000000000) and the region from the SigV4 credential scope. Each scope sees only its own
// clusters and task definitions, numbers revisions on its own, and cannot reach another scope's
// resources by ARN or through a nextToken handed out elsewhere.
import {
  CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand, DescribeTaskDefinitionCommand, ECSClient,
  ListClustersCommand, ListTaskDefinitionFamiliesCommand, ListTaskDefinitionsCommand, PutClusterCapacityProvidersCommand,
  RegisterTaskDefinitionCommand, UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';

const SCOPES = [
  { account: '000000000000', accessKeyId: 'test', region: 'us-east-1' },
  { account: '000000000000', accessKeyId: 'test', region: 'eu-west-1' },
  { account: '111122223333', accessKeyId: '111122223333', region: 'us-east-1' },
  { account: '444455556666', accessKeyId: '444455556666', region: 'ap-southeast-2' },
] as const;

describe('ECS account and region isolation', () => {
  let h: Harness;
  let clients: ECSClient[];
  before(async () => {
    h = await startHarness();
    clients = SCOPES.map((s) => new ECSClient({
      endpoint: h.url, region: s.region, credentials: { accessKeyId: s.accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1,
    }));
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await h.close();
  });

  const arnOf = (i: number, resource: string) => `arn:aws:ecs:${SCOPES[i].region}:${SCOPES[i].account}:${resource}`;

  it('each scope creates and lists its own clusters and task definition revisions', async () => {
    for (const [i, ecs] of clients.entries()) {
      // The same names everywhere, plus one of the scope's own; web gets i + 1 revisions.
      await ecs.send(new CreateClusterCommand({ clusterName: 'shared' }));
      await ecs.send(new CreateClusterCommand({ clusterName: `own-${i}` }));
      for (let r = 0; r <= i; r++) {
        const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'c', image: `img-${i}`, memory: 32 }] }));
        assert.equal(out.taskDefinition?.taskDefinitionArn, arnOf(i, `task-definition/web:${r + 1}`));
      }
    }
    for (const [i, ecs] of clients.entries()) {
      const clusters = await ecs.send(new ListClustersCommand({}));
      assert.deepEqual(clusters.clusterArns, [arnOf(i, `cluster/own-${i}`), arnOf(i, 'cluster/shared')]);
      const defs = await ecs.send(new ListTaskDefinitionsCommand({}));
      assert.deepEqual(defs.taskDefinitionArns, Array.from({ length: i + 1 }, (_, r) => arnOf(i, `task-definition/web:${r + 1}`)));
      assert.deepEqual((await ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families, ['web']);
      const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
      assert.equal(latest.taskDefinition?.revision, i + 1);
      assert.equal(latest.taskDefinition?.containerDefinitions?.[0].image, `img-${i}`);
    }
  });

  it("another scope's cluster ARN is not found, and acting on it leaves both clusters alone", async () => {
    const [home, otherRegion, otherAccount] = clients;
    const foreign = [arnOf(1, 'cluster/shared'), arnOf(2, 'cluster/shared')];
    const d = await home.send(new DescribeClustersCommand({ clusters: [...foreign, arnOf(0, 'cluster/shared')] }));
    assert.deepEqual(d.clusters?.map((c) => c.clusterArn), [arnOf(0, 'cluster/shared')]);
    assert.deepEqual(d.failures, foreign.map((arn) => ({ arn, reason: 'MISSING' })));
    for (const cluster of foreign) {
      await assert.rejects(home.send(new DeleteClusterCommand({ cluster })), { name: 'ClusterNotFoundException' });
      await assert.rejects(home.send(new UpdateClusterSettingsCommand({ cluster, settings: [{ name: 'containerInsights', value: 'enabled' }] })),
        { name: 'ClusterNotFoundException' });
      await assert.rejects(home.send(new PutClusterCapacityProvidersCommand({ cluster, capacityProviders: [], defaultCapacityProviderStrategy: [] })),
        { name: 'ClusterNotFoundException' });
    }
    for (const [i, ecs] of [home, otherRegion, otherAccount].entries()) {
      const c = await ecs.send(new DescribeClustersCommand({ clusters: ['shared'], include: ['SETTINGS'] }));
      assert.equal(c.clusters?.[0].status, 'ACTIVE', `scope ${i}`);
      assert.deepEqual(c.clusters?.[0].settings, [{ name: 'containerInsights', value: 'disabled' }], `scope ${i}`);
    }
  });

  it("a nextToken from another scope's listing is refused", async () => {
    const page = await clients[3].send(new ListTaskDefinitionsCommand({ maxResults: 1 }));
    assert.ok(page.nextToken);
    await assert.rejects(clients[0].send(new ListTaskDefinitionsCommand({ nextToken: page.nextToken })), { name: 'InvalidParameterException' });
    const families = await clients[0].send(new ListTaskDefinitionFamiliesCommand({}));
    assert.equal(families.nextToken, undefined);
  });
});
