// awsJson1_0 / awsJson1_1: POST /, X-Amz-Target: <prefix>.<Operation>, JSON bodies, errors as
// {"__type": code, "message": …} with x-amzn-ErrorType.
import { JsonShapeDeserializer, JsonShapeSerializer } from '@aws-sdk/core';
import { NormalizedSchema } from '@smithy/core/schema';
import { AwsError } from '../common/errors.js';
import { writeOutput } from './json-writer.js';
import { reviveTimestamps } from './timestamps.js';
import type { OperationSchema, Protocol, RawRequest, WireResponse, ProtocolService } from './types.js';

const settings = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

/** awsQueryCompatible services tell JSON/CBOR clients the error's query code and fault. */
export const queryCompatibleHeaders = (err: AwsError, service: ProtocolService): Record<string, string> =>
  service.awsQueryCompatible ? { 'x-amzn-query-error': `${err.code};${err.fault === 'server' ? 'Receiver' : 'Sender'}` } : {};

const bigInputs = new WeakMap<object, boolean>();

/** Whether an operation's input reaches a bigInteger or bigDecimal (the SDK's needsReviver). */
function inputHasBigNumbers(op: OperationSchema): boolean {
  let known = bigInputs.get(op);
  if (known === undefined) bigInputs.set(op, known = reachesBigNumber(NormalizedSchema.of(op[4] as never), new Set()));
  return known;
}

function reachesBigNumber(ns: NormalizedSchema, seen: Set<unknown>): boolean {
  const raw = ns.getSchema();
  if (seen.has(raw)) return false;
  seen.add(raw);
  if (ns.isBigIntegerSchema() || ns.isBigDecimalSchema()) return true;
  if (ns.isStructSchema()) {
    for (const [, member] of ns.structIterator()) if (reachesBigNumber(member, seen)) return true;
    return false;
  }
  if (ns.isListSchema() || ns.isMapSchema()) return reachesBigNumber(ns.getValueSchema(), seen);
  // Documents may hold numbers of any size.
  return ns.isDocumentSchema();
}

/** The SDK's serializer over the output with its timestamps revived: the reference json-writer.ts
 *  matches, and the path for outputs it does not compile. */
export function serializeWithSdk(output: unknown, op: OperationSchema): string {
  const serializer = new JsonShapeSerializer(settings);
  serializer.write(op[5] as never, reviveTimestamps(output ?? {}, op[5]));
  // Operations without output (smithy.api#Unit) flush to a non-string: answer {}.
  const flushed: unknown = serializer.flush();
  return typeof flushed === 'string' && flushed ? flushed : '{}';
}

export function jsonProtocol(version: '1.0' | '1.1'): Protocol {
  const contentType = `application/x-amz-json-${version}`;
  return {
    accepts: (req) => req.headers['x-amz-target'] !== undefined && (req.headers['content-type'] ?? '').startsWith(contentType),

    operationName(req: RawRequest) {
      const target = req.headers['x-amz-target'];
      return target?.slice(target.lastIndexOf('.') + 1);
    },

    async parse(req: RawRequest, op: OperationSchema) {
      const type = req.headers['content-type'] ?? '';
      if (!type.startsWith('application/x-amz-json-') && !type.startsWith('application/json')) {
        throw new AwsError('UnknownOperationException', `Content-Type '${type || '(none)'}' is not supported; send ${contentType}`);
      }
      const text = req.body.toString('utf8').trim() || '{}';
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new AwsError('SerializationException', `Malformed JSON request body: ${(err as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new AwsError('SerializationException', 'The request body must be a JSON object');
      }
      try {
        // The SDK's read() parses the text again (with a reviver only for big numbers): without
        // big numbers in the input, reading the object parsed above is the same.
        const deserializer = new JsonShapeDeserializer(settings);
        return (inputHasBigNumbers(op) ? await deserializer.read(op[4] as never, text)
          : deserializer.readObject(op[4] as never, parsed as never)) as Record<string, unknown>;
      } catch (err) {
        throw new AwsError('SerializationException', `Cannot parse request: ${(err as Error).message}`);
      }
    },

    serialize(output: unknown, op: OperationSchema, _service: ProtocolService, requestId: string): WireResponse {
      const body = writeOutput(op, output ?? {}) ?? serializeWithSdk(output, op);
      return { status: 200, headers: { 'content-type': contentType, 'x-amzn-requestid': requestId }, body };
    },

    serializeError(err: AwsError, service: ProtocolService, requestId: string): WireResponse {
      return {
        status: err.status,
        headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.code, ...queryCompatibleHeaders(err, service) },
        body: JSON.stringify({ __type: err.code, message: err.message }),
      };
    },
  };
}
