// What a test needs from the machine (a Docker engine, the AWS CLIs), as node:test options:
//   describe('docker runtime', requireDocker(), () => { … })
// Missing on a developer's machine → the test is skipped, with the reason printed. Missing under
// CI=true → an error: .ci/run installs all of these, so a skip there would hide a broken setup.
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

export interface Requirement { skip: string | false }

/** AWS CLI v2 from Debian's awscli package (v1 is the `aws` first on PATH). */
export const AWS_CLI_V2 = '/usr/bin/aws';
/** The image scripts/build-test-image.sh builds from busybox-static. */
export const TEST_IMAGE = 'berth-test/busybox:latest';

const cache = new Map<string, string | false>();

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), error: r.error };
}

export function requirement(name: string, check: () => string | false): Requirement {
  if (!cache.has(name)) cache.set(name, check());
  const missing = cache.get(name)!;
  if (missing === false) return { skip: false };
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${name} is required under CI=true but ${missing} (.ci/run should have set it up)`);
  }
  const reason = `${name} not available: ${missing}`;
  console.log(`# skipping: ${reason}`);
  return { skip: reason };
}

/** A Docker engine answering on the default socket. */
export function requireDocker(): Requirement {
  return requirement('a Docker engine', () => {
    const r = run('docker', ['info', '--format', '{{.ServerVersion}}']);
    if (r.error) return `the docker command cannot run (${r.error.message})`;
    return r.ok && r.out ? false : `'docker info' failed: ${r.out.split('\n').at(-1) ?? ''}`;
  });
}

/** A Docker engine with the local test image built (bash scripts/build-test-image.sh). */
export function requireTestImage(image = TEST_IMAGE): Requirement {
  const docker = requireDocker();
  if (docker.skip) return docker;
  return requirement(`the Docker image ${image}`, () =>
    run('docker', ['image', 'inspect', image]).ok ? false : `it is not built (run: bash scripts/build-test-image.sh)`);
}

/** The image scripts/build-test-node-image.sh builds: node + @aws-sdk/client-sts + /app/whoami.mjs. */
export const TEST_NODE_IMAGE = 'berth-test/node:latest';

/** A Docker engine with the node test image built (bash scripts/build-test-node-image.sh). */
export function requireTestNodeImage(): Requirement {
  const docker = requireDocker();
  if (docker.skip) return docker;
  return requirement(`the Docker image ${TEST_NODE_IMAGE}`, () =>
    run('docker', ['image', 'inspect', TEST_NODE_IMAGE]).ok ? false : `it is not built (run: bash scripts/build-test-node-image.sh)`);
}

/** The container credentials address: 169.254.170.2 on this host, or root (the agent adds it to lo). */
export function requireCredentialsAddress(): Requirement {
  return requirement('the container credentials address 169.254.170.2', () => {
    if (process.getuid?.() === 0) return false;
    const present = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === '169.254.170.2'));
    return present ? false : 'it is not on this host and the tests do not run as root (as root: ip addr add 169.254.170.2/32 dev lo)';
  });
}

/** AWS CLI v1: the `aws` first on PATH. */
export function requireAwsCliV1(): Requirement {
  return requirement('AWS CLI v1 (aws)', () => cliVersion('aws', 1));
}

/** AWS CLI v2 at /usr/bin/aws (apt-get install awscli). */
export function requireAwsCliV2(): Requirement {
  return requirement(`AWS CLI v2 (${AWS_CLI_V2})`, () => cliVersion(AWS_CLI_V2, 2));
}

function cliVersion(cmd: string, major: number): string | false {
  const r = run(cmd, ['--version']);
  if (r.error) return `${cmd} cannot run (${r.error.message})`;
  const m = /aws-cli\/(\d+)\./.exec(r.out);
  if (!r.ok || !m) return `'${cmd} --version' failed: ${r.out.split('\n').at(-1) ?? ''}`;
  return Number(m[1]) === major ? false : `${cmd} is aws-cli ${m[1]}, not ${major}`;
}

/** An etcd server (v3 API) at BERTH_TEST_ETCD=http://host:port[,http://host2:port] (.ci/run starts one). */
export function requireEtcd(): Requirement {
  return requirement('an etcd server (BERTH_TEST_ETCD)', () => {
    const urls = process.env.BERTH_TEST_ETCD;
    if (!urls) return 'BERTH_TEST_ETCD is not set';
    const url = `${urls.split(',')[0].replace(/\/+$/, '')}/version`;
    const probe = `fetch(${JSON.stringify(url)}).then(async (r) => { console.log(await r.text()); process.exit(r.ok ? 0 : 1); }, (e) => { console.log(String(e.cause ?? e)); process.exit(1); })`;
    const r = run(process.execPath, ['-e', probe]);
    return r.ok && r.out.includes('etcdserver') ? false : `${url} did not answer as etcd: ${r.out || r.error?.message}`;
  });
}

/** `unshare -rm` can mount a private tmpfs (a real small filesystem, e.g. to fill a disk). */
export function requirePrivateTmpfs(): Requirement {
  return requirement('a private tmpfs (unshare -rm + mount -t tmpfs)', () => {
    const r = run('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && echo mounted']);
    if (r.error) return `unshare cannot run (${r.error.message})`;
    return r.ok && r.out.includes('mounted') ? false : `'unshare -rm mount -t tmpfs' failed: ${r.out.split('\n').at(-1) ?? ''}`;
  });
}

/** xz (Debian xz-utils), to unpack the real ECS agent. */
export function requireXz(): Requirement {
  return requirement('xz (xz-utils)', () => {
    const r = run('xz', ['--version']);
    return r.error ? `xz cannot run (${r.error.message})` : r.ok ? false : `'xz --version' failed: ${r.out}`;
  });
}

/** A file or directory that must exist (e.g. the packed ECS agent). */
export function requirePath(what: string, path: string | undefined, hint: string): Requirement {
  return requirement(what, () => (path ? false : `it was not found (${hint})`));
}

/** TCP ports that must be free on every address (the ECS agent binds 51678 and 51679). */
export function requireFreePorts(ports: number[]): Requirement {
  return requirement(`free TCP ports ${ports.join(', ')}`, () => {
    const probe = `const net = require('node:net'); let left = ${ports.length}; const busy = [];
      for (const p of ${JSON.stringify(ports)}) { const s = net.createServer(); s.once('error', () => { busy.push(p); if (--left === 0) done(); });
        s.listen(p, '0.0.0.0', () => s.close(() => { if (--left === 0) done(); })); }
      function done() { console.log(busy.join(',')); process.exit(busy.length ? 1 : 0); }`;
    // A port can be held for a moment by another test's connection (an ephemeral port; .ci/run
    // reserves 51678-51679 so the kernel does not hand them out): wait up to 20 s for it.
    let r = run(process.execPath, ['-e', probe]);
    for (let i = 0; i < 20 && !r.ok; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      r = run(process.execPath, ['-e', probe]);
    }
    return r.ok ? false : `port(s) ${r.out} are in use`;
  });
}

/** openssl, to make the self-signed CA and server certificate the README describes. */
export function requireOpenssl(): Requirement {
  return requirement('openssl', () => {
    const r = run('openssl', ['version']);
    return r.error ? `openssl cannot run (${r.error.message})` : r.ok ? false : `'openssl version' failed: ${r.out}`;
  });
}
