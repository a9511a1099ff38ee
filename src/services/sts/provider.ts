import type * as Sts from '@aws-sdk/client-sts';
import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { RequestContext } from '../context.js';
import { handlersOf, type Provider } from '../types.js';

export function getCallerIdentity(_input: unknown, ctx: RequestContext): GetCallerIdentityResponse {
  return { UserId: ctx.account === ctx.accessKeyId ? ctx.account : ctx.accessKeyId, Account: ctx.account, Arn: ctx.principalArn };
}

export const provider = { getCallerIdentity } satisfies Provider<typeof Sts>;
export const handlers = handlersOf<typeof Sts>(provider);
