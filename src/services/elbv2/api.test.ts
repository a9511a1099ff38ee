// ELBv2's API through the real SDK client against an in-process Berth (API only: no listeners are
// bound): AWS's validation and error codes, and that a refused call changes nothing.
import {
  AddTagsCommand, CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DeleteLoadBalancerCommand,
  DeleteRuleCommand, DeleteTargetGroupCommand, DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTagsCommand,
  DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyLoadBalancerAttributesCommand,
  RegisterTargetsCommand, RemoveTagsCommand, SetRulePrioritiesCommand, DescribeTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, startHarness, type Harness } from '../../testing/harness.js';

describe('ELBv2 API', () => {
  let h: Harness;
  let elb: ElasticLoadBalancingV2Client;
  before(async () => {
    h = await startHarness({ config: { elasticloadbalancing: { addressPool: '127.0.40.0/29', dataPlane: false } } });
    elb = new ElasticLoadBalancingV2Client({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  after(async () => { elb?.destroy(); await h?.close(); });

  /** The AWS error code a call fails with (and its HTTP status). */
  async function failure(p: Promise<unknown>): Promise<string> {
    try { await p; } catch (err) {
      const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(e.$metadata?.httpStatusCode, 400, `${e.name} is a 400`);
      return e.name.replace(/Exception$/, ''); // the SDK's class name is the wire code + Exception
    }
    throw new Error('the call succeeded');
  }
  const lbCount = async () => (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.length;
  const createAlb = (Name: string) => elb.send(new CreateLoadBalancerCommand({ Name, Subnets: ['subnet-0a1', 'subnet-0b2'] }));
  const createTg = (Name: string, extra: object = {}) =>
    elb.send(new CreateTargetGroupCommand({ Name, Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', TargetType: 'ip', ...extra }));

  it('load balancers: names, subnets, duplicates, lookup, paging, attributes, deletion protection', async () => {
    assert.equal(await failure(createAlb('-bad')), 'ValidationError');
    assert.equal(await failure(createAlb('internal-x')), 'ValidationError');
    assert.equal(await failure(elb.send(new CreateLoadBalancerCommand({ Name: 'one-subnet', Subnets: ['subnet-0a1'] }))), 'ValidationError');
    assert.equal(await lbCount(), 0, 'refused calls created nothing');
    const lb = (await createAlb('web')).LoadBalancers![0];
    assert.match(lb.LoadBalancerArn!, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/web\/[0-9a-f]{16}$/);
    assert.match(lb.DNSName!, /^127\.0\.40\.[1-6]$/, 'DNSName is the load balancer\'s own address from the pool');
    assert.deepEqual(lb.AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1a', 'us-east-1b']);
    assert.equal((await createAlb('web')).LoadBalancers![0].LoadBalancerArn, lb.LoadBalancerArn, 'same name and settings: idempotent');
    assert.equal(await failure(elb.send(new CreateLoadBalancerCommand({ Name: 'web', Type: 'network', Subnets: ['subnet-0a1'] }))), 'DuplicateLoadBalancerName');
    assert.equal(await failure(elb.send(new DescribeLoadBalancersCommand({ Names: ['nope'] }))), 'LoadBalancerNotFound');
    await createAlb('web2');
    const page1 = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 1 }));
    const page2 = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 1, Marker: page1.NextMarker }));
    assert.equal(page2.NextMarker, undefined);
    assert.deepEqual([...page1.LoadBalancers!, ...page2.LoadBalancers!].map((l) => l.LoadBalancerName).sort(), ['web', 'web2']);

    const attr = (Key: string, Value: string) => elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key, Value }] }));
    assert.equal(await failure(attr('idle_timeout.timeout_seconds', '0')), 'ValidationError');
    assert.equal(await failure(attr('no.such.key', '1')), 'ValidationError');
    assert.equal(await failure(attr('access_logs.s3.enabled', 'true')), 'InvalidConfigurationRequest');
    await attr('deletion_protection.enabled', 'true');
    assert.equal(await failure(elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }))), 'OperationNotPermitted');
    await attr('deletion_protection.enabled', 'false');
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    assert.equal(await lbCount(), 1);
  });

  it('hands out each pool address once and says when the pool is exhausted', async () => {
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const created = [];
    for (const n of names) created.push((await createAlb(n)).LoadBalancers![0]);
    const all = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!;
    assert.equal(new Set(all.map((l) => l.DNSName)).size, 6, 'six load balancers, six addresses (127.0.40.0/29 has six)');
    assert.equal(await failure(createAlb('p6')), 'InvalidConfigurationRequest');
    for (const l of created) await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: l.LoadBalancerArn }));
    await createAlb('p6');
  });

  it('target groups, listeners and rules: AWS\'s checks and errors', async () => {
    assert.equal(await failure(createTg('tg', { HealthCheckIntervalSeconds: 5 })), 'ValidationError', 'interval must exceed the 5 s timeout');
    assert.equal(await failure(createTg('tg', { HealthyThresholdCount: 11 })), 'ValidationError');
    assert.equal(await failure(createTg('tg', { Matcher: { HttpCode: '2xx' } })), 'ValidationError');
    assert.equal(await failure(createTg('tg', { HealthCheckProtocol: 'TCP', HealthCheckPath: '/x' })), 'ValidationError');
    assert.equal((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups!.length, 0);
    const tg = (await createTg('tg')).TargetGroups![0];
    assert.deepEqual([tg.HealthCheckProtocol, tg.HealthCheckPath, tg.HealthCheckIntervalSeconds, tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount, tg.Matcher],
      ['HTTP', '/', 30, 5, 5, 2, { HttpCode: '200' }]);
    const attrs = Object.fromEntries((await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes!.map((a) => [a.Key, a.Value]));
    assert.equal(attrs['deregistration_delay.timeout_seconds'], '300');
    const tcpTg = (await elb.send(new CreateTargetGroupCommand({ Name: 'tcp', Protocol: 'TCP', Port: 80, VpcId: 'vpc-1' }))).TargetGroups![0];
    const lb = (await createAlb('rules-lb')).LoadBalancers![0];
    const forward = (arn: string) => [{ Type: 'forward' as const, TargetGroupArn: arn }];
    const listen = (extra: object) => elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: forward(tg.TargetGroupArn!), ...extra }));
    assert.equal(await failure(listen({ Protocol: 'TCP' })), 'UnsupportedProtocol');
    assert.equal(await failure(listen({ Protocol: 'HTTPS', Port: 443 })), 'ValidationError', 'HTTPS needs a certificate');
    assert.equal(await failure(listen({ DefaultActions: forward(tcpTg.TargetGroupArn!) })), 'IncompatibleProtocols');
    assert.equal(await failure(listen({ DefaultActions: forward(tg.TargetGroupArn!.replace(/[0-9a-f]{16}$/, '0000000000000000')) })), 'TargetGroupNotFound');
    assert.equal((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!.length, 0);
    const listener = (await listen({})).Listeners![0];
    assert.equal(await failure(listen({})), 'DuplicateListener');
    assert.deepEqual((await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg.TargetGroupArn!] }))).TargetGroups![0].LoadBalancerArns, [lb.LoadBalancerArn]);
    assert.equal(await failure(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }))), 'ResourceInUse');

    const rule = (Priority: number, path: string) => elb.send(new CreateRuleCommand({ ListenerArn: listener.ListenerArn, Priority,
      Conditions: [{ Field: 'path-pattern', Values: [path] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] }));
    const r5 = (await rule(5, '/a')).Rules![0];
    const r3 = (await rule(3, '/b')).Rules![0];
    assert.equal(await failure(rule(5, '/c')), 'PriorityInUse');
    assert.equal(await failure(rule(0, '/c')), 'ValidationError');
    assert.equal(await failure(elb.send(new CreateRuleCommand({ ListenerArn: listener.ListenerArn, Priority: 9, Conditions: [{ Field: 'colour', Values: ['x'] }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] }))), 'ValidationError');
    const order = async () => (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!.map((r) => r.Priority);
    assert.deepEqual(await order(), ['3', '5', 'default']);
    await elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r5.RuleArn, Priority: 1 }] }));
    assert.deepEqual(await order(), ['1', '3', 'default']);
    assert.equal(await failure(elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r5.RuleArn, Priority: 3 }] }))), 'PriorityInUse');
    const def = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!.find((r) => r.IsDefault)!;
    assert.equal(await failure(elb.send(new DeleteRuleCommand({ RuleArn: def.RuleArn }))), 'OperationNotPermitted');
    await elb.send(new DeleteRuleCommand({ RuleArn: r3.RuleArn }));
    assert.deepEqual(await order(), ['1', 'default']);
  });

  it('targets: AWS\'s states and reasons; instance ids need ECS until Berth has EC2', async () => {
    const tg = (await createTg('health')).TargetGroups![0];
    assert.equal(await failure(elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: 'not-an-ip' }] }))), 'InvalidTarget');
    const inst = (await createTg('inst', { TargetType: 'instance' })).TargetGroups![0];
    assert.equal(await failure(elb.send(new RegisterTargetsCommand({ TargetGroupArn: inst.TargetGroupArn, Targets: [{ Id: 'i-0123456789abcdef0' }] }))), 'InvalidTarget');
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '10.0.0.1' }] }));
    const described = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '10.0.0.1' }, { Id: '10.0.0.2' }] }));
    assert.deepEqual(described.TargetHealthDescriptions!.map((d) => [d.Target!.Id, d.Target!.Port, d.HealthCheckPort, d.TargetHealth]), [
      ['10.0.0.1', 80, '80', { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' }],
      ['10.0.0.2', 80, '80', { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' }],
    ]);
  });

  it('tags on every resource kind', async () => {
    const tg = (await createTg('tagged', { Tags: [{ Key: 'team', Value: 'web' }] })).TargetGroups![0];
    assert.equal(await failure(elb.send(new AddTagsCommand({ ResourceArns: [tg.TargetGroupArn!], Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] }))), 'DuplicateTagKeys');
    await elb.send(new AddTagsCommand({ ResourceArns: [tg.TargetGroupArn!], Tags: [{ Key: 'env', Value: 'prod' }] }));
    await elb.send(new RemoveTagsCommand({ ResourceArns: [tg.TargetGroupArn!], TagKeys: ['team'] }));
    const d = await elb.send(new DescribeTagsCommand({ ResourceArns: [tg.TargetGroupArn!] }));
    assert.deepEqual(d.TagDescriptions![0].Tags, [{ Key: 'env', Value: 'prod' }]);
  });
});
