import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { RequestContext } from '../../gateway/context.js';
import type { Handlers } from '../types.js';

export function getCallerIdentity(_input: unknown, ctx: RequestContext): GetCallerIdentityResponse {
  return { UserId: ctx.account === ctx.accessKeyId ? ctx.account : ctx.accessKeyId, Account: ctx.account, Arn: ctx.principalArn };
}

export const handlers: Handlers = { getCallerIdentity };
