// The docker runtime against a real Docker engine and the local test image
// (scripts/build-test-image.sh). Skipped with a reason without Docker; a failure under CI=true.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../testing/eventually.js';
import { requireTestImage, TEST_IMAGE } from '../../testing/requirements.js';
import { DockerRuntime } from './docker.js';
import { testSpec } from './test-spec.js';
import type { ContainerSpec, ContainerStatus, RuntimeEvent } from './types.js';

const PREFIX = `berth-rt-test-${process.pid}-`;
/** The shell holds 200 MiB in a variable: OOM-killed under a 32 MiB limit. */
const MEMORY_HOG = 'x=$(head -c 200m /dev/zero | tr "\\0" x)';


/** The promise rejects with a message (not String(err), which repeats the error name) matching re. */
const pullFails = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (err: Error) => {
  assert.match(err.message, re);
  assert.equal(err.name, 'CannotPullContainerError');
  return true;
});

describe('docker runtime (real engine)', requireTestImage(), () => {
  let rt: DockerRuntime;
  const created: string[] = [];
  let n = 0;

  const spec = (overrides: Partial<ContainerSpec>) => testSpec(`${PREFIX}${n++}`, { image: TEST_IMAGE, ...overrides });
  const make = async (overrides: Partial<ContainerSpec>) => {
    const id = await rt.create(spec(overrides));
    created.push(id);
    return id;
  };
  const run = async (overrides: Partial<ContainerSpec>) => {
    const id = await make(overrides);
    await rt.start(id);
    return id;
  };
  const exited = (id: string) => eventually<ContainerStatus>(`${id} to exit`, async () => {
    const s = await rt.inspect(id);
    return s?.state === 'exited' && s;
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's own document, read loosely
  const raw = async (id: string) => (await rt.client.json<any>('GET', `/containers/${id}/json`)).body;
  /** Waits for a line the container prints once it is ready (its logs, read raw). */
  const ready = (id: string) => eventually(`${id} to print ready`, async () =>
    (await rt.client.text('GET', `/containers/${id}/logs`, { query: { stdout: 1 } })).includes('ready'));

  before(() => { rt = new DockerRuntime(); });
  after(async () => {
    for (const id of created) await rt.remove(id).catch(() => undefined);
    await rt.close();
  });

  it('runs a command to its exit code, with env, working directory, user and entry point', async () => {
    const id = await run({
      entryPoint: ['sh', '-c'],
      command: ['test "$GREETING" = "hi there" && test "$(pwd)" = /tmp && test "$(id -u)" = 65534 && exit 7'],
      environment: { GREETING: 'hi there' },
      workingDirectory: '/tmp',
      user: 'nobody',
    });
    const s = await exited(id);
    assert.equal(s.exitCode, 7);
    assert.equal(s.oomKilled, false);
    assert.ok(s.startedAt && s.finishedAt && s.finishedAt >= s.startedAt);
    assert.ok(s.name.startsWith(PREFIX));
  });

  it('maps limits, hosts, ulimits, read-only rootfs and stop timeout onto the engine', async () => {
    const id = await run({
      command: ['sh', '-c', [
        'grep -q "10.1.2.3[[:space:]]*db.internal" /etc/hosts',
        'test "$(hostname)" = worker-1',
        'test "$(ulimit -n)" = 1000',
        '! touch /not-writable 2>/dev/null',
        'exit 0',
      ].join(' && ') + ' || exit 9'],
      memory: 64, memoryReservation: 32, cpu: 256, hostname: 'worker-1', readonlyRootFilesystem: true,
      extraHosts: [{ hostname: 'db.internal', ipAddress: '10.1.2.3' }],
      ulimits: [{ name: 'nofile', softLimit: 1000, hardLimit: 2000 }],
      stopTimeout: 17,
      labels: { 'com.amazonaws.ecs.container-name': 'web' },
    });
    assert.equal((await exited(id)).exitCode, 0);
    const doc = await raw(id);
    assert.equal(doc.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(doc.HostConfig.MemoryReservation, 32 * 1024 * 1024);
    assert.equal(doc.HostConfig.CpuShares, 256);
    assert.equal(doc.HostConfig.ReadonlyRootfs, true);
    assert.equal(doc.Config.StopTimeout, 17);
    assert.equal(doc.Config.Labels['com.amazonaws.ecs.container-name'], 'web');
  });

  it('reports an OOM kill: exit 137 and oomKilled, with an oom event', async () => {
    const events: RuntimeEvent[] = [];
    const off = rt.events((e) => events.push(e));
    try {
      const id = await run({ command: ['sh', '-c', MEMORY_HOG], memory: 32 });
      const s = await exited(id);
      assert.equal(s.exitCode, 137);
      assert.equal(s.oomKilled, true);
      await eventually('the oom and die events', async () => events.some((e) => e.id === id && e.type === 'die'));
      assert.ok(events.some((e) => e.id === id && e.type === 'oom'));
      assert.equal(events.find((e) => e.id === id && e.type === 'die')?.exitCode, 137);
    } finally { off(); }
  });

  it('shows a force-removed container as gone from its die event on, and a killed one as exited 137', async () => {
    const atDie = new Map<string, Promise<ContainerStatus | undefined>>();
    const off = rt.events((e) => { if (e.type === 'die') atDie.set(e.id, rt.inspect(e.id)); });
    try {
      const removed = await run({ command: ['sleep', '60'] });
      const killed = await run({ command: ['sleep', '60'] });
      await rt.remove(removed);
      await rt.client.json('POST', `/containers/${killed}/kill`);
      await eventually('both die events', async () => atDie.has(removed) && atDie.has(killed));
      assert.equal(await atDie.get(removed), undefined);
      const k = await atDie.get(killed);
      assert.deepEqual([k?.state, k?.exitCode], ['exited', 137]);
    } finally { off(); }
  });

  it('publishes a dynamic host port on the agent address, answering HTTP from busybox httpd', async () => {
    const id = await make({
      command: ['httpd', '-f', '-p', '8080', '-h', '/var/www'],
      portBindings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp', hostIp: '127.0.0.1' }],
    });
    const before = await rt.inspect(id);
    assert.equal(before?.state, 'created');
    assert.deepEqual(before?.portBindings, [{ containerPort: 8080, hostPort: 0, protocol: 'tcp', hostIp: '127.0.0.1' }]);
    await rt.start(id);
    const s = await rt.inspect(id);
    assert.equal(s?.state, 'running');
    assert.equal(s?.portBindings.length, 1);
    const [b] = s!.portBindings;
    assert.equal(b.hostIp, '127.0.0.1');
    assert.equal(b.containerPort, 8080);
    assert.ok(b.hostPort >= 1024, `a host port was assigned (${b.hostPort})`);
    const body = await eventually('httpd to answer', async () => {
      try { return await (await fetch(`http://127.0.0.1:${b.hostPort}/index.html`)).text(); } catch { return undefined; }
    });
    assert.equal(body.trim(), 'hello from berth-test');
  });

  it('stop sends SIGTERM first: a container handling it exits with its own code', async () => {
    const id = await run({ command: ['sh', '-c', "trap 'exit 42' TERM; echo ready; while true; do sleep 1; done"] });
    await ready(id);
    await rt.stop(id, 20);
    const s = await exited(id);
    assert.equal(s.exitCode, 42);
  });

  it('stop kills (137) a container ignoring SIGTERM once the timeout passes', async () => {
    const id = await run({ command: ['sh', '-c', "trap '' TERM; echo ready; while true; do sleep 1; done"] });
    await ready(id);
    await rt.stop(id, 1);
    const s = await rt.inspect(id);
    assert.equal(s?.state, 'exited');
    assert.equal(s?.exitCode, 137);
    assert.equal(s?.oomKilled, false);
  });

  it('runs health checks: healthy and unhealthy, with health events', async () => {
    const events: RuntimeEvent[] = [];
    const off = rt.events((e) => events.push(e));
    try {
      const check = (cmd: string) => ({ command: ['CMD-SHELL', cmd], interval: 1, timeout: 2, retries: 2, startPeriod: 0 });
      const good = await run({ command: ['sleep', '60'], healthCheck: check('test -d /tmp') });
      const bad = await run({ command: ['sleep', '60'], healthCheck: check('exit 1') });
      await eventually('healthy', async () => (await rt.inspect(good))?.health === 'healthy');
      await eventually('unhealthy', async () => (await rt.inspect(bad))?.health === 'unhealthy');
      const doc = await raw(good);
      assert.equal(doc.Config.Healthcheck.Interval, 1_000_000_000);
      assert.deepEqual(doc.Config.Healthcheck.Test, ['CMD-SHELL', 'test -d /tmp']);
      await eventually('the health events', async () =>
        events.some((e) => e.id === good && e.health === 'healthy') && events.some((e) => e.id === bad && e.health === 'unhealthy'));
      for (const id of [good, bad]) await rt.stop(id, 0);
    } finally { off(); }
  });

  it('lists containers by label and label value', async () => {
    const label = `org.berth.test.run-${process.pid}`;
    const a = await make({ command: ['true'], labels: { [label]: 'a' } });
    const b = await make({ command: ['true'], labels: { [label]: 'b' } });
    await make({ command: ['true'], labels: {} });
    assert.deepEqual((await rt.listByLabel(label, 'a')).map((s) => s.id), [a]);
    assert.deepEqual((await rt.listByLabel(label)).map((s) => s.id).sort(), [a, b].sort());
    const [sa] = await rt.listByLabel(label, 'a');
    assert.equal(sa.state, 'created');
    assert.equal(sa.labels[label], 'a');
  });

  it('shares a bind mount with the host and volumes between containers (volumesFrom, ro)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-rt-test-'));
    chmodSync(dir, 0o777);
    try {
      writeFileSync(join(dir, 'in.txt'), 'from host\n');
      const writer = await run({
        command: ['sh', '-c', 'cat /data/in.txt > /data/out.txt && echo shared > /vol/file'],
        mounts: [{ source: dir, target: '/data', readOnly: false }, { source: '', target: '/vol', readOnly: false }],
      });
      assert.equal((await exited(writer)).exitCode, 0);
      assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'from host\n');
      const writerName = (await rt.inspect(writer))!.name;
      const reader = await run({
        command: ['sh', '-c', 'test "$(cat /vol/file)" = shared || exit 3; touch /vol/other 2>/dev/null && exit 4; exit 0'],
        volumesFrom: [{ sourceContainer: writerName, readOnly: true }],
      });
      assert.equal((await exited(reader)).exitCode, 0);
      const roBind = await run({ command: ['sh', '-c', 'touch /data/x 2>/dev/null && exit 5; exit 0'], mounts: [{ source: dir, target: '/data', readOnly: true }] });
      assert.equal((await exited(roBind)).exitCode, 0);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('links containers by alias, and maps privileged and the network modes', async () => {
    const server = await run({ command: ['httpd', '-f', '-p', '8080', '-h', '/var/www'] });
    const serverName = (await rt.inspect(server))!.name;
    const client = await run({
      command: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://web:8080/index.html && exit 0; sleep 1; done; exit 1'],
      links: [`${serverName}:web`],
      networkMode: 'awsvpc',
    });
    assert.equal((await exited(client)).exitCode, 0);
    // Created only: some sandboxes (nested containers) refuse to start privileged ones.
    const privileged = await make({ command: ['true'], privileged: true });
    assert.equal((await raw(privileged)).HostConfig.Privileged, true);
    assert.equal((await raw(server)).HostConfig.Privileged, false);
    assert.equal((await raw(client)).HostConfig.NetworkMode, 'bridge');
    const isolated = await run({ command: ['sh', '-c', 'test "$(ls /sys/class/net)" = lo'], networkMode: 'none' });
    assert.equal((await exited(isolated)).exitCode, 0);
    const host = await make({ command: ['true'], networkMode: 'host', portBindings: [{ containerPort: 9000, hostPort: 0, protocol: 'udp', hostIp: '127.0.0.1' }] });
    assert.deepEqual((await rt.inspect(host))?.portBindings, [{ containerPort: 9000, hostPort: 9000, protocol: 'udp', hostIp: '0.0.0.0' }]);
    await rt.stop(server, 0);
  });

  it('streams start, die and destroy events', async () => {
    const events: RuntimeEvent[] = [];
    const off = rt.events((e) => events.push(e));
    try {
      await new Promise((r) => setTimeout(r, 200)); // let the stream connect
      const name = spec({}).name;
      const id = await rt.create(testSpec(name, { image: TEST_IMAGE, command: ['sh', '-c', 'exit 5'] }));
      created.push(id); // removed below; the after hook covers a failure before that
      await rt.start(id);
      await exited(id);
      await rt.remove(id);
      await eventually('start, die and destroy', async () =>
        ['start', 'die', 'destroy'].every((t) => events.some((e) => e.id === id && e.type === t)));
      const mine = events.filter((e) => e.id === id);
      assert.deepEqual(mine.map((e) => e.type), ['start', 'die', 'destroy']);
      assert.ok(mine.every((e) => e.name === name));
      assert.equal(mine[1].exitCode, 5);
    } finally { off(); }
  });

  it('pull failures are CannotPullContainerError with the engine reason', async () => {
    await assert.rejects(rt.pullImage('localhost:1/nope:latest', 'always'), (err: Error) => {
      assert.match(err.message, /^CannotPullContainerError: /);
      assert.match(err.message, /localhost:1/);
      assert.match(err.message, /connection refused/);
      return true;
    });
    // default falls back to a cached image only; there is none here.
    await pullFails(rt.pullImage('localhost:1/nope:latest', 'default'), /^CannotPullContainerError: .*connection refused/);
    await pullFails(rt.pullImage('localhost:1/nope', 'prefer-cached'), /^CannotPullContainerError: /);
  });

  it('uses the cached test image: prefer-cached and default succeed, always and once must pull', async () => {
    await rt.pullImage(TEST_IMAGE, 'prefer-cached');
    await rt.pullImage(TEST_IMAGE, 'default'); // the pull fails (no such repository upstream), the cache serves
    await pullFails(rt.pullImage(TEST_IMAGE, 'always'), /^CannotPullContainerError: Error response from daemon: /);
    await pullFails(rt.pullImage(TEST_IMAGE, 'once'), /^CannotPullContainerError: /);
  });

  it('reports stats, and nothing for unknown containers; engine errors carry the engine message', async () => {
    const id = await run({ command: ['sleep', '60'], memory: 48 });
    const stats = await rt.stats(id) as { memory_stats?: { limit?: number } };
    assert.equal(stats.memory_stats?.limit, 48 * 1024 * 1024);
    await rt.stop(id, 0);
    assert.equal(await rt.inspect('berth-rt-test-missing'), undefined);
    assert.equal(await rt.stats('berth-rt-test-missing'), undefined);
    await rt.remove('berth-rt-test-missing'); // idempotent
    await assert.rejects(rt.start('berth-rt-test-missing'), /No such container: berth-rt-test-missing/);
    const dup = spec({ command: ['true'] });
    created.push(await rt.create(dup));
    await assert.rejects(rt.create(dup), (err: Error & { status?: number }) => err.status === 409 && /already in use/.test(err.message));
  });
});
