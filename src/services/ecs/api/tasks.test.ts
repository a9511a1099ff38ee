// A task's whole life through the real SDK and a protocol-level agent over the ACS websocket:
// RunTask → payload → RUNNING → StopTask → payload → STOPPED, with counters and resources.
import {
  CreateClusterCommand, DeleteClusterCommand, DeregisterContainerInstanceCommand, DescribeClustersCommand,
  DescribeContainerInstancesCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
  StopTaskCommand, type Resource,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';

const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const clock = { t: T0, now() { return new Date(this.t); } };
const resource = (rs: Resource[] | undefined, name: string) => rs?.find((r) => r.name === name);

describe('ECS tasks: lifecycle with an agent', () => {
  let h: Harness;
  let agent: TestAgent;
  before(async () => { h = await startHarness({ clock, config: { ecs: { acs: { heartbeatMs: 60_000 } } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    clock.t = T0;
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'life' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'web',
      containerDefinitions: [{ name: 'nginx', image: 'nginx:1.27', memory: 256, cpu: 128, portMappings: [{ containerPort: 80, hostPort: 8080 }] }],
      tags: [{ key: 'tier', value: 'front' }],
    }));
    agent = await TestAgent.register(h.ecs, { cluster: 'life', cpu: 1024, memory: 2048 });
    await agent.connect();
    await agent.next('TaskManifestMessage');
  });
  afterEach(async () => { await agent.close(); });

  const describeTask = async (arn: string) => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'life', tasks: [arn], include: ['TAGS'] }))).tasks![0];
  const instance = async () => (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'life', containerInstances: [agent.instanceArn] }))).containerInstances![0];
  const clusterCounts = async () => {
    const c = (await h.ecs.send(new DescribeClustersCommand({ clusters: ['life'] }))).clusters![0];
    return { running: c.runningTasksCount, pending: c.pendingTasksCount };
  };

  it('runs, reports RUNNING, stops by user, reports STOPPED: statuses, timestamps, counters, resources', async () => {
    const run = await h.ecs.send(new RunTaskCommand({
      cluster: 'life', taskDefinition: 'web', startedBy: 'me', propagateTags: 'TASK_DEFINITION', tags: [{ key: 'run', value: '1' }],
    }));
    assert.deepEqual(run.failures, []);
    const task = run.tasks![0];
    assert.match(task.taskArn!, /^arn:aws:ecs:us-east-1:000000000000:task\/life\/[0-9a-f]{32}$/);
    assert.equal(task.lastStatus, 'PENDING', 'an EC2 bridge task starts PENDING (PROVISIONING is for awsvpc/capacity providers)');
    assert.equal(task.desiredStatus, 'RUNNING');
    assert.equal(task.containerInstanceArn, agent.instanceArn);
    assert.equal(task.group, 'family:web');
    assert.equal(task.launchType, 'EC2');
    assert.equal(task.cpu, '128');
    assert.equal(task.memory, '256');
    assert.equal(task.version, 1);
    assert.deepEqual(task.tags, [{ key: 'tier', value: 'front' }, { key: 'run', value: '1' }]);
    assert.equal(task.containers?.[0].name, 'nginx');
    assert.equal(task.containers?.[0].lastStatus, 'PENDING');
    assert.deepEqual(await clusterCounts(), { running: 0, pending: 1 });
    let ci = await instance();
    assert.equal(ci.pendingTasksCount, 1);
    assert.equal(resource(ci.remainingResources, 'CPU')?.integerValue, 1024 - 128);
    assert.equal(resource(ci.remainingResources, 'MEMORY')?.integerValue, 2048 - 256);
    assert.ok(resource(ci.remainingResources, 'PORTS')?.stringSetValue?.includes('8080'));

    const { task: sent } = await agent.payloadFor(task.taskArn!, 'RUNNING');
    assert.equal(sent.family, 'web');
    assert.equal(sent.version, '1');
    assert.deepEqual(sent.containers[0].portMappings, [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }]);

    clock.t = T0 + 5_000;
    await agent.report(task.taskArn!, 'RUNNING', {
      pullStartedAt: new Date(T0 + 1_000), pullStoppedAt: new Date(T0 + 4_000),
      containers: [{ containerName: 'nginx', status: 'RUNNING', runtimeId: 'abc123',
        networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' }] }],
    });
    const running = await describeTask(task.taskArn!);
    assert.equal(running.lastStatus, 'RUNNING');
    assert.equal(running.startedAt?.getTime(), T0 + 5_000);
    assert.equal(running.pullStartedAt?.getTime(), T0 + 1_000);
    assert.equal(running.pullStoppedAt?.getTime(), T0 + 4_000);
    assert.equal(running.createdAt?.getTime(), T0);
    assert.equal(running.containers?.[0].lastStatus, 'RUNNING');
    assert.equal(running.containers?.[0].runtimeId, 'abc123');
    assert.deepEqual(running.containers?.[0].networkBindings, [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' }]);
    assert.equal(running.version, 2);
    assert.deepEqual(await clusterCounts(), { running: 1, pending: 0 });
    ci = await instance();
    assert.deepEqual([ci.runningTasksCount, ci.pendingTasksCount], [1, 0]);

    clock.t = T0 + 10_000;
    const stop = await h.ecs.send(new StopTaskCommand({ cluster: 'life', task: task.taskArn! }));
    assert.equal(stop.task?.desiredStatus, 'STOPPED');
    assert.equal(stop.task?.lastStatus, 'RUNNING');
    assert.equal(stop.task?.stoppingAt?.getTime(), T0 + 10_000);
    assert.equal(stop.task?.stopCode, 'UserInitiated');
    assert.equal(stop.task?.stoppedReason, 'Task stopped by user');
    const { task: stopSent } = await agent.payloadFor(task.taskArn!, 'STOPPED');
    assert.equal(stopSent.desiredStatus, 'STOPPED');

    clock.t = T0 + 12_000;
    await agent.report(task.taskArn!, 'STOPPED', {
      executionStoppedAt: new Date(T0 + 11_000), containers: [{ containerName: 'nginx', status: 'STOPPED', exitCode: 0 }],
    });
    const stopped = await describeTask(task.taskArn!);
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'Task stopped by user');
    assert.equal(stopped.stoppedAt?.getTime(), T0 + 12_000);
    assert.equal(stopped.executionStoppedAt?.getTime(), T0 + 11_000);
    assert.equal(stopped.containers?.[0].exitCode, 0);
    assert.equal(stopped.containers?.[0].lastStatus, 'STOPPED');
    assert.deepEqual(await clusterCounts(), { running: 0, pending: 0 });
    ci = await instance();
    assert.deepEqual([ci.runningTasksCount, ci.pendingTasksCount], [0, 0]);
    assert.deepEqual(ci.remainingResources, ci.registeredResources);

    // A second StopTask changes nothing; a late RUNNING report does not revive the task.
    await h.ecs.send(new StopTaskCommand({ cluster: 'life', task: task.taskArn!, reason: 'again' }));
    await agent.report(task.taskArn!, 'RUNNING');
    const after = await describeTask(task.taskArn!);
    assert.equal(after.lastStatus, 'STOPPED');
    assert.equal(after.stoppedReason, 'Task stopped by user');
    assert.equal(after.version, stopped.version);
    assert.deepEqual((await instance()).remainingResources, ci.registeredResources);
  });

  it('lists by desiredStatus (RUNNING by default), family, startedBy, containerInstance, with pagination', async () => {
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'batch', containerDefinitions: [{ name: 'job', image: 'busybox', memory: 32 }] }));
    const a = (await h.ecs.send(new RunTaskCommand({ cluster: 'life', taskDefinition: 'batch', count: 3, startedBy: 'nightly' }))).tasks!;
    const w = (await h.ecs.send(new RunTaskCommand({ cluster: 'life', taskDefinition: 'web:1' }))).tasks!;
    await h.ecs.send(new StopTaskCommand({ cluster: 'life', task: a[0].taskArn!, reason: 'not needed' }));
    const list = async (input: Record<string, unknown>) => (await h.ecs.send(new ListTasksCommand({ cluster: 'life', ...input }))).taskArns!.sort();
    const arns = (ts: { taskArn?: string }[]) => ts.map((t) => t.taskArn!).sort();
    assert.deepEqual(await list({}), arns([...a.slice(1), ...w]));
    assert.deepEqual(await list({ desiredStatus: 'STOPPED' }), [a[0].taskArn]);
    assert.deepEqual(await list({ desiredStatus: 'PENDING' }), []);
    assert.deepEqual(await list({ family: 'batch' }), arns(a.slice(1)));
    assert.deepEqual(await list({ startedBy: 'nightly' }), arns(a.slice(1)));
    assert.deepEqual(await list({ containerInstance: agent.instanceArn.split('/').pop() }), arns([...a.slice(1), ...w]));
    assert.deepEqual(await list({ launchType: 'FARGATE' }), []);
    assert.deepEqual(await list({ serviceName: 'nothing' }), []);
    const p1 = await h.ecs.send(new ListTasksCommand({ cluster: 'life', maxResults: 2 }));
    assert.equal(p1.taskArns?.length, 2);
    const p2 = await h.ecs.send(new ListTasksCommand({ cluster: 'life', maxResults: 2, nextToken: p1.nextToken }));
    assert.equal(p2.taskArns?.length, 1);
    assert.equal(p2.nextToken, undefined);
    assert.deepEqual([...p1.taskArns!, ...p2.taskArns!].sort(), await list({}));
    const d = await h.ecs.send(new DescribeTasksCommand({ cluster: 'life', tasks: [a[1].taskArn!.split('/').pop()!, 'ffffffffffffffffffffffffffffffff'] }));
    assert.equal(d.tasks?.[0].taskArn, a[1].taskArn);
    assert.equal(d.tasks?.[0].tags, undefined);
    assert.deepEqual(d.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:task/life/ffffffffffffffffffffffffffffffff', reason: 'MISSING' }]);
  });

  it('refuses DeleteCluster while tasks are active, counting exactly', async () => {
    const run = await h.ecs.send(new RunTaskCommand({ cluster: 'life', taskDefinition: 'web' }));
    await agent.close();
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'life', containerInstance: agent.instanceArn, force: true }));
    await assert.rejects(h.ecs.send(new DeleteClusterCommand({ cluster: 'life' })), { name: 'ClusterContainsTasksException' });
    assert.deepEqual(await clusterCounts(), { running: 0, pending: 1 });
    // The instance is gone, so no agent will ever report: StopTask stops the task itself.
    const stop = await h.ecs.send(new StopTaskCommand({ cluster: 'life', task: run.tasks![0].taskArn! }));
    assert.equal(stop.task?.lastStatus, 'STOPPED');
    assert.deepEqual(await clusterCounts(), { running: 0, pending: 0 });
    const del = await h.ecs.send(new DeleteClusterCommand({ cluster: 'life' }));
    assert.equal(del.cluster?.status, 'INACTIVE');
  });
});
