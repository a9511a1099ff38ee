// SigV4 signing (AWS General Reference, "Signature Version 4") for what the agent sends many times:
// state reports (report-client.ts) and telemetry frames (tcs-client.ts). The same headers the SDK's
// signer produces (host, x-amz-date, x-amz-content-sha256, x-amz-security-token with a session,
// plus the request's own), computed with node:crypto: the signing key is derived once a day per
// secret and region (and shared by every agent of a process, e.g. a simulated fleet), a request
// costs two SHA-256 and one HMAC. The canonical pieces and the key cache are protocol/sigv4.ts, the
// same the gateway verifies with.
import { createHash, createHmac } from 'node:crypto';
import { canonicalPath, canonicalQuery, signingKey, toAmzDate } from '../protocol/sigv4.js';
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
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');

/** The request's headers with the x-amz-* ones and authorization added (lower-case names). */
export function sign(req: SignableRequest, credentials: Credentials, region: string, now = new Date()): Record<string, string> {
  const amzDate = toAmzDate(now);
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(req.body);
  const headers: Record<string, string> = { ...req.headers, host: req.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const query = canonicalQuery(req.query ?? new URLSearchParams(), false);
  const canonical = [req.method, canonicalPath(req.path), query, ...names.map((n) => `${n}:${headers[n].trim()}`), '', names.join(';'), payloadHash].join('\n');
  const scope = `${date}/${region}/${SERVICE}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, date, region, SERVICE)).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}
