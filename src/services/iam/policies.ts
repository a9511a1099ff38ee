// Managed policies (customer and AWS managed), their versions, attaching them to users, groups and
// roles, and inline policies.
import type * as Iam from '@aws-sdk/client-iam';
import type { Policy, PolicyVersion } from '@aws-sdk/client-iam';
import { AwsError } from '../../common/errors.js';
import type { RequestContext } from '../context.js';
import type { Provider } from '../types.js';
import { awsManaged, awsManagedArn, AWS_MANAGED, type ManagedPolicy } from './managed.js';
import {
  checkName, checkPath, deleteConflict, iamId, IamStore, limitExceeded, mergeTags, noSuchEntity, normalizePath, parseDocument,
  type Kind, type PolicyHolder, type PolicyRecord,
} from './model.js';
import { page } from './paging.js';
import { encodeDocument } from './roles.js';

const iam = (ctx: RequestContext) => new IamStore(ctx.app.store);
const now = (ctx: RequestContext) => ctx.app.clock.now().toISOString();
const date = (iso: string) => iso as unknown as Date;

const policyView = (p: PolicyRecord): Policy => ({
  PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path, DefaultVersionId: p.DefaultVersionId, AttachmentCount: p.AttachmentCount,
  PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: true, CreateDate: date(p.CreateDate), UpdateDate: date(p.UpdateDate),
  ...(p.Description !== undefined ? { Description: p.Description } : {}), ...(p.Tags.length ? { Tags: p.Tags } : {}),
});

const awsPolicyView = (m: ManagedPolicy): Policy => ({
  PolicyName: m.name, PolicyId: `ANPA${m.name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 17).padEnd(17, 'A')}`, Arn: awsManagedArn(m), Path: m.path,
  DefaultVersionId: 'v1', AttachmentCount: 0, PermissionsBoundaryUsageCount: 0, IsAttachable: true,
  CreateDate: new Date('2015-02-06T18:39:46Z'), UpdateDate: new Date('2015-02-06T18:39:46Z'), Description: m.description,
});

/** A customer managed policy of this account by ARN (its name is unique in the account). */
function policyName(ctx: RequestContext, arn: string): string {
  const m = /^arn:aws:iam::(\d{12}):policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m || m[1] !== ctx.account) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return m[2];
}

/** The default version's document of a managed policy (AWS or this account's), or undefined. */
export async function managedDocument(store: IamStore, account: string, arn: string): Promise<string | undefined> {
  const aws = awsManaged(arn);
  if (aws) return aws.document;
  const m = /^arn:aws:iam::(\d{12}):policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m || m[1] !== account) return undefined;
  const p = (await store.get<PolicyRecord>(account, 'policy', m[2]))?.value;
  return p?.versions.find((v) => v.IsDefaultVersion)?.Document;
}

async function mustPolicy(ctx: RequestContext, arn: string) {
  return iam(ctx).must<PolicyRecord>(ctx.account, 'policy', policyName(ctx, arn), 'policy');
}

const versionView = (v: PolicyRecord['versions'][number]): PolicyVersion =>
  ({ VersionId: v.VersionId, IsDefaultVersion: v.IsDefaultVersion, CreateDate: date(v.CreateDate), Document: encodeDocument(v.Document) });

// ---- attaching and inline policies, the same for users, groups and roles ----
type Holder = { kind: Kind; what: string };
const USER: Holder = { kind: 'user', what: 'user' };
const GROUP: Holder = { kind: 'group', what: 'group' };
const ROLE: Holder = { kind: 'role', what: 'role' };

async function attach(ctx: RequestContext, h: Holder, name: string, arn: string) {
  if (!awsManaged(arn)) await mustPolicy(ctx, arn);
  let added = false;
  await iam(ctx).update<PolicyHolder>(ctx.account, h.kind, name, h.what, (x) => {
    added = !x.attached.includes(arn);
    if (added && x.attached.length >= 20) throw limitExceeded(`Cannot exceed quota for PoliciesPer${h.what[0].toUpperCase()}${h.what.slice(1)}: 20`);
    if (added) x.attached.push(arn);
  });
  if (added && !awsManaged(arn)) await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, arn), 'policy', (p) => { p.AttachmentCount++; });
  return {};
}

async function detach(ctx: RequestContext, h: Holder, name: string, arn: string) {
  await iam(ctx).update<PolicyHolder>(ctx.account, h.kind, name, h.what, (x) => {
    if (!x.attached.includes(arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
    x.attached = x.attached.filter((a) => a !== arn);
  });
  if (!awsManaged(arn)) await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, arn), 'policy', (p) => { p.AttachmentCount = Math.max(0, p.AttachmentCount - 1); });
  return {};
}

async function listAttached(ctx: RequestContext, h: Holder, name: string) {
  const x = (await iam(ctx).must<PolicyHolder>(ctx.account, h.kind, name, h.what)).value;
  return { AttachedPolicies: x.attached.map((arn) => ({ PolicyArn: arn, PolicyName: arn.slice(arn.lastIndexOf('/') + 1) })), IsTruncated: false };
}

async function putInline(ctx: RequestContext, h: Holder, name: string, policy: string, document: string) {
  checkName('policyName', policy, 128);
  parseDocument(document);
  await iam(ctx).update<PolicyHolder>(ctx.account, h.kind, name, h.what, (x) => { x.inline[policy] = document; });
  return {};
}

async function getInline(ctx: RequestContext, h: Holder, name: string, policy: string) {
  const x = (await iam(ctx).must<PolicyHolder>(ctx.account, h.kind, name, h.what)).value;
  const doc = x.inline[policy];
  if (doc === undefined) throw noSuchEntity(`The ${h.what} policy with name ${policy} cannot be found.`);
  return encodeDocument(doc);
}

async function deleteInline(ctx: RequestContext, h: Holder, name: string, policy: string) {
  await iam(ctx).update<PolicyHolder>(ctx.account, h.kind, name, h.what, (x) => {
    if (x.inline[policy] === undefined) throw noSuchEntity(`The ${h.what} policy with name ${policy} cannot be found.`);
    delete x.inline[policy];
  });
  return {};
}

async function listInline(ctx: RequestContext, h: Holder, name: string) {
  return { PolicyNames: Object.keys((await iam(ctx).must<PolicyHolder>(ctx.account, h.kind, name, h.what)).value.inline).sort(), IsTruncated: false };
}

export const policies = {
  async createPolicy(input, ctx) {
    const name = checkName('policyName', input.PolicyName!, 128);
    const path = normalizePath(input.Path);
    checkPath(path);
    parseDocument(input.PolicyDocument!);
    const at = now(ctx);
    const policy: PolicyRecord = {
      PolicyName: name, PolicyId: iamId(ctx.app.ids, 'ANPA'), Arn: `arn:aws:iam::${ctx.account}:policy${path}${name}`, Path: path,
      Description: input.Description, CreateDate: at, UpdateDate: at, DefaultVersionId: 'v1', AttachmentCount: 0, PermissionsBoundaryUsageCount: 0,
      Tags: input.Tags ?? [], versions: [{ VersionId: 'v1', Document: input.PolicyDocument!, IsDefaultVersion: true, CreateDate: at }], nextVersion: 2,
    };
    await iam(ctx).create(ctx.account, 'policy', name, policy, 'A policy called');
    return { Policy: policyView(policy) };
  },
  async getPolicy(input, ctx) {
    const aws = awsManaged(input.PolicyArn!);
    if (aws) return { Policy: awsPolicyView(aws) };
    return { Policy: policyView((await mustPolicy(ctx, input.PolicyArn!)).value) };
  },
  async listPolicies(input, ctx) {
    const local = input.Scope === 'AWS' ? { items: [], IsTruncated: false, Marker: undefined } : await page<PolicyRecord>(ctx, 'policy', input, (p) => p.Path);
    const attachedOnly = (n: number) => !input.OnlyAttached || n > 0;
    const aws = input.Scope === 'Local' || input.OnlyAttached || input.Marker ? [] : AWS_MANAGED.filter((m) => !input.PathPrefix || m.path.startsWith(input.PathPrefix)).map(awsPolicyView);
    return { Policies: [...aws, ...local.items.filter((p) => attachedOnly(p.AttachmentCount)).map(policyView)], IsTruncated: local.IsTruncated, Marker: local.Marker };
  },
  async deletePolicy(input, ctx) {
    const { value } = await mustPolicy(ctx, input.PolicyArn!);
    if (value.AttachmentCount > 0) throw deleteConflict('Cannot delete a policy attached to entities.');
    if (value.versions.length > 1) throw deleteConflict('Cannot delete a policy with non-default versions: delete them first.');
    await iam(ctx).delete(ctx.account, 'policy', value.PolicyName);
    return {};
  },
  async tagPolicy(input, ctx) {
    await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, input.PolicyArn!), 'policy', (p) => { p.Tags = mergeTags(p.Tags, input.Tags ?? []); });
    return {};
  },
  async untagPolicy(input, ctx) {
    await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, input.PolicyArn!), 'policy', (p) => { p.Tags = p.Tags.filter((t) => !input.TagKeys?.includes(t.Key!)); });
    return {};
  },
  async listPolicyTags(input, ctx) {
    return { Tags: (await mustPolicy(ctx, input.PolicyArn!)).value.Tags, IsTruncated: false };
  },

  // ---- versions ----
  async createPolicyVersion(input, ctx) {
    parseDocument(input.PolicyDocument!);
    let created: PolicyRecord['versions'][number] | undefined;
    await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, input.PolicyArn!), 'policy', (p) => {
      if (p.versions.length >= 5) throw limitExceeded('A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
      created = { VersionId: `v${p.nextVersion}`, Document: input.PolicyDocument!, IsDefaultVersion: !!input.SetAsDefault, CreateDate: now(ctx) };
      p.nextVersion++;
      if (input.SetAsDefault) { for (const v of p.versions) v.IsDefaultVersion = false; p.DefaultVersionId = created.VersionId; }
      p.versions.push(created);
      p.UpdateDate = created.CreateDate;
    });
    return { PolicyVersion: versionView(created!) };
  },
  async getPolicyVersion(input, ctx) {
    const aws = awsManaged(input.PolicyArn!);
    if (aws) {
      if (input.VersionId! !== 'v1') throw noSuchEntity(`Policy ${input.PolicyArn!} version ${input.VersionId!} does not exist or is not attachable.`);
      return { PolicyVersion: { VersionId: 'v1', IsDefaultVersion: true, Document: encodeDocument(aws.document), CreateDate: new Date('2015-02-06T18:39:46Z') } };
    }
    const v = (await mustPolicy(ctx, input.PolicyArn!)).value.versions.find((x) => x.VersionId === input.VersionId!);
    if (!v) throw noSuchEntity(`Policy ${input.PolicyArn!} version ${input.VersionId!} does not exist or is not attachable.`);
    return { PolicyVersion: versionView(v) };
  },
  async listPolicyVersions(input, ctx) {
    const versions = (await mustPolicy(ctx, input.PolicyArn!)).value.versions.slice().reverse();
    return { Versions: versions.map((v) => ({ VersionId: v.VersionId, IsDefaultVersion: v.IsDefaultVersion, CreateDate: date(v.CreateDate) })), IsTruncated: false };
  },
  async deletePolicyVersion(input, ctx) {
    await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, input.PolicyArn!), 'policy', (p) => {
      const v = p.versions.find((x) => x.VersionId === input.VersionId!);
      if (!v) throw noSuchEntity(`Policy ${input.PolicyArn!} version ${input.VersionId!} does not exist or is not attachable.`);
      if (v.IsDefaultVersion) throw deleteConflict('Cannot delete the default version of a policy.');
      p.versions = p.versions.filter((x) => x !== v);
    });
    return {};
  },
  async setDefaultPolicyVersion(input, ctx) {
    await iam(ctx).update<PolicyRecord>(ctx.account, 'policy', policyName(ctx, input.PolicyArn!), 'policy', (p) => {
      const v = p.versions.find((x) => x.VersionId === input.VersionId!);
      if (!v) throw noSuchEntity(`Policy ${input.PolicyArn!} version ${input.VersionId!} does not exist or is not attachable.`);
      for (const x of p.versions) x.IsDefaultVersion = x === v;
      p.DefaultVersionId = v.VersionId;
    });
    return {};
  },

  attachUserPolicy: (input, ctx) => attach(ctx, USER, input.UserName!, input.PolicyArn!),
  attachGroupPolicy: (input, ctx) => attach(ctx, GROUP, input.GroupName!, input.PolicyArn!),
  attachRolePolicy: (input, ctx) => attach(ctx, ROLE, input.RoleName!, input.PolicyArn!),
  detachUserPolicy: (input, ctx) => detach(ctx, USER, input.UserName!, input.PolicyArn!),
  detachGroupPolicy: (input, ctx) => detach(ctx, GROUP, input.GroupName!, input.PolicyArn!),
  detachRolePolicy: (input, ctx) => detach(ctx, ROLE, input.RoleName!, input.PolicyArn!),
  listAttachedUserPolicies: (input, ctx) => listAttached(ctx, USER, input.UserName!),
  listAttachedGroupPolicies: (input, ctx) => listAttached(ctx, GROUP, input.GroupName!),
  listAttachedRolePolicies: (input, ctx) => listAttached(ctx, ROLE, input.RoleName!),

  putUserPolicy: (input, ctx) => putInline(ctx, USER, input.UserName!, input.PolicyName!, input.PolicyDocument!),
  putGroupPolicy: (input, ctx) => putInline(ctx, GROUP, input.GroupName!, input.PolicyName!, input.PolicyDocument!),
  putRolePolicy: (input, ctx) => putInline(ctx, ROLE, input.RoleName!, input.PolicyName!, input.PolicyDocument!),
  async getUserPolicy(input, ctx) { return { UserName: input.UserName!, PolicyName: input.PolicyName!, PolicyDocument: await getInline(ctx, USER, input.UserName!, input.PolicyName!) }; },
  async getGroupPolicy(input, ctx) { return { GroupName: input.GroupName!, PolicyName: input.PolicyName!, PolicyDocument: await getInline(ctx, GROUP, input.GroupName!, input.PolicyName!) }; },
  async getRolePolicy(input, ctx) { return { RoleName: input.RoleName!, PolicyName: input.PolicyName!, PolicyDocument: await getInline(ctx, ROLE, input.RoleName!, input.PolicyName!) }; },
  deleteUserPolicy: (input, ctx) => deleteInline(ctx, USER, input.UserName!, input.PolicyName!),
  deleteGroupPolicy: (input, ctx) => deleteInline(ctx, GROUP, input.GroupName!, input.PolicyName!),
  deleteRolePolicy: (input, ctx) => deleteInline(ctx, ROLE, input.RoleName!, input.PolicyName!),
  listUserPolicies: (input, ctx) => listInline(ctx, USER, input.UserName!),
  listGroupPolicies: (input, ctx) => listInline(ctx, GROUP, input.GroupName!),
  listRolePolicies: (input, ctx) => listInline(ctx, ROLE, input.RoleName!),
} satisfies Provider<typeof Iam>;

