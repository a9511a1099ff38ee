// The agent driving real containers (Docker engine + berth-test/busybox): a dynamic host port
// answering HTTP, stop with exit codes and stop timeouts, essential vs non-essential exits, OOM,
// dependsOn with a health check, shared task volumes, overrides, a host port already in use, and
// the task metadata endpoint seen from inside a container.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StopTaskCommand } from '@aws-sdk/client-ecs';
import { requireTestImage } from '../testing/requirements.js';
import { taskVolumeRoot } from './container-spec.js';
import { docker, DockerAgentFixture, eventually } from '../testing/docker-fixture.js';

describe('agent with the docker runtime', requireTestImage(), () => {
  const f = new DockerAgentFixture('127.0.0.21');
  before(async () => { await f.start(); });
  after(async () => { await f.close(); });

  const volumeFile = (arn: string, volume: string, file: string) => join(taskVolumeRoot(f.agent.state.dir, arn), volume, file);

  it('runs busybox httpd on a dynamic host port that answers HTTP, and stops it', async () => {
    const td = await f.register([{ name: 'web', command: ['httpd', '-f', '-p', '80', '-h', '/var/www'], portMappings: [{ containerPort: 80 }], stopTimeout: 2 }]);
    const arn = await f.run(td);
    const task = await f.untilStatus(arn, 'RUNNING');
    const b = task.containers![0].networkBindings![0];
    assert.equal(b.bindIP, '127.0.0.21');
    assert.ok((b.hostPort ?? 0) > 0);
    const body = await eventually('httpd answering', async () => (await fetch(`http://127.0.0.21:${b.hostPort}/`)).text());
    assert.equal(body.trim(), 'hello from berth-test');
    assert.equal(task.containers![0].runtimeId, f.local(arn).containers[0].runtimeId);

    await f.h.ecs.send(new StopTaskCommand({ cluster: f.cluster, task: arn, reason: 'enough' }));
    const stopped = await f.untilStatus(arn, 'STOPPED');
    assert.equal(stopped.stoppedReason, 'enough');
    assert.equal(stopped.stopCode, 'UserInitiated');
    // httpd as PID 1 ignores SIGTERM: SIGKILL after the 2 s stopTimeout.
    assert.equal(stopped.containers![0].exitCode, 137);
    assert.equal(docker('inspect', '-f', '{{.State.Status}}', task.containers![0].runtimeId!), 'exited');
    // Every timestamp of the lifecycle is set, in order.
    const times = (['createdAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt', 'stoppingAt', 'executionStoppedAt', 'stoppedAt'] as const)
      .map((k) => [k, stopped[k]?.getTime()] as const);
    for (const [k, v] of times) assert.ok(v !== undefined, `${k} is set`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1][1]! <= times[i][1]!, `${times[i - 1][0]} ≤ ${times[i][0]}`);
  });

  it('stops a container that handles SIGTERM with its own exit code', async () => {
    const td = await f.register([{ name: 'trapper', command: ['sh', '-c', "trap 'exit 42' TERM; while true; do sleep 1; done"] }]);
    const arn = await f.run(td);
    await f.untilStatus(arn, 'RUNNING');
    await f.h.ecs.send(new StopTaskCommand({ cluster: f.cluster, task: arn }));
    assert.equal((await f.untilStatus(arn, 'STOPPED')).containers![0].exitCode, 42);
  });

  it('keeps the task for a non-essential exit and stops it for an essential one', async () => {
    const td = await f.register([
      { name: 'main', command: ['sh', '-c', 'sleep 3; exit 3'] },
      { name: 'helper', essential: false, command: ['sh', '-c', 'exit 7'] },
    ]);
    const arn = await f.run(td);
    await eventually('helper exiting while the task runs', async () => {
      const t = await f.task(arn);
      return t.lastStatus === 'RUNNING' && t.containers!.find((c) => c.name === 'helper')!.exitCode === 7;
    });
    const stopped = await f.untilStatus(arn, 'STOPPED');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.containers!.find((c) => c.name === 'main')!.exitCode, 3);
  });

  it('reports an OOM kill', async () => {
    // dd's 100 MiB block buffer is filled from /dev/zero: far over the 32 MiB hard limit.
    const td = await f.register([{ name: 'hog', memory: 32, command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'] }]);
    const arn = await f.run(td);
    const stopped = await f.untilStatus(arn, 'STOPPED');
    assert.equal(stopped.containers![0].exitCode, 137);
    assert.equal(stopped.containers![0].reason, 'OutOfMemoryError: Container killed due to memory usage');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
  });

  it('orders containers by dependsOn (SUCCESS, HEALTHY) and shares task volumes between them', async () => {
    const td = await f.register([
      { name: 'app', dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }, { containerName: 'proxy', condition: 'HEALTHY' }],
        mountPoints: [{ sourceVolume: 'shared', containerPath: '/shared' }], command: ['sh', '-c', 'echo app >> /shared/order; exec sleep 3600'], stopTimeout: 1 },
      { name: 'init', essential: false, mountPoints: [{ sourceVolume: 'shared', containerPath: '/shared' }], command: ['sh', '-c', 'sleep 1; echo init >> /shared/order'] },
      { name: 'proxy', mountPoints: [{ sourceVolume: 'shared', containerPath: '/shared' }], stopTimeout: 1,
        healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 5, timeout: 2, retries: 3 },
        command: ['sh', '-c', 'echo proxy >> /shared/order; touch /tmp/ready; exec sleep 3600'] },
    ], { volumes: [{ name: 'shared' }] });
    const arn = await f.run(td);
    const running = await f.untilStatus(arn, 'RUNNING');
    assert.equal(f.local(arn).containers.find((c) => c.name === 'proxy')!.health, 'HEALTHY');
    const order = readFileSync(volumeFile(arn, 'shared', 'order'), 'utf8').trim().split('\n');
    assert.deepEqual(order.slice(-1), ['app'], `app starts last: ${order.join(', ')}`);
    assert.deepEqual(order.slice(0, 2).sort(), ['init', 'proxy']);
    assert.equal(running.containers!.find((c) => c.name === 'init')!.exitCode, 0);
    // The health check's result reaches DescribeTasks: the container's, and the task's (its only
    // essential container with a health check is healthy).
    const healthy = await eventually('task healthStatus HEALTHY', async () => { const t = await f.task(arn); return t.healthStatus === 'HEALTHY' && t; });
    assert.equal(healthy.containers!.find((c) => c.name === 'proxy')!.healthStatus, 'HEALTHY');
    await f.h.ecs.send(new StopTaskCommand({ cluster: f.cluster, task: arn }));
    await f.untilStatus(arn, 'STOPPED');
  });

  it('applies RunTask overrides to the container it creates', async () => {
    const td = await f.register([{ name: 'o', command: ['sleep', '3600'], stopTimeout: 1, environment: [{ name: 'KEEP', value: 'k' }, { name: 'CHANGE', value: 'old' }] }]);
    const arn = await f.run(td, { overrides: { containerOverrides: [{ name: 'o', command: ['sh', '-c', 'exec sleep 3601'], environment: [{ name: 'CHANGE', value: 'new' }], memory: 48 }] } });
    const t = await f.untilStatus(arn, 'RUNNING');
    const id = t.containers![0].runtimeId!;
    assert.equal(docker('inspect', '-f', '{{json .Config.Cmd}}', id), '["sh","-c","exec sleep 3601"]');
    const env = JSON.parse(docker('inspect', '-f', '{{json .Config.Env}}', id)) as string[];
    assert.ok(env.includes('KEEP=k') && env.includes('CHANGE=new'), env.join(' '));
    assert.equal(docker('inspect', '-f', '{{.HostConfig.Memory}}', id), String(48 * 1024 * 1024));
    assert.equal(docker('inspect', '-f', '{{index .Config.Labels "com.amazonaws.ecs.task-arn"}}', id), arn);
    await f.h.ecs.send(new StopTaskCommand({ cluster: f.cluster, task: arn }));
    await f.untilStatus(arn, 'STOPPED');
  });

  it('refuses to start a task whose fixed host port something else already holds', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.21', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const td = await f.register([{ name: 'p', command: ['httpd', '-f'], portMappings: [{ containerPort: 80, hostPort: port }] }]);
      const arn = await f.run(td);
      const stopped = await f.untilStatus(arn, 'STOPPED');
      assert.equal(stopped.stopCode, 'TaskFailedToStart');
      assert.equal(stopped.stoppedReason, `CannotStartContainerError: host port 127.0.0.21:${port}/tcp is already in use on the host`);
      assert.equal(f.local(arn).containers[0].runtimeId, undefined, 'no container was created');
    } finally {
      blocker.close();
    }
  });

  it('serves the task metadata endpoint to the containers', async () => {
    const td = await f.register([{ name: 'probe', mountPoints: [{ sourceVolume: 'out', containerPath: '/out' }], portMappings: [{ containerPort: 8080 }],
      command: ['sh', '-c', 'wget -q -O /out/c.json "$ECS_CONTAINER_METADATA_URI_V4" && wget -q -O /out/t.json "$ECS_CONTAINER_METADATA_URI_V4/task"'
        + ' && wget -q -O /out/s.json "$ECS_CONTAINER_METADATA_URI_V4/stats" && wget -q -O /out/ts.json "$ECS_CONTAINER_METADATA_URI_V4/task/stats"'
        + ' && wget -q -O /out/c3.json "$ECS_CONTAINER_METADATA_URI"; exec sleep 3600'],
      stopTimeout: 1 }], { volumes: [{ name: 'out' }] });
    const arn = await f.run(td);
    const running = await f.untilStatus(arn, 'RUNNING');
    const id = running.containers![0].runtimeId!;
    const read = (file: string) => eventually(`/out/${file}`, async () => {
      const text = readFileSync(volumeFile(arn, 'out', file), 'utf8');
      return text.length > 0 && JSON.parse(text) as Record<string, unknown>;
    });
    const container = await read('c.json');
    assert.equal(container.DockerId, id);
    assert.equal(container.Name, 'probe');
    assert.equal((container.Labels as Record<string, string>)['com.amazonaws.ecs.task-arn'], arn);
    assert.match(((container.Networks as { IPv4Addresses: string[] }[])[0].IPv4Addresses[0]), /^\d+\.\d+\.\d+\.\d+$/);
    const task = await read('t.json');
    assert.equal(task.TaskARN, arn);
    assert.equal(task.Cluster, f.agent.clusterArn);
    assert.equal(task.LaunchType, 'EC2');
    assert.equal(task.AvailabilityZone, 'us-east-1a');
    assert.deepEqual((task.Containers as { Name: string }[]).map((c) => c.Name), ['probe']);
    assert.ok((await read('s.json')).memory_stats, 'docker stats of the container');
    assert.ok(Object.keys(await read('ts.json')).includes(id));
    assert.equal((await read('c3.json')).DockerId, id, 'ECS_CONTAINER_METADATA_URI (v3) answers too');
    await f.h.ecs.send(new StopTaskCommand({ cluster: f.cluster, task: arn }));
    await f.untilStatus(arn, 'STOPPED');
  });
});
