// Self-fencing, in one process: the server names its heartbeat and the fence deadline in the ACS
// upgrade response; once nothing is heard from it for that long (here: the server is gone), a
// Berth agent stops its REPLICA service tasks itself. DAEMON tasks keep running (ECS's rule), and
// standalone tasks too unless the agent fences them (--fence-standalone). The cross-host version
// with real partitions is partition.test.ts.
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, StartTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../server/berth.js';
import { eventually } from '../testing/eventually.js';
import { startHarness, type Harness } from '../testing/harness.js';
import { Agent } from './agent.js';
import type { TaskState } from './task-state.js';

describe('self-fencing agents', () => {
  let h: Harness;
  let dir: string;
  let serverClosed = false;
  const agents: Agent[] = [];
  before(async () => {
    h = await startHarness({ config: { ecs: { agentGraceSeconds: 3, lostAfterSeconds: 2, scheduler: { intervalMs: 100 } } } });
    dir = mkdtempSync(join(tmpdir(), 'berth-fence-'));
  });
  after(async () => {
    for (const a of agents) await a.stop();
    if (!serverClosed) await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const running = (a: Agent, pick: (t: TaskState) => boolean) =>
    Object.values(a.engine.tasks).filter((t) => pick(t) && t.containers.some((c) => c.known === 'RUNNING')).length;
  const ofService = (name: string) => (t: TaskState) => t.desired.group === `service:${name}`;
  const standalone = (t: TaskState) => !t.desired.group?.startsWith('service:');

  it('stops REPLICA service tasks once the server is silent for the deadline it gave; DAEMON and standalone tasks stay', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'f' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 16, command: ['httpd', '-f'] }] }));
    const start = (name: string, fenceStandalone?: boolean) => Agent.start({
      endpoint: h.url, cluster: 'f', runtime: 'simulated', version: VERSION, log: () => {}, stateDir: join(dir, name),
      ip: name === 'plain' ? '127.15.1.1' : '127.15.1.2', fenceStandalone,
    }).then((a) => { agents.push(a); return a; });
    const plain = await start('plain');
    const strict = await start('strict', true);
    for (const a of [plain, strict]) await eventually('connected', () => a.acs.connected);
    assert.deepEqual([plain.acs.heartbeatMs, plain.acs.fenceAfterMs], [1_000, 2_000], 'told by the upgrade response');

    await h.ecs.send(new CreateServiceCommand({ cluster: 'f', serviceName: 'replica', taskDefinition: 'web', desiredCount: 2 }));
    await h.ecs.send(new CreateServiceCommand({ cluster: 'f', serviceName: 'daemon', taskDefinition: 'web', schedulingStrategy: 'DAEMON' }));
    await h.ecs.send(new StartTaskCommand({ cluster: 'f', taskDefinition: 'web', containerInstances: [plain.instanceArn, strict.instanceArn] }));
    for (const a of [plain, strict]) {
      await eventually('one task of each kind running', () => running(a, ofService('replica')) === 1 && running(a, ofService('daemon')) === 1
        && running(a, standalone) === 1);
    }
    const replicaTask = Object.values(plain.engine.tasks).find(ofService('replica'))!;
    assert.equal(replicaTask.desired.selfFence, true, 'REPLICA service tasks come marked for fencing');
    assert.equal(Object.values(plain.engine.tasks).find(ofService('daemon'))!.desired.selfFence, undefined);

    serverClosed = true;
    await h.close(); // the server goes silent (as a partition looks to the agent)
    for (const a of [plain, strict]) await eventually('the REPLICA copy fenced', () => running(a, ofService('replica')) === 0);
    assert.ok(Date.now() - plain.acs.heardAt >= 2_000, 'not before the deadline');
    assert.match(plain.engine.tasks[replicaTask.arn].desired.stoppedReason ?? '', /self-fencing/);
    assert.equal(running(plain, ofService('daemon')), 1, 'DAEMON tasks keep running');
    assert.equal(running(plain, standalone), 1, 'standalone tasks keep running by default');
    assert.equal(running(strict, ofService('daemon')), 1);
    await eventually('--fence-standalone stops standalone tasks too', () => running(strict, standalone) === 0);
  });
});
