// A small Docker Engine API client over node:http: unix socket or tcp:// (DOCKER_HOST), JSON
// requests, line-delimited JSON streams. Paths are unversioned (the engine's own API version);
// every field Berth uses exists unchanged since API 1.25.
import http from 'node:http';
import { RuntimeError } from './errors.js';

export interface DockerEndpoint { socketPath?: string; host?: string; port?: number }

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** unix:///path, tcp://host:port (plain HTTP; TLS is not supported), or undefined → the default socket. */
export function parseDockerHost(value: string | undefined = process.env.DOCKER_HOST): DockerEndpoint {
  if (!value) return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (value.startsWith('unix://')) return { socketPath: value.slice('unix://'.length) || DEFAULT_DOCKER_SOCKET };
  if (value.startsWith('tcp://') || value.startsWith('http://')) {
    const url = new URL(value.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  if (value.startsWith('/')) return { socketPath: value };
  throw new Error(`unsupported DOCKER_HOST ${JSON.stringify(value)}: use unix:///path or tcp://host:port`);
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions { query?: Query; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> }

export class DockerClient {
  readonly endpoint: DockerEndpoint;
  private readonly agent: http.Agent;

  constructor(endpoint: DockerEndpoint = parseDockerHost()) {
    this.endpoint = endpoint;
    this.agent = new http.Agent({ keepAlive: true });
  }

  /** A request whose response body is JSON (or empty); status ≥ 400 throws RuntimeError with the engine's message. */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const res = await this.send(method, path, options);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw new RuntimeError(engineMessage(text, status), status);
    return { status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** A request whose body is returned as text (logs, …); status ≥ 400 throws RuntimeError. */
  async text(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    const res = await this.send(method, path, options);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw new RuntimeError(engineMessage(text, status), status);
    return text;
  }

  /**
   * A streaming request: calls onObject for every JSON line of the body until the engine ends it
   * (or the signal aborts); onOpen runs once the engine accepted the request. Status ≥ 400 throws RuntimeError with the engine's message.
   */
  async stream(method: string, path: string, options: RequestOptions, onObject: (value: Record<string, unknown>) => void,
    onOpen?: () => void): Promise<void> {
    const res = await this.send(method, path, options);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw new RuntimeError(engineMessage(await readAll(res), status), status);
    onOpen?.();
    res.setEncoding('utf8');
    let buffer = '';
    const emit = (line: string) => {
      if (!line.trim()) return;
      onObject(JSON.parse(line) as Record<string, unknown>);
    };
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        try {
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            emit(line);
          }
        } catch (err) { res.destroy(); reject(err); }
      });
      res.on('end', () => {
        try { emit(buffer); resolve(); } catch (err) { reject(err); }
      });
      res.on('error', reject);
      res.on('close', () => { if (!res.complete) reject(new Error('the Docker engine closed the stream')); });
    });
  }

  /** A streaming request whose body arrives as raw chunks (container logs) until the engine ends
   *  it or the signal aborts. Status ≥ 400 throws RuntimeError with the engine's message. */
  async raw(method: string, path: string, options: RequestOptions, onChunk: (chunk: Buffer) => void): Promise<void> {
    const res = await this.send(method, path, options);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw new RuntimeError(engineMessage(await readAll(res), status), status);
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => { try { onChunk(chunk); } catch (err) { res.destroy(); reject(err); } });
      res.on('end', resolve);
      res.on('error', reject);
      res.on('close', () => { if (!res.complete) reject(new Error('the Docker engine closed the stream')); });
    });
  }

  close(): void { this.agent.destroy(); }

  private send(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const qs = options.query ? queryString(options.query) : '';
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    return new Promise((resolve, reject) => {
      const req = http.request({
        ...this.endpoint,
        agent: this.agent,
        method,
        path: qs ? `${path}?${qs}` : path,
        headers: {
          host: 'docker',
          ...options.headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
        signal: options.signal,
      }, resolve);
      req.on('error', (err) => reject(new Error(`cannot reach the Docker engine at ${describe(this.endpoint)}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
  }
}

export function describe(endpoint: DockerEndpoint): string {
  return endpoint.socketPath ? `unix://${endpoint.socketPath}` : `tcp://${endpoint.host}:${endpoint.port}`;
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  return params.toString();
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** The engine's error text: {"message": "..."} bodies, else the raw body. */
function engineMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
  } catch { /* not JSON */ }
  return text.trim() || `the Docker engine answered HTTP ${status}`;
}

/** Path segment for an image or container reference (keeps the / : @ the engine's router expects). */
export const ref = (name: string) => encodeURI(name).replace(/[?#]/g, encodeURIComponent);
