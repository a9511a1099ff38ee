// Stage 3: who is calling. Default mode accepts any credentials: the account is the access key
// when it is exactly 12 digits, else 000000000000. Strict SigV4 verification and IAM
// authorization plug in here (the IAM issue) without changing the stages around it.
import { DEFAULT_ACCOUNT } from '../common/arn.js';
import type { IncomingMessage } from 'node:http';
import type { Caller, Principal } from '../services/context.js';
import { credentialScope, type CredentialScope } from './resolve.js';



export function authenticate(scope: CredentialScope | undefined): Principal {
  const accessKeyId = scope?.accessKeyId ?? 'anonymous';
  const account = /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT;
  return { accessKeyId, account, arn: `arn:aws:iam::${account}:root` };
}

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
