// The incremental path must choose exactly what the reference stack chooses. Random snapshots
// (seeded, so a failure reproduces) with many ties, full instances, disconnected and draining
// ones, taken ports, existing group tasks, static and task-dependent memberOf, distinctInstance,
// and every strategy shape the fast path takes.
import type { PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededIds, type Ids } from '../../common/ids.js';
import { place, type PlacementInstance, type PlacementRequest } from '../index.js';

const AZ: PlacementStrategy = { type: 'spread', field: 'attribute:ecs.availability-zone' };
const RACK: PlacementStrategy = { type: 'spread', field: 'attribute:rack' };
const MEMORY: PlacementStrategy = { type: 'binpack', field: 'memory' };
const CPU: PlacementStrategy = { type: 'binpack', field: 'cpu' };
const INSTANCE: PlacementStrategy = { type: 'spread', field: 'instanceId' };
const SHAPES: PlacementStrategy[][] = [
  [], [AZ], [MEMORY], [CPU], [INSTANCE], [AZ, MEMORY], [AZ, CPU], [AZ, INSTANCE], [AZ, RACK, MEMORY],
  [RACK, AZ], [AZ, INSTANCE, MEMORY], [MEMORY, INSTANCE], [CPU, MEMORY, INSTANCE], [RACK, MEMORY, CPU],
];
const CONSTRAINTS: PlacementConstraint[][] = [
  [], [], [{ type: 'distinctInstance' }], [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }],
  [{ type: 'memberOf', expression: 'not(task:group == family:web)' }],
  [{ type: 'memberOf', expression: 'task:group == family:web or attribute:ecs.availability-zone == az-1' }],
  [{ type: 'distinctInstance' }, { type: 'memberOf', expression: 'attribute:rack != r2' }],
];

const pick = <T>(rng: Ids, xs: readonly T[]): T => xs[Math.floor(rng.random() * xs.length)];

function randomCase(rng: Ids): { instances: PlacementInstance[]; request: PlacementRequest } {
  const n = 1 + Math.floor(rng.random() * 60);
  const azs = 1 + Math.floor(rng.random() * 4);
  const instances = Array.from({ length: n }, (_, i): PlacementInstance => {
    const attributes = [{ name: 'ecs.instance-type', value: pick(rng, ['t2.micro', 't2.large', 'm5.large']) }];
    if (rng.random() < 0.9) attributes.push({ name: 'ecs.availability-zone', value: `az-${Math.floor(rng.random() * azs)}` });
    if (rng.random() < 0.8) attributes.push({ name: 'rack', value: pick(rng, ['r1', 'r2', 'r3']) });
    return {
      arn: `ci-${i}`, agentConnected: rng.random() < 0.93, status: rng.random() < 0.95 ? 'ACTIVE' : 'DRAINING', attributes,
      remainingCpu: pick(rng, [0, 256, 512, 1024, 2048]), remainingMemory: pick(rng, [0, 512, 1024, 2048, 4096]),
      usedTcpPorts: rng.random() < 0.2 ? [80] : [], usedUdpPorts: rng.random() < 0.1 ? [53] : [],
      tasks: Array.from({ length: Math.floor(rng.random() * 3) }, () => ({ group: pick(rng, ['family:web', 'service:api', 'family:web']) })),
    };
  });
  const request: PlacementRequest = {
    count: 1 + Math.floor(rng.random() * 40),
    needs: {
      cpu: pick(rng, [0, 128, 256, 512]), memory: pick(rng, [0, 256, 512, 1024]),
      ports: rng.random() < 0.15 ? [80] : [], portsUdp: rng.random() < 0.05 ? [53] : [],
    },
    group: 'family:web',
    constraints: pick(rng, CONSTRAINTS),
    strategies: pick(rng, SHAPES),
  };
  return { instances, request };
}

describe('fast path ≡ reference path', () => {
  it('chooses identically on 500 random snapshots', () => {
    const rng = seededIds(20261101);
    let placedTotal = 0, failedCases = 0;
    for (let trial = 0; trial < 500; trial++) {
      const { instances, request } = randomCase(rng);
      const label = `trial ${trial}: ${JSON.stringify(request)}`;
      const reference = place({ instances }, request, seededIds(trial), { path: 'reference' });
      const fast = place({ instances }, request, seededIds(trial), { path: 'fast' });
      assert.equal(fast.explanation.path, 'fast', label);
      assert.deepEqual(fast.placements, reference.placements, label);
      assert.deepEqual(fast.failures, reference.failures, label);
      assert.equal(fast.unplaced, reference.unplaced, label);
      placedTotal += reference.placements.length;
      if (reference.unplaced) failedCases++;
    }
    // The generator must exercise both outcomes, or the comparison proves little.
    assert.ok(placedTotal > 2000, `placed ${placedTotal}`);
    assert.ok(failedCases > 50 && failedCases < 450, `cases with unplaced tasks: ${failedCases}`);
  });

  it('is the default when it applies; random, a tier after binpack, or explain take the reference', () => {
    const instances: PlacementInstance[] = [{ arn: 'a', agentConnected: true, remainingCpu: 10, remainingMemory: 10 }];
    const base = { count: 1, needs: { cpu: 1, memory: 1 }, group: 'g' };
    const path = (strategies: PlacementStrategy[], explain = false) => place({ instances }, { ...base, strategies }, seededIds(1), { explain }).explanation.path;
    assert.equal(path([AZ, MEMORY]), 'fast');
    assert.equal(path([AZ, MEMORY], true), 'reference');
    assert.equal(path([AZ, { type: 'random' }]), 'reference');
    assert.equal(path([MEMORY, AZ]), 'reference');
    assert.throws(() => place({ instances }, { ...base, strategies: [{ type: 'random' }] }, seededIds(1), { path: 'fast' }), /fast path does not apply/);
  });

  it('falls back to the reference beyond 64 spread buckets, with the same answer', () => {
    const instances: PlacementInstance[] = Array.from({ length: 100 }, (_, i) => ({
      arn: `ci-${i}`, agentConnected: true, remainingCpu: 1024, remainingMemory: 1024 + (i % 7) * 256,
      attributes: [{ name: 'host-id', value: `h${i}` }],
    }));
    const request: PlacementRequest = { count: 30, needs: { cpu: 64, memory: 256 }, group: 'g', strategies: [{ type: 'spread', field: 'attribute:host-id' }, MEMORY] };
    const auto = place({ instances }, request, seededIds(1));
    assert.equal(auto.explanation.path, 'reference');
    assert.equal(new Set(auto.placements.map((p) => p.arn)).size, 30, 'each host once');
  });
});
