// The ECS developer guide's placement examples, table-driven, with a fixed instance order and a
// seeded RNG. Every case runs on the reference stack and on the default path (incremental when
// the strategies allow) and must give the same answer on both.
import type { PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededIds } from '../common/ids.js';
import { place, REASON, type PlacementInstance, type PlacementRequest } from './index.js';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:container-instance/prod/';
const idOf = (arn: string) => arn.slice(ARN.length);

interface Spec {
  az?: string; type?: string; cpu?: number; mem?: number; groups?: string[]; connected?: boolean; status?: string;
  tcp?: number[]; udp?: number[]; attrs?: Record<string, string>;
}
function inst(id: string, s: Spec = {}): PlacementInstance {
  const attrs: Record<string, string> = { ...(s.az ? { 'ecs.availability-zone': s.az } : {}), 'ecs.instance-type': s.type ?? 't2.large', ...s.attrs };
  return {
    arn: ARN + id, ec2InstanceId: `i-${id}`, status: s.status ?? 'ACTIVE', agentConnected: s.connected ?? true,
    attributes: Object.entries(attrs).map(([name, value]) => ({ name, value })),
    remainingCpu: s.cpu ?? 4096, remainingMemory: s.mem ?? 8192, usedTcpPorts: [22, 2375, 2376, 51678, 51679, ...(s.tcp ?? [])],
    usedUdpPorts: s.udp ?? [], tasks: (s.groups ?? []).map((group) => ({ group })),
  };
}

const AZ: PlacementStrategy = { type: 'spread', field: 'attribute:ecs.availability-zone' };
const MEMORY: PlacementStrategy = { type: 'binpack', field: 'memory' };
const CPU: PlacementStrategy = { type: 'binpack', field: 'cpu' };
const INSTANCE: PlacementStrategy = { type: 'spread', field: 'instanceId' };
const RANDOM: PlacementStrategy = { type: 'random' };
const memberOf = (expression: string): PlacementConstraint => ({ type: 'memberOf', expression });
const DISTINCT: PlacementConstraint = { type: 'distinctInstance' };

interface Case {
  name: string;
  instances: PlacementInstance[];
  request: Partial<PlacementRequest>;
  seed?: number;
  placed: string[];
  failures?: [string, string][];
}

/** Six instances in three AZs; memory differs so binpack has something to choose. */
const sixInThreeAzs = () => [
  inst('a1', { az: 'us-east-1a', mem: 4000 }), inst('a2', { az: 'us-east-1a', mem: 2000 }),
  inst('b1', { az: 'us-east-1b', mem: 3000 }), inst('b2', { az: 'us-east-1b', mem: 6000 }),
  inst('c1', { az: 'us-east-1c', mem: 8000 }), inst('c2', { az: 'us-east-1c', mem: 1000 }),
];

const CASES: Case[] = [
  {
    name: 'spread across AZs, then binpack memory within each AZ (the guide\'s combined example)',
    instances: sixInThreeAzs(),
    request: { count: 6, needs: { cpu: 128, memory: 900 }, strategies: [AZ, MEMORY] },
    // All AZs tie at 0, so binpack decides across them: c2 (1000). Then the empty AZs a and b
    // (a2 2000, b1 3000), then all tie at 1: a2 (1100 left); b and c tie at 1 below a's 2: b1
    // (2100); c last: c2 has 100 left, so c1.
    placed: ['c2', 'a2', 'b1', 'a2', 'b1', 'c1'],
  },
  {
    name: 'spread across AZs, then across the instances within each AZ',
    instances: sixInThreeAzs(),
    request: { count: 6, needs: { cpu: 128, memory: 256 }, strategies: [AZ, INSTANCE] },
    placed: ['a1', 'b1', 'c1', 'a2', 'b2', 'c2'],
  },
  {
    name: 'spread across AZs counts the group\'s existing tasks (only the group\'s)',
    instances: [
      inst('a1', { az: 'us-east-1a', groups: ['service:web', 'service:web', 'service:other'] }),
      inst('b1', { az: 'us-east-1b', groups: ['service:web', 'service:other', 'service:other'] }),
      inst('c1', { az: 'us-east-1c', groups: ['service:other', 'service:other', 'service:other'] }),
    ],
    request: { count: 4, group: 'service:web', strategies: [AZ] },
    placed: ['c1', 'b1', 'c1', 'a1'],
  },
  {
    name: 'spread is lexicographic, never averaged: the emptier AZ wins over a much better binpack fit',
    instances: [inst('a1', { az: 'us-east-1a', mem: 300, groups: ['family:web'] }), inst('b1', { az: 'us-east-1b', mem: 8000 })],
    request: { count: 1, needs: { cpu: 0, memory: 256 }, strategies: [AZ, MEMORY] },
    placed: ['b1'],
  },
  {
    name: 'binpack memory picks the instance with the least remaining memory that still fits',
    instances: [inst('big', { mem: 4096 }), inst('tiny', { mem: 500 }), inst('small', { mem: 1024 }), inst('mid', { mem: 2048 })],
    request: { count: 4, needs: { cpu: 0, memory: 600 }, strategies: [MEMORY] },
    // small (1024) → 424 left, too little; then mid 2048 → 1448 → 848 → 248; then big.
    placed: ['small', 'mid', 'mid', 'mid'],
  },
  {
    name: 'binpack cpu picks the least remaining CPU',
    instances: [inst('x', { cpu: 2048 }), inst('y', { cpu: 1024 }), inst('z', { cpu: 256 })],
    request: { count: 3, needs: { cpu: 512, memory: 0 }, strategies: [CPU] },
    placed: ['y', 'y', 'x'],
  },
  {
    name: 'spread across instanceId: the least loaded first, ties in snapshot order',
    instances: [inst('i1', { groups: ['family:web', 'family:web'] }), inst('i2'), inst('i3', { groups: ['family:web'] }), inst('i4')],
    request: { count: 5, strategies: [INSTANCE] },
    placed: ['i2', 'i4', 'i2', 'i3', 'i4'],
  },
  {
    name: 'spread by host is spread by instanceId',
    instances: [inst('i1', { groups: ['family:web'] }), inst('i2')],
    request: { count: 2, strategies: [{ type: 'spread', field: 'host' }] },
    placed: ['i2', 'i1'],
  },
  {
    name: 'distinctInstance: one task of the group per instance, counting tasks already there',
    instances: [inst('i1'), inst('i2', { groups: ['family:web'] }), inst('i3'), inst('i4')],
    request: { count: 4, constraints: [DISTINCT] },
    placed: ['i1', 'i3', 'i4'],
    failures: [['i1', REASON.DISTINCT_INSTANCE], ['i2', REASON.DISTINCT_INSTANCE], ['i3', REASON.DISTINCT_INSTANCE], ['i4', REASON.DISTINCT_INSTANCE]],
  },
  {
    name: 'memberOf attribute:ecs.instance-type =~ t2.* places on T2 instances only',
    instances: [inst('m5', { type: 'm5.large' }), inst('t2s', { type: 't2.small' }), inst('c5', { type: 'c5.xlarge' }), inst('t2m', { type: 't2.medium' })],
    request: { count: 3, constraints: [memberOf('attribute:ecs.instance-type =~ t2.*')], strategies: [INSTANCE] },
    placed: ['t2s', 't2m', 't2s'],
  },
  {
    name: 'memberOf attribute:ecs.availability-zone in [us-east-1a, us-east-1b], spread across AZs',
    instances: sixInThreeAzs(),
    request: { count: 4, constraints: [memberOf('attribute:ecs.availability-zone in [us-east-1a, us-east-1b]')], strategies: [AZ] },
    placed: ['a1', 'b1', 'a1', 'b1'],
  },
  {
    name: 'memberOf from the task definition and the request both bind (G2, not in us-east-1d)',
    instances: [inst('g2d', { type: 'g2.2xlarge', az: 'us-east-1d' }), inst('t2a', { type: 't2.large', az: 'us-east-1a' }), inst('g2a', { type: 'g2.8xlarge', az: 'us-east-1a' })],
    request: { count: 1, definitionConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g2.*' }], constraints: [memberOf('attribute:ecs.availability-zone != us-east-1d')] },
    placed: ['g2a'],
  },
  {
    name: 'task group affinity: task:group == service:production',
    instances: [inst('i1', { groups: ['service:staging'] }), inst('i2', { groups: ['service:production'] }), inst('i3')],
    request: { count: 2, group: 'service:sidecar', constraints: [memberOf('task:group == service:production')] },
    placed: ['i2', 'i2'],
  },
  {
    name: 'task group anti-affinity: not(task:group == database) sees the tasks placed in this request',
    instances: [inst('i1', { groups: ['database'] }), inst('i2'), inst('i3')],
    request: { count: 3, group: 'database', constraints: [memberOf('not(task:group == database)')] },
    placed: ['i2', 'i3'],
    failures: [['i1', REASON.MEMBER_OF], ['i2', REASON.MEMBER_OF], ['i3', REASON.MEMBER_OF]],
  },
  {
    name: 'fixed host ports: one task per instance per port, TCP and UDP',
    instances: [inst('i1'), inst('i2', { udp: [53] }), inst('i3', { tcp: [8080] })],
    request: { count: 3, needs: { cpu: 10, memory: 10, ports: [8080], portsUdp: [53] } },
    placed: ['i1'],
    failures: [['i1', REASON.PORTS], ['i2', REASON.PORTS], ['i3', REASON.PORTS]],
  },
  {
    name: 'nothing fits: every instance with the reason of the first stage that rejected it',
    instances: [
      inst('gone', { connected: false }), inst('drain', { status: 'DRAINING' }), inst('cpu', { cpu: 100 }), inst('mem', { mem: 100 }),
      inst('port', { tcp: [80] }), inst('gpu', { attrs: { 'ecs.capability.gpu': 'false' } }), inst('m5', { type: 'm5.large', attrs: { 'ecs.capability.gpu': 'true' } }),
    ],
    request: {
      count: 2, needs: { cpu: 256, memory: 512, ports: [80] }, constraints: [memberOf('attribute:ecs.instance-type =~ t2.*')],
      requiredAttributes: [{ name: 'ecs.capability.gpu', value: 'true' }],
    },
    placed: [],
    failures: [['gone', REASON.AGENT], ['drain', REASON.DRAINING], ['cpu', REASON.ATTRIBUTE], ['mem', REASON.ATTRIBUTE],
      ['port', REASON.ATTRIBUTE], ['gpu', REASON.ATTRIBUTE], ['m5', REASON.MEMBER_OF]],
  },
  {
    name: 'resources before constraints: CPU, then memory, then ports',
    instances: [inst('cpu', { cpu: 100, mem: 100, tcp: [80], type: 'm5.large' }), inst('mem', { mem: 100, tcp: [80] }), inst('port', { tcp: [80] })],
    request: { count: 1, needs: { cpu: 256, memory: 512, ports: [80] }, constraints: [memberOf('attribute:ecs.instance-type =~ t2.*')] },
    placed: [],
    failures: [['cpu', REASON.CPU], ['mem', REASON.MEMORY], ['port', REASON.PORTS]],
  },
  {
    name: 'an instance without the spread attribute is used only when no instance with it fits',
    instances: [inst('bare', { mem: 512 }), inst('a1', { az: 'us-east-1a', mem: 1024 })],
    request: { count: 3, needs: { cpu: 0, memory: 512 }, strategies: [AZ] },
    placed: ['a1', 'a1', 'bare'],
  },
  {
    name: 'random with a seed repeats exactly (seed 7)',
    instances: [inst('i1'), inst('i2'), inst('i3'), inst('i4'), inst('i5')],
    request: { count: 6, strategies: [RANDOM] },
    seed: 7,
    placed: ['i1', 'i1', 'i5', 'i4', 'i3', 'i3'],
  },
  {
    name: 'no strategy: the first instance that fits, in snapshot order',
    instances: [inst('i1', { mem: 100 }), inst('i2'), inst('i3')],
    request: { count: 2 },
    placed: ['i2', 'i2'],
  },
];

const request = (r: Partial<PlacementRequest>): PlacementRequest => ({ count: 1, needs: { cpu: 128, memory: 256 }, group: 'family:web', ...r });

describe('placement: the developer guide\'s examples', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const reference = place({ instances: c.instances }, request(c.request), seededIds(c.seed ?? 1), { path: 'reference' });
      assert.deepEqual(reference.placements.map((p) => idOf(p.arn)), c.placed);
      assert.equal(reference.unplaced, (c.request.count ?? 1) - c.placed.length);
      assert.deepEqual(reference.failures.map((f) => [idOf(f.arn!), f.reason]), c.failures ?? []);
      const auto = place({ instances: c.instances }, request(c.request), seededIds(c.seed ?? 1));
      assert.deepEqual(auto.placements, reference.placements, `path ${auto.explanation.path} agrees with the reference`);
      assert.deepEqual(auto.failures, reference.failures);
    });
  }
});

describe('placement: explanation, randomness, purity', () => {
  it('explains per instance: the stage that rejected it and why, or the rank tuple it got', () => {
    const instances = [inst('a1', { az: 'us-east-1a', mem: 700 }), inst('gone', { az: 'us-east-1a', connected: false }), inst('b1', { az: 'us-east-1b', mem: 3000 })];
    const r = place({ instances }, request({ needs: { cpu: 0, memory: 256 }, strategies: [AZ, MEMORY] }), seededIds(1), { explain: true });
    assert.equal(r.explanation.path, 'reference');
    assert.deepEqual(r.explanation.tiers, ['spread(attribute:ecs.availability-zone)', 'binpack(memory)']);
    const [first] = r.explanation.tasks;
    assert.equal(idOf(first.chosen!), 'a1');
    assert.deepEqual(first.rank, [0, 700]);
    assert.deepEqual(first.instances, [
      { arn: ARN + 'a1', rank: [0, 700] },
      { arn: ARN + 'gone', rejected: { stage: 'agent', reason: 'AGENT', detail: 'the container agent is disconnected' } },
      { arn: ARN + 'b1', rank: [0, 3000] },
    ]);
  });

  it('explains a failure with each rejection\'s detail, without asking for explain', () => {
    const r = place({ instances: [inst('x', { mem: 100 })] }, request({ count: 2, needs: { cpu: 0, memory: 512 } }), seededIds(1));
    assert.deepEqual(r.explanation.tasks, [{ task: 0, instances: [
      { arn: ARN + 'x', rejected: { stage: 'resources', reason: 'RESOURCE:MEMORY', detail: 'needs 512 MiB, 100 MiB left' } },
    ] }]);
    assert.equal(r.unplaced, 2);
  });

  it('random picks among the tied candidates only, and a different seed gives a different sequence', () => {
    const instances = [inst('a1', { az: 'us-east-1a' }), inst('a2', { az: 'us-east-1a' }), inst('b1', { az: 'us-east-1b', groups: ['family:web'] })];
    const run = (seed: number) => place({ instances }, request({ count: 20, strategies: [AZ, RANDOM] }), seededIds(seed));
    const one = run(3);
    assert.deepEqual(run(3).placements, one.placements, 'same seed, same placements');
    assert.equal(one.explanation.tasks[0].tied, 2, 'the first task ties a1 and a2 (us-east-1a is emptier)');
    assert.ok(['a1', 'a2'].includes(idOf(one.placements[0].arn)));
    const counts = new Map<string, number>();
    for (const p of one.placements) counts.set(idOf(p.arn), (counts.get(idOf(p.arn)) ?? 0) + 1);
    assert.equal((counts.get('a1') ?? 0) + (counts.get('a2') ?? 0), 10, 'spread still holds: 10 tasks per AZ');
    assert.ok((counts.get('a1') ?? 0) > 0 && (counts.get('a2') ?? 0) > 0, 'both a1 and a2 are drawn');
    const sequences = new Set([1, 2, 3, 4, 5].map((seed) => run(seed).placements.map((p) => idOf(p.arn)).join()));
    assert.ok(sequences.size > 1, 'seeds change the draw');
  });

  it('does not modify the snapshot', () => {
    const instances = sixInThreeAzs();
    const before = JSON.stringify(instances);
    place({ instances }, request({ count: 5, needs: { cpu: 1, memory: 500, ports: [80] }, strategies: [AZ, MEMORY] }), seededIds(1));
    assert.equal(JSON.stringify(instances), before);
  });
});
