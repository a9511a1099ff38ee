// Requests the CLI sends to Berth's operational endpoints, SigV4-signed (service ecs) with the
// environment's credentials when it has them: strict mode requires the root key there.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** POSTs JSON to `url`, signed when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set. */
export async function postJson(url: string, body: string, env = process.env): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return fetch(url, { method: 'POST', headers, body });
  const u = new URL(url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN },
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1', service: 'ecs', sha256: Sha256,
  });
  const signed = await signer.sign({ method: 'POST', protocol: u.protocol, hostname: u.hostname, port: u.port ? Number(u.port) : undefined, path: u.pathname, headers: { ...headers, host: u.host }, body });
  const sent: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') sent[k] = String(v);
  return fetch(url, { method: 'POST', headers: sent, body });
}
