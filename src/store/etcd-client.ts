// A small client for etcd's v3 API through its JSON gRPC gateway (served on the client port since
// etcd 3.4): unary POSTs (/v3/kv/range, /v3/kv/txn, /v3/lease/grant, …) and streaming POSTs
// (/v3/watch, /v3/lease/keepalive) whose responses are newline-separated JSON messages. node:http
// only, no gRPC stack. Several endpoints: a request that cannot connect moves on to the next one.
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';

/** etcd's JSON: int64s as decimal strings, bytes as base64, zero values omitted. */
export interface EtcdKv {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}
export interface EtcdHeader { revision?: string }

export class EtcdError extends Error {
  constructor(readonly path: string, readonly status: number, readonly grpcCode: number | undefined, message: string) {
    super(`etcd ${path}: ${message}`);
    this.name = 'EtcdError';
  }
}

interface Endpoint { host: string; port: number }

/** Failures where the request cannot have reached etcd, so trying another endpoint is safe. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNARY_TIMEOUT_MS = 30_000;

export class EtcdClient {
  private readonly endpoints: Endpoint[];
  private current = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private readonly streams = new Set<ClientRequest>();

  /** hosts: ["host:port", …] */
  constructor(hosts: string[]) {
    if (hosts.length === 0) throw new Error('etcd: no endpoints given');
    this.endpoints = hosts.map((h) => {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(h);
      if (!m) throw new Error(`etcd endpoint ${JSON.stringify(h)} is not host:port`);
      return { host: m[1], port: Number(m[2]) };
    });
  }

  get endpointCount() { return this.endpoints.length; }
  get endpoint() { const e = this.endpoints[this.current]; return `${e.host}:${e.port}`; }

  /** One request/response call. Reads (idempotent) also move on after a connection that broke. */
  async call<T>(path: string, body: object, idempotent = false): Promise<T> {
    let lastError: unknown;
    let staleRetries = 0;
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const index = this.current;
      try {
        return await this.once<T>(index, path, body);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A pooled keep-alive connection that etcd (or the network) closed while idle: the request
        // never reached a live server. Node's documented case for a retry on a fresh connection.
        if ((err as { reusedSocket?: boolean }).reusedSocket && code === 'ECONNRESET' && staleRetries++ < 2) { attempt--; continue; }
        if (err instanceof EtcdError || !code || !(NOT_SENT.has(code) || (idempotent && code === 'ECONNRESET'))) throw err;
        lastError = err;
        this.failed(index);
      }
    }
    throw lastError;
  }

  /** A streaming call: onMessage gets each JSON message; resolves when the response ends. The
   *  returned cancel() ends it early (then it resolves too). */
  stream(path: string, body: object, onMessage: (message: unknown) => void): { done: Promise<void>; cancel: () => void } {
    const index = this.current;
    const { host, port } = this.endpoints[index];
    let cancelled = false;
    let req: ClientRequest | undefined;
    const done = new Promise<void>((resolve, reject) => {
      const payload = JSON.stringify(body);
      req = request({ host, port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } });
      this.streams.add(req);
      req.on('socket', (s) => s.setKeepAlive(true, 10_000));
      req.on('error', (err) => {
        if (cancelled) { resolve(); return; }
        if (NOT_SENT.has((err as NodeJS.ErrnoException).code ?? '')) this.failed(index);
        reject(err);
      });
      req.on('close', () => { this.streams.delete(req!); if (cancelled) resolve(); });
      req.on('response', (res) => {
        if (res.statusCode !== 200) { readAll(res).then((text) => reject(toError(path, res.statusCode ?? 0, text)), reject); return; }
        let buffer = '';
        /** A message that is not JSON (or a listener that throws) ends the stream with that error. */
        const deliver = (text: string) => {
          try { onMessage(JSON.parse(text)); return true; } catch (err) { reject(err); req!.destroy(); return false; }
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (line && !cancelled && !deliver(line)) return;
          }
        });
        res.on('end', () => {
          if (buffer.trim() && !cancelled && !deliver(buffer)) return;
          resolve();
        });
        res.on('error', (err) => (cancelled ? resolve() : reject(err)));
      });
      req.end(payload);
    });
    return { done, cancel: () => { cancelled = true; req?.destroy(); } };
  }

  close() {
    for (const req of this.streams) req.destroy();
    this.agent.destroy();
  }

  /** Moves off an endpoint that failed, unless a concurrent request already did. */
  private failed(index: number) {
    if (this.current === index) this.current = (index + 1) % this.endpoints.length;
  }

  private once<T>(index: number, path: string, body: object): Promise<T> {
    const { host, port } = this.endpoints[index];
    const payload = JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request({ host, port, path, method: 'POST', agent: this.agent, timeout: UNARY_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } });
      req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
      req.on('timeout', () => req.destroy(Object.assign(new Error(`etcd ${path}: no answer within ${UNARY_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })));
      req.on('response', (res) => {
        readAll(res).then((text) => {
          if (res.statusCode !== 200) { reject(toError(path, res.statusCode ?? 0, text)); return; }
          const message = JSON.parse(text) as T & { error?: string };
          // lease grant reports some failures in the body with status 200
          if (typeof message.error === 'string' && message.error) reject(new EtcdError(path, 200, undefined, message.error));
          else resolve(message);
        }, reject);
      });
      req.end(payload);
    });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function toError(path: string, status: number, text: string) {
  try {
    const body = JSON.parse(text) as { error?: string; message?: string; code?: number };
    return new EtcdError(path, status, body.code, body.message ?? body.error ?? text);
  } catch {
    return new EtcdError(path, status, undefined, text || `HTTP ${status}`);
  }
}

export const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');
export const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
export const num = (s: string | undefined) => Number(s ?? 0);

/** The smallest key after every key starting with prefix (etcd's range_end for a prefix);
 *  [0] (= "to the end") when there is none. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) { end[i]++; return end.subarray(0, i + 1); }
  }
  return Buffer.from([0]);
}
