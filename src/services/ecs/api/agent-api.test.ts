// The agent's API calls: how reports move a task (forward only) and which stopCode/stoppedReason
// a stopped task ends with; DiscoverPollEndpoint.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, DiscoverPollEndpointCommand, ECSClient,
  RegisterTaskDefinitionCommand, RunTaskCommand, SubmitAttachmentStateChangesCommand, SubmitContainerStateChangeCommand,
  SubmitTaskStateChangeCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { credentials, startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';

describe('ECS agent API', () => {
  let h: Harness;
  let agent: TestAgent;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'a' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'app', containerDefinitions: [
        { name: 'main', image: 'busybox', memory: 128, essential: true },
        { name: 'side', image: 'busybox', memory: 64, essential: false },
      ],
    }));
    agent = await TestAgent.register(h.ecs, { cluster: 'a', memory: 1024 });
  });

  const runOne = async () => (await h.ecs.send(new RunTaskCommand({ cluster: 'a', taskDefinition: 'app' }))).tasks![0].taskArn!;
  const describeTask = async (arn: string) => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'a', tasks: [arn] }))).tasks![0];
  const memoryLeft = async () => (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'a', containerInstances: [agent.instanceArn] })))
    .containerInstances![0].remainingResources!.find((r) => r.name === 'MEMORY')!.integerValue;

  it('an essential container exiting stops the task with EssentialContainerExited, and gives memory back', async () => {
    const arn = await runOne();
    assert.equal(await memoryLeft(), 1024 - 192);
    await agent.report(arn, 'PENDING');
    await agent.report(arn, 'RUNNING');
    const ack = await agent.report(arn, 'STOPPED', { containers: [
      { containerName: 'main', status: 'STOPPED', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
      { containerName: 'side', status: 'STOPPED', exitCode: 143 }] });
    assert.equal(ack.acknowledgment, 'ACK');
    const t = await describeTask(arn);
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.desiredStatus, 'STOPPED');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    assert.equal(t.stoppedReason, 'Essential container in task exited');
    assert.deepEqual(t.containers?.map((c) => [c.name, c.lastStatus, c.exitCode, c.reason]), [
      ['main', 'STOPPED', 137, 'OutOfMemoryError: Container killed due to memory usage'], ['side', 'STOPPED', 143, undefined]]);
    assert.ok(t.stoppedAt && t.executionStoppedAt && t.startedAt);
    assert.equal(await memoryLeft(), 1024);
  });

  it('a task that never ran stops with TaskFailedToStart and the pull error', async () => {
    const arn = await runOne();
    const pullError = 'CannotPullContainerError: pull access denied for nosuch/image';
    await agent.report(arn, 'STOPPED', { containers: [{ containerName: 'main', status: 'STOPPED', reason: pullError }] });
    const t = await describeTask(arn);
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.equal(t.stoppedReason, pullError);
    assert.equal(t.startedAt, undefined);
    assert.equal(await memoryLeft(), 1024);
  });

  it('moves statuses forward only; a duplicate or stale report changes nothing', async () => {
    const arn = await runOne();
    await agent.report(arn, 'RUNNING');
    const v = (await describeTask(arn)).version;
    await agent.report(arn, 'RUNNING');
    await agent.report(arn, 'PENDING');
    const t = await describeTask(arn);
    assert.equal(t.lastStatus, 'RUNNING');
    assert.equal(t.version, v);
    await h.ecs.send(new SubmitContainerStateChangeCommand({ cluster: 'a', task: arn, containerName: 'side', status: 'STOPPED', exitCode: 0 }));
    const after = await describeTask(arn);
    assert.deepEqual(after.containers?.map((c) => [c.name, c.lastStatus, c.exitCode]), [['main', 'RUNNING', undefined], ['side', 'STOPPED', 0]]);
    assert.equal(after.lastStatus, 'RUNNING');
    assert.equal(after.version, (v ?? 0) + 1);
  });

  it('rejects bad reports without changing the task', async () => {
    const arn = await runOne();
    await assert.rejects(agent.report(arn, 'SLEEPING'), { name: 'InvalidParameterException' });
    await assert.rejects(agent.report('0123456789abcdef0123456789abcdef', 'RUNNING'), { name: 'InvalidParameterException' });
    await assert.rejects(h.ecs.send(new SubmitTaskStateChangeCommand({ cluster: 'nowhere', task: arn, status: 'RUNNING' })), { name: 'ClusterNotFoundException' });
    await assert.rejects(h.ecs.send(new SubmitContainerStateChangeCommand({ cluster: 'a', task: arn, containerName: 'main', status: 'DONE' })),
      { name: 'InvalidParameterException' });
    const t = await describeTask(arn);
    assert.equal(t.lastStatus, 'PENDING');
    assert.equal(t.version, 1);
  });

  it('finds no cluster or task by the ARN of another account or region, even with the same name and id', async () => {
    const arn = await runOne();
    const own = 'arn:aws:ecs:us-east-1:000000000000:cluster/a';
    for (const foreign of ['arn:aws:ecs:eu-west-1:000000000000:cluster/a', 'arn:aws:ecs:us-east-1:111111111111:cluster/a']) {
      await assert.rejects(h.ecs.send(new SubmitTaskStateChangeCommand({ cluster: foreign, task: arn, status: 'RUNNING' })), { name: 'ClusterNotFoundException' });
      await assert.rejects(h.ecs.send(new DiscoverPollEndpointCommand({ cluster: foreign, containerInstance: agent.instanceArn })), { name: 'ClusterNotFoundException' });
      await assert.rejects(h.ecs.send(new SubmitAttachmentStateChangesCommand({ cluster: foreign, attachments: [] })), { name: 'ClusterNotFoundException' });
    }
    const foreignTask = arn.replace(':us-east-1:', ':eu-west-1:');
    await assert.rejects(h.ecs.send(new SubmitTaskStateChangeCommand({ cluster: own, task: foreignTask, status: 'RUNNING' })),
      { name: 'InvalidParameterException', message: 'The referenced task was not found.' });
    assert.equal((await describeTask(arn)).lastStatus, 'PENDING');
    await h.ecs.send(new SubmitTaskStateChangeCommand({ cluster: own, task: arn, status: 'RUNNING' }));
    assert.equal((await describeTask(arn)).lastStatus, 'RUNNING');
    assert.equal((await h.ecs.send(new DiscoverPollEndpointCommand({ cluster: own, containerInstance: agent.instanceArn }))).endpoint, h.url);
  });

  it('accepts attachment state changes', async () => {
    const out = await h.ecs.send(new SubmitAttachmentStateChangesCommand({ cluster: 'a', attachments: [{ attachmentArn: 'arn:x', status: 'ATTACHED' }] }));
    assert.equal(out.acknowledgment, 'ACK');
  });

  it('DiscoverPollEndpoint answers with the URL agents reach this server at', async () => {
    const out = await h.ecs.send(new DiscoverPollEndpointCommand({ cluster: 'a', containerInstance: agent.instanceArn }));
    assert.equal(out.endpoint, h.url);
    assert.equal(out.telemetryEndpoint, `${h.url}/tcs`, 'agents dial <telemetryEndpoint>/ws: TCS is at /tcs/ws, apart from ACS at /ws');
    const other = await startHarness({ publicUrl: 'http://berth.example:4566/' });
    try {
      const client = new ECSClient({ endpoint: other.url, region: 'us-east-1', credentials });
      assert.equal((await client.send(new DiscoverPollEndpointCommand({}))).endpoint, 'http://berth.example:4566');
      client.destroy();
    } finally { await other.close(); }
  });
});
