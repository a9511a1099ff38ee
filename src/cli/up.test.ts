// `berth up` as users run it: one process, server + a local agent in cluster "default", saying
// which runtime it picked. With no Docker engine reachable it falls back to the simulated runtime.
// With Docker, the README's first steps verbatim through the AWS CLI: a busybox httpd on a dynamic
// host port answers HTTP, and stop-task ends it with its exit code and ECS's stop code and reason.
import { DescribeContainerInstancesCommand, DescribeTasksCommand, ECSClient, ListContainerInstancesCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually, removeContainersOf } from '../testing/docker-fixture.js';
import { spawnBerth } from '../testing/processes.js';
import { credentials } from '../testing/harness.js';
import { requireAwsCliV1, requireTestImage, TEST_IMAGE } from '../testing/requirements.js';

type Exercise = (client: ECSClient, url: string, cwd: string) => Promise<void>;

async function upAndRun(env: NodeJS.ProcessEnv, expectRuntime: RegExp, exercise: Exercise) {
  const cwd = mkdtempSync(join(tmpdir(), 'berth-up-'));
  const up = spawnBerth(['up', '--port', '0', '--store', 'memory://'], { cwd, env });
  let instanceArn = '';
  const ecs = { client: undefined as ECSClient | undefined };
  try {
    const url = (await up.waitFor(/listening on (http:\/\/\S+)/))[1];
    await up.waitFor(expectRuntime);
    instanceArn = (await up.waitFor(/agent: (arn:\S+container-instance\/default\/\w+)/))[1];
    const client = ecs.client = new ECSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
    assert.deepEqual((await client.send(new ListContainerInstancesCommand({}))).containerInstanceArns, [instanceArn]);
    await eventually('connected', async () => (await client.send(new DescribeContainerInstancesCommand({ containerInstances: [instanceArn] }))).containerInstances![0].agentConnected);
    await exercise(client, url, cwd);
    assert.equal(await up.kill('SIGTERM'), 0, 'a clean exit on SIGTERM');
  } finally {
    ecs.client?.destroy();
    await up.kill('SIGKILL');
    if (instanceArn && expectRuntime.source.includes('docker')) removeContainersOf(instanceArn);
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** RunTask → RUNNING → StopTask → STOPPED through the SDK. */
const runAndStop = (image: string): Exercise => async (client) => {
  await client.send(new RegisterTaskDefinitionCommand({ family: 'up', containerDefinitions: [{ name: 's', image, memory: 32, command: ['sleep', '3600'], stopTimeout: 1 }] }));
  const arn = (await client.send(new RunTaskCommand({ taskDefinition: 'up' }))).tasks![0].taskArn!;
  const status = async () => (await client.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0].lastStatus;
  await eventually('RUNNING', async () => (await status()) === 'RUNNING');
  await client.send(new StopTaskCommand({ task: arn }));
  await eventually('STOPPED', async () => (await status()) === 'STOPPED');
};

/** The AWS CLI v1 in a clean environment (test credentials, no config files, JSON output). */
function aws(url: string, cwd: string, ...args: string[]): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '',
    AWS_DEFAULT_OUTPUT: 'json', AWS_CONFIG_FILE: join(cwd, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-credentials') });
  return new Promise((resolve, reject) => {
    execFile('aws', ['--endpoint-url', url, ...args], { env, cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`aws ${args.join(' ')}: ${stderr || stdout}`)); else resolve(JSON.parse(stdout || '{}'));
    });
  });
}

/** The README's first run: busybox httpd with a dynamic host port, through the AWS CLI. */
const readmeDemo: Exercise = async (client, url, cwd) => {
  writeFileSync(join(cwd, 'web.json'), JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'httpd', image: TEST_IMAGE, memory: 32,
    stopTimeout: 2, command: ['httpd', '-f', '-p', '80', '-h', '/var/www'], portMappings: [{ containerPort: 80, hostPort: 0 }] }] }));
  await aws(url, cwd, 'ecs', 'register-task-definition', '--cli-input-json', 'file://web.json');
  const arn: string = (await aws(url, cwd, 'ecs', 'run-task', '--task-definition', 'web')).tasks[0].taskArn;
  const running = await eventually('RUNNING', async () => { const t = (await client.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]; return t.lastStatus === 'RUNNING' && t; });
  const binding = running.containers![0].networkBindings![0];
  assert.equal(binding.containerPort, 80);
  assert.ok((binding.hostPort ?? 0) > 0, 'a dynamic host port');
  const body = await eventually('httpd answering', async () => (await fetch(`http://${binding.bindIP}:${binding.hostPort}/`)).text());
  assert.equal(body.trim(), 'hello from berth-test');

  await aws(url, cwd, 'ecs', 'stop-task', '--task', arn);
  await eventually('STOPPED', async () => (await client.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0].lastStatus === 'STOPPED');
  const stopped = (await aws(url, cwd, 'ecs', 'describe-tasks', '--tasks', arn)).tasks[0];
  assert.equal(stopped.stopCode, 'UserInitiated');
  assert.equal(stopped.stoppedReason, 'Task stopped by user');
  // httpd as PID 1 ignores SIGTERM: SIGKILL after the 2 s stopTimeout.
  assert.deepEqual([stopped.containers[0].lastStatus, stopped.containers[0].exitCode], ['STOPPED', 137]);
};

describe('berth up', () => {
  it('runs server and agent with the simulated runtime when no Docker engine answers', async () => {
    await upAndRun({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, /runtime: simulated \(no Docker engine/, runAndStop('busybox'));
  });

  const docker = requireTestImage();
  it('runs server and agent with the docker runtime when the engine answers: the README demo through the AWS CLI',
    docker.skip ? docker : requireAwsCliV1(), async () => {
      await upAndRun({}, /runtime: docker \(Docker \S+/, readmeDemo);
    });
});
