// nextToken handling shared by every List* operation: the token is the last key returned, opaque
// to clients (base64url), and a token that does not decode is an error in the service's words.
import { AwsError } from './errors.js';
import type { KeyValue, Store } from '../store/types.js';

export const encodeToken = (lastKey: string) => Buffer.from(lastKey, 'utf8').toString('base64url');

export function decodeToken(token: string | undefined, errorCode = 'InvalidParameterException'): string | undefined {
  if (token === undefined || token === '') return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key.startsWith('/') || encodeToken(key) !== token) throw new AwsError(errorCode, `Invalid nextToken: ${token}`);
  return key;
}

export interface PageOptions {
  /** The largest maxResults allowed (and the default page size). */
  limit?: number;
  errorCode?: string;
  /** For items not in ascending key order (e.g. sort=DESC): the index of the first item after the
   *  one whose key the token holds (-1: none), or undefined for a key that cannot be in this list. */
  resume?: (key: string) => number | undefined;
}

/** Applies maxResults/nextToken to items already sorted by `key` (or in the order `resume` knows). */
export function paginate<T>(items: T[], keyOf: (item: T) => string, maxResults: number | undefined, nextToken: string | undefined,
  { limit = 100, errorCode = 'InvalidParameterException', resume }: PageOptions = {}) {
  if (maxResults !== undefined && (maxResults < 1 || maxResults > limit)) {
    throw new AwsError(errorCode, `maxResults must be between 1 and ${limit}, but was ${maxResults}`);
  }
  const after = decodeToken(nextToken, errorCode);
  const start = after === undefined ? 0 : resume ? resume(after) : items.findIndex((i) => keyOf(i) > after);
  if (start === undefined) throw new AwsError(errorCode, `Invalid nextToken: ${nextToken}`);
  const from = start < 0 ? items.length : start;
  const page = items.slice(from, from + (maxResults ?? limit));
  const more = from + page.length < items.length;
  return { page, nextToken: more && page.length ? encodeToken(keyOf(page[page.length - 1])) : undefined };
}

/**
 * One page of the records under `prefix` that pass `keep`, read from the store a page of keys at
 * a time from after the token (the limit pushed down: reading stops once the page is full and one
 * more match shows a next page exists). The token is the last key returned, as with paginate.
 */
export async function scanPage<T>(store: Store, prefix: string, decode: (kv: KeyValue) => T,
  keep: (item: T, kv: KeyValue) => boolean | Promise<boolean>, maxResults: number | undefined, nextToken: string | undefined,
  { limit = 100, errorCode = 'InvalidParameterException' }: Omit<PageOptions, 'resume'> = {}): Promise<{ page: { kv: KeyValue; item: T }[]; nextToken?: string }> {
  if (maxResults !== undefined && (maxResults < 1 || maxResults > limit)) {
    throw new AwsError(errorCode, `maxResults must be between 1 and ${limit}, but was ${maxResults}`);
  }
  const want = maxResults ?? limit;
  let after = decodeToken(nextToken, errorCode);
  if (after !== undefined && !after.startsWith(prefix)) throw new AwsError(errorCode, `Invalid nextToken: ${nextToken}`);
  const page: { kv: KeyValue; item: T }[] = [];
  for (let batch = want + 1; ;batch = Math.min(1000, batch * 2)) {
    const { kvs, more } = await store.range(prefix, { limit: batch, startAfter: after });
    for (const kv of kvs) {
      const item = decode(kv);
      if (!(await keep(item, kv))) continue;
      if (page.length === want) return { page, nextToken: encodeToken(page[page.length - 1].kv.key) };
      page.push({ kv, item });
    }
    if (!more || kvs.length === 0) return { page };
    after = kvs[kvs.length - 1].key;
  }
}
