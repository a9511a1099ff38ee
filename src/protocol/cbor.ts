// Smithy RPC v2 CBOR: POST /service/<ServiceName>/operation/<Operation>, header
// `smithy-protocol: rpc-v2-cbor`, CBOR bodies (timestamps as tag 1 epoch seconds), errors as a
// CBOR map {__type, message} with the HTTP status. What botocore ≥ 1.42 sends to CloudWatch.
import { CborShapeDeserializer, CborShapeSerializer, cbor } from '@smithy/core/cbor';
import { AwsError } from '../common/errors.js';
import { queryCompatibleHeaders } from './json.js';
import { reviveTimestamps } from './timestamps.js';
import type { OperationSchema, Protocol, ProtocolService, RawRequest, WireResponse } from './types.js';

const PATH = /^\/service\/[^/]+\/operation\/([^/]+)$/;
const headers = (requestId: string) =>
  ({ 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor', 'x-amzn-requestid': requestId });

export const cborProtocol: Protocol = {
  accepts: (req) => (req.headers['smithy-protocol'] ?? '').toLowerCase() === 'rpc-v2-cbor',

  operationName(req: RawRequest) {
    return PATH.exec(req.path)?.[1];
  },

  async parse(req: RawRequest, op: OperationSchema) {
    if (!req.body.length) return {};
    try {
      const out = new CborShapeDeserializer().read(op[4] as never, req.body) as unknown;
      if (typeof out !== 'object' || out === null || Array.isArray(out)) throw new Error('the body is not a CBOR map');
      return out as Record<string, unknown>;
    } catch (err) {
      throw new AwsError('SerializationException', `Cannot parse CBOR request: ${(err as Error).message}`);
    }
  },

  serialize(output: unknown, op: OperationSchema, _service: ProtocolService, requestId: string): WireResponse {
    const serializer = new CborShapeSerializer();
    serializer.write(op[5] as never, reviveTimestamps(output ?? {}, op[5]));
    const value = (serializer as unknown as { value: unknown }).value ?? {};
    return { status: 200, headers: headers(requestId), body: Buffer.from(cbor.serialize(value)) };
  },

  serializeError(err: AwsError, service: ProtocolService, requestId: string): WireResponse {
    const ns = service.errorNamespace ? `${service.errorNamespace}#` : '';
    return {
      status: err.status,
      headers: { ...headers(requestId), ...queryCompatibleHeaders(err, service) },
      body: Buffer.from(cbor.serialize({ __type: `${ns}${err.code}`, message: err.message })),
    };
  },
};
