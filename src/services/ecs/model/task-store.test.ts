// modifyTaskGrouped (task-store.ts): changes asked for in one turn of the event loop are committed
// in one transaction, and every task ends as if each change had been made on its own: counters,
// indexes, a reservation given back, a task changed meanwhile.
import { CreateClusterCommand, DescribeClustersCommand, DescribeContainerInstancesCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import type { RequestContext } from '../../context.js';
import { db } from './common.js';
import { parseTaskRef } from './task-model.js';
import { applyTaskReport, type TaskReport } from './task-state.js';
import { modifyTask, modifyTaskGrouped } from './task-store.js';

const T = new Date('2026-12-01T08:00:00.000Z');

for (const store of ['memory://', 'sqlite://:memory:']) {
  describe(`modifyTaskGrouped (${store})`, () => {
    let h: Harness;
    let agent: TestAgent;
    let ctx: RequestContext;
    before(async () => {
      h = await startHarness({ store });
      ctx = {
        requestId: 'test', account: '000000000000', region: 'us-east-1', accessKeyId: 'test',
        principalArn: 'arn:aws:iam::000000000000:root', service: 'ecs', operation: 'SubmitTaskStateChange', app: h.berth.app,
      };
    });
    after(async () => { await h.close(); });
    beforeEach(async () => {
      await h.reset();
      await h.ecs.send(new CreateClusterCommand({ clusterName: 'a' }));
      await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'app', containerDefinitions: [{ name: 'main', image: 'busybox', memory: 100 }] }));
      agent = await TestAgent.register(h.ecs, { cluster: 'a', memory: 1000 });
    });

    const run = async (count: number) => (await h.ecs.send(new RunTaskCommand({ cluster: 'a', taskDefinition: 'app', count }))).tasks!.map((t) => parseTaskRef(t.taskArn!).id);
    const report = (id: string, r: TaskReport) => modifyTaskGrouped(ctx, 'a', id, (t) => applyTaskReport(t, r, T));
    const stored = async (id: string) => (await db(ctx).tasks.getVersioned(ctx, `a/${id}`))!;
    const counts = async () => {
      const c = (await h.ecs.send(new DescribeClustersCommand({ clusters: ['a'] }))).clusters![0];
      return [c.runningTasksCount, c.pendingTasksCount];
    };
    const memoryLeft = async () => (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'a', containerInstances: [agent.instanceArn] })))
      .containerInstances![0].remainingResources!.find((r) => r.name === 'MEMORY')!.integerValue;

    it('commits the changes of one turn in one transaction; counters, indexes and reservations end as if made one by one', async () => {
      const [a, b, c, d, e] = await run(5);
      assert.deepEqual(await counts(), [0, 5]);
      assert.equal(await memoryLeft(), 500);
      const out = await Promise.all([
        report(a, { status: 'RUNNING' }),
        report(b, { status: 'RUNNING' }),
        report(c, { status: 'RUNNING' }),
        // The same task twice: the second change applies on top of the first.
        report(c, { containers: [{ containerName: 'main', runtimeId: 'r-c' }] }),
        report(c, { status: 'PENDING' }),
        // Reaching STOPPED gives the reservation back.
        report(d, { status: 'STOPPED', reason: 'pull failed' }),
        report('0123456789abcdef0123456789abcdef', { status: 'RUNNING' }),
      ]);
      assert.deepEqual(out.map((m) => m?.changed), [true, true, true, true, false, true, undefined]);
      const [sa, sb, sc, sd, se] = await Promise.all([a, b, c, d, e].map(stored));
      assert.equal(sa.revision, sb.revision, 'one transaction');
      assert.equal(sa.revision, sc.revision, 'one transaction');
      assert.deepEqual([sa, sb, sc, sd, se].map((s) => s.value.lastStatus), ['RUNNING', 'RUNNING', 'RUNNING', 'STOPPED', 'PENDING']);
      assert.equal(sc.value.containers![0].runtimeId, 'r-c');
      assert.equal(sc.value.version, 2, 'one new version per commit');
      assert.equal(sd.value.stopCode, 'TaskFailedToStart');
      assert.deepEqual(await counts(), [3, 1]);
      assert.equal(await memoryLeft(), 600);
      const stopped = await h.ecs.send(new ListTasksCommand({ cluster: 'a', desiredStatus: 'STOPPED' }));
      assert.deepEqual(stopped.taskArns!.map((arn) => parseTaskRef(arn).id), [d]);
    });

    it('a task changed by someone else meanwhile: each change is made again on what is stored then', async () => {
      const [a, b] = await run(2);
      let raced = false;
      const out = await Promise.all([
        modifyTaskGrouped(ctx, 'a', a, (t) => {
          // Another writer changes the task after the group read it (only the first time).
          if (!raced) { raced = true; void modifyTask(ctx, 'a', a, (x) => ({ ...x, group: 'raced' })); }
          return applyTaskReport(t, { status: 'RUNNING' }, T);
        }),
        report(b, { status: 'RUNNING' }),
      ]);
      assert.deepEqual(out.map((m) => m?.task.lastStatus), ['RUNNING', 'RUNNING']);
      const sa = (await stored(a)).value;
      assert.equal(sa.lastStatus, 'RUNNING');
      assert.equal(sa.group, 'raced', 'the other change is kept');
      assert.equal((await stored(b)).value.lastStatus, 'RUNNING');
      assert.deepEqual(await counts(), [2, 0]);
    });
  });
}
