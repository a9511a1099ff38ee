// Crash safety of the task engine over the simulated runtime: an agent restart re-adopts what
// runs (from the state dir, or from container labels when the state dir lost track), catches
// what happened while it was down, and the manifest stops what the server no longer lists.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { acsTask, EngineFixture, stopped } from '../testing/engine-fixture.js';
import { NO_CONTAINERS, NOT_IN_MANIFEST } from './task-engine.js';
import { ESSENTIAL_EXITED } from './task-runner.js';

describe('task engine crash safety (simulated runtime)', () => {
  const fixtures: EngineFixture[] = [];
  const fixture = async (from?: EngineFixture, grace?: number) => {
    const f = await new EngineFixture(from?.runtime, from?.dir).start({ manifestGraceMs: grace });
    fixtures.push(f);
    return f;
  };
  afterEach(async () => { for (const f of fixtures.splice(0)) await f.close(); });

  const taskContainers = async (f: EngineFixture, arn: string) => f.runtime.listByLabel('com.amazonaws.ecs.task-arn', arn);

  it('re-adopts running containers after a restart: no duplicate, no new start', async () => {
    const a = await fixture();
    const t = acsTask([{ name: 'web', command: ['httpd'], portMappings: [{ containerPort: 80 }] }]);
    a.engine.apply([t]);
    await a.settle();
    const id = a.container(t.arn, 'web').runtimeId;
    await a.engine.close(); // the agent dies; the containers keep running

    const b = await fixture(a);
    b.manifest([t]);
    await b.settle();
    assert.equal(b.task(t.arn).known, 'RUNNING');
    assert.equal(b.container(t.arn, 'web').runtimeId, id);
    assert.equal((await taskContainers(b, t.arn)).length, 1);
    assert.deepEqual(b.reports.filter((r) => r.task === t.arn), [], 'nothing changed, so nothing new to report');

    b.engine.apply([{ ...t, desiredStatus: 'STOPPED', generation: 2, stoppedReason: 'bye' }]);
    await b.settle();
    assert.equal(b.lastReport(t.arn).status, 'STOPPED');
    assert.equal(b.lastReport(t.arn).containers?.[0].exitCode, 143);
  });

  it('notices what happened while it was down: an essential container that exited stops its task', async () => {
    const a = await fixture();
    const t = acsTask([{ name: 'web', command: ['httpd'] }]);
    a.engine.apply([t]);
    await a.settle();
    await a.engine.close();
    await a.runtime.stop(a.container(t.arn, 'web').runtimeId!, 0);

    const b = await fixture(a);
    await b.settle();
    const last = b.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.equal(last.reason, ESSENTIAL_EXITED);
    assert.equal(last.containers?.[0].exitCode, 143);
  });

  it('adopts containers by their labels when the state dir lost the task, or removes them if the server no longer lists it', async () => {
    const a = await fixture();
    const keep = acsTask([{ name: 'web', command: ['httpd'] }]);
    const drop = acsTask([{ name: 'old', command: ['httpd'] }]);
    a.engine.apply([keep, drop]);
    await a.settle();
    const keptId = a.container(keep.arn, 'web').runtimeId;
    await a.engine.close();
    const file = join(a.dir, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as { tasks: Record<string, unknown> };
    state.tasks = {}; // as if the agent died between creating the containers and saving
    writeFileSync(file, JSON.stringify(state));

    const b = await fixture(a);
    b.manifest([keep]);
    await b.settle();
    assert.equal(b.task(keep.arn).known, 'RUNNING');
    assert.equal(b.container(keep.arn, 'web').runtimeId, keptId);
    assert.deepEqual((await taskContainers(b, keep.arn)).map((c) => c.id), [keptId], 'adopted, not duplicated');
    assert.deepEqual(await taskContainers(b, drop.arn), [], 'the unlisted task’s container is gone');
    assert.equal(b.task(drop.arn), undefined);
  });

  it('stops a task whose container was removed behind its back, saying so', async () => {
    const f = await fixture();
    const t = acsTask([{ name: 'web', command: ['httpd'] }]);
    f.engine.apply([t]);
    await f.settle();
    await f.runtime.remove(f.container(t.arn, 'web').runtimeId!);
    await f.settle();
    const last = f.lastReport(t.arn);
    assert.equal(last.status, 'STOPPED');
    assert.equal(last.reason, 'Essential container web was removed outside the agent');
    assert.match(last.containers?.[0].reason ?? '', /^ContainerRemovedError: container ecs-fam-1-web-\w+ was removed/);
  });

  it('stops tasks the manifest no longer lists, except ones just received', async () => {
    const f = await fixture(undefined, 60_000);
    const a = acsTask([{ name: 'a', command: ['httpd'] }]);
    const b = acsTask([{ name: 'b', command: ['httpd'] }]);
    f.engine.apply([a, b]);
    await f.settle();
    f.manifest([a]);
    await f.settle();
    assert.equal(f.task(b.arn).known, 'RUNNING', 'b arrived moments ago: the manifest may predate it');

    const g = await fixture();
    g.engine.apply([a, b]);
    await g.settle();
    g.manifest([a]);
    await g.settle();
    assert.equal(g.task(a.arn).known, 'RUNNING');
    assert.equal(g.lastReport(b.arn).status, 'STOPPED');
    assert.equal(g.lastReport(b.arn).reason, NOT_IN_MANIFEST);
  });

  it('never starts a cleaned-up task again, and keeps a stopped task stopped', async () => {
    const f = await fixture();
    const t = acsTask([{ name: 'once', command: ['sh', '-c', 'exit 0'] }]);
    f.engine.apply([t]);
    await f.settle();
    assert.equal(f.task(t.arn).known, 'STOPPED');
    f.engine.apply([{ ...t, generation: 5 }]); // a stale RUNNING from the server
    await f.settle();
    assert.equal(f.task(t.arn).known, 'STOPPED');
    assert.equal((await taskContainers(f, t.arn)).length, 1);
    f.engine.apply([{ ...t, generation: 6 }]); // a step of the task is under way when cleanup comes
    await f.engine.cleanup(t.arn);
    assert.equal((await taskContainers(f, t.arn)).length, 0, 'cleanup removed the container');
    f.engine.apply([{ ...t, generation: 7 }]);
    await f.settle();
    assert.equal(f.task(t.arn), undefined);
    assert.equal((await taskContainers(f, t.arn)).length, 0);
  });

  it('tells the server again that a cleaned-up task STOPPED when that report was lost; a new task still just starts', async () => {
    const a = await fixture();
    const byServer = acsTask([{ name: 'web', command: ['httpd'] }]);
    const byItself = acsTask([{ name: 'once', command: ['sh', '-c', 'exit 0'] }]);
    a.engine.apply([byServer, byItself]);
    await a.settle();
    a.engine.apply([stopped(byServer, 'Scaled down')]);
    await a.settle();
    assert.equal(a.lastReport(byServer.arn).status, 'STOPPED');
    assert.equal(a.lastReport(byItself.arn).status, 'STOPPED');
    await a.engine.cleanup(byServer.arn);
    await a.engine.cleanup(byItself.arn);
    await a.engine.close(); // killed right after the cleanup: the server never got either report

    const b = await fixture(a);
    const fresh = acsTask([{ name: 'new', command: ['httpd'] }]);
    // The server still lists both (desired STOPPED, and desired RUNNING as it never heard otherwise).
    b.manifest([stopped(byServer, 'Scaled down'), byItself, fresh]);
    await b.settle();
    assert.equal(b.lastReport(byServer.arn).status, 'STOPPED');
    assert.equal(b.lastReport(byServer.arn).reason, 'Scaled down');
    assert.deepEqual(b.lastReport(byServer.arn).containers?.map((c) => [c.containerName, c.status]), [['web', 'STOPPED']]);
    assert.equal(b.lastReport(byItself.arn).status, 'STOPPED');
    assert.equal(b.lastReport(byItself.arn).reason, NO_CONTAINERS);
    for (const arn of [byServer.arn, byItself.arn]) {
      assert.equal(b.task(arn), undefined, 'nothing kept of it');
      assert.deepEqual(await taskContainers(b, arn), [], 'and nothing started');
    }
    // A brand-new task without state or containers is a launch, not a lost task.
    assert.deepEqual(b.statuses(fresh.arn), ['PENDING', 'RUNNING']);
    assert.equal((await taskContainers(b, fresh.arn)).length, 1);
  });

  it('reports STOPPED, with the server\'s reason, a task it never had that the server wants stopped, starting nothing', async () => {
    const f = await fixture();
    const t = stopped(acsTask([{ name: 'web', command: ['httpd'] }]), 'Stopped before it reached the agent');
    f.engine.apply([t]);
    await f.settle();
    assert.deepEqual(f.statuses(t.arn), ['STOPPED']);
    assert.equal(f.lastReport(t.arn).reason, 'Stopped before it reached the agent');
    assert.deepEqual(await taskContainers(f, t.arn), []);
  });
});
