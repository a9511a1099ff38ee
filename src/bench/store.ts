// `npm run bench:store`: get/put/txn latency per store driver, measured in one run so the numbers
// compare: memory (the peer every ratio is against), sqlite (a temp file, WAL) and etcd (when
// BERTH_BENCH_ETCD or BERTH_TEST_ETCD names one, e.g. http://127.0.0.1:2379; else skipped, said so).
// Each driver first gets PRELOAD keys, so reads are not answered from an empty store. Operations:
//   get     one key read (random key)
//   put     one unconditional write
//   txn     the ECS write shape: record create (compare: must not exist) + index key + counter add
//   latest  descending range, limit 1, over a 1,000-key family (the newest task definition revision)
//   page    list, limit 100, from a random startAfter
//   txn x16 the txn above with 16 in flight (throughput, ops/s)
// Then, for sqlite, the CPU a write transaction costs in the shapes of the launch path (the RunTask
// benchmark's profile): `launch` is one txn placing 10 tasks (10 new ~1.5 KB records under random
// keys, 10 ~3.8 KB container-instance records rewritten under compares, 20 index keys, counters);
// `report` is 10 agent reports issued in one turn (each: a task rewritten, an index key moved), so
// one group commit. CPU is the process's (all threads) and the main thread's alone (schedstat),
// per task, over a store already holding BENCH_WRITE_PRELOAD (20000) task records.
// Environment: BENCH_OPS (2000 per operation), BENCH_PRELOAD (10000), BENCH_WRITE_TASKS (6000),
// BENCH_WRITE_ONLY=1 (only the write-cost part).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../store/open.js';
import type { Op, Store } from '../store/types.js';

const OPS = Number(process.env.BENCH_OPS ?? 2_000);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 10_000);
const FAMILY = 1_000;
const CONCURRENCY = 16;
const WRITE_TASKS = Number(process.env.BENCH_WRITE_TASKS ?? 6_000);
const WRITE_PRELOAD = Number(process.env.BENCH_WRITE_PRELOAD ?? 20_000);
const BATCH = 10;
const INSTANCES = 100;

interface Row { driver: string; op: string; p50: number; p99: number; opsPerSec: number }

const pad = (i: number, n = 8) => String(i).padStart(n, '0');
const rand = (n: number) => Math.floor(Math.random() * n);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure(driver: string, op: string, fn: (i: number) => Promise<unknown>, concurrency = 1): Promise<Row> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < OPS; i = next++) {
      const t = performance.now();
      await fn(i);
      latencies.push(performance.now() - t);
    }
  }));
  const total = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return { driver, op, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), opsPerSec: OPS / (total / 1000) };
}

async function preload(store: Store) {
  const batch: Op[] = [];
  const flush = async () => { if (batch.length) await store.txn([], batch.splice(0)); };
  for (let i = 0; i < PRELOAD; i++) {
    batch.push({ type: 'put', key: `/bench/rec/${pad(i)}`, value: JSON.stringify({ i, status: 'RUNNING', padding: 'x'.repeat(200) }) });
    if (batch.length === 100) await flush();
  }
  for (let i = 0; i < FAMILY; i++) {
    batch.push({ type: 'put', key: `/bench/family/${pad(i)}`, value: `{"revision":${i}}` });
    if (batch.length === 100) await flush();
  }
  await flush();
}

async function bench(driver: string, store: Store): Promise<Row[]> {
  await store.wipe();
  await preload(store);
  const rows: Row[] = [];
  const run = Date.now().toString(36);
  const txn = (i: number, tag: string) => store.txn([{ key: `/bench/new/${run}/${tag}/${i}`, modRevision: 0 }], [
    { type: 'put', key: `/bench/new/${run}/${tag}/${i}`, value: '{"status":"PENDING"}' },
    { type: 'put', key: `/bench/idx/PENDING/${run}/${tag}/${i}`, value: '' },
    { type: 'add', key: `/bench/count/pending`, delta: 1 },
  ]);
  rows.push(await measure(driver, 'get', () => store.get(`/bench/rec/${pad(rand(PRELOAD))}`)));
  rows.push(await measure(driver, 'put', (i) => store.update(`/bench/rec/${pad(i % PRELOAD)}`, `{"i":${i}}`)));
  rows.push(await measure(driver, 'txn', (i) => txn(i, 'seq')));
  rows.push(await measure(driver, 'latest', () => store.list('/bench/family/', { descending: true, limit: 1 })));
  rows.push(await measure(driver, 'page', () => store.list('/bench/rec/', { limit: 100, startAfter: `/bench/rec/${pad(rand(PRELOAD))}` })));
  rows.push(await measure(driver, `txn x${CONCURRENCY}`, (i) => txn(i, 'par'), CONCURRENCY));
  const counter = Number((await store.get('/bench/count/pending'))?.value);
  if (counter !== OPS * 2) throw new Error(`${driver}: the counter says ${counter} after ${OPS * 2} adds`);
  await store.wipe();
  return rows;
}

/** CPU time of this thread (the main one), in ms: Linux's schedstat counts nanoseconds. */
function mainThreadCpuMs() {
  try { return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6; } catch { return NaN; }
}
const processCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** A JSON record of about `size` bytes; the padding is random (from a pool made beforehand, so
 *  making it costs little next to the store). */
const pads = Array.from({ length: 256 }, () => randomBytes(2_000).toString('hex'));
const record = (fields: object, size: number) => JSON.stringify({ ...fields, pad: pads[rand(pads.length)].slice(0, size - 60) });

interface WriteCost { driver: string; shape: string; processMs: number; mainMs: number }

/** CPU per task of the launch path's write shapes (see the header), on a fresh sqlite file. */
async function writeCost(driver: string, url: string): Promise<WriteCost[]> {
  const store = openStore(url);
  const T = '/ecs/000000000000/us-east-1';
  try {
    const ids: string[] = [];
    for (let i = 0; i < WRITE_PRELOAD; i += 100) {
      const ops: Op[] = [];
      for (let j = i; j < Math.min(WRITE_PRELOAD, i + 100); j++) {
        const id = randomBytes(16).toString('hex');
        ids.push(id);
        ops.push({ type: 'put', key: `${T}/task/${id}`, value: record({ id, lastStatus: 'RUNNING' }, 1_500) });
      }
      await store.txn([], ops);
    }
    for (let i = 0; i < INSTANCES; i++) await store.create(`${T}/instance/${pad(i)}`, record({ i, remaining: 0 }, 3_800));
    const launched: string[] = [];
    const launch = async (n: number) => {
      const picked = Array.from({ length: BATCH }, (_, k) => `${T}/instance/${pad((n * BATCH + k) % INSTANCES)}`);
      const compares = await Promise.all(picked.map(async (key) => ({ key, modRevision: (await store.get(key))!.modRevision })));
      const ops: Op[] = [];
      for (const key of picked) {
        const id = randomBytes(16).toString('hex');
        launched.push(id);
        ops.push({ type: 'put', key: `${T}/task/${id}`, value: record({ id, lastStatus: 'PROVISIONING' }, 1_500) },
          { type: 'put', key: `${T}/idx/status/PROVISIONING/${id}`, value: '' },
          { type: 'put', key: `${T}/idx/instance/${key.slice(-8)}/${id}`, value: '' },
          { type: 'put', key, value: record({ key, n }, 3_800) });
      }
      ops.push({ type: 'add', key: `${T}/count/tasks`, delta: BATCH }, { type: 'add', key: `${T}/count/PROVISIONING`, delta: BATCH });
      if (!(await store.txn(compares, ops)).succeeded) throw new Error('launch: lost a compare');
    };
    const report = (id: string) => store.get(`${T}/task/${id}`).then((kv) => store.txn([{ key: kv!.key, modRevision: kv!.modRevision }], [
      { type: 'put', key: kv!.key, value: record({ id, lastStatus: 'RUNNING' }, 1_500) },
      { type: 'delete', key: `${T}/idx/status/PROVISIONING/${id}` },
      { type: 'put', key: `${T}/idx/status/RUNNING/${id}`, value: '' },
    ]));
    const out: WriteCost[] = [];
    const time = async (shape: string, fn: (n: number) => Promise<unknown>) => {
      const [p0, m0] = [processCpuMs(), mainThreadCpuMs()];
      for (let n = 0; n < WRITE_TASKS / BATCH; n++) await fn(n);
      out.push({ driver, shape, processMs: (processCpuMs() - p0) / WRITE_TASKS, mainMs: (mainThreadCpuMs() - m0) / WRITE_TASKS });
    };
    await time('launch', launch);
    await time('report', (n) => Promise.all(launched.slice(n * BATCH, (n + 1) * BATCH).map(report)));
    return out;
  } finally {
    await store.close();
  }
}

async function main() {
  if (process.env.BENCH_WRITE_ONLY !== '1') await latencies();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));
  try {
    console.log(`# write CPU per task (ms), ${WRITE_TASKS} tasks in txns of ${BATCH}, ${WRITE_PRELOAD} task records preloaded`);
    console.log(['driver', 'shape', 'process', 'main thread'].map((h, i) => (i < 2 ? h.padEnd(9) : h.padStart(13))).join(''));
    const rows = await writeCost('sqlite', `sqlite://${join(dir, 'write.db')}`);
    for (const r of rows) {
      console.log([r.driver.padEnd(9), r.shape.padEnd(9), r.processMs.toFixed(3).padStart(13), r.mainMs.toFixed(3).padStart(13)].join(''));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function latencies() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));
  const etcd = process.env.BERTH_BENCH_ETCD ?? process.env.BERTH_TEST_ETCD;
  const drivers: [string, string][] = [['memory', 'memory://'], ['sqlite', `sqlite://${join(dir, 'bench.db')}`]];
  if (etcd) drivers.push(['etcd', `etcd://${etcd.split(',').map((u) => new URL(u).host).join(',')}/berth-bench-${Date.now().toString(36)}`]);
  else console.log('# etcd: skipped (set BERTH_BENCH_ETCD=http://host:2379 to include it)');
  console.log(`# ${OPS} operations each, ${PRELOAD} keys preloaded, latencies in ms`);
  const rows: Row[] = [];
  try {
    for (const [name, url] of drivers) {
      const store = openStore(url);
      try { rows.push(...await bench(name, store)); } finally { await store.close(); }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const peer = new Map(rows.filter((r) => r.driver === 'memory').map((r) => [r.op, r]));
  console.log(['driver', 'op', 'p50 ms', 'p99 ms', 'ops/s', 'p50 vs memory'].map((h, i) => (i < 2 ? h.padEnd(9) : h.padStart(15))).join(''));
  for (const r of rows) {
    const ratio = r.p50 / peer.get(r.op)!.p50;
    console.log([r.driver.padEnd(9), r.op.padEnd(9), r.p50.toFixed(3).padStart(15), r.p99.toFixed(3).padStart(15),
      r.opsPerSec.toFixed(0).padStart(15), `${ratio.toFixed(1)}x`.padStart(15)].join(''));
  }
}

await main();
