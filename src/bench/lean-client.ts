// A lean awsJson1_1 client for load generation: the same SigV4-signed POST the SDK sends (same
// target header, content type and JSON body), without the SDK's middleware stack, so that the load
// generator is not the bottleneck on a 2-core machine. Both servers get byte-identical requests.
//
// It speaks HTTP/1.1 on one socket of its own (http1.ts), not through node:http's client: on a
// 2-core machine the load generator shares the CPU with the server it measures, and node:http's
// per-request machinery (agents, ClientRequest, header validation, streams) cost about as much
// as a cheap read on the server.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { Http1Connection } from './http1.js';

const TARGET = 'AmazonEC2ContainerServiceV20141113';

interface Command { input: object; constructor: { name: string } }

export class LeanEcsClient {
  private readonly url: URL;
  private readonly connection: Http1Connection;
  private readonly signer: SignatureV4;

  /** Signed requests (head and body bytes) of identical calls are reused for a minute (a signature
   *  stays valid for 15): signing is the load generator's largest cost, and both servers get the
   *  same requests. */
  private readonly signed = new Map<string, { at: number; request: Buffer }>();

  constructor(endpoint: string, credentials = { accessKeyId: 'test', secretAccessKey: 'test' }) {
    this.url = new URL(endpoint);
    this.connection = new Http1Connection(this.url.hostname, Number(this.url.port || 80));
    this.signer = new SignatureV4({ service: 'ecs', region: 'us-east-1', sha256: Sha256, credentials });
  }

  /** Sends an SDK command object's input; resolves with the parsed JSON output, rejects with the AWS error. */
  async send<T = Record<string, unknown>>(command: Command): Promise<T> {
    const op = command.constructor.name.replace(/Command$/, '');
    const body = JSON.stringify(command.input);
    const cacheKey = `${op}\n${body}`;
    let cached = this.signed.get(cacheKey);
    if (!cached || cached.at <= Date.now() - 60_000) {
      const signed = await this.signer.sign({
        method: 'POST', protocol: 'http:', hostname: this.url.hostname, port: Number(this.url.port), path: '/', query: {},
        headers: { host: this.url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}.${op}` },
        body,
      });
      const head = Object.entries({ ...signed.headers, 'content-length': String(Buffer.byteLength(body)) })
        .map(([k, v]) => `${k}: ${v}\r\n`).join('');
      cached = { at: Date.now(), request: Buffer.from(`POST / HTTP/1.1\r\n${head}\r\n${body}`) };
      this.signed.set(cacheKey, cached);
    }
    const { status, body: text } = await this.connection.request(cached.request);
    const parsed = text ? JSON.parse(text) as Record<string, unknown> : {};
    if (status !== 200) {
      const err = new Error(String(parsed.message ?? parsed.Message ?? text)) as Error & { $metadata: { httpStatusCode: number } };
      err.name = String(parsed.__type ?? 'Error').split('#').pop()!;
      err.$metadata = { httpStatusCode: status };
      throw err;
    }
    return parsed as T;
  }

  destroy() { this.connection.close(); }
}
