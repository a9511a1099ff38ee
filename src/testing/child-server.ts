// A real `berth server` as a child process (what a user runs), for tests and benchmarks that need
// a separate process: kill -9 durability, fair benchmarks. Resolves once /_berth/health answers.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnBerth as spawnBerthProcess } from './processes.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** Everything the server printed (stdout and stderr). */
  output(): string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful close), resolved once the process is gone. */
  stop(): Promise<void>;
}

/** `node bin/berth.js server --data <dataDir> --host 127.0.0.1 --port 0` (or extra args). */
export async function spawnBerth(args: { data?: string; store?: string; extra?: string[] }): Promise<ChildServer> {
  const argv = ['server', '--host', '127.0.0.1', '--port', '0', ...(args.extra ?? [])];
  if (args.data) argv.push('--data', args.data);
  if (args.store) argv.push('--store', args.store);
  const proc = spawnBerthProcess(argv, { cwd: repoRoot });
  let url: string;
  try {
    url = (await proc.waitFor(/listening on (http:\/\/\S+)/))[1];
  } catch (err) {
    await proc.kill();
    throw err;
  }
  await waitForHttp(`${url}/_berth/health`, 200);
  return {
    url, child: proc.child, output: proc.output,
    kill: async () => { await proc.kill('SIGKILL'); },
    stop: async () => { await proc.kill('SIGTERM'); },
  };
}

/** Polls url until it answers with `status` (any status when omitted); fails after 30s. */
export async function waitForHttp(url: string, status?: number, init?: RequestInit): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (status === undefined || res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 30s (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
