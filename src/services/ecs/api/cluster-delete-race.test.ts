// DeleteCluster against the writes that add to a cluster (cluster-fence.ts): a store that holds one
// chosen write until the test lets it go puts the other call exactly in between a call's reads and
// its commit, in both orders, for container instances, services and tasks. Whichever commits
// second must fail and re-read: never a cluster INACTIVE with an ACTIVE instance or service or a
// task that is not STOPPED.
import {
  CreateClusterCommand, CreateServiceCommand, DeleteClusterCommand, DeregisterContainerInstanceCommand, DescribeClustersCommand,
  RegisterContainerInstanceCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openMemoryStore } from '../../../store/memory.js';
import type { Op, Store } from '../../../store/types.js';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { ecsRecords } from '../model/common.js';

const SCOPE = { account: '000000000000', region: 'us-east-1' };

/** A store that holds one chosen call until the test lets it go: `pause` holds the next write
 *  (create, update or transaction) putting a key and value that match, before it is applied;
 *  `pauseList` holds the next list of a prefix that matches, after it has read (its result is
 *  then stale). `reached` resolves once the call is held. Only the first matching call waits. */
function pausable(store: Store) {
  type Gate = { kind: 'write' | 'list'; match: (key: string, value: string) => boolean; reached: () => void; open: Promise<void> };
  let gate: Gate | undefined;
  const hold = async (kind: Gate['kind'], items: { key: string; value: string }[]) => {
    const g = gate;
    if (!g || g.kind !== kind || !items.some((p) => g.match(p.key, p.value))) return;
    gate = undefined;
    g.reached();
    await g.open;
  };
  const putsOf = (ops: Op[]) => ops.flatMap((o) => (o.type === 'put' ? [o] : []));
  const wrapped: Store = Object.create(store) as Store;
  Object.assign(wrapped, {
    create: async (key: string, value: string) => { await hold('write', [{ key, value }]); return store.create(key, value); },
    update: async (key: string, value: string, rev?: number) => { await hold('write', [{ key, value }]); return store.update(key, value, rev); },
    txn: async (compares: Parameters<Store['txn']>[0], ops: Op[]) => { await hold('write', putsOf(ops)); return store.txn(compares, ops); },
    list: async (prefix: string, options?: Parameters<Store['list']>[1]) => {
      const out = await store.list(prefix, options);
      await hold('list', [{ key: prefix, value: '' }]);
      return out;
    },
  });
  const arm = (kind: Gate['kind'], match: Gate['match']) => {
    let reached!: () => void;
    let release!: () => void;
    const hit = new Promise<void>((resolve) => { reached = resolve; });
    const open = new Promise<void>((resolve) => { release = resolve; });
    gate = { kind, match, reached, open };
    return { reached: hit, release };
  };
  return {
    store: wrapped,
    pause: (match: Gate['match']) => arm('write', match),
    pauseList: (match: (prefix: string) => boolean) => arm('list', (prefix) => match(prefix)),
  };
}

describe('DeleteCluster racing the writes that add to the cluster', () => {
  const raw = openMemoryStore();
  const paused = pausable(raw);
  const records = ecsRecords(raw);
  let h: Harness;
  // No service scheduler: its passes would read the cluster too.
  before(async () => { h = await startHarness({ store: paused.store, config: { ecs: { scheduler: false } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'f', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 10 }] }));
  });

  const isClusterKey = (key: string) => key.endsWith('/clusters/c');
  const deletesCluster = (key: string, value: string) => isClusterKey(key) && (JSON.parse(value) as { status?: string }).status === 'INACTIVE';
  const under = (kind: string) => (key: string) => key.includes(`/${kind}/c/`);
  const register = () => h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'c' }));
  const createService = () => h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 's', taskDefinition: 'f', desiredCount: 0 }));
  const deleteCluster = () => h.ecs.send(new DeleteClusterCommand({ cluster: 'c' }));

  /** The invariant, read from the store: an INACTIVE cluster holds no ACTIVE/DRAINING instance, no
   *  ACTIVE service and no task that is not STOPPED. Returns the cluster's status. */
  const checkInvariant = async () => {
    const status = (await h.ecs.send(new DescribeClustersCommand({ clusters: ['c'] }))).clusters?.[0]?.status;
    if (status !== 'INACTIVE') return status;
    const instances = (await records.containerInstances.list(SCOPE, 'c/')).filter((i) => i.status !== 'INACTIVE');
    const services = (await records.services.list(SCOPE, 'c/')).filter((s) => s.status === 'ACTIVE');
    const tasks = (await records.tasks.list(SCOPE, 'c/')).filter((t) => t.lastStatus !== 'STOPPED');
    assert.deepEqual({ instances: instances.length, services: services.length, tasks: tasks.length }, { instances: 0, services: 0, tasks: 0 },
      'the cluster was deleted with members in it');
    return status;
  };

  it('an instance registered after DeleteCluster counted makes the deletion count again and refuse', async () => {
    const gate = paused.pause(deletesCluster);
    const deleting = deleteCluster();
    await gate.reached; // DeleteCluster has counted nothing in the cluster and is about to commit
    await register();
    gate.release();
    await assert.rejects(deleting, { name: 'ClusterContainsContainerInstancesException' });
    assert.equal(await checkInvariant(), 'ACTIVE');
  });

  it('a registration that read the cluster before DeleteCluster committed fails with ClusterNotFoundException', async () => {
    const gate = paused.pause(under('container-instances'));
    const registering = register();
    await gate.reached; // the registration read the cluster ACTIVE and is about to commit
    await deleteCluster();
    gate.release();
    await assert.rejects(registering, { name: 'ClusterNotFoundException' });
    assert.equal(await checkInvariant(), 'INACTIVE');
  });

  it('a service created after DeleteCluster counted makes the deletion refuse', async () => {
    const gate = paused.pause(deletesCluster);
    const deleting = deleteCluster();
    await gate.reached;
    await createService();
    gate.release();
    await assert.rejects(deleting, { name: 'ClusterContainsServicesException' });
    assert.equal(await checkInvariant(), 'ACTIVE');
  });

  it('CreateService that read the cluster before DeleteCluster committed fails with ClusterNotFoundException', async () => {
    const gate = paused.pause(under('services'));
    const creating = createService();
    await gate.reached;
    await deleteCluster();
    gate.release();
    await assert.rejects(creating, { name: 'ClusterNotFoundException' });
    assert.equal(await checkInvariant(), 'INACTIVE');
  });

  it('RunTask whose placement predates the deletion re-reads and fails with ClusterNotFoundException', async () => {
    const agent = await TestAgent.register(h.ecs, { cluster: 'c' });
    const gate = paused.pause(under('tasks'));
    const running = h.ecs.send(new RunTaskCommand({ cluster: 'c', taskDefinition: 'f' }));
    await gate.reached; // placed on the instance, about to commit
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'c', containerInstance: agent.instanceArn, force: true }));
    await deleteCluster();
    gate.release();
    await assert.rejects(running, { name: 'ClusterNotFoundException' });
    assert.equal(await checkInvariant(), 'INACTIVE');
    assert.deepEqual(await records.tasks.list(SCOPE, 'c/'), []);
  });

  it('a task placed after DeleteCluster read the tasks, its instance then force-deregistered, makes the deletion refuse', async () => {
    const agent = await TestAgent.register(h.ecs, { cluster: 'c' });
    const gate = paused.pauseList((prefix) => prefix.endsWith('/tasks/c/'));
    const deleting = deleteCluster();
    await gate.reached; // DeleteCluster has read the cluster's tasks: none
    const run = await h.ecs.send(new RunTaskCommand({ cluster: 'c', taskDefinition: 'f' }));
    assert.equal(run.tasks?.length, 1);
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'c', containerInstance: agent.instanceArn, force: true }));
    gate.release(); // whatever it reads next, DeleteCluster's count is stale: its commit must fail
    await assert.rejects(deleting, { name: 'ClusterContainsTasksException' });
    assert.equal(await checkInvariant(), 'ACTIVE');
  });
});
