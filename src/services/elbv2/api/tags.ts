// Tags on load balancers, target groups, listeners and rules (kept in each record).
import type {
  AddTagsInput, AddTagsOutput, DescribeTagsInput, DescribeTagsOutput, RemoveTagsInput, RemoveTagsOutput, Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Records } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import {
  checkTags, lbIdOf, lbNotFound, listenerKeyOf, listenerNotFound, ruleKeyOf, ruleNotFound, storeOf, tgIdOf, tgNotFound, tooManyTags, validationError,
} from '../model.js';

interface Tagged { Tags: Tag[] }

function locate(ctx: RequestContext, arnValue: string): { records: Records<Tagged>; id: string; missing: () => Error } {
  const s = storeOf(ctx.app);
  const lb = lbIdOf(arnValue);
  if (lb) return { records: s.lbs as unknown as Records<Tagged>, id: lb, missing: () => lbNotFound(`Load balancer '${arnValue}' not found`) };
  const tg = tgIdOf(arnValue);
  if (tg) return { records: s.tgs as unknown as Records<Tagged>, id: tg, missing: () => tgNotFound(`Target group '${arnValue}' not found`) };
  const l = listenerKeyOf(arnValue);
  if (l) return { records: s.listeners as unknown as Records<Tagged>, id: l, missing: () => listenerNotFound(`Listener '${arnValue}' not found`) };
  const r = ruleKeyOf(arnValue);
  if (r) return { records: s.rules as unknown as Records<Tagged>, id: r, missing: () => ruleNotFound(`Rule '${arnValue}' not found`) };
  throw validationError(`'${arnValue}' is not a valid resource ARN`);
}

async function load(ctx: RequestContext, arnValue: string) {
  const where = locate(ctx, arnValue);
  const found = await where.records.getVersioned(ctx, where.id);
  if (!found) throw where.missing();
  return { ...where, found };
}

export async function addTags(input: AddTagsInput, ctx: RequestContext): Promise<AddTagsOutput> {
  const tags = checkTags(input.Tags);
  if (!tags.length) throw validationError('At least one tag must be specified');
  const loaded = await Promise.all((input.ResourceArns ?? []).map((a) => load(ctx, a)));
  for (const { records, id, found } of loaded) {
    const merged = new Map(found.value.Tags.map((t) => [t.Key!, t.Value ?? '']));
    for (const t of tags) merged.set(t.Key!, t.Value ?? '');
    if (merged.size > 50) throw tooManyTags('The quota for the number of tags per resource has been reached (50)');
    await records.put(ctx, id, { ...found.value, Tags: [...merged].map(([Key, Value]) => ({ Key, Value })) }, found.revision);
  }
  return {};
}

export async function removeTags(input: RemoveTagsInput, ctx: RequestContext): Promise<RemoveTagsOutput> {
  const keys = new Set(input.TagKeys ?? []);
  const loaded = await Promise.all((input.ResourceArns ?? []).map((a) => load(ctx, a)));
  for (const { records, id, found } of loaded) {
    await records.put(ctx, id, { ...found.value, Tags: found.value.Tags.filter((t) => !keys.has(t.Key!)) }, found.revision);
  }
  return {};
}

export async function describeTags(input: DescribeTagsInput, ctx: RequestContext): Promise<DescribeTagsOutput> {
  if ((input.ResourceArns ?? []).length > 20) throw validationError('At most 20 resource ARNs can be described at once');
  const loaded = await Promise.all((input.ResourceArns ?? []).map(async (a) => ({ a, l: await load(ctx, a) })));
  return { TagDescriptions: loaded.map(({ a, l }) => ({ ResourceArn: a, Tags: l.found.value.Tags })) };
}
