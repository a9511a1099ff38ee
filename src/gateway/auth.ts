// Stage 3: who is calling. Default mode accepts any credentials: the account is the access key
// when it is exactly 12 digits, else 000000000000. Strict SigV4 verification and IAM
// authorization plug in here (the IAM issue) without changing the stages around it.
import { DEFAULT_ACCOUNT, isRegion, rootArn } from '../common/arn.js';
import { AwsError } from '../common/errors.js';
import type { IncomingMessage } from 'node:http';
import type { Caller, Principal } from '../services/context.js';
import { credentialScope, type CredentialScope } from './resolve.js';



export function authenticate(scope: CredentialScope | undefined, json = true): Principal {
  const accessKeyId = scope?.accessKeyId ?? 'anonymous';
  const account = /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT;
  const region = scope?.region ?? 'us-east-1';
  if (!isRegion(region)) throw invalidRegion(region, json);
  return { accessKeyId, account, arn: rootArn(region, account) };
}

/** AWS's answer to a credential scope whose region is not a region (never put into an ARN). */
export const invalidRegion = (region: string, json: boolean) => new AwsError(json ? 'InvalidSignatureException' : 'SignatureDoesNotMatch',
  `Credential should be scoped to a valid region, not '${region.slice(0, 64)}'. `, 403);

/** The authenticate stage for a request that reached a route or upgrade rather than the pipeline
 *  (agent websockets, registries): the same decision, as a Caller in the credential scope's region. */
export async function authenticateRequest(req: IncomingMessage): Promise<Caller> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const scope = credentialScope({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body: Buffer.alloc(0) });
  const principal = authenticate(scope);
  return { account: principal.account, region: scope?.region ?? 'us-east-1', accessKeyId: principal.accessKeyId, principalArn: principal.arn };
}
