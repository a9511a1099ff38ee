// ECS tagging: TagResource (adds, or replaces the value of an existing key), UntagResource and
// ListTagsForResource on every taggable ECS resource; tags live on the record's `tags` member.
import type {
  ListTagsForResourceRequest, ListTagsForResourceResponse, Tag, TagResourceRequest, TagResourceResponse, UntagResourceRequest,
  UntagResourceResponse,
} from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { checkTags, invalidParameter, TAG_CHARS } from '../model/common.js';
import { resolveTarget, type TagTarget } from '../model/tags-resolve.js';

const MAX_TAGS = 50;
const reserved = (key: string) => key.toLowerCase().startsWith('aws:');

export async function tagResource(input: TagResourceRequest, ctx: RequestContext): Promise<TagResourceResponse> {
  checkTags(input.tags);
  await change(ctx, input.resourceArn ?? '', (tags) => {
    const next = [...tags];
    for (const t of input.tags ?? []) {
      const i = next.findIndex((o) => o.key === t.key);
      const tag: Tag = { key: t.key, value: t.value ?? '' };
      if (i >= 0) next[i] = tag; else next.push(tag);
    }
    // Tags with the aws: prefix do not count against the limit.
    const counted = next.filter((t) => !reserved(t.key ?? '')).length;
    if (counted > MAX_TAGS) {
      throw invalidParameter(`Too many tags: the resource would have ${counted} tags, but a resource can have at most ${MAX_TAGS}.`);
    }
    return next;
  });
  return {};
}

export async function untagResource(input: UntagResourceRequest, ctx: RequestContext): Promise<UntagResourceResponse> {
  const keys = input.tagKeys ?? [];
  for (const key of keys) {
    if (key.length < 1 || key.length > 128) throw invalidParameter(`Tag key must be 1 to 128 characters long: '${key}'`);
    if (!TAG_CHARS.test(key)) throw invalidParameter(`Tag key contains characters that are not allowed: '${key}'`);
    if (reserved(key)) throw invalidParameter(`Tag keys beginning with 'aws:' are reserved and cannot be removed: '${key}'`);
  }
  await change(ctx, input.resourceArn ?? '', (tags) => tags.filter((t) => !keys.includes(t.key ?? '')));
  return {};
}

export async function listTagsForResource(input: ListTagsForResourceRequest, ctx: RequestContext): Promise<ListTagsForResourceResponse> {
  const target: TagTarget = await resolveTarget(ctx, input.resourceArn ?? '');
  const record = await target.records.get(ctx, target.id);
  target.check(record);
  return { tags: record.tags ?? [] };
}

/** Read-modify-write of a record's tags with compare-and-swap. */
async function change(ctx: RequestContext, resourceArn: string, edit: (tags: Tag[]) => Tag[]) {
  const target: TagTarget = await resolveTarget(ctx, resourceArn);
  for (;;) {
    const current = await target.records.getVersioned(ctx, target.id);
    target.check(current?.value);
    const next = { ...current!.value, tags: edit(current!.value.tags ?? []) };
    if (await target.records.put(ctx, target.id, next, current!.revision)) return;
  }
}
