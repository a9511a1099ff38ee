// The one HTTP listener: routes services own (operational endpoints, registries…), websocket
// upgrades for agents, and every AWS API request through the pipeline.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { RawRequest } from '../protocol/types.js';
import type { AppContext } from '../services/context.js';
import type { RouteHandler, ServiceDef, StreamRouteHandler, UpgradeHandler } from '../services/types.js';
import { guardOperational, isGuarded } from './operational.js';
import { createPipeline } from './pipeline.js';

export interface Gateway {
  server: Server;
  /** A route: exact path (any method), or every path under it with { prefix: true }. */
  route(path: string, handler: RouteHandler, options?: { prefix?: boolean }): void;
  /** A route whose handler reads the request body itself. */
  streamRoute(path: string, handler: StreamRouteHandler, options?: { prefix?: boolean }): void;
  /** Websocket (or other) upgrades whose path starts with prefix. */
  upgrade(prefix: string, handler: UpgradeHandler): void;
}

const MAX_BODY = 64 * 1024 * 1024;

/** The request body, or undefined when it is larger than MAX_BODY; rejects if the client aborts. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

type Route = { stream: false; handler: RouteHandler } | { stream: true; handler: StreamRouteHandler };

export function createGateway(app: AppContext, services: readonly ServiceDef[]): Gateway {
  const handle = createPipeline(app, services);
  const exact = new Map<string, Route>();
  const prefixes: Array<[string, Route]> = [];
  const upgrades: Array<[string, UpgradeHandler]> = [];
  const find = (path: string) => exact.get(path) ?? prefixes.find(([p]) => path.startsWith(p))?.[1];
  const add = (path: string, route: Route, prefix?: boolean) => {
    if (prefix) { prefixes.push([path, route]); prefixes.sort((a, b) => b[0].length - a[0].length); } else exact.set(path, route);
  };

  const server = createServer(async (req, res) => {
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
    let body: Buffer | undefined;
    try {
      body = await readBody(req);
    } catch {
      // The client went away mid-body (ECONNRESET "aborted"): no one to answer, nothing to do.
      res.destroy();
      return;
    }
    if (!body) { res.writeHead(413, { connection: 'close' }).end(); return; }
    try {
      if (route) { if (!(await refuse(body))) await route.handler(req, res, body); return; }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const raw: RawRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body };
      const out = await handle(raw);
      res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
      res.end(out.body);
    } catch (err) {
      fail(err);
    }
    function fail(err: unknown) {
      console.error('request failed', err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    }
  });
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = upgrades.find(([prefix]) => path.startsWith(prefix));
    if (match) match[1](req, socket, head);
    else socket.destroy();
  });

  return {
    server,
    route: (path, handler, options) => add(path, { stream: false, handler }, options?.prefix),
    streamRoute: (path, handler, options) => add(path, { stream: true, handler }, options?.prefix),
    upgrade: (prefix, handler) => { upgrades.push([prefix, handler]); },
  };
}
