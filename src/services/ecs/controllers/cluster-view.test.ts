// Which rule the lost-agent policy applies to an instance is decided by its capability: a Berth
// agent (SELF_FENCE_CAPABILITY) has stopped its own copies at lost-after, so its tasks are
// superseded at lost-after + the fence margin; an agent that cannot fence itself (the Amazon ECS
// agent) keeps its tasks while merely disconnected, as on ECS, unless its cluster opted in with
// the tag berth:supersede-disconnected=true.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SELF_FENCE_CAPABILITY } from '../../../protocol/acs.js';
import type { ContainerInstanceRecord } from '../model/common.js';
import { instanceView, supersedesUnfenced, SUPERSEDE_UNFENCED_TAG, type LostPolicy } from './cluster-view.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const record = (fences: boolean): ContainerInstanceRecord => ({
  containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/c/0123', status: 'ACTIVE',
  lastHeartbeatAt: new Date(T0).toISOString(),
  attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1a' }, ...(fences ? [{ name: SELF_FENCE_CAPABILITY }] : [])],
} as ContainerInstanceRecord);
const policy: LostPolicy = { lostAfterSeconds: 30, fenceMarginSeconds: 5, supersedeUnfenced: false };
const lostAt = (r: ContainerInstanceRecord, seconds: number, p = policy) => instanceView(r, new Date(T0 + seconds * 1000), 9, p).lost;

describe('lost-agent policy: which rule applies', () => {
  it('a self-fencing agent is lost only after lost-after + the fence margin', () => {
    assert.equal(instanceView(record(true), new Date(T0), 9, policy).selfFences, true);
    assert.deepEqual([lostAt(record(true), 31), lostAt(record(true), 35), lostAt(record(true), 35.5)], [false, false, true]);
  });

  it('an agent that cannot fence itself is never lost while merely disconnected, unless the cluster opts in', () => {
    assert.equal(instanceView(record(false), new Date(T0), 9, policy).selfFences, false);
    assert.equal(lostAt(record(false), 3600), false);
    const optedIn = { ...policy, supersedeUnfenced: true };
    assert.deepEqual([lostAt(record(false), 30, optedIn), lostAt(record(false), 30.5, optedIn)], [false, true]);
  });

  it('the opt-in is the cluster tag berth:supersede-disconnected=true', () => {
    assert.equal(SUPERSEDE_UNFENCED_TAG, 'berth:supersede-disconnected');
    assert.equal(supersedesUnfenced([{ key: 'berth:supersede-disconnected', value: 'true' }]), true);
    assert.equal(supersedesUnfenced([{ key: 'berth:supersede-disconnected', value: 'TRUE' }]), true);
    assert.equal(supersedesUnfenced([{ key: 'berth:supersede-disconnected', value: 'no' }]), false);
    assert.equal(supersedesUnfenced(undefined), false);
  });
});
