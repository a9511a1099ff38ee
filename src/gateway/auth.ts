// Stage 3: who is calling.
//   open mode (local development): any signature passes; the account is the access key when it is
//     exactly 12 digits, else 000000000000; the principal is that account's root.
//   strict mode: the request must carry a SigV4 signature (header or presigned query) made with an
//     access key the server knows (app.credentials: the root key, IAM users' keys, STS sessions),
//     within the clock-skew window, over what the server received; temporary credentials must
//     present their session token and be unexpired.
// Failures are AWS's errors, named as the service's protocol names them (awsJson services:
// UnrecognizedClientException, InvalidSignatureException…; query services: InvalidClientTokenId,
// SignatureDoesNotMatch…).
import { DEFAULT_ACCOUNT, isRegion, rootArn } from '../common/arn.js';
import { AwsError } from '../common/errors.js';
import type { IncomingMessage } from 'node:http';
import type { ProtocolName, RawRequest } from '../protocol/types.js';
import type { AppContext, Caller, Principal } from '../services/context.js';
import { credentialScope, type CredentialScope } from './resolve.js';
import { parseSignature, SigV4Failure, verifySignature } from './sigv4.js';

type Failure = SigV4Failure['kind'] | 'unknownKey' | 'tokenExpired';

// [awsJson code, awsJson status, query code, query status]
const CODES: Record<Failure, [string, number, string, number]> = {
  missing: ['MissingAuthenticationTokenException', 400, 'MissingAuthenticationToken', 403],
  incomplete: ['IncompleteSignatureException', 400, 'IncompleteSignature', 400],
  unknownKey: ['UnrecognizedClientException', 400, 'InvalidClientTokenId', 403],
  signature: ['InvalidSignatureException', 400, 'SignatureDoesNotMatch', 403],
  expired: ['InvalidSignatureException', 400, 'SignatureDoesNotMatch', 403],
  requestExpired: ['RequestExpired', 400, 'RequestExpired', 400],
  tokenExpired: ['ExpiredTokenException', 400, 'ExpiredToken', 403],
};

const MESSAGES: Partial<Record<Failure, [string, string]>> = {
  missing: ['Missing Authentication Token', 'Request is missing Authentication Token'],
  unknownKey: ['The security token included in the request is invalid.', 'The security token included in the request is invalid.'],
  tokenExpired: ['The security token included in the request is expired', 'The security token included in the request is expired'],
};

/** The AWS error for an authentication failure, as the protocol names it. */
export function authError(kind: Failure, protocol: ProtocolName, message = ''): AwsError {
  const [jsonCode, jsonStatus, queryCode, queryStatus] = CODES[kind];
  const json = protocol.startsWith('awsJson');
  const fixed = MESSAGES[kind];
  return new AwsError(json ? jsonCode : queryCode, fixed ? fixed[json ? 0 : 1] : message, json ? jsonStatus : queryStatus);
}

/** Open mode: the caller is whoever the access key says. */
export function openPrincipal(scope: CredentialScope | undefined): Principal {
  const accessKeyId = scope?.accessKeyId ?? 'anonymous';
  const account = /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT;
  return { accessKeyId, account, arn: rootArn(scope?.region ?? 'us-east-1', account) };
}

export const isStrict = (app: AppContext) => app.config.auth === 'strict';

/** The authenticate stage: the principal who signed `req`, or an AwsError in `protocol`'s terms. */
export async function authenticate(app: AppContext, req: RawRequest, scope: CredentialScope | undefined, protocol: ProtocolName): Promise<Principal> {
  // In either mode, a region that is not a region never reaches an ARN.
  const region = scope?.region ?? 'us-east-1';
  if (!isRegion(region)) throw invalidRegion(region, protocol.startsWith('awsJson'));
  if (!isStrict(app)) return openPrincipal(scope);
  try {
    const sig = parseSignature(req);
    if (!sig) throw authError('missing', protocol);
    const credential = await app.credentials(sig.accessKeyId);
    if (!credential) throw authError('unknownKey', protocol);
    // A session token must come with exactly the key it was issued with, and long-term keys take none.
    if ((sig.sessionToken ?? '') !== (credential.sessionToken ?? '')) throw authError('unknownKey', protocol);
    // As AWS does, an expired session token is reported before the signature is looked at.
    if (credential.expiration && Date.parse(credential.expiration) <= app.clock.now().getTime()) throw authError('tokenExpired', protocol);
    verifySignature(req, sig, credential.secretAccessKey, app.clock.now());
    return { accessKeyId: credential.accessKeyId, account: credential.account, arn: credential.principalArn };
  } catch (err) {
    if (err instanceof SigV4Failure) throw authError(err.kind, protocol, err.message);
    throw err;
  }
}

/** AWS's answer to a credential scope whose region is not a region. */
export const invalidRegion = (region: string, json: boolean) => new AwsError(json ? 'InvalidSignatureException' : 'SignatureDoesNotMatch',
  `Credential should be scoped to a valid region, not '${region.slice(0, 64)}'. `, json ? 400 : 403);

/** A Node request with its body as the pipeline's RawRequest. */
export function rawRequest(req: IncomingMessage, body: Buffer = Buffer.alloc(0)): RawRequest {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body };
}

/** The authenticate stage for a request that reached a route or upgrade rather than the pipeline
 *  (agent websockets, registries): the same decision, as a Caller in the credential scope's region.
 *  Errors are named as awsJson services name them (the agent's ECS). */
export function requestAuthenticator(app: AppContext) {
  return async (req: IncomingMessage, body?: Buffer): Promise<Caller> => {
    const raw = rawRequest(req, body);
    const scope = credentialScope(raw);
    const principal = await authenticate(app, raw, scope, 'awsJson1_1');
    return { account: principal.account, region: scope?.region ?? 'us-east-1', accessKeyId: principal.accessKeyId, principalArn: principal.arn };
  };
}
