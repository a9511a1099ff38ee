// Bad task requests fail with ECS's error names and change nothing: no task, no resources taken.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand,
  RunTaskCommand, StartTaskCommand, StopTaskCommand, type RunTaskRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ecsHeaders, startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';

describe('ECS tasks: bad inputs', () => {
  let h: Harness;
  let agent: TestAgent;
  before(async () => {
    h = await startHarness();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'bad' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 64 }] }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'vpc', networkMode: 'awsvpc', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 64 }],
    }));
    agent = await TestAgent.register(h.ecs, { cluster: 'bad' });
  });
  after(async () => { await h.close(); });

  const resources = async () =>
    (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'bad', containerInstances: [agent.instanceArn] }))).containerInstances![0].remainingResources;
  const allTasks = async () => [
    ...(await h.ecs.send(new ListTasksCommand({ cluster: 'bad' }))).taskArns!,
    ...(await h.ecs.send(new ListTasksCommand({ cluster: 'bad', desiredStatus: 'STOPPED' }))).taskArns!,
  ];
  const run = (input: Partial<RunTaskRequest>) => h.ecs.send(new RunTaskCommand({ cluster: 'bad', taskDefinition: 'web', ...input }));

  it('rejects bad RunTask/StartTask input with ECS error names and places nothing', async () => {
    const before = await resources();
    const cases: [string, Promise<unknown>, string, RegExp?][] = [
      ['count 0', run({ count: 0 }), 'InvalidParameterException', /count/],
      ['count 11', run({ count: 11 }), 'InvalidParameterException', /between 1 and 10/],
      ['Fargate', run({ launchType: 'FARGATE' }), 'InvalidParameterException', /FARGATE/],
      ['launch type and capacity providers', run({ launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'cp' }] }),
        'InvalidParameterException', /both a launch type and capacity provider strategy/],
      ['unknown definition', run({ taskDefinition: 'nope' }), 'ClientException', /TaskDefinition not found/],
      ['unknown revision', run({ taskDefinition: 'web:9' }), 'ClientException'],
      ['override of a missing container', run({ overrides: { containerOverrides: [{ name: 'ghost', command: ['x'] }] } }),
        'InvalidParameterException', /Override for container named ghost is not a container in the TaskDefinition/],
      ['negative memory override', run({ overrides: { containerOverrides: [{ name: 'app', memory: -5 }] } }), 'InvalidParameterException'],
      ['startedBy characters', run({ startedBy: 'me and you!' }), 'InvalidParameterException', /startedBy/],
      ['reserved tag prefix', run({ tags: [{ key: 'aws:x', value: 'y' }] }), 'InvalidParameterException', /aws:/],
      ['awsvpc without network configuration', run({ taskDefinition: 'vpc' }), 'InvalidParameterException', /Network Configuration/],
      ['too many strategies', run({ placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' as const })) }), 'InvalidParameterException'],
      ['memberOf without expression', run({ placementConstraints: [{ type: 'memberOf' }] }), 'InvalidParameterException'],
      ['unknown cluster', run({ cluster: 'nowhere' }), 'ClusterNotFoundException'],
      ['StartTask with 11 instances', h.ecs.send(new StartTaskCommand({
        cluster: 'bad', taskDefinition: 'web', containerInstances: Array.from({ length: 11 }, () => agent.instanceArn) })), 'InvalidParameterException'],
      ['StartTask with no instances', h.ecs.send(new StartTaskCommand({ cluster: 'bad', taskDefinition: 'web', containerInstances: [] })),
        'InvalidParameterException'],
    ];
    for (const [what, call, name, message] of cases) {
      await assert.rejects(call, (err: Error) => {
        assert.equal(err.name, name, `${what}: ${err.name}: ${err.message}`);
        if (message) assert.match(err.message, message, what);
        return true;
      }, what);
    }
    assert.deepEqual(await allTasks(), []);
    assert.deepEqual(await resources(), before);
  });

  it('rejects bad StopTask/DescribeTasks/ListTasks input', async () => {
    const task = (await run({})).tasks![0];
    const cases: [string, Promise<unknown>, string][] = [
      ['stop unknown task', h.ecs.send(new StopTaskCommand({ cluster: 'bad', task: '0123456789abcdef0123456789abcdef' })), 'InvalidParameterException'],
      ['stop in another cluster', h.ecs.send(new StopTaskCommand({ cluster: 'default', task: task.taskArn! })), 'ClusterNotFoundException'],
      ['stop with a long reason', h.ecs.send(new StopTaskCommand({ cluster: 'bad', task: task.taskArn!, reason: 'x'.repeat(256) })), 'InvalidParameterException'],
      ['describe nothing', h.ecs.send(new DescribeTasksCommand({ cluster: 'bad', tasks: [] })), 'InvalidParameterException'],
      ['describe 101', h.ecs.send(new DescribeTasksCommand({ cluster: 'bad', tasks: Array.from({ length: 101 }, (_, i) => `t${i}`) })), 'InvalidParameterException'],
      ['list startedBy with family', h.ecs.send(new ListTasksCommand({ cluster: 'bad', startedBy: 'x', family: 'web' })), 'InvalidParameterException'],
      ['list maxResults 0', h.ecs.send(new ListTasksCommand({ cluster: 'bad', maxResults: 0 })), 'InvalidParameterException'],
      ['list bad token', h.ecs.send(new ListTasksCommand({ cluster: 'bad', nextToken: 'garbage' })), 'InvalidParameterException'],
    ];
    for (const [what, call, name] of cases) await assert.rejects(call, { name }, what);
    const d = await h.ecs.send(new DescribeTasksCommand({ cluster: 'bad', tasks: [task.taskArn!] }));
    assert.equal(d.tasks?.[0].desiredStatus, 'RUNNING');
    assert.equal(d.tasks?.[0].version, 1);
  });

  it('rejects an unknown launchType value at the protocol layer', async () => {
    const res = await h.post(ecsHeaders('RunTask'), JSON.stringify({ cluster: 'bad', taskDefinition: 'web', launchType: 'MOON' }));
    assert.equal(res.status, 400);
    assert.match(res.text, /InvalidParameterException/);
    assert.equal((await allTasks()).length, 1);
  });
});
