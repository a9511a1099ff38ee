// bench:scale phase 1: read latency of the point-3 calls (scale-reads.ts) with BENCH_SIZES stored
// revisions and tasks, Berth against moto_server in the same run.
//
// moto_server gets MOTO_SIZE revisions registered through its API first and stays up. At that
// size, each call is measured on Berth and on moto in alternating rounds (BENCH_ROUNDS, 4 by
// default, the order swapped every round) rather than all of Berth then all of moto: on a shared
// machine the load of other work moves over minutes, and alternating gives both servers the
// same share of it. Each Berth server is measured once it has settled (its start-up work
// done) and has answered every call 5 × WARMUP times (so has moto). Besides latency, the Berth server's CPU time per request is printed: it is what a
// read costs the server, whatever else the machine is doing.
import { CreateClusterCommand, CreateServiceCommand, RegisterContainerInstanceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite.js';
import { spawnBerth } from '../testing/child-server.js';
import { LeanEcsClient } from './lean-client.js';
import { cpuMs, Load, ms, percentiles, rssMiB, settle, type Client, type Latency } from './scale-measure.js';
import { addRevisions, addTasks, containerDefinitions, familyOfRevision } from './scale-populate.js';
import { READS, type ReadCall, type ReadState } from './scale-reads.js';
import { startMoto, type Target } from './targets.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
/** 0: no moto column. */
const MOTO_SIZE = Number(process.env.BENCH_MOTO_SIZE ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 40);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const INSTANCES = 100;
/** BENCH_READS: only the read calls whose name contains one of these (comma-separated) substrings. */
const ONLY = process.env.BENCH_READS?.split(',').filter(Boolean);
const CALLS = ONLY ? READS.filter((r) => ONLY.some((o) => r.name.includes(o))) : READS;

interface Measured { latency: Latency; cpuPerRequest?: number }
interface SizeResult { size: number; reads: Map<string, Measured>; moto?: Map<string, Measured>; rss: number }

interface Moto { target: Target; state: ReadState }

/** moto_server with MOTO_SIZE revisions, a cluster and its services; undefined without moto_server. */
async function startMotoReads(): Promise<Moto | undefined> {
  if (MOTO_SIZE === 0 || !SIZES.includes(MOTO_SIZE)) return undefined;
  let target: Target;
  try { target = await startMoto(); } catch (err) { console.error(`bench:scale: no moto_server (${(err as Error).message}): moto column left out`); return undefined; }
  try {
    const clients: Client[] = Array.from({ length: 16 }, () => new LeanEcsClient(target.url));
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
    for (const c of clients) c.destroy?.();
    console.error(`bench:scale: moto_server holds ${MOTO_SIZE} revisions`);
    return { target, state: { cluster: 'scale', revisions: MOTO_SIZE, taskArns: [], serviceArns, tasks: false } };
  } catch (err) {
    await target.close();
    throw err;
  }
}

/** One call on Berth (and on moto, alternating rounds, when given). */
async function measure(r: ReadCall, berth: { url: string; pid: number; state: ReadState }, moto: Moto | undefined) {
  const loads = { berth: new Load(berth.url), moto: moto ? new Load(moto.target.url) : undefined };
  const samples = { berth: [] as number[], moto: [] as number[] };
  let cpu = 0;
  let motoCpu = 0;
  const motoPid = moto?.target.pid;
  try {
    const per = Math.ceil(REQUESTS / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const warmup = round === 0 ? WARMUP : 0;
      const runBerth = async () => {
        const before = cpuMs(berth.pid);
        samples.berth.push(...await loads.berth.run(per, warmup, (c, i) => r.call(c, berth.state, i)));
        cpu += cpuMs(berth.pid) - before;
      };
      const runMoto = async () => {
        if (!loads.moto) return;
        const before = motoPid ? cpuMs(motoPid) : 0;
        samples.moto.push(...await loads.moto.run(per, warmup, (c, i) => r.call(c, moto!.state, i)));
        if (motoPid) motoCpu += cpuMs(motoPid) - before;
      };
      if (round % 2 === 0) { await runBerth(); await runMoto(); } else { await runMoto(); await runBerth(); }
    }
    return {
      berth: { latency: percentiles(samples.berth), cpuPerRequest: cpu / (per * ROUNDS + WARMUP) },
      moto: loads.moto ? { latency: percentiles(samples.moto), cpuPerRequest: motoPid ? motoCpu / (per * ROUNDS + WARMUP) : undefined } : undefined,
    };
  } finally {
    loads.berth.close();
    loads.moto?.close();
  }
}

async function warmUp(url: string, state: ReadState, moto: Moto | undefined) {
  for (const [target, s] of [[url, state], ...(moto ? [[moto.target.url, moto.state]] : [])] as Array<[string, ReadState]>) {
    const load = new Load(target);
    try {
      for (const r of CALLS) if (s.tasks || !r.tasks) await load.run(0, WARMUP * 5, (c, i) => r.call(c, s, i));
    } finally {
      load.close();
    }
  }
}

async function berthReads(dir: string, moto: Moto | undefined): Promise<SizeResult[]> {
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
  api.destroy?.();
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
    const pid = server.child.pid!;
    const taskArns = Array.from({ length: 200 }, (_, k) => `arn:aws:ecs:us-east-1:000000000000:task/${cluster}/bench${String(Math.floor((k * size) / 200)).padStart(27, '0')}`);
    const state: ReadState = { cluster, revisions: size, taskArns, serviceArns, tasks: true };
    const result: SizeResult = { size, reads: new Map(), moto: size === MOTO_SIZE && moto ? new Map() : undefined, rss: NaN };
    try {
      await settle(pid);
      // A round of every call (5 × WARMUP each) before any is measured: the first call measured
      // should not pay for compiling the code paths all calls share, nor for a fresh server's
      // caches filling (at 100,000 stored, a fresh server's first ~600 reads cost it about twice
      // the CPU of later ones). moto gets the same round at its size.
      await warmUp(server.url, state, result.moto ? moto : undefined);
      for (const r of CALLS) {
        const m = await measure(r, { url: server.url, pid, state }, result.moto && !r.tasks ? moto : undefined);
        result.reads.set(r.name, m.berth);
        if (m.moto) result.moto!.set(r.name, m.moto);
      }
      result.rss = rssMiB(pid);
      out.push(result);
      console.error(`bench:scale: reads at ${size} measured (Berth RSS ${result.rss.toFixed(0)} MiB)`);
    } finally {
      await server.stop();
    }
  }
  return out;
}

function printReads(berth: SizeResult[]) {
  const sizes = berth.map((r) => r.size);
  const withMoto = berth.find((b) => b.moto);
  const head = ['call'.padEnd(40), ...sizes.map((s) => `Berth ${s.toLocaleString('en')} p50/p99`.padStart(26)),
    withMoto ? `moto ${withMoto.size.toLocaleString('en')} p50/p99`.padStart(24) : '', `  ${sizes.at(-1)}/${sizes[0]}`, withMoto ? `  moto/Berth@${withMoto.size}` : ''];
  console.log(head.join(''));
  for (const r of CALLS) {
    const cells = berth.map((b) => { const l = b.reads.get(r.name)!.latency; return `${ms(l.p50)} / ${ms(l.p99)} ms`.padStart(26); });
    const m = withMoto?.moto?.get(r.name)?.latency;
    const first = berth[0].reads.get(r.name)!.latency.p50;
    const last = berth.at(-1)!.reads.get(r.name)!.latency.p50;
    const same = withMoto?.reads.get(r.name)?.latency;
    console.log([r.name.padEnd(40), ...cells, withMoto ? (m ? `${ms(m.p50)} / ${ms(m.p99)} ms` : '—').padStart(24) : '',
      `${(last / first).toFixed(2)}×`.padStart(12),
      withMoto ? (m && same ? `${(m.p50 / same.p50).toFixed(1)}×` : '—').padStart(14) : ''].join(''));
  }
  console.log(['server RSS (MiB)'.padEnd(40), ...berth.map((b) => b.rss.toFixed(0).padStart(26))].join(''));
  console.log(`\nserver CPU time per request (ms; ${REQUESTS} requests in ${ROUNDS} rounds${withMoto ? ', alternating with moto' : ''}):`);
  console.log(['call'.padEnd(40), ...sizes.map((s) => `Berth ${s.toLocaleString('en')}`.padStart(14)), withMoto ? `moto ${withMoto.size.toLocaleString('en')}`.padStart(14) : ''].join(''));
  for (const r of CALLS) {
    console.log([r.name.padEnd(40), ...berth.map((b) => ms(b.reads.get(r.name)!.cpuPerRequest).padStart(14)),
      withMoto ? ms(withMoto.moto?.get(r.name)?.cpuPerRequest).padStart(14) : ''].join(''));
  }
}

export async function readsPhase(dir: string): Promise<void> {
  console.log(`reads: sizes ${SIZES.join(', ')}; ${REQUESTS} requests per call (${ROUNDS} rounds) after ${WARMUP} warm-up, 16 clients; Berth on SQLite (child process)\n`);
  const moto = await startMotoReads();
  try {
    printReads(await berthReads(dir, moto));
  } finally {
    await moto?.target.close();
  }
}
