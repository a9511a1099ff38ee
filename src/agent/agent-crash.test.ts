// Crash safety with real processes and real containers: kill -9 of the agent (its containers keep
// running; the restarted agent adopts them, no duplicate), kill -9 of the server (the agent
// reconnects and tells the restarted server what happened meanwhile), and a container removed
// behind the agent's back.
import {
  CreateClusterCommand, DescribeClustersCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, ECSClient,
  ListContainerInstancesCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials } from '../testing/harness.js';
import { requireTestImage, TEST_IMAGE } from '../testing/requirements.js';
import { docker, eventually, removeContainersOf } from '../testing/docker-fixture.js';
import { freePort, spawnBerth, type BerthProcess } from '../testing/processes.js';

const IP = '127.0.0.22';

describe('agent and server crashes (processes, docker runtime)', requireTestImage(), () => {
  let dir: string;
  let port: number;
  let url: string;
  let server: BerthProcess;
  let agent: BerthProcess;
  let ecs: ECSClient;
  let instanceArn = '';

  const startServer = async () => {
    server = spawnBerth(['server', '--port', String(port), '--data', join(dir, 'data'), '--agent-grace', '3']);
    await server.waitFor(/listening on/);
  };
  const startAgent = async () => {
    agent = spawnBerth(['agent', '--endpoint', url, '--cluster', 'crash', '--ip', IP, '--state-dir', join(dir, 'agent'), '--instance-type', 'm5.large']);
    const m = await agent.waitFor(/agent: (arn:aws:ecs:\S+container-instance\S+)/);
    return m[1];
  };
  const task = async (arn: string): Promise<Task> => (await ecs.send(new DescribeTasksCommand({ cluster: 'crash', tasks: [arn] }))).tasks![0];
  const untilStatus = (arn: string, status: string) => eventually(`${status}`, async () => { const t = await task(arn); return t.lastStatus === status && t; });
  const containersOf = (arn: string) => docker('ps', '-aq', '--no-trunc', '--filter', `label=com.amazonaws.ecs.task-arn=${arn}`).split('\n').filter(Boolean);
  let td = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-crash-'));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startServer();
    ecs = new ECSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 3 });
    await ecs.send(new CreateClusterCommand({ clusterName: 'crash' }));
    instanceArn = await startAgent();
    td = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'crashy', containerDefinitions: [
      { name: 'web', image: TEST_IMAGE, memory: 32, stopTimeout: 1, command: ['httpd', '-f', '-p', '80', '-h', '/var/www'], portMappings: [{ containerPort: 80 }] },
    ] }))).taskDefinition!.taskDefinitionArn!;
  });
  after(async () => {
    await agent?.kill('SIGTERM');
    await server?.kill('SIGTERM');
    ecs?.destroy();
    if (instanceArn) removeContainersOf(instanceArn);
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 of the agent: the container keeps running and the restarted agent adopts it', async () => {
    const arn = (await ecs.send(new RunTaskCommand({ cluster: 'crash', taskDefinition: td }))).tasks![0].taskArn!;
    const running = await untilStatus(arn, 'RUNNING');
    const id = running.containers![0].runtimeId!;
    await agent.kill('SIGKILL');
    assert.equal(docker('inspect', '-f', '{{.State.Running}}', id), 'true');

    assert.equal(await startAgent(), instanceArn, 'same container instance after the restart');
    assert.equal(JSON.parse(readFileSync(join(dir, 'agent', 'state.json'), 'utf8')).instanceArn, instanceArn);
    assert.deepEqual((await ecs.send(new ListContainerInstancesCommand({ cluster: 'crash' }))).containerInstanceArns, [instanceArn]);
    await eventually('the agent connected again', async () => (await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'crash', containerInstances: [instanceArn] })))
      .containerInstances![0].agentConnected);
    assert.deepEqual(containersOf(arn), [id], 'the same container, no duplicate');
    assert.equal(docker('inspect', '-f', '{{.State.Running}}', id), 'true');
    const b = running.containers![0].networkBindings![0];
    assert.equal((await (await fetch(`http://${IP}:${b.hostPort}/`)).text()).trim(), 'hello from berth-test');

    await ecs.send(new StopTaskCommand({ cluster: 'crash', task: arn }));
    assert.equal((await untilStatus(arn, 'STOPPED')).containers![0].exitCode, 137);
  });

  it('kill -9 of the server: the agent reconnects and reports what happened while it was down', async () => {
    const arn = (await ecs.send(new RunTaskCommand({ cluster: 'crash', taskDefinition: td }))).tasks![0].taskArn!;
    const id = (await untilStatus(arn, 'RUNNING')).containers![0].runtimeId!;
    await server.kill('SIGKILL');
    docker('kill', id); // the essential container dies while nobody hears the report
    await startServer();
    const stopped = await untilStatus(arn, 'STOPPED');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    assert.equal(stopped.containers![0].exitCode, 137);
    // The restarted server reaches the agent again (its ACS reconnect has its own backoff, apart
    // from the report's retries): a new task runs.
    await eventually('the agent connected again', async () => (await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'crash', containerInstances: [instanceArn] })))
      .containerInstances![0].agentConnected);
    const next = (await ecs.send(new RunTaskCommand({ cluster: 'crash', taskDefinition: td }))).tasks![0].taskArn!;
    await untilStatus(next, 'RUNNING');
    await ecs.send(new StopTaskCommand({ cluster: 'crash', task: next }));
    await untilStatus(next, 'STOPPED');
  });

  it('a container removed behind the agent’s back stops its task with a reason', async () => {
    const arn = (await ecs.send(new RunTaskCommand({ cluster: 'crash', taskDefinition: td }))).tasks![0].taskArn!;
    const id = (await untilStatus(arn, 'RUNNING')).containers![0].runtimeId!;
    docker('rm', '-f', id);
    const stopped = await untilStatus(arn, 'STOPPED');
    assert.equal(stopped.stoppedReason, 'Essential container web was removed outside the agent');
    assert.match(stopped.containers![0].reason ?? '', /^ContainerRemovedError: /);
  });

  it('after all of that, the instance and cluster counters are exact: nothing runs, everything is given back', async () => {
    const ci = (await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'crash', containerInstances: [instanceArn] }))).containerInstances![0];
    assert.deepEqual([ci.runningTasksCount, ci.pendingTasksCount], [0, 0]);
    assert.deepEqual(ci.remainingResources, ci.registeredResources);
    const cluster = (await ecs.send(new DescribeClustersCommand({ clusters: ['crash'] }))).clusters![0];
    assert.deepEqual([cluster.runningTasksCount, cluster.pendingTasksCount, cluster.registeredContainerInstancesCount], [0, 0, 1]);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: 'crash', desiredStatus: 'STOPPED' }))).taskArns?.length, 4);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: 'crash' }))).taskArns, []);
  });
});
