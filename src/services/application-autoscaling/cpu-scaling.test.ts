// The done-when, end to end with real parts: a Berth server at --time-scale 30 (a 60 s
// period lasts 2 s), an agent with the Docker runtime running berth-test/busybox tasks, and every
// call through AWS CLI v1. The task burns CPU (`yes > /dev/null`) for a while, then idles. A
// target-tracking policy at 50 % ECSServiceAverageCPUUtilization — the AWS/ECS metric the server
// derives from the agent's TCS reports of `docker stats` — scales the service out (new tasks
// RUNNING, DescribeScalingActivities says why) and, once the burning is over, back in to its
// minimum. CPUReservation / MemoryReservation per cluster come from the same reports.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../agent/agent.js';
import { startBerth, VERSION, type Berth } from '../../server/berth.js';
import { cliEnv, runCli, type Json } from '../../testing/aws-cli.js';
import { removeContainersOf } from '../../testing/docker-fixture.js';
import { eventually } from '../../testing/eventually.js';
import { credentials } from '../../testing/harness.js';
import { requireAwsCliV1, requireTestImage, TEST_IMAGE } from '../../testing/requirements.js';

const SCALE = 30;
/** Seconds each task burns a CPU before it idles (real seconds: 5 scaled minutes). */
const BURN_SECONDS = 10;

const needs = () => {
  const image = requireTestImage();
  return image.skip ? image : requireAwsCliV1();
};

describe('target tracking on the tasks\' real CPU (Docker, AWS CLI v1)', needs(), () => {
  let berth: Berth;
  let agent: Agent | undefined;
  let dir: string;
  let aws: (...args: string[]) => Promise<Json>;
  const target = ['--service-namespace', 'ecs', '--resource-id', 'service/burn/web', '--scalable-dimension', 'ecs:service:DesiredCount'];

  before(async () => {
    berth = await startBerth({ host: '127.13.0.40', port: 0, store: 'memory://', config: {
      monitoring: { timeScale: SCALE }, 'application-autoscaling': { timeScale: SCALE },
    } });
    dir = mkdtempSync(join(tmpdir(), 'berth-aas-cpu-'));
    aws = (...args) => runCli('aws', berth.url, { ...cliEnv(dir), AWS_ACCESS_KEY_ID: credentials.accessKeyId }, args);
    await aws('ecs', 'create-cluster', '--cluster-name', 'burn');
    // Metrics every half second (the ECS agent's 20 s would leave most 2 s periods empty).
    agent = await Agent.start({
      endpoint: berth.url, cluster: 'burn', runtime: 'docker', ip: '127.13.0.41', version: VERSION, credentials, region: 'us-east-1',
      stateDir: join(dir, 'agent'), log: () => {}, backoffMs: [50, 1000], telemetryPublishMs: 500,
    });
  });
  after(async () => {
    if (agent) {
      await agent.stop().catch(() => undefined);
      removeContainersOf(agent.instanceArn);
    }
    await berth?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const service = async () => ((await aws('ecs', 'describe-services', '--cluster', 'burn', '--services', 'web')).services as Json[])[0];
  const runningTasks = async () => {
    const arns = (await aws('ecs', 'list-tasks', '--cluster', 'burn', '--service-name', 'web', '--desired-status', 'RUNNING')).taskArns as string[];
    if (!arns.length) return 0;
    const tasks = (await aws('ecs', 'describe-tasks', '--cluster', 'burn', '--tasks', ...arns)).tasks as Json[];
    return tasks.filter((t) => t.lastStatus === 'RUNNING').length;
  };
  const activities = async () => (await aws('application-autoscaling', 'describe-scaling-activities', ...target)).ScalingActivities as Json[];

  it('scales out while the tasks burn CPU and back in to the minimum when they stop', async (t) => {
    // The shell traps TERM so a scale-in stops the task at once.
    const burn = `trap 'exit 0' TERM; yes > /dev/null & b=$!; sleep ${BURN_SECONDS}; kill $b; while true; do sleep 1; done`;
    await aws('ecs', 'register-task-definition', '--family', 'burner', '--container-definitions', JSON.stringify([
      { name: 'burn', image: TEST_IMAGE, cpu: 256, memory: 32, essential: true, stopTimeout: 2, command: ['sh', '-c', burn] },
    ]));
    await aws('ecs', 'create-service', '--cluster', 'burn', '--service-name', 'web', '--task-definition', 'burner', '--desired-count', '1');
    const started = Date.now();
    await aws('application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '1', '--max-capacity', '3');
    const policy = await aws('application-autoscaling', 'put-scaling-policy', ...target, '--policy-name', 'cpu50', '--policy-type', 'TargetTrackingScaling',
      '--target-tracking-scaling-policy-configuration', JSON.stringify({
        TargetValue: 50, ScaleOutCooldown: 60, ScaleInCooldown: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }));
    const [high, low] = (policy.Alarms as Json[]).map((a) => a.AlarmName as string);
    assert.match(high, /^TargetTracking-service\/burn\/web-AlarmHigh-/);
    assert.match(low, /^TargetTracking-service\/burn\/web-AlarmLow-/);

    await eventually('scaled out to 3 with 3 tasks RUNNING', async () => (await service()).desiredCount === 3 && await runningTasks() === 3, 60_000);
    t.diagnostic(`scaled out to 3 RUNNING ${((Date.now() - started) / 1000).toFixed(1)} s after create-service`);
    const out = (await activities()).find((a) => /-AlarmHigh-/.test(a.Cause as string))!;
    assert.equal(out.Cause, `monitor alarm ${high} in state ALARM triggered policy cpu50`);
    assert.equal(out.StatusCode, 'Successful');
    assert.match(out.Description as string, /^Setting desired count to [23]\.$/);

    // The service's CPU, measured from docker stats: the burning task used far more than the
    // 256 units it reserved.
    const end = new Date();
    const stats = await aws('cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/ECS', '--metric-name', 'CPUUtilization',
      '--dimensions', 'Name=ClusterName,Value=burn', 'Name=ServiceName,Value=web', '--statistics', 'Maximum',
      '--start-time', new Date(end.getTime() - 3_600_000).toISOString(), '--end-time', end.toISOString(), '--period', '3600');
    const peak = Math.max(...(stats.Datapoints as Json[]).map((d) => d.Maximum as number));
    assert.ok(peak > 50, `peak service CPU ${peak} % of the reservation`);
    t.diagnostic(`peak AWS/ECS CPUUtilization (ClusterName, ServiceName): ${peak.toFixed(0)} % of 256 units`);
    const reservation = await aws('cloudwatch', 'list-metrics', '--namespace', 'AWS/ECS', '--metric-name', 'CPUReservation');
    assert.deepEqual((reservation.Metrics as Json[]).map((m) => m.Dimensions), [[{ Name: 'ClusterName', Value: 'burn' }]]);

    // Every task stops burning BURN_SECONDS after it started: AlarmLow (15 periods under 45) scales in.
    await eventually('scaled back in to 1 with 1 task RUNNING', async () => (await service()).desiredCount === 1 && await runningTasks() === 1, 90_000);
    t.diagnostic(`back to 1 RUNNING ${((Date.now() - started) / 1000).toFixed(1)} s after create-service`);
    const back = (await activities())[0];
    assert.equal(back.Cause, `monitor alarm ${low} in state ALARM triggered policy cpu50`);
    assert.equal(back.Description, 'Setting desired count to 1.');
    assert.equal(back.StatusMessage, 'Successfully set desired count to 1. Change successfully fulfilled by ecs.');
  });
});
