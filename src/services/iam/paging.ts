// IAM's list paging: Marker (the last name returned) and MaxItems (default 100, 1..1000), with an
// optional PathPrefix. A page reads at most MaxItems + 1 keys when no PathPrefix filters them.
import { AwsError } from '../../common/errors.js';
import type { RequestContext } from '../context.js';
import { keyOf, type Kind } from './model.js';

export interface PageInput { PathPrefix?: string; Marker?: string; MaxItems?: number }

export async function page<T>(ctx: RequestContext, kind: Kind, input: PageInput, pathOf: (item: T) => string) {
  const max = input.MaxItems ?? 100;
  if (max < 1 || max > 1000) throw new AwsError('ValidationError', `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`);
  const prefix = keyOf(ctx.account, kind);
  const items: T[] = [];
  let startAfter = input.Marker ? `${prefix}${input.Marker}` : undefined;
  let more = false;
  for (;;) {
    const kvs = await ctx.app.store.list(prefix, { limit: max + 1, startAfter });
    for (const kv of kvs) {
      const item = JSON.parse(kv.value) as T;
      if (input.PathPrefix && !pathOf(item).startsWith(input.PathPrefix)) continue;
      if (items.length === max) { more = true; break; }
      items.push(item);
    }
    if (more || kvs.length <= max) break;
    startAfter = kvs[kvs.length - 1].key;
  }
  const last = items.at(-1) as Record<string, unknown> | undefined;
  const name = last && String(Object.entries(last).find(([k]) => k.endsWith('Name'))?.[1] ?? '');
  return { items, IsTruncated: more, Marker: more ? name : undefined };
}
