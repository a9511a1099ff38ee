// The one HTTP listener: routes services own (operational endpoints, registries…), websocket
// upgrades for agents, the landing page a browser sees at GET /, and every AWS API request
// through the pipeline.
//
// Bounds (README "Limits"): request bodies are capped per protocol before they are read
// (limits.ts); at most `maxConnections` sockets are open at once (more are closed on accept);
// a client has `headersTimeoutMs` to send its headers and `requestTimeoutMs` for the whole
// request (408 after that); an idle keep-alive connection closes after `keepAliveTimeoutMs`.
import { readBody } from '../common/http.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { RawRequest, RequestOrigin } from '../protocol/types.js';
import type { AppContext } from '../services/context.js';
import type { RouteHandler, ServiceDef, StreamRouteHandler, UpgradeHandler } from '../services/types.js';
import { limitFor, ROUTE_LIMIT, tooLarge, type Limit } from './limits.js';
import { guardOperational, isGuarded } from './operational.js';
import { createPipeline } from './pipeline.js';

export interface Gateway {
  server: Server;
  /** A route: exact path (any method), or every path under it with { prefix: true }. Its body is
   *  capped at maxBodyBytes (default 64 MiB). */
  route(path: string, handler: RouteHandler, options?: { prefix?: boolean; maxBodyBytes?: number }): void;
  /** A route whose handler reads the request body itself. */
  streamRoute(path: string, handler: StreamRouteHandler, options?: { prefix?: boolean }): void;
  /** Websocket (or other) upgrades whose path starts with prefix. */
  upgrade(prefix: string, handler: UpgradeHandler): void;
  /** What an unsigned GET / (a browser) gets instead of an API error. */
  landing(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/** Connection bounds; each has a default (documented in the README). */
export interface ConnectionLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 2048, headersTimeoutMs: 20_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 65_000,
};

type Route = { stream: false; handler: RouteHandler; maxBodyBytes: number } | { stream: true; handler: StreamRouteHandler };

const headersOf = (req: IncomingMessage) => {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
  return headers;
};

/** The connection a request came in on (TLS or not, Host, both addresses). */
export const originOf = (req: IncomingMessage): RequestOrigin => ({
  scheme: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: req.headers.host,
  localAddress: req.socket.localAddress, localPort: req.socket.localPort, remoteAddress: req.socket.remoteAddress,
});

/** A browser's GET /: no signature, no API action or target. */
const isLanding = (req: IncomingMessage, url: URL) => (req.method === 'GET' || req.method === 'HEAD') && url.pathname === '/'
  && !req.headers.authorization && !req.headers['x-amz-target'] && !url.searchParams.has('Action') && !url.searchParams.has('X-Amz-Credential');

/** A certificate (chain) and its private key, PEM: the whole port speaks HTTPS. */
export interface TlsPair { cert: string | Buffer; key: string | Buffer }

export function createGateway(app: AppContext, services: readonly ServiceDef[], limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
  tls?: TlsPair): Gateway {
  const handle = createPipeline(app, services);
  const exact = new Map<string, Route>();
  const prefixes: Array<[string, Route]> = [];
  const upgrades: Array<[string, UpgradeHandler]> = [];
  let landing: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const find = (path: string) => exact.get(path) ?? prefixes.find(([p]) => path.startsWith(p))?.[1];
  const add = (path: string, route: Route, prefix?: boolean) => {
    if (prefix) { prefixes.push([path, route]); prefixes.sort((a, b) => b[0].length - a[0].length); } else exact.set(path, route);
  };

  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs,
    // How often Node checks the two timeouts above (its default, 30 s, would blur them).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = find(url.pathname);
    const refuse = async (body: Buffer) => {
      const denied = isGuarded(url.pathname) ? await guardOperational(app, req, body) : undefined;
      if (denied) res.writeHead(denied.status, { 'content-type': 'application/json' }).end(JSON.stringify({ __type: denied.code, message: denied.message }));
      return denied !== undefined;
    };
    if (route?.stream) {
      try { if (!(await refuse(Buffer.alloc(0)))) await route.handler(req, res); } catch (err) { fail(err); }
      return;
    }
    if (!route && landing && isLanding(req, url)) { landing(req, res); return; }
    const headers = headersOf(req);
    const limit: Limit = route ? { bytes: route.maxBodyBytes }
      : limitFor({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers }, services);
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > limit.bytes) { tooBig(limit, declared); return; }
    let body: Buffer | undefined;
    try {
      body = await readBody(req, limit.bytes);
    } catch {
      // The client went away mid-body (ECONNRESET "aborted"): no one to answer, nothing to do.
      res.destroy();
      return;
    }
    if (!body) { tooBig(limit, undefined); return; }
    try {
      if (route) { if (!(await refuse(body))) await route.handler(req, res, body); return; }
      const raw: RawRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body, origin: originOf(req) };
      const out = await handle(raw);
      res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
      res.end(out.body);
    } catch (err) {
      fail(err);
    }
    /** 413 without reading (the rest of) the body: the connection closes after the answer. */
    function tooBig(l: Limit, size: number | undefined) {
      const out = tooLarge(l, size, app.ids.uuid());
      res.writeHead(out.status, { ...out.headers, connection: 'close', 'content-length': Buffer.byteLength(out.body) });
      res.end(out.body);
      req.resume();
    }
    function fail(err: unknown) {
      console.error('request failed', err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    }
  };
  // https.Server is an http.Server underneath (same events, same limits): one code path for both.
  const server: Server = tls ? createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, listener) : createServer(serverOptions, listener);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = upgrades.find(([prefix]) => path.startsWith(prefix));
    if (match) match[1](req, socket, head);
    else socket.destroy();
  });

  return {
    server,
    route: (path, handler, options) => add(path, { stream: false, handler, maxBodyBytes: options?.maxBodyBytes ?? ROUTE_LIMIT }, options?.prefix),
    streamRoute: (path, handler, options) => add(path, { stream: true, handler }, options?.prefix),
    upgrade: (prefix, handler) => { upgrades.push([prefix, handler]); },
    landing: (handler) => { landing = handler; },
  };
}
