// Issue 9 through the real AWS CLI (v1, `aws`) against a real `berth server` process with a real
// `berth agent` (simulated runtime): every ECS answer that used to differ from AWS, the README's
// first-hour commands verbatim, and the activity log the server prints meanwhile.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, spawnBerth, type ChildServer } from './child-server.js';
import { eventually } from './eventually.js';
import { spawnBerth as spawnProcess, type BerthProcess } from './processes.js';
import { requireAwsCliV1, type Requirement } from './requirements.js';

const SERVER_IP = '127.0.20.1';
const AGENT_IP = '127.0.20.2';
const ACCOUNT = '333333333333';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The web.json block of the README's first example. */
export function readmeWebJson(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /Save this as `web\.json`[^\n]*\n\n```json\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no web.json block after "Save this as `web.json`"');
  return m[1];
}

let req: Requirement;
try { req = requireAwsCliV1(); } catch (err) { req = { skip: false }; describe('AWS CLI v1 for issue 9', () => { it('is installed', () => { throw err; }); }); }

describe('ECS fidelity through the AWS CLI (issue 9)', req, () => {
  let server: ChildServer;
  let agent: BerthProcess;
  let dir: string;
  const arn = (resource: string, region = 'us-east-1', partition = 'aws') => `arn:${partition}:ecs:${region}:${ACCOUNT}:${resource}`;

  /** Runs the CLI; resolves with its JSON, rejects with its stderr. */
  const aws = (args: string[], region = 'us-east-1'): Promise<Json> => new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
    Object.assign(env, {
      AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: region, AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PAGER: '', AWS_DEFAULT_OUTPUT: 'json', AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    });
    execFile('aws', ['--endpoint-url', server.url, ...args], { cwd: dir, env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(stderr || stdout || err.message)); return; }
      try { resolve(stdout.trim() ? JSON.parse(stdout) as Json : {}); } catch { reject(new Error(`no JSON: ${stdout}`)); }
    });
  });
  const file = (name: string, value: unknown) => { writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value)); return `file://${name}`; };
  const logLines = () => server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-cli9-'));
    writeFileSync(join(dir, 'config'), '');
    writeFileSync(join(dir, 'credentials'), '');
    server = await spawnBerth({ store: 'memory://', extra: ['--host', SERVER_IP, '--log-format', 'json'] });
    await aws(['ecs', 'create-cluster', '--cluster-name', 'default']);
    agent = spawnProcess(['agent', '--cluster', 'default', '--runtime', 'simulated', '--endpoint', server.url, '--ip', AGENT_IP,
      '--state-dir', join(dir, 'agent')], { env: { AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' } });
    await agent.waitFor(/agent: arn:aws:ecs:\S+container-instance/);
  });
  after(async () => {
    await agent?.kill('SIGTERM');
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1: builds ARNs in the partition of the region (cn-*, us-gov-*, us-isob-*), STS included', async () => {
    const cn = await aws(['ecs', 'create-cluster', '--cluster-name', 'p'], 'cn-north-1');
    assert.equal(cn.cluster.clusterArn, arn('cluster/p', 'cn-north-1', 'aws-cn'));
    assert.equal((await aws(['sts', 'get-caller-identity'], 'us-gov-west-1')).Arn, `arn:aws-us-gov:iam::${ACCOUNT}:root`);
    const isob = await aws(['ecs', 'create-cluster', '--cluster-name', 'p'], 'us-isob-east-1');
    assert.equal(isob.cluster.clusterArn, arn('cluster/p', 'us-isob-east-1', 'aws-iso-b'));
  });

  it('2, 3: lists an INACTIVE cluster while it is describable; describe-clusters returns statistics [] and tags []', async () => {
    await aws(['ecs', 'create-cluster', '--cluster-name', 'old']);
    await aws(['ecs', 'delete-cluster', '--cluster', 'old']);
    assert.ok((await aws(['ecs', 'list-clusters'])).clusterArns.includes(arn('cluster/old')));
    const d = await aws(['ecs', 'describe-clusters', '--clusters', 'old']);
    assert.equal(d.clusters[0].status, 'INACTIVE');
    assert.deepEqual(d.clusters[0].statistics, []);
    assert.deepEqual(d.clusters[0].tags, []);
  });

  it('4: Fargate pidMode host, EFS rootDirectory "/", and the 64 KiB task definition limit', async () => {
    await assert.rejects(aws(['ecs', 'register-task-definition', '--cli-input-json', file('fargate.json', {
      family: 'fg', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', pidMode: 'host',
      containerDefinitions: [{ name: 'a', image: 'busybox' }] })]),
    /\(ClientException\).*: Tasks using the Fargate launch type do not support pidMode 'host'\. The supported value for pidMode is 'task'\./);
    const efs = await aws(['ecs', 'register-task-definition', '--cli-input-json', file('efs.json', {
      family: 'efs', volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: 'fs-12345678' } }],
      containerDefinitions: [{ name: 'a', image: 'busybox', memory: 32, mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }] })]);
    assert.equal(efs.taskDefinition.volumes[0].efsVolumeConfiguration.rootDirectory, '/');
    const environment = Array.from({ length: 1000 }, (_, i) => ({ name: `VAR_${i}`, value: 'v'.repeat(100) }));
    await assert.rejects(aws(['ecs', 'register-task-definition', '--cli-input-json', file('big.json', {
      family: 'big', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 32, environment }] })]),
    /\(ClientException\).*: Actual length: '\d+'\. Max allowed length is '65536' bytes\./);
    await assert.rejects(aws(['ecs', 'describe-task-definition', '--task-definition', 'big']), /ClientException/);
  });

  it('5, 6: describe-services failures name service/<name>; DAEMON refuses a desired count in ECS words', async () => {
    const d = await aws(['ecs', 'describe-services', '--services', 'nope', arn('service/default/gone')]);
    assert.deepEqual(d.failures, [{ arn: arn('service/nope'), reason: 'MISSING' }, { arn: arn('service/default/gone'), reason: 'MISSING' }]);
    await aws(['ecs', 'register-task-definition', '--cli-input-json', file('d.json', { family: 'd', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 16 }] })]);
    await assert.rejects(aws(['ecs', 'create-service', '--service-name', 'dd', '--task-definition', 'd', '--scheduling-strategy', 'DAEMON', '--desired-count', '1']),
      /\(InvalidParameterException\).*: The daemon scheduling strategy does not support a desired count for services\. Remove the desired count value and try again/);
  });

  it('7, 14: describe-container-instances with none, and the status update-container-instances-state accepts', async () => {
    await assert.rejects(aws(['ecs', 'describe-container-instances', '--cli-input-json', file('ci.json', { containerInstances: [] })]),
      /\(InvalidParameterException\).*: Container instance cannot be empty\./);
    const [instance] = (await aws(['ecs', 'list-container-instances'])).containerInstanceArns as string[];
    await assert.rejects(aws(['ecs', 'update-container-instances-state', '--container-instances', instance, '--status', 'REGISTERING']),
      /status should be one of \[ACTIVE,DRAINING\]/);
  });

  it('8: delete-capacity-provider answers DELETE_IN_PROGRESS, then describe shows INACTIVE / DELETE_COMPLETE', async () => {
    await aws(['ecs', 'create-capacity-provider', '--name', 'cp', '--auto-scaling-group-provider',
      `autoScalingGroupArn=arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:01234567-89ab-cdef-0123-456789abcdef:autoScalingGroupName/asg`]);
    const del = await aws(['ecs', 'delete-capacity-provider', '--capacity-provider', 'cp']);
    assert.equal(del.capacityProvider.status, 'ACTIVE');
    assert.equal(del.capacityProvider.updateStatus, 'DELETE_IN_PROGRESS');
    const d = await aws(['ecs', 'describe-capacity-providers', '--capacity-providers', 'cp']);
    assert.equal(d.capacityProviders[0].status, 'INACTIVE');
    assert.equal(d.capacityProviders[0].updateStatus, 'DELETE_COMPLETE');
  });

  it('9: dualStackIPv6 is an account setting', async () => {
    const put = await aws(['ecs', 'put-account-setting', '--name', 'dualStackIPv6', '--value', 'enabled']);
    assert.deepEqual(put.setting, { name: 'dualStackIPv6', value: 'enabled', principalArn: `arn:aws:iam::${ACCOUNT}:root`, type: 'user' });
    const listed = await aws(['ecs', 'list-account-settings', '--name', 'dualStackIPv6', '--effective-settings']);
    assert.equal(listed.settings[0].value, 'enabled');
  });

  it("19, 10: the README's web.json runs: run-task answers PENDING for an EC2 bridge task, then RUNNING", async () => {
    const web = JSON.parse(readmeWebJson()) as Json;
    assert.match(web.containerDefinitions[0].image, /busybox/);
    file('web.json', readmeWebJson());
    await aws(['ecs', 'register-task-definition', '--cli-input-json', 'file://web.json']);
    const run = await aws(['ecs', 'run-task', '--task-definition', 'web']);
    assert.equal(run.tasks[0].lastStatus, 'PENDING');
    const taskArn = run.tasks[0].taskArn as string;
    const running = await eventually('RUNNING', async () => {
      const t = (await aws(['ecs', 'describe-tasks', '--tasks', taskArn])).tasks[0];
      return t.lastStatus === 'RUNNING' && t;
    });
    assert.equal(running.containers[0].networkBindings[0].containerPort, 8080);
  });

  it('11, 24: a placement failure keeps the ECS reason and says the cause in detail, in the answer and the activity log', async () => {
    await aws(['ecs', 'register-task-definition', '--cli-input-json', file('logs.json', { family: 'logs', containerDefinitions: [{
      name: 'a', image: 'busybox', memory: 16, logConfiguration: { logDriver: 'splunk', options: { 'splunk-url': 'https://splunk.example:8088' } } }] })]);
    const run = await aws(['ecs', 'run-task', '--task-definition', 'logs']);
    assert.deepEqual(run.tasks, []);
    assert.equal(run.failures[0].reason, 'ATTRIBUTE');
    // Berth's agent ships awslogs (issue 13) but has no splunk driver.
    assert.equal(run.failures[0].detail, 'the instance lacks the attribute com.amazonaws.ecs.capability.logging-driver.splunk');
    const line = await eventually('placement.failed line', async () => logLines().find((l) => l.event === 'placement.failed'));
    assert.equal(line.level, 'warn');
    assert.equal(line.reason, 'ATTRIBUTE');
    assert.match(line.detail, /logging-driver\.splunk/);
  });

  it('12, 24: stopping 3 running tasks in one pass is one event naming all three; deployments and tasks are in the activity log', async () => {
    await aws(['ecs', 'create-service', '--service-name', 'web', '--task-definition', 'web', '--desired-count', '3']);
    await aws(['ecs', 'wait', 'services-stable', '--services', 'web']);
    await aws(['ecs', 'update-service', '--service', 'web', '--desired-count', '0']);
    const event = await eventually('one stop event', async () => {
      const s = (await aws(['ecs', 'describe-services', '--services', 'web'])).services[0];
      return (s.events as Json[]).map((e) => e.message as string).find((m) => / has stopped \d+ /.test(m));
    });
    assert.match(event, /^\(service web\) has stopped 3 running tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);
    const lines = logLines();
    const started = lines.find((l) => l.event === 'deployment.started' && l.service === 'web');
    assert.ok(started, 'deployment.started');
    assert.equal(started.desiredCount, 3);
    assert.ok(lines.some((l) => l.event === 'service.tasks-started' && l.service === 'web'));
    assert.ok(lines.some((l) => l.event === 'task.running' && l.group === 'service:web'));
    assert.ok(lines.some((l) => l.event === 'agent.connected' && l.cluster === 'default'));
    for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT/);
  });

  it('16: a request over the ECS cap is refused with 413 RequestEntityTooLarge, nothing echoed', async () => {
    const name = 'x'.repeat(2 * 1024 * 1024);
    const err = await aws(['ecs', 'describe-clusters', '--cli-input-json', file('huge.json', { clusters: [name] })]).then(() => undefined, (e: Error) => e);
    assert.ok(err, 'refused');
    assert.match(err.message, /RequestEntityTooLarge/);
    assert.ok(!err.message.includes('xxxxxxxxxx'), 'the name is not echoed');
  });
});
