// bench:scale's fleet phase: a Berth server (child process, SQLite) and `berth agent --runtime
// simulated --fleet N` (a second child process), then RunTask throughput and a big service.
import {
  CreateClusterCommand, CreateServiceCommand, DescribeClustersCommand, DescribeContainerInstancesCommand, DescribeServicesCommand, ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand, RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnBerth as spawnCli } from '../testing/processes.js';
import { repoRoot, spawnBerth } from '../testing/child-server.js';
import { LeanEcsClient } from './lean-client.js';
import { CLIENTS, cpuSeconds, Load, percentiles, rssMiB, type Client } from './scale-measure.js';
import { MAX_TASKS_PER_SERVICE } from '../services/ecs/model/service-inputs.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 1000);
const RUNTASK_CALLS = Number(process.env.BENCH_RUNTASK_CALLS ?? 300);
/** Calls (one per client) made before the measured ones: the server's first RunTask calls run cold
 *  code and open the clients' connections; the bench reports how long that wave took, apart. */
const RUNTASK_WARMUP = Number(process.env.BENCH_RUNTASK_WARMUP ?? CLIENTS);
const SERVICE_TASKS = Number(process.env.BENCH_SERVICE_TASKS ?? 10_000);
const SERVICE_LIMIT_S = Number(process.env.BENCH_SERVICE_LIMIT_S ?? 300);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 10);
const FREEZE = process.env.BENCH_FREEZE === '1';
/** BENCH_RUNTASK_STRATEGY=spread: RunTask spreads each call's tasks over instances (spread on
 *  instanceId), so a call's 10 tasks go to 10 agents; by default (no strategy) they fill the
 *  first instance with room. */
const SPREAD = process.env.BENCH_RUNTASK_STRATEGY === 'spread';

export interface FleetResult {
  instances: number;
  registerSeconds: number;
  runTask: { tasks: number; seconds: number; perSecond: number; p50: number; p99: number;
    /** Whether the calls spread their tasks over instances (BENCH_RUNTASK_STRATEGY=spread). */
    spread: boolean;
    /** The unmeasured first wave: calls, tasks and seconds. */
    warmup: { calls: number; tasks: number; seconds: number };
    /** Server CPU seconds per 1,000 tasks while the calls ran; whether the fleet was paused. */
    windowCpuPer1000: number; frozen: boolean;
    /** With the fleet paused: from its resumption until every task is RUNNING (the reports alone),
     *  server CPU seconds per 1,000 tasks, the seconds it took, and the idle server's share of a
     *  core (heartbeats, telemetry) measured with the fleet's. */
    reports?: { serverCpuPer1000: number; seconds: number; serverIdleShare: number } };
  /** From the first RunTask until the cluster counts every placed task RUNNING (the fleet started
   *  and reported them all): seconds, and CPU seconds per 1,000 tasks of each process. */
  started: { seconds: number; reached: boolean; fleetCpuPer1000: number; serverCpuPer1000: number; fleetIdleShare: number };
  service: { desired: number; running: number; seconds: number; reached: boolean };
  overCommitted: number;
  serverRss: number;
  fleetRss: number;
}

const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));

export async function runFleet(dir: string): Promise<FleetResult> {
  // Each simulated agent holds its ACS and TCS websockets and an HTTP connection for its reports:
  // 1,000 agents need more than the default 2,048 connections.
  const server = await spawnBerth({ store: `sqlite://${join(dir, 'fleet.db')}`, extra: ['--max-connections', String(Math.max(2048, FLEET * 8))] });
  const api: Client = new LeanEcsClient(server.url);
  const cluster = 'fleet';
  await api.send(new CreateClusterCommand({ clusterName: cluster }));
  const t0 = performance.now();
  const fleet = spawnCli(['agent', '--runtime', 'simulated', '--fleet', String(FLEET), '--cluster', cluster, '--endpoint', server.url,
    '--instance-type', 'm5.xlarge', '--state-dir', join(dir, 'fleet')], { cwd: repoRoot });
  try {
    await fleet.waitFor(/fleet: \d+ simulated agents/, 1_800_000);
    let listed = 0;
    for (let token: string | undefined; ;) {
      const page = await api.send(new ListContainerInstancesCommand({ cluster, nextToken: token, maxResults: 100 }));
      listed += page.containerInstanceArns.length;
      if (!(token = page.nextToken)) break;
    }
    const registerSeconds = (performance.now() - t0) / 1000;
    console.error(`bench:scale: ${listed} instances registered in ${registerSeconds.toFixed(1)} s`);

    // RunTask, count 10, 16 clients: tasks acknowledged (placed and written) per second.
    await api.send(new RegisterTaskDefinitionCommand({ family: 'burst', containerDefinitions: [{ name: 'a', image: 'busybox', cpu: 8, memory: 16, command: ['sleep', 'infinity'] }] }));
    // What the idle fleet costs (heartbeats, telemetry, reconciles), over IDLE_S seconds once the
    // connections made after registration have settled (as long again).
    await sleep(IDLE_S * 1000);
    const idle0 = cpuSeconds(fleet.child.pid);
    const serverIdle0 = cpuSeconds(server.child.pid);
    await sleep(IDLE_S * 1000);
    const fleetIdleShare = (cpuSeconds(fleet.child.pid) - idle0) / IDLE_S;
    const serverIdleShare = (cpuSeconds(server.child.pid) - serverIdle0) / IDLE_S;
    let placed = 0;
    const runTask = async (c: Client) => {
      const out = await c.send(new RunTaskCommand({ cluster, taskDefinition: 'burst', count: 10,
        placementStrategy: SPREAD ? [{ type: 'spread', field: 'instanceId' }] : undefined }));
      if (out.failures?.length) throw new Error(`RunTask failures: ${JSON.stringify(out.failures).slice(0, 300)}`);
      placed += out.tasks.length;
    };
    const load = new Load(server.url);
    const w0 = performance.now();
    await load.run(RUNTASK_WARMUP, 0, runTask);
    const warmup = { calls: RUNTASK_WARMUP, tasks: placed, seconds: (performance.now() - w0) / 1000 };
    placed = 0;
    const fleetCpu0 = cpuSeconds(fleet.child.pid);
    const serverCpu0 = cpuSeconds(server.child.pid);
    // BENCH_FREEZE=1: the fleet is paused (SIGSTOP) while the RunTask calls run, so that the
    // window holds the launch path alone (no reports); the payloads wait in the sockets.
    if (FREEZE) process.kill(fleet.child.pid!, 'SIGSTOP');
    const start = performance.now();
    const lat = percentiles(await load.run(RUNTASK_CALLS, 0, runTask));
    load.close();
    const seconds = (performance.now() - start) / 1000;
    const serverCpuResumed = cpuSeconds(server.child.pid);
    const windowCpuPer1000 = ((serverCpuResumed - serverCpu0) * 1000) / placed;
    const resumed = performance.now();
    if (FREEZE) process.kill(fleet.child.pid!, 'SIGCONT');
    console.error(`bench:scale: ${placed} RunTask tasks in ${seconds.toFixed(1)} s`);
    let runningNow = 0;
    for (;;) {
      const described = await api.send(new DescribeClustersCommand({ clusters: [cluster] }));
      runningNow = described.clusters[0]?.runningTasksCount ?? 0;
      if (runningNow >= placed + warmup.tasks || (performance.now() - start) / 1000 > SERVICE_LIMIT_S) break;
      await sleep(100);
    }
    const startedSeconds = (performance.now() - start) / 1000;
    const reports = FREEZE ? {
      serverCpuPer1000: ((cpuSeconds(server.child.pid) - serverCpuResumed) * 1000) / placed, seconds: (performance.now() - resumed) / 1000, serverIdleShare,
    } : undefined;
    const started = {
      seconds: startedSeconds, reached: runningNow >= placed + warmup.tasks, fleetIdleShare,
      fleetCpuPer1000: ((cpuSeconds(fleet.child.pid) - fleetCpu0) * 1000) / placed,
      serverCpuPer1000: ((cpuSeconds(server.child.pid) - serverCpu0) * 1000) / placed,
    };
    console.error(`bench:scale: ${runningNow} of them RUNNING after ${startedSeconds.toFixed(1)} s`);

    // A service of SERVICE_TASKS tasks: time until runningCount reaches it.
    await api.send(new RegisterTaskDefinitionCommand({ family: 'svc', containerDefinitions: [{ name: 'a', image: 'busybox', cpu: 4, memory: 8, command: ['sleep', 'infinity'] }] }));
    // ECS allows 5,000 tasks per service (MAX_TASKS_PER_SERVICE): more are split over services
    // created together, timed until their runningCounts add up to SERVICE_TASKS.
    const s0 = performance.now();
    const names: string[] = [];
    for (let left = SERVICE_TASKS, i = 0; left > 0; left -= MAX_TASKS_PER_SERVICE, i++) {
      names.push(`big-${i}`);
      await api.send(new CreateServiceCommand({ cluster, serviceName: `big-${i}`, taskDefinition: 'svc', desiredCount: Math.min(left, MAX_TASKS_PER_SERVICE) }));
    }
    let running = 0;
    let reported = 0;
    for (; names.length > 0;) {
      const described = await api.send(new DescribeServicesCommand({ cluster, services: names }));
      running = described.services.reduce((n: number, s: { runningCount: number }) => n + s.runningCount, 0);
      const pending = described.services.reduce((n: number, s: { pendingCount: number }) => n + s.pendingCount, 0);
      const at = Math.floor((performance.now() - s0) / 5000);
      if (at > reported) { reported = at; console.error(`bench:scale: service tasks after ${at * 5} s: ${running} RUNNING, ${pending} PENDING`); }
      if (running >= SERVICE_TASKS || (performance.now() - s0) / 1000 > SERVICE_LIMIT_S) break;
      await sleep(250);
    }
    const serviceSeconds = (performance.now() - s0) / 1000;

    // No over-commit: every instance's remaining CPU and memory are non-negative.
    let overCommitted = 0;
    for (let token: string | undefined; ;) {
      const page = await api.send(new ListContainerInstancesCommand({ cluster, nextToken: token, maxResults: 100 }));
      const described = await api.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: page.containerInstanceArns }));
      for (const ci of described.containerInstances) {
        const remaining = (name: string) => ci.remainingResources.find((r: { name: string }) => r.name === name)?.integerValue ?? 0;
        if (remaining('CPU') < 0 || remaining('MEMORY') < 0) overCommitted++;
      }
      if (!(token = page.nextToken)) break;
    }
    return {
      instances: listed, registerSeconds,
      runTask: { tasks: placed, seconds, perSecond: placed / seconds, p50: lat.p50, p99: lat.p99, warmup, spread: SPREAD, windowCpuPer1000, frozen: FREEZE, reports }, started,
      service: { desired: SERVICE_TASKS, running, seconds: serviceSeconds, reached: running >= SERVICE_TASKS },
      overCommitted, serverRss: rssMiB(server.child.pid), fleetRss: rssMiB(fleet.child.pid),
    };
  } finally {
    await fleet.kill('SIGTERM');
    await server.stop();
  }
}
