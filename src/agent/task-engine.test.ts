// The task engine's logic over the simulated runtime (no Docker, manual clock): lifecycle and
// reports, essential / non-essential exits, OOM, pull failures, dependsOn, stop timeouts, host
// port conflicts, health. Crash safety and manifests are in task-engine-recovery.test.ts.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { acsTask, EngineFixture, stopped } from '../testing/engine-fixture.js';
import { ESSENTIAL_EXITED, OOM_REASON } from './task-runner.js';
import { healthOf } from './task-state.js';
import { freePort } from '../testing/processes.js';

describe('task engine (simulated runtime)', () => {
  let f: EngineFixture;
  beforeEach(async () => { f = await new EngineFixture().start(); });
  afterEach(async () => { await f.close(); });

  it('pulls, starts, reports PENDING then RUNNING with host ports, and stops on request', async () => {
    const t = acsTask([{ name: 'web', command: ['httpd', '-f'], portMappings: [{ containerPort: 80 }] }]);
    f.engine.apply([t]);
    await f.settle();
    assert.deepEqual(f.statuses(t.arn), ['PENDING', 'RUNNING']);
    const running = f.lastReport(t.arn);
    const pending = f.reports.find((r) => r.task === t.arn && r.status === 'PENDING' && r.pullStoppedAt)!;
    assert.ok(pending.pullStartedAt && pending.pullStoppedAt, 'the PENDING report carries the pull times');
    const binding = running.containers?.[0].networkBindings?.[0];
    assert.equal(binding?.bindIP, '127.0.0.1');
    assert.equal(binding?.containerPort, 80);
    assert.ok((binding?.hostPort ?? 0) >= 32768, `a dynamic host port, got ${binding?.hostPort}`);
    assert.equal(running.containers?.[0].status, 'RUNNING');
    assert.ok(running.containers?.[0].runtimeId);

    f.engine.apply([stopped(t, 'Task stopped by user')]);
    await f.settle();
    const last = f.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.equal(last.reason, 'Task stopped by user');
    assert.equal(last.containers?.[0].exitCode, 143, 'SIGTERM');
    assert.ok(last.executionStoppedAt);
    assert.equal((await f.runtime.inspect(f.container(t.arn, 'web').runtimeId!))?.state, 'exited');
  });

  it('stops the task when an essential container exits, and only the container when a non-essential one does', async () => {
    const t = acsTask([
      { name: 'main', command: ['sh', '-c', 'sleep 10; exit 3'] },
      { name: 'helper', essential: false, command: ['sh', '-c', 'sleep 5; exit 7'] },
    ]);
    f.engine.apply([t]);
    await f.settle();
    assert.equal(f.task(t.arn).known, 'RUNNING');
    await f.tick(5);
    assert.equal(f.task(t.arn).known, 'RUNNING', 'a non-essential exit leaves the task running');
    const afterHelper = f.lastReport(t.arn);
    assert.equal(afterHelper.status, 'RUNNING');
    assert.deepEqual(afterHelper.containers?.map((c) => [c.containerName, c.status, c.exitCode]), [['main', 'RUNNING', undefined], ['helper', 'STOPPED', 7]]);
    await f.tick(5);
    const last = f.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.equal(last.reason, ESSENTIAL_EXITED);
    assert.equal(last.containers?.find((c) => c.containerName === 'main')?.exitCode, 3);
    assert.equal(f.task(t.arn).failedToStart, false);
  });

  it('reports an OOM kill with ECS’s reason and exit code 137', async () => {
    const t = acsTask([{ name: 'hog', memory: 32, command: ['sh', '-c', 'alloc 100'] }]);
    f.engine.apply([t]);
    await f.settle();
    const last = f.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.equal(last.containers?.[0].exitCode, 137);
    assert.equal(last.containers?.[0].reason, OOM_REASON);
    assert.equal(last.reason, ESSENTIAL_EXITED);
  });

  it('fails the task with CannotPullContainerError when an image cannot be pulled', async () => {
    const t = acsTask([{ name: 'app', image: 'example.com/does-not-exist:1' }, { name: 'side', image: 'busybox', essential: false }]);
    f.engine.apply([t]);
    await f.settle();
    assert.deepEqual(f.statuses(t.arn), ['PENDING', 'STOPPED']);
    const last = f.lastReport(t.arn);
    assert.match(last.reason ?? '', /^CannotPullContainerError: /);
    assert.match(last.containers?.find((c) => c.containerName === 'app')?.reason ?? '', /^CannotPullContainerError: .*does-not-exist/);
    assert.equal(f.task(t.arn).failedToStart, true);
    assert.equal((await f.runtime.listByLabel('com.amazonaws.ecs.task-arn', t.arn)).length, 0, 'nothing was created');
  });

  it('starts containers in dependsOn order: SUCCESS, START and HEALTHY', async () => {
    const t = acsTask([
      { name: 'app', command: ['httpd'], dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }, { containerName: 'proxy', condition: 'HEALTHY' }] },
      { name: 'init', essential: false, command: ['sh', '-c', 'sleep 2; exit 0'] },
      { name: 'proxy', command: ['proxy'], healthCheck: { command: ['CMD-SHELL', 'true'], startPeriod: 5 }, dependsOn: [{ containerName: 'log', condition: 'START' }] },
      { name: 'log', command: ['logger'] },
    ]);
    f.engine.apply([t]);
    await f.settle();
    const known = () => Object.fromEntries(f.task(t.arn).containers.map((c) => [c.name, c.known]));
    assert.deepEqual(known(), { app: 'NONE', init: 'RUNNING', proxy: 'RUNNING', log: 'RUNNING' });
    assert.equal(f.task(t.arn).known, 'PULLED', 'the task is not RUNNING while a container waits');
    await f.tick(2);
    assert.equal(known().app, 'NONE', 'init succeeded, but proxy is not healthy yet');
    await f.tick(3);
    assert.equal(f.container(t.arn, 'proxy').health, 'HEALTHY');
    assert.deepEqual(known(), { app: 'RUNNING', init: 'STOPPED', proxy: 'RUNNING', log: 'RUNNING' });
    assert.equal(f.task(t.arn).known, 'RUNNING');
    assert.equal(healthOf(f.task(t.arn))?.healthStatus, 'HEALTHY');
  });

  it('fails a container whose SUCCESS dependency exits non-zero, stopping the task when it is essential', async () => {
    const t = acsTask([
      { name: 'app', command: ['httpd'], dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }] },
      { name: 'migrate', essential: false, command: ['sh', '-c', 'exit 2'] },
    ]);
    f.engine.apply([t]);
    await f.settle();
    const last = f.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.match(last.reason ?? '', /^DependencyError: container 'app' needs 'migrate' to be SUCCESS, but 'migrate' exited with code 2/);
    assert.equal(f.container(t.arn, 'app').runtimeId, undefined, 'app was never created');
    assert.equal(f.task(t.arn).failedToStart, true);
  });

  it('gives up on a dependency after the container’s startTimeout', async () => {
    const t = acsTask([
      { name: 'app', command: ['httpd'], startTimeout: 1, dependsOn: [{ containerName: 'slow', condition: 'COMPLETE' }] },
      { name: 'slow', essential: false, command: ['sleep', 'infinity'] },
    ]);
    f.engine.apply([t]);
    await f.until(() => f.task(t.arn).known === 'STOPPED', 'the start timeout');
    assert.match(f.lastReport(t.arn).reason ?? '', /gave up after 1 s \(startTimeout\) waiting for slow COMPLETE/);
  });

  it('stops with each container’s stopTimeout: SIGTERM, then SIGKILL when ignored', async () => {
    const t = acsTask([
      { name: 'stubborn', stopTimeout: 10, command: ['sh', '-c', "trap '' TERM; sleep infinity"] },
      { name: 'polite', command: ['sleep', 'infinity'] },
    ]);
    f.engine.apply([t]);
    await f.settle();
    f.engine.apply([stopped(t)]);
    await f.settle();
    assert.equal(f.task(t.arn).known, 'RUNNING', 'still waiting for the stubborn container');
    assert.equal(f.container(t.arn, 'stubborn').known, 'RUNNING');
    assert.equal(f.container(t.arn, 'polite').exitCode, 143, 'containers nothing depends on stop together');
    await f.tick(9);
    assert.notEqual(f.task(t.arn).known, 'STOPPED');
    await f.tick(1);
    const last = f.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.deepEqual(last.containers?.map((c) => [c.containerName, c.exitCode]), [['stubborn', 137], ['polite', 143]]);
  });

  it('refuses a fixed host port another task holds, or something on the host is bound to', async () => {
    const port = await freePort();
    const a = acsTask([{ name: 'a', command: ['httpd'], portMappings: [{ containerPort: 80, hostPort: port }] }]);
    const b = acsTask([{ name: 'b', command: ['httpd'], portMappings: [{ containerPort: 8080, hostPort: port }] }]);
    f.engine.apply([a]);
    await f.settle();
    assert.equal(f.task(a.arn).known, 'RUNNING');
    f.engine.apply([b]);
    await f.settle();
    const last = f.lastReport(b.arn);
    assert.equal(last.status, 'STOPPED');
    assert.equal(last.reason, `CannotStartContainerError: host port 127.0.0.1:${port}/tcp is already allocated to task ${a.arn}`);
    assert.equal(f.container(b.arn, 'b').runtimeId, undefined);

    // Two tasks arriving together for the same port: exactly one gets it.
    const samePort = await freePort();
    const [x, y] = [1, 2].map((n) => acsTask([{ name: `t${n}`, command: ['httpd'], portMappings: [{ containerPort: 80, hostPort: samePort }] }]));
    f.engine.apply([x, y]);
    await f.settle();
    assert.deepEqual([f.task(x.arn).known, f.task(y.arn).known].sort(), ['RUNNING', 'STOPPED']);

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    const c = acsTask([{ name: 'c', command: ['httpd'], portMappings: [{ containerPort: 80, hostPort: taken }] }]);
    f.engine.apply([c]);
    await f.settle();
    blocker.close();
    assert.equal(f.lastReport(c.arn).reason, `CannotStartContainerError: host port 127.0.0.1:${taken}/tcp is already in use on the host`);
  });

  it('reports an unhealthy container in the task health, and a desired-STOPPED task it never ran as STOPPED', async () => {
    const t = acsTask([{ name: 'app', command: ['httpd'], healthCheck: { command: ['CMD-SHELL', 'exit 1'], interval: 5, retries: 2 } }]);
    f.engine.apply([t]);
    await f.settle();
    assert.equal(healthOf(f.task(t.arn))?.healthStatus, 'UNKNOWN');
    await f.tick(10);
    assert.deepEqual(healthOf(f.task(t.arn)), { taskArn: t.arn, healthStatus: 'UNHEALTHY', containers: [{ containerName: 'app', healthStatus: 'UNHEALTHY' }] });

    const never = stopped(acsTask([{ name: 'x' }]), 'Task stopped by user');
    f.engine.apply([never]);
    await f.settle();
    assert.deepEqual(f.statuses(never.arn), ['STOPPED']);
    assert.equal(f.lastReport(never.arn).reason, 'Task stopped by user');
  });
});
