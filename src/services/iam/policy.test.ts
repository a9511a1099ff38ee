// Policy evaluation as a pure function: deny > allow > implicit deny, NotAction/NotResource,
// wildcards, policy variables, condition operators with IfExists and set qualifiers, trust
// policy principals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, type PolicyDocument, type PolicyRequest, type Statement } from './policy.js';

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const req = (action: string, resource = '*', context: PolicyRequest['context'] = {}): PolicyRequest => ({ action, resource, context });
const CLUSTER_A = 'arn:aws:ecs:us-east-1:111122223333:cluster/a';
const CLUSTER_B = 'arn:aws:ecs:us-east-1:111122223333:cluster/b';

describe('policy evaluation', () => {
  it('explicit deny beats allow; nothing matching is an implicit deny', () => {
    const allow = doc({ Effect: 'Allow', Action: 'ecs:*', Resource: '*' });
    const deny = doc({ Effect: 'Deny', Action: 'ecs:RunTask', Resource: '*' });
    assert.equal(evaluate([allow], req('ecs:RunTask')), 'Allow');
    assert.equal(evaluate([allow, deny], req('ecs:RunTask')), 'ExplicitDeny');
    assert.equal(evaluate([deny, allow], req('ecs:RunTask')), 'ExplicitDeny');
    assert.equal(evaluate([allow], req('iam:CreateUser')), 'ImplicitDeny');
    assert.equal(evaluate([], req('ecs:ListClusters')), 'ImplicitDeny');
  });

  it('actions match case-insensitively with * and ?; resources case-sensitively', () => {
    const p = doc({ Effect: 'Allow', Action: ['ecs:describe*', 'ecs:List?lusters'], Resource: 'arn:aws:ecs:*:*:cluster/a' });
    assert.equal(evaluate([p], req('ecs:DescribeClusters', CLUSTER_A)), 'Allow');
    assert.equal(evaluate([p], req('ecs:ListClusters', CLUSTER_A)), 'Allow');
    assert.equal(evaluate([p], req('ecs:DescribeClusters', CLUSTER_B)), 'ImplicitDeny');
    assert.equal(evaluate([p], req('ecs:DescribeClusters', CLUSTER_A.replace('/a', '/A'))), 'ImplicitDeny');
    assert.equal(evaluate([p], req('ecs:RunTask', CLUSTER_A)), 'ImplicitDeny');
  });

  it('NotAction and NotResource', () => {
    const p = doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, { Effect: 'Deny', Action: 'ecs:*', NotResource: CLUSTER_A });
    assert.equal(evaluate([p], req('ecs:DescribeClusters', CLUSTER_A)), 'Allow');
    assert.equal(evaluate([p], req('ecs:DescribeClusters', CLUSTER_B)), 'ExplicitDeny');
    assert.equal(evaluate([p], req('iam:ListUsers')), 'ImplicitDeny');
  });

  it('policy variables in resources', () => {
    const p = doc({ Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: 'arn:aws:iam::111122223333:user/${aws:username}' });
    assert.equal(evaluate([p], req('iam:CreateAccessKey', 'arn:aws:iam::111122223333:user/alice', { 'aws:username': 'alice' })), 'Allow');
    assert.equal(evaluate([p], req('iam:CreateAccessKey', 'arn:aws:iam::111122223333:user/bob', { 'aws:username': 'alice' })), 'ImplicitDeny');
    assert.equal(evaluate([p], req('iam:CreateAccessKey', 'arn:aws:iam::111122223333:user/bob')), 'ImplicitDeny', 'no variable, no match');
  });

  it('String and Arn operators, ecs:cluster, aws:RequestedRegion, negation of an absent key', () => {
    const p = doc({ Effect: 'Allow', Action: 'ecs:RunTask', Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': CLUSTER_A }, StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } } });
    assert.equal(evaluate([p], req('ecs:RunTask', '*', { 'ecs:cluster': CLUSTER_A, 'aws:RequestedRegion': 'eu-west-1' })), 'Allow');
    assert.equal(evaluate([p], req('ecs:RunTask', '*', { 'ecs:cluster': CLUSTER_B, 'aws:RequestedRegion': 'eu-west-1' })), 'ImplicitDeny');
    assert.equal(evaluate([p], req('ecs:RunTask', '*', { 'ecs:cluster': CLUSTER_A, 'aws:RequestedRegion': 'ap-south-1' })), 'ImplicitDeny');
    assert.equal(evaluate([p], req('ecs:RunTask', '*', { 'aws:RequestedRegion': 'eu-west-1' })), 'ImplicitDeny', 'absent key');
    const like = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { ArnLike: { 'ecs:cluster': 'arn:aws:ecs:*:*:cluster/a*' }, StringNotEquals: { 'aws:PrincipalTag/team': 'red' } } });
    assert.equal(evaluate([like], req('ecs:ListTasks', '*', { 'ecs:cluster': `${CLUSTER_A}bc` })), 'Allow', 'StringNotEquals holds for an absent key');
    assert.equal(evaluate([like], req('ecs:ListTasks', '*', { 'ecs:cluster': CLUSTER_A, 'aws:PrincipalTag/team': 'red' })), 'ImplicitDeny');
    const ci = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'BLUE' }, StringLike: { 'aws:username': 'a*' } } });
    assert.equal(evaluate([ci], req('x:Y', '*', { 'aws:PrincipalTag/team': 'blue', 'aws:username': 'alice' })), 'Allow');
    assert.equal(evaluate([ci], req('x:Y', '*', { 'aws:PrincipalTag/team': 'blue', 'aws:username': 'bob' })), 'ImplicitDeny');
  });

  it('Bool, Numeric, Date, Null, IfExists', () => {
    const p = (Condition: Statement['Condition']) => doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition });
    assert.equal(evaluate([p({ Bool: { 'aws:SecureTransport': 'false' } })], req('a:b', '*', { 'aws:SecureTransport': 'false' })), 'Allow');
    assert.equal(evaluate([p({ Bool: { 'aws:SecureTransport': true } })], req('a:b', '*', { 'aws:SecureTransport': 'false' })), 'ImplicitDeny');
    assert.equal(evaluate([p({ NumericLessThanEquals: { 'sts:DurationSeconds': 3600 } })], req('a:b', '*', { 'sts:DurationSeconds': '900' })), 'Allow');
    assert.equal(evaluate([p({ NumericGreaterThan: { 'sts:DurationSeconds': '3600' } })], req('a:b', '*', { 'sts:DurationSeconds': '900' })), 'ImplicitDeny');
    const now = { 'aws:CurrentTime': '2026-11-30T12:00:00Z', 'aws:EpochTime': String(Date.parse('2026-11-30T12:00:00Z') / 1000) };
    assert.equal(evaluate([p({ DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } })], req('a:b', '*', now)), 'Allow');
    assert.equal(evaluate([p({ DateGreaterThan: { 'aws:EpochTime': '2027-01-01T00:00:00Z' } })], req('a:b', '*', now)), 'ImplicitDeny');
    assert.equal(evaluate([p({ Null: { 'aws:PrincipalTag/team': 'true' } })], req('a:b')), 'Allow');
    assert.equal(evaluate([p({ Null: { 'aws:PrincipalTag/team': 'false' } })], req('a:b')), 'ImplicitDeny');
    assert.equal(evaluate([p({ StringEqualsIfExists: { 'ecs:cluster': CLUSTER_A } })], req('a:b')), 'Allow');
    assert.equal(evaluate([p({ StringEqualsIfExists: { 'ecs:cluster': CLUSTER_A } })], req('a:b', '*', { 'ecs:cluster': CLUSTER_B })), 'ImplicitDeny');
  });

  it('IpAddress / NotIpAddress: IPv4 and IPv6 ranges, single addresses, IPv4-mapped callers, bad values match nothing', () => {
    const from = (SourceIp?: string) => req('ecs:ListClusters', '*', SourceIp === undefined ? {} : { 'aws:SourceIp': SourceIp });
    const allow = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.7', '2001:db8::/32'] } } });
    assert.equal(evaluate([allow], from('192.0.2.200')), 'Allow');
    assert.equal(evaluate([allow], from('192.0.3.1')), 'ImplicitDeny');
    assert.equal(evaluate([allow], from('203.0.113.7')), 'Allow', 'a bare address is a /32');
    assert.equal(evaluate([allow], from('203.0.113.8')), 'ImplicitDeny');
    assert.equal(evaluate([allow], from('::ffff:192.0.2.9')), 'Allow', 'an IPv4-mapped IPv6 caller is its IPv4 address');
    assert.equal(evaluate([allow], from('2001:db8:1::5')), 'Allow');
    assert.equal(evaluate([allow], from('2001:db9::5')), 'ImplicitDeny');
    assert.equal(evaluate([allow], from()), 'ImplicitDeny', 'no source address: no match');
    const odd = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/33', 'not-an-ip', '10.0.0.0/8/1', '::/200'] } } });
    assert.equal(evaluate([odd], from('10.1.2.3')), 'ImplicitDeny');
    assert.equal(evaluate([odd], from('banana')), 'ImplicitDeny');
    // AWS's example: deny everything from outside the ranges, unless a service calls on your behalf.
    const everything = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    const fence = doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: {
      NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] }, Bool: { 'aws:ViaAWSService': 'false' } } });
    const direct = (SourceIp: string, via = 'false') => req('ecs:ListClusters', '*', { 'aws:SourceIp': SourceIp, 'aws:ViaAWSService': via });
    assert.equal(evaluate([everything, fence], direct('192.0.2.1')), 'Allow');
    assert.equal(evaluate([everything, fence], direct('198.51.100.1')), 'ExplicitDeny');
    assert.equal(evaluate([everything, fence], direct('198.51.100.1', 'true')), 'Allow');
  });

  it('ForAnyValue / ForAllValues over multi-valued keys', () => {
    const any = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } } });
    const all = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } } });
    assert.equal(evaluate([any], req('a:b', '*', { 'aws:TagKeys': ['x', 'env'] })), 'Allow');
    assert.equal(evaluate([any], req('a:b', '*', { 'aws:TagKeys': ['x'] })), 'ImplicitDeny');
    assert.equal(evaluate([all], req('a:b', '*', { 'aws:TagKeys': ['env', 'team'] })), 'Allow');
    assert.equal(evaluate([all], req('a:b', '*', { 'aws:TagKeys': ['env', 'owner'] })), 'ImplicitDeny');
  });

  it('trust policies: Principal by AWS ARN, account, or service', () => {
    const trust = doc(
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:user/alice' }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
    );
    const as = (principal: Record<string, string[]>) => evaluate([trust], { ...req('sts:AssumeRole', 'arn:aws:iam::111122223333:role/r'), principal });
    assert.equal(as({ AWS: ['arn:aws:iam::111122223333:user/alice', '111122223333'] }), 'Allow');
    assert.equal(as({ AWS: ['arn:aws:iam::111122223333:user/bob', '111122223333'] }), 'ImplicitDeny');
    assert.equal(as({ Service: ['ecs-tasks.amazonaws.com'] }), 'Allow');
  });
});
