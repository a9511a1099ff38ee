// Images as the API and the registry both change them: a manifest put (with its tag, IMMUTABLE
// enforced, and the references GC follows written in the same transaction), lookups by tag or
// digest, untag and delete. Each change is one compare-and-swap transaction, retried on conflict.
import { createHash } from 'node:crypto';
import { AwsError } from '../../common/errors.js';
import type { Scope } from '../../common/records.js';
import type { Op, Compare, Store } from '../../store/types.js';
import type { BlobStore } from './blobs.js';
import {
  blobLinkKey, DIGEST_PATTERN, imageKey, images, refKey, tagImmutable, tagKey, TAG_PATTERN, type ImageRecord, type RepositoryRecord,
} from './model.js';

export const MANIFEST_TYPES = {
  dockerV2: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;
const LISTS: string[] = [MANIFEST_TYPES.dockerList, MANIFEST_TYPES.ociIndex];
const KNOWN: string[] = Object.values(MANIFEST_TYPES);
/** ECR's manifest size limit. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

interface Descriptor { mediaType?: string; digest?: string; size?: number }
interface ManifestJson { schemaVersion?: number; mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] }

const invalid = (message: string) => new AwsError('InvalidParameterException', `Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${message}'`);

export const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The manifest's media type, config/layers or children, checked for shape. */
export function parseManifest(bytes: Buffer, contentType?: string) {
  if (bytes.length > MAX_MANIFEST_BYTES) throw invalid(`manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw invalid('manifest is not valid UTF-8');
  let json: ManifestJson;
  try { json = JSON.parse(text) as ManifestJson; } catch { throw invalid('Invalid JSON syntax'); }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('manifest is not a JSON object');
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const header = contentType?.split(';')[0].trim();
  const mediaType = declared ?? (header && KNOWN.includes(header) ? header : json.manifests ? MANIFEST_TYPES.ociIndex : MANIFEST_TYPES.ociManifest);
  if (!KNOWN.includes(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`);
  if (json.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const digestOk = (d: Descriptor | undefined): d is Descriptor & { digest: string } => typeof d?.digest === 'string' && DIGEST_PATTERN.test(d.digest);
  if (LISTS.includes(mediaType)) {
    if (!Array.isArray(json.manifests) || !json.manifests.every(digestOk)) throw invalid('manifests must be descriptors with sha256 digests');
    return { text, mediaType, blobs: [] as string[], children: json.manifests.map((m) => m.digest!), layerBytes: 0, artifactMediaType: undefined };
  }
  if (!digestOk(json.config) || !Array.isArray(json.layers) || !json.layers.every(digestOk)) {
    throw invalid('config and layers must be descriptors with sha256 digests');
  }
  const blobs = [...new Set([json.config.digest, ...json.layers.map((l) => l.digest!)])];
  const layerBytes = json.layers.reduce((n, l) => n + (typeof l.size === 'number' ? l.size : 0), 0);
  return { text, mediaType, blobs, children: [] as string[], layerBytes, artifactMediaType: json.config.mediaType };
}

export async function getImage(store: Store, scope: Scope, name: string, digest: string) {
  const kv = await store.get(imageKey(scope, name, digest));
  return kv ? { value: JSON.parse(kv.value) as ImageRecord, revision: kv.modRevision } : undefined;
}

export async function digestForTag(store: Store, scope: Scope, name: string, tag: string): Promise<string | undefined> {
  return (await store.get(tagKey(scope, name, tag)))?.value;
}

/** The image a tag or digest names in the repository. */
export async function findImage(store: Store, scope: Scope, name: string, ref: { imageDigest?: string; imageTag?: string }) {
  const digest = ref.imageDigest ?? (ref.imageTag !== undefined ? await digestForTag(store, scope, name, ref.imageTag) : undefined);
  if (!digest) return undefined;
  const found = await getImage(store, scope, name, digest);
  if (found && ref.imageDigest && ref.imageTag !== undefined && !found.value.tags.includes(ref.imageTag)) return undefined;
  return found;
}

export interface PutManifestOptions {
  /** PutImage: an image already there with this digest (and tag) is ImageAlreadyExistsException. */
  refuseExisting?: boolean;
  /** The digest the client says the manifest has. */
  expectedDigest?: string;
  now: Date;
}

/** Stores a manifest (tagged or not). The blobs it references must be in the repository. */
export async function putManifest(store: Store, blobs: BlobStore, scope: Scope, repo: RepositoryRecord, bytes: Buffer,
  contentType: string | undefined, tag: string | undefined, options: PutManifestOptions): Promise<ImageRecord> {
  const name = repo.repositoryName;
  if (tag !== undefined && !TAG_PATTERN.test(tag)) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}''`);
  }
  const parsed = parseManifest(bytes, contentType);
  const digest = digestOf(bytes);
  if (options.expectedDigest && options.expectedDigest !== digest) {
    throw new AwsError('ImageDigestDoesNotMatchException', `The provided image digest '${options.expectedDigest}' does not match the digest of the manifest '${digest}'`);
  }
  const missing: string[] = [];
  for (const blob of parsed.blobs) {
    if (!await store.get(blobLinkKey(scope, name, blob)) || await blobs.size(blob) === undefined) missing.push(blob);
  }
  if (missing.length) {
    throw new AwsError('LayersNotFoundException', `Layers with digests '[${missing.join(', ')}]' required for pushing image into `
      + `repository with name '${name}' in the registry with id '${scope.account}' do not exist`);
  }
  let childBytes = 0;
  for (const child of parsed.children) {
    const found = await getImage(store, scope, name, child);
    if (!found) throw new AwsError('ReferencedImagesNotFoundException', `Manifest references image ${child} which does not exist in the repository with name '${name}'`);
    childBytes += found.value.sizeInBytes;
  }

  for (let attempt = 0; attempt < 10; attempt++) {
    const existing = await getImage(store, scope, name, digest);
    const tagKv = tag === undefined ? undefined : await store.get(tagKey(scope, name, tag));
    const compares: Compare[] = [{ key: imageKey(scope, name, digest), modRevision: existing?.revision ?? 0 }];
    const ops: Op[] = [];
    if (options.refuseExisting && existing && (tag === undefined || existing.value.tags.includes(tag))) {
      throw new AwsError('ImageAlreadyExistsException', `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ''} already exists `
        + `in the repository with name '${name}' in registry with id '${scope.account}'`);
    }
    if (tag !== undefined) {
      compares.push({ key: tagKey(scope, name, tag), modRevision: tagKv?.modRevision ?? 0 });
      if (tagKv && tagKv.value !== digest) {
        if (tagImmutable(repo, tag)) {
          throw new AwsError('ImageTagAlreadyExistsException', `The image tag '${tag}' already exists in the '${name}' repository and cannot be `
            + 'overwritten because the repository is immutable.');
        }
        const old = await getImage(store, scope, name, tagKv.value);
        if (old) {
          compares.push({ key: imageKey(scope, name, tagKv.value), modRevision: old.revision });
          ops.push({ type: 'put', key: imageKey(scope, name, tagKv.value), value: JSON.stringify({ ...old.value, tags: old.value.tags.filter((t) => t !== tag) }) });
        }
      }
      if (tagKv?.value !== digest) ops.push({ type: 'put', key: tagKey(scope, name, tag), value: digest });
    }
    const record: ImageRecord = existing
      ? { ...existing.value, tags: tag === undefined || existing.value.tags.includes(tag) ? existing.value.tags : [...existing.value.tags, tag] }
      : {
        repositoryName: name, digest, mediaType: parsed.mediaType, manifest: parsed.text, artifactMediaType: parsed.artifactMediaType,
        tags: tag === undefined ? [] : [tag], blobs: parsed.blobs, children: parsed.children,
        sizeInBytes: parsed.layerBytes + childBytes, pushedAt: options.now.toISOString(),
      };
    ops.push({ type: 'put', key: imageKey(scope, name, digest), value: JSON.stringify(record) });
    if (!existing) for (const blob of record.blobs) ops.push({ type: 'put', key: refKey(blob, scope, name, digest), value: '' });
    if ((await store.txn(compares, ops)).succeeded) return record;
  }
  throw new AwsError('ServerException', `too many concurrent changes to image ${digest} in repository '${name}'`, 500);
}

/** Deletes the image (every tag of it); false when it was not there. */
export async function deleteImage(store: Store, scope: Scope, name: string, digest: string): Promise<ImageRecord | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const found = await getImage(store, scope, name, digest);
    if (!found) return undefined;
    const ops: Op[] = [{ type: 'delete', key: imageKey(scope, name, digest) }];
    for (const tag of found.value.tags) ops.push({ type: 'delete', key: tagKey(scope, name, tag) });
    for (const blob of found.value.blobs) ops.push({ type: 'delete', key: refKey(blob, scope, name, digest) });
    if ((await store.txn([{ key: imageKey(scope, name, digest), modRevision: found.revision }], ops)).succeeded) return found.value;
  }
  throw new AwsError('ServerException', `too many concurrent changes to image ${digest} in repository '${name}'`, 500);
}

/** Removes one tag; the image stays (untagged if it was its last). */
export async function untagImage(store: Store, scope: Scope, name: string, tag: string): Promise<ImageRecord | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const tagKv = await store.get(tagKey(scope, name, tag));
    if (!tagKv) return undefined;
    const found = await getImage(store, scope, name, tagKv.value);
    const compares: Compare[] = [{ key: tagKv.key, modRevision: tagKv.modRevision }];
    const ops: Op[] = [{ type: 'delete', key: tagKv.key }];
    if (found) {
      compares.push({ key: imageKey(scope, name, tagKv.value), modRevision: found.revision });
      ops.push({ type: 'put', key: imageKey(scope, name, tagKv.value), value: JSON.stringify({ ...found.value, tags: found.value.tags.filter((t) => t !== tag) }) });
    }
    if ((await store.txn(compares, ops)).succeeded) return found?.value;
  }
  throw new AwsError('ServerException', `too many concurrent changes to tag ${tag} in repository '${name}'`, 500);
}

/** Records that the blob is in the repository (pushed or mounted). */
export async function linkBlob(store: Store, scope: Scope, name: string, digest: string, size: number, now: Date): Promise<void> {
  await store.update(blobLinkKey(scope, name, digest), JSON.stringify({ size, at: now.toISOString() }));
}

export async function blobLinked(store: Store, scope: Scope, name: string, digest: string): Promise<boolean> {
  return (await store.get(blobLinkKey(scope, name, digest))) !== undefined;
}

export const imagesOf = (store: Store, scope: Scope, name: string) => images(store).listVersioned(scope, `${name}@`);
