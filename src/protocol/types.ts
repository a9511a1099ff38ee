// What every protocol module (json, query, ec2, rest-xml…) implements, and what flows between the
// gateway stages. Protocol modules know wire formats; they know nothing about any one service.
import type { AwsError } from '../common/errors.js';

export type ProtocolName = 'awsJson1_0' | 'awsJson1_1' | 'awsQuery' | 'ec2Query' | 'smithyRpcV2Cbor';

/** What a protocol needs to know of a service: its name, wire protocol and XML details. A
 *  service's full contract (src/services/types.ts) extends this; protocols never see more. */
export interface ProtocolService {
  /** Short name, as in IAM actions and ARNs (`ecs`, `sts`). */
  name: string;
  protocol: ProtocolName;
  /** Further protocols the service answers (CloudWatch: rpc-v2-cbor, JSON 1.0 and query, as
   *  different client generations send them); the first whose accepts() takes the request wins,
   *  else `protocol`. */
  alsoAccepts?: ProtocolName[];
  /** The service's Smithy namespace (`com.amazonaws.cloudwatch`), for __type in CBOR errors. */
  errorNamespace?: string;
  /** awsQueryCompatible services: JSON/CBOR errors also carry x-amzn-query-error: Code;Sender. */
  awsQueryCompatible?: boolean;
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
  /** How the caller reached the server (absent for requests not made over a socket). */
  origin?: RequestOrigin;
}

/** The connection a request came in on: what an answer naming this server's address uses (the
 *  agent's DiscoverPollEndpoint), so a caller is told the address it already reached. */
export interface RequestOrigin {
  scheme: 'http' | 'https';
  /** The Host header as sent. */
  host?: string;
  /** This server's end of the connection. */
  localAddress?: string;
  localPort?: number;
  /** The caller's end. */
  remoteAddress?: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** An operation schema as the SDK exports it: [9, namespace, name, traits, input, output]. */
export type OperationSchema = readonly [number, string, string, unknown, unknown, unknown];

export interface Protocol {
  /** Whether a request is in this protocol (used when a service answers several). */
  accepts(req: RawRequest): boolean;
  /** Which operation this request names (before the body is trusted). */
  operationName(req: RawRequest): string | undefined;
  /** Parses the body into the operation's input shape (unknown members dropped). */
  parse(req: RawRequest, op: OperationSchema, service: ProtocolService): Promise<Record<string, unknown>>;
  serialize(output: unknown, op: OperationSchema, service: ProtocolService, requestId: string): WireResponse;
  serializeError(err: AwsError, service: ProtocolService, requestId: string, operation?: string): WireResponse;
}
