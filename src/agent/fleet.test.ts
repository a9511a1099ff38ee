// `berth agent --runtime simulated --fleet N` in one process: N registered instances with distinct
// ARNs and addresses, zones round-robin, sizes from the instance type, each with its own ACS
// session, running, stopping and reporting real tasks placed on them.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../server/berth.js';
import { eventually } from '../testing/eventually.js';
import { startHarness, type Harness } from '../testing/harness.js';
import { fleetIp, startFleet } from './fleet.js';
import { fleetSizeFromArgs } from '../cli/agent-args.js';
import { parseArgs } from '../cli/args.js';

describe('a simulated fleet in one process', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'berth-fleet-'));
  });
  after(async () => { await h.close(); rmSync(dir, { recursive: true, force: true }); });

  it('numbers addresses and reads --fleet', () => {
    assert.deepEqual([0, 1, 249, 250, 999].map((i) => fleetIp(i)), ['127.1.0.1', '127.1.0.2', '127.1.0.250', '127.1.1.1', '127.1.3.250']);
    assert.equal(fleetIp(3, '127.1.2.254'), '127.1.3.1');
    assert.equal(fleetSizeFromArgs(parseArgs('agent --cluster c --runtime simulated --fleet 12'.split(' '))), 12);
    assert.equal(fleetSizeFromArgs(parseArgs('agent --cluster c'.split(' '))), undefined);
    assert.throws(() => fleetSizeFromArgs(parseArgs('agent --cluster c --fleet 3'.split(' '))), /--runtime simulated/);
    assert.throws(() => fleetSizeFromArgs(parseArgs('agent --cluster c --runtime simulated --fleet 0'.split(' '))), /from 1 to 60000/);
  });

  it('registers N instances that run, stop and report tasks', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'fleet' }));
    const fleet = await startFleet({
      endpoint: h.url, cluster: 'fleet', runtime: 'simulated', version: VERSION, size: 6, instanceType: 't3.medium',
      stateDir: dir, log: () => {}, backoffMs: [50, 500],
    });
    try {
      const arns = fleet.agents.map((a) => a.instanceArn);
      assert.equal(new Set(arns).size, 6);
      const listed = (await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'fleet' }))).containerInstanceArns!;
      assert.deepEqual([...listed].sort(), [...arns].sort());
      const described = (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'fleet', containerInstances: arns }))).containerInstances!;
      const attr = (ci: typeof described[number], name: string) => ci.attributes?.find((a) => a.name === name)?.value;
      assert.deepEqual(described.map((ci) => attr(ci, 'ecs.availability-zone')),
        ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a', 'us-east-1b', 'us-east-1c']);
      assert.deepEqual(described.map((ci) => attr(ci, 'ecs.instance-type')), Array(6).fill('t3.medium'));
      assert.ok(described.every((ci) => ci.registeredResources?.find((r) => r.name === 'CPU')?.integerValue === 2048));
      await eventually('six ACS sessions', () => arns.every((arn) => h.berth.services.ecs.acs.sessions.has(arn)));

      await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'f', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64, command: ['sleep', 'infinity'] }] }));
      const run = await h.ecs.send(new RunTaskCommand({ cluster: 'fleet', taskDefinition: 'f', count: 6,
        placementStrategy: [{ type: 'spread', field: 'instanceId' }] }));
      const tasks = run.tasks!.map((t) => t.taskArn!);
      assert.equal(new Set(run.tasks!.map((t) => t.containerInstanceArn)).size, 6, 'one task on each instance');
      const describe = async () => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'fleet', tasks }))).tasks!;
      await eventually('six RUNNING', async () => (await describe()).every((t) => t.lastStatus === 'RUNNING'));
      await h.ecs.send(new StopTaskCommand({ cluster: 'fleet', task: tasks[0] }));
      await eventually('the stopped one STOPPED', async () => (await describe()).find((t) => t.taskArn === tasks[0])?.lastStatus === 'STOPPED');
    } finally {
      await fleet.stop();
    }
  });
});
