import {
  DeleteTaskDefinitionsCommand, DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, type ListTaskDefinitionsRequest, type RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RequestContext } from '../../context.js';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { resolveTaskDefinition } from '../model/task-definition-lookup.js';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:task-definition';

/** The seed's example: family web, nginx on 80:80, memory 50, cpu 102. */
const web = (family = 'web'): RegisterTaskDefinitionRequest => ({
  family,
  containerDefinitions: [{ name: 'nginx', image: 'nginx', portMappings: [{ containerPort: 80, hostPort: 80 }], memory: 50, cpu: 102 }],
});

describe('ECS task definitions', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); });

  const register = (input: RegisterTaskDefinitionRequest) => h.ecs.send(new RegisterTaskDefinitionCommand(input));
  const describeTd = (ref: string) => h.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
  const deregister = (ref: string) => h.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: ref }));
  const list = async (input: ListTaskDefinitionsRequest = {}) => (await h.ecs.send(new ListTaskDefinitionsCommand(input))).taskDefinitionArns;

  it('registers the seed example twice as revisions 1 and 2, with ECS defaults filled in', async () => {
    const before = Date.now();
    const r1 = await register(web());
    const r2 = await register(web());
    const td = r1.taskDefinition!;
    assert.equal(td.taskDefinitionArn, `${ARN}/web:1`);
    assert.equal(r2.taskDefinition?.taskDefinitionArn, `${ARN}/web:2`);
    assert.equal(td.revision, 1);
    assert.equal(r2.taskDefinition?.revision, 2);
    assert.equal(td.family, 'web');
    assert.equal(td.status, 'ACTIVE');
    assert.equal(td.registeredBy, 'arn:aws:iam::000000000000:root');
    assert.ok(td.registeredAt instanceof Date && td.registeredAt.getTime() >= before - 1000);
    assert.deepEqual(td.compatibilities, ['EXTERNAL', 'EC2']);
    assert.deepEqual(td.requiresAttributes, []);
    assert.deepEqual(td.volumes, []);
    assert.deepEqual(td.placementConstraints, []);
    assert.equal(td.networkMode, undefined);
    assert.deepEqual(td.containerDefinitions, [{
      name: 'nginx', image: 'nginx', cpu: 102, memory: 50, portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
      essential: true, environment: [], mountPoints: [], volumesFrom: [],
    }]);
    assert.equal(r1.tags, undefined);
  });

  it('hands out distinct revisions to concurrent registrations of one family', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => register(web())));
    const revisions = results.map((r) => r.taskDefinition?.revision ?? 0).sort((a, b) => a - b);
    assert.deepEqual(revisions, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal((await list())?.length, 10);
  });

  it('describes by family:revision, family (latest ACTIVE) and ARN; deregistering moves "latest" back', async () => {
    await register(web());
    await register(web());
    assert.equal((await describeTd('web:1')).taskDefinition?.revision, 1);
    assert.equal((await describeTd('web')).taskDefinition?.revision, 2);
    assert.equal((await describeTd(`${ARN}/web:2`)).taskDefinition?.revision, 2);

    const d = await deregister('web:2');
    assert.equal(d.taskDefinition?.status, 'INACTIVE');
    assert.ok(d.taskDefinition?.deregisteredAt instanceof Date);
    assert.equal((await describeTd('web')).taskDefinition?.revision, 1);
    const inactive = (await describeTd('web:2')).taskDefinition!;
    assert.equal(inactive.status, 'INACTIVE');
    assert.deepEqual(inactive.deregisteredAt, d.taskDefinition?.deregisteredAt);

    // Deregistering again returns it unchanged; a bare family is refused (a revision is required).
    const again = await deregister(`${ARN}/web:2`);
    assert.equal(again.taskDefinition?.status, 'INACTIVE');
    assert.deepEqual(again.taskDefinition?.deregisteredAt, d.taskDefinition?.deregisteredAt);
    await assert.rejects(deregister('web'), { name: 'ClientException', message: 'Revision is missing.' });
    await assert.rejects(deregister('web:9'), { name: 'ClientException' });
    assert.equal((await describeTd('web')).taskDefinition?.status, 'ACTIVE');

    await deregister('web:1');
    await assert.rejects(describeTd('web'), { name: 'ClientException', message: 'Unable to describe task definition.' });
    await assert.rejects(describeTd('nope:1'), { name: 'ClientException', message: 'Unable to describe task definition.' });
    await assert.rejects(describeTd('web:latest'), { name: 'ClientException', message: 'Invalid revision number. Number: latest' });
    // Revisions are never reused.
    assert.equal((await register(web())).taskDefinition?.revision, 3);
    // The family's latest-ACTIVE pointer: an older revision leaving does not move it; the latest
    // leaving moves it to the newest ACTIVE one below.
    await register(web());
    await register(web());
    await deregister('web:4');
    assert.equal((await describeTd('web')).taskDefinition?.revision, 5);
    await deregister('web:5');
    assert.equal((await describeTd('web')).taskDefinition?.revision, 3);
  });

  it('lists 12 revisions in numeric order (11 after 2), ASC and DESC, across families and pages', async () => {
    for (let i = 0; i < 12; i++) await register(web());
    await register(web('api'));
    await register(web('web-b'));
    const asc = [`${ARN}/api:1`, ...Array.from({ length: 12 }, (_, i) => `${ARN}/web:${i + 1}`), `${ARN}/web-b:1`];
    assert.deepEqual(await list(), asc);
    assert.deepEqual(await list({ sort: 'ASC' }), asc);
    assert.deepEqual(await list({ sort: 'DESC' }), [...asc].reverse());
    assert.deepEqual(await list({ familyPrefix: 'web' }), asc.slice(1, 13));
    assert.deepEqual(await list({ familyPrefix: 'we' }), [], 'familyPrefix is the full family name');

    for (const sort of ['ASC', 'DESC'] as const) {
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await h.ecs.send(new ListTaskDefinitionsCommand({ sort, maxResults: 4, nextToken }));
        assert.ok((page.taskDefinitionArns ?? []).length <= 4);
        seen.push(...page.taskDefinitionArns ?? []);
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);
      assert.equal(pages, 4);
      assert.deepEqual(seen, sort === 'ASC' ? asc : [...asc].reverse());
    }

    await deregister('web:11');
    assert.deepEqual(await list({ status: 'INACTIVE' }), [`${ARN}/web:11`]);
    assert.equal((await list())?.includes(`${ARN}/web:11`), false);
    await assert.rejects(list({ maxResults: 0 }), { name: 'InvalidParameterException' });
    await assert.rejects(list({ maxResults: 101 }), { name: 'InvalidParameterException' });
    await assert.rejects(list({ nextToken: 'garbage!' }), { name: 'InvalidParameterException' });
  });

  it('lists families by status (ACTIVE if any revision is ACTIVE) and prefix, with pagination', async () => {
    for (const f of ['alpha', 'beta', 'beta-2', 'gamma']) await register(web(f));
    await register(web('beta'));
    await deregister('gamma:1');
    await deregister('beta:1');
    const families = async (input: object) => (await h.ecs.send(new ListTaskDefinitionFamiliesCommand(input))).families;
    assert.deepEqual(await families({}), ['alpha', 'beta', 'beta-2', 'gamma']);
    assert.deepEqual(await families({ status: 'ALL' }), ['alpha', 'beta', 'beta-2', 'gamma']);
    assert.deepEqual(await families({ status: 'ACTIVE' }), ['alpha', 'beta', 'beta-2']);
    assert.deepEqual(await families({ status: 'INACTIVE' }), ['gamma']);
    assert.deepEqual(await families({ familyPrefix: 'beta' }), ['beta', 'beta-2']);
    const p1 = await h.ecs.send(new ListTaskDefinitionFamiliesCommand({ maxResults: 3 }));
    assert.deepEqual(p1.families, ['alpha', 'beta', 'beta-2']);
    const p2 = await h.ecs.send(new ListTaskDefinitionFamiliesCommand({ maxResults: 3, nextToken: p1.nextToken }));
    assert.deepEqual(p2.families, ['gamma']);
    assert.equal(p2.nextToken, undefined);
  });

  it('deletes only INACTIVE revisions, reports failures in AWS words, and never reuses the revision', async () => {
    await register(web());
    await register(web());
    const refused = await h.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:1', 'nope:1', 'web', 'web:x'] }));
    assert.deepEqual(refused.taskDefinitions, []);
    assert.deepEqual(refused.failures, [
      { arn: 'web:1', reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' },
      { arn: 'nope:1', reason: 'The specified task definition does not exist. Specify a valid account, family, revision and try again.' },
      { arn: 'web', reason: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.' },
      { arn: 'web:x', reason: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.' },
    ]);
    assert.equal((await describeTd('web:1')).taskDefinition?.status, 'ACTIVE');

    await deregister('web:1');
    const del = await h.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [`${ARN}/web:1`] }));
    assert.deepEqual(del.failures, []);
    assert.equal(del.taskDefinitions?.[0]?.status, 'DELETE_IN_PROGRESS');
    assert.ok(del.taskDefinitions?.[0]?.deleteRequestedAt instanceof Date);
    assert.equal((await describeTd('web:1')).taskDefinition?.status, 'DELETE_IN_PROGRESS');
    assert.deepEqual(await list({ status: 'DELETE_IN_PROGRESS' }), [`${ARN}/web:1`]);
    assert.deepEqual(await list({ status: 'INACTIVE' }), []);
    await assert.rejects(deregister('web:1'), { name: 'ClientException' });
    await assert.rejects(h.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: Array(11).fill('web:1') })),
      { name: 'InvalidParameterException' });

    await deregister('web:2');
    await h.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:2'] }));
    const inactiveFamilies = await h.ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'INACTIVE' }));
    assert.deepEqual(inactiveFamilies.families, ['web']);
    assert.equal((await register(web())).taskDefinition?.revision, 3);
  });

  it('returns tags on register and on describe only when include=TAGS', async () => {
    const tags = [{ key: 'team', value: 'a' }, { key: 'empty', value: '' }];
    const r = await register({ ...web(), tags });
    assert.deepEqual(r.tags, tags);
    assert.equal((await describeTd('web')).tags, undefined);
    const d = await h.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1', include: ['TAGS'] }));
    assert.deepEqual(d.tags, tags);
    assert.equal((d.taskDefinition as Record<string, unknown>).tags, undefined);
  });

  it('resolveTaskDefinition: family → latest ACTIVE, family:revision, ARN; unknown and inactive refused', async () => {
    await register({ ...web(), tags: [{ key: 'k', value: 'v' }] });
    await register(web());
    const ctx: RequestContext = {
      requestId: 'test', account: '000000000000', region: 'us-east-1', accessKeyId: 'test',
      principalArn: 'arn:aws:iam::000000000000:root', service: 'ecs', operation: 'RunTask', app: h.berth.app,
    };
    assert.equal((await resolveTaskDefinition(ctx, 'web')).revision, 2);
    const first = await resolveTaskDefinition(ctx, 'web:1');
    assert.equal(first.revision, 1);
    assert.deepEqual((first as { tags?: unknown }).tags, [{ key: 'k', value: 'v' }]);
    assert.equal((await resolveTaskDefinition(ctx, `${ARN}/web:2`)).revision, 2);
    await assert.rejects(resolveTaskDefinition(ctx, 'nope'), { name: 'ClientException', message: 'TaskDefinition not found.' });
    await assert.rejects(resolveTaskDefinition(ctx, 'web:7'), { name: 'ClientException', message: 'TaskDefinition not found.' });
    await deregister('web:1');
    await assert.rejects(resolveTaskDefinition(ctx, 'web:1'), { name: 'InvalidParameterException', message: 'TaskDefinition is inactive' });
    assert.equal((await resolveTaskDefinition(ctx, 'web')).revision, 2);
    await deregister('web:2');
    await assert.rejects(resolveTaskDefinition(ctx, 'web'), { name: 'ClientException', message: 'TaskDefinition not found.' });
  });
});
