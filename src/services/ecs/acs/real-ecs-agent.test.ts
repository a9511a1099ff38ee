// The unmodified Amazon ECS container agent (1.101.2, ../shared/ecs-agent/) runs Berth's tasks on
// this host's Docker, driven through the AWS CLI against a `berth server` process: a busybox httpd
// on a dynamic host port, StopTask, a 3-task service rolling 50 / 100, kill -9 and restart
// (re-adoption, a task stopped only after TaskStopVerification), telemetry, and a mixed cluster
// with a Berth agent. Skipped with the reason outside CI when xz, Docker, the test image, the AWS
// CLI, the packed agent or host ports 51678/51679 are missing; under CI=true each is required.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, spawnBerth, type ChildServer } from '../../../testing/child-server.js';
import { eventually } from '../../../testing/eventually.js';
import { spawnBerth as spawnBerthProcess, type BerthProcess } from '../../../testing/processes.js';
import {
  requireAwsCliV1, requireFreePorts, requirePath, requireTestImage, requireXz, TEST_IMAGE, type Requirement,
} from '../../../testing/requirements.js';

const PACKED = 'amazon-ecs-agent-1.101.2-linux-amd64.xz';
const SERVER_IP = '127.0.70.1';
const BERTH_AGENT_IP = '127.0.70.2';
const WAIT_MS = 120_000;

/** ../shared/ecs-agent from the repository (or from a worktree two levels down), or BERTH_ECS_AGENT_DIR. */
function agentDir(): string | undefined {
  const candidates = [process.env.BERTH_ECS_AGENT_DIR, resolve(repoRoot, '../shared/ecs-agent'), resolve(repoRoot, '../../shared/ecs-agent')];
  return candidates.find((d) => d && existsSync(join(d, PACKED)));
}

function requirements(): Requirement {
  for (const r of [requireXz, () => requirePath('the packed ECS agent', agentDir(), `../shared/ecs-agent/${PACKED} or BERTH_ECS_AGENT_DIR`),
    () => requireTestImage(), requireAwsCliV1, () => requireFreePorts([51678, 51679])]) {
    const got = r();
    if (got.skip) return got;
  }
  return { skip: false };
}

describe('the real Amazon ECS agent runs Berth\'s tasks', requirements(), () => {
  const work = mkdtempSync(join(tmpdir(), 'berth-real-agent-'));
  const cluster = `real-${process.pid}`;
  let server: ChildServer;
  let agent: ChildProcess | undefined;
  let berthAgent: BerthProcess | undefined;
  let instanceArn = '';
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };
  delete env.AWS_ENDPOINT_URL;
  delete env.AWS_CA_BUNDLE;

  const aws = <T = Record<string, unknown>>(...args: string[]) => new Promise<T>((resolveCli, reject) => {
    execFile('aws', ['--endpoint-url', server.url, '--output', 'json', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`aws ${args.join(' ')}: ${stderr || err.message}`));
      else resolveCli((stdout.trim() ? JSON.parse(stdout) : {}) as T);
    });
  });
  type Task = { taskArn: string; lastStatus: string; desiredStatus: string; stoppedReason?: string; stopCode?: string; healthStatus?: string;
    containerInstanceArn?: string; taskDefinitionArn: string;
    containers: { name: string; exitCode?: number; runtimeId?: string; networkBindings?: { hostPort: number; containerPort: number }[] }[] };
  const describeTasks = async (arns: string[]) => arns.length ? (await aws<{ tasks: Task[] }>('ecs', 'describe-tasks', '--cluster', cluster, '--tasks', ...arns)).tasks : [];
  const listTasks = async (...filter: string[]) => (await aws<{ taskArns: string[] }>('ecs', 'list-tasks', '--cluster', cluster, ...filter)).taskArns;
  const health = async () => (await (await fetch(`${server.url}/_berth/health`)).json()) as { stats: { ecs: Record<string, number> } };
  const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' }).stdout.trim();

  const startAgent = () => {
    const bin = join(work, 'amazon-ecs-agent');
    if (!existsSync(bin)) {
      const r = spawnSync('sh', ['-c', `xz -dc "${join(agentDir()!, PACKED)}" > "${bin}" && chmod +x "${bin}"`]);
      assert.equal(r.status, 0, `unpacking the agent: ${r.stderr}`);
    }
    mkdirSync(join(work, 'data'), { recursive: true });
    const log = openSync(join(work, 'agent.log'), 'a');
    // As ../shared/ecs-agent/run-against-berth.sh, with its state kept (ECS_CHECKPOINT) so a
    // restart re-adopts, images from the local cache, and a short stop timeout.
    agent = spawn(bin, [], {
      detached: true, stdio: ['ignore', log, log],
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, ECS_EXTERNAL: 'true', ECS_CLUSTER: cluster, ECS_BACKEND_HOST: server.url,
        AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1',
        ECS_DATADIR: join(work, 'data'), ECS_CHECKPOINT: 'true', ECS_LOGLEVEL: 'info', ECS_IMAGE_PULL_BEHAVIOR: 'prefer-cached',
        ECS_CONTAINER_STOP_TIMEOUT: '2s',
      },
    });
  };
  const agentLog = () => spawnSync('tail', ['-n', '40', join(work, 'agent.log')], { encoding: 'utf8' }).stdout;

  before(async () => {
    server = await spawnBerth({ data: join(work, 'berth'), extra: ['--host', SERVER_IP] });
    await aws('ecs', 'create-cluster', '--cluster-name', cluster);
    startAgent();
    const ci = await eventually('the real agent registered and connected', async () => {
      const arns = (await aws<{ containerInstanceArns: string[] }>('ecs', 'list-container-instances', '--cluster', cluster)).containerInstanceArns;
      if (arns.length !== 1) return undefined;
      const [c] = (await aws<{ containerInstances: { containerInstanceArn: string; agentConnected: boolean; versionInfo: { agentVersion?: string } }[] }>(
        'ecs', 'describe-container-instances', '--cluster', cluster, '--container-instances', arns[0])).containerInstances;
      return c.agentConnected ? c : undefined;
    }, WAIT_MS);
    instanceArn = ci.containerInstanceArn;
    assert.equal(ci.versionInfo.agentVersion, '1.101.2', 'versionInfo from the ACS query string');
  });

  after(async () => {
    if (agent?.pid) try { process.kill(agent.pid, 'SIGKILL'); } catch { /* gone */ }
    await berthAgent?.kill('SIGTERM');
    await server?.stop();
    const ids = [docker('ps', '-aq', '--filter', `label=com.amazonaws.ecs.cluster=${cluster}`),
      docker('ps', '-aq', '--filter', `label=com.amazonaws.ecs.cluster=arn:aws:ecs:us-east-1:000000000000:cluster/${cluster}`)].join('\n').split('\n').filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids]);
    rmSync(work, { recursive: true, force: true });
  });

  const httpd = (family: string, extra: Record<string, unknown> = {}) => JSON.stringify([{
    name: 'web', image: TEST_IMAGE, cpu: 64, memory: 32, essential: true, stopTimeout: 2,
    command: ['sh', '-c', `echo hello from ${family} > /tmp/index.html && exec httpd -f -p 8080 -h /tmp`],
    portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }], ...extra,
  }]);
  const running = (arn: string) => eventually(`task ${arn} RUNNING`, async () => {
    const [t] = await describeTasks([arn]);
    if (t.lastStatus === 'STOPPED') throw new Error(`task stopped: ${t.stoppedReason}\n${agentLog()}`);
    return t.lastStatus === 'RUNNING' ? t : undefined;
  }, WAIT_MS);
  const answers = async (port: number) => (await fetch(`http://127.0.0.1:${port}/index.html`)).text();

  it('RunTask: a busybox httpd on a dynamic host port goes RUNNING with networkBindings and answers; StopTask → STOPPED', async () => {
    await aws('ecs', 'register-task-definition', '--family', 'single', '--container-definitions', httpd('single'));
    const { tasks } = await aws<{ tasks: Task[] }>('ecs', 'run-task', '--cluster', cluster, '--task-definition', 'single');
    const task = await running(tasks[0].taskArn);
    const binding = task.containers[0].networkBindings![0];
    assert.equal(binding.containerPort, 8080);
    assert.ok(binding.hostPort >= 1024, `a dynamic host port (${binding.hostPort})`);
    assert.equal((await answers(binding.hostPort)).trim(), 'hello from single');
    await aws('ecs', 'stop-task', '--cluster', cluster, '--task', task.taskArn, '--reason', 'done with it');
    const stopped = await eventually('STOPPED', async () => { const [t] = await describeTasks([task.taskArn]); return t.lastStatus === 'STOPPED' ? t : undefined; }, WAIT_MS);
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'done with it');
    assert.equal(typeof stopped.containers[0].exitCode, 'number', 'the exit code the agent reported');
  });

  it('a service of 3 rolls to a new revision within minimumHealthyPercent 50 / maximumPercent 100; health and metrics arrive over TCS', async () => {
    const hc = { healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/index.html || exit 1'], interval: 5, timeout: 2, retries: 2, startPeriod: 0 } };
    await aws('ecs', 'register-task-definition', '--family', 'svc', '--container-definitions', httpd('svc-v1', hc));
    await aws('ecs', 'create-service', '--cluster', cluster, '--service-name', 'web', '--task-definition', 'svc:1', '--desired-count', '3',
      '--deployment-configuration', 'minimumHealthyPercent=50,maximumPercent=100');
    const steady = (revision: number) => eventually(`3 tasks of svc:${revision} RUNNING`, async () => {
      const ts = await describeTasks(await listTasks('--service-name', 'web'));
      const ok = ts.filter((t) => t.lastStatus === 'RUNNING' && t.taskDefinitionArn.endsWith(`/svc:${revision}`));
      return ok.length === 3 && ts.length === 3 ? ok : undefined;
    }, WAIT_MS);
    const v1 = await steady(1);
    for (const t of v1) assert.equal((await answers(t.containers[0].networkBindings![0].hostPort)).trim(), 'hello from svc-v1');
    // Health from the agent's Docker health checks, published over TCS.
    await eventually('the tasks HEALTHY', async () => (await describeTasks(v1.map((t) => t.taskArn))).every((t) => t.healthStatus === 'HEALTHY'), WAIT_MS);

    await aws('ecs', 'register-task-definition', '--family', 'svc', '--container-definitions', httpd('svc-v2', hc));
    await aws('ecs', 'update-service', '--cluster', cluster, '--service', 'web', '--task-definition', 'svc:2');
    // While it rolls, never more than 3 tasks live (100 %) nor fewer than 2 RUNNING (50 %, rounded up).
    let maxLive = 0;
    let minRunning = Infinity;
    await eventually('the rollout to svc:2', async () => {
      const ts = await describeTasks(await listTasks('--service-name', 'web'));
      const live = ts.filter((t) => t.lastStatus !== 'STOPPED' && t.desiredStatus === 'RUNNING');
      maxLive = Math.max(maxLive, live.length);
      minRunning = Math.min(minRunning, live.filter((t) => t.lastStatus === 'RUNNING').length);
      return live.length === 3 && live.every((t) => t.lastStatus === 'RUNNING' && t.taskDefinitionArn.endsWith('/svc:2'));
    }, WAIT_MS, 250);
    assert.ok(maxLive <= 3, `at most 3 live tasks during the rollout, saw ${maxLive}`);
    assert.ok(minRunning >= 2, `at least 2 RUNNING during the rollout, saw ${minRunning}`);
    const v2 = await steady(2);
    for (const t of v2) assert.equal((await answers(t.containers[0].networkBindings![0].hostPort)).trim(), 'hello from svc-v2');
    const stats = await eventually('telemetry from the real agent', async () => {
      const s = (await health()).stats.ecs;
      return s.telemetryMetricsReports > 0 && s.telemetryInstanceStatusReports > 0 ? s : undefined;
    }, WAIT_MS);
    assert.ok(stats.telemetryHealthReports > 0, 'PublishHealthRequest received');
  });

  it('kill -9 and restart: the agent re-adopts its containers (no duplicates) and stops a task the server dropped only after verification', async () => {
    const before = await describeTasks(await listTasks('--service-name', 'web'));
    const ids = before.map((t) => t.containers[0].runtimeId).sort();
    await aws('ecs', 'register-task-definition', '--family', 'orphan', '--container-definitions', httpd('orphan'));
    const { tasks: [o] } = await aws<{ tasks: Task[] }>('ecs', 'run-task', '--cluster', cluster, '--task-definition', 'orphan');
    const orphan = await running(o.taskArn);
    const verifications = (await health()).stats.ecs.acsStopsConfirmed;
    process.kill(agent!.pid!, 'SIGKILL');
    await eventually('the agent gone', () => agent!.exitCode !== null || agent!.signalCode !== null);
    // While the agent is down the server comes to consider the orphan STOPPED; its container still runs.
    await aws('ecs', 'submit-task-state-change', '--cluster', cluster, '--task', orphan.taskArn, '--status', 'STOPPED', '--reason', 'dropped by the test');
    assert.equal(docker('inspect', '-f', '{{.State.Running}}', orphan.containers[0].runtimeId!), 'true');
    startAgent();
    // The manifest leaves the orphan out; the agent asks (TaskStopVerificationMessage), the server confirms, the agent stops it.
    await eventually('the orphan\'s container stopped after verification', () =>
      docker('inspect', '-f', '{{.State.Running}}', orphan.containers[0].runtimeId!) === 'false', WAIT_MS);
    assert.ok((await health()).stats.ecs.acsStopsConfirmed > verifications, 'the stop went through TaskStopVerification');
    const after = await describeTasks(await listTasks('--service-name', 'web'));
    assert.deepEqual(after.map((t) => t.containers[0].runtimeId).sort(), ids, 'the same containers, re-adopted');
    assert.deepEqual(after.map((t) => t.lastStatus), ['RUNNING', 'RUNNING', 'RUNNING']);
    for (const t of before) {
      const count = docker('ps', '-q', '--filter', `label=com.amazonaws.ecs.task-arn=${t.taskArn}`).split('\n').filter(Boolean).length;
      assert.equal(count, 1, `one running container for ${t.taskArn}`);
    }
    const [ci] = (await aws<{ containerInstances: { containerInstanceArn: string; agentConnected: boolean }[] }>('ecs', 'describe-container-instances',
      '--cluster', cluster, '--container-instances', instanceArn)).containerInstances;
    assert.equal(ci.containerInstanceArn, instanceArn, 'the restarted agent kept its instance');
  });

  it('a mixed cluster: one real agent and one Berth agent run a service spread across both', async () => {
    berthAgent = spawnBerthProcess(['agent', '--cluster', cluster, '--endpoint', server.url, '--runtime', 'docker', '--ip', BERTH_AGENT_IP,
      '--state-dir', join(work, 'berth-agent')], { cwd: repoRoot, env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } });
    await eventually('two connected instances', async () => {
      const arns = (await aws<{ containerInstanceArns: string[] }>('ecs', 'list-container-instances', '--cluster', cluster)).containerInstanceArns;
      const cis = (await aws<{ containerInstances: { agentConnected: boolean }[] }>('ecs', 'describe-container-instances', '--cluster', cluster,
        '--container-instances', ...arns)).containerInstances;
      return cis.filter((c) => c.agentConnected).length === 2;
    }, WAIT_MS);
    await aws('ecs', 'create-service', '--cluster', cluster, '--service-name', 'mixed', '--task-definition', 'single', '--desired-count', '4',
      '--placement-strategy', 'type=spread,field=instanceId');
    const tasks = await eventually('4 RUNNING tasks', async () => {
      const ts = await describeTasks(await listTasks('--service-name', 'mixed'));
      return ts.length === 4 && ts.every((t) => t.lastStatus === 'RUNNING') ? ts : undefined;
    }, WAIT_MS);
    const byInstance = new Map<string, number>();
    for (const t of tasks) byInstance.set(t.containerInstanceArn!, (byInstance.get(t.containerInstanceArn!) ?? 0) + 1);
    assert.deepEqual([...byInstance.values()], [2, 2], 'spread evenly over the real agent and the Berth agent');
    assert.ok(byInstance.has(instanceArn));
    for (const t of tasks) {
      const port = t.containers[0].networkBindings![0].hostPort;
      const host = t.containerInstanceArn === instanceArn ? '127.0.0.1' : BERTH_AGENT_IP;
      assert.equal((await (await fetch(`http://${host}:${port}/index.html`)).text()).trim(), 'hello from single');
    }
    // The server pings every session and closes silent ones: the real agent answers (pongs and
    // heartbeat acks), so none of its sessions was ever closed as silent in this whole run.
    assert.match(server.output(), /agent\.connected/);
    assert.doesNotMatch(server.output(), /agent\.silent/);
  });
});
