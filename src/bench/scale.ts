// `npm run bench:scale` (issue 8 point 5): what Berth's control plane costs as history grows, and
// its end-to-end throughput with a simulated fleet. Not run in CI (it takes minutes).
//  1. Read latency p50/p99 (16 clients) of the point-3 calls with BENCH_SIZES (default 1,000,
//     10,000, 100,000) stored task definition revisions and tasks (scale-populate.ts writes them
//     with their index keys into the SQLite file between server runs), Berth as a child process
//     on that file; the same calls on moto_server with 10,000 revisions registered through its
//     API, in the same run (moto holds no tasks: it needs EC2 instances behind container
//     instances, so task rows are Berth-only). Server RSS at each size.
//  2. RunTask end to end (count 10, 16 clients) on a fleet of BENCH_FLEET (1,000) simulated
//     instances (`berth agent --runtime simulated --fleet N`, a second child process): tasks
//     acknowledged (placed and written) per second.
//  3. BENCH_SERVICE_TASKS (10,000) service tasks on that fleet (services of at most 5,000, ECS's
//     limit per service): seconds until their runningCounts add up to it; then every
//     instance's remaining resources are checked non-negative.
import { CreateClusterCommand, CreateServiceCommand, RegisterContainerInstanceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite.js';
import { spawnBerth } from '../testing/child-server.js';
import { LeanEcsClient } from './lean-client.js';
import { runFleet, type FleetResult } from './scale-fleet.js';
import { latency, ms, rssMiB, type Client, type Latency } from './scale-measure.js';
import { addRevisions, addTasks, containerDefinitions, familyOfRevision } from './scale-populate.js';
import { READS, type ReadState } from './scale-reads.js';
import { machineInfo, startMoto } from './targets.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const MOTO_SIZE = Number(process.env.BENCH_MOTO_SIZE ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 40);
const INSTANCES = 100;

interface SizeResult { size: number; reads: Map<string, Latency>; rss: number }

async function berthReads(dir: string): Promise<SizeResult[]> {
  const file = join(dir, 'reads.db');
  const store = `sqlite://${file}`;
  // The cluster, its instances and services through the API (what an agent and a user do).
  let server = await spawnBerth({ store });
  const api: Client = new LeanEcsClient(server.url);
  const cluster = 'scale';
  await api.send(new CreateClusterCommand({ clusterName: cluster }));
  await api.send(new RegisterTaskDefinitionCommand({ family: 'app', containerDefinitions }));
  const instanceArns: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const out = await api.send(new RegisterContainerInstanceCommand({ cluster, versionInfo: { agentVersion: '1.0.0-bench' }, totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 4096 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 16_000 }] }));
    instanceArns.push(out.containerInstance.containerInstanceArn);
  }
  const serviceArns: string[] = [];
  for (const name of ['api', 'web', 'worker']) {
    serviceArns.push((await api.send(new CreateServiceCommand({ cluster, serviceName: name, taskDefinition: 'app', desiredCount: 0 }))).service.serviceArn);
  }
  await server.stop();

  const out: SizeResult[] = [];
  let stored = 0;
  for (const size of SIZES) {
    const db = openSqliteStore(file);
    // "app" already holds revision 1 (registered above): the history adds the rest.
    await addRevisions(db, stored, size);
    await addTasks(db, cluster, instanceArns, stored, size);
    await db.close();
    stored = size;
    server = await spawnBerth({ store });
    const taskArns = Array.from({ length: 200 }, (_, k) => `arn:aws:ecs:us-east-1:000000000000:task/${cluster}/bench${String(Math.floor((k * size) / 200)).padStart(27, '0')}`);
    const state: ReadState = { cluster, revisions: size, taskArns, serviceArns, tasks: true };
    const reads = new Map<string, Latency>();
    try {
      for (const r of READS) reads.set(r.name, await latency(server.url, REQUESTS, WARMUP, (c, i) => r.call(c, state, i)));
      out.push({ size, reads, rss: rssMiB(server.child.pid) });
      console.error(`bench:scale: Berth reads at ${size} measured (RSS ${rssMiB(server.child.pid).toFixed(0)} MiB)`);
    } finally {
      await server.stop();
    }
  }
  return out;
}

async function motoReads(): Promise<SizeResult | undefined> {
  let moto;
  try { moto = await startMoto(); } catch (err) { console.error(`bench:scale: no moto_server (${(err as Error).message}): moto column left out`); return undefined; }
  try {
    const clients: Client[] = Array.from({ length: 16 }, () => new LeanEcsClient(moto.url));
    // Family "big" gets every even revision: registering them in order keeps its numbering.
    let next = 0;
    await Promise.all(clients.map(async (c) => {
      for (let i = next++; i < MOTO_SIZE; i = next++) await c.send(new RegisterTaskDefinitionCommand({ family: familyOfRevision(i), containerDefinitions }));
    }));
    const api = clients[0];
    await api.send(new CreateClusterCommand({ clusterName: 'scale' }));
    await api.send(new RegisterTaskDefinitionCommand({ family: 'app', containerDefinitions }));
    const serviceArns: string[] = [];
    for (const name of ['api', 'web', 'worker']) {
      serviceArns.push((await api.send(new CreateServiceCommand({ cluster: 'scale', serviceName: name, taskDefinition: 'app', desiredCount: 0 }))).service.serviceArn);
    }
    const state: ReadState = { cluster: 'scale', revisions: MOTO_SIZE, taskArns: [], serviceArns, tasks: false };
    const reads = new Map<string, Latency>();
    for (const r of READS) if (!r.tasks) reads.set(r.name, await latency(moto.url, REQUESTS, WARMUP, (c, i) => r.call(c, state, i)));
    console.error(`bench:scale: moto reads at ${MOTO_SIZE} measured`);
    return { size: MOTO_SIZE, reads, rss: NaN };
  } finally {
    await moto.close();
  }
}

function printReads(berth: SizeResult[], moto: SizeResult | undefined) {
  const sizes = berth.map((r) => r.size);
  const head = ['call'.padEnd(40), ...sizes.map((s) => `Berth ${s.toLocaleString('en')} p50/p99`.padStart(26)),
    moto ? `moto ${moto.size.toLocaleString('en')} p50/p99`.padStart(24) : '', `  ${sizes.at(-1)}/${sizes[0]}`, moto ? '  moto/Berth@' + moto.size : ''];
  console.log(head.join(''));
  for (const r of READS) {
    const cells = berth.map((b) => { const l = b.reads.get(r.name)!; return `${ms(l.p50)} / ${ms(l.p99)} ms`.padStart(26); });
    const m = moto?.reads.get(r.name);
    const first = berth[0].reads.get(r.name)!.p50;
    const last = berth.at(-1)!.reads.get(r.name)!.p50;
    const same = berth.find((b) => b.size === moto?.size)?.reads.get(r.name);
    console.log([r.name.padEnd(40), ...cells, moto ? (m ? `${ms(m.p50)} / ${ms(m.p99)} ms` : '—').padStart(24) : '',
      `${(last / first).toFixed(2)}×`.padStart(sizes.join('').length > 0 ? 12 : 0),
      moto ? (m && same ? `${(m.p50 / same.p50).toFixed(1)}×` : '—').padStart(14) : ''].join(''));
  }
  console.log(['server RSS (MiB)'.padEnd(40), ...berth.map((b) => b.rss.toFixed(0).padStart(26))].join(''));
}

function printFleet(f: FleetResult) {
  console.log(`\nfleet: ${f.instances} simulated instances registered in ${f.registerSeconds.toFixed(1)} s (fleet process RSS ${f.fleetRss.toFixed(0)} MiB)`);
  console.log(`RunTask count 10, 16 clients: ${f.runTask.tasks} tasks acknowledged in ${f.runTask.seconds.toFixed(2)} s = ${f.runTask.perSecond.toFixed(0)} tasks/s`
    + ` (p50 ${ms(f.runTask.p50)} ms, p99 ${ms(f.runTask.p99)} ms per call)`);
  console.log(`  ${f.started.reached ? 'all RUNNING' : 'NOT all RUNNING (gave up)'} after ${f.started.seconds.toFixed(1)} s; CPU per 1,000 tasks placed, started and reported:`
    + ` fleet ${f.started.fleetCpuPer1000.toFixed(2)} s, server ${f.started.serverCpuPer1000.toFixed(2)} s`
    + ` (the idle fleet before: ${(f.started.fleetIdleShare * 100).toFixed(1)}% of a core, so`
    + ` ${(f.started.fleetCpuPer1000 - (f.started.fleetIdleShare * f.started.seconds * 1000) / f.runTask.tasks).toFixed(2)} s above idle)`);
  console.log(f.service.reached
    ? `service tasks (${f.service.desired}, in services of at most 5,000): runningCounts add up to ${f.service.desired} after ${f.service.seconds.toFixed(1)} s`
    : `service tasks (${f.service.desired}, in services of at most 5,000): runningCount ${f.service.running} after ${f.service.seconds.toFixed(1)} s (gave up)`);
  console.log(`over-commit check: ${f.overCommitted === 0 ? 'no instance has negative remaining CPU or memory' : `${f.overCommitted} instances OVER-COMMITTED`}`);
  console.log(`server RSS after the fleet runs: ${f.serverRss.toFixed(0)} MiB`);
}

async function main() {
  console.log(machineInfo());
  console.log(`sizes ${SIZES.join(', ')}; ${REQUESTS} requests per call after ${WARMUP} warm-up, 16 clients; Berth on SQLite (child process)\n`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-scale-'));
  try {
    const phases = (process.env.BENCH_PHASES ?? 'reads,fleet').split(',');
    if (phases.includes('reads')) {
      const berth = await berthReads(dir);
      const moto = await motoReads();
      printReads(berth, moto);
    }
    if (phases.includes('fleet')) printFleet(await runFleet(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
