// SigV4 signing (AWS General Reference, "Signature Version 4") for what the agent sends many times:
// state reports (report-client.ts) and telemetry frames (tcs-client.ts). The same headers the SDK's
// signer produces (host, x-amz-date, x-amz-content-sha256, x-amz-security-token with a session,
// plus the request's own), computed with node:crypto: the signing key is derived once a day per
// secret and region (and shared by every agent of a process, e.g. a simulated fleet), a request
// costs two SHA-256 and one HMAC.
import { createHash, createHmac } from 'node:crypto';
import type { Credentials } from './acs-client.js';

export interface SignableRequest {
  method: string;
  /** Host header value (host[:port]). */
  host: string;
  path: string;
  query?: URLSearchParams;
  /** Headers to sign besides host and the x-amz-* ones (lower-case names). */
  headers?: Record<string, string>;
  body: string;
}

const SERVICE = 'ecs';
const keys = new Map<string, Buffer>();
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
/** RFC 3986 encoding, as SigV4 wants it. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The signing key of a secret for a day (YYYYMMDD), region and service: derived once. */
export function signingKey(secret: string, date: string, region: string, service = SERVICE): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  let key = keys.get(id);
  if (!key) {
    if (keys.size > 64) keys.clear(); // earlier days' keys
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    keys.set(id, key);
  }
  return key;
}

/** The request's headers with the x-amz-* ones and authorization added (lower-case names). */
export function sign(req: SignableRequest, credentials: Credentials, region: string, now = new Date()): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(req.body);
  const headers: Record<string, string> = { ...req.headers, host: req.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const query = [...(req.query ?? new URLSearchParams())].map(([k, v]) => `${encode(k)}=${encode(v)}`).sort().join('&');
  const path = req.path.split('/').map((s) => encode(decodeURIComponent(s))).join('/');
  const canonical = [req.method, path, query, ...names.map((n) => `${n}:${headers[n].trim()}`), '', names.join(';'), payloadHash].join('\n');
  const scope = `${date}/${region}/${SERVICE}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, date, region)).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}
