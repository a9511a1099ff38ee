// The service scheduler end to end: a real server, real SDK calls, in-process agents on the
// simulated runtime. Waits poll with a guard; assertions are about order and outcome, never speed.
import {
  CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DescribeTasksCommand, ListContainerInstancesCommand,
  ListServiceDeploymentsCommand, ListTasksCommand, RegisterTaskDefinitionCommand, UpdateContainerInstancesStateCommand,
  UpdateServiceCommand, type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { Agents, describeService, eventually, eventsOf, serviceTasks, stable } from '../../../testing/service-test-kit.js';

const image = (tag: string) => [{ name: 'app', image: `busybox:${tag}`, memory: 64, command: ['sleep', 'infinity'] }];
const time = (v: Date | undefined) => v!.getTime();
const idOf = (t: Task) => t.taskArn!.slice(t.taskArn!.lastIndexOf('/') + 1);
/** Task ids named by "(service web) has started|stopped N … tasks: (task a) (task b)." */
const taskIds = (message: string) => [...message.matchAll(/\(task (\w+)\)/g)].map((m) => m[1]);

describe('service scheduler (simulated agents)', () => {
  let h: Harness;
  let agents: Agents;
  before(async () => { h = await startHarness({ config: { ecs: { scheduler: { intervalMs: 50 }, acs: { heartbeatMs: 200 } } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    agents = new Agents(h.url);
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: image('1') }));
  });
  afterEach(async () => { await agents.close(); });

  const untilStable = (what = 'a steady service', check: (s: Awaited<ReturnType<typeof describeService>>) => boolean = () => true) =>
    eventually(what, async () => {
      const s = await describeService(h.ecs, 'c', 'web');
      return stable(s) && s.deployments![0].rolloutState === 'COMPLETED' && check(s) && s;
    });

  it('spreads tasks across Availability Zones and replaces a task whose container is killed', async () => {
    const a = await agents.start('c', { availabilityZone: 'us-east-1a' });
    await agents.start('c', { availabilityZone: 'us-east-1b' });
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 4,
      tags: [{ key: 'team', value: 'a' }], propagateTags: 'SERVICE', enableECSManagedTags: true }));
    await untilStable('4 running tasks', (s) => s.runningCount === 4);
    const tasks = await serviceTasks(h.ecs, 'c', 'web');
    assert.deepEqual(['us-east-1a', 'us-east-1b'].map((az) => tasks.filter((t) => t.availabilityZone === az).length), [2, 2]);
    const tagged = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [tasks[0].taskArn!], include: ['TAGS'] }))).tasks![0];
    assert.deepEqual(tagged.tags, [{ key: 'team', value: 'a' }, { key: 'aws:ecs:clusterName', value: 'c' }, { key: 'aws:ecs:serviceName', value: 'web' }]);
    assert.deepEqual([tagged.group, tagged.startedBy], ['service:web', (await describeService(h.ecs, 'c', 'web')).deployments![0].id]);

    const victim = tasks.find((t) => t.containerInstanceArn === a.instanceArn)!;
    await a.runtime.stop(victim.containers![0].runtimeId!, 0); // the container dies outside the agent's doing
    const stopped = await eventually('the killed task STOPPED', async () => {
      const t = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [victim.taskArn!] }))).tasks![0];
      return t.lastStatus === 'STOPPED' && t;
    });
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    const s = await untilStable('a replacement', (x) => x.runningCount === 4 && eventsOf(x).some((e) => / has started 1 tasks: /.test(e)));
    const replacement = eventsOf(s).filter((e) => / has started 1 tasks: /.test(e)).map(taskIds).at(-1)![0];
    const now = await serviceTasks(h.ecs, 'c', 'web');
    assert.ok(now.some((t) => idOf(t) === replacement && t.lastStatus === 'RUNNING'));
    assert.ok(!now.some((t) => t.taskArn === victim.taskArn));
  });

  it("rolls 4 tasks with minimum 50 % / maximum 100 % in the seed's order: 2 stop, 2 start, 2 stop, 2 start", async () => {
    await agents.start('c', { availabilityZone: 'us-east-1a' });
    await agents.start('c', { availabilityZone: 'us-east-1b' });
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 4,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } }));
    const before = await untilStable('4 running tasks', (s) => s.runningCount === 4);
    const seen = before.events!.length;
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: image('2') }));
    await h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }));
    const after = await untilStable('the new deployment', (s) => s.taskDefinition!.endsWith('web:2') && s.deployments![0].rolloutState === 'COMPLETED');
    const events = eventsOf(after).slice(seen);
    const shape = events.map((e) => e.replace(/\(task \w+\)/g, 'T').replace(/ecs-svc\/\d+/, 'D'));
    assert.deepEqual(shape, [
      '(service web) has stopped 2 running tasks: T T.',
      '(service web) has started 2 tasks: T T.',
      '(service web) has stopped 2 running tasks: T T.',
      '(service web) has started 2 tasks: T T.',
      '(service web) (deployment D) deployment completed.',
      '(service web) has reached a steady state.',
    ]);
    // The same order in the tasks' own timestamps.
    const [stop1, start1, stop2, start2] = events.slice(0, 4).map(taskIds);
    const all = [...await serviceTasks(h.ecs, 'c', 'web', 'STOPPED'), ...await serviceTasks(h.ecs, 'c', 'web')];
    const get = (ids: string[]) => ids.map((id) => all.find((t) => idOf(t) === id)!);
    const latest = (ts: Task[], k: 'stoppedAt' | 'startedAt') => Math.max(...ts.map((t) => time(t[k])));
    const earliest = (ts: Task[], k: 'createdAt' | 'stoppingAt') => Math.min(...ts.map((t) => time(t[k])));
    assert.ok(earliest(get(start1), 'createdAt') >= latest(get(stop1), 'stoppedAt'), 'new tasks are created after the first old ones stopped');
    assert.ok(earliest(get(stop2), 'stoppingAt') >= latest(get(start1), 'startedAt'), 'the other old tasks stop after the new ones run');
    assert.ok(earliest(get(start2), 'createdAt') >= latest(get(stop2), 'stoppedAt'));
    assert.ok(get(start1).concat(get(start2)).every((t) => t.taskDefinitionArn!.endsWith('web:2')));
    assert.ok(get(stop1).concat(get(stop2)).every((t) => t.taskDefinitionArn!.endsWith('web:1') && t.stoppedReason === `Scaling activity initiated by (deployment ${after.deployments![0].id})`));
  });

  it('trips the circuit breaker on an image that cannot be pulled and rolls back', async () => {
    await agents.start('c');
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 2,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } }));
    const good = await untilStable('2 running tasks', (s) => s.runningCount === 2 && s.deployments![0].rolloutState === 'COMPLETED');
    const goodId = good.deployments![0].id!;
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: image('does-not-exist') }));
    await h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }));
    const back = await untilStable('the rollback', (s) => eventsOf(s).some((e) => e.includes('rolling back')) && s.deployments![0].rolloutState === 'COMPLETED');
    const events = eventsOf(back);
    const failedAt = events.findIndex((e) => /\(deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\.$/.test(e));
    assert.ok(failedAt >= 0, events.join('\n'));
    assert.equal(events[failedAt + 1], `(service web) rolling back to deployment ${goodId}.`);
    assert.equal(back.taskDefinition, good.taskDefinition);
    assert.equal(back.deployments![0].rolloutStateReason, `ECS deployment ${back.deployments![0].id} completed.`);
    const failed = (await serviceTasks(h.ecs, 'c', 'web', 'STOPPED')).filter((t) => t.taskDefinitionArn!.endsWith('web:2'));
    // At least the breaker's threshold (3 for desiredCount 2) failed to start; a copy still pulling when the
    // rollback began is stopped by the scheduler instead, as ECS does.
    const why = JSON.stringify(failed.map((t) => [t.stopCode, t.stoppedReason]));
    assert.ok(failed.filter((t) => t.stopCode === 'TaskFailedToStart').length >= 3, why);
    assert.ok(failed.every((t) => t.stopCode === 'TaskFailedToStart' || t.stopCode === 'ServiceSchedulerInitiated'), why);
    const deployments = (await h.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'c', service: 'web' }))).serviceDeployments!;
    assert.deepEqual(deployments.map((d) => d.status), ['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
  });

  it('moves tasks off a DRAINING instance', async () => {
    const a = await agents.start('c', { availabilityZone: 'us-east-1a' });
    const b = await agents.start('c', { availabilityZone: 'us-east-1b' });
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 }));
    const before = await untilStable('2 running tasks', (s) => s.runningCount === 2);
    const [drained] = (await serviceTasks(h.ecs, 'c', 'web')).filter((t) => t.containerInstanceArn === a.instanceArn);
    assert.ok(drained, 'spread by zone put one task on each instance');
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'c', containerInstances: [a.instanceArn], status: 'DRAINING' }));
    await eventually('every task on the other instance', async () => {
      const tasks = await serviceTasks(h.ecs, 'c', 'web');
      const s = await describeService(h.ecs, 'c', 'web');
      return stable(s) && tasks.length === 2 && tasks.every((t) => t.containerInstanceArn === b.instanceArn && t.lastStatus === 'RUNNING');
    });
    const onA = await h.ecs.send(new ListTasksCommand({ cluster: 'c', containerInstance: a.instanceArn }));
    assert.deepEqual(onA.taskArns, []);
    // minimumHealthyPercent 100 (the default): the replacement runs before the drained task stops.
    const events = eventsOf(await describeService(h.ecs, 'c', 'web')).slice(before.events!.length).filter((e) => / has (started|stopped) /.test(e));
    assert.deepEqual(events.map((e) => e.replace(/\(task \w+\)/g, 'T')),
      ['(service web) has started 1 tasks: T.', '(service web) has stopped 1 running tasks: T.']);
    assert.deepEqual(taskIds(events[1]), [idOf(drained)]);
    const described = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [drained.taskArn!, taskIds(events[0])[0]] }))).tasks!;
    const stopped = described.find((t) => t.taskArn === drained.taskArn)!;
    const replacement = described.find((t) => t.taskArn !== drained.taskArn)!;
    assert.equal(replacement.containerInstanceArn, b.instanceArn);
    assert.ok(time(stopped.stoppingAt) >= time(replacement.startedAt), 'the drained task was asked to stop only once its replacement ran');
    assert.match(stopped.stoppedReason!, /DRAINING/);
  });

  it('deletes a service: its tasks stop, it turns INACTIVE', async () => {
    await agents.start('c');
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 }));
    await untilStable('2 running tasks', (s) => s.runningCount === 2);
    await h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web', force: true }));
    await eventually('INACTIVE', async () => (await describeService(h.ecs, 'c', 'web')).status === 'INACTIVE');
    await eventually('no task left', async () => (await serviceTasks(h.ecs, 'c', 'web')).length === 0);
    const stopped = await serviceTasks(h.ecs, 'c', 'web', 'STOPPED');
    assert.equal(stopped.length, 2);
    const instances = (await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'c' }))).containerInstanceArns!;
    assert.equal(instances.length, 1);
  });
});
