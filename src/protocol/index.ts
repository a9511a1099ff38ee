import { cborProtocol } from './cbor.js';
import { jsonProtocol } from './json.js';
import { queryProtocol } from './query.js';
import type { Protocol, ProtocolName, ProtocolService, RawRequest } from './types.js';

export const protocols: Record<ProtocolName, Protocol> = {
  awsJson1_0: jsonProtocol('1.0'),
  awsJson1_1: jsonProtocol('1.1'),
  awsQuery: queryProtocol('query'),
  ec2Query: queryProtocol('ec2'),
  smithyRpcV2Cbor: cborProtocol,
};

/** The protocol a request to `service` is in: the first of its other accepted protocols that
 *  recognises the request, else the service's own. */
export function protocolFor(service: ProtocolService, req: RawRequest): Protocol {
  for (const name of service.alsoAccepts ?? []) if (protocols[name].accepts(req)) return protocols[name];
  return protocols[service.protocol];
}
