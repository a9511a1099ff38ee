// The server end of ACS with the real Berth agent (src/agent, simulated runtime: the same
// lifecycle without Docker): RunTask reaches RUNNING, StopTask reaches STOPPED, resources return.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
  StopTaskCommand, type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../../agent/agent.js';
import { eventually } from '../../../testing/eventually.js';
import { credentials, startHarness, type Harness } from '../../../testing/harness.js';

describe('ACS with the Berth agent (simulated runtime)', () => {
  let h: Harness;
  let agent: Agent;
  const dir = mkdtempSync(join(tmpdir(), 'berth-acs-e2e-'));
  before(async () => {
    h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 200 } } } });
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'e2e' }));
    agent = await Agent.start({
      endpoint: h.url, cluster: 'e2e', runtime: 'simulated', version: '0.0.0-test', stateDir: dir, cpu: 1024, memory: 1024,
      credentials, log: () => {},
    });
  });
  after(async () => { await agent.stop(); await h.close(); rmSync(dir, { recursive: true, force: true }); });

  /** The task once `done` holds for it. */
  const until = (arn: string, done: (t: Task) => boolean): Promise<Task> => eventually(`task ${arn} in the awaited state`, async () => {
    const t = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'e2e', tasks: [arn] }))).tasks![0];
    return done(t) && t;
  });

  it('runs and stops a task end to end', async () => {
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'sleep', containerDefinitions: [{
      name: 'app', image: 'busybox', memory: 64, command: ['sleep', '3600'], portMappings: [{ containerPort: 80, hostPort: 0 }] }] }));
    const arn = (await h.ecs.send(new RunTaskCommand({ cluster: 'e2e', taskDefinition: 'sleep' }))).tasks![0].taskArn!;
    const running = await until(arn, (t) => t.lastStatus === 'RUNNING');
    assert.ok(running.startedAt);
    assert.equal(running.containers?.[0].networkBindings?.[0].containerPort, 80);
    assert.ok((running.containers?.[0].networkBindings?.[0].hostPort ?? 0) > 0);
    await h.ecs.send(new StopTaskCommand({ cluster: 'e2e', task: arn }));
    const stopped = await until(arn, (t) => t.lastStatus === 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'Task stopped by user');
    const ci = (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'e2e', containerInstances: [agent.instanceArn] }))).containerInstances![0];
    assert.equal(ci.agentConnected, true);
    assert.deepEqual([ci.runningTasksCount, ci.pendingTasksCount], [0, 0]);
    assert.deepEqual(ci.remainingResources, ci.registeredResources);
  });
});
