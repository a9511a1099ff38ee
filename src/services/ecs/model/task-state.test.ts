// What a state report does to a task record (task-state.ts): forward only, set once, and "no
// change" (undefined, so nothing is written) exactly when the record would come out the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from './common.js';
import { applyTaskReport, type TaskReport } from './task-state.js';

const T0 = new Date('2026-12-01T08:00:00.000Z');
const T1 = new Date('2026-12-01T08:00:05.000Z');

const pending = (): TaskRecord => ({
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/0123', lastStatus: 'PENDING', desiredStatus: 'RUNNING', version: 1,
  containers: [
    { name: 'web', lastStatus: 'PENDING', networkBindings: [] },
    { name: 'sidecar', lastStatus: 'PENDING', networkBindings: [] },
  ],
});

const running: TaskReport = {
  status: 'RUNNING', pullStartedAt: T0, pullStoppedAt: T0,
  containers: [
    { containerName: 'web', status: 'RUNNING', runtimeId: 'abc', networkBindings: [{ containerPort: 80, hostPort: 32768 }] },
    { containerName: 'sidecar', status: 'RUNNING', runtimeId: 'def' },
  ],
};

/** The record as stored and read back (dates become strings). */
const stored = (t: TaskRecord) => JSON.parse(JSON.stringify(t)) as TaskRecord;

describe('applyTaskReport', () => {
  it('moves the task and its containers to RUNNING, once; the same report again changes nothing', () => {
    const next = applyTaskReport(pending(), running, T1)!;
    assert.equal(next.lastStatus, 'RUNNING');
    assert.equal(next.startedAt, T1);
    assert.equal(next.pullStartedAt, T0);
    assert.deepEqual(next.containers!.map((c) => [c.lastStatus, c.runtimeId]), [['RUNNING', 'abc'], ['RUNNING', 'def']]);
    assert.deepEqual(next.containers![0].networkBindings, [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' }]);
    assert.equal(applyTaskReport(stored(next), running, T1), undefined, 'a duplicate is acknowledged and writes nothing');
    assert.equal(applyTaskReport(stored(next), { ...running, status: 'PENDING' }, T1), undefined, 'a stale report writes nothing');
  });

  it('a report that adds anything new to a container is a change, even with the task status unchanged', () => {
    const base = stored(applyTaskReport(pending(), running, T1)!);
    const changed = (containers: TaskReport['containers']) => applyTaskReport(base, { status: 'RUNNING', containers }, T1);
    assert.equal(changed([{ containerName: 'web', status: 'RUNNING', runtimeId: 'abc' }]), undefined);
    assert.equal(changed([{ containerName: 'web', runtimeId: 'xyz' }])?.containers![0].runtimeId, 'xyz');
    assert.equal(changed([{ containerName: 'web', exitCode: 0 }])?.containers![0].exitCode, 0);
    assert.equal(changed([{ containerName: 'web', reason: 'OOM' }])?.containers![0].reason, 'OutOfMemoryError: Container killed due to memory usage');
    assert.equal(changed([{ containerName: 'web', imageDigest: 'sha256:1' }])?.containers![0].imageDigest, 'sha256:1');
    assert.equal(changed([{ containerName: 'web', networkBindings: [{ containerPort: 80, hostPort: 32768 }] }]), undefined, 'the same bindings');
    assert.equal(changed([{ containerName: 'web', networkBindings: [{ containerPort: 80, hostPort: 32769 }] }])?.containers![0].networkBindings![0].hostPort, 32769);
    assert.equal(changed([{ containerName: 'nope', runtimeId: 'zzz' }]), undefined, 'a container the task does not have');
    assert.equal(applyTaskReport(base, { pullStartedAt: T1 }, T1), undefined, 'pull times are set once');
  });

  it('STOPPED fixes the stop code and reason; a STOPPED task takes no report', () => {
    const ran = stored(applyTaskReport(pending(), running, T0)!);
    const stopped = applyTaskReport(ran, { status: 'STOPPED', containers: [{ containerName: 'web', status: 'STOPPED', exitCode: 1 }] }, T1)!;
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.deepEqual(stopped.containers!.map((c) => c.lastStatus), ['STOPPED', 'STOPPED']);
    assert.equal(applyTaskReport(stored(stopped), { containers: [{ containerName: 'web', exitCode: 2 }] }, T1), undefined);
    const never = applyTaskReport(pending(), { status: 'STOPPED', reason: 'CannotPullContainerError: nope' }, T1)!;
    assert.equal(never.stopCode, 'TaskFailedToStart');
    assert.equal(never.stoppedReason, 'CannotPullContainerError: nope');
  });

  it('leaves the record it was given as it was', () => {
    const task = pending();
    const before = JSON.stringify(task);
    applyTaskReport(task, running, T1);
    assert.equal(JSON.stringify(task), before);
  });
});
