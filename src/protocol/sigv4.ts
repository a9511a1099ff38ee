// SigV4 (AWS General Reference, "Signature Version 4"): the pieces both sides compute the same way,
// the server verifying a request (gateway/sigv4.ts) and an agent signing one (agent/sigv4-signer.ts).
import { createHmac } from 'node:crypto';

export const toAmzDate = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** RFC 3986 percent-encoding of everything but unreserved characters. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try { return decodeURIComponent(value); } catch { return value; }
}

/** The canonical URI: dot segments and empty segments removed, each segment encoded once. */
export function canonicalPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(uriEncode(safeDecode(segment)));
  }
  const joined = `/${out.join('/')}`;
  return path.endsWith('/') && out.length ? `${joined}/` : joined;
}

export function canonicalQuery(query: URLSearchParams, presigned: boolean): string {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of query) if (!(presigned && k === 'X-Amz-Signature')) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

// The signing key depends on (secret, date, region, service) only: derived once per day and scope,
// it turns four HMACs per request into one.
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_MAX = 4096;

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${date}\0${region}\0${service}\0${secret}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const hmac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}
