// The one contract every service plugs in through (STYLE points 13–14). A service is a folder under
// src/services/ with an index.ts exporting its ServiceDef, plus one line in registry.ts. The server
// loops over the registry and knows no service by name.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { MetadataBearer } from '@smithy/types';
import type { ProtocolService } from '../protocol/types.js';
import type { AppContext, Caller, RequestContext } from './context.js';

export type { ProtocolName } from '../protocol/types.js';

/** A handler as the dispatcher holds it: input already parsed and validated against the
 *  operation's SDK schema. Providers are typed per operation (Provider below); this is the erased
 *  form the gateway and the internal client call. */
export type Handler = (input: never, ctx: RequestContext) => unknown;
export type Handlers = Readonly<Record<string, Handler>>;

// Handlers typed against the SDK: for an SDK client module M (`typeof import('@aws-sdk/client-ecs')`),
// Provider<M> maps each `<Op>Command` to `op(input: <Op>CommandInput, ctx) => <Op>Response`. A
// provider written `{ … } satisfies Provider<typeof Ecs>` fails tsc on a misspelled operation or a
// wrong output member.
type CommandIo<C> = C extends abstract new (...args: infer A) => {
  resolveMiddleware(...a: never[]): (...a: never[]) => Promise<{ output: infer O }>;
} ? { input: NonNullable<A[0]>; output: Omit<O, keyof MetadataBearer> } : never;
type OperationOf<K> = K extends `${infer Op}Command` ? Op : never;

export type Provider<M> = {
  [K in keyof M as K extends `${string}Command` ? (CommandIo<M[K]> extends never ? never : Uncapitalize<OperationOf<K>>) : never]?:
    (input: CommandIo<M[K]>['input'], ctx: RequestContext) => CommandIo<M[K]>['output'] | Promise<CommandIo<M[K]>['output']>;
};

/** A provider, erased for dispatch (the typing was checked where it was written). */
export const handlersOf = <M>(provider: Provider<M>): Handlers => provider as unknown as Handlers;

// ---- HTTP the service owns besides its API operations ----
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;
/** Gets the request unread (uploads, streams): the handler reads the body itself. */
export type StreamRouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What a running service can stop. Returned by start(); a service may expose more (the ECS
 *  scheduler, the agents' websocket) for tests and tools through `berth.services.<name>`. */
export interface Worker {
  stop(): Promise<void>;
  /** Counters the service maintains, shown by /_berth/health (e.g. connected agents). */
  stats?(): Record<string, number>;
}

/** What a service gets when it starts. */
export interface ServiceHost<C> {
  app: AppContext;
  /** This service's config section, defaults applied. */
  config: C;
  /** An HTTP route: exact path, or every path under it with { prefix: true }; its body is capped
   *  at maxBodyBytes (default 64 MiB), refused with 413 beyond. */
  route(path: string, handler: RouteHandler, options?: { prefix?: boolean; maxBodyBytes?: number }): void;
  /** A route that receives the request body unread. */
  streamRoute(path: string, handler: StreamRouteHandler, options?: { prefix?: boolean }): void;
  /** Websocket (or other) upgrades for paths starting with prefix. */
  upgrade(prefix: string, handler: UpgradeHandler): void;
  /** Who signed a request that reached a route or upgrade (SigV4 in the headers or the query),
   *  as the gateway's authenticate stage decides; throws an AwsError when it may not pass. The
   *  region is the credential scope's. `body`: what was signed besides the headers (a TCS frame's
   *  JSON), when it is not the request's own. */
  authenticate(req: IncomingMessage, body?: Buffer): Promise<Caller>;
}

/** A command-line flag (and environment variable) that sets part of a service's config section. */
export interface ServiceFlag<C> {
  /** `agent-grace` for --agent-grace. */
  name: string;
  env?: string;
  /** One help line: `--agent-grace 30   seconds before …`. */
  help: string;
  /** Parses the raw value into the config; throws an Error naming the flag on a bad value. */
  apply(config: C, raw: string): void;
}

export interface ServiceConfigSection<C> {
  defaults(): C;
  flags?: readonly ServiceFlag<C>[];
}

export interface ServiceDef<N extends string = string, C = unknown, R extends Worker = Worker> extends ProtocolService {
  name: N;
  /** SigV4 signing names that select this service (credential scope). */
  signingNames: string[];
  /** The error code this service uses for invalid parameters. */
  validationErrorCode: string;
  /** The largest request body this service accepts (default: its protocol's, src/gateway/limits.ts). */
  maxRequestBytes?: number;
  /** The SDK client module: its `<Operation>$` exports are the operation schemas. */
  sdk(): Record<string, unknown>;
  /** Enum value sets generated from the service model (scripts/gen-constraints.mjs). */
  constraints(): Record<string, string[]>;
  handlers(): Promise<Handlers>;
  /** This service's section of the server config. */
  config?: ServiceConfigSection<C>;
  /** Starts the service's workers, routes and websockets. Called in registry order before the
   *  server listens; stop() is called in reverse order before the store closes. */
  start?(host: ServiceHost<C>): R | Promise<R>;
}

/** A module loaded on first use, once (a service's SDK model and constraint table are large, and a
 *  run may never call the service). `from` is the caller's `import.meta.url`: specifiers resolve
 *  from there, like the caller's own `require`. */
export function lazyModule<T = Record<string, unknown>>(from: string, specifier: string, then: (m: T) => T = (m) => m): () => T {
  const load = createRequire(from);
  let value: T | undefined;
  return () => (value ??= then(load(specifier) as T));
}

/** Declares a service, keeping its name, config and worker types for the registry. */
export const defineService = <N extends string, C = undefined, R extends Worker = Worker>(def: ServiceDef<N, C, R>) => def;

/** A service's config section type and running worker type, from its definition. */
export type ConfigOf<S> = S extends ServiceDef<string, infer C, Worker> ? C : never;
export type RunningOf<S> = S extends { start?(host: never): infer R } ? Awaited<R> : never;
