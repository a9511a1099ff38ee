import {
  CreateClusterCommand, DeleteAttributesCommand, DeregisterContainerInstanceCommand, DescribeContainerInstancesCommand,
  ListAttributesCommand, PutAttributesCommand, RegisterContainerInstanceCommand, type Attribute,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';

describe('ECS attributes', () => {
  let h: Harness;
  let a: string;
  let b: string;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    const reg = async (az: string) => (await h.ecs.send(new RegisterContainerInstanceCommand({
      cluster: 'prod', instanceIdentityDocument: JSON.stringify({ availabilityZone: az }),
    }))).containerInstance!.containerInstanceArn!;
    a = await reg('us-east-1a');
    b = await reg('us-east-1b');
  });

  const idOf = (arn: string) => arn.split('/').pop()!;
  const listAll = async (filter: { attributeName?: string; attributeValue?: string } = {}) =>
    (await h.ecs.send(new ListAttributesCommand({ cluster: 'prod', targetType: 'container-instance', ...filter }))).attributes ?? [];
  const custom = (attrs: Attribute[]) => attrs.filter((x) => !x.name!.startsWith('ecs.'))
    .map((x) => `${x.targetId === a ? 'a' : x.targetId === b ? 'b' : x.targetId}:${x.name}=${x.value ?? ''}`).sort();
  const describeA = async () =>
    (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [a] }))).containerInstances![0];

  it('puts, lists with filters and pages, overwrites and deletes attributes', async () => {
    const put = await h.ecs.send(new PutAttributesCommand({ cluster: 'prod', attributes: [
      { name: 'stack', value: 'prod', targetId: a },
      { name: 'stack', value: 'dev', targetId: idOf(b), targetType: 'container-instance' },
      { name: 'gpu', targetId: a },
      { name: 'owner', value: 'team@example.com:ops/x', targetId: b },
    ] }));
    assert.equal(put.attributes?.length, 4);
    assert.deepEqual(custom(await listAll()), ['a:gpu=', 'a:stack=prod', 'b:owner=team@example.com:ops/x', 'b:stack=dev']);
    assert.deepEqual(custom(await listAll({ attributeName: 'stack' })), ['a:stack=prod', 'b:stack=dev']);
    assert.deepEqual(custom(await listAll({ attributeName: 'stack', attributeValue: 'dev' })), ['b:stack=dev']);
    // Built-ins are listed too.
    assert.deepEqual((await listAll({ attributeName: 'ecs.availability-zone', attributeValue: 'us-east-1b' })).map((x) => x.targetId), [b]);
    const described = await describeA();
    assert.equal(described.attributes?.find((x) => x.name === 'stack')?.value, 'prod');
    assert.equal(described.version, 2, 'one call is one change per instance');

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.ecs.send(new ListAttributesCommand({ cluster: 'prod', targetType: 'container-instance', attributeName: 'stack', maxResults: 1, nextToken }));
      assert.ok((page.attributes?.length ?? 0) <= 1);
      seen.push(...custom(page.attributes ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(seen.sort(), ['a:stack=prod', 'b:stack=dev']);

    await h.ecs.send(new PutAttributesCommand({ cluster: 'prod', attributes: [{ name: 'stack', value: 'canary', targetId: a }] }));
    assert.deepEqual(custom(await listAll({ attributeName: 'stack' })), ['a:stack=canary', 'b:stack=dev']);
    await h.ecs.send(new DeleteAttributesCommand({ cluster: 'prod', attributes: [{ name: 'stack', targetId: a }, { name: 'gpu', targetId: a }] }));
    assert.deepEqual(custom(await listAll()), ['b:owner=team@example.com:ops/x', 'b:stack=dev']);
    assert.equal((await describeA()).attributes?.some((x) => x.name === 'stack'), false);

    // A deregistered instance's attributes are no longer listed.
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'prod', containerInstance: b }));
    assert.deepEqual(custom(await listAll()), []);
  });

  it('rejects bad input and changes nothing (one bad target fails the whole call)', async () => {
    await h.ecs.send(new PutAttributesCommand({ cluster: 'prod', attributes: Array.from({ length: 9 }, (_, i) => ({ name: `k${i}`, value: 'v', targetId: a })) }));
    const snapshot = async () => JSON.stringify({ list: custom(await listAll()), version: (await describeA()).version });
    const before = await snapshot();
    const put = (attributes: Attribute[], cluster = 'prod') => h.ecs.send(new PutAttributesCommand({ cluster, attributes }));
    const cases: [string, () => Promise<unknown>][] = [
      ['InvalidParameterException', () => put([{ name: 'bad name', value: 'x', targetId: a }])],
      ['InvalidParameterException', () => put([{ name: 'x'.repeat(129), value: 'x', targetId: a }])],
      ['InvalidParameterException', () => put([{ name: 'ok', value: 'trailing ', targetId: a }])],
      ['InvalidParameterException', () => put([{ name: 'ok', value: 'no#hash', targetId: a }])],
      ['InvalidParameterException', () => put([{ name: 'ok', value: 'v', targetId: idOf(a) }])],
      ['InvalidParameterException', () => put([{ name: 'ok', value: 'v' }])],
      ['InvalidParameterException', () => put(Array.from({ length: 11 }, (_, i) => ({ name: `n${i}`, value: 'v', targetId: b })))],
      ['InvalidParameterException', () => put([])],
      ['TargetNotFoundException', () => put([{ name: 'ok', value: 'v', targetId: b }, { name: 'ok', value: 'v', targetId: 'ffffffffffffffffffffffffffffffff', targetType: 'container-instance' }])],
      ['TargetNotFoundException', () => put([{ name: 'ok', value: 'v', targetId: a.replace('/prod/', '/other/') }])],
      ['AttributeLimitExceededException', () => put([{ name: 'k9', value: 'v', targetId: a }, { name: 'k10', value: 'v', targetId: a }, { name: 'ok', value: 'v', targetId: b }])],
      ['ClusterNotFoundException', () => put([{ name: 'ok', value: 'v', targetId: a }], 'nope')],
      ['TargetNotFoundException', () => h.ecs.send(new DeleteAttributesCommand({ cluster: 'prod', attributes: [{ name: 'k1', targetId: a }, { name: 'k1', targetId: 'ffffffffffffffffffffffffffffffff', targetType: 'container-instance' }] }))],
      ['InvalidParameterException', () => h.ecs.send(new ListAttributesCommand({ cluster: 'prod', targetType: 'container-instance', attributeValue: 'v' }))],
      ['InvalidParameterException', () => h.ecs.send(new ListAttributesCommand({ cluster: 'prod', targetType: 'container-instance', maxResults: 0 }))],
    ];
    for (const [name, call] of cases) {
      await assert.rejects(call(), (err: Error) => { assert.equal(err.name, name, `${name} expected, got ${err.name}: ${err.message}`); return true; });
      assert.equal(await snapshot(), before, `state changed after a rejected call (${name})`);
    }
    // Replacing an existing custom attribute does not count against the limit.
    await put([{ name: 'k0', value: 'w', targetId: a }, { name: 'k9', value: 'v', targetId: a }]);
    assert.equal(custom(await listAll({ attributeName: 'k0' }))[0], 'a:k0=w');
  });
});
