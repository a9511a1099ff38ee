// What every protocol module (json, query, ec2, rest-xml…) implements, and what flows between the
// gateway stages. Protocol modules know wire formats; they know nothing about any one service.
import type { AwsError } from '../common/errors.js';
import type { ServiceDef } from '../services/types.js';

export interface RawRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** An operation schema as the SDK exports it: [9, namespace, name, traits, input, output]. */
export type OperationSchema = readonly [number, string, string, unknown, unknown, unknown];

export interface Protocol {
  /** Which operation this request names (before the body is trusted). */
  operationName(req: RawRequest): string | undefined;
  /** Parses the body into the operation's input shape (unknown members dropped). */
  parse(req: RawRequest, op: OperationSchema, service: ServiceDef): Promise<Record<string, unknown>>;
  serialize(output: unknown, op: OperationSchema, service: ServiceDef, requestId: string): WireResponse;
  serializeError(err: AwsError, service: ServiceDef, requestId: string, operation?: string): WireResponse;
}
