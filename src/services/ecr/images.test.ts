// Images through the API with the real SDK: the layer upload calls, PutImage, BatchGetImage,
// ListImages/DescribeImages (sizes, push times, filters), BatchDeleteImage, IMMUTABLE tags, and a
// layer fetched from GetDownloadUrlForLayer's URL.
import {
  BatchCheckLayerAvailabilityCommand, BatchDeleteImageCommand, BatchGetImageCommand, CompleteLayerUploadCommand,
  CreateRepositoryCommand, DescribeImagesCommand, GetDownloadUrlForLayerCommand, InitiateLayerUploadCommand, ListImagesCommand,
  PutImageCommand, UploadLayerPartCommand, type ECRClient,
} from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sha, startEcrKit, V2, type EcrKit } from '../../testing/ecr-kit.js';

/** Uploads a layer in parts through the API; resolves its digest. */
async function uploadLayer(ecr: ECRClient, repositoryName: string, bytes: Buffer, partSize = 7): Promise<string> {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  for (let at = 0; at < bytes.length; at += partSize) {
    const part = bytes.subarray(at, at + partSize);
    const out = await ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: at, partLastByte: at + part.length - 1, layerPartBlob: part }));
    assert.equal(out.lastByteReceived, at + part.length - 1);
  }
  const digest = sha(bytes);
  assert.equal((await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }))).layerDigest, digest);
  return digest;
}

const manifestOf = (config: string, layers: { digest: string; size: number }[]) => JSON.stringify({
  schemaVersion: 2, mediaType: V2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: config },
  layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...l })),
});

describe('ECR images', () => {
  let k: EcrKit;
  before(async () => { k = await startEcrKit(); });
  after(async () => { await k.close(); });
  beforeEach(async () => {
    await k.h.reset();
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'api' }));
  });

  it('uploads layers in parts, puts, gets, lists, describes and deletes an image', async () => {
    const layer = Buffer.from('a layer uploaded in seven-byte parts');
    const layerDigest = await uploadLayer(k.ecr, 'api', layer);
    const configDigest = await uploadLayer(k.ecr, 'api', Buffer.from('{}'));
    const check = await k.ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'api', layerDigests: [layerDigest, sha('absent')] }));
    assert.deepEqual(check.layers?.map((l) => [l.layerDigest, l.layerAvailability, l.layerSize]), [[layerDigest, 'AVAILABLE', layer.length]]);
    assert.equal(check.failures?.[0].failureCode, 'MissingLayerDigest');

    const manifest = manifestOf(configDigest, [{ digest: layerDigest, size: layer.length }]);
    const put = await k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: manifest, imageTag: 'v1' }));
    assert.equal(put.image?.imageId?.imageDigest, sha(manifest));
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: manifest, imageTag: 'v1' })), { name: 'ImageAlreadyExistsException' });
    await k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: manifest, imageTag: 'also' }));

    const got = await k.ecr.send(new BatchGetImageCommand({ repositoryName: 'api', imageIds: [{ imageTag: 'v1' }, { imageTag: 'missing' }, {}] }));
    assert.equal(got.images?.[0].imageManifest, manifest);
    assert.deepEqual(got.failures?.map((f) => f.failureCode), ['ImageNotFound', 'MissingDigestAndTag']);

    const listed = await k.ecr.send(new ListImagesCommand({ repositoryName: 'api' }));
    assert.deepEqual(listed.imageIds?.map((i) => i.imageTag).sort(), ['also', 'v1']);
    const [detail] = (await k.ecr.send(new DescribeImagesCommand({ repositoryName: 'api', imageIds: [{ imageTag: 'v1' }] }))).imageDetails!;
    assert.equal(detail.imageSizeInBytes, layer.length);
    assert.equal(detail.imagePushedAt?.toISOString(), new Date(k.clock.t).toISOString());
    assert.deepEqual(detail.imageTags?.sort(), ['also', 'v1']);
    assert.equal(detail.imageManifestMediaType, V2);
    await assert.rejects(k.ecr.send(new DescribeImagesCommand({ repositoryName: 'api', imageIds: [{ imageTag: 'nope' }] })), { name: 'ImageNotFoundException' });

    // Deleting one tag keeps the image; deleting by digest removes it with every tag.
    const d1 = await k.ecr.send(new BatchDeleteImageCommand({ repositoryName: 'api', imageIds: [{ imageTag: 'also' }] }));
    assert.deepEqual(d1.imageIds, [{ imageDigest: sha(manifest), imageTag: 'also' }]);
    assert.equal((await k.ecr.send(new ListImagesCommand({ repositoryName: 'api' }))).imageIds?.length, 1);
    const d2 = await k.ecr.send(new BatchDeleteImageCommand({ repositoryName: 'api', imageIds: [{ imageDigest: sha(manifest) }, { imageTag: 'gone' }] }));
    assert.deepEqual(d2.imageIds, [{ imageDigest: sha(manifest), imageTag: 'v1' }]);
    assert.equal(d2.failures?.[0].failureCode, 'ImageNotFound');
    assert.deepEqual((await k.ecr.send(new ListImagesCommand({ repositoryName: 'api' }))).imageIds, []);
  });

  it('refuses bad parts, digests and manifests, changing nothing', async () => {
    const { uploadId } = await k.ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'api' }));
    await assert.rejects(k.ecr.send(new UploadLayerPartCommand({ repositoryName: 'api', uploadId, partFirstByte: 5, partLastByte: 6, layerPartBlob: Buffer.from('ab') })),
      { name: 'InvalidLayerPartException' });
    await assert.rejects(k.ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'api', uploadId, layerDigests: [sha('x')] })), { name: 'EmptyUploadException' });
    await k.ecr.send(new UploadLayerPartCommand({ repositoryName: 'api', uploadId, partFirstByte: 0, partLastByte: 1, layerPartBlob: Buffer.from('ab') }));
    await assert.rejects(k.ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'api', uploadId, layerDigests: [sha('x')] })), { name: 'InvalidLayerException' });
    await assert.rejects(k.ecr.send(new UploadLayerPartCommand({ repositoryName: 'api', uploadId: 'nope', partFirstByte: 0, partLastByte: 0, layerPartBlob: Buffer.from('a') })),
      { name: 'UploadNotFoundException' });
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: 'not json' })), { name: 'InvalidParameterException' });
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: manifestOf(sha('c'), []) })), { name: 'LayersNotFoundException' });
    const ok = manifestOf(await uploadLayer(k.ecr, 'api', Buffer.from('{}')), []);
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: ok, imageDigest: sha('other') })), { name: 'ImageDigestDoesNotMatchException' });
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'api', imageManifest: ok, imageTag: 'bad tag' })), { name: 'InvalidParameterException' });
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'nope', imageManifest: ok })), { name: 'RepositoryNotFoundException' });
    assert.deepEqual((await k.ecr.send(new ListImagesCommand({ repositoryName: 'api' }))).imageIds, []);
  });

  it('IMMUTABLE refuses moving a tag; filters and the download URL work', async () => {
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'frozen', imageTagMutability: 'IMMUTABLE' }));
    const config = await uploadLayer(k.ecr, 'frozen', Buffer.from('{}'));
    const l1 = await uploadLayer(k.ecr, 'frozen', Buffer.from('one'));
    const l2 = await uploadLayer(k.ecr, 'frozen', Buffer.from('two'));
    await k.ecr.send(new PutImageCommand({ repositoryName: 'frozen', imageManifest: manifestOf(config, [{ digest: l1, size: 3 }]), imageTag: 'prod' }));
    await assert.rejects(k.ecr.send(new PutImageCommand({ repositoryName: 'frozen', imageManifest: manifestOf(config, [{ digest: l2, size: 3 }]), imageTag: 'prod' })), {
      name: 'ImageTagAlreadyExistsException', message: "The image tag 'prod' already exists in the 'frozen' repository and cannot be overwritten because the repository is immutable." });
    await k.ecr.send(new PutImageCommand({ repositoryName: 'frozen', imageManifest: manifestOf(config, [{ digest: l2, size: 3 }]) }));
    const untagged = await k.ecr.send(new ListImagesCommand({ repositoryName: 'frozen', filter: { tagStatus: 'UNTAGGED' } }));
    assert.deepEqual(untagged.imageIds, [{ imageDigest: sha(manifestOf(config, [{ digest: l2, size: 3 }])) }]);
    const tagged = await k.ecr.send(new DescribeImagesCommand({ repositoryName: 'frozen', filter: { tagStatus: 'TAGGED' } }));
    assert.deepEqual(tagged.imageDetails?.map((d) => d.imageTags), [['prod']]);

    const url = await k.ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'frozen', layerDigest: l1 }));
    assert.equal(await (await fetch(url.downloadUrl!)).text(), 'one');
    await assert.rejects(k.ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'frozen', layerDigest: sha('none') })), { name: 'LayersNotFoundException' });
  });
});
