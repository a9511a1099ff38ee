// The layer calls of the API (what the ECR credential helper and SDK users push and pull with):
// chunked uploads into the same blob store and sessions the registry uses.
import type {
  BatchCheckLayerAvailabilityRequest, BatchCheckLayerAvailabilityResponse, CompleteLayerUploadRequest,
  CompleteLayerUploadResponse, GetDownloadUrlForLayerRequest, GetDownloadUrlForLayerResponse, InitiateLayerUploadRequest,
  InitiateLayerUploadResponse, Layer, LayerFailure, UploadLayerPartRequest, UploadLayerPartResponse,
} from '@aws-sdk/client-ecr';
import { Readable } from 'node:stream';
import { AwsError } from '../../common/errors.js';
import type { RequestContext } from '../context.js';
import { DigestMismatchError } from './blobs.js';
import { blobLinked, linkBlob } from './image-store.js';
import { checkRegistryId, DIGEST_PATTERN, GLOBAL, mustGetRepo, uploads, valid } from './model.js';
import { ecrRuntime, registryHost } from './runtime.js';
import { signToken } from './tokens.js';

/** The part size InitiateLayerUpload recommends. */
export const PART_SIZE = 10 * 1024 * 1024;

export async function initiateLayerUpload(given: InitiateLayerUploadRequest, ctx: RequestContext): Promise<InitiateLayerUploadResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  await mustGetRepo(ctx.app.store, ctx, input.repositoryName);
  const uploadId = ctx.app.ids.uuid();
  await uploads(ctx.app.store).create(GLOBAL, uploadId, { account: ctx.account, region: ctx.region, repositoryName: input.repositoryName, uuid: uploadId, startedAt: ctx.app.clock.now().toISOString() });
  await ecrRuntime(ctx.app).blobs.begin(uploadId);
  return { uploadId, partSize: PART_SIZE };
}

async function session(ctx: RequestContext, name: string, uploadId: string) {
  const found = await uploads(ctx.app.store).get(GLOBAL, uploadId);
  if (!found || found.repositoryName !== name || found.account !== ctx.account || found.region !== ctx.region) {
    throw new AwsError('UploadNotFoundException', `The upload with id '${uploadId}' does not exist in the repository with name '${name}' in the registry with id '${ctx.account}'`);
  }
  return found;
}

export async function uploadLayerPart(given: UploadLayerPartRequest, ctx: RequestContext): Promise<UploadLayerPartResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  await mustGetRepo(ctx.app.store, ctx, input.repositoryName);
  await session(ctx, input.repositoryName, input.uploadId);
  const { blobs } = ecrRuntime(ctx.app);
  const size = await blobs.uploadSize(input.uploadId) ?? 0;
  const part = Buffer.from(input.layerPartBlob);
  if (input.partFirstByte !== size || input.partLastByte !== input.partFirstByte + part.length - 1 || part.length === 0) {
    throw new AwsError('InvalidLayerPartException', `The layer part with range ${input.partFirstByte}-${input.partLastByte} is invalid: `
      + `the upload has ${size} bytes and the part carries ${part.length}`);
  }
  const total = await blobs.append(input.uploadId, Readable.from([part]));
  return { registryId: ctx.account, repositoryName: input.repositoryName, uploadId: input.uploadId, lastByteReceived: total - 1 };
}

export async function completeLayerUpload(given: CompleteLayerUploadRequest, ctx: RequestContext): Promise<CompleteLayerUploadResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  await mustGetRepo(store, ctx, input.repositoryName);
  await session(ctx, input.repositoryName, input.uploadId);
  const digest = input.layerDigests[0];
  if (input.layerDigests.length !== 1 || !DIGEST_PATTERN.test(digest)) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'layerDigests' failed to satisfy constraint: 'exactly one sha256 digest is required'`);
  }
  const { blobs } = ecrRuntime(ctx.app);
  if (!await blobs.uploadSize(input.uploadId)) throw new AwsError('EmptyUploadException', `The upload with id '${input.uploadId}' contains no layer parts`);
  if (await blobLinked(store, ctx, input.repositoryName, digest) && await blobs.size(digest) !== undefined) {
    await blobs.abort(input.uploadId);
    await uploads(store).delete(GLOBAL, input.uploadId);
    throw new AwsError('LayerAlreadyExistsException', `The image layer ${digest} already exists in the repository with name '${input.repositoryName}' in the registry with id '${ctx.account}'`);
  }
  let size: number;
  try {
    size = await blobs.commit(input.uploadId, digest);
  } catch (err) {
    if (err instanceof DigestMismatchError) {
      throw new AwsError('InvalidLayerException', `The layer digest calculation performed by Amazon ECR upon receipt of the image layer does not match the digest specified: ${err.message}`);
    }
    throw err;
  }
  await linkBlob(store, ctx, input.repositoryName, digest, size, ctx.app.clock.now());
  await uploads(store).delete(GLOBAL, input.uploadId);
  return { registryId: ctx.account, repositoryName: input.repositoryName, uploadId: input.uploadId, layerDigest: digest };
}

export async function batchCheckLayerAvailability(given: BatchCheckLayerAvailabilityRequest, ctx: RequestContext): Promise<BatchCheckLayerAvailabilityResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  await mustGetRepo(store, ctx, input.repositoryName);
  const { blobs } = ecrRuntime(ctx.app);
  const layers: Layer[] = [];
  const failures: LayerFailure[] = [];
  for (const layerDigest of input.layerDigests) {
    if (!DIGEST_PATTERN.test(layerDigest)) { failures.push({ layerDigest, failureCode: 'InvalidLayerDigest', failureReason: 'Invalid layer digest' }); continue; }
    const size = await blobLinked(store, ctx, input.repositoryName, layerDigest) ? await blobs.size(layerDigest) : undefined;
    if (size === undefined) failures.push({ layerDigest, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' });
    else layers.push({ layerDigest, layerAvailability: 'AVAILABLE', layerSize: size, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' });
  }
  return { layers, failures };
}

export async function getDownloadUrlForLayer(given: GetDownloadUrlForLayerRequest, ctx: RequestContext): Promise<GetDownloadUrlForLayerResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  await mustGetRepo(store, ctx, input.repositoryName);
  const { blobs, secret } = ecrRuntime(ctx.app);
  if (!DIGEST_PATTERN.test(input.layerDigest) || !await blobLinked(store, ctx, input.repositoryName, input.layerDigest) || await blobs.size(input.layerDigest) === undefined) {
    throw new AwsError('LayersNotFoundException', `Layers with digests '[${input.layerDigest}]' not found in the repository with name '${input.repositoryName}' in the registry with id '${ctx.account}'`);
  }
  // Like S3's presigned URL: the blob URL carrying a short-lived registry token.
  const token = signToken(secret, ctx, new Date(ctx.app.clock.now().getTime() + 3600_000));
  return { downloadUrl: `http://${registryHost(ctx.app)}/v2/${input.repositoryName}/blobs/${input.layerDigest}?token=${token}`, layerDigest: input.layerDigest };
}
