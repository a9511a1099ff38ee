// Service state transitions (circuit breaker, rollback, completion, steady state, draining) and the
// DAEMON scheduler's decisions, pure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withEvents } from '../model/service-model.js';
import { breakerThreshold } from '../model/service-tasks.js';
import { planDaemon } from './service-daemon.js';
import { planReplica } from './service-replica.js';
import { advance } from './service-rollout.js';
import { deployment, ids, instance, service, SETTINGS, T0, task, td, view } from '../../../testing/service-fixture.js';

const a = instance('i-a', 'us-east-1a');
const b = instance('i-b', 'us-east-1b');
const failed = (id: string, at = T0) => task(id, a, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', startedAt: undefined, stoppedAt: at });
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('service state transitions', () => {
  it("computes the circuit breaker's threshold as documented", () => {
    const classic = { deploymentCircuitBreaker: { enable: true, rollback: false } };
    assert.deepEqual([1, 6, 25, 400, 800].map((n) => breakerThreshold(classic, n)), [3, 3, 13, 200, 200]);
    const typed = (type: 'COUNT' | 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT', value: number) =>
      ({ deploymentCircuitBreaker: { enable: true, rollback: false, thresholdConfiguration: { type, value } } });
    assert.equal(breakerThreshold(typed('COUNT', 7), 100), 7);
    assert.equal(breakerThreshold(typed('BOUNDED_PERCENT', 10), 10), 3);
    assert.equal(breakerThreshold(typed('UNBOUNDED_PERCENT', 50), 1000), 500);
    assert.equal(breakerThreshold(typed('UNBOUNDED_PERCENT', 10), 2), 1);
  });

  it('trips the circuit breaker and rolls back to the last COMPLETED deployment', () => {
    const s = service({ desired: 2, breaker: { enable: true, rollback: true }, deployments: [
      deployment('ecs-svc/B', 2), deployment('ecs-svc/A', 1, { status: 'ACTIVE', rolloutState: 'COMPLETED', deploymentStatus: 'SUCCESSFUL' })] });
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', b), failed('ecs-svc/B'), failed('ecs-svc/B')];
    assert.equal(advance(s, tasks, view([a, b], tasks), ids()).deployments[0].rolloutState, 'IN_PROGRESS', '2 failures < 3');
    tasks.push(failed('ecs-svc/B'));
    const next = advance(s, tasks, view([a, b], tasks, later(1)), ids());
    const [primary, failedOne] = next.deployments;
    assert.equal(primary.status, 'PRIMARY');
    assert.equal(primary.taskDefinition, td(1));
    assert.equal(primary.rollbackOf, 'ecs-svc/B');
    assert.equal(primary.rolloutStateReason, 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/A.');
    assert.deepEqual([failedOne.id, failedOne.status, failedOne.rolloutState, failedOne.rolloutStateReason, failedOne.deploymentStatus],
      ['ecs-svc/B', 'ACTIVE', 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.', 'ROLLBACK_IN_PROGRESS']);
    assert.equal(next.taskDefinition, td(1));
    assert.deepEqual(next.events.map((e) => e.message), [
      '(service web) rolling back to deployment ecs-svc/A.',
      '(service web) (deployment ecs-svc/B) deployment failed: tasks failed to start.',
    ]);
    // The rollback completes once its tasks run and the old ones are gone: the failed deployment's
    // service deployment ends ROLLBACK_SUCCESSFUL.
    const back = [task(primary.id, a), task(primary.id, b)];
    const done = advance(next, back, view([a, b], back, later(2)), ids());
    assert.equal(done.deployments[0].rolloutState, 'COMPLETED');
    assert.equal(done.deployments.find((d) => d.id === 'ecs-svc/B')!.deploymentStatus, 'ROLLBACK_SUCCESSFUL');
  });

  it('rolls back to the most recent COMPLETED deployment, not an older one nor a failed or unfinished one', () => {
    const at = (minutes: number) => later(minutes * 60).toISOString();
    const s = service({ desired: 2, breaker: { enable: true, rollback: true }, deployments: [
      deployment('ecs-svc/D', 4, { createdAt: at(40) }),
      deployment('ecs-svc/C', 3, { status: 'ACTIVE', rolloutState: 'IN_PROGRESS', createdAt: at(30) }),
      deployment('ecs-svc/X', 1, { status: 'INACTIVE', rolloutState: 'FAILED', createdAt: at(20) }),
      deployment('ecs-svc/B', 2, { status: 'INACTIVE', rolloutState: 'COMPLETED', createdAt: at(10) }),
      deployment('ecs-svc/A', 1, { status: 'INACTIVE', rolloutState: 'COMPLETED', createdAt: at(0) }),
    ] });
    const tasks = [failed('ecs-svc/D'), failed('ecs-svc/D'), failed('ecs-svc/D')];
    const next = advance(s, tasks, view([a, b], tasks, later(3600)), ids());
    assert.deepEqual([next.deployments[0].taskDefinition, next.deployments[0].rollbackOf, next.taskDefinition], [td(2), 'ecs-svc/D', td(2)]);
    assert.equal(next.deployments[0].serviceRevisionId, 'rev-2', 'the revision of B returns');
    assert.equal(next.events[0].message, '(service web) rolling back to deployment ecs-svc/B.');
  });

  it('without rollback, a FAILED deployment stays PRIMARY and launches nothing', () => {
    const s = service({ desired: 2, breaker: { enable: true, rollback: false }, deployments: [
      deployment('ecs-svc/B', 2), deployment('ecs-svc/A', 1, { status: 'ACTIVE', rolloutState: 'COMPLETED' })] });
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', b), failed('ecs-svc/B'), failed('ecs-svc/B'), failed('ecs-svc/B')];
    const next = advance(s, tasks, view([a, b], tasks), ids());
    assert.deepEqual([next.deployments[0].id, next.deployments[0].rolloutState, next.deployments[0].deploymentStatus], ['ecs-svc/B', 'FAILED', 'STOPPED']);
    const plan = planReplica(next, tasks, view([a, b], tasks, later(60)), SETTINGS);
    assert.deepEqual([plan.starts, plan.stops], [[], []], 'no new tasks, and the old healthy ones keep running');
  });

  it('resets the failure count when a task turns healthy (resetOnHealthyTask, the default)', () => {
    const s = service({ desired: 2, breaker: { enable: true, rollback: true }, deployments: [deployment('ecs-svc/B', 2)] });
    const tasks = [failed('ecs-svc/B', T0), failed('ecs-svc/B', T0), task('ecs-svc/B', b, { startedAt: later(5) }), failed('ecs-svc/B', later(10))];
    const next = advance(s, tasks, view([a, b], tasks, later(11)), ids());
    assert.equal(next.deployments[0].rolloutState, 'IN_PROGRESS');
    assert.equal(next.deployments[0].breakerResetAt, later(5).toISOString());
    const off = service({ desired: 2, breaker: { enable: true, rollback: false, resetOnHealthyTask: false }, deployments: [deployment('ecs-svc/B', 2)] });
    assert.equal(advance(off, tasks, view([a, b], tasks, later(11)), ids()).deployments[0].rolloutState, 'FAILED');
  });

  it('reports the steady state once, again after 6 hours, and changes nothing in between', () => {
    const s = service({ desired: 1, deployments: [deployment('ecs-svc/A', 1)] });
    const tasks = [task('ecs-svc/A', a)];
    const steady = advance(s, tasks, view([a], tasks), ids());
    assert.deepEqual(steady.events.map((e) => e.message), ['(service web) has reached a steady state.', '(service web) (deployment ecs-svc/A) deployment completed.']);
    assert.equal(advance(steady, tasks, view([a], tasks, later(60)), ids()), steady, 'a second pass is a no-op');
    const reminded = advance(steady, tasks, view([a], tasks, later(6 * 3600)), ids());
    assert.equal(reminded.events.length, 3);
  });

  it('keeps the 100 newest events, newest first', () => {
    let s = service();
    for (let i = 0; i < 120; i++) s = withEvents(s, [`event ${i}`], ids(), T0.toISOString());
    assert.equal(s.events.length, 100);
    assert.deepEqual([s.events[0].message, s.events[99].message], ['event 119', 'event 20']);
  });

  it('turns a DRAINING service INACTIVE once its tasks have stopped', () => {
    const s = service({ desired: 0, extra: { status: 'DRAINING' } });
    const stopping = [task('ecs-svc/A', a, { desiredStatus: 'STOPPED' })];
    assert.equal(advance(s, stopping, view([a], stopping), ids()).status, 'DRAINING');
    const stopped = [task('ecs-svc/A', a, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })];
    const gone = advance(s, stopped, view([a], stopped), ids());
    assert.equal(gone.status, 'INACTIVE');
    assert.ok(gone.deployments.every((d) => d.status === 'INACTIVE'));
  });
});

describe('DAEMON scheduler decisions', () => {
  const c = instance('i-c', 'us-east-1c');
  const daemon = (extra = {}) => service({ strategy: 'DAEMON', desired: 0, ...extra });

  it('runs one task on every ACTIVE instance, and follows the instance count', () => {
    const s = advance(daemon(), [], view([a, b], []), ids());
    assert.equal(s.desiredCount, 2);
    const plan = planDaemon(s, [], view([a, b], []), SETTINGS);
    assert.deepEqual(plan.starts, [{ deploymentId: 'ecs-svc/A', count: 2, instanceIds: ['i-a', 'i-b'] }]);
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', b)];
    const grown = planDaemon(s, tasks, view([a, b, c], tasks), SETTINGS);
    assert.deepEqual(grown.starts, [{ deploymentId: 'ecs-svc/A', count: 1, instanceIds: ['i-c'] }], 'a new instance gets one');
  });

  it('stops the task of a DRAINING instance only after its other tasks have stopped', () => {
    const draining = instance('i-c', 'us-east-1c', { status: 'DRAINING' });
    const mine = task('ecs-svc/A', draining);
    const other = task('other', draining, { group: 'family:batch', startedBy: undefined });
    const tasks = [task('ecs-svc/A', a), mine];
    const s = daemon({ desired: 1 });
    assert.deepEqual(planDaemon(s, tasks, view([a, draining], [...tasks, other]), SETTINGS).stops, []);
    other.lastStatus = 'STOPPED';
    assert.deepEqual(planDaemon(s, tasks, view([a, draining], [...tasks, other]), SETTINGS).stops.map((x) => x.cause), ['draining']);
  });

  it('keeps off instances that do not meet its memberOf constraint, and leaves those that stop meeting it', () => {
    const special = instance('i-s', 'us-east-1a');
    special.record.attributes!.push({ name: 'role', value: 'edge' });
    const s = daemon({ extra: { placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == edge' }] } });
    const plan = planDaemon(s, [], view([a, special], []), SETTINGS);
    assert.deepEqual(plan.starts[0].instanceIds, ['i-s']);
    const stray = [task('ecs-svc/A', a)];
    assert.deepEqual(planDaemon(s, stray, view([a, special], stray), SETTINGS).stops.map((x) => x.cause), ['constraint']);
  });

  it('replaces each instance\'s task during a deployment: stop first, start once stopped', () => {
    const s = daemon({ desired: 2, deployments: [deployment('ecs-svc/B', 2), deployment('ecs-svc/A', 1, { status: 'ACTIVE' })] });
    const tasks = [task('ecs-svc/A', a), task('ecs-svc/A', b)];
    const plan = planDaemon(s, tasks, view([a, b], tasks), SETTINGS);
    assert.equal(plan.stops.length, 2, 'minimumHealthyPercent 0 (the DAEMON default) lets every old task stop');
    assert.deepEqual(plan.starts, []);
    for (const t of tasks) t.lastStatus = 'STOPPED';
    assert.deepEqual(planDaemon(s, tasks, view([a, b], tasks), SETTINGS).starts[0].instanceIds, ['i-a', 'i-b']);
  });
});
