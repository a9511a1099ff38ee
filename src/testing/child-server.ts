// A real `berth server` as a child process (what a user runs), for tests and benchmarks that need
// a separate process: kill -9 durability, fair benchmarks. Resolves once /_berth/health answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  const argv = ['bin/berth.js', 'server', '--host', '127.0.0.1', '--port', '0', ...(args.extra ?? [])];
  if (args.data) argv.push('--data', args.data);
  if (args.store) argv.push('--store', args.store);
  const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`berth server did not start within 30s:\n${out}`)); }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`berth server exited (${code ?? signal}):\n${out}`)); });
  });
  await waitForHttp(`${url}/_berth/health`, 200);
  const gone = (signal: NodeJS.Signals) => async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, child, output: () => out, kill: gone('SIGKILL'), stop: gone('SIGTERM') };
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
