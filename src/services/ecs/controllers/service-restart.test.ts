// The scheduler is level-triggered (STYLE point 8): nothing it needs lives only in memory. A real
// `berth server` process is killed with SIGKILL in the middle of a rolling deployment (the old
// tasks are being stopped) and started again on the same data directory; the deployment must
// finish with exactly desiredCount tasks of the new revision — no task started twice, none lost.
// In-process agents on the simulated runtime reconnect to the restarted server on their own.
import {
  CreateClusterCommand, CreateServiceCommand, ECSClient, ListTasksCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, spawnBerth, type BerthProcess } from '../../../testing/processes.js';
import { credentials } from '../../../testing/harness.js';
import { Agents, describeService, eventually, eventsOf, serviceTasks, stable } from '../../../testing/service-test-kit.js';

const image = (tag: string) => [{ name: 'app', image: `busybox:${tag}`, memory: 64, command: ['sleep', 'infinity'] }];

describe('service scheduler across a server crash (kill -9)', () => {
  let dir: string;
  let url: string;
  let port: number;
  let server: BerthProcess | undefined;
  let ecs: ECSClient;
  let agents: Agents | undefined;

  const startServer = async () => {
    server = spawnBerth(['server', '--port', String(port), '--data', join(dir, 'data')]);
    await server.waitFor(/listening on/);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-svc-restart-'));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startServer();
    ecs = new ECSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 3 });
  });
  after(async () => {
    await agents?.close();
    await server?.kill('SIGTERM');
    ecs?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes a rolling deployment interrupted by a server crash, without duplicate tasks', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: image('1') }));
    agents = new Agents(url);
    await agents.start('c', { availabilityZone: 'us-east-1a' });
    await agents.start('c', { availabilityZone: 'us-east-1b' });
    await ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 4,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } }));
    const first = await eventually('4 running tasks', async () => {
      const s = await describeService(ecs, 'c', 'web');
      return stable(s) && s.runningCount === 4 && s.deployments![0].rolloutState === 'COMPLETED' && s;
    });
    const seen = first.events!.length;

    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: image('2') }));
    const update = (await ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }))).service!;
    const deploymentId = update.deployments![0].id!;
    // Mid-deployment: the scheduler has asked the first old tasks to stop.
    await eventually('the first old tasks stopping', async () =>
      eventsOf(await describeService(ecs, 'c', 'web')).slice(seen).some((e) => / has stopped 2 running tasks:/.test(e)));
    assert.equal(await server!.kill('SIGKILL'), null, 'killed, not exited');
    await startServer();

    const done = await eventually('the deployment completed after the restart', async () => {
      const s = await describeService(ecs, 'c', 'web');
      return stable(s) && s.runningCount === 4 && s.deployments![0].id === deploymentId && s.deployments![0].rolloutState === 'COMPLETED' && s;
    });
    assert.ok(done.taskDefinition!.endsWith('web:2'));
    const started = async (desiredStatus: 'RUNNING' | 'STOPPED') =>
      (await ecs.send(new ListTasksCommand({ cluster: 'c', startedBy: deploymentId, desiredStatus }))).taskArns!;
    assert.deepEqual([(await started('RUNNING')).length, (await started('STOPPED')).length], [4, 0],
      'the new deployment started exactly 4 tasks in all, across the crash');
    const running = await serviceTasks(ecs, 'c', 'web');
    assert.equal(running.length, 4);
    assert.ok(running.every((t) => t.lastStatus === 'RUNNING' && t.taskDefinitionArn!.endsWith('web:2')));
    const stopped = await serviceTasks(ecs, 'c', 'web', 'STOPPED');
    assert.equal(stopped.length, 4, 'the 4 old tasks, each stopped once');
    assert.ok(stopped.every((t) => t.taskDefinitionArn!.endsWith('web:1') && t.lastStatus === 'STOPPED'));
  });
});
