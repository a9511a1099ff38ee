// A service plugs into the gateway by describing itself: its wire protocol, how to recognise its
// requests, where its SDK schemas come from, and its handlers.
import type { RequestContext } from '../gateway/context.js';

export type ProtocolName = 'awsJson1_0' | 'awsJson1_1' | 'awsQuery' | 'ec2Query';

// The wire path parses input against the SDK schema before a handler sees it, so handlers take
// the SDK's typed request shapes (`import type { RunTaskRequest } from '@aws-sdk/client-ecs'`).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (input: any, ctx: RequestContext) => unknown | Promise<unknown>;
export type Handlers = Record<string, Handler>;

export interface ServiceDef {
  /** Short name, as in IAM actions and ARNs (`ecs`, `sts`). */
  name: string;
  /** SigV4 signing names that select this service (credential scope). */
  signingNames: string[];
  protocol: ProtocolName;
  /** awsJson: the X-Amz-Target prefix. */
  targetPrefix?: string;
  /** awsQuery/ec2Query: the API version and XML namespace. */
  apiVersion?: string;
  xmlNamespace?: string;
  /** The error code this service uses for invalid parameters. */
  validationErrorCode: string;
  /** The SDK client module: its `<Operation>$` exports are the operation schemas. */
  sdk(): Record<string, unknown>;
  /** Enum value sets generated from the service model (scripts/gen-constraints.mjs). */
  constraints(): Record<string, string[]>;
  handlers(): Promise<Handlers>;
}
