// Task role credentials over ACS, with an agent (simulated runtime): the PayloadMessage task carries
// the role's credentials; past half their lifetime (the server's clock moved on) ECS sends fresh
// ones in an IAMRoleCredentialsMessage under the same credentialsId; a stopped task's credentials
// are dropped by the agent.
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, startHarness, type Harness } from '../../../testing/harness.js';
import { eventually } from '../../../testing/eventually.js';
import { Agents } from '../../../testing/service-test-kit.js';
import { CREDENTIALS_SECONDS } from './acs-credentials.js';

describe('task role credentials over ACS', () => {
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  let h: Harness;
  let iam: IAMClient;
  let agents: Agents;

  before(async () => {
    h = await startHarness({ clock, host: '127.10.0.2', config: { ecs: { acs: { heartbeatMs: 100 } } } });
    iam = new IAMClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    agents = new Agents(h.url);
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'rot' }));
  });
  after(async () => { await agents.close(); iam.destroy(); await h.close(); });

  it('sends the credentials with the task, refreshes them past half their lifetime, forgets them when it stops', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'rotating', AssumeRolePolicyDocument: trust }))).Role!;
    const exec = (await iam.send(new CreateRoleCommand({ RoleName: 'exec', AssumeRolePolicyDocument: trust }))).Role!;
    const agent = await agents.start('rot', { ip: '127.10.0.2' });
    const td = await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'rot', taskRoleArn: role.Arn, executionRoleArn: exec.Arn, containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, command: ['sleep', 'infinity'] }],
    }));
    const task = (await h.ecs.send(new RunTaskCommand({ cluster: 'rot', taskDefinition: td.taskDefinition!.taskDefinitionArn! }))).tasks![0];
    const current = () => agent.roleCredentials.forTask(task.taskArn!, 'TaskApplication');
    const first = await eventually('the task\'s role credentials', async () => current());
    assert.equal(first.roleArn, role.Arn);
    assert.match(first.accessKeyId, /^ASIA/);
    assert.match(first.credentialsId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const lifetime = Date.parse(first.expiration) - clock.now().getTime();
    assert.ok(Math.abs(lifetime - CREDENTIALS_SECONDS * 1000) < 60_000, `expires in ${lifetime} ms`);
    const execution = agent.roleCredentials.forTask(task.taskArn!, 'TaskExecution');
    assert.equal(execution?.roleArn, exec.Arn);
    assert.notEqual(execution?.credentialsId, first.credentialsId);

    // Past half the lifetime: fresh credentials, same id (the container's URI keeps working).
    offset = (CREDENTIALS_SECONDS / 2 + 60) * 1000;
    const second = await eventually('refreshed credentials', async () => current()?.accessKeyId !== first.accessKeyId && current());
    assert.equal(second.credentialsId, first.credentialsId);
    assert.ok(Date.parse(second.expiration) > Date.parse(first.expiration));
    const execution2 = await eventually('refreshed execution credentials', async () =>
      agent.roleCredentials.forTask(task.taskArn!, 'TaskExecution')?.accessKeyId !== execution!.accessKeyId);
    assert.ok(execution2);

    await h.ecs.send(new StopTaskCommand({ cluster: 'rot', task: task.taskArn! }));
    await eventually('credentials dropped', async () => current() === undefined);
  });
});
