// Host protection on agents: an agent started with --disable-privileged does not offer privileged
// containers, so a task asking for one fails placement there with the attribute it lacks, while an
// agent left at the default (as on EC2) takes it. --disable-host-network and --allowed-bind-mounts
// register Berth attributes that make networkMode host / a host path outside the list fail
// placement there (ATTRIBUTE, naming the attribute); a task that reaches such an agent anyway
// (StartTask bypasses nothing: the agent checks itself too) is stopped with a clear reason.
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentOptionsFromArgs } from '../cli/agent-args.js';
import { containerSpec, SpecError, type SpecContext } from './container-spec.js';
import type { AcsTask } from '../protocol/acs.js';
import { parseArgs } from '../cli/args.js';
import { startHarness, type Harness } from '../testing/harness.js';
import { Agents } from '../testing/service-test-kit.js';

describe('host protection', () => {
  let h: Harness;
  let agents: Agents;
  before(async () => {
    h = await startHarness({ host: '127.0.30.7' });
    agents = new Agents(h.url);
    for (const clusterName of ['locked', 'open', 'guarded']) await h.ecs.send(new CreateClusterCommand({ clusterName }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'priv', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, privileged: true, command: ['sleep', 'infinity'] }] }));
  });
  after(async () => { await agents.close(); await h.close(); });

  it('--disable-privileged is parsed (flag or ECS_DISABLE_PRIVILEGED)', () => {
    assert.equal(agentOptionsFromArgs(parseArgs(['agent', '--cluster', 'c', '--disable-privileged'], ['disable-privileged']), '0').disablePrivileged, true);
    assert.equal(agentOptionsFromArgs(parseArgs(['agent', '--cluster', 'c']), '0').disablePrivileged ?? false, process.env.ECS_DISABLE_PRIVILEGED === 'true');
  });

  it('a privileged task fails placement on an agent that disables it, naming the attribute; runs where allowed', async () => {
    await agents.start('locked', { disablePrivileged: true, ip: '127.0.30.7' });
    await agents.start('open', { ip: '127.0.30.8' });
    const refused = await h.ecs.send(new RunTaskCommand({ cluster: 'locked', taskDefinition: 'priv' }));
    assert.deepEqual(refused.tasks, []);
    assert.equal(refused.failures?.[0]?.reason, 'ATTRIBUTE', JSON.stringify(refused.failures));
    const placed = await h.ecs.send(new RunTaskCommand({ cluster: 'open', taskDefinition: 'priv' }));
    assert.equal(placed.tasks?.length, 1, JSON.stringify(placed.failures));
  });

  it('--disable-host-network and --allowed-bind-mounts are parsed (flags or env), and checked', () => {
    const parse = (...flags: string[]) => agentOptionsFromArgs(parseArgs(['agent', '--cluster', 'c', ...flags], ['disable-host-network']), '0');
    assert.equal(parse('--disable-host-network').disableHostNetwork, true);
    assert.deepEqual(parse('--allowed-bind-mounts', '/data,/srv/app').allowedBindMounts, ['/data', '/srv/app']);
    assert.deepEqual(parse('--allowed-bind-mounts', 'none').allowedBindMounts, []);
    assert.throws(() => parse('--allowed-bind-mounts', 'data'), /absolute paths/);
    assert.equal(parse().allowedBindMounts, undefined);
  });

  it('networkMode host and host paths outside the allow-list fail placement naming the attribute; allowed paths are placed', async () => {
    await agents.start('guarded', { disableHostNetwork: true, allowedBindMounts: ['/srv/data'], ip: '127.0.30.9' });
    const register = async (family: string, extra: object) => (await h.ecs.send(new RegisterTaskDefinitionCommand({
      family, containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, command: ['sleep', 'infinity'], mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] }],
      volumes: [{ name: 'v', host: { sourcePath: '/srv/data/app' } }], ...extra,
    }))).taskDefinition!.taskDefinitionArn!;
    const hostNet = await register('hostnet', { networkMode: 'host' });
    const etc = await register('etc', { volumes: [{ name: 'v', host: { sourcePath: '/srv/data/../../etc' } }] });
    const fine = await register('fine', {});
    const refusedNet = await h.ecs.send(new RunTaskCommand({ cluster: 'guarded', taskDefinition: hostNet }));
    assert.equal(refusedNet.failures?.[0]?.reason, 'ATTRIBUTE', JSON.stringify(refusedNet.failures));
    assert.match(refusedNet.failures?.[0]?.detail ?? '', /networkMode host \(attribute berth\.host-network=disabled\)/);
    const refusedPath = await h.ecs.send(new RunTaskCommand({ cluster: 'guarded', taskDefinition: etc }));
    assert.equal(refusedPath.failures?.[0]?.reason, 'ATTRIBUTE', JSON.stringify(refusedPath.failures));
    assert.match(refusedPath.failures?.[0]?.detail ?? '', /host bind mount \/srv\/data\/\.\.\/\.\.\/etc \(attribute berth\.allowed-bind-mounts=\/srv\/data\)/);
    const placed = await h.ecs.send(new RunTaskCommand({ cluster: 'guarded', taskDefinition: fine }));
    assert.equal(placed.tasks?.length, 1, JSON.stringify(placed.failures));
  });

  it('the agent refuses what it forbids even when a task reaches it (clear reason)', () => {
    const ctx: SpecContext = {
      clusterArn: 'c', instanceArn: 'i', ip: '127.0.0.1', stateDir: '/tmp/x', pullBehavior: 'default', defaultStopTimeout: 30,
      hostProtection: { disableHostNetwork: true, disablePrivileged: true, allowedBindMounts: ['/srv/data'] },
    };
    const task = (extra: Partial<AcsTask['taskDefinition']>): AcsTask => ({
      arn: 'arn:aws:ecs:us-east-1:000000000000:task/c/1', desiredStatus: 'RUNNING', generation: 1,
      taskDefinition: { family: 'f', containerDefinitions: [{ name: 'app', image: 'busybox', mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] }], ...extra },
    });
    const spec = (t: AcsTask) => containerSpec(t, t.taskDefinition.containerDefinitions![0], ctx, 'token');
    assert.throws(() => spec(task({ networkMode: 'host', volumes: [{ name: 'v' }] })), (e: Error) => e instanceof SpecError && /networkMode host is refused.*--disable-host-network/.test(e.message));
    assert.throws(() => spec(task({ volumes: [{ name: 'v', host: { sourcePath: '/etc' } }] })), /bind-mounts the host path \/etc.*--allowed-bind-mounts \/srv\/data/);
    const privileged = task({ volumes: [{ name: 'v' }] });
    privileged.taskDefinition.containerDefinitions![0].privileged = true;
    assert.throws(() => spec(privileged), /privileged.*--disable-privileged/);
    assert.equal(spec(task({ volumes: [{ name: 'v', host: { sourcePath: '/srv/data/x' } }] })).mounts[0].source, '/srv/data/x');
  });
});
