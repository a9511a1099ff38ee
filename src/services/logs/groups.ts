// Log groups: create/delete/describe, retention, KMS key, tags.
import type {
  CreateLogGroupRequest, DeleteLogGroupRequest, DeleteRetentionPolicyRequest, DescribeLogGroupsRequest, DescribeLogGroupsResponse,
  ListTagsForResourceRequest, ListTagsForResourceResponse, ListTagsLogGroupRequest, ListTagsLogGroupResponse, LogGroup,
  PutRetentionPolicyRequest, TagLogGroupRequest, TagResourceRequest, UntagLogGroupRequest, UntagResourceRequest,
  AssociateKmsKeyRequest, DisassociateKmsKeyRequest,
} from '@aws-sdk/client-cloudwatch-logs';
import { AwsError } from '../../common/errors.js';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import { recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';
import type { RequestContext } from '../context.js';
import {
  groupArn, groupNameOf, groups, invalid, metricFilters, notFound, requireGroup, RETENTION_DAYS, type LogGroupRecord,
} from './model.js';

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

export function checkGroupName(name: string) {
  if (!GROUP_NAME.test(name)) {
    throw invalid(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
  }
}

function checkTags(tags: Record<string, string> | undefined) {
  for (const [k, v] of Object.entries(tags ?? {})) {
    if (k.length < 1 || k.length > 128 || k.startsWith('aws:')) throw invalid(`Invalid tag key '${k}'`);
    if (v.length > 256) throw invalid(`Invalid tag value for key '${k}'`);
  }
}

export async function createLogGroup(input: CreateLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const name = input.logGroupName!;
  checkGroupName(name);
  checkTags(input.tags);
  const record: LogGroupRecord = {
    logGroupName: name, arn: groupArn(ctx, name), creationTime: ctx.app.clock.now().getTime(),
    kmsKeyId: input.kmsKeyId, logGroupClass: input.logGroupClass ?? 'STANDARD', tags: { ...input.tags },
  };
  if (!await groups(ctx.app.store).create(ctx, name, record)) {
    throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
  }
  return {};
}

/** Deletes every key under a prefix, in bounded batches. */
export async function deletePrefix(store: Store, prefix: string) {
  for (;;) {
    const kvs = await store.list(prefix, { limit: 500 });
    if (!kvs.length) return;
    await store.txn([], kvs.map((kv) => ({ type: 'delete' as const, key: kv.key })));
  }
}

export async function deleteLogGroup(input: DeleteLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const name = input.logGroupName!;
  const g = await requireGroup(ctx.app.store, ctx, name);
  if (!await groups(ctx.app.store).delete(ctx, name, g.revision)) throw notFound('log group');
  await deletePrefix(ctx.app.store, recordKey('logs', ctx, 'event', `${name}:`));
  await deletePrefix(ctx.app.store, recordKey('logs', ctx, 'stream', `${name}:`));
  await deletePrefix(ctx.app.store, recordKey('logs', ctx, 'mfilter', `${name}:`));
  return {};
}

async function metricFilterCount(store: Store, scope: Scope, name: string) {
  return store.count(metricFilters(store).prefix(scope, `${name}:`));
}

export async function describeLogGroups(input: DescribeLogGroupsRequest, ctx: RequestContext): Promise<DescribeLogGroupsResponse> {
  const limit = input.limit ?? 50;
  if (limit < 1 || limit > 50) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`);
  if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
    throw invalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  }
  const store = ctx.app.store;
  const records = groups(store);
  const prefix = records.prefix(ctx, input.logGroupNamePrefix ?? '');
  const after = decodeToken(input.nextToken, 'InvalidParameterException');
  const pattern = input.logGroupNamePattern?.toLowerCase();
  const found: LogGroupRecord[] = [];
  let cursor = after;
  let more = false;
  // Pattern matching reads pages until the page is full (bounded by the page size per read).
  while (found.length < limit) {
    const page = await store.range(prefix, { limit: limit + 1, startAfter: cursor });
    for (const kv of page.kvs) {
      const g = JSON.parse(kv.value) as LogGroupRecord;
      if (found.length === limit) { more = true; break; }
      cursor = kv.key;
      if (!pattern || g.logGroupName.toLowerCase().includes(pattern)) found.push(g);
    }
    if (!page.more || more) break;
  }
  const logGroups: LogGroup[] = [];
  for (const g of found) logGroups.push(await view(store, ctx, g));
  return { logGroups, nextToken: more && cursor ? encodeToken(cursor) : undefined };
}

async function view(store: Store, scope: Scope, g: LogGroupRecord): Promise<LogGroup> {
  return {
    logGroupName: g.logGroupName, creationTime: g.creationTime, retentionInDays: g.retentionInDays,
    metricFilterCount: await metricFilterCount(store, scope, g.logGroupName), arn: `${g.arn}:*`, logGroupArn: g.arn,
    storedBytes: 0, kmsKeyId: g.kmsKeyId, logGroupClass: g.logGroupClass,
  };
}

async function updateGroup(ctx: RequestContext, name: string, change: (g: LogGroupRecord) => void) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const g = await requireGroup(ctx.app.store, ctx, name);
    change(g.value);
    if (await groups(ctx.app.store).put(ctx, name, g.value, g.revision)) return;
  }
  throw new AwsError('OperationAbortedException', 'Multiple concurrent requests to update the same resource were in conflict.');
}

export async function putRetentionPolicy(input: PutRetentionPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const days = input.retentionInDays!;
  if (!RETENTION_DAYS.includes(days)) {
    throw invalid(`1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
  await updateGroup(ctx, input.logGroupName!, (g) => { g.retentionInDays = days; });
  return {};
}

export async function deleteRetentionPolicy(input: DeleteRetentionPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> {
  await updateGroup(ctx, input.logGroupName!, (g) => { delete g.retentionInDays; });
  return {};
}

export async function associateKmsKey(input: AssociateKmsKeyRequest, ctx: RequestContext): Promise<Record<string, never>> {
  await updateGroup(ctx, groupNameOf(input), (g) => { g.kmsKeyId = input.kmsKeyId; });
  return {};
}

export async function disassociateKmsKey(input: DisassociateKmsKeyRequest, ctx: RequestContext): Promise<Record<string, never>> {
  await updateGroup(ctx, groupNameOf(input), (g) => { delete g.kmsKeyId; });
  return {};
}

/** The group an ARN names (tags APIs take ARNs). */
function groupOfArn(arn: string) {
  const m = /^arn:aws[^:]*:logs:[^:]*:\d{12}:log-group:([^:]+)(?::\*)?$/.exec(arn);
  if (!m) throw notFound('resource');
  return m[1];
}

export async function tagResource(input: TagResourceRequest, ctx: RequestContext): Promise<Record<string, never>> {
  checkTags(input.tags);
  await updateGroup(ctx, groupOfArn(input.resourceArn!), (g) => { Object.assign(g.tags, input.tags); });
  return {};
}

export async function untagResource(input: UntagResourceRequest, ctx: RequestContext): Promise<Record<string, never>> {
  await updateGroup(ctx, groupOfArn(input.resourceArn!), (g) => { for (const k of input.tagKeys ?? []) delete g.tags[k]; });
  return {};
}

export async function listTagsForResource(input: ListTagsForResourceRequest, ctx: RequestContext): Promise<ListTagsForResourceResponse> {
  const g = await requireGroup(ctx.app.store, ctx, groupOfArn(input.resourceArn!));
  return { tags: g.value.tags };
}

export async function tagLogGroup(input: TagLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> {
  checkTags(input.tags);
  await updateGroup(ctx, input.logGroupName!, (g) => { Object.assign(g.tags, input.tags); });
  return {};
}

export async function untagLogGroup(input: UntagLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> {
  await updateGroup(ctx, input.logGroupName!, (g) => { for (const k of input.tags ?? []) delete g.tags[k]; });
  return {};
}

export async function listTagsLogGroup(input: ListTagsLogGroupRequest, ctx: RequestContext): Promise<ListTagsLogGroupResponse> {
  const g = await requireGroup(ctx.app.store, ctx, input.logGroupName!);
  return { tags: g.value.tags };
}
