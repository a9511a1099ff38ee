// IAM users, their access keys, and groups.
import type * as Iam from '@aws-sdk/client-iam';
import type { Group, User } from '@aws-sdk/client-iam';
import type { RequestContext } from '../context.js';
import type { Provider } from '../types.js';
import {
  accessKeyKey, checkName, checkPath, deleteConflict, iamId, IamStore, limitExceeded, mergeTags, newSecret, noSuchEntity, normalizePath,
  type AccessKeyRecord, type GroupRecord, type UserRecord,
} from './model.js';
import { page } from './paging.js';

const iam = (ctx: RequestContext) => new IamStore(ctx.app.store);
const now = (ctx: RequestContext) => ctx.app.clock.now().toISOString();

export const userView = (u: UserRecord, withTags = false): User => ({
  Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: u.CreateDate as unknown as Date,
  ...(u.PermissionsBoundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: u.PermissionsBoundary } } : {}),
  ...(withTags && u.Tags.length ? { Tags: u.Tags } : {}),
});

const groupView = (g: GroupRecord): Group => ({ Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupId, Arn: g.Arn, CreateDate: g.CreateDate as unknown as Date });

/** The user a call names, or the calling user when it names none (root has no user name). */
function userNameOf(ctx: RequestContext, given: string | undefined): string {
  if (given) return given;
  const m = /:user\/(?:.*\/)?([^/]+)$/.exec(ctx.principalArn);
  if (m) return m[1];
  throw noSuchEntity('Must specify userName when calling with non-User credentials');
}

export const users = {
  async createUser(input, ctx) {
    const name = checkName('userName', input.UserName!);
    const path = normalizePath(input.Path);
    checkPath(path);
    const user: UserRecord = {
      UserName: name, UserId: iamId(ctx.app.ids, 'AIDA'), Arn: `arn:aws:iam::${ctx.account}:user${path}${name}`, Path: path, CreateDate: now(ctx),
      Tags: input.Tags ?? [], PermissionsBoundary: input.PermissionsBoundary!, attached: [], inline: {}, groups: [], accessKeys: [],
    };
    await iam(ctx).create(ctx.account, 'user', name, user, 'User');
    return { User: userView(user, true) };
  },

  async getUser(input, ctx) {
    if (!input.UserName! && ctx.principalArn === `arn:aws:iam::${ctx.account}:root`) {
      return { User: { UserId: ctx.account, Arn: ctx.principalArn, Path: '/', UserName: undefined as unknown as string, CreateDate: ctx.app.startedAt } };
    }
    const name = userNameOf(ctx, input.UserName!);
    return { User: userView((await iam(ctx).must<UserRecord>(ctx.account, 'user', name, 'user')).value, true) };
  },

  async listUsers(input, ctx) {
    const { items, IsTruncated, Marker } = await page<UserRecord>(ctx, 'user', input, (u) => u.Path);
    return { Users: items.map((u) => userView(u)), IsTruncated, Marker };
  },

  async deleteUser(input, ctx) {
    const { value: u, revision } = await iam(ctx).must<UserRecord>(ctx.account, 'user', input.UserName!, 'user');
    if (u.accessKeys.length || u.attached.length || Object.keys(u.inline).length || u.groups.length) {
      throw deleteConflict('Cannot delete entity, must delete access keys, policies and group memberships first.');
    }
    if (!(await ctx.app.store.delete(`/iam/${ctx.account}/global/user/${u.UserName}`, revision))) throw deleteConflict('The user changed while it was being deleted; try again.');
    return {};
  },

  async tagUser(input, ctx) {
    await iam(ctx).update<UserRecord>(ctx.account, 'user', input.UserName!, 'user', (u) => { u.Tags = mergeTags(u.Tags, input.Tags ?? []); });
    return {};
  },
  async untagUser(input, ctx) {
    await iam(ctx).update<UserRecord>(ctx.account, 'user', input.UserName!, 'user', (u) => { u.Tags = u.Tags.filter((t) => !input.TagKeys?.includes(t.Key!)); });
    return {};
  },
  async listUserTags(input, ctx) {
    return { Tags: (await iam(ctx).must<UserRecord>(ctx.account, 'user', input.UserName!, 'user')).value.Tags, IsTruncated: false };
  },
  async putUserPermissionsBoundary(input, ctx) {
    await iam(ctx).update<UserRecord>(ctx.account, 'user', input.UserName!, 'user', (u) => { u.PermissionsBoundary = input.PermissionsBoundary!; });
    return {};
  },
  async deleteUserPermissionsBoundary(input, ctx) {
    await iam(ctx).update<UserRecord>(ctx.account, 'user', input.UserName!, 'user', (u) => { delete u.PermissionsBoundary; });
    return {};
  },

  // ---- access keys ----
  async createAccessKey(input, ctx): Promise<Iam.CreateAccessKeyResponse> {
    const name = userNameOf(ctx, input.UserName!);
    const { value: user, revision } = await iam(ctx).must<UserRecord>(ctx.account, 'user', name, 'user');
    if (user.accessKeys.length >= 2) throw limitExceeded('Cannot exceed quota for AccessKeysPerUser: 2');
    const key: AccessKeyRecord = {
      accessKeyId: iamId(ctx.app.ids, 'AKIA', 16), secretAccessKey: newSecret(ctx.app.ids), account: ctx.account, principalArn: user.Arn,
      status: 'Active', createDate: now(ctx), userName: name,
    };
    const updated = { ...user, accessKeys: [...user.accessKeys, key.accessKeyId] };
    const { succeeded } = await ctx.app.store.txn([{ key: `/iam/${ctx.account}/global/user/${name}`, modRevision: revision }], [
      { type: 'put', key: `/iam/${ctx.account}/global/user/${name}`, value: JSON.stringify(updated) },
      { type: 'put', key: accessKeyKey(key.accessKeyId), value: JSON.stringify(key) },
    ]);
    if (!succeeded) return createAccessKeyAgain(input, ctx);
    return { AccessKey: { UserName: name, AccessKeyId: key.accessKeyId, Status: 'Active', SecretAccessKey: key.secretAccessKey, CreateDate: key.createDate as unknown as Date } };
  },

  async listAccessKeys(input, ctx) {
    const name = userNameOf(ctx, input.UserName!);
    const user = (await iam(ctx).must<UserRecord>(ctx.account, 'user', name, 'user')).value;
    const keys = (await Promise.all(user.accessKeys.map((id) => iam(ctx).accessKey(id)))).filter((k): k is AccessKeyRecord => !!k);
    return { AccessKeyMetadata: keys.map((k) => ({ UserName: name, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate as unknown as Date })), IsTruncated: false };
  },

  async updateAccessKey(input, ctx) {
    const key = await ownKey(ctx, input.UserName!, input.AccessKeyId!);
    await ctx.app.store.update(accessKeyKey(key.accessKeyId), JSON.stringify({ ...key, status: input.Status! }));
    return {};
  },

  async deleteAccessKey(input, ctx) {
    const key = await ownKey(ctx, input.UserName!, input.AccessKeyId!);
    await iam(ctx).update<UserRecord>(ctx.account, 'user', key.userName!, 'user', (u) => { u.accessKeys = u.accessKeys.filter((id) => id !== key.accessKeyId); });
    await ctx.app.store.delete(accessKeyKey(key.accessKeyId));
    return {};
  },

  async getAccessKeyLastUsed(input, ctx) {
    const key = await iam(ctx).accessKey(input.AccessKeyId!);
    if (!key || key.account !== ctx.account || !key.userName) throw noSuchEntity(`The Access Key with id ${input.AccessKeyId!} cannot be found.`);
    return { UserName: key.userName, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
  },

  // ---- groups ----
  async createGroup(input, ctx) {
    const name = checkName('groupName', input.GroupName!, 128);
    const path = normalizePath(input.Path);
    checkPath(path);
    const group: GroupRecord = {
      GroupName: name, GroupId: iamId(ctx.app.ids, 'AGPA'), Arn: `arn:aws:iam::${ctx.account}:group${path}${name}`, Path: path,
      CreateDate: now(ctx), attached: [], inline: {}, members: [],
    };
    await iam(ctx).create(ctx.account, 'group', name, group, 'Group');
    return { Group: groupView(group) };
  },

  async getGroup(input, ctx) {
    const group = (await iam(ctx).must<GroupRecord>(ctx.account, 'group', input.GroupName!, 'group')).value;
    const members = (await Promise.all(group.members.map((n) => iam(ctx).get<UserRecord>(ctx.account, 'user', n)))).filter((u) => !!u);
    return { Group: groupView(group), Users: members.map((u) => userView(u.value)), IsTruncated: false };
  },

  async listGroups(input, ctx) {
    const { items, IsTruncated, Marker } = await page<GroupRecord>(ctx, 'group', input, (g) => g.Path);
    return { Groups: items.map(groupView), IsTruncated, Marker };
  },

  async deleteGroup(input, ctx) {
    const group = (await iam(ctx).must<GroupRecord>(ctx.account, 'group', input.GroupName!, 'group')).value;
    if (group.members.length || group.attached.length || Object.keys(group.inline).length) {
      throw deleteConflict('Cannot delete entity, must remove users and policies from group first.');
    }
    await iam(ctx).delete(ctx.account, 'group', input.GroupName!);
    return {};
  },

  async addUserToGroup(input, ctx) {
    await iam(ctx).must<GroupRecord>(ctx.account, 'group', input.GroupName!, 'group');
    await iam(ctx).update<UserRecord>(ctx.account, 'user', input.UserName!, 'user', (u) => { if (!u.groups.includes(input.GroupName!)) u.groups.push(input.GroupName!); });
    await iam(ctx).update<GroupRecord>(ctx.account, 'group', input.GroupName!, 'group', (g) => { if (!g.members.includes(input.UserName!)) g.members.push(input.UserName!); });
    return {};
  },

  async removeUserFromGroup(input, ctx) {
    const user = (await iam(ctx).must<UserRecord>(ctx.account, 'user', input.UserName!, 'user')).value;
    if (!user.groups.includes(input.GroupName!)) throw noSuchEntity(`The user with name ${input.UserName!} cannot be found in group ${input.GroupName!}.`);
    await iam(ctx).update<UserRecord>(ctx.account, 'user', input.UserName!, 'user', (u) => { u.groups = u.groups.filter((g) => g !== input.GroupName!); });
    await iam(ctx).update<GroupRecord>(ctx.account, 'group', input.GroupName!, 'group', (g) => { g.members = g.members.filter((m) => m !== input.UserName!); });
    return {};
  },

  async listGroupsForUser(input, ctx) {
    const user = (await iam(ctx).must<UserRecord>(ctx.account, 'user', input.UserName!, 'user')).value;
    const groups = (await Promise.all(user.groups.map((n) => iam(ctx).get<GroupRecord>(ctx.account, 'group', n)))).filter((g) => !!g);
    return { Groups: groups.map((g) => groupView(g.value)), IsTruncated: false };
  },
} satisfies Provider<typeof Iam>;

async function ownKey(ctx: RequestContext, userName: string | undefined, id: string): Promise<AccessKeyRecord> {
  const name = userNameOf(ctx, userName);
  const key = await iam(ctx).accessKey(id);
  if (!key || key.account !== ctx.account || key.userName !== name) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
  return key;
}

/** CreateAccessKey after a conflicting write to the user: read it again. */
const createAccessKeyAgain = (input: Iam.CreateAccessKeyRequest, ctx: RequestContext): Promise<Iam.CreateAccessKeyResponse> =>
  (users.createAccessKey as (i: Iam.CreateAccessKeyRequest, c: RequestContext) => Promise<Iam.CreateAccessKeyResponse>)(input, ctx);
