// What the API benchmark runs against: Berth as a child process on its default (durable) SQLite
// store, and moto_server. Plus the machine description printed above the results.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnBerth, waitForHttp } from '../testing/child-server.js';
import { freePort } from '../testing/processes.js';

export interface Target {
  name: string;
  url: string;
  /** The key requests are signed with (strict mode: the root key the server printed). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The server's process id, when it is a child of this one (its CPU time, RSS). */
  pid?: number;
  close(): Promise<void>;
}

/** Berth on a fresh data directory; with auth 'strict', every request's signature is verified. */
export async function startBerthTarget(auth: 'open' | 'strict' = 'open'): Promise<Target> {
  const data = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const server = await spawnBerth({ data, extra: ['--auth', auth] });
  const key = /root access key (\S+) secret (\S+)/.exec(server.output());
  if (auth === 'strict' && !key) { await server.stop(); throw new Error(`strict Berth printed no root key:\n${server.output()}`); }
  return {
    name: auth === 'strict' ? 'Berth strict' : 'Berth', url: server.url,
    credentials: key ? { accessKeyId: key[1], secretAccessKey: key[2] } : undefined,
    async close() { await server.stop(); rmSync(data, { recursive: true, force: true }); },
  };
}

/** `moto_server -H 127.0.0.1 -p <free port>`, resolved once it answers HTTP. Throws if it cannot start. */
export async function startMoto(): Promise<Target> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c: Buffer) => { log = (log + c.toString()).slice(-4_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`moto_server could not be started: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`moto_server exited (${code ?? signal}) before answering:\n${log}`)));
  });
  failed.catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitForHttp(`${url}/moto-api/`), failed]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name: 'moto', url, pid: child.pid,
    async close() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); await exited; },
  };
}

export function machineInfo(): string {
  const cpu = cpus();
  const moto = spawnSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  return [
    `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown cpu'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform} ${release()}`,
    `node ${process.version}, moto ${moto.status === 0 ? moto.stdout.trim() : 'version unknown'}`,
  ].join('\n');
}
