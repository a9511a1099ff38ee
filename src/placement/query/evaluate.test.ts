// Evaluation details: dates in every documented format, version order, task groups with negative
// operators, Java regular expressions with full-match semantics, attribute wildcards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryTarget } from '../from-records.js';
import type { PlacementInstance } from '../types.js';
import { compileQuery } from './index.js';

const at = (over: Partial<PlacementInstance> & { attrs?: Record<string, string>; groups?: string[] } = {}) => queryTarget({
  arn: 'x', agentConnected: true, remainingCpu: 0, remainingMemory: 0,
  attributes: Object.entries(over.attrs ?? {}).map(([name, value]) => ({ name, value })),
  tasks: (over.groups ?? []).map((group) => ({ group })),
  ...over,
});
const holds = (expression: string, target: ReturnType<typeof at>) => compileQuery(expression).test(target);

describe('cluster query language: evaluation', () => {
  it('reads registeredAt in all four documented formats, a date naming its whole day and a time its second', () => {
    const x = at({ registeredAt: '2018-06-18T22:28:28.500Z' });
    for (const arg of ['2018-06-18T22:28:28+00:00', '2018-06-18T22:28:28Z', '2018-06-18T22:28:28', '2018-06-18']) {
      assert.equal(holds(`registeredAt == ${arg}`, x), true, arg);
    }
    assert.equal(holds('registeredAt == 2018-06-18T23:28:28+01:00', x), true, 'offsets convert to UTC');
    assert.equal(holds('registeredAt == 2018-06-18T22:28:29Z', x), false);
    assert.equal(holds('registeredAt > 2018-06-17', x), true);
    assert.equal(holds('registeredAt > 2018-06-18', x), false, 'not after the day it is in');
    assert.equal(holds('registeredAt >= 2018-06-18', x), true);
    assert.equal(holds('registeredAt <= 2018-06-18', x), true);
    assert.equal(holds('registeredAt < 2018-06-18', x), false);
    assert.equal(holds('registeredAt != 2018-06-19', x), true);
    assert.equal(holds('registeredAt < 2030-01-01', at()), false, 'an instance without a registration date matches no comparison');
  });

  it('compares agentVersion part by part, not as text', () => {
    assert.equal(holds('agentVersion > 1.9.0', at({ agentVersion: '1.14.5' })), true);
    assert.equal(holds('agentVersion >= 1.14', at({ agentVersion: '1.14.0' })), true);
    assert.equal(holds('agentVersion == 1.14', at({ agentVersion: '1.14.0' })), true);
    assert.equal(holds('agentVersion <= 1.14.5', at({ agentVersion: '1.14.6' })), false);
    assert.equal(holds('agentVersion != 1.14.5', at({ agentVersion: '1.14.5' })), false);
  });

  it('compares runningTasksCount as numbers', () => {
    assert.equal(holds('runningTasksCount < 10', at({ runningTasksCount: 9 })), true);
    assert.equal(holds('runningTasksCount < 10', at({ runningTasksCount: 10 })), false);
    assert.equal(holds('runningTasksCount >= 10', at({ runningTasksCount: 100 })), true);
    assert.equal(holds('runningTasksCount != 0', at()), false, 'absent counts as 0');
  });

  it('reads task:group over all tasks: any for ==/in/=~, none (with tasks) for !=/!in/!~', () => {
    const mixed = at({ groups: ['service:web', 'family:batch'] });
    const empty = at();
    assert.equal(holds('task:group == family:batch', mixed), true);
    assert.equal(holds('task:group != family:batch', mixed), false);
    assert.equal(holds('task:group != database', mixed), true);
    assert.equal(holds('task:group != database', empty), false, 'an empty instance has no group to differ');
    assert.equal(holds('not(task:group == database)', empty), true, 'anti-affinity is not(…)');
    assert.equal(holds('task:group in [database, service:web]', mixed), true);
    assert.equal(holds('task:group !in [database, service:web]', mixed), false);
    assert.equal(holds('task:group =~ service:.*', mixed), true);
    assert.equal(holds('task:group !~ service:.*', mixed), false);
    assert.equal(holds('task:group exists', mixed), true);
    assert.equal(holds('task:group !exists', empty), true);
  });

  it('requires the subject for every comparison; !exists selects its absence', () => {
    const none = at({ attrs: { other: 'x' } });
    for (const e of ['attribute:stack == prod', 'attribute:stack != prod', 'attribute:stack in [a]', 'attribute:stack !in [a]',
      'attribute:stack =~ .*', 'attribute:stack !~ x', 'attribute:stack > 1', 'attribute:stack exists']) {
      assert.equal(holds(e, none), false, e);
    }
    assert.equal(holds('attribute:stack !exists', none), true);
    assert.equal(holds('attribute:flag exists', at({ attrs: { flag: '' } })), true, 'an attribute without a value exists');
    assert.equal(holds('ec2InstanceId != i-1', at()), false);
  });

  it('orders attribute values numerically when both sides are numbers, else as text', () => {
    assert.equal(holds('attribute:gen > 9', at({ attrs: { gen: '10' } })), true);
    assert.equal(holds('attribute:zone > us-east-1a', at({ attrs: { zone: 'us-east-1b' } })), true);
    assert.equal(holds('attribute:zone <= us-east-1a', at({ attrs: { zone: 'us-east-1b' } })), false);
  });

  it('matches Java regular expressions against the WHOLE value', () => {
    const t2 = at({ attrs: { 'ecs.instance-type': 't2.micro' } });
    assert.equal(holds('attribute:ecs.instance-type =~ t2', t2), false, 'String.matches is a full match');
    assert.equal(holds('attribute:ecs.instance-type =~ t2\\..*', t2), true);
    assert.equal(holds('attribute:ecs.instance-type =~ (t2|m5)\\.(micro|large)', t2), true);
    assert.equal(holds("attribute:ecs.instance-type =~ '(?i)T2\\.MICRO'", t2), true, 'leading inline flag');
    assert.equal(holds('attribute:ecs.instance-type =~ \\Qt2.micro\\E', t2), true, '\\Q…\\E quoting');
    assert.equal(holds('attribute:ecs.instance-type =~ \\Qt2.\\E.*', at({ attrs: { 'ecs.instance-type': 't2xmicro' } })), false, 'the quoted dot is literal');
    assert.equal(holds('attribute:ecs.instance-type =~ \\p{Lower}\\p{Digit}\\..+', t2), true, 'POSIX classes');
    assert.equal(holds('attribute:ecs.instance-type =~ \\At2.*\\z', t2), true, '\\A and \\z');
    assert.equal(holds('attribute:ecs.instance-type =~ []t2.micro]+', at({ attrs: { 'ecs.instance-type': ']t2' } })), true, 'a leading ] is literal, as in Java');
    assert.equal(holds('agentConnected =~ tr.*', at()), true, 'agentConnected reads as true/false');
    assert.equal(holds('agentConnected == false', at({ agentConnected: false })), true);
    assert.equal(holds('ec2InstanceId !~ i-0.*', at({ ec2InstanceId: 'i-1234' })), true);
  });

  it("reads '*' in an attribute value as a wildcard (no attribute value can contain '*')", () => {
    const t2 = at({ attrs: { 'ecs.instance-type': 't2.micro' } });
    assert.equal(holds('attribute:ecs.instance-type == t2.*', t2), true);
    assert.equal(holds('attribute:ecs.instance-type == t2.*', at({ attrs: { 'ecs.instance-type': 't2xmicro' } })), false, 'the dot stays literal');
    assert.equal(holds('attribute:ecs.instance-type != m5.*', t2), true);
    assert.equal(holds('attribute:ecs.instance-type in [m5.*, t2.*]', t2), true);
    assert.equal(holds('task:group == web*', at({ groups: ['web1'] })), false, 'task groups compare literally');
  });

  it('takes quoted values with spaces, escaped quotes and and/or words', () => {
    const x = at({ attrs: { team: "ops and dev's" } });
    assert.equal(holds("attribute:team == 'ops and dev\\'s'", x), true);
    assert.equal(holds('attribute:team == "ops and dev\'s" and attribute:team exists', x), true);
  });
});
