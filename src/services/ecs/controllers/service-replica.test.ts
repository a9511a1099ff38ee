// The REPLICA scheduler's decisions, pure: a view in, a plan out. A small world (service-fixture.ts)
// plays the agents so rollouts can be followed step by step, deterministically.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advance } from './service-rollout.js';
import { planReplica } from './service-replica.js';
import { stopOrder } from './service-plan.js';
import { deployment, idOf, ids, instance, service, SETTINGS, T0, task, td, view, World } from '../../../testing/service-fixture.js';

const a = instance('i-a', 'us-east-1a');
const b = instance('i-b', 'us-east-1b');

/** Runs plan → apply → settle until the service completes its deployment; returns the world's log. */
function rollout(svc: ReturnType<typeof service>, world: World, labels: Record<string, string>, rounds = 20) {
  const generator = ids();
  let s = svc;
  for (let i = 0; i < rounds; i++) {
    s = advance(s, world.tasks, world.view(), generator);
    if (s.deployments[0].rolloutState === 'COMPLETED') return s;
    world.apply(planReplica(s, world.tasks, world.view(), SETTINGS), labels);
    world.settle();
  }
  throw new Error(`no completion after ${rounds} rounds: ${world.log.join(' | ')}`);
}

describe('REPLICA scheduler decisions', () => {
  it('starts desiredCount tasks of a new service, then does nothing more', () => {
    const s = service({ desired: 3 });
    const plan = planReplica(s, [], view([a, b], []), SETTINGS);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 3 }]);
    assert.deepEqual(plan.stops, []);
    const running = [task('ecs-svc/A', a), task('ecs-svc/A', b), task('ecs-svc/A', a)];
    const again = planReplica(s, running, view([a, b], running), SETTINGS);
    assert.deepEqual(again, { lost: [], stops: [], starts: [], events: [] });
  });

  it("rolls 4 tasks with minimum 50 % / maximum 100 %: 2 old stop, 2 new start, then the other 2 (the seed's example)", () => {
    const old = [a, b, a, b].map((on) => task('ecs-svc/A', on));
    const s = service({ desired: 4, min: 50, max: 100, deployments: [
      deployment('ecs-svc/B', 2), deployment('ecs-svc/A', 1, { status: 'ACTIVE', rolloutState: 'COMPLETED' })] });
    const world = new World(old, [a, b]);
    const done = rollout(s, world, { 'ecs-svc/A': 'old', 'ecs-svc/B': 'new' });
    assert.deepEqual(world.log, ['stop old,old', 'start new,new', 'stop old,old', 'start new,new']);
    assert.equal(done.deployments.filter((d) => d.status !== 'INACTIVE').length, 1);
    assert.match(done.events[0].message, /^\(service web\) has reached a steady state\.$/);
    assert.match(done.events[1].message, /^\(service web\) \(deployment ecs-svc\/B\) deployment completed\.$/);
  });

  it('with minimum 100 % / maximum 200 % starts the new tasks first and stops old ones as new ones turn healthy', () => {
    const old = [a, b].map((on) => task('ecs-svc/A', on));
    const s = service({ desired: 2, deployments: [deployment('ecs-svc/B', 2), deployment('ecs-svc/A', 1, { status: 'ACTIVE' })] });
    const world = new World(old, [a, b]);
    rollout(s, world, { 'ecs-svc/A': 'old', 'ecs-svc/B': 'new' });
    assert.deepEqual(world.log, ['start new,new', 'stop old,old']);
  });

  it('says so when minimum 100 % / maximum 100 % allows neither a stop nor a start', () => {
    const old = [task('ecs-svc/A', a)];
    const s = service({ desired: 1, min: 100, max: 100, deployments: [deployment('ecs-svc/B', 2), deployment('ecs-svc/A', 1, { status: 'ACTIVE' })] });
    const plan = planReplica(s, old, view([a], old), SETTINGS);
    assert.deepEqual([plan.stops, plan.starts], [[], []]);
    assert.deepEqual(plan.events, ['(service web) was unable to stop or start tasks during a deployment because of the service deployment '
      + 'configuration. Update the minimumHealthyPercent or maximumPercent value and try again.']);
    const said = { ...s, events: [{ id: 'e', createdAt: T0.toISOString(), message: plan.events[0] }] };
    assert.deepEqual(planReplica(said, old, view([a], old), SETTINGS).events, [], 'the same warning is not repeated');
  });

  it('replaces a task that stopped on its own', () => {
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', b, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: T0 })];
    const plan = planReplica(service({ desired: 2 }), tasks, view([a, b], tasks), SETTINGS);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 1 }]);
  });

  it('stops an UNHEALTHY task once the grace period is over, and replaces it', () => {
    const sick = task('ecs-svc/A', a, { healthStatus: 'UNHEALTHY', containers: [{ name: 'app', healthStatus: 'UNHEALTHY' }] });
    const tasks = [sick, task('ecs-svc/A', b, { healthStatus: 'HEALTHY', containers: [{ name: 'app', healthStatus: 'HEALTHY' }] })];
    const graced = service({ desired: 2, extra: { healthCheckGracePeriodSeconds: 60 } });
    assert.deepEqual(planReplica(graced, tasks, view([a, b], tasks, new Date(T0.getTime() + 30_000)), SETTINGS).stops, []);
    const plan = planReplica(graced, tasks, view([a, b], tasks, new Date(T0.getTime() + 61_000)), SETTINGS);
    assert.deepEqual(plan.stops, [{ taskId: idOf(sick), cause: 'unhealthy' }]);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 1 }]);
  });

  it('counts a task with health checks as healthy only once HEALTHY', () => {
    const checking = (on: typeof a, health: string) => task('ecs-svc/B', on, { taskDefinitionArn: td(4), healthStatus: health as 'UNKNOWN' });
    const s = service({ desired: 1, deployments: [deployment('ecs-svc/B', 4), deployment('ecs-svc/A', 1, { status: 'ACTIVE' })] });
    const unknown = [task('ecs-svc/A', a), checking(b, 'UNKNOWN')];
    assert.deepEqual(planReplica(s, unknown, view([a, b], unknown), SETTINGS).stops, [], 'old task kept while the new one is UNKNOWN');
    const healthy = [unknown[0], checking(b, 'HEALTHY')];
    assert.deepEqual(planReplica(s, healthy, view([a, b], healthy), SETTINGS).stops, [{ taskId: idOf(healthy[0]), cause: 'scaling' }]);
  });

  it('scales in from the Availability Zone with the most tasks', () => {
    const c = instance('i-c', 'us-east-1a');
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', a), task('ecs-svc/A', c), task('ecs-svc/A', b)];
    const plan = planReplica(service({ desired: 2 }), tasks, view([a, b, c], tasks), SETTINGS);
    assert.equal(plan.stops.length, 2);
    const zones = plan.stops.map((s) => tasks.find((t) => idOf(t) === s.taskId)!.availabilityZone);
    assert.deepEqual(zones, ['us-east-1a', 'us-east-1a']);
    const hosts = plan.stops.map((s) => tasks.find((t) => idOf(t) === s.taskId)!.containerInstanceArn);
    assert.equal(hosts[0], a.arn, 'first the instance with the most tasks');
  });

  it('moves tasks off a DRAINING instance within the deployment configuration', () => {
    const draining = instance('i-a', 'us-east-1a', { status: 'DRAINING' });
    const pending = task('ecs-svc/A', draining, { lastStatus: 'PENDING', startedAt: undefined });
    const tasks = [task('ecs-svc/A', draining), task('ecs-svc/A', b), pending];
    const s = service({ desired: 3 });
    const plan = planReplica(s, tasks, view([draining, b], tasks), SETTINGS);
    assert.deepEqual(plan.stops, [{ taskId: idOf(pending), cause: 'draining' }], 'PENDING tasks on a draining instance stop at once');
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 2 }], 'replacements first (maximumPercent 200)');
    const world = new World(tasks, [b]);
    world.apply(plan);
    world.settle();
    const next = planReplica(s, world.tasks, view([draining, b], world.tasks, world.now), SETTINGS);
    assert.deepEqual(next.stops, [{ taskId: idOf(tasks[0]), cause: 'draining' }], 'then the running one, once replacements are healthy');
  });

  it('supersedes the tasks of a lost instance and starts replacements at once', () => {
    const lost = instance('i-a', 'us-east-1a', { connected: false, lost: true });
    const tasks = [task('ecs-svc/A', lost), task('ecs-svc/A', b)];
    const plan = planReplica(service({ desired: 2, min: 100, max: 100 }), tasks, view([lost, b], tasks), SETTINGS);
    assert.deepEqual(plan.lost, [idOf(tasks[0])]);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 1 }], 'the superseded copy no longer holds a slot');
    const silent = instance('i-a', 'us-east-1a', { connected: false, lost: false });
    assert.deepEqual(planReplica(service({ desired: 2 }), tasks, view([silent, b], tasks), SETTINGS).lost, [],
      'a disconnected agent within lostAfterSeconds keeps its tasks');
  });

  it('stops the tasks of a deregistered instance at once and replaces them', () => {
    const gone = instance('i-a', 'us-east-1a', { status: 'INACTIVE' });
    const tasks = [task('ecs-svc/A', gone), task('ecs-svc/A', b)];
    const plan = planReplica(service({ desired: 2 }), tasks, view([gone, b], tasks), SETTINGS);
    assert.deepEqual(plan.stops, [{ taskId: idOf(tasks[0]), cause: 'deregistered' }]);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 1 }]);
  });

  it('waits after 3 consecutive failed launches (throttle), then tries again', () => {
    const failed = [1, 2, 3].map(() => task('ecs-svc/A', a, { lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', startedAt: undefined, stoppedAt: T0 }));
    const s = service({ desired: 1 });
    const soon = planReplica(s, failed, view([a], failed, new Date(T0.getTime() + 5_000)), SETTINGS);
    assert.deepEqual(soon.starts, []);
    assert.deepEqual(soon.events, ['(service web) is unable to consistently start tasks successfully.']);
    const later = planReplica(s, failed, view([a], failed, new Date(T0.getTime() + 11_000)), SETTINGS);
    assert.deepEqual(later.starts, [{ deploymentId: 'ecs-svc/A', count: 1 }]);
  });

  it('replaces at once tasks that ran and were lost with a crashed agent: the throttle counts only failures to start', () => {
    // 20 of 40 tasks were RUNNING on an agent that was killed: they come back STOPPED
    // (EssentialContainerExited, with startedAt). They are not launch failures.
    const lost = Array.from({ length: 20 }, () => task('ecs-svc/A', a, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: T0 }));
    const running = Array.from({ length: 20 }, () => task('ecs-svc/A', b));
    const tasks = [...lost, ...running];
    const s = service({ desired: 40 });
    const plan = planReplica(s, tasks, view([a, b], tasks, new Date(T0.getTime() + 1_000)), SETTINGS);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 20 }]);
    assert.deepEqual(plan.events, []);
    // The same 20 stopped before they ever ran (TaskFailedToStart) do throttle.
    const failed = Array.from({ length: 20 }, () => task('ecs-svc/A', a, { lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', startedAt: undefined, stoppedAt: T0 }));
    const throttledPlan = planReplica(s, [...failed, ...running], view([a, b], [...failed, ...running], new Date(T0.getTime() + 1_000)), SETTINGS);
    assert.deepEqual(throttledPlan.starts, []);
  });

  it('stops everything of a DRAINING (deleted) service, regardless of minimumHealthyPercent', () => {
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', b)];
    const plan = planReplica(service({ desired: 0, extra: { status: 'DRAINING' } }), tasks, view([a, b], tasks), SETTINGS);
    assert.equal(plan.stops.length, 2);
    assert.deepEqual(plan.starts, []);
  });

  it('orders stops AZ-balanced: the fullest zone, then the fullest instance, not-yet-healthy tasks first', () => {
    const c = instance('i-c', 'us-east-1c');
    const tasks = [task('x', a), task('x', a), task('x', b), task('x', c, { lastStatus: 'PENDING' })];
    const order = stopOrder(tasks, tasks, view([a, b, c], tasks).healthy).map((t) => t.containerInstanceArn);
    assert.deepEqual(order, [c.arn, a.arn, a.arn, b.arn]);
  });
});
