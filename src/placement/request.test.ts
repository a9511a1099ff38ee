// Request validation: ECS's limits and the messages a caller sees (InvalidParameterException).
import type { PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsError } from '../common/errors.js';
import { seededIds } from '../common/ids.js';
import { compilePlacement, place, SERVICE_DEFAULT_STRATEGY, taskGroup } from './index.js';

const memberOf = (expression: string): PlacementConstraint => ({ type: 'memberOf', expression });
const invalid = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: unknown) => {
  assert.ok(e instanceof AwsError);
  assert.equal(e.code, 'InvalidParameterException');
  assert.match(e.message, message);
  return true;
});

describe('placement requests: validation', () => {
  it('allows 10 constraints counting the task definition\'s, not 11', () => {
    const five = Array.from({ length: 5 }, (_, i) => memberOf(`attribute:a${i} exists`));
    const fromDefinition = five.map((c) => ({ type: 'memberOf' as const, expression: c.expression }));
    assert.equal(compilePlacement({ constraints: five, definitionConstraints: fromDefinition }).memberOf.length, 10);
    invalid(() => compilePlacement({ constraints: [...five, { type: 'distinctInstance' }], definitionConstraints: fromDefinition }),
      /^Too many placement constraints: 11 \(at most 10, including the task definition's\)\.$/);
  });

  it('allows 5 strategies, not 6', () => {
    const five: PlacementStrategy[] = Array.from({ length: 5 }, () => ({ type: 'binpack', field: 'memory' }));
    assert.equal(compilePlacement({ strategies: five }).tiers.length, 5);
    invalid(() => compilePlacement({ strategies: [...five, { type: 'random' }] }), /^Too many placement strategies: 6 \(at most 5\)\.$/);
  });

  it('checks constraint types and expressions', () => {
    invalid(() => compilePlacement({ constraints: [{ type: 'distinctInstance', expression: 'attribute:a exists' }] }),
      /^distinctInstance expression should not be specified\.$/);
    invalid(() => compilePlacement({ constraints: [{ type: 'memberOf' }] }), /placementConstraints\[0\]: a memberOf placement constraint requires an expression/);
    invalid(() => compilePlacement({ constraints: [{ type: 'sameInstance' as never }] }), /invalid placement constraint type 'sameInstance'/);
    invalid(() => compilePlacement({ definitionConstraints: [{ type: 'distinctInstance' as never }] }),
      /task definition's placementConstraints\[0\]: constraint.type 'distinctInstance' is not supported/);
    invalid(() => compilePlacement({ constraints: [memberOf('attribute:a exists'), memberOf('attribute:b = 1')] }),
      /^Invalid expression at position 12: expected an operator after 'attribute:b'/);
  });

  it('checks strategy types and fields', () => {
    invalid(() => compilePlacement({ strategies: [{ type: 'binpack', field: 'disk' }] }), /placementStrategy\[0\]: the binpack field must be cpu or memory, not 'disk'/);
    invalid(() => compilePlacement({ strategies: [{ type: 'binpack' }] }), /the binpack field must be cpu or memory, not ''/);
    invalid(() => compilePlacement({ strategies: [{ type: 'spread', field: 'ecs.availability-zone' }] }),
      /the spread field must be instanceId, host or attribute:<name>, not 'ecs.availability-zone'/);
    invalid(() => compilePlacement({ strategies: [{ type: 'spread', field: 'attribute:' }] }), /spread field/);
    invalid(() => compilePlacement({ strategies: [{ type: 'pack' as never }] }), /invalid placement strategy type 'pack'; expected random, spread or binpack/);
    assert.deepEqual(compilePlacement({ strategies: [{ type: 'binpack', field: 'MEMORY' }, { type: 'spread', field: 'instanceId' }, { type: 'random', field: 'ignored' }] })
      .tiers.map((t) => t.label), ['binpack(memory)', 'spread(instanceId)', 'random']);
  });

  it('place() validates too, before placing anything', () => {
    invalid(() => place({ instances: [] }, { count: 1, needs: { cpu: 1, memory: 1 }, group: 'family:x', strategies: [{ type: 'binpack', field: 'gpu' }] }, seededIds(1)),
      /binpack field/);
    invalid(() => place({ instances: [] }, { count: 1, needs: { cpu: -1, memory: 1 }, group: 'family:x' }, seededIds(1)), /cpu need must be a non-negative number/);
    invalid(() => place({ instances: [] }, { count: 1, needs: { cpu: 1, memory: 1 }, group: '' }, seededIds(1)), /task group is required/);
  });

  it('names task groups as ECS does', () => {
    assert.equal(taskGroup({ serviceName: 'web', family: 'app' }), 'service:web');
    assert.equal(taskGroup({ group: 'databases', family: 'app' }), 'databases');
    assert.equal(taskGroup({ family: 'app' }), 'family:app');
    assert.deepEqual(SERVICE_DEFAULT_STRATEGY, [{ type: 'spread', field: 'attribute:ecs.availability-zone' }]);
  });
});
