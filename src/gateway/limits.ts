// Request size caps, decided from the headers before a byte of the body is read. The cap fits
// the protocol (no AWS JSON API call needs more than a few MiB; a query form request is at most
// about 1 MB, CloudWatch PutMetricData's documented limit), and a service may state a tighter (or,
// for blob uploads, larger) one with ServiceDef.maxRequestBytes. A declared Content-Length above
// the cap is refused at once; a chunked body is cut off when it passes the cap.
import { AwsError } from '../common/errors.js';
import { protocols } from '../protocol/index.js';
import type { ProtocolName, RawRequest, WireResponse } from '../protocol/types.js';
import type { ServiceDef } from '../services/types.js';
import { resolveService } from './resolve.js';

const MiB = 1024 * 1024;

/** Per protocol, when the service states no cap of its own. */
export const PROTOCOL_LIMITS: Record<ProtocolName, number> = {
  awsJson1_0: 16 * MiB,
  awsJson1_1: 16 * MiB,
  awsQuery: 2 * MiB,
  ec2Query: 2 * MiB,
  smithyRpcV2Cbor: 16 * MiB,
};

/** A request the gateway cannot attribute to a service (it will answer NotImplemented anyway). */
export const UNKNOWN_LIMIT = 1 * MiB;

/** Routes (operational endpoints, registries) unless they state their own cap. */
export const ROUTE_LIMIT = 64 * MiB;

export interface Limit { bytes: number; service?: ServiceDef }

/** A service's request body cap: its own, else its protocol's. */
export const capOf = (service: ServiceDef) => service.maxRequestBytes ?? PROTOCOL_LIMITS[service.protocol];

/** The cap for an API request, from its headers and query alone (the body is not read yet). */
export function limitFor(req: Omit<RawRequest, 'body'>, services: readonly ServiceDef[]): Limit {
  const { service } = resolveService({ ...req, body: Buffer.alloc(0) }, services);
  if (!service) return { bytes: UNKNOWN_LIMIT };
  return { bytes: capOf(service), service };
}

/** The answer to a body over the cap, in the service's wire format when the service is known.
 *  Nothing of the body is echoed. */
export function tooLarge(limit: Limit, declared: number | undefined, requestId: string): WireResponse {
  const size = declared === undefined ? 'The request body' : `The request body (${declared} bytes)`;
  const err = new AwsError('RequestEntityTooLarge', `${size} exceeds the limit of ${limit.bytes} bytes for this API.`, 413);
  if (!limit.service) {
    return { status: 413, headers: { 'content-type': 'text/plain', 'x-amzn-requestid': requestId }, body: `${err.message}\n` };
  }
  return protocols[limit.service.protocol].serializeError(err, limit.service, requestId);
}
