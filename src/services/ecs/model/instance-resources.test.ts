// Remaining resources apart from the instance record: a placement and a release write the
// instance's resources key, not its record; whoever writes the record folds the key back in.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, PutAttributesCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
  StopTaskCommand, UpdateContainerInstancesStateCommand, type ContainerInstance,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { eventually } from '../../../testing/eventually.js';
import type { ContainerInstanceRecord } from './common.js';
import type { InstanceResources } from './instance-resources.js';

const int = (ci: Pick<ContainerInstance, 'remainingResources'> | undefined, name: string) =>
  ci?.remainingResources?.find((r) => r.name === name)?.integerValue;

describe('remaining resources apart from the instance record', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  it('placements and releases write the resources key only; a record change folds it in; describe sees the sum of both', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'r' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'm', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 10, memory: 100 }] }));
    const agent = await TestAgent.register(h.ecs, { cluster: 'r', cpu: 1000, memory: 1000 });
    const id = agent.instanceArn.split('/').pop()!;
    const store = h.berth.app.store;
    const recordKey = `/ecs/000000000000/us-east-1/container-instances/r/${id}`;
    const resKey = `/ecs/000000000000/us-east-1/instance-resources/r/${id}`;
    const record = async () => { const kv = (await store.get(recordKey))!; return { revision: kv.modRevision, value: JSON.parse(kv.value) as ContainerInstanceRecord }; };
    const resources = async () => { const kv = await store.get(resKey); return kv && JSON.parse(kv.value) as InstanceResources; };
    const describe = async () => (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'r', containerInstances: [id] }))).containerInstances![0];

    const registered = await record();
    assert.equal(registered.value.version, 1);
    assert.equal(await resources(), undefined);

    // One RunTask of 3: one commit, the record untouched; the version counts each task's change.
    const tasks = (await h.ecs.send(new RunTaskCommand({ cluster: 'r', taskDefinition: 'm', count: 3 }))).tasks!;
    assert.equal(tasks.length, 3);
    assert.equal((await record()).revision, registered.revision, 'the record was not rewritten');
    assert.equal(int((await record()).value, 'MEMORY'), 1000);
    assert.equal(int(await resources(), 'MEMORY'), 700);
    let ci = await describe();
    assert.deepEqual([int(ci, 'CPU'), int(ci, 'MEMORY'), ci.version], [970, 700, 4]);

    // A record change (PutAttributes) keeps what the tasks hold: folded into the record, key gone.
    await h.ecs.send(new PutAttributesCommand({ cluster: 'r', attributes: [{ name: 'team', value: 'a', targetId: agent.instanceArn }] }));
    assert.equal(int((await record()).value, 'MEMORY'), 700);
    assert.equal(await resources(), undefined);
    ci = await describe();
    assert.deepEqual([int(ci, 'MEMORY'), ci.version], [700, 5]);

    // A task reaching STOPPED gives its share back through the key again.
    await h.ecs.send(new StopTaskCommand({ cluster: 'r', task: tasks[0].taskArn! }));
    await agent.report(tasks[0].taskArn!, 'STOPPED');
    await eventually('the reservation released', async () => int(await describe(), 'MEMORY') === 800);
    assert.equal(int((await record()).value, 'MEMORY'), 700);
    assert.equal(int(await resources(), 'MEMORY'), 800);
    assert.equal((await describe()).version, 6);

    // modifyInstance (DRAINING) folds it in too; the next placement starts from there.
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'r', containerInstances: [id], status: 'DRAINING' }));
    assert.equal(int((await record()).value, 'MEMORY'), 800);
    assert.equal(await resources(), undefined);
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'r', containerInstances: [id], status: 'ACTIVE' }));
    assert.equal((await h.ecs.send(new RunTaskCommand({ cluster: 'r', taskDefinition: 'm', count: 8 }))).tasks!.length, 8);
    ci = await describe();
    assert.deepEqual([int(ci, 'MEMORY'), int(ci, 'CPU')], [0, 1000 - 10 * 10]);
    const over = await h.ecs.send(new RunTaskCommand({ cluster: 'r', taskDefinition: 'm' }));
    assert.deepEqual(over.failures?.map((f) => f.reason), ['RESOURCE:MEMORY'], 'no room left: nothing over-committed');
  });
});
