// IAM's API through the real SDK: users, groups, roles, managed policies with versions, inline
// policies, access keys, instance profiles, tags, paging, and AWS's errors for what does not exist,
// already exists or is still in use.
import {
  AddRoleToInstanceProfileCommand, AddUserToGroupCommand, AttachGroupPolicyCommand, AttachRolePolicyCommand, CreateAccessKeyCommand, CreateGroupCommand,
  CreateInstanceProfileCommand, CreatePolicyCommand, CreatePolicyVersionCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand,
  DeleteGroupCommand, DeletePolicyCommand, DeletePolicyVersionCommand, DeleteRoleCommand, DeleteUserCommand, DetachRolePolicyCommand, GetGroupCommand,
  GetInstanceProfileCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand, GetUserCommand, IAMClient,
  ListAccessKeysCommand, ListAttachedRolePoliciesCommand, ListGroupsForUserCommand, ListInstanceProfilesForRoleCommand, ListPoliciesCommand,
  ListPolicyVersionsCommand, ListRolePoliciesCommand, ListRolesCommand, ListUserTagsCommand, ListUsersCommand, PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand, RemoveUserFromGroupCommand, SetDefaultPolicyVersionCommand, TagUserCommand, UntagUserCommand,
  UpdateAccessKeyCommand, UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, startHarness, type Harness } from '../../testing/harness.js';

type SdkError = Error & { $metadata?: { httpStatusCode?: number } };
const rejectsWith = (p: Promise<unknown>, name: string, status: number, message?: RegExp) =>
  assert.rejects(p, (err: SdkError) => {
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const TRUST = doc({ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' });

describe('IAM API', () => {
  let h: Harness;
  let iam: IAMClient;
  const A = '000000000000';
  before(async () => {
    h = await startHarness({ host: '127.0.30.9' });
    iam = new IAMClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  after(async () => { iam.destroy(); await h.close(); });

  it('users: create with path and tags, get, list with paging and path prefix, tag/untag, errors', async () => {
    const created = (await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/eng/', Tags: [{ Key: 'team', Value: 'blue' }] }))).User!;
    assert.equal(created.Arn, `arn:aws:iam::${A}:user/eng/alice`);
    assert.match(created.UserId!, /^AIDA[A-Z2-7]{17}$/);
    assert.deepEqual(created.Tags, [{ Key: 'team', Value: 'blue' }]);
    for (const name of ['bob', 'carol']) await iam.send(new CreateUserCommand({ UserName: name }));
    assert.equal((await iam.send(new GetUserCommand({ UserName: 'alice' }))).User?.Path, '/eng/');
    const first = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
    assert.deepEqual(first.Users?.map((u) => u.UserName), ['alice', 'bob']);
    assert.equal(first.IsTruncated, true);
    const rest = await iam.send(new ListUsersCommand({ Marker: first.Marker }));
    assert.deepEqual(rest.Users?.map((u) => u.UserName), ['carol']);
    assert.equal(rest.IsTruncated, false);
    assert.deepEqual((await iam.send(new ListUsersCommand({ PathPrefix: '/eng/' }))).Users?.map((u) => u.UserName), ['alice']);
    await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'red' }] }));
    await iam.send(new UntagUserCommand({ UserName: 'alice', TagKeys: ['env'] }));
    assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: 'alice' }))).Tags, [{ Key: 'team', Value: 'red' }]);
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'alice' })), 'EntityAlreadyExistsException', 409, /User with name alice already exists/);
    await rejectsWith(iam.send(new GetUserCommand({ UserName: 'nobody' })), 'NoSuchEntityException', 404, /The user with name nobody cannot be found/);
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'bad name' })), 'ValidationError', 400);
  });

  it('access keys: two per user, update, delete; a user with keys cannot be deleted', async () => {
    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!;
    assert.match(k1.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k1.SecretAccessKey?.length, 40);
    await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }));
    await rejectsWith(iam.send(new CreateAccessKeyCommand({ UserName: 'bob' })), 'LimitExceededException', 409, /AccessKeysPerUser: 2/);
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: k1.AccessKeyId, Status: 'Inactive' }));
    const listed = (await iam.send(new ListAccessKeysCommand({ UserName: 'bob' }))).AccessKeyMetadata!;
    assert.deepEqual(listed.map((k) => k.Status).sort(), ['Active', 'Inactive']);
    assert.ok(listed.every((k) => !('SecretAccessKey' in k)));
    await rejectsWith(iam.send(new DeleteUserCommand({ UserName: 'bob' })), 'DeleteConflictException', 409);
    for (const k of listed) await iam.send(new DeleteAccessKeyCommand({ UserName: 'bob', AccessKeyId: k.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'bob' }));
    await rejectsWith(iam.send(new GetUserCommand({ UserName: 'bob' })), 'NoSuchEntityException', 404);
  });

  it('groups: members and policies; a group in use cannot be deleted', async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'devs' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'carol' }));
    const group = await iam.send(new GetGroupCommand({ GroupName: 'devs' }));
    assert.equal(group.Group?.Arn, `arn:aws:iam::${A}:group/devs`);
    assert.deepEqual(group.Users?.map((u) => u.UserName), ['carol']);
    assert.deepEqual((await iam.send(new ListGroupsForUserCommand({ UserName: 'carol' }))).Groups?.map((g) => g.GroupName), ['devs']);
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'devs', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    await rejectsWith(iam.send(new DeleteGroupCommand({ GroupName: 'devs' })), 'DeleteConflictException', 409);
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'devs', UserName: 'carol' }));
    assert.deepEqual((await iam.send(new GetGroupCommand({ GroupName: 'devs' }))).Users, []);
  });

  it('managed policies: versions (default, at most 5), attachment counts, AWS managed ones, deletion rules', async () => {
    const p = (await iam.send(new CreatePolicyCommand({ PolicyName: 'ecs-read', PolicyDocument: doc({ Effect: 'Allow', Action: 'ecs:Describe*', Resource: '*' }) }))).Policy!;
    assert.equal(p.Arn, `arn:aws:iam::${A}:policy/ecs-read`);
    assert.equal(p.DefaultVersionId, 'v1');
    const v2 = (await iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc({ Effect: 'Allow', Action: 'ecs:List*', Resource: '*' }), SetAsDefault: true }))).PolicyVersion!;
    assert.deepEqual([v2.VersionId, v2.IsDefaultVersion], ['v2', true]);
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy?.DefaultVersionId, 'v2');
    const v1 = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v1' }))).PolicyVersion!;
    assert.match(decodeURIComponent(v1.Document!), /ecs:Describe\*/);
    for (let i = 0; i < 3; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc({ Effect: 'Allow', Action: 'ecs:List*', Resource: '*' }) }));
    await rejectsWith(iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) })), 'LimitExceededException', 409);
    await rejectsWith(iam.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v2' })), 'DeleteConflictException', 409);
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v1' }));
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v2' }));
    assert.deepEqual((await iam.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn }))).Versions?.map((v) => v.VersionId), ['v5', 'v4', 'v3', 'v1']);
    await rejectsWith(iam.send(new CreatePolicyCommand({ PolicyName: 'bad', PolicyDocument: '{not json' })), 'MalformedPolicyDocumentException', 400);
    const local = (await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!;
    assert.deepEqual(local.map((x) => x.PolicyName), ['ecs-read']);
    const aws = (await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }))).Policies!;
    assert.ok(aws.some((x) => x.Arn === 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'));
    await rejectsWith(iam.send(new DeletePolicyCommand({ PolicyArn: p.Arn })), 'DeleteConflictException', 409, /non-default versions/);
  });

  it('roles: trust policy (URL-encoded as AWS returns it), inline and attached policies, instance profiles, deletion rules', async () => {
    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'ecsInstanceRole', AssumeRolePolicyDocument: TRUST, Description: 'agents' }))).Role!;
    assert.equal(role.Arn, `arn:aws:iam::${A}:role/ecsInstanceRole`);
    assert.equal(decodeURIComponent(role.AssumeRolePolicyDocument!), TRUST);
    assert.equal(role.MaxSessionDuration, 3600);
    const updated = doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyDocument: updated }));
    assert.equal(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'ecsInstanceRole' }))).Role!.AssumeRolePolicyDocument!), updated);
    await iam.send(new PutRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyName: 'logs', PolicyDocument: doc({ Effect: 'Allow', Action: 'logs:*', Resource: '*' }) }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'ecsInstanceRole' }))).PolicyNames, ['logs']);
    assert.match(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyName: 'logs' }))).PolicyDocument!), /logs:\*/);
    const managed = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: managed }));
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'ecsInstanceRole' }))).AttachedPolicies?.map((a) => a.PolicyArn), [managed]);
    await rejectsWith(iam.send(new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: `arn:aws:iam::${A}:policy/none` })), 'NoSuchEntityException', 404);

    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'ecsInstanceProfile' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'ecsInstanceProfile', RoleName: 'ecsInstanceRole' }));
    const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'ecsInstanceProfile' }))).InstanceProfile!;
    assert.equal(profile.Arn, `arn:aws:iam::${A}:instance-profile/ecsInstanceProfile`);
    assert.deepEqual(profile.Roles?.map((r) => r.RoleName), ['ecsInstanceRole']);
    assert.deepEqual((await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'ecsInstanceRole' }))).InstanceProfiles?.map((p) => p.InstanceProfileName), ['ecsInstanceProfile']);
    await rejectsWith(iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'ecsInstanceProfile', RoleName: 'ecsInstanceRole' })), 'LimitExceededException', 409);
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'ecsInstanceRole' })), 'DeleteConflictException', 409, /instance profile/);
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'ecsInstanceProfile', RoleName: 'ecsInstanceRole' }));
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'ecsInstanceRole' })), 'DeleteConflictException', 409, /policies/);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: managed }));
    assert.deepEqual((await iam.send(new ListRolesCommand({}))).Roles?.map((r) => r.RoleName), ['ecsInstanceRole']);
  });
});
