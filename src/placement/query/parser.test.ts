// The cluster query language against the ECS developer guide: every documented example parses
// and selects what the guide says it selects; malformed expressions fail with
// InvalidParameterException saying where and what.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsError } from '../../common/errors.js';
import { queryTarget } from '../from-records.js';
import type { PlacementInstance } from '../types.js';
import { compileQuery } from './index.js';

const instance = (over: Partial<PlacementInstance> & { attrs?: Record<string, string>; groups?: string[] } = {}): PlacementInstance => ({
  arn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/c/x',
  agentConnected: true,
  remainingCpu: 1024,
  remainingMemory: 1024,
  attributes: Object.entries(over.attrs ?? {}).map(([name, value]) => ({ name, value })),
  tasks: (over.groups ?? []).map((group) => ({ group })),
  ...over,
});

const t2small = instance({ attrs: { 'ecs.instance-type': 't2.small', 'ecs.availability-zone': 'us-east-1a' } });
const t2medium = instance({ attrs: { 'ecs.instance-type': 't2.medium', 'ecs.availability-zone': 'us-east-1b' } });
const g2d = instance({ attrs: { 'ecs.instance-type': 'g2.2xlarge', 'ecs.availability-zone': 'us-east-1d' } });
const g2a = instance({ attrs: { 'ecs.instance-type': 'g2.8xlarge', 'ecs.availability-zone': 'us-east-1a' } });
const m5c = instance({ attrs: { 'ecs.instance-type': 'm5.large', 'ecs.availability-zone': 'us-east-1c', stack: 'prod' } });
const staging = instance({ attrs: { stack: 'staging' } });

/** The guide's examples ("Example expressions", task placement constraint and filter pages). */
const DOCUMENTED: { expression: string; selects: PlacementInstance[]; rejects: PlacementInstance[] }[] = [
  { expression: 'attribute:ecs.instance-type == t2.small', selects: [t2small], rejects: [t2medium, g2d] },
  { expression: 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', selects: [t2small, t2medium, g2a], rejects: [g2d, m5c] },
  { expression: 'attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d', selects: [g2a], rejects: [g2d, t2small] },
  { expression: 'task:group == service:production', selects: [instance({ groups: ['service:production', 'family:web'] })], rejects: [instance({ groups: ['service:staging'] }), instance()] },
  { expression: 'not(task:group == database)', selects: [instance({ groups: ['web'] }), instance()], rejects: [instance({ groups: ['database'] })] },
  { expression: 'runningTasksCount == 1', selects: [instance({ runningTasksCount: 1 })], rejects: [instance({ runningTasksCount: 0 }), instance({ runningTasksCount: 2 })] },
  { expression: 'agentVersion < 1.14.5', selects: [instance({ agentVersion: '1.14.4' }), instance({ agentVersion: '1.9.0' })], rejects: [instance({ agentVersion: '1.14.5' }), instance({ agentVersion: '1.51.0' })] },
  { expression: 'registeredAt < 2018-02-13', selects: [instance({ registeredAt: '2018-02-12T23:59:59Z' })], rejects: [instance({ registeredAt: '2018-02-13T00:00:00Z' }), instance({ registeredAt: '2019-01-01T00:00:00Z' })] },
  { expression: "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", selects: [instance({ ec2InstanceId: 'i-wxyx7890' })], rejects: [instance({ ec2InstanceId: 'i-00000000' }), instance()] },
  { expression: 'attribute:ecs.instance-type =~ t2.*', selects: [t2small, t2medium], rejects: [g2d, m5c] },
  { expression: 'task:group == databases', selects: [instance({ groups: ['databases'] })], rejects: [instance({ groups: ['web'] })] },
  { expression: 'attribute:ecs.instance-type == g2.2xlarge', selects: [g2d], rejects: [g2a] },
  { expression: 'attribute:stack == prod', selects: [m5c], rejects: [staging, t2small] },
  // "instances with the custom attribute stack unless the attribute value is prod": absent ≠ selected.
  { expression: 'attribute:stack != prod', selects: [staging], rejects: [m5c, t2small] },
  { expression: 'attribute:ecs.instance-type in [t2.small, t2.medium]', selects: [t2small, t2medium], rejects: [g2d] },
  { expression: 'attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a', selects: [t2small], rejects: [t2medium, g2a] },
];

describe('cluster query language: documented examples', () => {
  for (const { expression, selects, rejects } of DOCUMENTED) {
    it(expression, () => {
      const q = compileQuery(expression);
      for (const i of selects) assert.equal(q.test(queryTarget(i)), true, `${expression} should select ${JSON.stringify(i.attributes)} ${JSON.stringify(i.tasks)}`);
      for (const i of rejects) assert.equal(q.test(queryTarget(i)), false, `${expression} should reject ${JSON.stringify(i.attributes)} ${JSON.stringify(i.tasks)}`);
    });
  }

  it('accepts every spelling of every operator and boolean operator', () => {
    const pairs: [string, string][] = [
      ['runningTasksCount == 2', 'runningTasksCount equals 2'], ['runningTasksCount != 2', 'runningTasksCount not_equals 2'],
      ['runningTasksCount > 2', 'runningTasksCount greater_than 2'], ['runningTasksCount >= 2', 'runningTasksCount greater_than_equal 2'],
      ['runningTasksCount < 2', 'runningTasksCount less_than 2'], ['runningTasksCount <= 2', 'runningTasksCount less_than_equal 2'],
      ['attribute:stack !exists', 'attribute:stack not_exists'], ['attribute:stack !in [prod]', 'attribute:stack not_in [prod]'],
      ['attribute:stack =~ pr.*', 'attribute:stack matches pr.*'], ['attribute:stack !~ pr.*', 'attribute:stack not_matches pr.*'],
      ['attribute:a exists && attribute:b exists', 'attribute:a exists and attribute:b exists'],
      ['attribute:a exists || attribute:b exists', 'attribute:a exists or attribute:b exists'],
      ['!(attribute:a exists)', 'not (attribute:a exists)'],
    ];
    const targets = [0, 1, 2, 3].map((n) => queryTarget(instance({ runningTasksCount: n, attrs: n % 2 ? { stack: 'prod', a: 'x' } : { stack: 'dev', b: 'y' } })));
    for (const [symbol, word] of pairs) {
      const a = compileQuery(symbol), b = compileQuery(word);
      assert.deepEqual(targets.map(a.test), targets.map(b.test), `${symbol} ≡ ${word}`);
    }
  });

  it('binds not tighter than and, and tighter than or; parentheses override', () => {
    const x = queryTarget(instance({ attrs: { a: '1' } }));
    assert.equal(compileQuery('attribute:a exists or attribute:b exists and attribute:c exists').test(x), true);
    assert.equal(compileQuery('(attribute:a exists or attribute:b exists) and attribute:c exists').test(x), false);
    assert.equal(compileQuery('not attribute:b exists and attribute:a exists').test(x), true);
    assert.equal(compileQuery('!(attribute:b exists or attribute:a exists)').test(x), false);
  });
});

/** Malformed expressions and the message each must give (positions are 0-based offsets). */
const INVALID: [string, RegExp][] = [
  ['', /^Invalid expression: the expression is empty\.$/],
  ['attribute:ecs.instance-type t2.micro', /^Invalid expression at position 28: expected an operator after 'attribute:ecs\.instance-type', found 't2\.micro'\.$/],
  ['attribute:stack = prod', /position 16: expected an operator after 'attribute:stack', found '='.*use '==' or equals/],
  ['instanceType == t2.micro', /position 0: unknown subject 'instanceType'; expected agentConnected, agentVersion, attribute:<name>/],
  ['attribute: == x', /position 0: 'attribute:' needs an attribute name/],
  ['runningTasksCount =~ 1.*', /position 18: the operator '=~' cannot be used with runningTasksCount; valid operators: ==, !=, >, >=, <, <=\.$/],
  ['agentVersion in [1.0.0]', /position 13: the operator 'in' cannot be used with agentVersion/],
  ['ec2InstanceId exists', /the operator 'exists' cannot be used with ec2InstanceId; valid operators: ==, !=, in, !in, =~, !~/],
  ['task:group > 3', /the operator '>' cannot be used with task:group/],
  ['runningTasksCount > many', /position 20: runningTasksCount compares with a whole number, found 'many'/],
  ['agentVersion < latest', /position 15: agentVersion compares with a version such as 1\.14\.5, found 'latest'/],
  ['registeredAt < yesterday', /position 15: registeredAt compares with a date \(2018-06-18T22:28:28\+00:00, .*found 'yesterday'/],
  ['registeredAt > 2018-02-30', /registeredAt compares with a date .*found '2018-02-30'/],
  ['agentConnected == maybe', /position 18: agentConnected is true or false, found 'maybe'/],
  ['attribute:stack in prod', /position 19: 'in' expects a list such as \[a, b\], found 'prod'/],
  ['attribute:stack in [prod, dev', /position 29: expected ',' or '\]' in the list opened at position 19, found the end of the expression/],
  ['attribute:stack in []', /position 20: expected a value in the list opened at position 19, found '\]'/],
  ['attribute:stack ==', /position 18: expected a value after '==', found the end of the expression/],
  ["attribute:stack == 'prod", /position 19: the quoted value starting here has no closing '/],
  ['(attribute:stack == prod', /position 24: expected '\)' to close the '\(' at position 0, found the end of the expression/],
  ['attribute:stack == prod)', /position 23: found '\)' without a matching '\('/],
  ['attribute:stack == prod dev', /position 24: expected 'and', 'or' or the end of the expression after 'prod', found 'dev'/],
  ['attribute:stack == prod and', /position 27: expected an expression after 'and', found the end of the expression/],
  ['and attribute:stack exists', /position 0: unknown subject 'and'/],
  ['attribute:stack exists prod', /expected 'and', 'or' or the end of the expression after 'exists', found 'prod'/],
  ['attribute:stack == (prod)', /position 19: expected a value after '==', found '\('/],
  ['attribute:stack =~ [a-', /position 19: the regular expression '\[a-' has a character class without its closing \]/],
  ['attribute:stack =~ a*+', /position 21: the regular expression 'a\*\+' uses a possessive quantifier/],
  ['attribute:stack =~ (?>ab)', /uses an atomic group/],
  ['attribute:stack =~ (ab', /the regular expression '\(ab' is not valid/],
  [`attribute:stack == ${'x'.repeat(1990)}`, /^Invalid expression: it is 2009 characters long; the maximum is 2000\.$/],
];

describe('cluster query language: invalid expressions', () => {
  for (const [expression, message] of INVALID) {
    it(expression.length > 60 ? `${expression.slice(0, 40)}… (${expression.length} chars)` : expression || '(empty)', () => {
      assert.throws(() => compileQuery(expression), (e: unknown) => {
        assert.ok(e instanceof AwsError);
        assert.equal(e.code, 'InvalidParameterException');
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('accepts an expression of exactly 2,000 characters', () => {
    const expression = `attribute:stack == ${'x'.repeat(2000 - 'attribute:stack == '.length)}`;
    assert.equal(expression.length, 2000);
    assert.equal(compileQuery(expression).test(queryTarget(instance({ attrs: { stack: 'x'.repeat(1981) } }))), true);
  });
});
