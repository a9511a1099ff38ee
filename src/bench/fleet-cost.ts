// `node dist/bench/fleet-cost.js`: what a simulated fleet spends per task, measured apart from the
// server. The server is a child process; the fleet (BENCH_FLEET agents, default 50: few enough
// that their idle cost is small next to the tasks') runs in this process, so this process's CPU
// time (process.cpuUsage) is the fleet's, plus the RunTask client's (one signed body, reused).
// Prints CPU ms per task from the first RunTask until the cluster counts every task RUNNING (each
// task received over ACS, started in the simulated runtime and reported), the idle fleet's CPU
// over the same time subtracted, and the same for the server.
import { CreateClusterCommand, DescribeClustersCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFleet } from '../agent/fleet.js';
import { VERSION } from '../server/berth.js';
import { spawnBerth } from '../testing/child-server.js';
import { LeanEcsClient } from './lean-client.js';
import { cpuSeconds } from './scale-measure.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 50);
const CALLS = Number(process.env.BENCH_RUNTASK_CALLS ?? 200);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-fleet-cost-'));
  const server = await spawnBerth({ store: `sqlite://${join(dir, 'db')}` });
  const api = new LeanEcsClient(server.url);
  const fleet = await (async () => {
    await api.send(new CreateClusterCommand({ clusterName: 'cost' }));
    await api.send(new RegisterTaskDefinitionCommand({ family: 'burst', containerDefinitions: [{ name: 'a', image: 'busybox', cpu: 8, memory: 16, command: ['sleep', 'infinity'] }] }));
    return startFleet({ endpoint: server.url, cluster: 'cost', runtime: 'simulated', version: VERSION, size: FLEET, instanceType: 'm5.xlarge',
      stateDir: join(dir, 'fleet'), log: () => {} });
  })();
  try {
    await sleep(IDLE_S * 1000); // connections settle
    const idle0 = ownCpu();
    await sleep(IDLE_S * 1000);
    const idleShare = (ownCpu() - idle0) / IDLE_S;

    const fleet0 = ownCpu();
    const server0 = cpuSeconds(server.child.pid);
    const t0 = performance.now();
    let placed = 0;
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      const client = new LeanEcsClient(server.url);
      for (let i = next++; i < CALLS; i = next++) {
        const out = await client.send<{ tasks: unknown[]; failures?: unknown[] }>(new RunTaskCommand({ cluster: 'cost', taskDefinition: 'burst', count: 10 }));
        if (out.failures?.length) throw new Error(`RunTask failures: ${JSON.stringify(out.failures).slice(0, 300)}`);
        placed += out.tasks.length;
      }
      client.destroy();
    }));
    for (;;) {
      const out = await api.send<{ clusters: { runningTasksCount: number }[] }>(new DescribeClustersCommand({ clusters: ['cost'] }));
      if (out.clusters[0].runningTasksCount >= placed) break;
      await sleep(50);
    }
    const seconds = (performance.now() - t0) / 1000;
    const fleetCpu = ownCpu() - fleet0;
    const serverCpu = cpuSeconds(server.child.pid) - server0;
    const reports = fleet.agents.reduce((n, a) => n + a.reporter.submitted, 0);
    console.log(`fleet of ${FLEET} (idle: ${(idleShare * 100).toFixed(1)}% of a core); ${placed} tasks RUNNING after ${seconds.toFixed(1)} s; ${reports} reports`);
    console.log(`CPU per task: fleet ${((fleetCpu * 1000) / placed).toFixed(3)} ms (${(((fleetCpu - idleShare * seconds) * 1000) / placed).toFixed(3)} ms above idle),`
      + ` server ${((serverCpu * 1000) / placed).toFixed(3)} ms`);
  } finally {
    await fleet.stop();
    api.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
