// The agent's state reports on the wire: SubmitTaskStateChange as the SDK sends it (awsJson1_1 POST
// with X-Amz-Target, the body written by the SDK's own schema serializer, SigV4-signed) without
// the SDK's per-call middleware stack. A report goes out for every task change of every agent (a
// simulated fleet sends thousands a second from one process), so its cost matters: signing is
// sigv4-signer.ts's, and the request rides the agent's keep-alive connection pool.
// Failures keep the SDK's error shape the reporter relies on: name, $fault, $metadata.
import { JsonShapeSerializer } from '@aws-sdk/core';
import { SubmitTaskStateChange$, type SubmitTaskStateChangeRequest } from '@aws-sdk/client-ecs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Credentials } from './acs-client.js';
import { sign } from './sigv4-signer.js';
import type { ConnectionPool } from './tls-trust.js';

const TARGET = 'AmazonEC2ContainerServiceV20141113';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const settings = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

export interface ReportClientOptions {
  endpoint: string;
  region: string;
  credentials: Credentials;
  pool: ConnectionPool;
  /** Connecting may take this long (default 3 s), and an answer this long after (default 10 s),
   *  the bounds the agent's SDK clients have. */
  connectMs?: number;
  requestMs?: number;
}

/** An AWS error as the SDK shapes it. */
export type ReportError = Error & { $fault: 'client' | 'server'; $metadata: { httpStatusCode?: number } };

export class ReportClient {
  private readonly url: URL;
  private readonly https: boolean;

  constructor(private readonly opts: ReportClientOptions) {
    this.url = new URL(opts.endpoint);
    this.https = this.url.protocol === 'https:';
  }

  /** Sends one SubmitTaskStateChange; rejects with the server's AWS error (or a network one, $fault server). */
  async submitTaskStateChange(input: SubmitTaskStateChangeRequest): Promise<void> {
    const serializer = new JsonShapeSerializer(settings);
    serializer.write(SubmitTaskStateChange$[4] as never, input);
    const flushed: unknown = serializer.flush();
    await this.post('SubmitTaskStateChange', typeof flushed === 'string' ? flushed : '{}');
  }

  private post(operation: string, body: string): Promise<void> {
    const { url, opts } = this;
    const headers = sign({ method: 'POST', host: url.host, path: '/', body,
      headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': `${TARGET}.${operation}` } }, opts.credentials, opts.region);
    headers['content-length'] = String(Buffer.byteLength(body));
    const send = this.https ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      const req = send({
        host: url.hostname, port: url.port || (this.https ? 443 : 80), method: 'POST', path: '/', headers,
        agent: this.https ? opts.pool.httpsAgent : opts.pool.httpAgent,
      }, (res) => answer(res, resolve, reject));
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => req.destroy(networkError(`connecting to ${url.host} timed out`)), opts.connectMs ?? 3_000);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.setTimeout(opts.requestMs ?? 10_000, () => req.destroy(networkError(`no answer from ${url.host} within ${opts.requestMs ?? 10_000} ms`)));
      req.on('error', (err) => reject(Object.assign(err, { $fault: 'server', $metadata: {} })));
      req.end(body);
    });
  }
}

function answer(res: IncomingMessage, resolve: () => void, reject: (err: ReportError) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('error', (err) => reject(Object.assign(err, { $fault: 'server' as const, $metadata: {} })));
  res.on('end', () => {
    const status = res.statusCode ?? 0;
    if (status === 200) { resolve(); return; }
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: { __type?: string; message?: string; Message?: string } = {};
    try { parsed = JSON.parse(text) as typeof parsed; } catch { /* not JSON: the status tells */ }
    const name = (parsed.__type ?? String(res.headers['x-amzn-errortype'] ?? `Http${status}`)).split('#').pop()!.split(':')[0];
    const err = new Error(parsed.message ?? parsed.Message ?? (text.slice(0, 200) || `HTTP ${status}`)) as ReportError;
    err.name = name;
    // Throttling and server faults are worth retrying; any other 4xx is the server refusing the report.
    err.$fault = status >= 500 || status === 429 || /Throttl/.test(name) ? 'server' : 'client';
    err.$metadata = { httpStatusCode: status };
    reject(err);
  });
}

const networkError = (message: string) => Object.assign(new Error(message), { name: 'TimeoutError' });
