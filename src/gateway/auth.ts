// Stage 3: who is calling. Default mode accepts any credentials: the account is the access key
// when it is exactly 12 digits, else 000000000000. Strict SigV4 verification and IAM
// authorization plug in here (the IAM issue) without changing the stages around it.
import type { CredentialScope } from './resolve.js';

export const DEFAULT_ACCOUNT = '000000000000';

export interface Principal { accessKeyId: string; account: string; arn: string }

export function authenticate(scope: CredentialScope | undefined): Principal {
  const accessKeyId = scope?.accessKeyId ?? 'anonymous';
  const account = /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT;
  return { accessKeyId, account, arn: `arn:aws:iam::${account}:root` };
}
