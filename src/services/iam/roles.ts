// IAM roles (with their trust policies) and instance profiles.
import type * as Iam from '@aws-sdk/client-iam';
import type { InstanceProfile, Role } from '@aws-sdk/client-iam';
import { AwsError } from '../../common/errors.js';
import type { RequestContext } from '../context.js';
import type { Provider } from '../types.js';
import {
  checkName, checkPath, deleteConflict, iamId, IamStore, mergeTags, noSuchEntity, normalizePath, parseDocument,
  type InstanceProfileRecord, type RoleRecord,
} from './model.js';
import { page } from './paging.js';

const iam = (ctx: RequestContext) => new IamStore(ctx.app.store);
const now = (ctx: RequestContext) => ctx.app.clock.now().toISOString();
const date = (iso: string) => iso as unknown as Date;

/** AWS returns policy documents URL-encoded (the CLI and boto3 decode them). */
export const encodeDocument = (doc: string) => encodeURIComponent(doc);

export const roleView = (r: RoleRecord, full = true): Role => ({
  Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: date(r.CreateDate),
  AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument), MaxSessionDuration: r.MaxSessionDuration,
  ...(r.Description !== undefined ? { Description: r.Description } : {}),
  ...(r.PermissionsBoundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: r.PermissionsBoundary } } : {}),
  ...(full && r.Tags.length ? { Tags: r.Tags } : {}),
});

function checkDuration(seconds: number | undefined): number {
  const value = seconds ?? 3600;
  if (value < 3600 || value > 43200) throw new AwsError('ValidationError', `1 validation error detected: Value '${value}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600 and less than or equal to 43200`);
  return value;
}

async function profileView(ctx: RequestContext, p: InstanceProfileRecord): Promise<InstanceProfile> {
  const roles = (await Promise.all(p.roles.map((n) => iam(ctx).get<RoleRecord>(ctx.account, 'role', n)))).filter((r) => !!r);
  return {
    Path: p.Path, InstanceProfileName: p.InstanceProfileName, InstanceProfileId: p.InstanceProfileId, Arn: p.Arn, CreateDate: date(p.CreateDate),
    Roles: roles.map((r) => roleView(r.value, false)), ...(p.Tags.length ? { Tags: p.Tags } : {}),
  };
}

export const roles = {
  async createRole(input, ctx) {
    const name = checkName('roleName', input.RoleName!);
    const path = normalizePath(input.Path);
    checkPath(path);
    parseDocument(input.AssumeRolePolicyDocument!);
    const role: RoleRecord = {
      RoleName: name, RoleId: iamId(ctx.app.ids, 'AROA'), Arn: `arn:aws:iam::${ctx.account}:role${path}${name}`, Path: path, CreateDate: now(ctx),
      AssumeRolePolicyDocument: input.AssumeRolePolicyDocument!, Description: input.Description, MaxSessionDuration: checkDuration(input.MaxSessionDuration),
      Tags: input.Tags ?? [], PermissionsBoundary: input.PermissionsBoundary!, attached: [], inline: {}, instanceProfiles: [],
    };
    await iam(ctx).create(ctx.account, 'role', name, role, 'Role');
    return { Role: roleView(role) };
  },
  async getRole(input, ctx) {
    return { Role: roleView((await iam(ctx).must<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role')).value) };
  },
  async listRoles(input, ctx) {
    const { items, IsTruncated, Marker } = await page<RoleRecord>(ctx, 'role', input, (r) => r.Path);
    return { Roles: items.map((r) => roleView(r, false)), IsTruncated, Marker };
  },
  async deleteRole(input, ctx) {
    const role = (await iam(ctx).must<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role')).value;
    if (role.instanceProfiles.length) throw deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    if (role.attached.length || Object.keys(role.inline).length) throw deleteConflict('Cannot delete entity, must detach all policies first.');
    await iam(ctx).delete(ctx.account, 'role', input.RoleName!);
    return {};
  },
  async updateRole(input, ctx) {
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => {
      if (input.Description !== undefined) r.Description = input.Description;
      if (input.MaxSessionDuration !== undefined) r.MaxSessionDuration = checkDuration(input.MaxSessionDuration);
    });
    return {};
  },
  async updateAssumeRolePolicy(input, ctx) {
    parseDocument(input.PolicyDocument!);
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { r.AssumeRolePolicyDocument = input.PolicyDocument!; });
    return {};
  },
  async tagRole(input, ctx) {
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { r.Tags = mergeTags(r.Tags, input.Tags ?? []); });
    return {};
  },
  async untagRole(input, ctx) {
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { r.Tags = r.Tags.filter((t) => !input.TagKeys?.includes(t.Key!)); });
    return {};
  },
  async listRoleTags(input, ctx) {
    return { Tags: (await iam(ctx).must<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role')).value.Tags, IsTruncated: false };
  },
  async putRolePermissionsBoundary(input, ctx) {
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { r.PermissionsBoundary = input.PermissionsBoundary!; });
    return {};
  },
  async deleteRolePermissionsBoundary(input, ctx) {
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { delete r.PermissionsBoundary; });
    return {};
  },

  // ---- instance profiles ----
  async createInstanceProfile(input, ctx) {
    const name = checkName('instanceProfileName', input.InstanceProfileName!, 128);
    const path = normalizePath(input.Path);
    checkPath(path);
    const profile: InstanceProfileRecord = {
      InstanceProfileName: name, InstanceProfileId: iamId(ctx.app.ids, 'AIPA'), Arn: `arn:aws:iam::${ctx.account}:instance-profile${path}${name}`,
      Path: path, CreateDate: now(ctx), roles: [], Tags: input.Tags ?? [],
    };
    await iam(ctx).create(ctx.account, 'instance-profile', name, profile, 'Instance Profile');
    return { InstanceProfile: await profileView(ctx, profile) };
  },
  async getInstanceProfile(input, ctx) {
    const p = (await iam(ctx).must<InstanceProfileRecord>(ctx.account, 'instance-profile', input.InstanceProfileName!, 'instance profile')).value;
    return { InstanceProfile: await profileView(ctx, p) };
  },
  async listInstanceProfiles(input, ctx) {
    const { items, IsTruncated, Marker } = await page<InstanceProfileRecord>(ctx, 'instance-profile', input, (p) => p.Path);
    return { InstanceProfiles: await Promise.all(items.map((p) => profileView(ctx, p))), IsTruncated, Marker };
  },
  async listInstanceProfilesForRole(input, ctx) {
    const role = (await iam(ctx).must<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role')).value;
    const profiles = (await Promise.all(role.instanceProfiles.map((n) => iam(ctx).get<InstanceProfileRecord>(ctx.account, 'instance-profile', n)))).filter((p) => !!p);
    return { InstanceProfiles: await Promise.all(profiles.map((p) => profileView(ctx, p.value))), IsTruncated: false };
  },
  async deleteInstanceProfile(input, ctx) {
    const p = (await iam(ctx).must<InstanceProfileRecord>(ctx.account, 'instance-profile', input.InstanceProfileName!, 'instance profile')).value;
    if (p.roles.length) throw deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    await iam(ctx).delete(ctx.account, 'instance-profile', input.InstanceProfileName!);
    return {};
  },
  async addRoleToInstanceProfile(input, ctx) {
    await iam(ctx).must<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role');
    await iam(ctx).update<InstanceProfileRecord>(ctx.account, 'instance-profile', input.InstanceProfileName!, 'instance profile', (p) => {
      if (p.roles.length) throw new AwsError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409);
      p.roles.push(input.RoleName!);
    });
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { if (!r.instanceProfiles.includes(input.InstanceProfileName!)) r.instanceProfiles.push(input.InstanceProfileName!); });
    return {};
  },
  async removeRoleFromInstanceProfile(input, ctx) {
    const p = (await iam(ctx).must<InstanceProfileRecord>(ctx.account, 'instance-profile', input.InstanceProfileName!, 'instance profile')).value;
    if (!p.roles.includes(input.RoleName!)) throw noSuchEntity(`The role with name ${input.RoleName!} cannot be found.`);
    await iam(ctx).update<InstanceProfileRecord>(ctx.account, 'instance-profile', input.InstanceProfileName!, 'instance profile', (x) => { x.roles = x.roles.filter((n) => n !== input.RoleName!); });
    await iam(ctx).update<RoleRecord>(ctx.account, 'role', input.RoleName!, 'role', (r) => { r.instanceProfiles = r.instanceProfiles.filter((n) => n !== input.InstanceProfileName!); });
    return {};
  },
} satisfies Provider<typeof Iam>;
