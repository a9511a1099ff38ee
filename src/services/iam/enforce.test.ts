// Strict mode end to end through the real SDK: IAM users with policies, AWS's AccessDenied
// messages, explicit deny, permissions boundaries, iam:PassRole, AssumeRole into a role and acting
// with its expiring credentials, keys that stop working when deleted, internal calls authorized as
// the principal that caused them.
import { CreateClusterCommand, DescribeClustersCommand, ECSClient, ListClustersCommand, RegisterTaskDefinitionCommand, RunTaskCommand, SubmitTaskStateChangeCommand } from '@aws-sdk/client-ecs';
import {
  AttachUserPolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, IAMClient, ListUsersCommand,
  PutRolePolicyCommand, PutUserPermissionsBoundaryCommand, PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '../../common/ids.js';
import { newRootCredentials } from '../../server/root-credentials.js';
import { startHarness, type Harness } from '../../testing/harness.js';

type SdkError = Error & { $metadata?: { httpStatusCode?: number } };
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const rejectsWith = (p: Promise<unknown>, code: string, status: number, message?: RegExp | string) =>
  assert.rejects(p, (err: SdkError) => {
    assert.equal(err.name, code, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('IAM policies enforced (strict mode)', () => {
  let h: Harness;
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
  const root = newRootCredentials('111122223333');
  const acct = root.account;
  const arn = (r: string) => `arn:aws:ecs:us-east-1:${acct}:${r}`;
  let iam: IAMClient;
  const clients: Array<{ destroy(): void }> = [];
  const ecsAs = (credentials: Creds) => { const c = new ECSClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 }); clients.push(c); return c; };
  const iamAs = (credentials: Creds) => { const c = new IAMClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 }); clients.push(c); return c; };
  const stsAs = (credentials: Creds) => { const c = new STSClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 }); clients.push(c); return c; };

  async function user(name: string, ...statements: object[]): Promise<Creds> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (statements.length) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: policy(...statements) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }

  before(async () => {
    h = await startHarness({ auth: 'strict', rootCredentials: root, clock, host: '127.0.30.2' });
    iam = iamAs(root);
    for (const clusterName of ['a', 'b']) await h.ecs.send(new CreateClusterCommand({ clusterName }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32 }] }));
  });
  after(async () => { for (const c of clients) c.destroy(); await h.close(); });

  it('ecs:Describe* on one cluster: describes it, is denied the other cluster and RunTask, with AWS\'s messages', async () => {
    const alice = ecsAs(await user('alice', { Effect: 'Allow', Action: 'ecs:Describe*', Resource: arn('cluster/a') }));
    const described = await alice.send(new DescribeClustersCommand({ clusters: ['a'] }));
    assert.equal(described.clusters?.[0].clusterArn, arn('cluster/a'));
    await rejectsWith(alice.send(new DescribeClustersCommand({ clusters: ['b'] })), 'AccessDeniedException', 400,
      `User: arn:aws:iam::${acct}:user/alice is not authorized to perform: ecs:DescribeClusters on resource: ${arn('cluster/b')} because no identity-based policy allows the ecs:DescribeClusters action`);
    await rejectsWith(alice.send(new RunTaskCommand({ cluster: 'a', taskDefinition: 'web:1' })), 'AccessDeniedException', 400,
      `User: arn:aws:iam::${acct}:user/alice is not authorized to perform: ecs:RunTask on resource: ${arn('task-definition/web:1')} because no identity-based policy allows the ecs:RunTask action`);
    await rejectsWith(alice.send(new ListClustersCommand({})), 'AccessDeniedException', 400, /ecs:ListClusters on resource: \*/);
    // A forged agent state change is refused the same way.
    await rejectsWith(alice.send(new SubmitTaskStateChangeCommand({ cluster: 'a', task: 'x', status: 'STOPPED' })), 'AccessDeniedException', 400, /ecs:SubmitTaskStateChange/);
    // Query protocol: AccessDenied, 403.
    await rejectsWith(iamAs((await alice.config.credentials()) as Creds).send(new ListUsersCommand({})), 'AccessDenied', 403,
      new RegExp(`user/alice is not authorized to perform: iam:ListUsers on resource: \\*`));
  });

  it('an explicit deny wins over an allow', async () => {
    const bob = ecsAs(await user('bob', { Effect: 'Allow', Action: 'ecs:*', Resource: '*' }, { Effect: 'Deny', Action: 'ecs:DescribeClusters', Resource: arn('cluster/b') }));
    assert.equal((await bob.send(new ListClustersCommand({}))).clusterArns?.length, 2);
    await rejectsWith(bob.send(new DescribeClustersCommand({ clusters: ['b'] })), 'AccessDeniedException', 400, /with an explicit deny in an identity-based policy$/);
  });

  it('a permissions boundary limits what attached policies allow', async () => {
    const creds = await user('carol');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'carol', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    const carol = ecsAs(creds);
    assert.equal((await carol.send(new DescribeClustersCommand({ clusters: ['b'] }))).clusters?.length, 1);
    const { Policy } = await iam.send(new (await import('@aws-sdk/client-iam')).CreatePolicyCommand({ PolicyName: 'list-only', PolicyDocument: policy({ Effect: 'Allow', Action: 'ecs:List*', Resource: '*' }) }));
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: 'carol', PermissionsBoundary: Policy!.Arn }));
    assert.equal((await carol.send(new ListClustersCommand({}))).clusterArns?.length, 2);
    await rejectsWith(carol.send(new DescribeClustersCommand({ clusters: ['b'] })), 'AccessDeniedException', 400, /because no permissions boundary allows the ecs:DescribeClusters action$/);
  });

  it('iam:PassRole is required to give a task definition a task role', async () => {
    const dave = ecsAs(await user('dave', { Effect: 'Allow', Action: 'ecs:*', Resource: '*' }));
    const taskRoleArn = `arn:aws:iam::${acct}:role/app`;
    await rejectsWith(dave.send(new RegisterTaskDefinitionCommand({ family: 'app', taskRoleArn, containerDefinitions: [{ name: 'a', image: 'busybox', memory: 32 }] })),
      'AccessDeniedException', 400, `User: arn:aws:iam::${acct}:user/dave is not authorized to perform: iam:PassRole on resource: ${taskRoleArn} because no identity-based policy allows the iam:PassRole action`);
    await iam.send(new PutUserPolicyCommand({ UserName: 'dave', PolicyName: 'pass', PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:PassRole', Resource: taskRoleArn, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } }) }));
    const td = await dave.send(new RegisterTaskDefinitionCommand({ family: 'app', taskRoleArn, containerDefinitions: [{ name: 'a', image: 'busybox', memory: 32 }] }));
    assert.equal(td.taskDefinition?.taskRoleArn, taskRoleArn);
  });

  it('AssumeRole into a role, act with its credentials until they expire', async () => {
    const erin = await user('erin');
    const roleArn = `arn:aws:iam::${acct}:role/deployer`;
    await iam.send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:user/erin` }, Action: 'sts:AssumeRole' }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'ecs', PolicyDocument: policy({ Effect: 'Allow', Action: 'ecs:List*', Resource: '*' }) }));
    // erin has no policy at all: the trust policy naming her is enough in the same account.
    const assumed = await stsAs(erin).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'deploy-1', DurationSeconds: 900 }));
    const c = assumed.Credentials!;
    assert.match(c.AccessKeyId!, /^ASIA/);
    const session: Creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const id = await stsAs(session).send(new GetCallerIdentityCommand({}));
    assert.equal(id.Arn, `arn:aws:sts::${acct}:assumed-role/deployer/deploy-1`);
    assert.equal(id.UserId, assumed.AssumedRoleUser?.AssumedRoleId);
    assert.equal((await ecsAs(session).send(new ListClustersCommand({}))).clusterArns?.length, 2);
    await rejectsWith(ecsAs(session).send(new DescribeClustersCommand({ clusters: ['a'] })), 'AccessDeniedException', 400,
      new RegExp(`^User: arn:aws:sts::${acct}:assumed-role/deployer/deploy-1 is not authorized to perform: ecs:DescribeClusters`));
    // Without the session token the key is not valid; another user is not trusted.
    await rejectsWith(ecsAs({ ...session, sessionToken: undefined }).send(new ListClustersCommand({})), 'UnrecognizedClientException', 400);
    await rejectsWith(stsAs(await user('frank', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' })).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'other' })), 'AccessDenied', 403, /sts:AssumeRole/);
    offsetMs = 901_000;
    try {
      await rejectsWith(ecsAs(session).send(new ListClustersCommand({})), 'ExpiredTokenException', 400, 'The security token included in the request is expired');
    } finally { offsetMs = 0; }
  });

  it('a deleted access key stops working at once', async () => {
    const creds = await user('gina', { Effect: 'Allow', Action: 'ecs:List*', Resource: '*' });
    const gina = ecsAs(creds);
    assert.equal((await gina.send(new ListClustersCommand({}))).clusterArns?.length, 2);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'gina', AccessKeyId: creds.accessKeyId }));
    await rejectsWith(gina.send(new ListClustersCommand({})), 'UnrecognizedClientException', 400);
  });

  it('aws:ResourceTag/… conditions read the ECS resource\'s tags', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'tagged', tags: [{ key: 'env', value: 'dev' }] }));
    const ivy = ecsAs(await user('ivy', { Effect: 'Allow', Action: 'ecs:DescribeClusters', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/env': 'dev' } } }));
    assert.equal((await ivy.send(new DescribeClustersCommand({ clusters: ['tagged'] }))).clusters?.[0]?.clusterName, 'tagged');
    await rejectsWith(ivy.send(new DescribeClustersCommand({ clusters: ['a'] })), 'AccessDeniedException', 400, /cluster\/a because no identity-based policy allows/);
  });

  it('aws:SourceIp and aws:SecureTransport come from the caller\'s connection; a service acting for the principal has aws:ViaAWSService', async () => {
    const local = ecsAs(await user('jo', { Effect: 'Allow', Action: 'ecs:ListClusters', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } } }));
    assert.ok((await local.send(new ListClustersCommand({}))).clusterArns!.length >= 2, 'the test client is on loopback');
    const office = ecsAs(await user('kim', { Effect: 'Allow', Action: 'ecs:ListClusters', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] } } }));
    await rejectsWith(office.send(new ListClustersCommand({})), 'AccessDeniedException', 400, /ecs:ListClusters on resource: \* because no identity-based policy allows/);
    // AWS's "deny unless the request comes from our ranges", with its exception for services
    // calling on the principal's behalf.
    const lee = await user('lee', { Effect: 'Allow', Action: 'ecs:ListClusters', Resource: '*' },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' }, Bool: { 'aws:ViaAWSService': 'false' } } });
    await rejectsWith(ecsAs(lee).send(new ListClustersCommand({})), 'AccessDeniedException', 400, /with an explicit deny in an identity-based policy$/);
    const onBehalf = { account: acct, region: 'us-east-1', accessKeyId: lee.accessKeyId, principalArn: `arn:aws:iam::${acct}:user/lee` };
    assert.ok((await h.berth.app.call<{ clusterArns: string[] }>('ecs', 'ListClusters', {}, onBehalf)).clusterArns.length >= 2);
    // Plain HTTP is not secure transport.
    const max = ecsAs(await user('max', { Effect: 'Allow', Action: 'ecs:ListClusters', Resource: '*' },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    await rejectsWith(max.send(new ListClustersCommand({})), 'AccessDeniedException', 400, /with an explicit deny in an identity-based policy$/);
  });

  it('internal calls are authorized as the principal that caused them', async () => {
    const caller = { account: acct, region: 'us-east-1', accessKeyId: 'AKIAHANK', principalArn: `arn:aws:iam::${acct}:user/hank` };
    await user('hank', { Effect: 'Allow', Action: 'ecs:ListClusters', Resource: '*' });
    const listed = await h.berth.app.call<{ clusterArns: string[] }>('ecs', 'ListClusters', {}, caller);
    assert.equal(listed.clusterArns.length, 3);
    await assert.rejects(h.berth.app.call('ecs', 'DescribeClusters', { clusters: ['a'] }, caller), { name: 'AccessDeniedException' });
  });
});
