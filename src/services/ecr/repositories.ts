// Repositories: create, describe, delete (--force), mutability, scanning, policies, tags, and the
// registry token.
import type {
  CreateRepositoryRequest, CreateRepositoryResponse, DeleteRepositoryPolicyRequest, DeleteRepositoryPolicyResponse,
  DeleteRepositoryRequest, DeleteRepositoryResponse, DescribeRepositoriesRequest, DescribeRepositoriesResponse,
  GetAuthorizationTokenRequest, GetAuthorizationTokenResponse, GetRepositoryPolicyRequest, GetRepositoryPolicyResponse,
  ListTagsForResourceRequest, ListTagsForResourceResponse, PutImageScanningConfigurationRequest,
  PutImageScanningConfigurationResponse, PutImageTagMutabilityRequest, PutImageTagMutabilityResponse, Repository,
  SetRepositoryPolicyRequest, SetRepositoryPolicyResponse, TagResourceRequest, TagResourceResponse, UntagResourceRequest,
  UntagResourceResponse,
} from '@aws-sdk/client-ecr';
import { parseArn } from '../../common/arn.js';
import { AwsError } from '../../common/errors.js';
import { paginate } from '../../common/pagination.js';
import { recordKey } from '../../common/records.js';
import type { Op } from '../../store/types.js';
import type { RequestContext } from '../context.js';
import {
  checkName, checkRegistryId, lifecycleIndexKey, mustGetRepo, refKey, repos, repositoryArn, repositoryNotFound, type RepositoryRecord, valid } from './model.js';
import { ecrRuntime, registryHost } from './runtime.js';
import { signToken, TOKEN_HOURS } from './tokens.js';

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

export function repositoryView(ctx: RequestContext, r: RepositoryRecord): Repository {
  return {
    repositoryArn: repositoryArn(ctx, r.repositoryName), registryId: ctx.account, repositoryName: r.repositoryName,
    repositoryUri: `${registryHost(ctx.app)}/${r.repositoryName}`, createdAt: new Date(r.createdAt),
    imageTagMutability: r.imageTagMutability,
    ...(r.mutabilityExclusions.length ? { imageTagMutabilityExclusionFilters: r.mutabilityExclusions.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) } : {}),
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: { encryptionType: r.encryptionType, ...(r.kmsKey ? { kmsKey: r.kmsKey } : {}) },
  };
}

type Tag = { Key?: string; Value?: string };
function checkTags(tags: Tag[] | undefined): { Key: string; Value: string }[] {
  const out = (tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
  for (const t of out) {
    if (t.Key.length < 1 || t.Key.length > 128) throw invalid(`Invalid parameter at 'tags' failed to satisfy constraint: 'Tag key '${t.Key}' must be 1 to 128 characters'`);
    if (t.Key.startsWith('aws:')) throw invalid(`Invalid parameter at 'tags' failed to satisfy constraint: 'Tag key '${t.Key}' cannot start with the reserved prefix aws:'`);
    if (t.Value.length > 256) throw invalid(`Invalid parameter at 'tags' failed to satisfy constraint: 'Tag value for '${t.Key}' must be at most 256 characters'`);
  }
  return out;
}

function mutability(value: string | undefined, filters: { filterType?: string; filter?: string }[] | undefined) {
  const mode = (value ?? 'MUTABLE') as RepositoryRecord['imageTagMutability'];
  const exclusions = (filters ?? []).map((f) => f.filter ?? '');
  const withExclusions = mode.endsWith('_WITH_EXCLUSION');
  if (withExclusions && exclusions.length === 0) throw invalid(`imageTagMutabilityExclusionFilters are required with imageTagMutability ${mode}`);
  if (!withExclusions && exclusions.length) throw invalid(`imageTagMutabilityExclusionFilters are only allowed with imageTagMutability IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION`);
  for (const f of exclusions) if (!/^[0-9a-zA-Z._*-]{1,128}$/.test(f)) throw invalid(`Invalid parameter at 'filter' failed to satisfy constraint: 'must satisfy regular expression '^[0-9a-zA-Z._*-]{1,128}''`);
  return { imageTagMutability: mode, mutabilityExclusions: exclusions };
}

export async function createRepository(given: CreateRepositoryRequest, ctx: RequestContext): Promise<CreateRepositoryResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  checkName(input.repositoryName);
  const encryptionType = input.encryptionConfiguration?.encryptionType ?? 'AES256';
  if (encryptionType === 'AES256' && input.encryptionConfiguration?.kmsKey) throw invalid('kmsKey can only be given with encryptionType KMS or KMS_DSSE');
  const record: RepositoryRecord = {
    repositoryName: input.repositoryName, createdAt: ctx.app.clock.now().toISOString(),
    ...mutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters),
    scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
    encryptionType, kmsKey: encryptionType === 'AES256' ? undefined
      : input.encryptionConfiguration?.kmsKey ?? `arn:aws:kms:${ctx.region}:${ctx.account}:alias/aws/ecr`,
    tags: checkTags(input.tags),
  };
  if (!await repos(ctx.app.store).create(ctx, input.repositoryName, record)) {
    throw new AwsError('RepositoryAlreadyExistsException', `The repository with name '${input.repositoryName}' already exists in the registry with id '${ctx.account}'`);
  }
  return { repository: repositoryView(ctx, record) };
}

export async function describeRepositories(given: DescribeRepositoriesRequest, ctx: RequestContext): Promise<DescribeRepositoriesResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  if (input.repositoryNames?.length) {
    if (input.maxResults !== undefined || input.nextToken !== undefined) throw invalid('Cannot specify maxResults or nextToken together with repositoryNames');
    const out: Repository[] = [];
    for (const name of input.repositoryNames) {
      const r = await repos(store).get(ctx, name);
      if (!r) throw repositoryNotFound(ctx, name);
      out.push(repositoryView(ctx, r));
    }
    return { repositories: out };
  }
  const all = await repos(store).listVersioned(ctx);
  const { page, nextToken } = paginate(all, (r) => r.key, input.maxResults, input.nextToken, { limit: 1000 });
  return { repositories: page.map((r) => repositoryView(ctx, r.value)), nextToken };
}

export async function deleteRepository(given: DeleteRepositoryRequest, ctx: RequestContext): Promise<DeleteRepositoryResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  const repo = await mustGetRepo(store, ctx, input.repositoryName);
  const name = input.repositoryName;
  const imagesPrefix = recordKey('ecr', ctx, 'image', `${name}@`);
  if (!input.force && (await store.list(imagesPrefix, { limit: 1 })).length) {
    throw new AwsError('RepositoryNotEmptyException', `The repository with name '${name}' in registry with id '${ctx.account}' cannot be deleted because it still contains images`);
  }
  // The record goes first (the name is free again at once); then what it contained, in batches.
  if (!await store.delete(repos(store).key(ctx, name), repo.revision)) throw repositoryNotFound(ctx, name);
  await store.delete(lifecycleIndexKey(ctx, name));
  await purgeRepository(ctx, name);
  return { repository: repositoryView(ctx, repo.value) };
}

/** Deletes everything a deleted repository held: images (and the references GC follows), tags,
 *  blob links, in batches. Blobs and open uploads go at the next GC. */
async function purgeRepository(ctx: RequestContext, name: string): Promise<void> {
  const store = ctx.app.store;
  for (const kind of ['image', 'tag', 'blob']) {
    const prefix = recordKey('ecr', ctx, kind, `${name}@`);
    let after: string | undefined;
    for (;;) {
      const batch = await store.list(prefix, { limit: 200, startAfter: after });
      if (!batch.length) break;
      after = batch[batch.length - 1].key;
      const ops: Op[] = [];
      for (const kv of batch) {
        ops.push({ type: 'delete', key: kv.key });
        if (kind === 'image') {
          const image = JSON.parse(kv.value) as { digest: string; blobs: string[] };
          for (const blob of image.blobs) ops.push({ type: 'delete', key: refKey(blob, ctx, name, image.digest) });
        }
      }
      if (ops.length) await store.txn([], ops);
    }
  }
}

async function updateRepo(ctx: RequestContext, name: string, registryId: string | undefined, change: (r: RepositoryRecord) => RepositoryRecord) {
  checkRegistryId(ctx, registryId);
  for (let attempt = 0; attempt < 10; attempt++) {
    const repo = await mustGetRepo(ctx.app.store, ctx, name);
    const next = change(repo.value);
    if (await repos(ctx.app.store).put(ctx, name, next, repo.revision)) return next;
  }
  throw new AwsError('ServerException', `too many concurrent changes to repository '${name}'`, 500);
}

export async function putImageTagMutability(given: PutImageTagMutabilityRequest, ctx: RequestContext): Promise<PutImageTagMutabilityResponse> {
  const input = valid(given);
  const m = mutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
  const r = await updateRepo(ctx, input.repositoryName, input.registryId, (repo) => ({ ...repo, ...m }));
  return { registryId: ctx.account, repositoryName: r.repositoryName, imageTagMutability: r.imageTagMutability,
    ...(r.mutabilityExclusions.length ? { imageTagMutabilityExclusionFilters: r.mutabilityExclusions.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) } : {}) };
}

export async function putImageScanningConfiguration(given: PutImageScanningConfigurationRequest, ctx: RequestContext): Promise<PutImageScanningConfigurationResponse> {
  const input = valid(given);
  const scanOnPush = input.imageScanningConfiguration.scanOnPush ?? false;
  const r = await updateRepo(ctx, input.repositoryName, input.registryId, (repo) => ({ ...repo, scanOnPush }));
  return { registryId: ctx.account, repositoryName: r.repositoryName, imageScanningConfiguration: { scanOnPush } };
}

function checkPolicy(text: string): void {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { throw invalid(`Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'`); }
  const statements = (doc as { Statement?: unknown } | null)?.Statement;
  if (typeof doc !== 'object' || doc === null || statements === undefined) {
    throw invalid(`Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'`);
  }
}

export async function setRepositoryPolicy(given: SetRepositoryPolicyRequest, ctx: RequestContext): Promise<SetRepositoryPolicyResponse> {
  const input = valid(given);
  checkPolicy(input.policyText);
  await updateRepo(ctx, input.repositoryName, input.registryId, (repo) => ({ ...repo, policyText: input.policyText }));
  return { registryId: ctx.account, repositoryName: input.repositoryName, policyText: input.policyText };
}

const policyNotFound = (ctx: RequestContext, name: string) => new AwsError('RepositoryPolicyNotFoundException',
  `Repository policy does not exist for the repository with name '${name}' in the registry with id '${ctx.account}'`);

export async function getRepositoryPolicy(given: GetRepositoryPolicyRequest, ctx: RequestContext): Promise<GetRepositoryPolicyResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const repo = await mustGetRepo(ctx.app.store, ctx, input.repositoryName);
  if (repo.value.policyText === undefined) throw policyNotFound(ctx, input.repositoryName);
  return { registryId: ctx.account, repositoryName: input.repositoryName, policyText: repo.value.policyText };
}

export async function deleteRepositoryPolicy(given: DeleteRepositoryPolicyRequest, ctx: RequestContext): Promise<DeleteRepositoryPolicyResponse> {
  const input = valid(given);
  const before = await mustGetRepo(ctx.app.store, ctx, input.repositoryName);
  if (before.value.policyText === undefined) throw policyNotFound(ctx, input.repositoryName);
  await updateRepo(ctx, input.repositoryName, input.registryId, (repo) => ({ ...repo, policyText: undefined }));
  return { registryId: ctx.account, repositoryName: input.repositoryName, policyText: before.value.policyText };
}

/** The repository an ECR ARN names in the caller's scope. */
function repoOfArn(ctx: RequestContext, resourceArn: string): string {
  const a = parseArn(resourceArn);
  if (!a || a.service !== 'ecr' || !a.resource.startsWith('repository/')) throw invalid(`Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN ${resourceArn}'`);
  const name = a.resource.slice('repository/'.length);
  if (a.account !== ctx.account || a.region !== ctx.region) throw repositoryNotFound({ account: a.account, region: a.region }, name);
  return name;
}

export async function tagResource(given: TagResourceRequest, ctx: RequestContext): Promise<TagResourceResponse> {
  const input = valid(given);
  const name = repoOfArn(ctx, input.resourceArn);
  const newTags = checkTags(input.tags);
  await updateRepo(ctx, name, undefined, (repo) => {
    const tags = [...repo.tags.filter((t) => !newTags.some((g) => g.Key === t.Key)), ...newTags];
    if (tags.length > 50) throw invalid('A repository can have at most 50 tags');
    return { ...repo, tags };
  });
  return {};
}

export async function untagResource(given: UntagResourceRequest, ctx: RequestContext): Promise<UntagResourceResponse> {
  const input = valid(given);
  const name = repoOfArn(ctx, input.resourceArn);
  await updateRepo(ctx, name, undefined, (repo) => ({ ...repo, tags: repo.tags.filter((t) => !input.tagKeys.includes(t.Key)) }));
  return {};
}

export async function listTagsForResource(given: ListTagsForResourceRequest, ctx: RequestContext): Promise<ListTagsForResourceResponse> {
  const input = valid(given);
  const name = repoOfArn(ctx, input.resourceArn);
  return { tags: (await mustGetRepo(ctx.app.store, ctx, name)).value.tags };
}

export async function getAuthorizationToken(given: GetAuthorizationTokenRequest, ctx: RequestContext): Promise<GetAuthorizationTokenResponse> {
  const input = valid(given);
  for (const id of input.registryIds ?? []) checkRegistryId(ctx, id);
  const expiresAt = new Date(ctx.app.clock.now().getTime() + TOKEN_HOURS * 3600_000);
  const token = signToken(ecrRuntime(ctx.app).secret, { account: ctx.account, region: ctx.region, principalArn: ctx.principalArn, accessKeyId: ctx.accessKeyId }, expiresAt);
  return { authorizationData: [{
    authorizationToken: Buffer.from(`AWS:${token}`).toString('base64'), expiresAt, proxyEndpoint: `http://${registryHost(ctx.app)}`,
  }] };
}
