// bench:scale's measuring pieces: concurrent clients driving one call, percentiles, a server's RSS
// and CPU time.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LeanEcsClient } from './lean-client.js';

export const CLIENTS = 16;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Client = { send(command: any): Promise<any>; destroy?(): void };

export interface Latency { p50: number; p99: number }

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** p50 and p99 of some samples (ms). */
export function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** CLIENTS clients of one server (each one call at a time, on its own keep-alive connection),
 *  kept across runs so that runs of two servers can alternate. */
export class Load {
  private readonly clients: Client[];
  /** Call index, continued across runs (calls vary their arguments by it). */
  private index = 0;

  constructor(url: string) { this.clients = Array.from({ length: CLIENTS }, () => new LeanEcsClient(url)); }

  /** `requests` calls of `call` spread over the clients after `warmup` unmeasured ones; their
   *  latencies (ms). Any error fails the run. */
  async run(requests: number, warmup: number, call: (c: Client, i: number) => Promise<void>): Promise<number[]> {
    const samples: number[] = [];
    let next = 0;
    const total = warmup + requests;
    const base = this.index;
    this.index += total;
    await Promise.all(this.clients.map(async (client) => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        await call(client, base + i);
        if (i >= warmup) samples.push(performance.now() - t0);
      }
    }));
    return samples;
  }

  close() { for (const c of this.clients) c.destroy?.(); }
}

/** `requests` calls of `call` spread over CLIENTS clients (each one call at a time), after `warmup`
 *  unmeasured ones; any error fails the run. */
export async function latency(url: string, requests: number, warmup: number, call: (c: Client, i: number) => Promise<void>): Promise<Latency> {
  const load = new Load(url);
  try {
    return percentiles(await load.run(requests, warmup, call));
  } finally {
    load.close();
  }
}

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) a process has used, in ms (Linux /proc, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resolves once a process has been idle (under 5% of a core) for two consecutive quarter
 *  seconds, or after 60 s: what a server does right after start (loading, first controller
 *  passes) is not what a read costs. */
export async function settle(pid: number | undefined): Promise<void> {
  if (!pid) return;
  const deadline = Date.now() + 60_000;
  let quiet = 0;
  let last = cpuMs(pid);
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = cpuMs(pid);
    quiet = now - last <= 12 ? quiet + 1 : 0;
    last = now;
  }
}

export const wrong = (expected: string, got: unknown) =>
  new Error(`wrong answer: expected ${expected}, got ${JSON.stringify(got).slice(0, 300)}`);

export const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc; clock ticks of 1/100 s). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
