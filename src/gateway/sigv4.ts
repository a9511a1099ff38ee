// SigV4 verification (strict mode): the signature a client sent, in the Authorization header or in
// a presigned query, recomputed from the request as the server received it. Pure functions over a
// RawRequest; the caller looks up the secret of the access key (auth.ts) and maps failures to the
// wire error of the service's protocol.
//
// Canonical request (AWS General Reference, "Create a canonical request"): method, the URI path
// (segments normalised, each URI-encoded once), the query (every key and value URI-encoded, sorted,
// X-Amz-Signature left out), the signed headers (lower-case names, values trimmed with inner runs
// of spaces collapsed), the signed header list, and the payload hash (x-amz-content-sha256 when
// sent — UNSIGNED-PAYLOAD or the hex digest, which must match the body — else SHA-256 of the body).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalPath, canonicalQuery, signingKey, toAmzDate, uriEncode } from '../protocol/sigv4.js';
import type { RawRequest } from '../protocol/types.js';

export { canonicalPath, canonicalQuery, signingKey, toAmzDate, uriEncode };

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far the request time may be from the server's (both ways). */
export const MAX_SKEW_MS = 5 * 60_000;
/** The longest a presigned URL may live (X-Amz-Expires), seven days. */
export const MAX_EXPIRES_SECONDS = 604_800;

export type SigV4FailureKind = 'missing' | 'incomplete' | 'signature' | 'expired' | 'requestExpired';

/** Why a signature cannot pass; auth.ts turns it into the protocol's AWS error. */
export class SigV4Failure extends Error {
  constructor(readonly kind: SigV4FailureKind, message: string) { super(message); this.name = 'SigV4Failure'; }
}

export interface ParsedSignature {
  presigned: boolean;
  accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** ISO 8601 basic: 20150830T123600Z. */
  amzDate: string;
  /** Presigned: seconds the URL lives. */
  expires?: number;
  sessionToken?: string;
}

const header = (req: RawRequest, name: string) => req.headers[name];

/** The signature a request carries; undefined when it carries none; throws 'incomplete' when it
 *  carries a malformed one. */
export function parseSignature(req: RawRequest): ParsedSignature | undefined {
  const authorization = header(req, 'authorization');
  if (authorization !== undefined) return parseHeader(req, authorization);
  if (req.query.has('X-Amz-Signature') || req.query.has('X-Amz-Credential') || req.query.has('X-Amz-Algorithm')) return parseQuery(req);
  return undefined;
}

function parseHeader(req: RawRequest, authorization: string): ParsedSignature {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new SigV4Failure('incomplete', `Authorization header requires the '${ALGORITHM}' algorithm; got '${algorithm.slice(0, 40)}'.`);
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!fields.get(name)) {
      throw new SigV4Failure('incomplete', `Authorization header requires '${name}' parameter. Authorization header requires 'Credential' parameter. `
        + `Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. `
        + `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization.slice(0, 200)}`);
    }
  }
  const amzDate = header(req, 'x-amz-date') ?? dateHeader(header(req, 'date'));
  if (!amzDate) {
    throw new SigV4Failure('incomplete', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization.slice(0, 200)}`);
  }
  return {
    presigned: false, ...credential(fields.get('Credential')!), signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!, amzDate, sessionToken: header(req, 'x-amz-security-token'),
  };
}

function parseQuery(req: RawRequest): ParsedSignature {
  const q = req.query;
  const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Expires'].filter((n) => !q.get(n));
  if (missing.length) throw new SigV4Failure('incomplete', `Presigned request is missing the query parameter(s) ${missing.join(', ')}.`);
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) throw new SigV4Failure('incomplete', `X-Amz-Algorithm only supports '${ALGORITHM}'.`);
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    throw new SigV4Failure('incomplete', `X-Amz-Expires must be an integer from 1 to ${MAX_EXPIRES_SECONDS}; got '${q.get('X-Amz-Expires')}'.`);
  }
  return {
    presigned: true, ...credential(q.get('X-Amz-Credential')!), signedHeaders: q.get('X-Amz-SignedHeaders')!.split(';'),
    signature: q.get('X-Amz-Signature')!, amzDate: q.get('X-Amz-Date')!, expires, sessionToken: q.get('X-Amz-Security-Token') ?? undefined,
  };
}

function credential(value: string) {
  const m = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(value);
  if (!m) throw new SigV4Failure('incomplete', `Credential should be scoped to a valid region, service and date, ending in 'aws4_request'; got '${value.slice(0, 200)}'.`);
  return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] };
}

/** An RFC 1123 Date header as ISO 8601 basic, or undefined. */
function dateHeader(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : toAmzDate(new Date(t));
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The payload hash the signature covers; throws when x-amz-content-sha256 does not match the body. */
function payloadHash(req: RawRequest): string {
  const declared = header(req, 'x-amz-content-sha256');
  if (declared === undefined) return sha256Hex(req.body);
  if (declared === 'UNSIGNED-PAYLOAD' || declared.startsWith('STREAMING-')) return declared;
  if (declared !== sha256Hex(req.body)) {
    throw new SigV4Failure('signature', 'The provided \'x-amz-content-sha256\' header does not match what was computed.');
  }
  return declared;
}

export function canonicalRequest(req: RawRequest, sig: ParsedSignature, hash: string): string {
  const headers = sig.signedHeaders.map((name) => {
    const value = header(req, name);
    if (value === undefined) throw new SigV4Failure('signature', `The request signature we calculated does not match the signature you provided: signed header '${name}' is missing.`);
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  return [req.method, canonicalPath(req.path), canonicalQuery(req.query, sig.presigned), headers, sig.signedHeaders.join(';'), hash].join('\n');
}

export function stringToSign(sig: ParsedSignature, canonical: string): string {
  return [ALGORITHM, sig.amzDate, `${sig.date}/${sig.region}/${sig.service}/aws4_request`, sha256Hex(canonical)].join('\n');
}

export const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. '
  + 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** Checks time and signature of a parsed request against the secret; throws a SigV4Failure. */
export function verifySignature(req: RawRequest, sig: ParsedSignature, secret: string, now: Date): void {
  checkTime(sig, now);
  if (!sig.signedHeaders.includes('host')) {
    throw new SigV4Failure('signature', '\'Host\' or \':authority\' must be a \'SignedHeader\' in the AWS Authorization.');
  }
  if (sig.amzDate.slice(0, 8) !== sig.date) {
    throw new SigV4Failure('signature', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${sig.date}' != '${sig.amzDate.slice(0, 8)}', from '${sig.amzDate}'.`);
  }
  const key = signingKey(secret, sig.date, sig.region, sig.service);
  const matches = (hash: string) => {
    const expected = createHmac('sha256', key).update(stringToSign(sig, canonicalRequest(req, sig, hash))).digest();
    const given = Buffer.from(sig.signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const hash = payloadHash(req);
  // A presigned URL is signed over UNSIGNED-PAYLOAD by some signers (botocore's S3 style) and over
  // the empty body's hash by others: either passes when the request carries no body hash header.
  if (matches(hash)) return;
  if (sig.presigned && header(req, 'x-amz-content-sha256') === undefined && matches('UNSIGNED-PAYLOAD')) return;
  throw new SigV4Failure('signature', SIGNATURE_MISMATCH);
}

function checkTime(sig: ParsedSignature, now: Date) {
  const signedAt = parseAmzDate(sig.amzDate);
  if (signedAt === undefined) throw new SigV4Failure('incomplete', `Invalid X-Amz-Date '${sig.amzDate}': expected the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.`);
  const t = now.getTime();
  if (sig.presigned && sig.expires !== undefined && t > signedAt + sig.expires * 1000) throw new SigV4Failure('requestExpired', 'Request has expired');
  if (!sig.presigned && signedAt < t - MAX_SKEW_MS) {
    throw new SigV4Failure('expired', `Signature expired: ${sig.amzDate} is now earlier than ${toAmzDate(new Date(t - MAX_SKEW_MS))} (${toAmzDate(now)} - 5 min.)`);
  }
  if (signedAt > t + MAX_SKEW_MS) {
    throw new SigV4Failure('expired', `Signature not yet current: ${sig.amzDate} is still later than ${toAmzDate(new Date(t + MAX_SKEW_MS))} (${toAmzDate(now)} + 5 min.)`);
  }
}
