// Request bodies sent compressed. The SDKs gzip a request body when the operation carries
// Smithy's @requestCompression trait and the body passes a size (CloudWatch PutMetricData: the
// SDK for JavaScript v3 and botocore compress past 10 KiB) and say so in Content-Encoding. The
// signature covers the bytes sent, so the body is decoded after authentication, before parsing;
// the decoded body is held to the same cap as a plain one (limits.ts), so a small compressed body
// cannot unpack into an unbounded one.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AwsError } from '../common/errors.js';
import type { RawRequest } from '../protocol/types.js';
import type { ServiceDef } from '../services/types.js';
import { capOf } from './limits.js';

const gunzipAsync = promisify(gunzip);

/** The request with its body decoded when Content-Encoding names gzip; as it was otherwise. */
export async function decodeBody(req: RawRequest, service: ServiceDef): Promise<RawRequest> {
  const encodings = (req.headers['content-encoding'] ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (!encodings.includes('gzip') || req.body.length === 0) return req;
  const max = capOf(service);
  let body: Buffer;
  try {
    body = await gunzipAsync(req.body, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AwsError('RequestEntityTooLarge', `The decompressed request body exceeds the limit of ${max} bytes for this API.`, 413);
    }
    throw new AwsError('InvalidParameterValue', 'The request body is marked Content-Encoding: gzip but is not valid gzip data.');
  }
  const rest = encodings.filter((e) => e !== 'gzip');
  const headers = { ...req.headers, 'content-encoding': rest.length > 0 ? rest.join(', ') : undefined };
  return { ...req, body, headers };
}
