// The registry's HTTP basics: its error bodies (OCI Distribution's {"errors":[…]}), the mapping of
// ECR's API errors onto them, the token challenge `docker login` answers, and small readers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../../common/errors.js';
import type { Caller } from '../../context.js';
import { tokenFromHeader, verifyToken } from '../tokens.js';

export const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = JSON.stringify({ errors: [{ code, message, detail: null }] });
  res.writeHead(status, { ...API_VERSION, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

/** ECR's API errors in the registry's words (what `docker push`/`pull` print). */
export function sendAwsError(res: ServerResponse, err: unknown): void {
  if (!(err instanceof AwsError)) throw err;
  const map: Record<string, [number, string]> = {
    RepositoryNotFoundException: [404, 'NAME_UNKNOWN'],
    ImageNotFoundException: [404, 'MANIFEST_UNKNOWN'],
    ImageTagAlreadyExistsException: [400, 'TAG_INVALID'],
    LayersNotFoundException: [400, 'MANIFEST_BLOB_UNKNOWN'],
    ReferencedImagesNotFoundException: [400, 'MANIFEST_BLOB_UNKNOWN'],
    ImageDigestDoesNotMatchException: [400, 'DIGEST_INVALID'],
    InvalidParameterException: [400, 'MANIFEST_INVALID'],
  };
  const [status, code] = map[err.code] ?? [err.status, err.status >= 500 ? 'UNKNOWN' : 'DENIED'];
  sendError(res, status, code, err.message);
}

const challenge = (req: IncomingMessage) =>
  ({ 'www-authenticate': `Basic realm="http://${req.headers.host ?? 'localhost'}/",service="ecr.amazonaws.com"` });

/** The caller a registry request is made as (from its ECR token), or undefined after answering 401. */
export function authenticate(req: IncomingMessage, res: ServerResponse, secret: Buffer, now: Date, queryToken?: string): Caller | undefined {
  const token = tokenFromHeader(req.headers.authorization) ?? queryToken;
  if (token === undefined) { sendError(res, 401, 'UNAUTHORIZED', 'Not Authorized', challenge(req)); return undefined; }
  const grant = verifyToken(secret, token, now);
  if ('refused' in grant) {
    sendError(res, 401, 'DENIED', `Your authorization token is invalid: ${grant.refused}`, challenge(req));
    return undefined;
  }
  return grant;
}

/** `bytes=a-b` / `bytes=a-` within size, or 'invalid'; undefined when there is no Range header. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') { // suffix: the last n bytes
    const n = Number(m[2]);
    return n === 0 ? 'invalid' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? 'invalid' : { start, end };
}
