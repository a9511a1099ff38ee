// ECR's repository API through the real SDK client: create/describe/delete (--force), validation
// and errors that change nothing, mutability, scanning, policies, tags, account isolation.
import {
  CreateRepositoryCommand, DeleteRepositoryCommand, DeleteRepositoryPolicyCommand, DescribeImagesCommand, DescribeRepositoriesCommand,
  GetRepositoryPolicyCommand, ListTagsForResourceCommand, PutImageScanningConfigurationCommand, PutImageTagMutabilityCommand,
  SetRepositoryPolicyCommand, TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEcrKit, type EcrKit } from '../../testing/ecr-kit.js';

describe('ECR repositories', () => {
  let k: EcrKit;
  before(async () => { k = await startEcrKit(); });
  after(async () => { await k.close(); });
  beforeEach(async () => { await k.h.reset(); });

  it('creates, describes with the registry URI docker uses, refuses duplicates', async () => {
    const out = await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/web', imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true }, encryptionConfiguration: { encryptionType: 'KMS' }, tags: [{ Key: 'team', Value: 'a' }] }));
    const host = new URL(k.h.url).host;
    assert.equal(out.repository?.repositoryUri, `${host}/team/web`);
    assert.equal(out.repository?.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/team/web');
    assert.equal(out.repository?.registryId, '000000000000');
    assert.equal(out.repository?.imageTagMutability, 'IMMUTABLE');
    assert.deepEqual(out.repository?.imageScanningConfiguration, { scanOnPush: true });
    assert.deepEqual(out.repository?.encryptionConfiguration, { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:000000000000:alias/aws/ecr' });
    await assert.rejects(k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/web' })), { name: 'RepositoryAlreadyExistsException' });
    const d = await k.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/web'] }));
    assert.equal(d.repositories?.[0].repositoryUri, `${host}/team/web`);
    assert.deepEqual((await k.ecr.send(new ListTagsForResourceCommand({ resourceArn: out.repository!.repositoryArn! }))).tags, [{ Key: 'team', Value: 'a' }]);
  });

  it('rejects bad input with AWS errors and creates nothing', async () => {
    for (const repositoryName of ['A', 'Upper', 'a//b', '-x', 'x-', 'a'.repeat(257)]) {
      await assert.rejects(k.ecr.send(new CreateRepositoryCommand({ repositoryName })), { name: 'InvalidParameterException' }, repositoryName);
    }
    await assert.rejects(k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'ok', imageTagMutability: 'SOMETIMES' as never })), { name: 'InvalidParameterException' });
    await assert.rejects(k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'ok', tags: [{ Key: 'aws:x', Value: 'y' }] })), { name: 'InvalidParameterException' });
    await assert.rejects(k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'ok', registryId: '111111111111' })), { name: 'InvalidParameterException' });
    await assert.rejects(k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'ok', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' })), { name: 'InvalidParameterException' });
    assert.deepEqual((await k.ecr.send(new DescribeRepositoriesCommand({}))).repositories, []);
    await assert.rejects(k.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })), {
      name: 'RepositoryNotFoundException', message: "The repository with name 'nope' does not exist in the registry with id '000000000000'" });
  });

  it('deletes an empty repository; one with images only with force, and then its images are gone', async () => {
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'full' }));
    const { response } = await k.pushImage('full', 'v1', [Buffer.from('layer one')]);
    assert.equal(response.status, 201);
    await assert.rejects(k.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'full' })), { name: 'RepositoryNotEmptyException' });
    assert.equal((await k.ecr.send(new DescribeImagesCommand({ repositoryName: 'full' }))).imageDetails?.length, 1);
    const del = await k.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'full', force: true }));
    assert.equal(del.repository?.repositoryName, 'full');
    await assert.rejects(k.ecr.send(new DescribeImagesCommand({ repositoryName: 'full' })), { name: 'RepositoryNotFoundException' });
    // Recreated under the same name it is empty: nothing of the old repository leaks in.
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'full' }));
    assert.deepEqual((await k.ecr.send(new DescribeImagesCommand({ repositoryName: 'full' }))).imageDetails, []);
    assert.equal((await k.reg('/v2/full/manifests/v1')).status, 404);
    // The blobs are unreferenced now: GC removes them.
    const gc = await k.h.berth.services.ecr.collectGarbage();
    assert.equal(gc.blobsRemoved, 2);
  });

  it('changes mutability, scanning, policy and tags; lists them back', async () => {
    const arn = (await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'cfg' }))).repository!.repositoryArn!;
    const m = await k.ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'cfg', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest*' }] }));
    assert.equal(m.imageTagMutability, 'IMMUTABLE_WITH_EXCLUSION');
    await k.ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: 'cfg', imageScanningConfiguration: { scanOnPush: true } }));
    const r = (await k.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['cfg'] }))).repositories![0];
    assert.deepEqual(r.imageTagMutabilityExclusionFilters, [{ filterType: 'WILDCARD', filter: 'latest*' }]);
    assert.deepEqual(r.imageScanningConfiguration, { scanOnPush: true });

    await assert.rejects(k.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'cfg' })), { name: 'RepositoryPolicyNotFoundException' });
    await assert.rejects(k.ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'cfg', policyText: 'not json' })), { name: 'InvalidParameterException' });
    const policyText = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }] });
    await k.ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'cfg', policyText }));
    assert.equal((await k.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'cfg' }))).policyText, policyText);
    assert.equal((await k.ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'cfg' }))).policyText, policyText);
    await assert.rejects(k.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'cfg' })), { name: 'RepositoryPolicyNotFoundException' });

    await k.ecr.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await k.ecr.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'a', Value: '3' }] }));
    await k.ecr.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['b'] }));
    assert.deepEqual((await k.ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ Key: 'a', Value: '3' }]);
    await assert.rejects(k.ecr.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/x' })), { name: 'InvalidParameterException' });
  });

  it('keeps accounts and regions apart, in the API and in the registry', async () => {
    const other = k.client('111111111111');
    const west = k.client('test', 'us-west-2');
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'shared' }));
    await k.pushImage('shared', 'v1', [Buffer.from('secret layer')]);
    assert.deepEqual((await other.send(new DescribeRepositoriesCommand({}))).repositories, []);
    assert.deepEqual((await west.send(new DescribeRepositoriesCommand({}))).repositories, []);
    await other.send(new CreateRepositoryCommand({ repositoryName: 'shared' }));
    // The other account's token sees its own (empty) repository of the same name, not ours.
    const theirs = await k.token(other);
    assert.equal((await k.reg('/v2/shared/manifests/v1', { token: theirs })).status, 404);
    const blob = `/v2/shared/blobs/sha256:${(await import('node:crypto')).createHash('sha256').update('secret layer').digest('hex')}`;
    assert.equal((await k.reg(blob, { token: theirs })).status, 404);
    assert.equal((await k.reg(blob)).status, 200);
    // And a region's token does not reach another region's repositories.
    assert.equal((await k.reg('/v2/shared/manifests/v1', { token: await k.token(west) })).status, 404);
  });
});
