// What a handler can reach: the request's identity and scope, and the application's shared parts.
import type { Clock, Ids } from '../common/ids.js';
import type { Scope } from '../common/records.js';
import type { Store } from '../store/types.js';

export interface ServerConfig {
  host: string;
  port: number;
  /** Seconds an agent may be silent before its instance shows agentConnected: false. */
  agentGraceSeconds: number;
  /** The base URL agents reach this server at (DiscoverPollEndpoint); default http://<host>:<port>. */
  publicUrl?: string;
  /** Milliseconds between ACS HeartbeatMessages (default 10 s; tests use less). */
  acsHeartbeatMs?: number;
}

export interface AppContext {
  store: Store;
  clock: Clock;
  ids: Ids;
  config: ServerConfig;
  startedAt: Date;
  version: string;
}

export interface RequestContext extends Scope {
  requestId: string;
  accessKeyId: string;
  /** The caller's principal ARN (root of the account until IAM is enforced). */
  principalArn: string;
  service: string;
  operation: string;
  app: AppContext;
}
