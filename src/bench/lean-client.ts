// A lean awsJson1_1 client for load generation: the same SigV4-signed POST the SDK sends (same
// target header, content type and JSON body), without the SDK's middleware stack, so that the load
// generator is not the bottleneck on a 2-core machine. Both servers get byte-identical requests.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import http from 'node:http';

const TARGET = 'AmazonEC2ContainerServiceV20141113';

interface Command { input: object; constructor: { name: string } }

export class LeanEcsClient {
  private readonly url: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly signer: SignatureV4;

  /** Signed headers of identical requests are reused for a minute (a signature stays valid for
   *  15): signing is the load generator's largest cost, and both servers get the same requests. */
  private readonly signatures = new Map<string, { at: number; request: { headers: Record<string, string> } }>();

  constructor(endpoint: string, credentials = { accessKeyId: 'test', secretAccessKey: 'test' }) {
    this.url = new URL(endpoint);
    this.signer = new SignatureV4({ service: 'ecs', region: 'us-east-1', sha256: Sha256, credentials });
  }

  /** Sends an SDK command object's input; resolves with the parsed JSON output, rejects with the AWS error. */
  async send<T = Record<string, unknown>>(command: Command): Promise<T> {
    const op = command.constructor.name.replace(/Command$/, '');
    const body = JSON.stringify(command.input);
    const cacheKey = `${op}\n${body}`;
    const cached = this.signatures.get(cacheKey);
    const signed = cached && cached.at > Date.now() - 60_000 ? cached.request : await this.signer.sign({
      method: 'POST', protocol: 'http:', hostname: this.url.hostname, port: Number(this.url.port), path: '/', query: {},
      headers: { host: this.url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}.${op}` },
      body,
    });
    if (!cached || cached.request !== signed) this.signatures.set(cacheKey, { at: Date.now(), request: signed });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: this.url.hostname, port: this.url.port, method: 'POST', path: '/', agent: this.agent,
        headers: { ...signed.headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    const parsed = text ? JSON.parse(text) as Record<string, unknown> : {};
    if (status !== 200) {
      const err = new Error(String(parsed.message ?? parsed.Message ?? text)) as Error & { $metadata: { httpStatusCode: number } };
      err.name = String(parsed.__type ?? 'Error').split('#').pop()!;
      err.$metadata = { httpStatusCode: status };
      throw err;
    }
    return parsed as T;
  }

  destroy() { this.agent.destroy(); }
}
