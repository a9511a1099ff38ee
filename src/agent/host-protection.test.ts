// Host protection on agents: an agent started with --disable-privileged does not offer privileged
// containers, so a task asking for one fails placement there with the attribute it lacks, while an
// agent left at the default (as on EC2) takes it.
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentOptionsFromArgs } from '../cli/agent-args.js';
import { parseArgs } from '../cli/args.js';
import { startHarness, type Harness } from '../testing/harness.js';
import { Agents } from '../testing/service-test-kit.js';

describe('host protection', () => {
  let h: Harness;
  let agents: Agents;
  before(async () => {
    h = await startHarness({ host: '127.0.30.7' });
    agents = new Agents(h.url);
    for (const clusterName of ['locked', 'open']) await h.ecs.send(new CreateClusterCommand({ clusterName }));
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
});
