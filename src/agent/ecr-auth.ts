// Registry credentials for images in Berth's ECR: what the ECS agent does with the execution
// role's credentials (GetAuthorizationToken, then X-Registry-Auth on the pull): with the task's
// execution role credentials when ECS sent some, else with the agent's own credentials. An image is Berth's when its registry host is the server's (the
// endpoint's host, or the proxyEndpoint GetAuthorizationToken answers); anything else is pulled
// anonymously. Tokens are cached until shortly before they expire.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { Credentials } from './acs-client.js';
import { sdkTls, type TlsTrust } from './tls-trust.js';

/** The registry host an image names ("host:port/x/y:tag" → "host:port"), or undefined for Docker Hub. */
export function registryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

interface Cached { auth: string; host: string; refreshAt: number }

export interface EcrAuthOptions {
  endpoint: string; region: string; credentials: Credentials; log?: (line: string) => void;
  /** The execution role credentials of a task, when it has them. */
  executionCredentials?: (taskArn: string) => Credentials | undefined;
  /** The CA list for an HTTPS server (tls-trust.ts). */
  tls?: TlsTrust;
}

export class EcrRegistryAuth {
  private readonly ecr: ECRClient;
  private readonly endpointHost: string;
  private cached?: Cached;
  /** Tokens got with execution role credentials, by access key id. */
  private readonly byKey = new Map<string, Cached>();

  constructor(private readonly opts: EcrAuthOptions, private readonly now = () => Date.now()) {
    this.ecr = new ECRClient({ endpoint: opts.endpoint, region: opts.region, credentials: opts.credentials, maxAttempts: 2, ...sdkTls(opts.tls) });
    this.endpointHost = new URL(opts.endpoint).host;
    this.log = opts.log ?? (() => {});
  }

  private readonly log: (line: string) => void;

  /** The X-Registry-Auth header for pulling image, or undefined when it is not in Berth's ECR. */
  readonly forImage = async (image: string, taskArn?: string): Promise<string | undefined> => {
    const host = registryOf(image);
    if (!host) return undefined;
    if (host !== this.endpointHost && this.cached && host !== this.cached.host) return undefined;
    const execution = taskArn === undefined ? undefined : this.opts.executionCredentials?.(taskArn);
    const token = execution ? await this.executionToken(execution) : await this.token();
    return token && (host === token.host || host === this.endpointHost) ? token.auth : undefined;
  };

  private async executionToken(credentials: Credentials): Promise<Cached | undefined> {
    const have = this.byKey.get(credentials.accessKeyId);
    if (have && have.refreshAt > this.now()) return have;
    const ecr = new ECRClient({ endpoint: this.opts.endpoint, region: this.opts.region, credentials, maxAttempts: 2, ...sdkTls(this.opts.tls) });
    try {
      const token = await this.fetch(ecr);
      if (this.byKey.size > 1000) this.byKey.clear();
      if (token) this.byKey.set(credentials.accessKeyId, token);
      return token;
    } finally {
      ecr.destroy();
    }
  }

  private async token(): Promise<Cached | undefined> {
    if (this.cached && this.cached.refreshAt > this.now()) return this.cached;
    this.cached = await this.fetch(this.ecr);
    return this.cached;
  }

  private async fetch(ecr: ECRClient): Promise<Cached | undefined> {
    try {
      const out = await ecr.send(new GetAuthorizationTokenCommand({}));
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken || !data.proxyEndpoint) return undefined;
      const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const host = new URL(data.proxyEndpoint).host;
      // The engine decodes base64url *with* padding (Go's base64.URLEncoding); Node's 'base64url' drops it.
      const auth = Buffer.from(JSON.stringify({ username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: host }))
        .toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
      const expires = data.expiresAt?.getTime() ?? this.now() + 3600_000;
      return { auth, host, refreshAt: Math.max(this.now(), expires - 30 * 60_000) };
    } catch (err) {
      this.log(`ECR GetAuthorizationToken failed, pulling anonymously: ${(err as Error).message}`);
      return undefined;
    }
  }

  close(): void { this.ecr.destroy(); }
}
