// Application Auto Scaling's API through the pinned SDK, without agents or time: bad input gets
// AWS's error and changes nothing; target tracking creates and deletes its alarms; deregistering a
// target takes its policies, alarms and scheduled actions with it; suspended states and
// DisableScaleIn are kept.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  ApplicationAutoScalingClient, DeleteScalingPolicyCommand, DeregisterScalableTargetCommand, DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand, DescribeScheduledActionsCommand, PutScalingPolicyCommand, PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { startHarness, type Harness } from '../../testing/harness.js';

const T = { ServiceNamespace: 'ecs' as const, ResourceId: 'service/c/web', ScalableDimension: 'ecs:service:DesiredCount' as const };

describe('application auto scaling API', () => {
  let h: Harness;
  let aas: ApplicationAutoScalingClient;
  let cw: CloudWatchClient;
  before(async () => {
    h = await startHarness({ host: '127.13.0.50', config: { 'application-autoscaling': { scaler: false }, monitoring: { alarmEvaluation: false } } });
    const config = { endpoint: h.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
    aas = new ApplicationAutoScalingClient(config);
    cw = new CloudWatchClient(config);
  });
  after(async () => { aas?.destroy(); cw?.destroy(); await h?.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32 }] }));
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 0 }));
  });

  const targets = async () => (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).ScalableTargets ?? [];
  const rejects = (p: Promise<unknown>, name: string, message: RegExp) =>
    assert.rejects(p, (e: Error) => { assert.equal(e.name, name); assert.match(e.message, message); return true; });

  it('refuses bad targets with ValidationException and stores nothing', async () => {
    await rejects(aas.send(new RegisterScalableTargetCommand({ ...T, MinCapacity: 3, MaxCapacity: 1 })), 'ValidationException',
      /^Minimum capacity \(3\) cannot be greater than maximum capacity \(1\)\.$/);
    await rejects(aas.send(new RegisterScalableTargetCommand({ ...T, ResourceId: 'service/c/nope', MinCapacity: 1, MaxCapacity: 2 })),
      'ValidationException', /^ECS service doesn't exist: service\/c\/nope$/);
    await rejects(aas.send(new RegisterScalableTargetCommand({ ...T, ResourceId: 'service/elsewhere/web', MinCapacity: 1, MaxCapacity: 2 })),
      'ValidationException', /^ECS service doesn't exist: service\/elsewhere\/web$/);
    await rejects(aas.send(new RegisterScalableTargetCommand({ ...T, ResourceId: 'web', MinCapacity: 1, MaxCapacity: 2 })),
      'ValidationException', /Unsupported resource ID web/);
    await rejects(aas.send(new RegisterScalableTargetCommand({ ...T, MinCapacity: 1 })), 'ValidationException', /MinCapacity and MaxCapacity are required/);
    assert.deepEqual(await targets(), []);
    await rejects(aas.send(new PutScalingPolicyCommand({ ...T, PolicyName: 'p', PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } })),
    'ObjectNotFoundException', /^No scalable target registered for service namespace: ecs, resource ID: service\/c\/web, scalable dimension: ecs:service:DesiredCount$/);
  });

  it('updates min/max and suspended state in place', async () => {
    const { ScalableTargetARN } = await aas.send(new RegisterScalableTargetCommand({ ...T, MinCapacity: 1, MaxCapacity: 4 }));
    assert.match(ScalableTargetARN!, /^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\/[0-9a-f]{36}$/);
    const again = await aas.send(new RegisterScalableTargetCommand({ ...T, MaxCapacity: 6, SuspendedState: { ScheduledScalingSuspended: true } }));
    assert.equal(again.ScalableTargetARN, ScalableTargetARN);
    const [t] = await targets();
    assert.deepEqual([t.MinCapacity, t.MaxCapacity], [1, 6]);
    assert.deepEqual(t.SuspendedState, { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: true });
    await rejects(aas.send(new RegisterScalableTargetCommand({ ...T, MinCapacity: 7 })), 'ValidationException', /Minimum capacity \(7\)/);
    assert.deepEqual([(await targets())[0].MinCapacity, (await targets())[0].MaxCapacity], [1, 6], 'unchanged');
  });

  it('target tracking creates AWS\'s two alarms (one with DisableScaleIn), replaces them on update and deletes them with the policy', async () => {
    await aas.send(new RegisterScalableTargetCommand({ ...T, MinCapacity: 1, MaxCapacity: 4 }));
    const cpu = { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' as const } };
    const first = await aas.send(new PutScalingPolicyCommand({ ...T, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: cpu }));
    const alarms = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/c/web-' }))).MetricAlarms ?? [];
    assert.equal(alarms.length, 2);
    const high = alarms.find((a) => a.AlarmName!.includes('-AlarmHigh-'))!;
    const low = alarms.find((a) => a.AlarmName!.includes('-AlarmLow-'))!;
    assert.deepEqual([high.Namespace, high.MetricName, high.Statistic, high.Period, high.EvaluationPeriods, high.Threshold, high.ComparisonOperator],
      ['AWS/ECS', 'CPUUtilization', 'Average', 60, 3, 60, 'GreaterThanThreshold']);
    assert.deepEqual(high.Dimensions, [{ Name: 'ClusterName', Value: 'c' }, { Name: 'ServiceName', Value: 'web' }]);
    assert.deepEqual([low.EvaluationPeriods, low.Threshold, low.ComparisonOperator], [15, 54, 'LessThanThreshold']);
    assert.deepEqual(high.AlarmActions, [first.PolicyARN]);

    const second = await aas.send(new PutScalingPolicyCommand({ ...T, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { ...cpu, DisableScaleIn: true } }));
    assert.equal(second.PolicyARN, first.PolicyARN);
    const now = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/c/web-' }))).MetricAlarms ?? [];
    assert.deepEqual(now.map((a) => a.AlarmName), second.Alarms!.map((a) => a.AlarmName));
    assert.equal(now.length, 1, 'DisableScaleIn: no AlarmLow');

    await aas.send(new DeleteScalingPolicyCommand({ ...T, PolicyName: 'cpu' }));
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-' }))).MetricAlarms, []);
    await rejects(aas.send(new DeleteScalingPolicyCommand({ ...T, PolicyName: 'cpu' })), 'ObjectNotFoundException', /No scaling policy found/);
  });

  it('refuses bad policies and scheduled actions, and deregistering takes policies, alarms and actions with the target', async () => {
    await aas.send(new RegisterScalableTargetCommand({ ...T, MinCapacity: 1, MaxCapacity: 4 }));
    await rejects(aas.send(new PutScalingPolicyCommand({ ...T, PolicyName: 'bad', PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 10, MetricIntervalUpperBound: 5, ScalingAdjustment: 1 }] } })),
    'ValidationException', /MetricIntervalLowerBound must be less than MetricIntervalUpperBound/);
    await rejects(aas.send(new PutScheduledActionCommand({ ...T, ScheduledActionName: 'bad', Schedule: 'cron(0 8 * * ? *)',
      ScalableTargetAction: { MinCapacity: 5, MaxCapacity: 2 } })), 'ValidationException', /Minimum capacity \(5\) cannot be greater than maximum capacity \(2\)/);
    await rejects(aas.send(new PutScheduledActionCommand({ ...T, ScheduledActionName: 'bad', Schedule: 'at(tomorrow)' })), 'ValidationException', /Unsupported schedule expression/);
    assert.deepEqual((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).ScalingPolicies, []);

    await aas.send(new PutScalingPolicyCommand({ ...T, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } } }));
    await aas.send(new PutScheduledActionCommand({ ...T, ScheduledActionName: 'nightly', Schedule: 'cron(0 22 * * ? *)', Timezone: 'Europe/Berlin',
      ScalableTargetAction: { MinCapacity: 0, MaxCapacity: 1 } }));
    const [action] = (await aas.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs', ResourceId: T.ResourceId, ScalableDimension: T.ScalableDimension }))).ScheduledActions!;
    assert.deepEqual([action.Schedule, action.Timezone, action.ScalableTargetAction], ['cron(0 22 * * ? *)', 'Europe/Berlin', { MinCapacity: 0, MaxCapacity: 1 }]);

    await aas.send(new DeregisterScalableTargetCommand(T));
    assert.deepEqual(await targets(), []);
    assert.deepEqual((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).ScalingPolicies, []);
    assert.deepEqual((await aas.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs' }))).ScheduledActions, []);
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-' }))).MetricAlarms, []);
    await rejects(aas.send(new DeregisterScalableTargetCommand(T)), 'ObjectNotFoundException', /No scalable target registered/);
  });
});
