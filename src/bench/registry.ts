// `npm run bench:registry`: docker push and pull throughput of a ~200 MB, 4-layer image against
// Berth's ECR registry and against the Distribution registry (Debian's docker-registry), in the
// same run, on the same engine, each a separate process with fresh storage per run on its own
// loopback address. The image (random bytes: gzip cannot shrink it) is built once and saved; each
// run loads it, pushes (timed), removes it locally, pulls (timed); then the same volume goes through
// plain HTTP from this process (chunked upload, GET), which measures the registries themselves.
// BENCH_RUNS (default 3) and BENCH_LAYER_MB (default 50) tune it.
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnBerth, waitForHttp } from '../testing/child-server.js';
import { TEST_IMAGE } from '../testing/requirements.js';
import { machineInfo } from './targets.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAYER_MB = Number(process.env.BENCH_LAYER_MB ?? 50);
const LAYERS = 4;
const BERTH_IP = '127.0.60.10';
const DISTRIBUTION_IP = '127.0.60.11';
const SOURCE = 'berth-bench/registry-image:latest';

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));
const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker'), DOCKER_BUILDKIT: '0' };

function docker(args: string[], input?: string): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', env, input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Registry { host: string; repo: string; auth?: string; stop(): Promise<void> }

async function startBerthRegistry(run: number): Promise<Registry> {
  const server = await spawnBerth({ data: join(dir, `berth-${run}`), extra: ['--host', BERTH_IP] });
  const ecr = new ECRClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const repo = (await ecr.send(new CreateRepositoryCommand({ repositoryName: 'bench/image' }))).repository!.repositoryUri!;
  const token = Buffer.from((await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!, 'base64').toString();
  ecr.destroy();
  const host = repo.split('/')[0];
  docker(['login', '--username', 'AWS', '--password-stdin', host], token.slice('AWS:'.length));
  return { host, repo, auth: `Basic ${Buffer.from(token).toString('base64')}`, stop: () => server.kill() };
}

async function startDistribution(run: number): Promise<Registry> {
  const port = await freePort(DISTRIBUTION_IP);
  const root = join(dir, `distribution-${run}`);
  mkdirSync(root, { recursive: true });
  const config = join(root, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(root, 'data')}\n  delete:\n    enabled: true\n`
    + `http:\n  addr: ${DISTRIBUTION_IP}:${port}\n`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  await waitForHttp(`http://${DISTRIBUTION_IP}:${port}/v2/`, 200);
  const host = `${DISTRIBUTION_IP}:${port}`;
  return {
    host, repo: `${host}/bench/image`,
    stop: () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); }),
  };
}

/** One push and one pull of the saved image; seconds each. */
function pushPull(repo: string, tarball: string, run: number): { push: number; pull: number } {
  docker(['load', '-q', '-i', tarball]);
  const ref = `${repo}:run-${run}`;
  docker(['tag', SOURCE, ref]);
  let t0 = performance.now();
  docker(['push', '-q', ref]);
  const push = (performance.now() - t0) / 1000;
  docker(['rmi', ref, SOURCE]);
  t0 = performance.now();
  docker(['pull', '-q', ref]);
  const pull = (performance.now() - t0) / 1000;
  docker(['rmi', ref]);
  return { push, pull };
}

/** The registries without docker: chunked uploads (POST, PATCH, PUT ?digest=) of the blobs from
 *  a Node client, then GETs of them; seconds each. Shows the registry's own cost, which dockerd's
 *  gzip of the layers hides in the docker numbers. */
async function rawHttp(registry: Registry, blobs: Buffer[]): Promise<{ push: number; pull: number }> {
  const [host, ...path] = registry.repo.split('/');
  const base = `http://${host}/v2/${path.join('/')}`;
  const headers: Record<string, string> = registry.auth ? { authorization: registry.auth } : {};
  const digests = blobs.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);
  let t0 = performance.now();
  for (const [i, blob] of blobs.entries()) {
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
    if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
    const location = new URL(start.headers.get('location')!, `http://${host}`);
    const patch = await fetch(location, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(blob) });
    if (patch.status !== 202) throw new Error(`PATCH: ${patch.status}`);
    const done = new URL(patch.headers.get('location')!, `http://${host}`);
    done.searchParams.set('digest', digests[i]);
    const put = await fetch(done, { method: 'PUT', headers });
    if (put.status !== 201) throw new Error(`PUT: ${put.status} ${await put.text()}`);
  }
  const push = (performance.now() - t0) / 1000;
  t0 = performance.now();
  for (const [i, digest] of digests.entries()) {
    const got = Buffer.from(await (await fetch(`${base}/blobs/${digest}`, { headers })).arrayBuffer());
    if (got.length !== blobs[i].length) throw new Error(`GET ${digest}: ${got.length} bytes`);
  }
  return { push, pull: (performance.now() - t0) / 1000 };
}

function buildImage(): { tarball: string; megabytes: number } {
  const context = join(dir, 'context');
  mkdirSync(context, { recursive: true });
  const lines = [`FROM ${TEST_IMAGE}`];
  for (let i = 0; i < LAYERS; i++) {
    writeFileSync(join(context, `layer-${i}.bin`), randomBytes(LAYER_MB * 1024 * 1024));
    lines.push(`COPY layer-${i}.bin /data/layer-${i}.bin`);
  }
  writeFileSync(join(context, 'Dockerfile'), `${lines.join('\n')}\n`);
  docker(['build', '-q', '-t', SOURCE, context]);
  const tarball = join(dir, 'image.tar');
  docker(['save', '-o', tarball, SOURCE]);
  docker(['rmi', SOURCE]);
  rmSync(context, { recursive: true, force: true });
  return { tarball, megabytes: LAYERS * LAYER_MB };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  console.log(`bench:registry — ${machineInfo()}`);
  const { tarball, megabytes } = buildImage();
  console.log(`image: ${LAYERS} layers × ${LAYER_MB} MB of random bytes (+ busybox), ${RUNS} runs per registry, fresh storage each run\n`);
  const results: Record<string, { push: number[]; pull: number[] }> = { berth: { push: [], pull: [] }, distribution: { push: [], pull: [] } };
  const raw: Record<string, { push: number[]; pull: number[] }> = { berth: { push: [], pull: [] }, distribution: { push: [], pull: [] } };
  const blobs = Array.from({ length: LAYERS }, () => randomBytes(LAYER_MB * 1024 * 1024));
  for (let run = 0; run < RUNS; run++) {
    // Alternate which registry goes first, so neither always meets a warm page cache.
    const order: Array<['berth' | 'distribution', (r: number) => Promise<Registry>]> = [['berth', startBerthRegistry], ['distribution', startDistribution]];
    if (run % 2) order.reverse();
    for (const [name, start] of order) {
      const registry = await start(run);
      try {
        const r = pushPull(registry.repo, tarball, run);
        results[name].push.push(r.push);
        results[name].pull.push(r.pull);
        console.log(`run ${run + 1} ${name.padEnd(12)} docker push ${r.push.toFixed(2)} s (${(megabytes / r.push).toFixed(1)} MB/s)  pull ${r.pull.toFixed(2)} s (${(megabytes / r.pull).toFixed(1)} MB/s)`);
        const h = await rawHttp(registry, blobs);
        raw[name].push.push(h.push);
        raw[name].pull.push(h.pull);
        console.log(`run ${run + 1} ${name.padEnd(12)} HTTP   push ${h.push.toFixed(2)} s (${(megabytes / h.push).toFixed(1)} MB/s)  pull ${h.pull.toFixed(2)} s (${(megabytes / h.pull).toFixed(1)} MB/s)`);
      } finally {
        await registry.stop();
      }
    }
  }
  const mbps = (xs: number[]) => megabytes / median(xs);
  for (const [label, set] of [['docker push / pull', results], ['HTTP, no docker', raw]] as const) {
    console.log(`\n${label} (median of ${RUNS})`.padEnd(28) + 'push MB/s   pull MB/s');
    for (const name of ['berth', 'distribution'] as const) {
      console.log(`${name.padEnd(22)} ${mbps(set[name].push).toFixed(1).padStart(9)} ${mbps(set[name].pull).toFixed(1).padStart(11)}`);
    }
    console.log(`berth / distribution ${(mbps(set.berth.push) / mbps(set.distribution.push)).toFixed(2).padStart(9)}× ${(mbps(set.berth.pull) / mbps(set.distribution.pull)).toFixed(2).padStart(10)}×`);
  }
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
