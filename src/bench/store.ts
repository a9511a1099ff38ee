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
// Environment: BENCH_OPS (2000 per operation), BENCH_PRELOAD (10000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../store/open.js';
import type { Op, Store } from '../store/types.js';

const OPS = Number(process.env.BENCH_OPS ?? 2_000);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 10_000);
const FAMILY = 1_000;
const CONCURRENCY = 16;

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

async function main() {
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
