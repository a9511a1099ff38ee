// The state reporter: changes made together go in one report with the final state; later changes
// in another; a refused report is dropped, a failed one retried until taken.
import type { SubmitTaskStateChangeRequest } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AcsTask } from '../protocol/acs.js';
import { StateReporter } from './state-reporter.js';
import type { TaskState } from './task-state.js';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef';
const desired = { arn: ARN, desiredStatus: 'RUNNING', generation: 1, taskDefinition: { family: 'f', revision: 1, containerDefinitions: [{ name: 'a' }] } } as unknown as AcsTask;

function task(known: TaskState['known']): TaskState {
  const running = known === 'RUNNING';
  return {
    arn: ARN, desired, known, pullStartedAt: '2026-01-01T00:00:00.000Z', pullStoppedAt: known === 'NONE' ? undefined : '2026-01-01T00:00:01.000Z',
    containers: [{ name: 'a', runtimeName: 'ecs-f-1-a', known: running ? 'RUNNING' : 'NONE', essential: true, everStarted: running, hasHealthCheck: false, bindings: [], token: 't' }],
  };
}

function reporter(submit: (c: SubmitTaskStateChangeRequest) => Promise<unknown>) {
  const sent: SubmitTaskStateChangeRequest[] = [];
  const r = new StateReporter({ cluster: 'c', retryMs: [1, 1], submit: async (c) => { sent.push(c); return submit(c); } });
  return { r, sent };
}

describe('state reporter', () => {
  it('sends one report, with the final state, for changes made in one turn', async () => {
    const { r, sent } = reporter(async () => ({}));
    r.notify(task('NONE'));
    r.notify(task('PULLED'));
    r.notify(task('RUNNING'));
    await r.idle();
    assert.deepEqual(sent.map((c) => [c.status, c.containers?.[0].status]), [['RUNNING', 'RUNNING']]);
    assert.equal(r.submitted, 1);
  });

  it('sends a change made after a report went out in a report of its own, and nothing twice', async () => {
    const { r, sent } = reporter(async () => ({}));
    r.notify(task('PULLED'));
    await r.idle();
    r.notify(task('RUNNING'));
    await r.idle();
    r.notify(task('RUNNING')); // the same state again: nothing to send
    await r.idle();
    assert.deepEqual(sent.map((c) => c.status), ['PENDING', 'RUNNING']);
  });

  it('drops a report the server refuses and retries one that failed', async () => {
    const refused = reporter(async () => { throw Object.assign(new Error('no such task'), { name: 'InvalidParameterException', $fault: 'client' }); });
    refused.r.notify(task('RUNNING'));
    await refused.r.idle();
    assert.equal(refused.sent.length, 1);
    assert.equal(refused.r.submitted, 0);

    let failures = 2;
    const flaky = reporter(async () => { if (failures-- > 0) throw Object.assign(new Error('socket hang up'), { $fault: 'server' }); return {}; });
    flaky.r.notify(task('RUNNING'));
    await flaky.r.idle();
    assert.equal(flaky.sent.length, 3);
    assert.equal(flaky.r.submitted, 1);
  });
});
