// ECR's records and keys. Per account and region (STYLE point 5):
//   /ecr/<a>/<r>/repo/<name>                 RepositoryRecord
//   /ecr/<a>/<r>/image/<name>@<digest>       ImageRecord (the manifest, its tags, its blobs)
//   /ecr/<a>/<r>/tag/<name>@<tag>            the digest the tag points at
//   /ecr/<a>/<r>/blob/<name>@<digest>        a blob pushed to (or mounted in) the repository
// And server-wide, outside any account (content-addressed storage is shared):
//   /ecr/_/_/ref/<blobDigest>/<a>/<r>/<name>@<imageDigest>   a manifest references the blob (GC)
//   /ecr/_/_/lifecycle/<a>/<r>/<name>                        the repository has a lifecycle policy
//   /ecr/_/_/upload/<uuid>                                   an upload session (registry or layer API)
//   /ecr/_/_/secret/token                                    the registry token HMAC secret
// `@` cannot occur in a repository name, so `<name>@` prefixes never cover another repository.
import { arn } from '../../common/arn.js';
import { AwsError } from '../../common/errors.js';
import { Records, recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';

export interface RepositoryRecord {
  repositoryName: string;
  createdAt: string;
  imageTagMutability: 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';
  /** Wildcard tag filters that flip the mutability for matching tags (the *_WITH_EXCLUSION modes). */
  mutabilityExclusions: string[];
  scanOnPush: boolean;
  encryptionType: 'AES256' | 'KMS' | 'KMS_DSSE';
  kmsKey?: string;
  tags: { Key: string; Value: string }[];
  policyText?: string;
  lifecyclePolicyText?: string;
  lifecycleEvaluatedAt?: string;
}

export interface ImageRecord {
  repositoryName: string;
  digest: string;
  mediaType: string;
  /** The manifest exactly as pushed (JSON, UTF-8). */
  manifest: string;
  /** The config's media type (artifactMediaType). */
  artifactMediaType?: string;
  tags: string[];
  /** Blobs the manifest references (config and layers). */
  blobs: string[];
  /** Images a manifest list / index references. */
  children: string[];
  sizeInBytes: number;
  pushedAt: string;
}

/** Upload sessions are server-wide (GC finds abandoned ones without scanning accounts); each
 *  names the account, region and repository it belongs to. */
export interface UploadRecord {
  account: string;
  region: string;
  repositoryName: string;
  uuid: string;
  startedAt: string;
}

export const GLOBAL: Scope = { account: '_', region: '_' };
export const repos = (store: Store) => new Records<RepositoryRecord>(store, 'ecr', 'repo');
export const images = (store: Store) => new Records<ImageRecord>(store, 'ecr', 'image');
export const uploads = (store: Store) => new Records<UploadRecord>(store, 'ecr', 'upload');

export const imageKey = (scope: Scope, name: string, digest: string) => recordKey('ecr', scope, 'image', `${name}@${digest}`);
export const tagKey = (scope: Scope, name: string, tag: string) => recordKey('ecr', scope, 'tag', `${name}@${tag}`);
export const blobLinkKey = (scope: Scope, name: string, digest: string) => recordKey('ecr', scope, 'blob', `${name}@${digest}`);
export const refKey = (blob: string, scope: Scope, name: string, image: string) =>
  recordKey('ecr', GLOBAL, 'ref', `${blob}/${scope.account}/${scope.region}/${name}@${image}`);
export const refPrefix = (blob: string) => recordKey('ecr', GLOBAL, 'ref', `${blob}/`);
export const lifecycleIndexKey = (scope: Scope, name: string) => recordKey('ecr', GLOBAL, 'lifecycle', `${scope.account}/${scope.region}/${name}`);

export const repositoryArn = (scope: Scope, name: string) => arn('ecr', scope.region, scope.account, `repository/${name}`);

export const NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export function checkName(name: string): void {
  if (name.length < 2 || name.length > 256 || !NAME_PATTERN.test(name)) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'repositoryName' failed to satisfy constraint: `
      + `'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`);
  }
}

export const repositoryNotFound = (scope: Scope, name: string) => new AwsError('RepositoryNotFoundException',
  `The repository with name '${name}' does not exist in the registry with id '${scope.account}'`);

/** The repository, or RepositoryNotFoundException. */
export async function mustGetRepo(store: Store, scope: Scope, name: string) {
  const repo = await repos(store).getVersioned(scope, name);
  if (!repo) throw repositoryNotFound(scope, name);
  return repo;
}

/** The registry id a request names must be the caller's account (cross-account access needs
 *  repository policies, which are stored but not evaluated). */
export function checkRegistryId(scope: Scope, registryId: string | undefined): void {
  if (registryId !== undefined && registryId !== scope.account) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'registryId' failed to satisfy constraint: `
      + `'registryId ${registryId} is not the caller's registry ${scope.account}'`);
  }
}

/** A wildcard (`*` matches any run of characters) as a RegExp over a whole tag. */
export const wildcard = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** Whether an existing tag may not be moved to another image in this repository. */
export function tagImmutable(repo: RepositoryRecord, tag: string): boolean {
  const excluded = repo.mutabilityExclusions.some((f) => wildcard(f).test(tag));
  switch (repo.imageTagMutability) {
    case 'IMMUTABLE': return true;
    case 'IMMUTABLE_WITH_EXCLUSION': return !excluded;
    case 'MUTABLE_WITH_EXCLUSION': return excluded;
    default: return false;
  }
}

// The SDK's types keep `| undefined` on required members; the gateway's validation has already
// rejected a request missing one, so handlers see them as present.
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
export type Valid<T> = T & { [K in RequiredKeys<T>]: Exclude<T[K], undefined> };
export const valid = <T>(input: T) => input as Valid<T>;
