// `npm run bench:api`: the same ECS workload against Berth (child process, default SQLite store,
// so every write is durable) and moto_server, with 16 concurrent clients: by default a lean
// SigV4-signing HTTP client (src/bench/lean-client.ts) so the load generator, which shares the 2
// cores with the server under test, is not the bottleneck; BENCH_CLIENT=sdk uses @aws-sdk/client-ecs.
// Every response is checked; any error response fails the row loudly (it never counts as
// throughput) and the run exits non-zero. BENCH_REQUESTS / BENCH_WARMUP change the request counts.
// Berth runs twice: --auth open and --auth strict (every signature verified against the root key;
// root needs no policy evaluation), and the per-request cost of SigV4 verification is measured
// in-process. BENCH_AUTH=open skips the strict server. Open and strict are measured interleaved
// (ROUNDS = 10 chunks each, alternating which goes first) so that load from others sharing the machine
// falls on both alike; their ratio is the comparison that matters.
import {
  CreateClusterCommand, DescribeClustersCommand, DescribeTaskDefinitionCommand, ECSClient,
  ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { performance } from 'node:perf_hooks';
import { LeanEcsClient } from './lean-client.js';
import { verificationCost } from './sigv4-cost.js';
import { machineInfo, startBerthTarget, startMoto, type Target } from './targets.js';

const CLIENTS = 16;
const CLIENT_KIND = process.env.BENCH_CLIENT === 'sdk' ? 'sdk' : 'lean';
/** What the workloads need of a client: the SDK's send(command) (outputs are read as plain JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Client = { send(command: any): Promise<any>; destroy(): void };
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
/** ListTaskDefinitions reads one family with this many revisions (moto ignores maxResults, so stay under a page). */
const LIST_REVISIONS = 50;

/** Per target: what earlier steps created, for the later ones to read. */
interface State { taskDefinitionArns: string[]; clusters: string[] }

interface Workload {
  op: string;
  /** Runs once per target before the warm-up (not measured). */
  setup?(client: Client, state: State): Promise<void>;
  /** Request number i (warm-up first, then measured) from worker w; throws on a wrong answer. */
  request(client: Client, state: State, i: number, w: number): Promise<void>;
}

const containerDefinitions = [{ name: 'web', image: 'nginx:1.27', memory: 256, cpu: 128, essential: true,
  portMappings: [{ containerPort: 80, protocol: 'tcp' as const }], environment: [{ name: 'MODE', value: 'bench' }] }];

const workloads: Workload[] = [
  {
    op: 'RegisterTaskDefinition',
    async request(client, state, _i, w) {
      const out = await client.send(new RegisterTaskDefinitionCommand({ family: `bench-w${w}`, containerDefinitions }));
      const arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn || out.taskDefinition?.family !== `bench-w${w}`) throw wrong('a task definition of family bench-w' + w, out);
      state.taskDefinitionArns.push(arn);
    },
  },
  {
    op: 'DescribeTaskDefinition',
    async request(client, state, i) {
      const arns = state.taskDefinitionArns;
      if (arns.length === 0) throw new Error('no task definitions to describe (RegisterTaskDefinition failed)');
      const arn = arns[(i * 7919) % arns.length];
      const ref = arn.slice(arn.indexOf('/') + 1); // family:revision, the usual way to name one
      const out = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
      if (out.taskDefinition?.taskDefinitionArn !== arn) throw wrong(arn, out);
    },
  },
  {
    op: 'ListTaskDefinitions',
    async setup(client) {
      for (let i = 0; i < LIST_REVISIONS; i++) {
        await client.send(new RegisterTaskDefinitionCommand({ family: 'benchlist', containerDefinitions }));
      }
    },
    async request(client) {
      const out = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'benchlist' }));
      if (out.taskDefinitionArns?.length !== LIST_REVISIONS) throw wrong(`${LIST_REVISIONS} ARNs`, out);
    },
  },
  {
    op: 'CreateCluster',
    async request(client, state, i) {
      const name = `bench-${i}`;
      const out = await client.send(new CreateClusterCommand({ clusterName: name }));
      if (out.cluster?.clusterName !== name || out.cluster.status !== 'ACTIVE') throw wrong(`ACTIVE cluster ${name}`, out);
      state.clusters.push(name);
    },
  },
  {
    op: 'DescribeClusters',
    async request(client, state, i) {
      if (state.clusters.length === 0) throw new Error('no clusters to describe (CreateCluster failed)');
      const name = state.clusters[(i * 7919) % state.clusters.length];
      const out = await client.send(new DescribeClustersCommand({ clusters: [name] }));
      if (out.clusters?.[0]?.clusterName !== name || out.failures?.length) throw wrong(`cluster ${name}`, out);
    },
  },
];

const wrong = (expected: string, got: unknown) =>
  new Error(`wrong answer: expected ${expected}, got ${JSON.stringify(got, (k, v) => (k === '$metadata' ? undefined : v)).slice(0, 300)}`);

interface Result { reqPerSec: number; p50: number; p99: number }

/** Requests [from, to) spread over the clients, each client one request at a time; the first
 *  error stops every client (none keeps running into the next measurement) and is thrown. */
async function drive(clients: Client[], w: Workload, state: State, from: number, to: number, latencies?: number[]) {
  let next = from;
  let failure: { err: unknown } | undefined;
  await Promise.all(clients.map(async (client, worker) => {
    for (let i = next++; i < to && !failure; i = next++) {
      const t0 = performance.now();
      try {
        await w.request(client, state, i, worker);
      } catch (err) {
        failure ??= { err };
        return;
      }
      latencies?.push(performance.now() - t0);
    }
  }));
  if (failure) throw failure.err;
}

const ROUNDS = 10;

/** Measures the workload on the targets interleaved: set-up and warm-up on each, then ROUNDS
 *  chunks of REQUESTS / ROUNDS per target, alternating the order, with the time summed per target. */
async function measure(targets: Target[], w: Workload, states: Map<Target, State>): Promise<Map<Target, Result | Error>> {
  const clientsOf = new Map(targets.map((target) => [target, Array.from({ length: CLIENTS }, (): Client => (CLIENT_KIND === 'sdk'
    ? new ECSClient({ endpoint: target.url, region: 'us-east-1', maxAttempts: 1, credentials: target.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' } })
    : new LeanEcsClient(target.url, target.credentials)))]));
  const out = new Map<Target, Result | Error>();
  const live = () => targets.filter((t) => !out.has(t));
  const run = async (t: Target, step: () => Promise<void>) => { try { await step(); } catch (err) { out.set(t, err as Error); } };
  const seconds = new Map(targets.map((t) => [t, 0]));
  const latencies = new Map(targets.map((t) => [t, [] as number[]]));
  try {
    for (const t of targets) {
      const clients = clientsOf.get(t)!;
      await run(t, async () => { await w.setup?.(clients[0], states.get(t)!); await drive(clients, w, states.get(t)!, 0, WARMUP); });
    }
    const chunk = Math.ceil(REQUESTS / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? live() : live().reverse();
      for (const t of order) {
        const from = WARMUP + round * chunk;
        const to = Math.min(WARMUP + REQUESTS, from + chunk);
        await run(t, async () => {
          const t0 = performance.now();
          await drive(clientsOf.get(t)!, w, states.get(t)!, from, to, latencies.get(t)!);
          seconds.set(t, seconds.get(t)! + (performance.now() - t0) / 1000);
        });
      }
    }
    for (const t of live()) {
      const l = latencies.get(t)!.sort((a, b) => a - b);
      const pct = (p: number) => l[Math.min(l.length - 1, Math.floor(p * l.length))];
      out.set(t, { reqPerSec: REQUESTS / seconds.get(t)!, p50: pct(0.5), p99: pct(0.99) });
    }
    return out;
  } finally {
    for (const clients of clientsOf.values()) for (const c of clients) c.destroy();
  }
}

const describeError = (err: unknown) => {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return `${e.name ?? 'Error'}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}: ${e.message ?? String(err)}`;
};

async function main() {
  console.log(machineInfo());
  console.log(`workload: ${CLIENTS} concurrent ${CLIENT_KIND === 'sdk' ? '@aws-sdk/client-ecs' : 'lean SigV4 HTTP'} clients, `
    + `${REQUESTS} requests per op after ${WARMUP} warm-up, client in this process (it shares the cores with the server under test); `
    + 'Berth on its SQLite store\n');
  let moto: Target;
  try {
    moto = await startMoto();
  } catch (err) {
    console.error(`bench:api: ${(err as Error).message}`);
    process.exit(2);
  }
  const berth = await startBerthTarget().catch(async (err: Error) => { await moto.close(); throw err; });
  const strict = process.env.BENCH_AUTH === 'open' ? undefined
    : await startBerthTarget('strict').catch(async (err: Error) => { await berth.close(); await moto.close(); throw err; });
  const targets = strict ? [berth, strict, moto] : [berth, moto];
  const states = new Map(targets.map((t) => [t, { taskDefinitionArns: [], clusters: [] } as State]));
  const rows: string[][] = [];
  const failures: string[] = [];
  /** Seconds each target spent on its measured requests, over all ops (for the overall row). */
  const totals = new Map<Target, { seconds: number; ops: number }>(targets.map((t) => [t, { seconds: 0, ops: 0 }]));
  try {
    for (const w of workloads) {
      const results = new Map<Target, Result>();
      // Berth open and strict interleaved; moto on its own.
      for (const group of [strict ? [berth, strict] : [berth], [moto]]) {
        for (const [t, r] of await measure(group, w, states)) {
          if (!(r instanceof Error)) { results.set(t, r); continue; }
          failures.push(`${w.op} against ${t.name} FAILED — ${describeError(r)}`);
          console.error(`!! ${failures.at(-1)}`);
        }
      }
      for (const [t, r] of results) { const total = totals.get(t)!; total.seconds += REQUESTS / r.reqPerSec; total.ops++; }
      const b = results.get(berth), s = strict && results.get(strict), m = results.get(moto);
      const rate = (r?: Result) => (r ? r.reqPerSec.toFixed(0) : 'FAILED');
      const lat = (r?: Result) => (r ? `${r.p50.toFixed(1)} / ${r.p99.toFixed(1)}` : '-');
      const ratio = (x?: Result, y?: Result) => (x && y ? `${(x.reqPerSec / y.reqPerSec).toFixed(2)}x` : '-');
      rows.push([w.op, rate(b), ...(strict ? [rate(s || undefined), ratio(s || undefined, b)] : []), rate(m), ratio(b, m), lat(b), ...(strict ? [lat(s || undefined)] : []), lat(m)]);
    }
  } finally {
    await berth.close();
    await strict?.close();
    await moto.close();
  }
  // All ops together: every target's requests over its total time (only when no row failed).
  const overall = (t?: Target) => { const x = t && totals.get(t); return x && x.ops === workloads.length ? { reqPerSec: (REQUESTS * x.ops) / x.seconds, p50: NaN, p99: NaN } : undefined; };
  const [ob, os, om] = [overall(berth), overall(strict), overall(moto)];
  const fmt = (r?: Result) => (r ? r.reqPerSec.toFixed(0) : '-');
  const ratioOf = (x?: Result, y?: Result) => (x && y ? `${(x.reqPerSec / y.reqPerSec).toFixed(2)}x` : '-');
  rows.push(['all ops (total time)', fmt(ob), ...(strict ? [fmt(os), ratioOf(os, ob)] : []), fmt(om), ratioOf(ob, om), '-', ...(strict ? ['-'] : []), '-']);
  printTable(['op', 'Berth req/s', ...(strict ? ['strict req/s', 'strict/open'] : []), 'moto req/s', 'Berth/moto', 'Berth p50/p99 ms',
    ...(strict ? ['strict p50/p99 ms'] : []), 'moto p50/p99 ms'], rows);
  console.log(`\n${verificationCost()}`);
  if (failures.length) {
    console.error(`\n${failures.length} benchmark row(s) failed — errors are never counted as throughput:`);
    for (const f of failures) console.error(`  ${f}`);
    process.exitCode = 1;
  }
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(`bench:api: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
