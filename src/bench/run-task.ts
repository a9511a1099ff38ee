// `npm run bench:run-task`: how long RunTask takes to reach RUNNING (as DescribeTasks shows it)
// with Berth's docker agent, against starting the same container without Berth, measured in the
// same run on the same engine: `docker run -d` (the CLI) and a bare create + start over the Engine
// API (what the agent itself must do at least). Server and agent run in this process, as with
// `berth up` (SQLite store in a temp dir). BENCH_RUNS (default 30) and BENCH_WARMUP (3) tune it.
import {
  CreateClusterCommand, DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent } from '../agent/agent.js';
import { removeContainersOf } from '../testing/docker-fixture.js';
import { DockerClient } from '../agent/runtime/docker-api.js';
import { startBerth, VERSION } from '../server/berth.js';
import { TEST_IMAGE } from '../testing/requirements.js';
import { machineInfo } from './targets.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const IP = '127.0.0.31';
/** Exits at once on SIGTERM, so stopping between runs is quick. */
const COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), min: s[0], max: s.at(-1)! };
};
const fmt = (n: number) => `${n.toFixed(1).padStart(7)} ms`;

function dockerCli(...args: string[]) {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

async function measureBerth(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-run-task-'));
  const berth = await startBerth({ port: 0, store: join(dir, 'data') });
  const ecs = new ECSClient({ endpoint: berth.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  await ecs.send(new CreateClusterCommand({ clusterName: 'bench' }));
  const agent = await Agent.start({ endpoint: berth.url, cluster: 'bench', runtime: 'docker', ip: IP, version: VERSION, stateDir: join(dir, 'agent'), log: () => {} });
  const samples: number[] = [];
  try {
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'bench-sleep', containerDefinitions: [{ name: 's', image: TEST_IMAGE, memory: 32, command: COMMAND }] }));
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      const out = await ecs.send(new RunTaskCommand({ cluster: 'bench', taskDefinition: 'bench-sleep' }));
      const arn = out.tasks?.[0]?.taskArn;
      if (!arn) throw new Error(`RunTask placed nothing: ${JSON.stringify(out.failures)}`);
      for (;;) {
        const t = (await ecs.send(new DescribeTasksCommand({ cluster: 'bench', tasks: [arn] }))).tasks![0];
        if (t.lastStatus === 'RUNNING') break;
        if (t.lastStatus === 'STOPPED') throw new Error(`task stopped instead of running: ${t.stoppedReason}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (i >= WARMUP) samples.push(performance.now() - t0);
      await ecs.send(new StopTaskCommand({ cluster: 'bench', task: arn }));
      for (;;) {
        const t = (await ecs.send(new DescribeTasksCommand({ cluster: 'bench', tasks: [arn] }))).tasks![0];
        if (t.lastStatus === 'STOPPED') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } finally {
    await agent.stop();
    removeContainersOf(agent.instanceArn);
    ecs.destroy();
    await berth.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

function measureDockerRun(): number[] {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const id = dockerCli('run', '-d', '--memory', '32m', '--label', 'berth.bench=1', TEST_IMAGE, ...COMMAND);
    if (i >= WARMUP) samples.push(performance.now() - t0);
    dockerCli('rm', '-f', id);
  }
  return samples;
}

async function measureEngineApi(): Promise<number[]> {
  const client = new DockerClient();
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      const { body } = await client.json<{ Id: string }>('POST', '/containers/create', {
        body: { Image: TEST_IMAGE, Cmd: COMMAND, Labels: { 'berth.bench': '1' }, HostConfig: { Memory: 32 * 1024 * 1024 } },
      });
      await client.json('POST', `/containers/${body.Id}/start`);
      if (i >= WARMUP) samples.push(performance.now() - t0);
      await client.json('DELETE', `/containers/${body.Id}`, { query: { force: true } });
    }
  } finally {
    client.close();
  }
  return samples;
}

async function main() {
  if (spawnSync('docker', ['image', 'inspect', TEST_IMAGE]).status !== 0) {
    console.error(`bench:run-task needs a Docker engine and ${TEST_IMAGE} (bash scripts/build-test-image.sh)`);
    process.exit(1);
  }
  console.log(machineInfo());
  console.log(`docker ${dockerCli('version', '--format', '{{.Server.Version}}')}; ${RUNS} runs each after ${WARMUP} warm-up runs; image ${TEST_IMAGE}\n`);
  const rows: [string, number[]][] = [
    ['docker run -d (CLI)', measureDockerRun()],
    ['Engine API create+start', await measureEngineApi()],
    ['Berth RunTask → RUNNING', await measureBerth()],
  ];
  console.log(`${'what'.padEnd(26)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}`);
  for (const [name, samples] of rows) {
    const s = stats(samples);
    console.log(`${name.padEnd(26)}${fmt(s.p50)}${fmt(s.p95)}${fmt(s.min)}${fmt(s.max)}`);
  }
  const [cli, api, berth] = rows.map(([, s]) => stats(s));
  console.log(`\nBerth overhead: p50 ${fmt(berth.p50 - cli.p50).trim()} over docker run -d, ${fmt(berth.p50 - api.p50).trim()} over a bare create+start`
    + ` (p95 ${fmt(berth.p95 - cli.p95).trim()} / ${fmt(berth.p95 - api.p95).trim()})`);
}

main().catch((err) => { console.error(err); process.exit(1); });
