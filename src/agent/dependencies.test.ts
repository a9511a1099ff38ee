import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readiness, stopWaves } from './dependencies.js';
import type { ContainerState, TaskState } from './task-state.js';

const container = (name: string, over: Partial<ContainerState> = {}): ContainerState => ({
  name, runtimeName: `ecs-x-${name}`, known: 'NONE', essential: true, everStarted: false, hasHealthCheck: false, bindings: [], token: name, ...over,
});
const task = (containers: ContainerState[]): TaskState => ({
  arn: 'arn:aws:ecs:us-east-1:000000000000:task/c/1', known: 'PULLED', containers,
  desired: { arn: 'x', desiredStatus: 'RUNNING', generation: 1, taskDefinition: {} },
});

describe('container ordering', () => {
  it('waits for links to run and volumesFrom sources to exist, and fails when they cannot', () => {
    const def = { name: 'app', links: ['db:database'], volumesFrom: [{ sourceContainer: 'data' }] };
    assert.deepEqual(readiness(task([container('db'), container('data')]), def), { kind: 'wait', on: 'db running (link)' });
    assert.deepEqual(readiness(task([container('db', { known: 'RUNNING' }), container('data')]), def), { kind: 'wait', on: 'data created (volumesFrom)' });
    assert.deepEqual(readiness(task([container('db', { known: 'RUNNING' }), container('data', { runtimeId: 'abc', known: 'CREATED' })]), def), { kind: 'ready' });
    assert.equal(readiness(task([container('db', { known: 'STOPPED' }), container('data')]), def).kind, 'fail');
  });

  it('evaluates each dependsOn condition', () => {
    const dep = (condition: 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY', state: Partial<ContainerState>) =>
      readiness(task([container('d', state)]), { name: 'app', dependsOn: [{ containerName: 'd', condition }] }).kind;
    assert.equal(dep('START', { known: 'RUNNING', everStarted: true }), 'ready');
    assert.equal(dep('START', { known: 'CREATED' }), 'wait');
    assert.equal(dep('COMPLETE', { known: 'RUNNING', everStarted: true }), 'wait');
    assert.equal(dep('COMPLETE', { known: 'STOPPED', everStarted: true, exitCode: 1 }), 'ready');
    assert.equal(dep('SUCCESS', { known: 'STOPPED', everStarted: true, exitCode: 0 }), 'ready');
    assert.equal(dep('SUCCESS', { known: 'STOPPED', everStarted: true, exitCode: 1 }), 'fail');
    assert.equal(dep('HEALTHY', { known: 'RUNNING', everStarted: true, hasHealthCheck: true, health: 'UNKNOWN' }), 'wait');
    assert.equal(dep('HEALTHY', { known: 'RUNNING', everStarted: true, hasHealthCheck: true, health: 'HEALTHY' }), 'ready');
    assert.equal(dep('HEALTHY', { known: 'RUNNING', everStarted: true, hasHealthCheck: true, health: 'UNHEALTHY' }), 'fail');
    assert.equal(dep('HEALTHY', { known: 'RUNNING', everStarted: true }), 'fail', 'no health check: can never be HEALTHY');
  });

  it('stops dependents before what they depend on', () => {
    const waves = stopWaves({ containerDefinitions: [
      { name: 'db' },
      { name: 'app', dependsOn: [{ containerName: 'db', condition: 'START' }], links: ['cache'] },
      { name: 'cache' },
      { name: 'proxy', dependsOn: [{ containerName: 'app', condition: 'HEALTHY' }] },
      { name: 'logs' },
    ] });
    assert.deepEqual(waves, [['proxy', 'logs'], ['app'], ['db', 'cache']]);
  });
});
