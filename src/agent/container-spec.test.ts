import type { TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AcsTask } from '../protocol/acs.js';
import { agentManagedDirs, containerSpec, LABELS, pullBehaviorFromEnv, runtimeName, SpecError, stopTimeoutFromEnv, type SpecContext } from './container-spec.js';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef0123456789abcdef';
const ctx: SpecContext = {
  clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/prod',
  instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/prod/abc',
  ip: '127.0.0.2',
  stateDir: '/var/lib/berth-agent',
  metadataUri: (token) => `http://172.17.0.1:51000/v4/${token}`,
  pullBehavior: 'default',
  defaultStopTimeout: 30,
};

function task(td: TaskDefinition, extra: Partial<AcsTask> = {}): AcsTask {
  return { arn: ARN, desiredStatus: 'RUNNING', generation: 1, taskDefinition: { family: 'web', revision: 3, ...td }, ...extra };
}
const spec = (t: AcsTask, name: string) => containerSpec(t, t.taskDefinition.containerDefinitions!.find((d) => d.name === name)!, ctx, 'tok');

describe('container specs from task definitions', () => {
  it('names containers like the ECS agent and labels them for re-adoption', () => {
    const t = task({ containerDefinitions: [{ name: 'app', image: 'busybox', dockerLabels: { team: 'a' } }] });
    const s = spec(t, 'app');
    assert.equal(s.name, 'ecs-web-3-app-0123456789abcdef0123456789abcdef');
    assert.equal(runtimeName(t, 'app'), s.name);
    assert.deepEqual(s.labels, {
      team: 'a',
      [LABELS.taskArn]: ARN,
      [LABELS.containerName]: 'app',
      [LABELS.family]: 'web',
      [LABELS.revision]: '3',
      [LABELS.cluster]: ctx.clusterArn,
      [LABELS.instance]: ctx.instanceArn,
    });
    assert.equal(s.environment.ECS_CONTAINER_METADATA_URI_V4, 'http://172.17.0.1:51000/v4/tok');
    assert.equal(s.environment.ECS_CONTAINER_METADATA_URI, 'http://172.17.0.1:51000/v3/tok', 'the v3 variable the ECS agent also sets');
    assert.equal(s.environment.AWS_EXECUTION_ENV, 'AWS_ECS_EC2');
    assert.equal(s.stopTimeout, 30);
    assert.equal(s.cpu, 2, 'unset cpu gets the minimum 2 shares');
  });

  it('applies container overrides over the definition', () => {
    const t = task({ containerDefinitions: [{
      name: 'app', image: 'busybox', command: ['a'], cpu: 128, memory: 256, memoryReservation: 64,
      environment: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], entryPoint: ['sh', '-c'], user: 'nobody', workingDirectory: '/tmp',
    }] }, { overrides: { containerOverrides: [{ name: 'app', command: ['b'], cpu: 512, memory: 128, environment: [{ name: 'B', value: 'x' }, { name: 'C', value: '3' }] }] } });
    const s = spec(t, 'app');
    assert.deepEqual(s.command, ['b']);
    assert.deepEqual(s.entryPoint, ['sh', '-c']);
    assert.equal(s.cpu, 512);
    assert.equal(s.memory, 128);
    assert.equal(s.memoryReservation, 64);
    assert.equal(s.user, 'nobody');
    assert.equal(s.workingDirectory, '/tmp');
    assert.equal(s.environment.A, '1');
    assert.equal(s.environment.B, 'x');
    assert.equal(s.environment.C, '3');
  });

  it('maps ports per network mode: dynamic, fixed, placement-reserved, host, none', () => {
    const defs = [{ name: 'app', image: 'busybox', portMappings: [{ containerPort: 80 }, { containerPort: 53, hostPort: 5353, protocol: 'udp' as const }, { containerPort: 443, hostPort: 0 }] }];
    const bridge = spec(task({ containerDefinitions: defs }, { reservedPorts: { app: [{ containerPort: 53, hostPort: 6000, protocol: 'udp' }] } }), 'app');
    assert.deepEqual(bridge.portBindings, [
      { containerPort: 80, hostPort: 0, protocol: 'tcp', hostIp: '127.0.0.2' },
      { containerPort: 53, hostPort: 6000, protocol: 'udp', hostIp: '127.0.0.2' },
      { containerPort: 443, hostPort: 0, protocol: 'tcp', hostIp: '127.0.0.2' },
    ]);
    const host = spec(task({ networkMode: 'host', containerDefinitions: defs }), 'app');
    assert.deepEqual(host.portBindings.map((p) => p.hostPort), [80, 53, 443]);
    assert.equal(host.networkMode, 'host');
    assert.deepEqual(spec(task({ networkMode: 'none', containerDefinitions: defs }), 'app').portBindings, []);
    const range = spec(task({ containerDefinitions: [{ name: 'app', image: 'x', portMappings: [{ containerPortRange: '8000-8002' }] }] }), 'app');
    assert.deepEqual(range.portBindings.map((p) => p.containerPort), [8000, 8001, 8002]);
  });

  it('resolves volumes: host paths, task-scoped directories, shared ones, volumesFrom and links', () => {
    const t = task({
      volumes: [{ name: 'logs', host: { sourcePath: '/var/log/app' } }, { name: 'scratch' }, { name: 'cache', dockerVolumeConfiguration: { scope: 'shared' } }],
      containerDefinitions: [
        { name: 'db', image: 'busybox', mountPoints: [{ sourceVolume: 'scratch', containerPath: '/data' }] },
        { name: 'app', image: 'busybox', links: ['db:database', 'db'], volumesFrom: [{ sourceContainer: 'db', readOnly: true }],
          mountPoints: [{ sourceVolume: 'logs', containerPath: '/logs', readOnly: true }, { sourceVolume: 'cache', containerPath: '/cache' }] },
      ],
    });
    const db = spec(t, 'db');
    const app = spec(t, 'app');
    assert.deepEqual(db.mounts, [{ source: '/var/lib/berth-agent/volumes/0123456789abcdef0123456789abcdef/scratch', target: '/data', readOnly: false }]);
    assert.deepEqual(app.mounts, [
      { source: '/var/log/app', target: '/logs', readOnly: true },
      { source: '/var/lib/berth-agent/volumes/shared/cache', target: '/cache', readOnly: false },
    ]);
    assert.deepEqual(app.volumesFrom, [{ sourceContainer: db.name, readOnly: true }]);
    assert.deepEqual(app.links, [`${db.name}:database`, `${db.name}:db`]);
    assert.deepEqual(agentManagedDirs(t, ctx.stateDir), [
      '/var/lib/berth-agent/volumes/0123456789abcdef0123456789abcdef/scratch', '/var/lib/berth-agent/volumes/shared/cache',
    ]);
  });

  it('rejects a mount of an undeclared volume and a link to an unknown container', () => {
    const bad = task({ containerDefinitions: [{ name: 'app', image: 'x', mountPoints: [{ sourceVolume: 'nope', containerPath: '/x' }] }] });
    assert.throws(() => spec(bad, 'app'), (e: Error) => e instanceof SpecError && /volume 'nope'/.test(e.message));
    const link = task({ containerDefinitions: [{ name: 'app', image: 'x', links: ['ghost'] }] });
    assert.throws(() => spec(link, 'app'), /container 'ghost'/);
  });

  it('fills health check defaults and honours stopTimeout, extra hosts, ulimits, flags', () => {
    const t = task({ containerDefinitions: [{
      name: 'app', image: 'x', healthCheck: { command: ['CMD-SHELL', 'true'] }, stopTimeout: 5, privileged: true, readonlyRootFilesystem: true,
      hostname: 'h', extraHosts: [{ hostname: 'db', ipAddress: '10.0.0.1' }], ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 2048 }],
    }] });
    const s = spec(t, 'app');
    assert.deepEqual(s.healthCheck, { command: ['CMD-SHELL', 'true'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 });
    assert.equal(s.stopTimeout, 5);
    assert.equal(s.privileged, true);
    assert.equal(s.readonlyRootFilesystem, true);
    assert.equal(s.hostname, 'h');
    assert.deepEqual(s.extraHosts, [{ hostname: 'db', ipAddress: '10.0.0.1' }]);
    assert.deepEqual(s.ulimits, [{ name: 'nofile', softLimit: 1024, hardLimit: 2048 }]);
  });

  it('reads ECS_IMAGE_PULL_BEHAVIOR and ECS_CONTAINER_STOP_TIMEOUT', () => {
    assert.equal(pullBehaviorFromEnv(undefined), 'default');
    assert.equal(pullBehaviorFromEnv('PREFER-CACHED'), 'prefer-cached');
    assert.throws(() => pullBehaviorFromEnv('sometimes'), /ECS_IMAGE_PULL_BEHAVIOR/);
    assert.equal(stopTimeoutFromEnv(undefined), 30);
    assert.equal(stopTimeoutFromEnv('2m'), 120);
    assert.equal(stopTimeoutFromEnv('45'), 45);
    assert.throws(() => stopTimeoutFromEnv('soon'), /ECS_CONTAINER_STOP_TIMEOUT/);
  });
});
