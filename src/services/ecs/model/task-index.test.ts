// The indexes and counters written with each record (task-index.ts, task-definition-index.ts) are
// exactly what a rebuild from the records alone gives (index-rebuild.ts), after a mix of calls that
// create, change and stop tasks and register, deregister and delete task definitions; and the
// reads over them answer like a filter over every record would.
import {
  CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DeregisterContainerInstanceCommand, DeleteTaskDefinitionsCommand, DeregisterTaskDefinitionCommand, DescribeClustersCommand,
  DescribeTaskDefinitionCommand, ListTaskDefinitionFamiliesCommand, ListTaskDefinitionsCommand, ListTasksCommand,
  RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type ListTasksRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { ensureIndexes, INDEX_MARKER } from './index-rebuild.js';

const INDEX_KINDS = ['task-index', 'task-counts', 'cluster-counts', 'task-definition-status', 'task-definition-family-status', 'task-definition-families'];

describe('ECS indexes and counters', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  /** Every index, counter (zero counters left out) and family record, as key → value. */
  async function indexState(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const kv of await h.berth.app.store.list('/ecs/')) {
      const kind = kv.key.split('/')[4];
      if (!INDEX_KINDS.includes(kind) || ((kind === 'task-counts' || kind === 'cluster-counts') && kv.value === '0')) continue;
      out.set(kv.key, kind === 'task-definition-families' ? JSON.stringify(JSON.parse(kv.value)) : kv.value);
    }
    return out;
  }

  const listAll = async (input: ListTasksRequest) => {
    const arns: string[] = [];
    for (let token: string | undefined; ;) {
      const page = await h.ecs.send(new ListTasksCommand({ cluster: 'ix', maxResults: 2, ...input, nextToken: token }));
      arns.push(...page.taskArns!);
      if (!(token = page.nextToken)) return arns.sort();
    }
  };

  it('match a rebuild from the records, and answer the list and count calls', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'ix' }));
    const def = (family: string) => new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'c', image: 'busybox', memory: 64 }] });
    for (let i = 0; i < 3; i++) await h.ecs.send(def('web'));
    await h.ecs.send(def('db'));
    await h.ecs.send(def('old'));
    await h.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:3' }));
    await h.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'old:1' }));
    await h.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['old:1'] }));
    const [a, b] = [await TestAgent.register(h.ecs, { cluster: 'ix' }), await TestAgent.register(h.ecs, { cluster: 'ix' })];

    const run = async (taskDefinition: string, extra: { startedBy?: string; clientToken?: string; group?: string } = {}) =>
      (await h.ecs.send(new RunTaskCommand({ cluster: 'ix', taskDefinition, ...extra }))).tasks!.map((t) => t.taskArn!);
    const web = [...await run('web'), ...await run('web', { startedBy: 'ci/job-1' }), ...await run('web:1', { group: 'g' })];
    const dbs = [...await run('db', { clientToken: 'tok-1' }), ...await run('db')];
    await h.ecs.send(new StopTaskCommand({ cluster: 'ix', task: web[0] }));
    // The same clientToken answers with the first call's task, not a new one.
    assert.deepEqual(await run('db', { clientToken: 'tok-1' }), [dbs[0]]);

    // Reads over the indexes.
    assert.equal((await h.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }))).taskDefinition!.revision, 2);
    await assert.rejects(h.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'old' })), { name: 'ClientException' });
    const tds = (await h.ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC', maxResults: 2 })));
    assert.deepEqual(tds.taskDefinitionArns!.map((x) => x.split('/')[1]), ['web:2', 'web:1']);
    const rest = await h.ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC', nextToken: tds.nextToken }));
    assert.deepEqual(rest.taskDefinitionArns!.map((x) => x.split('/')[1]), ['db:1']);
    assert.equal(rest.nextToken, undefined);
    assert.deepEqual((await h.ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'ACTIVE' }))).families, ['db', 'web']);
    assert.deepEqual((await h.ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'INACTIVE' }))).families, ['old']);
    assert.deepEqual((await h.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'o' }))).families, ['old']);

    assert.deepEqual(await listAll({}), [...web.slice(1), ...dbs].sort());
    assert.deepEqual(await listAll({ desiredStatus: 'STOPPED' }), [web[0]]);
    assert.deepEqual(await listAll({ family: 'web' }), web.slice(1).sort());
    assert.deepEqual(await listAll({ startedBy: 'ci/job-1' }), [web[1]]);
    const onA = await listAll({ containerInstance: a.instanceArn });
    const onB = await listAll({ containerInstance: b.instanceArn });
    assert.deepEqual([...onA, ...onB].sort(), [...web.slice(1), ...dbs].sort());
    assert.deepEqual(await listAll({ containerInstance: a.instanceArn, family: 'db' }), onA.filter((x) => dbs.includes(x)));
    assert.deepEqual(await listAll({ launchType: 'FARGATE' }), []);
    const cluster = (await h.ecs.send(new DescribeClustersCommand({ clusters: ['ix'] }))).clusters![0];
    assert.equal(cluster.pendingTasksCount, 5); // web[0] asked to stop, but no agent reported it stopped yet
    assert.equal(cluster.runningTasksCount, 0);
    assert.equal(cluster.registeredContainerInstancesCount, 2);
    assert.equal(cluster.activeServicesCount, 0);

    // Instance and service counters (cluster-counters.ts): a third instance comes and goes, one
    // service stays ACTIVE, another is deleted (DRAINING, then INACTIVE: neither counts).
    const c = await TestAgent.register(h.ecs, { cluster: 'ix' });
    const service = (serviceName: string) => new CreateServiceCommand({ cluster: 'ix', serviceName, taskDefinition: 'db', desiredCount: 0 });
    await h.ecs.send(service('kept'));
    await h.ecs.send(service('gone'));
    const during = (await h.ecs.send(new DescribeClustersCommand({ clusters: ['ix'] }))).clusters![0];
    assert.deepEqual([during.registeredContainerInstancesCount, during.activeServicesCount], [3, 2]);
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'ix', containerInstance: c.instanceArn }));
    await h.ecs.send(new DeleteServiceCommand({ cluster: 'ix', service: 'gone' }));
    const later = (await h.ecs.send(new DescribeClustersCommand({ clusters: ['ix'] }))).clusters![0];
    assert.deepEqual([later.registeredContainerInstancesCount, later.activeServicesCount], [2, 1]);

    // What was written along the way is what the records alone give.
    const written = await indexState();
    assert.ok(written.size > 20);
    for (const key of written.keys()) if (!key.includes('/task-definition-families/')) await h.berth.app.store.delete(key);
    await h.berth.app.store.delete(INDEX_MARKER);
    assert.ok(await ensureIndexes(h.berth.app.store) > 0);
    assert.deepEqual(await indexState(), written);
    assert.equal(await ensureIndexes(h.berth.app.store), 0, 'the marker says it is done');
  });
});
