// `berth up` as users run it: one process, server + a local agent in cluster "default", saying
// which runtime it picked. With no Docker engine reachable it falls back to the simulated runtime.
import { DescribeContainerInstancesCommand, DescribeTasksCommand, ECSClient, ListContainerInstancesCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually, removeContainersOf } from '../agent/docker-fixture.js';
import { spawnBerth } from '../agent/processes.js';
import { credentials } from '../testing/harness.js';
import { requireTestImage, TEST_IMAGE } from '../testing/requirements.js';

async function upAndRun(env: NodeJS.ProcessEnv, image: string, expectRuntime: RegExp) {
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
    await eventually(async () => (await client.send(new DescribeContainerInstancesCommand({ containerInstances: [instanceArn] }))).containerInstances![0].agentConnected, 'connected');
    await client.send(new RegisterTaskDefinitionCommand({ family: 'up', containerDefinitions: [{ name: 's', image, memory: 32, command: ['sleep', '3600'], stopTimeout: 1 }] }));
    const arn = (await client.send(new RunTaskCommand({ taskDefinition: 'up' }))).tasks![0].taskArn!;
    const status = async () => (await client.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0].lastStatus;
    await eventually(async () => (await status()) === 'RUNNING', 'RUNNING');
    await client.send(new StopTaskCommand({ task: arn }));
    await eventually(async () => (await status()) === 'STOPPED', 'STOPPED');
    assert.equal(await up.kill('SIGTERM'), 0, 'a clean exit on SIGTERM');
  } finally {
    ecs.client?.destroy();
    await up.kill('SIGKILL');
    if (instanceArn && expectRuntime.source.includes('docker')) removeContainersOf(instanceArn);
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe('berth up', () => {
  it('runs server and agent with the simulated runtime when no Docker engine answers', async () => {
    await upAndRun({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, 'busybox', /runtime: simulated \(no Docker engine/);
  });

  it('runs server and agent with the docker runtime when the engine answers', requireTestImage(), async () => {
    await upAndRun({}, TEST_IMAGE, /runtime: docker \(Docker \S+/);
  });
});
