// Images through the API: list, describe (sizes, push times), get manifests, put, delete.
import type {
  BatchDeleteImageRequest, BatchDeleteImageResponse, BatchGetImageRequest, BatchGetImageResponse, DescribeImagesRequest,
  DescribeImagesResponse, Image, ImageDetail, ImageFailure, ImageIdentifier, ListImagesRequest, ListImagesResponse,
  PutImageRequest, PutImageResponse,
} from '@aws-sdk/client-ecr';
import { AwsError } from '../../common/errors.js';
import { paginate } from '../../common/pagination.js';
import type { RequestContext } from '../context.js';
import { deleteImage, findImage, imagesOf, putManifest, untagImage } from './image-store.js';
import { checkRegistryId, DIGEST_PATTERN, mustGetRepo, type ImageRecord, valid } from './model.js';
import { ecrRuntime } from './runtime.js';

type TagStatus = 'TAGGED' | 'UNTAGGED' | 'ANY' | undefined;
const byStatus = (status: TagStatus) => (i: ImageRecord) =>
  status === 'TAGGED' ? i.tags.length > 0 : status === 'UNTAGGED' ? i.tags.length === 0 : true;

const idText = (id: ImageIdentifier) => `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;

export function imageDetail(ctx: RequestContext, i: ImageRecord): ImageDetail {
  return {
    registryId: ctx.account, repositoryName: i.repositoryName, imageDigest: i.digest, imageTags: i.tags.length ? i.tags : undefined,
    imageSizeInBytes: i.sizeInBytes, imagePushedAt: new Date(i.pushedAt), imageManifestMediaType: i.mediaType,
    artifactMediaType: i.artifactMediaType,
  };
}

export async function listImages(given: ListImagesRequest, ctx: RequestContext): Promise<ListImagesResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  await mustGetRepo(ctx.app.store, ctx, input.repositoryName);
  const all = (await imagesOf(ctx.app.store, ctx, input.repositoryName)).filter((v) => byStatus(input.filter?.tagStatus)(v.value));
  const ids = all.flatMap((v) => v.value.tags.length
    ? v.value.tags.map((imageTag) => ({ key: `${v.key}#${imageTag}`, id: { imageDigest: v.value.digest, imageTag } }))
    : [{ key: `${v.key}#`, id: { imageDigest: v.value.digest } }]);
  const { page, nextToken } = paginate(ids, (x) => x.key, input.maxResults, input.nextToken, { limit: 1000 });
  return { imageIds: page.map((x) => x.id), nextToken };
}

export async function describeImages(given: DescribeImagesRequest, ctx: RequestContext): Promise<DescribeImagesResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  const name = input.repositoryName;
  await mustGetRepo(store, ctx, name);
  if (input.imageIds?.length) {
    if (input.maxResults !== undefined || input.nextToken !== undefined) throw new AwsError('InvalidParameterException', 'Cannot specify maxResults or nextToken together with imageIds');
    const out: ImageDetail[] = [];
    for (const id of input.imageIds) {
      const found = await findImage(store, ctx, name, id);
      if (!found) {
        throw new AwsError('ImageNotFoundException', `The image with imageId ${idText(id)} does not exist within the repository with name '${name}' in the registry with id '${ctx.account}'`);
      }
      if (!out.some((d) => d.imageDigest === found.value.digest)) out.push(imageDetail(ctx, found.value));
    }
    return { imageDetails: out };
  }
  const all = (await imagesOf(store, ctx, name)).filter((v) => byStatus(input.filter?.tagStatus)(v.value));
  const { page, nextToken } = paginate(all, (v) => v.key, input.maxResults, input.nextToken, { limit: 1000 });
  return { imageDetails: page.map((v) => imageDetail(ctx, v.value)), nextToken };
}

/** The failure for an identifier that is malformed, or undefined when it is well-formed. */
function badId(id: ImageIdentifier): ImageFailure | undefined {
  if (id.imageDigest === undefined && id.imageTag === undefined) return { imageId: id, failureCode: 'MissingDigestAndTag', failureReason: 'Missing digest and tag' };
  if (id.imageDigest !== undefined && !DIGEST_PATTERN.test(id.imageDigest)) return { imageId: id, failureCode: 'InvalidImageDigest', failureReason: 'Invalid request parameters: image digest should satisfy the regex \'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+\'' };
  return undefined;
}

export async function batchGetImage(given: BatchGetImageRequest, ctx: RequestContext): Promise<BatchGetImageResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  const name = input.repositoryName;
  await mustGetRepo(store, ctx, name);
  const images: Image[] = [];
  const failures: ImageFailure[] = [];
  for (const id of input.imageIds) {
    const bad = badId(id);
    if (bad) { failures.push(bad); continue; }
    const found = await findImage(store, ctx, name, id);
    if (!found) { failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }); continue; }
    const accepted = input.acceptedMediaTypes;
    if (accepted?.length && !accepted.includes(found.value.mediaType)) {
      failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: `Requested image not found: its manifest media type ${found.value.mediaType} is not among acceptedMediaTypes` });
      continue;
    }
    images.push({ registryId: ctx.account, repositoryName: name, imageId: { imageDigest: found.value.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      imageManifest: found.value.manifest, imageManifestMediaType: found.value.mediaType });
  }
  return { images, failures };
}

export async function putImage(given: PutImageRequest, ctx: RequestContext): Promise<PutImageResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const repo = await mustGetRepo(ctx.app.store, ctx, input.repositoryName);
  const record = await putManifest(ctx.app.store, ecrRuntime(ctx.app).blobs, ctx, repo.value, Buffer.from(input.imageManifest, 'utf8'),
    input.imageManifestMediaType, input.imageTag, { refuseExisting: true, expectedDigest: input.imageDigest, now: ctx.app.clock.now() });
  return { image: { registryId: ctx.account, repositoryName: input.repositoryName,
    imageId: { imageDigest: record.digest, ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}) },
    imageManifest: record.manifest, imageManifestMediaType: record.mediaType } };
}

export async function batchDeleteImage(given: BatchDeleteImageRequest, ctx: RequestContext): Promise<BatchDeleteImageResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  const name = input.repositoryName;
  await mustGetRepo(store, ctx, name);
  const imageIds: ImageIdentifier[] = [];
  const failures: ImageFailure[] = [];
  for (const id of input.imageIds) {
    const bad = badId(id);
    if (bad) { failures.push(bad); continue; }
    const notFound = { imageId: id, failureCode: 'ImageNotFound' as const, failureReason: 'Requested image not found' };
    if (id.imageDigest === undefined) {
      // By tag alone: the tag goes; the image goes with it when that was its last tag (as ECR does).
      const image = await untagImage(store, ctx, name, id.imageTag!);
      if (!image) { failures.push(notFound); continue; }
      if (image.tags.length === 1) await deleteImage(store, ctx, name, image.digest);
      imageIds.push({ imageDigest: image.digest, imageTag: id.imageTag });
      continue;
    }
    const found = await findImage(store, ctx, name, { imageDigest: id.imageDigest });
    if (!found) { failures.push(notFound); continue; }
    if (id.imageTag !== undefined && !found.value.tags.includes(id.imageTag)) {
      failures.push({ imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid image tag for given digest' });
      continue;
    }
    const deleted = await deleteImage(store, ctx, name, id.imageDigest);
    if (!deleted) { failures.push(notFound); continue; }
    if (deleted.tags.length) for (const imageTag of deleted.tags) imageIds.push({ imageDigest: deleted.digest, imageTag });
    else imageIds.push({ imageDigest: deleted.digest });
  }
  return { imageIds, failures };
}
