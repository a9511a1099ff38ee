// What every protocol module (json, query, ec2, rest-xml…) implements, and what flows between the
// gateway stages. Protocol modules know wire formats; they know nothing about any one service.
import type { AwsError } from '../common/errors.js';

export type ProtocolName = 'awsJson1_0' | 'awsJson1_1' | 'awsQuery' | 'ec2Query';

/** What a protocol needs to know of a service: its name, wire protocol and XML details. A
 *  service's full contract (src/services/types.ts) extends this; protocols never see more. */
export interface ProtocolService {
  /** Short name, as in IAM actions and ARNs (`ecs`, `sts`). */
  name: string;
  protocol: ProtocolName;
  /** awsJson: the X-Amz-Target prefix. */
  targetPrefix?: string;
  /** awsQuery/ec2Query: the API version and XML namespace. */
  apiVersion?: string;
  xmlNamespace?: string;
}

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
  parse(req: RawRequest, op: OperationSchema, service: ProtocolService): Promise<Record<string, unknown>>;
  serialize(output: unknown, op: OperationSchema, service: ProtocolService, requestId: string): WireResponse;
  serializeError(err: AwsError, service: ProtocolService, requestId: string, operation?: string): WireResponse;
}
