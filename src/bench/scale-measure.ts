// bench:scale's measuring pieces: concurrent clients driving one call, percentiles, a server's RSS.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LeanEcsClient } from './lean-client.js';

export const CLIENTS = 16;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Client = { send(command: any): Promise<any>; destroy?(): void };

export interface Latency { p50: number; p99: number }

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** `requests` calls of `call` spread over CLIENTS clients (each one call at a time), after `warmup`
 *  unmeasured ones; any error fails the run. */
export async function latency(url: string, requests: number, warmup: number, call: (c: Client, i: number) => Promise<void>): Promise<Latency> {
  const clients = Array.from({ length: CLIENTS }, () => new LeanEcsClient(url));
  const samples: number[] = [];
  let next = 0;
  const total = warmup + requests;
  await Promise.all(clients.map(async (client) => {
    for (let i = next++; i < total; i = next++) {
      const t0 = performance.now();
      await call(client, i);
      if (i >= warmup) samples.push(performance.now() - t0);
    }
  }));
  for (const c of clients) c.destroy?.();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
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
