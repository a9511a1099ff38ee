// Application Auto Scaling end to end, through the AWS CLI (v1) against an in-process server at
// --time-scale 60 (a 60 s period lasts 1 s) with simulated-runtime agents: target tracking on a
// customized metric fed with put-metric-data scales a service out (new tasks RUNNING) and back in
// to its minimum; a step-scaling policy moves the count by its steps; a scheduled action changes
// min/max at its time. DescribeScalingActivities tells it in AWS's words.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { startBerth, type Berth } from '../../server/berth.js';
import { cliEnv, runCli, type Json } from '../../testing/aws-cli.js';
import { credentials } from '../../testing/harness.js';
import { requireAwsCliV1 } from '../../testing/requirements.js';
import { Agents, describeService, eventually, serviceTasks } from '../../testing/service-test-kit.js';

const SCALE = 60;

describe('application auto scaling through the AWS CLI', requireAwsCliV1(), () => {
  let berth: Berth;
  let agents: Agents;
  let ecs: ECSClient;
  let cw: CloudWatchClient;
  let dir: string;
  let aws: (...args: string[]) => Promise<Json>;
  let feeding: NodeJS.Timeout | undefined;
  const load = { web: 0, api: 0 };

  before(async () => {
    berth = await startBerth({ host: '127.13.0.20', port: 0, store: 'memory://', config: {
      monitoring: { timeScale: SCALE, evaluationTickSeconds: 10 }, 'application-autoscaling': { timeScale: SCALE, tickSeconds: 10 },
    } });
    const config = { endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 };
    ecs = new ECSClient(config);
    cw = new CloudWatchClient(config);
    agents = new Agents(berth.url);
    dir = mkdtempSync(join(tmpdir(), 'berth-aas-'));
    const env = { ...cliEnv(dir), AWS_ACCESS_KEY_ID: credentials.accessKeyId };
    aws = (...args) => runCli('aws', berth.url, env, args);
    await ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    await agents.start('c', { ip: '127.13.0.21' });
    await agents.start('c', { ip: '127.13.0.22' });
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64, cpu: 128, command: ['sleep', 'infinity'] }] }));
    for (const name of ['web', 'api']) await ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: name, taskDefinition: 'web', desiredCount: 1 }));
    // The metrics the policies watch, one datapoint every 200 ms (5 per scaled minute).
    feeding = setInterval(() => {
      void cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [
        { MetricName: 'Load', Dimensions: [{ Name: 'Service', Value: 'web' }], Value: load.web },
        { MetricName: 'Queue', Dimensions: [{ Name: 'Service', Value: 'api' }], Value: load.api },
      ] })).catch(() => undefined);
    }, 200);
  });
  after(async () => {
    if (feeding) clearInterval(feeding);
    await agents?.close();
    ecs?.destroy();
    cw?.destroy();
    await berth?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const running = async (name: string) => (await serviceTasks(ecs, 'c', name)).filter((t) => t.lastStatus === 'RUNNING').length;
  const activities = async (name: string) => (await aws('application-autoscaling', 'describe-scaling-activities', '--service-namespace', 'ecs',
    '--resource-id', `service/c/${name}`)).ScalingActivities as Json[];

  it('target tracking on a customized metric scales out, then back in to the minimum', async () => {
    await aws('application-autoscaling', 'register-scalable-target', '--service-namespace', 'ecs', '--resource-id', 'service/c/web',
      '--scalable-dimension', 'ecs:service:DesiredCount', '--min-capacity', '1', '--max-capacity', '4');
    const policy = await aws('application-autoscaling', 'put-scaling-policy', '--service-namespace', 'ecs', '--resource-id', 'service/c/web',
      '--scalable-dimension', 'ecs:service:DesiredCount', '--policy-name', 'load50', '--policy-type', 'TargetTrackingScaling',
      '--target-tracking-scaling-policy-configuration', JSON.stringify({
        TargetValue: 50, ScaleOutCooldown: 60, ScaleInCooldown: 60,
        CustomizedMetricSpecification: { MetricName: 'Load', Namespace: 'App', Dimensions: [{ Name: 'Service', Value: 'web' }], Statistic: 'Average' },
      }));
    const names = (policy.Alarms as Json[]).map((a) => a.AlarmName as string);
    assert.equal(names.length, 2);
    assert.match(names[0], /^TargetTracking-service\/c\/web-AlarmHigh-[0-9a-f-]{36}$/);
    assert.match(names[1], /^TargetTracking-service\/c\/web-AlarmLow-[0-9a-f-]{36}$/);
    const alarms = await aws('cloudwatch', 'describe-alarms', '--alarm-names', ...names);
    assert.deepEqual((alarms.MetricAlarms as Json[]).map((a) => [a.Threshold, a.EvaluationPeriods, a.ComparisonOperator]),
      [[50, 3, 'GreaterThanThreshold'], [45, 15, 'LessThanThreshold']]);

    load.web = 100;
    await eventually('scaled out to 4 with 4 tasks RUNNING', async () => {
      return (await describeService(ecs, 'c', 'web')).desiredCount === 4 && await running('web') === 4;
    }, 60_000);
    const out = (await activities('web'))[0];
    assert.equal(out.StatusCode, 'Successful');
    assert.match(out.Description, /^Setting desired count to [234]\.$/);
    assert.match(out.Cause, new RegExp(`^monitor alarm ${names[0].replace(/[/]/g, '\\/')} in state ALARM triggered policy load50$`));
    assert.match(out.StatusMessage, /^Successfully set desired count to [234]\. Change successfully fulfilled by ecs\.$/);

    load.web = 5;
    await eventually('scaled back in to the minimum', async () => (await describeService(ecs, 'c', 'web')).desiredCount === 1 && await running('web') === 1, 90_000);
    assert.match((await activities('web'))[0].Cause, /-AlarmLow-.* in state ALARM triggered policy load50$/);
  });

  it('step scaling on an alarm over a custom metric moves the count by its steps', async () => {
    await aws('application-autoscaling', 'register-scalable-target', '--service-namespace', 'ecs', '--resource-id', 'service/c/api',
      '--scalable-dimension', 'ecs:service:DesiredCount', '--min-capacity', '1', '--max-capacity', '5');
    const { PolicyARN } = await aws('application-autoscaling', 'put-scaling-policy', '--service-namespace', 'ecs', '--resource-id', 'service/c/api',
      '--scalable-dimension', 'ecs:service:DesiredCount', '--policy-name', 'queue-steps', '--policy-type', 'StepScaling',
      '--step-scaling-policy-configuration', JSON.stringify({
        AdjustmentType: 'ChangeInCapacity', Cooldown: 120, MetricAggregationType: 'Average',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 }],
      }));
    await aws('cloudwatch', 'put-metric-alarm', '--alarm-name', 'queue-high', '--namespace', 'App', '--metric-name', 'Queue',
      '--dimensions', 'Name=Service,Value=api', '--statistic', 'Average', '--period', '60', '--evaluation-periods', '2',
      '--threshold', '50', '--comparison-operator', 'GreaterThanThreshold', '--alarm-actions', PolicyARN as string);
    load.api = 60; // 10 above the threshold: the first step, +1
    await eventually('+1', async () => (await describeService(ecs, 'c', 'api')).desiredCount === 2, 60_000);
    load.api = 90; // 40 above: the second step, +3
    await eventually('+3', async () => (await describeService(ecs, 'c', 'api')).desiredCount === 5 && await running('api') === 5, 60_000);
    const acts = await activities('api');
    // The policy runs again after its cooldown while the alarm stays in ALARM; max 5 caps it.
    assert.equal(acts[0].Description, 'Setting desired count to 5.');
    assert.ok(acts.some((a) => a.Description === 'Setting desired count to 2.'));
    assert.equal(acts[0].Cause, 'monitor alarm queue-high in state ALARM triggered policy queue-steps');
    load.api = 0;
  });

  it('a scheduled action changes min and max at its time', async () => {
    // Whole seconds, far enough ahead that the CLI's start-up (seconds on a loaded machine) cannot
    // carry the action's creation past its time: an at() that has already passed when the action
    // is created never runs.
    const atMs = Math.ceil((Date.now() + 12_000) / 1000) * 1000;
    const at = new Date(atMs).toISOString().slice(0, 19);
    await aws('application-autoscaling', 'put-scheduled-action', '--service-namespace', 'ecs', '--resource-id', 'service/c/web',
      '--scalable-dimension', 'ecs:service:DesiredCount', '--scheduled-action-name', 'morning', '--schedule', `at(${at})`,
      '--scalable-target-action', 'MinCapacity=2,MaxCapacity=3');
    const seconds = (v: number | string) => (typeof v === 'number' ? v * 1000 : Date.parse(v));
    const action = (await aws('application-autoscaling', 'describe-scheduled-actions', '--service-namespace', 'ecs',
      '--scheduled-action-names', 'morning')).ScheduledActions[0] as Json;
    assert.ok(seconds(action.CreationTime) < atMs, `created ${new Date(seconds(action.CreationTime)).toISOString()} before its time ${at}`);
    await eventually('min/max changed', async () => {
      const t = (await aws('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'ecs', '--resource-ids', 'service/c/web')).ScalableTargets[0];
      return t.MinCapacity === 2 && t.MaxCapacity === 3;
    }, 40_000);
    const acts = await activities('web');
    const scheduledActivity = acts.find((a) => a.Cause === 'scheduled action name morning was triggered');
    assert.equal(scheduledActivity?.Description, 'Setting min capacity to 2 and max capacity to 3');
    assert.equal(scheduledActivity?.StatusMessage, 'Successfully set min capacity to 2 and max capacity to 3. Change successfully fulfilled by ecs.');
    // Not before its time: the activity that changed min/max started at or after `at`.
    assert.ok(seconds(scheduledActivity.StartTime) >= atMs, `ran at ${new Date(seconds(scheduledActivity.StartTime)).toISOString()}, due ${at}`);
    await eventually('the service follows the new minimum', async () => (await describeService(ecs, 'c', 'web')).desiredCount === 2, 30_000);
    await assert.rejects(aws('application-autoscaling', 'put-scheduled-action', '--service-namespace', 'ecs', '--resource-id', 'service/c/web',
      '--scalable-dimension', 'ecs:service:DesiredCount', '--scheduled-action-name', 'bad', '--schedule', 'sometimes'), /ValidationException.*Unsupported schedule expression/s);
  });
});
