// The simulated runtime: its command language, lifecycle, ports, health checks, pulls and events,
// on a manual clock (no sleeping).
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { seededIds } from '../../common/ids.js';
import { parseProgram, programText } from './simulated-program.js';
import { SimulatedRuntime } from './simulated.js';
import { testSpec } from './test-spec.js';
import { flush, ManualTimers } from './timers.js';
import type { ContainerSpec, RuntimeEvent } from './types.js';

const IMAGE = 'berth-test/busybox:latest';

describe('simulated runtime', () => {
  let clock: ManualTimers;
  let rt: SimulatedRuntime;
  let events: RuntimeEvent[];
  let n: number;

  beforeEach(() => {
    clock = new ManualTimers(Date.UTC(2026, 0, 1));
    rt = new SimulatedRuntime({ timers: clock, ids: seededIds(7), images: [IMAGE] });
    events = [];
    rt.events((e) => events.push(e));
    n = 0;
  });

  const run = async (overrides: Partial<ContainerSpec>) => {
    const id = await rt.create(testSpec(`c${n++}`, { image: IMAGE, ...overrides }));
    await rt.start(id);
    return id;
  };
  const state = async (id: string) => (await rt.inspect(id))!;
  const types = (id: string) => events.filter((e) => e.id === id).map((e) => e.type);

  it('reads the program from entryPoint + command, unwrapping sh -c', () => {
    assert.equal(programText(['sh', '-c', 'sleep 5; exit 2']), 'sleep 5; exit 2');
    assert.equal(programText(['/bin/sleep', '5']), '/bin/sleep 5');
    assert.deepEqual(parseProgram('trap "" TERM && echo hi; alloc 64\nsleep infinity; false; httpd -f'), [
      { op: 'trap-term' }, { op: 'noop' }, { op: 'alloc', mib: 64 }, { op: 'sleep', seconds: Infinity },
      { op: 'exit', code: 1 }, { op: 'serve', text: 'httpd -f' },
    ]);
  });

  it('sleep N exits 0 after N seconds of the clock', async () => {
    const id = await run({ entryPoint: ['sleep'], command: ['30'] });
    assert.equal((await state(id)).state, 'running');
    await clock.tick(29.9);
    assert.equal((await state(id)).state, 'running');
    await clock.tick(0.1);
    const s = await state(id);
    assert.equal(s.state, 'exited');
    assert.equal(s.exitCode, 0);
    assert.equal(s.oomKilled, false);
    assert.equal(s.finishedAt!.getTime() - s.startedAt!.getTime(), 30_000);
    assert.deepEqual(types(id), ['start', 'die']);
    assert.equal(events.at(-1)?.exitCode, 0);
  });

  it('exit N exits with N, after the statements before it; false exits 1', async () => {
    const a = await run({ command: ['sh', '-c', 'echo starting; sleep 2; exit 3'] });
    const b = await run({ command: ['false'] });
    assert.equal((await state(b)).exitCode, 1);
    assert.equal((await state(a)).state, 'running');
    await clock.tick(2);
    assert.equal((await state(a)).exitCode, 3);
  });

  it('alloc M over the hard limit is OOM-killed (137, oom then die); under it runs and shows in stats', async () => {
    const hog = await run({ command: ['alloc', '200'], memory: 32 });
    const ok = await run({ command: ['alloc', '20'], memory: 32 });
    const unlimited = await run({ command: ['alloc', '4000'] });
    await flush();
    const s = await state(hog);
    assert.equal(s.exitCode, 137);
    assert.equal(s.oomKilled, true);
    assert.deepEqual(types(hog), ['start', 'oom', 'die']);
    assert.equal((await state(ok)).state, 'running');
    assert.equal((await state(unlimited)).state, 'running');
    const stats = await rt.stats(ok) as { memory_stats: { usage: number; limit: number } };
    assert.equal(stats.memory_stats.usage, 21 * 1024 * 1024);
    assert.equal(stats.memory_stats.limit, 32 * 1024 * 1024);
    assert.equal(await rt.stats('missing'), undefined);
  });

  it('anything else runs until stopped; stop ends it with 143 (SIGTERM)', async () => {
    const id = await run({ command: ['httpd', '-f', '-p', '80'] });
    await clock.tick(3600);
    assert.equal((await state(id)).state, 'running');
    await rt.stop(id, 30);
    const s = await state(id);
    assert.equal(s.exitCode, 143);
    assert.equal(s.finishedAt!.getTime(), s.startedAt!.getTime() + 3_600_000);
    await rt.stop(id, 30); // already stopped: nothing happens
    assert.equal((await state(id)).exitCode, 143);
  });

  it('a program trapping TERM is killed (137) when the stop timeout passes', async () => {
    const id = await run({ command: ['sh', '-c', "trap '' TERM; sleep infinity"] });
    let stopped = false;
    const stopping = rt.stop(id, 10).then(() => { stopped = true; });
    await clock.tick(9);
    assert.equal(stopped, false);
    assert.equal((await state(id)).state, 'running');
    await clock.tick(1);
    await stopping;
    assert.equal((await state(id)).exitCode, 137);
  });

  it('health: healthy once the start period ends, unhealthy after the retries when the check says so', async () => {
    const check = (cmd: string) => ({ command: ['CMD-SHELL', cmd], interval: 5, timeout: 2, retries: 3, startPeriod: 10 });
    const good = await run({ command: ['sleep', 'infinity'], healthCheck: check('curl -f localhost') });
    const bad = await run({ command: ['sleep', 'infinity'], healthCheck: check('check unhealthy') });
    const failing = await run({ command: ['sleep', 'infinity'], healthCheck: { ...check('exit 1'), startPeriod: 0 } });
    const none = await run({ command: ['sleep', 'infinity'] });
    assert.equal((await state(good)).health, 'starting');
    assert.equal((await state(none)).health, undefined);
    await clock.tick(10);
    assert.equal((await state(good)).health, 'healthy');
    assert.equal((await state(bad)).health, 'starting');
    assert.equal((await state(failing)).health, 'starting');
    await clock.tick(5); // 3 failed checks 5 s apart, no start period
    assert.equal((await state(failing)).health, 'unhealthy');
    assert.equal((await state(bad)).health, 'starting');
    await clock.tick(10); // 10 s start period + 3 × 5 s
    assert.equal((await state(bad)).health, 'unhealthy');
    assert.deepEqual(events.filter((e) => e.type === 'health').map((e) => [e.id, e.health]),
      [[good, 'healthy'], [failing, 'unhealthy'], [bad, 'unhealthy']]);
  });

  it('allocates dynamic host ports from the ephemeral range, per address, and frees them on exit', async () => {
    const bind = (hostIp: string, hostPort = 0) => ({ portBindings: [{ containerPort: 80, hostPort, protocol: 'tcp' as const, hostIp }] });
    const a = await run({ command: ['sleep', '5'], ...bind('10.0.0.1') });
    const b = await run({ command: ['serve'], ...bind('10.0.0.1') });
    const c = await run({ command: ['serve'], ...bind('10.0.0.2') });
    const ports = async (id: string) => (await state(id)).portBindings.map((p) => p.hostPort);
    assert.deepEqual(await ports(a), [32768]);
    assert.deepEqual(await ports(b), [32769]);
    assert.deepEqual(await ports(c), [32768]); // another address, its own range
    // A fixed port taken on that address (or on 0.0.0.0) fails the start, like Docker.
    const clash = await rt.create(testSpec('clash', { image: IMAGE, command: ['serve'], ...bind('0.0.0.0', 32769) }));
    await assert.rejects(rt.start(clash), /Bind for 0\.0\.0\.0:32769 failed: port is already allocated/);
    const s = await state(clash);
    assert.equal(s.state, 'created');
    assert.match(s.error!, /port is already allocated/);
    await clock.tick(5); // a exits: its port is free again
    assert.deepEqual(await ports(a), [0]);
    const d = await run({ command: ['serve'], ...bind('10.0.0.1', 32768) });
    assert.deepEqual(await ports(d), [32768]);
    const host = await run({ command: ['serve'], networkMode: 'host', ...bind('10.0.0.1') });
    assert.deepEqual((await state(host)).portBindings, [{ containerPort: 80, hostPort: 80, protocol: 'tcp', hostIp: '0.0.0.0' }]);
  });

  it('pulls: does-not-exist fails with CannotPullContainerError; the behaviours use the cache as ECS does', async () => {
    await assert.rejects(rt.pullImage('team/does-not-exist:1', 'default'), (err: Error) =>
      err.message.startsWith('CannotPullContainerError: Error response from daemon: pull access denied for team/does-not-exist'));
    await assert.rejects(rt.create(testSpec('x', { image: 'nginx' })), /No such image: nginx:latest/);
    await rt.pullImage('nginx', 'once');
    await rt.create(testSpec('x', { image: 'nginx:latest' }));
    const cached = new SimulatedRuntime({ timers: clock, images: ['busybox-does-not-exist'] });
    await cached.pullImage('busybox-does-not-exist', 'prefer-cached'); // cached: no pull
    await cached.pullImage('busybox-does-not-exist', 'default'); // the pull fails, the cache serves
    await assert.rejects(cached.pullImage('busybox-does-not-exist', 'always'), /CannotPullContainerError/);
    await assert.rejects(cached.pullImage('busybox-does-not-exist', 'once'), /CannotPullContainerError/);
  });

  it('names are unique, inspect takes id or name, remove kills and destroys, list filters by label', async () => {
    const id = await run({ command: ['serve'], labels: { 'com.amazonaws.ecs.cluster': 'prod' } });
    const other = await run({ command: ['serve'], labels: { 'com.amazonaws.ecs.cluster': 'dev' } });
    await run({ command: ['serve'] });
    await assert.rejects(rt.create(testSpec('c0', { image: IMAGE })), (err: Error & { status?: number }) => err.status === 409);
    assert.equal((await rt.inspect('c0'))?.id, id);
    assert.equal(id.length, 64);
    assert.deepEqual((await rt.listByLabel('com.amazonaws.ecs.cluster', 'prod')).map((s) => s.id), [id]);
    assert.deepEqual((await rt.listByLabel('com.amazonaws.ecs.cluster')).map((s) => s.id), [id, other]);
    await rt.remove(id);
    await flush();
    assert.equal(await rt.inspect(id), undefined);
    assert.deepEqual(types(id), ['start', 'die', 'destroy']);
    assert.equal(events.find((e) => e.id === id && e.type === 'die')?.exitCode, 137);
    await rt.remove(id); // gone already: fine
    await assert.rejects(rt.start(id), /No such container/);
    await rt.create(testSpec('c0', { image: IMAGE })); // the name is free again
  });

  it('volumesFrom must name an existing container; a stopped container can start again', async () => {
    await assert.rejects(rt.create(testSpec('v', { image: IMAGE, volumesFrom: [{ sourceContainer: 'nope', readOnly: false }] })), /No such container: nope/);
    const id = await run({ command: ['exit', '4'] });
    await rt.create(testSpec('v', { image: IMAGE, volumesFrom: [{ sourceContainer: 'c0', readOnly: true }] }));
    assert.equal((await state(id)).exitCode, 4);
    await clock.tick(60);
    await rt.start(id);
    const s = await state(id);
    assert.equal(s.exitCode, 4);
    assert.equal(s.startedAt!.getTime(), Date.UTC(2026, 0, 1, 0, 1));
    await flush();
    assert.deepEqual(types(id), ['start', 'die', 'start', 'die']);
  });
});
