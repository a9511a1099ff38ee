// The one HTTP listener: operational endpoints under /_berth/, websocket upgrades for agents, and
// every AWS API request through the pipeline.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawRequest } from '../protocol/types.js';
import type { ServiceDef } from '../services/types.js';
import type { AppContext } from './context.js';
import { createPipeline } from './pipeline.js';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface Gateway {
  server: Server;
  /** Routes under /_berth/ (exact path, any method). */
  route(path: string, handler: RouteHandler): void;
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

export function createGateway(app: AppContext, services: readonly ServiceDef[]): Gateway {
  const handle = createPipeline(app, services);
  const routes = new Map<string, RouteHandler>();
  const upgrades: Array<[string, UpgradeHandler]> = [];

  const server = createServer(async (req, res) => {
    let body: Buffer | undefined;
    try {
      body = await readBody(req);
    } catch {
      // The client went away mid-body (ECONNRESET "aborted"): no one to answer, nothing to do.
      res.destroy();
      return;
    }
    if (!body) { res.writeHead(413, { connection: 'close' }).end(); return; }
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      const route = routes.get(url.pathname);
      if (route) { await route(req, res, body); return; }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const raw: RawRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body };
      const out = await handle(raw);
      res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
      res.end(out.body);
    } catch (err) {
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
    route: (path, handler) => { routes.set(path, handler); },
    upgrade: (prefix, handler) => { upgrades.push([prefix, handler]); },
  };
}
