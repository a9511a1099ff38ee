// Lifecycle policies: the API (put/get/delete, preview) and their application, which the
// LifecycleWorker runs on a schedule over the repositories that have a policy (an index key per
// policy, so a pass reads only those).
import type {
  DeleteLifecyclePolicyRequest, DeleteLifecyclePolicyResponse, GetLifecyclePolicyPreviewRequest,
  GetLifecyclePolicyPreviewResponse, GetLifecyclePolicyRequest, GetLifecyclePolicyResponse, LifecyclePolicyPreviewResult,
  PutLifecyclePolicyRequest, PutLifecyclePolicyResponse, StartLifecyclePolicyPreviewRequest, StartLifecyclePolicyPreviewResponse,
} from '@aws-sdk/client-ecr';
import { AwsError } from '../../common/errors.js';
import { paginate } from '../../common/pagination.js';
import { recordKey, type Scope } from '../../common/records.js';
import type { AppContext, RequestContext } from '../context.js';
import { deleteImage, imagesOf } from './image-store.js';
import { evaluate, parsePolicy } from './lifecycle-rules.js';
import { checkRegistryId, GLOBAL, lifecycleIndexKey, mustGetRepo, repos, valid } from './model.js';

interface PreviewRecord { policyText: string; results: { digest: string; tags: string[]; pushedAt: string; rulePriority: number }[] }
const previewKey = (scope: Scope, name: string) => recordKey('ecr', scope, 'preview', name);

const notFound = (ctx: RequestContext, name: string) => new AwsError('LifecyclePolicyNotFoundException',
  `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${ctx.account}'`);

export async function putLifecyclePolicy(given: PutLifecyclePolicyRequest, ctx: RequestContext): Promise<PutLifecyclePolicyResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  parsePolicy(input.lifecyclePolicyText);
  const store = ctx.app.store;
  for (let attempt = 0; attempt < 10; attempt++) {
    const repo = await mustGetRepo(store, ctx, input.repositoryName);
    const next = { ...repo.value, lifecyclePolicyText: input.lifecyclePolicyText };
    const ok = await store.txn([{ key: repos(store).key(ctx, input.repositoryName), modRevision: repo.revision }], [
      { type: 'put', key: repos(store).key(ctx, input.repositoryName), value: JSON.stringify(next) },
      { type: 'put', key: lifecycleIndexKey(ctx, input.repositoryName), value: '' },
    ]);
    if (ok.succeeded) return { registryId: ctx.account, repositoryName: input.repositoryName, lifecyclePolicyText: input.lifecyclePolicyText };
  }
  throw new AwsError('ServerException', `too many concurrent changes to repository '${input.repositoryName}'`, 500);
}

export async function getLifecyclePolicy(given: GetLifecyclePolicyRequest, ctx: RequestContext): Promise<GetLifecyclePolicyResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const repo = (await mustGetRepo(ctx.app.store, ctx, input.repositoryName)).value;
  if (repo.lifecyclePolicyText === undefined) throw notFound(ctx, input.repositoryName);
  return { registryId: ctx.account, repositoryName: input.repositoryName, lifecyclePolicyText: repo.lifecyclePolicyText,
    lastEvaluatedAt: repo.lifecycleEvaluatedAt ? new Date(repo.lifecycleEvaluatedAt) : undefined };
}

export async function deleteLifecyclePolicy(given: DeleteLifecyclePolicyRequest, ctx: RequestContext): Promise<DeleteLifecyclePolicyResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  for (let attempt = 0; attempt < 10; attempt++) {
    const repo = await mustGetRepo(store, ctx, input.repositoryName);
    if (repo.value.lifecyclePolicyText === undefined) throw notFound(ctx, input.repositoryName);
    const next = { ...repo.value, lifecyclePolicyText: undefined, lifecycleEvaluatedAt: undefined };
    const ok = await store.txn([{ key: repos(store).key(ctx, input.repositoryName), modRevision: repo.revision }], [
      { type: 'put', key: repos(store).key(ctx, input.repositoryName), value: JSON.stringify(next) },
      { type: 'delete', key: lifecycleIndexKey(ctx, input.repositoryName) },
    ]);
    if (ok.succeeded) {
      return { registryId: ctx.account, repositoryName: input.repositoryName, lifecyclePolicyText: repo.value.lifecyclePolicyText,
        lastEvaluatedAt: repo.value.lifecycleEvaluatedAt ? new Date(repo.value.lifecycleEvaluatedAt) : undefined };
    }
  }
  throw new AwsError('ServerException', `too many concurrent changes to repository '${input.repositoryName}'`, 500);
}

export async function startLifecyclePolicyPreview(given: StartLifecyclePolicyPreviewRequest, ctx: RequestContext): Promise<StartLifecyclePolicyPreviewResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  const repo = (await mustGetRepo(store, ctx, input.repositoryName)).value;
  const policyText = input.lifecyclePolicyText ?? repo.lifecyclePolicyText;
  if (policyText === undefined) throw notFound(ctx, input.repositoryName);
  const rules = parsePolicy(policyText);
  // The evaluation is cheap enough to finish before answering; GetLifecyclePolicyPreview reports COMPLETE.
  const all = (await imagesOf(store, ctx, input.repositoryName)).map((v) => v.value);
  const results = evaluate(rules, all, ctx.app.clock.now())
    .map((e) => ({ digest: e.image.digest, tags: e.image.tags, pushedAt: e.image.pushedAt, rulePriority: e.rulePriority }));
  await store.update(previewKey(ctx, input.repositoryName), JSON.stringify({ policyText, results } satisfies PreviewRecord));
  return { registryId: ctx.account, repositoryName: input.repositoryName, lifecyclePolicyText: policyText, status: 'IN_PROGRESS' };
}

export async function getLifecyclePolicyPreview(given: GetLifecyclePolicyPreviewRequest, ctx: RequestContext): Promise<GetLifecyclePolicyPreviewResponse> {
  const input = valid(given);
  checkRegistryId(ctx, input.registryId);
  const store = ctx.app.store;
  await mustGetRepo(store, ctx, input.repositoryName);
  const kv = await store.get(previewKey(ctx, input.repositoryName));
  if (!kv) {
    throw new AwsError('LifecyclePolicyPreviewNotFoundException', `There is no dry run for the repository with name '${input.repositoryName}' in the registry with id '${ctx.account}'`);
  }
  const preview = JSON.parse(kv.value) as PreviewRecord;
  let results = preview.results;
  if (input.imageIds?.length) results = results.filter((r) => input.imageIds!.some((id) => id.imageDigest === r.digest || (id.imageTag !== undefined && r.tags.includes(id.imageTag))));
  if (input.filter?.tagStatus === 'TAGGED') results = results.filter((r) => r.tags.length > 0);
  if (input.filter?.tagStatus === 'UNTAGGED') results = results.filter((r) => r.tags.length === 0);
  const { page, nextToken } = paginate(results.map((r, i) => ({ r, key: `/${String(i).padStart(8, '0')}` })), (x) => x.key,
    input.maxResults, input.nextToken, { limit: 100 });
  const previewResults: LifecyclePolicyPreviewResult[] = page.map(({ r }) => ({
    imageDigest: r.digest, imageTags: r.tags, imagePushedAt: new Date(r.pushedAt), action: { type: 'EXPIRE' }, appliedRulePriority: r.rulePriority,
  }));
  return { registryId: ctx.account, repositoryName: input.repositoryName, lifecyclePolicyText: preview.policyText, status: 'COMPLETE',
    previewResults, nextToken, summary: { expiringImageTotalCount: preview.results.length } };
}

/** Applies one repository's policy now: deletes what it expires; resolves how many images went. */
export async function applyLifecycle(app: AppContext, scope: Scope, name: string): Promise<number> {
  const store = app.store;
  const repo = await repos(store).getVersioned(scope, name);
  if (!repo?.value.lifecyclePolicyText) return 0;
  let rules;
  try { rules = parsePolicy(repo.value.lifecyclePolicyText); } catch { return 0; }
  const now = app.clock.now();
  const all = (await imagesOf(store, scope, name)).map((v) => v.value);
  let expired = 0;
  for (const e of evaluate(rules, all, now)) if (await deleteImage(store, scope, name, e.image.digest)) expired++;
  const latest = await repos(store).getVersioned(scope, name);
  if (latest) await repos(store).put(scope, name, { ...latest.value, lifecycleEvaluatedAt: now.toISOString() }, latest.revision);
  return expired;
}

/** Applies every lifecycle policy: one pass over the policy index, in pages. */
export async function applyAllLifecycles(app: AppContext): Promise<number> {
  const prefix = recordKey('ecr', GLOBAL, 'lifecycle', '');
  let after: string | undefined;
  let expired = 0;
  for (;;) {
    const page = await app.store.list(prefix, { limit: 100, startAfter: after });
    if (!page.length) return expired;
    after = page[page.length - 1].key;
    for (const kv of page) {
      const [account, region, ...rest] = kv.key.slice(prefix.length).split('/');
      expired += await applyLifecycle(app, { account, region }, rest.join('/'));
    }
  }
}
