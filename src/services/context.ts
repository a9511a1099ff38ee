// What a handler and a worker can reach: the caller's identity and scope, and the application's
// shared parts. This is the services layer: the gateway builds these, services only read them.
import { rootArn } from '../common/arn.js';
import type { ActivityLog } from '../common/activity-log.js';
import type { Clock, Ids } from '../common/ids.js';
import type { Scope } from '../common/records.js';
import type { ProtocolName, RequestOrigin } from '../protocol/types.js';
import type { Store } from '../store/types.js';

/** The server-wide configuration. Each service's own settings live in its config section
 *  (ServiceDef.config), reached through `app.serviceConfig[name]`. */
export interface ServerConfig {
  host: string;
  port: number;
  /** The base URL agents and clients reach this server at (--advertise-url); default: the scheme,
   *  Host and port each caller used. */
  publicUrl?: string;
  /** Serving HTTPS (--tls-cert/--tls-key). */
  tls?: boolean;
  /** The directory the store keeps its files in (a data directory or sqlite file's folder); undefined
   *  for stores that keep none (memory://, etcd://). Services put their own files beside it. */
  dataDir?: string;
  /** open: any signature passes (local development, loopback only unless --insecure); strict:
   *  SigV4 verified against known access keys and IAM policies enforced. Default open. */
  auth?: AuthMode;
}

export type AuthMode = 'open' | 'strict';

/** An access key the authenticate stage can verify a signature with, and whom it stands for. */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (STS) carry a session token the request must present. */
  sessionToken?: string;
  /** ISO 8601; temporary credentials stop working after it. */
  expiration?: string;
  account: string;
  /** arn:aws:iam::<account>:root | …:user/<path><name> | arn:aws:sts::<account>:assumed-role/<role>/<session> */
  principalArn: string;
}

/** Finds the credential of an access key id (undefined when no such key is active). The server
 *  knows the root key; the IAM service chains its users' keys and STS sessions in at start(). */
export type CredentialLookup = (accessKeyId: string) => Promise<Credential | undefined>;

/** Who is calling: an authenticated principal of an account. */
export interface Principal {
  accessKeyId: string;
  account: string;
  /** The principal's ARN (the account root until IAM is enforced). */
  arn: string;
}

/** The identity and region a call is made as; a RequestContext is one, so a handler that calls
 *  another service passes its own `ctx` and the callee sees the same principal. */
export interface Caller extends Scope {
  accessKeyId: string;
  principalArn: string;
  /** The connection of the wire request this call serves, when it serves one (aws:SourceIp). */
  origin?: RequestOrigin;
}

/** The internal client: runs validate → authorize → handler of any service's operation, exactly as
 *  a wire request does minus the transport. AWS errors are thrown as AwsError. */
export type InternalCall = <Output = unknown>(service: string, operation: string, input: object, caller: Caller) => Promise<Output>;

/** Decides whether a caller may run an operation; throws an AwsError (AccessDenied…) when not. The
 *  default allows everything (open mode); the IAM service installs policy evaluation. */
export type Authorizer = (ctx: RequestContext, input: Readonly<Record<string, unknown>>) => void | Promise<void>;

export interface AppContext {
  store: Store;
  clock: Clock;
  ids: Ids;
  config: ServerConfig;
  /** Each service's resolved config section, by service name. */
  serviceConfig: Readonly<Record<string, unknown>>;
  startedAt: Date;
  version: string;
  /** Calls another service (STYLE point 14). */
  call: InternalCall;
  /** The authorize stage, shared by wire requests and internal calls. */
  authorize: Authorizer;
  /** The activity log: `app.log.info('task.running', { cluster, task })` (src/common/activity-log.ts). */
  log: ActivityLog;
  /** Access keys the authenticate stage verifies against (strict mode). Services that hold keys
   *  (IAM) wrap it at start(); others may call it, e.g. a registry checking a token's key. */
  credentials: CredentialLookup;
}

export interface RequestContext extends Caller {
  requestId: string;
  service: string;
  operation: string;
  app: AppContext;
  /** True when the call came through the internal client rather than the wire. */
  internal?: boolean;
  /** The service's wire protocol (errors such as AccessDenied are named after it). */
  protocol?: ProtocolName;
  /** The connection a wire request came in on (scheme, Host, addresses). */
  origin?: RequestOrigin;
}

/** A Caller for the principal and region of `ctx` (e.g. a worker acting for a request). */
export const callerOf = (ctx: Caller): Caller =>
  ({ account: ctx.account, region: ctx.region, accessKeyId: ctx.accessKeyId, principalArn: ctx.principalArn });

/** The account root as a caller: for workers acting on behalf of an account with no request. */
export const accountRoot = (scope: Scope): Caller =>
  ({ account: scope.account, region: scope.region, accessKeyId: 'internal', principalArn: rootArn(scope.region, scope.account) });
