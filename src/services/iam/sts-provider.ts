// STS: temporary credentials for IAM's principals. AssumeRole checks the role's trust policy (and,
// unless the trust policy names the caller itself, the caller's identity policy), honours the
// session duration and session tags, and issues ASIA… keys with a session token that stop working
// at their expiration (the key record also lives on a store lease of that length, so it is gone
// soon after). GetSessionToken gives a user (or root) temporary keys acting as itself.
import type * as Sts from '@aws-sdk/client-sts';
import type { AssumeRoleResponse, GetCallerIdentityResponse, Tag } from '@aws-sdk/client-sts';
import { AwsError } from '../../common/errors.js';
import type { RequestContext } from '../context.js';
import { handlersOf, type Provider } from '../types.js';
import { accessDenied, decide, globalContext, IamCache, isServicePrincipal } from './authorize.js';
import { accessKeyKey, iamId, IamStore, newSecret, type AccessKeyRecord, type RoleRecord } from './model.js';
import { evaluate, parsePolicy, type PolicyRequest } from './policy.js';

const strict = (ctx: RequestContext) => ctx.app.config.auth === 'strict';
const isRoot = (ctx: RequestContext) => ctx.principalArn === `arn:aws:iam::${ctx.account}:root`;

function sessionToken(ctx: RequestContext): string {
  return `IQoJb3JpZ2luX2VjE${Buffer.from(ctx.app.ids.hex(256), 'hex').toString('base64')}`;
}

/** Stores a temporary key on a lease that outlives its expiration a little (expiry is also checked). */
async function issue(ctx: RequestContext, key: Omit<AccessKeyRecord, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'createDate' | 'status'>, seconds: number) {
  const now = ctx.app.clock.now();
  const record: AccessKeyRecord = {
    ...key, accessKeyId: iamId(ctx.app.ids, 'ASIA', 16), secretAccessKey: newSecret(ctx.app.ids), sessionToken: sessionToken(ctx),
    createDate: now.toISOString(), status: 'Active', expiration: new Date(now.getTime() + seconds * 1000).toISOString(),
  };
  const lease = await ctx.app.store.grantLease(seconds + 60);
  await ctx.app.store.txn([], [{ type: 'put', key: accessKeyKey(record.accessKeyId), value: JSON.stringify(record), lease: lease.id }]);
  return {
    record,
    credentials: { AccessKeyId: record.accessKeyId, SecretAccessKey: record.secretAccessKey, SessionToken: record.sessionToken!, Expiration: record.expiration as unknown as Date },
  };
}

function duration(value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (v < min) throw new AwsError('ValidationError', `1 validation error detected: Value '${v}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  if (v > max) throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  return v;
}

/** The caller as trust policies name principals: its ARN (roles by role ARN) and its account; a
 *  service principal by its name alone. */
function trustPrincipal(ctx: RequestContext): Record<string, string[]> {
  if (isServicePrincipal(ctx)) return { Service: [ctx.principalArn] };
  const roleArn = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(ctx.principalArn);
  const arns = [ctx.principalArn, `arn:aws:iam::${ctx.account}:root`, ctx.account];
  if (roleArn) arns.push(`arn:aws:iam::${roleArn[1]}:role/${roleArn[2]}`);
  return { AWS: arns };
}

export async function assumeRole(input: Sts.AssumeRoleRequest, ctx: RequestContext): Promise<AssumeRoleResponse> {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(input.RoleArn ?? '');
  const session = input.RoleSessionName ?? '';
  if (!/^[\w+=,.@-]{2,64}$/.test(session)) throw new AwsError('ValidationError', `1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  const denied = () => accessDenied(ctx, ctx.principalArn, 'sts:AssumeRole', input.RoleArn ?? '', { decision: 'ImplicitDeny', by: 'identity-based policy' });
  if (!m) throw new AwsError('ValidationError', `${input.RoleArn} is invalid`);
  const roleAccount = m[1];
  const role = (await new IamStore(ctx.app.store).get<RoleRecord>(roleAccount, 'role', m[2]))?.value;
  if (!role || role.Arn !== input.RoleArn) throw denied();
  const tags: Tag[] = input.Tags ?? [];
  if (strict(ctx) && isServicePrincipal(ctx)) {
    // A service principal has no identity policy: the role's trust policy alone decides.
    const trust = parsePolicy(role.AssumeRolePolicyDocument);
    const req: PolicyRequest = { action: 'sts:AssumeRole', resource: role.Arn, context: { 'aws:RequestedRegion': ctx.region }, principal: trustPrincipal(ctx) };
    if (tags.length || roleAccount !== ctx.account || evaluate([trust], req) !== 'Allow') throw denied();
  } else if (strict(ctx)) {
    const cache = new IamCache(ctx.app);
    const caller = await cache.principal(ctx.principalArn, ctx.accessKeyId);
    if (!caller) throw denied();
    const context = { ...globalContext(ctx.app, caller, ctx.region, ctx), ...(input.ExternalId ? { 'sts:ExternalId': input.ExternalId } : {}),
      ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])), 'aws:TagKeys': tags.map((t) => t.Key!) };
    const trust = parsePolicy(role.AssumeRolePolicyDocument);
    const actions = ['sts:AssumeRole', ...(tags.length ? ['sts:TagSession'] : [])];
    for (const action of actions) {
      const req: PolicyRequest = { action, resource: role.Arn, context, principal: trustPrincipal(ctx) };
      if (evaluate([trust], req) !== 'Allow') throw denied();
      // A trust policy that names the caller itself needs nothing more in the same account; one that
      // trusts the account (root) leaves the decision to the caller's identity policy.
      const namesCaller = evaluate([trust], { ...req, principal: { AWS: trustPrincipal(ctx).AWS.filter((a) => !a.endsWith(':root') && !/^\d{12}$/.test(a)) } }) === 'Allow';
      if (caller.type !== 'Account' && (!namesCaller || roleAccount !== ctx.account)) {
        const result = decide(caller, { action, resource: role.Arn, context });
        if (result.decision !== 'Allow') throw accessDenied(ctx, ctx.principalArn, action, role.Arn, result);
      } else if (caller.type !== 'Account' && decide(caller, { action, resource: role.Arn, context }).decision === 'ExplicitDeny') {
        throw accessDenied(ctx, ctx.principalArn, action, role.Arn, { decision: 'ExplicitDeny', by: 'identity-based policy' });
      }
    }
  }
  // Role chaining (an assumed role assuming another) is limited to one hour.
  const chained = ctx.principalArn.includes(':assumed-role/');
  const seconds = duration(input.DurationSeconds, 3600, 900, chained ? 3600 : role.MaxSessionDuration);
  if (input.Policy) { try { parsePolicy(input.Policy); } catch { throw new AwsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.'); } }
  const arn = `arn:aws:sts::${roleAccount}:assumed-role/${role.RoleName}/${session}`;
  const { credentials } = await issue(ctx, {
    account: roleAccount, principalArn: arn, roleName: role.RoleName, sessionTags: tags.length ? tags.map((t) => ({ Key: t.Key!, Value: t.Value! })) : undefined,
    sessionPolicy: input.Policy,
  }, seconds);
  return {
    Credentials: credentials, AssumedRoleUser: { AssumedRoleId: `${role.RoleId}:${session}`, Arn: arn }, PackedPolicySize: tags.length ? 1 : 0,
    ...(input.SourceIdentity ? { SourceIdentity: input.SourceIdentity } : {}),
  };
}

export async function getSessionToken(input: Sts.GetSessionTokenRequest, ctx: RequestContext) {
  if (ctx.principalArn.includes(':assumed-role/') || (strict(ctx) && (await new IamStore(ctx.app.store).accessKey(ctx.accessKeyId))?.sessionToken)) {
    throw accessDenied(ctx, ctx.principalArn, 'sts:GetSessionToken', ctx.principalArn, { decision: 'ImplicitDeny', by: 'identity-based policy' });
  }
  const seconds = duration(input.DurationSeconds, isRoot(ctx) ? 3600 : 43200, 900, isRoot(ctx) ? 3600 : 129600);
  const { credentials } = await issue(ctx, { account: ctx.account, principalArn: ctx.principalArn, sessionOf: ctx.principalArn }, seconds);
  return { Credentials: credentials };
}

export async function getAccessKeyInfo(input: Sts.GetAccessKeyInfoRequest, ctx: RequestContext) {
  const key = await new IamStore(ctx.app.store).accessKey(input.AccessKeyId ?? '');
  const known = key?.account ?? (await ctx.app.credentials(input.AccessKeyId ?? ''))?.account;
  if (!known) throw new AwsError('InvalidParameterValue', `The access key ID ${input.AccessKeyId} is not valid.`);
  return { Account: known };
}

export async function getCallerIdentity(_input: unknown, ctx: RequestContext): Promise<GetCallerIdentityResponse> {
  if (!strict(ctx)) return { UserId: ctx.account === ctx.accessKeyId ? ctx.account : ctx.accessKeyId, Account: ctx.account, Arn: ctx.principalArn };
  const principal = await new IamCache(ctx.app).principal(ctx.principalArn, ctx.accessKeyId);
  return { UserId: principal?.userId ?? ctx.account, Account: ctx.account, Arn: ctx.principalArn };
}

export const provider = { assumeRole, getSessionToken, getAccessKeyInfo, getCallerIdentity } satisfies Provider<typeof Sts>;
export const handlers = handlersOf<typeof Sts>(provider);
