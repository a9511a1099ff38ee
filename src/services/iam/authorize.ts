// The authorize stage in strict mode (installed by IAM's start() as app.authorize), and the access
// key lookup the authenticate stage uses (app.credentials). A principal's policies (its own, its
// groups', attached managed ones, its permissions boundary, an assumed-role session's policy and
// tags) are read once and cached; any write under /iam/ (a watch event) drops the caches, so a
// changed policy applies from the next request on.
import { AwsError } from '../../common/errors.js';
import type { Tag } from '@aws-sdk/client-iam';
import type { AppContext, Authorizer, Credential, CredentialLookup, RequestContext } from '../context.js';
import { actionRequest, UNGOVERNED } from './actions.js';
import { IamStore, type AccessKeyRecord, type GroupRecord, type PolicyHolder, type RoleRecord, type UserRecord } from './model.js';
import { managedDocument } from './policies.js';
import { evaluate, parsePolicy, plainIp, type ContextValues, type Decision, type PolicyDocument, type PolicyRequest } from './policy.js';
import type { RequestOrigin } from '../../protocol/types.js';

/** What authorizing one principal needs. */
export interface PrincipalInfo {
  arn: string;
  account: string;
  type: 'Account' | 'User' | 'AssumedRole';
  /** Identity-based policies (the principal's, its groups'). */
  identity: PolicyDocument[];
  boundary?: PolicyDocument;
  session?: PolicyDocument;
  tags: Tag[];
  /** aws:userid: the account (root), AIDA… (user), AROA…:session (assumed role). */
  userId: string;
  userName?: string;
  /** Some policy of the principal tests aws:ResourceTag/…: the resource's tags must be read. */
  readsResourceTags?: boolean;
}

/** A service principal (`ecs-tasks.amazonaws.com`): only the platform's own services act as one,
 *  through the internal client (ECS assuming a task's role); no access key ever maps to one. */
export const isServicePrincipal = (ctx: Pick<RequestContext, 'internal' | 'principalArn'>) =>
  ctx.internal === true && /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/.test(ctx.principalArn);

const CACHE_MAX = 10_000;

export class IamCache {
  private readonly principals = new Map<string, Promise<PrincipalInfo | undefined>>();
  private readonly keys = new Map<string, Promise<AccessKeyRecord | undefined>>();
  private unwatch?: () => void;
  readonly iam: IamStore;

  constructor(private readonly app: AppContext) { this.iam = new IamStore(app.store); }

  async start() {
    const revision = await this.app.store.currentRevision();
    this.unwatch = this.app.store.watch('/iam/', revision, () => this.clear(), { onError: () => this.clear() });
  }
  stop() { this.unwatch?.(); this.clear(); }
  clear() { this.principals.clear(); this.keys.clear(); }

  accessKey(id: string): Promise<AccessKeyRecord | undefined> {
    let found = this.keys.get(id);
    if (!found) {
      if (this.keys.size >= CACHE_MAX) this.keys.clear();
      found = this.iam.accessKey(id);
      this.keys.set(id, found);
      found.catch(() => this.keys.delete(id));
    }
    return found;
  }

  principal(arn: string, accessKeyId: string): Promise<PrincipalInfo | undefined> {
    const cacheKey = `${arn}\0${accessKeyId}`;
    let found = this.principals.get(cacheKey);
    if (!found) {
      if (this.principals.size >= CACHE_MAX) this.principals.clear();
      found = this.load(arn, accessKeyId).then((p) => p && { ...p,
        readsResourceTags: JSON.stringify([p.identity, p.boundary, p.session]).includes('aws:ResourceTag/') });
      this.principals.set(cacheKey, found);
      found.catch(() => this.principals.delete(cacheKey));
    }
    return found;
  }

  private async documents(account: string, holder: PolicyHolder): Promise<PolicyDocument[]> {
    const docs = Object.values(holder.inline).map(parsePolicy);
    for (const arn of holder.attached) {
      const text = await managedDocument(this.iam, account, arn);
      if (text) docs.push(parsePolicy(text));
    }
    return docs;
  }

  private async boundary(account: string, arn: string | undefined): Promise<PolicyDocument | undefined> {
    if (!arn) return undefined;
    const text = await managedDocument(this.iam, account, arn);
    // A boundary that no longer exists allows nothing.
    return text ? parsePolicy(text) : { Statement: [] };
  }

  private async load(arn: string, accessKeyId: string): Promise<PrincipalInfo | undefined> {
    const root = /^arn:aws:iam::(\d{12}):root$/.exec(arn);
    if (root) return { arn, account: root[1], type: 'Account', identity: [], tags: [], userId: root[1] };
    const user = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(arn);
    if (user) {
      const u = (await this.iam.get<UserRecord>(user[1], 'user', user[2]))?.value;
      if (!u) return undefined;
      const identity = await this.documents(user[1], u);
      for (const g of u.groups) {
        const group = (await this.iam.get<GroupRecord>(user[1], 'group', g))?.value;
        if (group) identity.push(...await this.documents(user[1], group));
      }
      return { arn, account: user[1], type: 'User', identity, boundary: await this.boundary(user[1], u.PermissionsBoundary), tags: u.Tags, userId: u.UserId, userName: u.UserName };
    }
    const assumed = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/.exec(arn);
    if (assumed) {
      const r = (await this.iam.get<RoleRecord>(assumed[1], 'role', assumed[2]))?.value;
      if (!r) return undefined;
      const key = await this.accessKey(accessKeyId);
      const sessionTags = key?.sessionTags ?? [];
      const tags = [...r.Tags.filter((t) => !sessionTags.some((s) => s.Key === t.Key)), ...sessionTags];
      return {
        arn, account: assumed[1], type: 'AssumedRole', identity: await this.documents(assumed[1], r), boundary: await this.boundary(assumed[1], r.PermissionsBoundary),
        session: key?.sessionPolicy ? parsePolicy(key.sessionPolicy) : undefined, tags, userId: `${r.RoleId}:${assumed[3]}`,
      };
    }
    return undefined;
  }

  /** app.credentials for the keys IAM holds: active user keys and unexpired STS sessions. */
  lookup(): CredentialLookup {
    return async (accessKeyId) => {
      const key = await this.accessKey(accessKeyId);
      if (!key || key.status !== 'Active') return undefined;
      const c: Credential = { accessKeyId, secretAccessKey: key.secretAccessKey, account: key.account, principalArn: key.principalArn };
      if (key.sessionToken) { c.sessionToken = key.sessionToken; c.expiration = key.expiration; }
      return c;
    };
  }
}

/** The request context keys every request has. `via.origin`: the connection of the request, for
 *  aws:SourceIp (the caller's address) and aws:SecureTransport (TLS or not); a call a service makes
 *  while serving a request keeps that request's (as AWS's forward access sessions keep the original
 *  requester's address), one a background worker makes has none. `via.internal`: made by a Berth
 *  service on the principal's behalf (aws:ViaAWSService). */
export function globalContext(app: AppContext, p: PrincipalInfo, region: string, via: { origin?: RequestOrigin; internal?: boolean } = {}): ContextValues {
  const { origin } = via;
  const now = app.clock.now();
  const out: ContextValues = {
    'aws:PrincipalArn': p.type === 'AssumedRole' ? p.arn.replace(/^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.*$/, 'arn:aws:iam::$1:role/$2') : p.arn,
    'aws:PrincipalAccount': p.account, 'aws:PrincipalType': p.type, 'aws:userid': p.userId, 'aws:RequestedRegion': region,
    'aws:CurrentTime': now.toISOString(), 'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:SecureTransport': origin?.scheme === 'https' ? 'true' : 'false', 'aws:ViaAWSService': via.internal ? 'true' : 'false',
    'aws:PrincipalTagKeys': p.tags.map((t) => t.Key!),
  };
  if (origin?.remoteAddress) out['aws:SourceIp'] = plainIp(origin.remoteAddress);
  if (p.userName) out['aws:username'] = p.userName;
  for (const t of p.tags) out[`aws:PrincipalTag/${t.Key}`] = t.Value;
  return out;
}

/** Identity policies ∩ permissions boundary ∩ session policy, explicit deny first. */
export function decide(p: PrincipalInfo, req: PolicyRequest): { decision: Decision; by?: string } {
  const sets: Array<[string, PolicyDocument[]]> = [['identity-based policy', p.identity]];
  if (p.boundary) sets.push(['permissions boundary', [p.boundary]]);
  if (p.session) sets.push(['session policy', [p.session]]);
  for (const [name, docs] of sets) if (evaluate(docs, req) === 'ExplicitDeny') return { decision: 'ExplicitDeny', by: name };
  for (const [name, docs] of sets) if (evaluate(docs, req) !== 'Allow') return { decision: 'ImplicitDeny', by: name };
  return { decision: 'Allow' };
}

export function accessDenied(ctx: Pick<RequestContext, 'protocol'>, principalArn: string, action: string, resource: string, result: { decision: Decision; by?: string }) {
  const why = result.decision === 'ExplicitDeny' ? `with an explicit deny in a${result.by === 'identity-based policy' ? 'n' : ''} ${result.by}` : `because no ${result.by} allows the ${action} action`;
  const message = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
  return ctx.protocol?.startsWith('awsJson') ? new AwsError('AccessDeniedException', message, 400) : new AwsError('AccessDenied', message, 403);
}

/** aws:ResourceTag/<key> of an ECS resource, read through the internal client as the resource
 *  owner's root (ECS's tags live in ECS); nothing for "*" or a resource without tags. */
async function resourceTags(app: AppContext, ctx: RequestContext, resource: string): Promise<ContextValues> {
  if (!resource.startsWith('arn:aws:ecs:') || resource.endsWith('*')) return {};
  try {
    const owner = { account: ctx.account, region: ctx.region, accessKeyId: 'internal', principalArn: `arn:aws:iam::${ctx.account}:root` };
    const { tags } = await app.call<{ tags?: Array<{ key?: string; value?: string }> }>('ecs', 'ListTagsForResource', { resourceArn: resource }, owner);
    return Object.fromEntries((tags ?? []).map((t) => [`aws:ResourceTag/${t.key}`, t.value ?? '']));
  } catch {
    return {};
  }
}

/** The authorize stage: every operation of every service, as the principal that caused it. */
export function createAuthorizer(app: AppContext, cache: IamCache): Authorizer {
  return async (ctx, input) => {
    if (app.config.auth !== 'strict') return;
    // The account root may do anything in its own account (decided before any policy work).
    if (ctx.principalArn === `arn:aws:iam::${ctx.account}:root`) return;
    const request = actionRequest(ctx, input);
    if (UNGOVERNED.has(request.action)) return;
    const principal = await cache.principal(ctx.principalArn, ctx.accessKeyId);
    if (!principal || principal.account !== ctx.account) {
      throw accessDenied(ctx, ctx.principalArn, request.action, request.resources[0], { decision: 'ImplicitDeny', by: 'identity-based policy' });
    }
    const context = { ...globalContext(app, principal, ctx.region, ctx), ...request.context };
    for (const resource of request.resources) {
      const tags = principal.readsResourceTags ? await resourceTags(app, ctx, resource) : {};
      const result = decide(principal, { action: request.action, resource, context: { ...context, ...tags } });
      if (result.decision !== 'Allow') throw accessDenied(ctx, principal.arn, request.action, resource, result);
    }
    for (const pass of request.passRoles) {
      const result = decide(principal, { action: 'iam:PassRole', resource: pass.arn, context: { ...context, 'iam:PassedToService': pass.toService } });
      if (result.decision !== 'Allow') throw accessDenied(ctx, principal.arn, 'iam:PassRole', pass.arn, result);
    }
  };
}
