// Agents prove who they are (strict mode): an agent registers and connects with an instance role's
// credentials (AWS's AmazonEC2ContainerServiceforEC2Role), runs what it is given; a wrong secret
// cannot register; another principal cannot take over the instance's websocket session, nor
// connect for an instance of another account, nor connect without ecs:Poll.
import { CreateClusterCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { signedUpgradeHeaders } from '../../agent/acs-client.js';
import { newRootCredentials } from '../../server/root-credentials.js';
import { eventually } from '../../testing/eventually.js';
import { startHarness, type Harness } from '../../testing/harness.js';
import { Agents } from '../../testing/service-test-kit.js';

type Creds = { accessKeyId: string; secretAccessKey: string };

describe('agents in strict mode', () => {
  let h: Harness;
  let iam: IAMClient;
  let agents: Agents;
  const root = newRootCredentials('222233334444');

  async function user(name: string, attach?: string, inline?: object): Promise<Creds> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (attach) await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: attach }));
    if (inline) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [inline] }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }

  /** The HTTP status of a websocket upgrade for `instanceArn` signed with `credentials`. */
  async function upgrade(instanceArn: string, credentials: Creds): Promise<number> {
    const url = new URL(`${h.url.replace('http', 'ws')}/ws`);
    url.searchParams.set('clusterArn', instanceArn.replace(/:container-instance\/([^/]+)\/.*$/, ':cluster/$1'));
    url.searchParams.set('containerInstanceArn', instanceArn);
    const headers = await signedUpgradeHeaders(url, credentials, 'us-east-1');
    const ws = new WebSocket(url, { headers });
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    ws.terminate();
    return status;
  }

  before(async () => {
    h = await startHarness({ auth: 'strict', rootCredentials: root, host: '127.0.30.4' });
    iam = new IAMClient({ endpoint: h.url, region: 'us-east-1', credentials: root, maxAttempts: 1 });
    agents = new Agents(h.url);
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'fleet' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'sleep', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, command: ['sleep', 'infinity'] }] }));
  });
  after(async () => { await agents.close(); iam.destroy(); await h.close(); });

  it('an instance role registers and connects, runs a task; other principals cannot take over its session', async () => {
    const instance = await user('instance', 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role');
    const agent = await agents.start('fleet', { credentials: instance, ip: '127.0.30.4' });
    assert.match(agent.instanceArn, new RegExp(`^arn:aws:ecs:us-east-1:${root.account}:container-instance/fleet/`));
    const acs = h.berth.services.ecs.acs;
    await eventually('the agent connected', () => acs.sessions.size === 1);
    const run = await h.ecs.send(new RunTaskCommand({ cluster: 'fleet', taskDefinition: 'sleep' }));
    const taskArn = run.tasks?.[0]?.taskArn;
    assert.ok(taskArn, JSON.stringify(run.failures));
    await eventually('the task RUNNING', async () =>
      (await h.ecs.send(new DescribeTasksCommand({ cluster: 'fleet', tasks: [taskArn] }))).tasks?.[0]?.lastStatus === 'RUNNING');

    // Another user with every ECS permission still cannot take the connected instance's session.
    const mallory = await user('mallory', undefined, { Effect: 'Allow', Action: 'ecs:*', Resource: '*' });
    assert.equal(await upgrade(agent.instanceArn, mallory), 403);
    // A user without ecs:Poll cannot connect at all; a wrong secret is refused.
    const reader = await user('reader', undefined, { Effect: 'Allow', Action: 'ecs:Describe*', Resource: '*' });
    const fresh = agent.instanceArn.replace(/\/[^/]+$/, '/00000000000000000000000000000000');
    assert.equal(await upgrade(fresh, reader), 403);
    assert.equal(await upgrade(fresh, { ...instance, secretAccessKey: 'wrong' }), 403);
    // An instance ARN of another account is refused even with a valid key.
    assert.equal(await upgrade(fresh.replace(root.account, '999988887777'), instance), 403);
    // The session is still the agent's.
    assert.equal(acs.sessions.size, 1);
  });

  it('an agent with a wrong secret cannot register', async () => {
    await assert.rejects(agents.start('fleet', { credentials: { accessKeyId: root.accessKeyId, secretAccessKey: 'wrong' }, ip: '127.0.30.5', backoffMs: [10, 10] }),
      /signature|InvalidSignature/i);
  });
});
