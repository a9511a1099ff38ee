// The scheduler and the fleet: DAEMON services, health-check replacement, the lost-agent policy,
// the AWS CLI's waiters, and one service on a real Docker engine. In-process agents, real server.
import {
  CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand,
  TagResourceCommand, UpdateContainerInstancesStateCommand, UpdateServiceCommand, type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { LABELS } from '../../../agent/container-spec.js';
import { SimulatedRuntime } from '../../../agent/runtime/simulated.js';
import { credentials, startHarness, type Harness } from '../../../testing/harness.js';
import { requireAwsCliV1, requireTestImage, TEST_IMAGE } from '../../../testing/requirements.js';
import { lostReason } from './service-lost.js';
import { SUPERSEDE_UNFENCED_TAG } from './cluster-view.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { Agents, describeService, eventually, eventsOf, serviceTasks, stable } from '../../../testing/service-test-kit.js';

const sleeper = (image = 'busybox', extra: Record<string, unknown> = {}) =>
  [{ name: 'app', image, memory: 64, command: ['sleep', 'infinity'], ...extra }];

async function setUp(h: Harness, containerDefinitions = sleeper()) {
  await h.reset();
  await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
  await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions }));
}

const steady = (ecs: ECSClient, what: string, check: (s: Awaited<ReturnType<typeof describeService>>) => boolean = () => true) =>
  eventually(what, async () => {
    const s = await describeService(ecs, 'c', 'web');
    return stable(s) && s.deployments![0].rolloutState === 'COMPLETED' && check(s) && s;
  });

describe('service scheduler and the fleet (simulated agents)', () => {
  let h: Harness;
  let agents: Agents;
  before(async () => { h = await startHarness({ config: { ecs: { scheduler: { intervalMs: 50 }, acs: { heartbeatMs: 200 } } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => { agents = new Agents(h.url); });
  afterEach(async () => { await agents.close(); });

  it('DAEMON: one task per ACTIVE instance; a new instance gets one, a draining one loses its', async () => {
    await setUp(h);
    const a = await agents.start('c');
    const b = await agents.start('c');
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', schedulingStrategy: 'DAEMON' }));
    const placement = async () => (await serviceTasks(h.ecs, 'c', 'web')).filter((t) => t.lastStatus === 'RUNNING').map((t) => t.containerInstanceArn).sort();
    await steady(h.ecs, 'a task on each instance', (s) => s.desiredCount === 2);
    assert.deepEqual(await placement(), [a.instanceArn, b.instanceArn].sort());
    const c = await agents.start('c');
    await steady(h.ecs, 'a task on the new instance', (s) => s.desiredCount === 3);
    assert.deepEqual(await placement(), [a.instanceArn, b.instanceArn, c.instanceArn].sort());
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'c', containerInstances: [a.instanceArn], status: 'DRAINING' }));
    await steady(h.ecs, 'the draining instance without its task', (s) => s.desiredCount === 2 && s.runningCount === 2);
    assert.deepEqual(await placement(), [b.instanceArn, c.instanceArn].sort());
  });

  it('replaces a task that fails its container health checks', async () => {
    await setUp(h, sleeper('busybox', { healthCheck: { command: ['CMD-SHELL', 'exit 1'], interval: 5, retries: 1, timeout: 2, startPeriod: 0 } }));
    await agents.start('c');
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }));
    const s = await eventually('a health-check replacement', async () => {
      const x = await describeService(h.ecs, 'c', 'web');
      return eventsOf(x).some((e) => / failed container health checks\.$/.test(e)) && eventsOf(x).filter((e) => / has started 1 tasks:/.test(e)).length >= 2 && x;
    });
    const events = eventsOf(s);
    const sick = /\(task (\w+)\) failed container health checks\./.exec(events.find((e) => e.includes('failed container health checks'))!)![1];
    const [task] = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [sick] }))).tasks!;
    assert.deepEqual([task.desiredStatus, task.stopCode, task.stoppedReason], ['STOPPED', 'ServiceSchedulerInitiated', 'Task failed container health checks']);
    assert.equal(task.healthStatus, 'UNHEALTHY');
    await h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web', force: true }));
  });

  it('answers the AWS CLI waiters services-stable and tasks-running', async (t) => {
    const req = requireAwsCliV1();
    if (req.skip) { t.skip(req.skip); return; }
    await setUp(h);
    await agents.start('c');
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 }));
    await steady(h.ecs, '2 running tasks', (s) => s.runningCount === 2);
    const aws = (...args: string[]) => cli(h.url, args);
    await aws('ecs', 'wait', 'services-stable', '--cluster', 'c', '--services', 'web');
    const arns = (await serviceTasks(h.ecs, 'c', 'web')).map((x) => x.taskArn!);
    await aws('ecs', 'wait', 'tasks-running', '--cluster', 'c', '--tasks', ...arns);
    await h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web', force: true }));
    await assert.rejects(aws('ecs', 'wait', 'services-stable', '--cluster', 'c', '--services', 'web'), /Waiter ServicesStable failed/);
    await assert.rejects(aws('ecs', 'wait', 'tasks-running', '--cluster', 'c', '--tasks', 'nope'), /Waiter TasksRunning failed/);
  });
});

/** The AWS CLI v1 in a clean environment against `endpoint`. */
function cli(endpoint: string, args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-svc-cli-'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PAGER: '' });
  return new Promise((resolve, reject) => {
    execFile('aws', ['--endpoint-url', endpoint, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) reject(new Error(`aws ${args.join(' ')}: ${stderr || stdout}`)); else resolve(stdout);
    });
  });
}

describe('lost-agent policy', () => {
  let h: Harness;
  let agents: Agents | undefined;
  let dir: string;
  before(async () => {
    h = await startHarness({ config: { ecs: { scheduler: { intervalMs: 50 }, acs: { heartbeatMs: 200 }, agentGraceSeconds: 1, lostAfterSeconds: 3, fenceMarginSeconds: 1 } } });
    dir = mkdtempSync(join(tmpdir(), 'berth-lost-'));
  });
  after(async () => { await agents?.close(); await h.close(); rmSync(dir, { recursive: true, force: true }); });

  it('replaces the tasks of an agent silent for longer than lostAfterSeconds; when it returns it stops its copy', async () => {
    await setUp(h);
    agents = new Agents(h.url);
    const runtime = new SimulatedRuntime(); // outlives the agent, like containers outlive a crashed agent
    const options = { stateDir: join(dir, 'a'), runtime, availabilityZone: 'us-east-1a' };
    let a = await agents.start('c', options);
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }));
    const [original] = (await steady(h.ecs, 'a task on the only instance'), await serviceTasks(h.ecs, 'c', 'web'));
    assert.equal(original.containerInstanceArn, a.instanceArn);
    const b = await agents.start('c', { availabilityZone: 'us-east-1b' });

    await agents.stop(a); // the agent goes silent; its container keeps running
    const replaced = await steady(h.ecs, 'a replacement on the other instance', (s) => {
      return s.runningCount === 1 && eventsOf(s).some((e) => e.includes(`(task ${original.taskArn!.split('/').pop()}) was superseded`));
    });
    const [superseded] = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [original.taskArn!] }))).tasks!;
    assert.deepEqual([superseded.desiredStatus, superseded.lastStatus, superseded.stoppedReason], ['STOPPED', 'RUNNING', lostReason(3)]);
    const live = await serviceTasks(h.ecs, 'c', 'web');
    assert.equal(live.length, 1);
    assert.equal(live[0].containerInstanceArn, b.instanceArn);
    assert.equal(replaced.runningCount, 1);
    assert.equal((await runtime.listByLabel(LABELS.taskArn, original.taskArn)).filter((c) => c.state === 'running').length, 1,
      'the superseded copy still runs while its agent is away');

    a = await agents.start('c', options); // the agent returns (same state dir, same runtime)
    assert.equal(a.instanceArn, original.containerInstanceArn);
    await eventually('the superseded copy STOPPED', async () =>
      (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [original.taskArn!] }))).tasks![0].lastStatus === 'STOPPED');
    assert.deepEqual((await runtime.listByLabel(LABELS.taskArn, original.taskArn)).filter((c) => c.state === 'running'), []);
    const survivors = (await serviceTasks(h.ecs, 'c', 'web')).filter((t) => t.lastStatus !== 'STOPPED');
    assert.deepEqual(survivors.map((t) => t.taskArn), [live[0].taskArn], 'exactly one copy survives');
    assert.ok(stable(await describeService(h.ecs, 'c', 'web')));
  });
});

describe('lost-agent policy for agents that cannot fence themselves (the Amazon ECS agent)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ config: { ecs: { scheduler: { intervalMs: 50 }, acs: { heartbeatMs: 200 }, agentGraceSeconds: 1, lostAfterSeconds: 2 } } });
  });
  after(async () => { await h.close(); });

  it('supersedes their tasks only in a cluster tagged berth:supersede-disconnected=true', async () => {
    await setUp(h);
    await h.ecs.send(new TagResourceCommand({ resourceArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c', tags: [{ key: SUPERSEDE_UNFENCED_TAG, value: 'true' }] }));
    // Registered and connected like the ECS agent: without Berth's self-fence capability.
    const agent = await TestAgent.register(h.ecs, { cluster: 'c' });
    await agent.connect();
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }));
    const task = await agent.next('PayloadMessage', (p) => p.message.tasks.some((t) => t.desiredStatus === 'RUNNING'));
    const arn = task.message.tasks[0].arn;
    assert.equal(task.message.tasks[0].berthSelfFence, undefined, 'nothing Berth-specific goes to an agent without the capability');
    await agent.report(arn, 'RUNNING');
    await agent.close();
    await eventually('superseded after lost-after', async () =>
      (await h.ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: [arn] }))).tasks![0].stoppedReason === lostReason(2));
  });
});

describe('a service on a real Docker engine', () => {
  let req: ReturnType<typeof requireTestImage>;
  try { req = requireTestImage(); } catch (err) { it('has Docker and the test image', () => { throw err; }); return; }
  let h: Harness;
  let agents: Agents;
  let instanceArn: string | undefined;
  before(async () => { if (!req.skip) h = await startHarness({ config: { ecs: { scheduler: { intervalMs: 100 } } } }); });
  after(async () => {
    await agents?.close();
    await h?.close();
    // Agents leave containers behind on purpose (a restarted agent adopts them): remove this test's.
    if (instanceArn) {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABELS.instance}=${instanceArn}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids]);
    }
  });

  it('runs, redeploys and deletes a service with real containers', req, async () => {
    await setUp(h, sleeper(TEST_IMAGE, { stopTimeout: 2 }));
    agents = new Agents(h.url);
    instanceArn = (await agents.start('c', { runtime: 'docker' })).instanceArn;
    await h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }));
    await steady(h.ecs, 'a running container', (s) => s.runningCount === 1);
    const [first] = await serviceTasks(h.ecs, 'c', 'web');
    const running = (id: string) => execFileSync('docker', ['inspect', '--format', '{{.State.Running}}', id], { encoding: 'utf8' }).trim();
    assert.equal(running(first.containers![0].runtimeId!), 'true');
    await h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', forceNewDeployment: true }));
    await steady(h.ecs, 'the new deployment', (s) => s.runningCount === 1 && !(s.deployments![0].id === first.startedBy));
    const [second] = await serviceTasks(h.ecs, 'c', 'web');
    assert.notEqual(second.taskArn, first.taskArn);
    assert.equal(running(second.containers![0].runtimeId!), 'true');
    await h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web', force: true }));
    await eventually('INACTIVE', async () => (await describeService(h.ecs, 'c', 'web')).status === 'INACTIVE');
    await eventually('the container stopped', async () => running(second.containers![0].runtimeId!) === 'false');
  });
});
