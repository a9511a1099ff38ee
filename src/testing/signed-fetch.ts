// fetch() with a SigV4 signature made by the SDK's own signer: for raw requests in strict-mode
// tests (operational endpoints, hand-built API calls).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

export interface SignedFetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  service?: string;
  region?: string;
  signingDate?: Date;
}

/** Signs and sends a request to `url` (header signature over the hashed body). */
export async function signedFetch(url: string, credentials: SigningCredentials, options: SignedFetchOptions = {}): Promise<Response> {
  const u = new URL(url);
  const query: Record<string, string> = {};
  u.searchParams.forEach((v, k) => { query[k] = v; });
  const signer = new SignatureV4({ credentials, region: options.region ?? 'us-east-1', service: options.service ?? 'ecs', sha256: Sha256 });
  const signed = await signer.sign({
    method: options.method ?? 'GET', protocol: u.protocol, hostname: u.hostname, port: u.port ? Number(u.port) : undefined,
    path: u.pathname, query, headers: { host: u.host, ...options.headers }, body: options.body,
  }, { signingDate: options.signingDate });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = String(v);
  return fetch(url, { method: options.method ?? 'GET', headers, body: options.body });
}
