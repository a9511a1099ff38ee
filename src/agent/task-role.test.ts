// Task role credentials end to end, in strict mode: ECS assumes the task's role as
// ecs-tasks.amazonaws.com and sends the credentials in the ACS task; the agent serves them on the
// container credentials endpoint (169.254.170.2); the AWS SDK inside the container
// (berth-test/node: @aws-sdk/client-sts, default credential chain) gets the role's assumed-role ARN
// from GetCallerIdentity. Another task's container cannot read them; a role whose trust policy
// does not name ecs-tasks.amazonaws.com is not assumed. The agent runs as an IAM user allowed only
// ecs:*, so the awslogs shipping of a task with an execution role succeeds only because the
// execution role's credentials sign it.
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newRootCredentials } from '../server/root-credentials.js';
import { VERSION } from '../server/berth.js';
import { docker, eventually, removeContainersOf } from '../testing/docker-fixture.js';
import { startHarness, type Harness } from '../testing/harness.js';
import { requireCredentialsAddress, requireTestImage, requireTestNodeImage, TEST_IMAGE, TEST_NODE_IMAGE } from '../testing/requirements.js';
import { Agent } from './agent.js';
import { CREDENTIALS_HOST, FULL_URI_ENV, RELATIVE_URI_ENV } from './credentials-endpoint.js';
import { bridgeGateway } from './engine-probe.js';

const nodeImage = requireTestNodeImage();
const busybox = requireTestImage();
const address = requireCredentialsAddress();
const trust = (principal: object) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });

describe('task role credentials (strict mode, real containers)', [nodeImage, busybox, address].find((r) => r.skip) ?? address, () => {
  const root = newRootCredentials('444455556666');
  let h: Harness;
  let iam: IAMClient;
  let agent: Agent;
  let dir: string;
  let agentCredentials: { accessKeyId: string; secretAccessKey: string };
  const logs: string[] = [];

  before(async () => {
    // Containers reach the server on the Docker bridge's gateway (strict mode may listen off loopback).
    const gateway = await bridgeGateway();
    assert.ok(gateway, 'the Docker bridge network has a gateway address');
    h = await startHarness({ auth: 'strict', rootCredentials: root, host: gateway });
    iam = new IAMClient({ endpoint: h.url, region: 'us-east-1', credentials: root, maxAttempts: 1 });
    await iam.send(new CreateRoleCommand({ RoleName: 'app-role', AssumeRolePolicyDocument: trust({ Service: 'ecs-tasks.amazonaws.com' }) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'not-for-ecs', AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${root.account}:root` }) }));
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'roles' }));
    // The agent's own principal may do ECS's agent calls and nothing else (no logs:*, no ecr:*).
    await iam.send(new CreateUserCommand({ UserName: 'agent' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'agent', PolicyName: 'ecs-only', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecs:*', Resource: '*' }] }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'agent' }))).AccessKey!;
    agentCredentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    dir = mkdtempSync(join(tmpdir(), 'berth-task-role-'));
    agent = await Agent.start({
      endpoint: h.url, cluster: 'roles', runtime: 'docker', ip: '127.10.0.1', version: VERSION, credentials: agentCredentials,
      stateDir: join(dir, 'agent'), log: (l) => logs.push(l), backoffMs: [50, 1000],
    });
  });
  after(async () => {
    await agent?.stop();
    if (agent) removeContainersOf(agent.instanceArn);
    iam?.destroy();
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function run(family: string, container: object, taskRoleArn?: string): Promise<{ arn: string; runtimeId: string }> {
    const td = await h.ecs.send(new RegisterTaskDefinitionCommand({ family, taskRoleArn, containerDefinitions: [{ name: 'app', memory: 96, ...container }] }));
    const out = await h.ecs.send(new RunTaskCommand({ cluster: 'roles', taskDefinition: td.taskDefinition!.taskDefinitionArn! }));
    assert.equal(out.failures?.length ?? 0, 0, JSON.stringify(out.failures));
    const arn = out.tasks![0].taskArn!;
    const runtimeId = await eventually(`${arn} has a container`, async () => agent.engine.tasks[arn]?.containers[0]?.runtimeId, 60_000);
    return { arn, runtimeId };
  }

  const firstLine = (id: string) => eventually(`output of ${id}`, async () => docker('logs', id).split('\n').find((l) => l.startsWith('{')), 60_000);

  it('the SDK in the container gets the role\'s assumed-role ARN; another task cannot read the credentials', async () => {
    const roleArn = `arn:aws:iam::${root.account}:role/app-role`;
    const env = [{ name: 'BERTH_ENDPOINT', value: h.url }];
    const task = await run('whoami', { image: TEST_NODE_IMAGE, command: ['node', '/app/whoami.mjs', '--stay'], environment: env }, roleArn);
    const answer = JSON.parse(await firstLine(task.runtimeId)) as { Arn?: string; Account?: string; error?: string; message?: string };
    const taskId = task.arn.slice(task.arn.lastIndexOf('/') + 1);
    assert.equal(answer.Arn, `arn:aws:sts::${root.account}:assumed-role/app-role/${taskId}`, JSON.stringify(answer));
    assert.equal(answer.Account, root.account);

    // The container was given the endpoint, not keys.
    const containerEnv = JSON.parse(docker('inspect', '-f', '{{json .Config.Env}}', task.runtimeId)) as string[];
    assert.ok(!containerEnv.some((e) => e.startsWith('AWS_ACCESS_KEY_ID=') || e.startsWith('AWS_SECRET_ACCESS_KEY=')));
    const relative = containerEnv.find((e) => e.startsWith(`${RELATIVE_URI_ENV}=`))?.split('=')[1];
    const full = containerEnv.find((e) => e.startsWith(`${FULL_URI_ENV}=`))?.split('=')[1];
    const url = full ?? `http://${CREDENTIALS_HOST}${relative}`;
    assert.ok(relative || full, `the container has ${RELATIVE_URI_ENV} or ${FULL_URI_ENV}: ${containerEnv.join(' ')}`);
    const credentialsId = agent.roleCredentials.forTask(task.arn, 'TaskApplication')?.credentialsId;
    assert.ok(credentialsId && url.endsWith(`/v2/credentials/${credentialsId}`));

    // Another task's container, with the same URL: refused (source address is not the task's).
    const thief = await run('thief', { image: TEST_IMAGE, command: ['sh', '-c', `wget -q -O - ${url}; echo "{\\"exit\\":$?}"`] });
    const stolen = await eventually('thief output', async () => docker('logs', thief.runtimeId).trim().split('\n').at(-1)?.startsWith('{"exit"') && docker('logs', thief.runtimeId), 60_000);
    assert.doesNotMatch(stolen, /AccessKeyId/);
    assert.match(stolen, /\{"exit":1\}/);
    assert.ok(logs.some((l) => l.includes(`asked for the credentials of ${task.arn}`)), 'the refusal is logged');

    await h.ecs.send(new StopTaskCommand({ cluster: 'roles', task: task.arn }));
  });

  it('a role that does not trust ecs-tasks.amazonaws.com is not assumed: the container has no credentials', async () => {
    const env = [{ name: 'BERTH_ENDPOINT', value: h.url }];
    const task = await run('untrusted', { image: TEST_NODE_IMAGE, environment: env }, `arn:aws:iam::${root.account}:role/not-for-ecs`);
    const answer = JSON.parse(await firstLine(task.runtimeId)) as { Arn?: string; error?: string };
    assert.equal(answer.Arn, undefined);
    assert.ok(answer.error, 'GetCallerIdentity failed for lack of credentials');
    assert.equal(agent.roleCredentials.forTask(task.arn, 'TaskApplication'), undefined);
  });

  it('the execution role\'s credentials sign the task\'s awslogs shipping', async () => {
    const logsAs = (credentials: { accessKeyId: string; secretAccessKey: string }) => new CloudWatchLogsClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    const rootLogs = logsAs(root);
    const agentLogs = logsAs(agentCredentials);
    try {
      // The agent's own credentials may not write logs.
      await rootLogs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/exec' }));
      await assert.rejects(agentLogs.send(new CreateLogStreamCommand({ logGroupName: '/ecs/exec', logStreamName: 'probe' })), { name: 'AccessDeniedException' });
      const exec = (await iam.send(new CreateRoleCommand({ RoleName: 'exec-role', AssumeRolePolicyDocument: trust({ Service: 'ecs-tasks.amazonaws.com' }) }))).Role!;
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'exec-role', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy' }));
      const td = await h.ecs.send(new RegisterTaskDefinitionCommand({
        family: 'logged', executionRoleArn: exec.Arn, containerDefinitions: [{
          name: 'app', image: TEST_IMAGE, memory: 32, command: ['sh', '-c', 'echo hello-from-exec-role; sleep 3600'],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/exec', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app' } },
        }],
      }));
      const out = await h.ecs.send(new RunTaskCommand({ cluster: 'roles', taskDefinition: td.taskDefinition!.taskDefinitionArn! }));
      assert.equal(out.failures?.length ?? 0, 0, JSON.stringify(out.failures));
      const arn = out.tasks![0].taskArn!;
      const stream = `app/app/${arn.slice(arn.lastIndexOf('/') + 1)}`;
      const events = await eventually('the line shipped with the execution role', async () => {
        const got = await rootLogs.send(new GetLogEventsCommand({ logGroupName: '/ecs/exec', logStreamName: stream, startFromHead: true })).catch(() => undefined);
        return got?.events?.some((e) => e.message === 'hello-from-exec-role') && got.events;
      }, 60_000);
      assert.ok(events.length >= 1);
      assert.equal(agent.roleCredentials.forTask(arn, 'TaskExecution')?.roleArn, exec.Arn);
      await h.ecs.send(new StopTaskCommand({ cluster: 'roles', task: arn }));
    } finally {
      rootLogs.destroy();
      agentLogs.destroy();
    }
  });
});
