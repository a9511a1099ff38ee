import {
  CreateCapacityProviderCommand, CreateClusterCommand, DeleteClusterCommand, ListTagsForResourceCommand, TagResourceCommand,
  UntagResourceCommand, type Tag,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { openMemoryStore } from '../../../store/memory.js';
import { ecsRecords } from '../model/common.js';

const ACCOUNT = '000000000000';
const scope = { account: ACCOUNT, region: 'us-east-1' };
const arn = (resource: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:${resource}`;

describe('ECS tagging', () => {
  let h: Harness;
  // The test writes bare service records: no scheduler to act on them.
  before(async () => { h = await startHarness({ config: { ecs: { scheduler: false } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); });

  const tag = (resourceArn: string, tags: Tag[]) => h.ecs.send(new TagResourceCommand({ resourceArn, tags }));
  const untag = (resourceArn: string, tagKeys: string[]) => h.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys }));
  const list = async (resourceArn: string) => (await h.ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags;

  /** Records other engineers' handlers would create, written straight into the store. */
  async function seed() {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'prod', tags: [{ key: 'env', value: 'prod' }] }));
    const r = ecsRecords(h.berth.app.store);
    await r.taskDefinitions.create(scope, 'web/0000000003', { family: 'web', revision: 3, status: 'ACTIVE' });
    await r.containerInstances.create(scope, 'prod/ci1', { containerInstanceArn: arn('container-instance/prod/ci1'), status: 'ACTIVE' });
    await r.tasks.create(scope, 'prod/t1', { taskArn: arn('task/prod/t1'), lastStatus: 'RUNNING', tags: [{ key: 'a', value: '1' }] });
    await r.services.create(scope, 'prod/api', { serviceArn: arn('service/prod/api'), serviceName: 'api', status: 'ACTIVE' });
    await h.ecs.send(new CreateCapacityProviderCommand({ name: 'cp', autoScalingGroupProvider: { autoScalingGroupArn: 'my-asg' } }));
  }

  it('tags, lists and untags every taggable resource kind', async () => {
    await seed();
    const arns = ['cluster/prod', 'task-definition/web:3', 'container-instance/prod/ci1', 'task/prod/t1', 'service/prod/api', 'capacity-provider/cp'].map(arn);
    for (const a of arns) await tag(a, [{ key: 'team', value: 'blue' }, { key: 'cost', value: '' }]);
    assert.deepEqual(await list(arn('cluster/prod')), [{ key: 'env', value: 'prod' }, { key: 'team', value: 'blue' }, { key: 'cost', value: '' }]);
    assert.deepEqual(await list(arn('task/prod/t1')), [{ key: 'a', value: '1' }, { key: 'team', value: 'blue' }, { key: 'cost', value: '' }]);
    for (const a of arns) {
      await untag(a, ['cost', 'not-there']);
      assert.ok((await list(a))?.some((t) => t.key === 'team' && t.value === 'blue'), a);
      assert.ok(!(await list(a))?.some((t) => t.key === 'cost'), a);
    }
    // The tags live on the records themselves.
    const r = ecsRecords(h.berth.app.store);
    assert.deepEqual((await r.taskDefinitions.get(scope, 'web/0000000003') as { tags?: Tag[] }).tags, [{ key: 'team', value: 'blue' }]);
    assert.deepEqual((await r.services.get(scope, 'prod/api'))?.tags, [{ key: 'team', value: 'blue' }]);
  });

  it('replaces the value of an existing key and keeps the rest', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c', tags: [{ key: 'k', value: 'old' }, { key: 'x', value: '1' }] }));
    await tag(arn('cluster/c'), [{ key: 'k', value: 'new' }]);
    assert.deepEqual(await list(arn('cluster/c')), [{ key: 'k', value: 'new' }, { key: 'x', value: '1' }]);
  });

  it('keeps every tag of concurrent TagResource calls (compare-and-swap)', async () => {
    // A store whose reads answer late, so that concurrent calls read the same revision before any of them writes.
    const inner = openMemoryStore();
    const slow = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'get') {
          return async (key: string) => { const kv = await target.get(key); await new Promise((r) => setTimeout(r, 5)); return kv; };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const s = await startHarness({ store: slow, config: { ecs: { scheduler: false } } });
    try {
      await s.ecs.send(new CreateClusterCommand({ clusterName: 'busy' }));
      const busy = arn('cluster/busy');
      await Promise.all(Array.from({ length: 8 }, (_, i) => s.ecs.send(new TagResourceCommand({ resourceArn: busy, tags: [{ key: `k${i}`, value: `${i}` }] }))));
      const tags = (await s.ecs.send(new ListTagsForResourceCommand({ resourceArn: busy }))).tags;
      assert.deepEqual(new Set(tags?.map((t) => t.key)), new Set(Array.from({ length: 8 }, (_, i) => `k${i}`)));
      assert.equal(tags?.length, 8);
    } finally {
      await s.close();
    }
  });

  it('rejects bad tags and unknown resources without changing anything', async () => {
    await seed();
    const forty = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await tag(arn('cluster/prod'), forty);
    const before = await list(arn('cluster/prod'));
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => tag(arn('cluster/prod'), Array.from({ length: 11 }, (_, i) => ({ key: `n${i}`, value: 'v' }))), 'InvalidParameterException', /at most 50/],
      [() => tag(arn('cluster/prod'), [{ key: 'aws:cloudformation:stack', value: 'x' }]), 'InvalidParameterException', /reserved/],
      [() => tag(arn('cluster/prod'), [{ key: 'k'.repeat(129), value: 'x' }]), 'InvalidParameterException', /1 to 128/],
      [() => tag(arn('cluster/prod'), [{ key: 'ok', value: 'v'.repeat(257) }]), 'InvalidParameterException', /256/],
      [() => tag(arn('cluster/prod'), [{ key: 'semi;colon', value: 'x' }]), 'InvalidParameterException', /may contain only/],
      [() => untag(arn('cluster/prod'), ['aws:owner']), 'InvalidParameterException', /reserved/],
      [() => tag(arn('cluster/nope'), [{ key: 'a', value: 'b' }]), 'ClusterNotFoundException', /Cluster not found/],
      [() => tag(arn('task/prod/missing'), [{ key: 'a', value: 'b' }]), 'ResourceNotFoundException', /task\/prod\/missing/],
      [() => tag(arn('task-definition/web:4'), [{ key: 'a', value: 'b' }]), 'ResourceNotFoundException', /web:4/],
      [() => tag(arn('task/t1'), [{ key: 'a', value: 'b' }]), 'InvalidParameterException', /short ARN format/],
      [() => tag(arn('capacity-provider/FARGATE'), [{ key: 'a', value: 'b' }]), 'InvalidParameterException', /FARGATE/],
      [() => tag('arn:aws:ecs:us-east-1:000000000000:bogus/x', [{ key: 'a', value: 'b' }]), 'InvalidParameterException', /ARN provided is invalid/],
      [() => tag('not-an-arn', [{ key: 'a', value: 'b' }]), 'InvalidParameterException', /ARN provided is invalid/],
      [() => tag('arn:aws:ecs:eu-west-1:000000000000:cluster/prod', [{ key: 'a', value: 'b' }]), 'InvalidParameterException', /not in this account and region/],
      [() => list(arn('service/prod/gone')), 'ResourceNotFoundException', /service\/prod\/gone/],
    ];
    for (const [call, name, message] of cases) await assert.rejects(call(), { name, message });
    assert.deepEqual(await list(arn('cluster/prod')), before);
    assert.deepEqual(await list(arn('task/prod/t1')), [{ key: 'a', value: '1' }]);

    await h.ecs.send(new CreateClusterCommand({ clusterName: 'old' }));
    await h.ecs.send(new DeleteClusterCommand({ cluster: 'old' }));
    await assert.rejects(tag(arn('cluster/old'), [{ key: 'a', value: 'b' }]), { name: 'InvalidParameterException', message: /cluster is inactive/ });
    await assert.rejects(list(arn('cluster/old')), { name: 'InvalidParameterException', message: /cluster is inactive/ });
  });
});
