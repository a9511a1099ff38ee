// /_berth/explain-placement and `berth explain-placement`: every instance's verdict from the
// engine (the stage that rejected it, or its rank), the chosen instances, and nothing launched.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
  StartTaskCommand, UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { REASON } from '../../../placement/index.js';
import { startHarness, type Harness } from '../../../testing/harness.js';
import type { Explained } from './placement-explain.js';
import { registerInstances } from '../../../testing/placement-fixture.js';

const C = 'explain';
const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const T2 = 'memberOf:attribute:ecs.instance-type =~ t2.*';

describe('explain-placement', () => {
  let h: Harness;
  const clock = { t: T0, now() { return new Date(this.t); } };
  let arns: Record<string, string>;
  let before0: unknown;

  const resources = async () => (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: C, containerInstances: Object.values(arns) })))
    .containerInstances!.map((ci) => [ci.containerInstanceArn, ci.remainingResources]);
  const taskCount = async () => (await h.ecs.send(new ListTasksCommand({ cluster: C }))).taskArns!.length
    + (await h.ecs.send(new ListTasksCommand({ cluster: C, desiredStatus: 'STOPPED' }))).taskArns!.length;
  const post = async (body: unknown, method = 'POST') => {
    const res = await fetch(`${h.url}/_berth/explain-placement`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() as Explained & { __type?: string; message?: string } };
  };
  const stages = (e: Explained) => Object.fromEntries(Object.entries(arns).map(([name, arn]) => {
    const v = e.instances.find((i) => i.arn === arn)!.verdict;
    return [name, v.rejected ? `${v.rejected.stage} ${v.rejected.reason}` : `rank ${v.rank!.join(',')}`];
  }));
  const EXPECTED = {
    gone: `agent ${REASON.AGENT}`, drained: `agent ${REASON.DRAINING}`, low: `resources ${REASON.MEMORY}`,
    ported: `ports ${REASON.PORTS}`, m5: `memberOf ${REASON.MEMBER_OF}`, fit: 'rank 4096',
  };

  before(async () => {
    h = await startHarness({ clock, config: { ecs: { agentGraceSeconds: 30 } } });
    await h.ecs.send(new CreateClusterCommand({ clusterName: C }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'web', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 512, cpu: 256, portMappings: [{ containerPort: 80, hostPort: 8080 }] }],
    }));
    const gone = await registerInstances(h.ecs, C, { gone: { az: 'us-east-1a' } });
    clock.t = T0 + 31_000; // the first agent has been silent past the grace period
    const rest = await registerInstances(h.ecs, C, {
      drained: { az: 'us-east-1a' }, low: { az: 'us-east-1b', memory: 256 }, ported: { az: 'us-east-1b', ports: ['8080'] },
      m5: { az: 'us-east-1c', type: 'm5.large' }, fit: { az: 'us-east-1c', memory: 4096 },
    });
    arns = { ...gone.arns, ...rest.arns };
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: C, containerInstances: [arns.drained], status: 'DRAINING' }));
    before0 = await resources();
  });
  after(async () => { await h.close(); });

  it('POST: the stage that rejected each instance, the rank of the others, the chosen ones — and launches nothing', async () => {
    const { status, body } = await post({
      cluster: C, taskDefinition: 'web', count: 2,
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }],
      placementStrategy: [{ type: 'binpack', field: 'memory' }],
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(stages(body), EXPECTED);
    assert.deepEqual(body.tiers, ['binpack(memory)']);
    assert.deepEqual(body.needs, { cpu: 256, memory: 512, ports: [8080], portsUdp: [] });
    assert.equal(body.group, 'family:web');
    assert.deepEqual([body.placed, body.unplaced, body.chosen], [1, 1, [arns.fit]]);
    assert.deepEqual(body.instances.find((i) => i.arn === arns.fit)?.tasks, [0]);
    // The second task finds port 8080 taken where the first went; RunTask would report every
    // ACTIVE instance (the draining one is not a candidate).
    const second = body.tasks[1];
    assert.equal(second.chosen, undefined);
    assert.deepEqual(second.instances?.find((v) => v.arn === arns.fit)?.rejected?.stage, 'ports');
    assert.deepEqual(new Set(body.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([
      `${arns.gone} ${REASON.AGENT}`, `${arns.low} ${REASON.MEMORY}`, `${arns.ported} ${REASON.PORTS}`,
      `${arns.m5} ${REASON.MEMBER_OF}`, `${arns.fit} ${REASON.PORTS}`,
    ]));
    assert.equal(await taskCount(), 0);
    assert.deepEqual(await resources(), before0);
  });

  it('GET with query parameters in short form', async () => {
    const q = new URLSearchParams({ cluster: C, taskDefinition: 'web', constraint: T2, strategy: 'binpack:memory' });
    const res = await fetch(`${h.url}/_berth/explain-placement?${q}`);
    assert.equal(res.status, 200);
    const body = await res.json() as Explained;
    assert.deepEqual(stages(body), EXPECTED);
    assert.deepEqual(body.chosen, [arns.fit]);
  });

  it('refuses bad input with ECS error names, and other methods', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ cluster: C, taskDefinition: 'web', placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ==' }] }, 'InvalidParameterException', /./],
      [{ cluster: C, taskDefinition: 'web', placementStrategy: [{ type: 'binpack', field: 'disk' }] }, 'InvalidParameterException', /binpack/],
      [{ cluster: C }, 'InvalidParameterException', /taskDefinition is required/],
      [{ cluster: C, taskDefinition: 'web', count: 0 }, 'InvalidParameterException', /count/],
      [{ cluster: C, taskDefinition: 'web', account: 'me' }, 'InvalidParameterException', /account/],
      [{ cluster: 'nowhere', taskDefinition: 'web' }, 'ClusterNotFoundException', /Cluster not found/],
      [{ cluster: C, taskDefinition: 'nope' }, 'ClientException', /./],
      [[1, 2], 'InvalidParameterException', /JSON object/],
    ];
    for (const [input, code, message] of cases) {
      const { status, body } = await post(input);
      assert.equal(status, 400, JSON.stringify(input));
      assert.equal(body.__type, code, JSON.stringify(body));
      assert.match(body.message ?? '', message);
    }
    const put = await fetch(`${h.url}/_berth/explain-placement`, { method: 'PUT' });
    assert.equal(put.status, 405);
  });

  it('berth explain-placement prints a table of instances, verdicts and the tasks that fit nowhere', async () => {
    const out = await cli(['explain-placement', '--endpoint', h.url, '--cluster', C, '--task-definition', 'web', '--count', '2',
      '--constraint', T2, '--strategy', 'binpack:memory']);
    assert.equal(out.code, 0, out.stderr);
    const row = (name: string) => out.stdout.split('\n').find((l) => l.startsWith(arns[name].slice(arns[name].lastIndexOf('/') + 1))) ?? '';
    assert.match(out.stdout, /Strategy: binpack\(memory\)/);
    assert.match(row('fit'), /us-east-1c\s+t2\.large\s+2048\s+4096\s+0\s+ok, rank \[4096\]\s+#1$/);
    assert.match(row('low'), /rejected by resources: needs 512 MiB, 256 MiB left/);
    assert.match(row('m5'), /rejected by memberOf/);
    assert.match(row('gone'), /rejected by agent/);
    assert.match(out.stdout, /Placed 1 of 2\./);
    assert.match(out.stdout, /Task #2 \(and any after it\) fits nowhere:/);
    const bad = await cli(['explain-placement', '--endpoint', h.url, '--cluster', 'nowhere', '--task-definition', 'web']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ClusterNotFoundException/);
  });

  it('RunTask then does what the explanation said', async () => {
    const input = {
      cluster: C, taskDefinition: 'web', count: 2, placementConstraints: [{ type: 'memberOf' as const, expression: 'attribute:ecs.instance-type =~ t2.*' }],
      placementStrategy: [{ type: 'binpack' as const, field: 'memory' }],
    };
    const explained = (await post(input)).body;
    const run = await h.ecs.send(new RunTaskCommand(input));
    assert.deepEqual(run.tasks!.map((t) => t.containerInstanceArn), explained.chosen);
    assert.deepEqual(new Set(run.failures!.map((f) => `${f.arn} ${f.reason}`)), new Set(explained.failures.map((f) => `${f.arn} ${f.reason}`)));
    // And the explanation now sees the task: the group has one on `fit`, whose port is taken.
    const now = (await post(input)).body;
    assert.equal(now.instances.find((i) => i.arn === arns.fit)?.groupTasks, 1);
    assert.equal(now.placed, 0);
  });

  it('agrees with RunTask when a DRAINING instance holds tasks of the group (they do not count in spread)', async () => {
    const D = 'explain-drain';
    await h.ecs.send(new CreateClusterCommand({ clusterName: D }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'plain', containerDefinitions: [{ name: 'app', image: 'x', memory: 64 }] }));
    const { arns: ci } = await registerInstances(h.ecs, D, {
      d: { az: 'us-east-1a' }, a: { az: 'us-east-1a', memory: 1024 }, b: { az: 'us-east-1b', memory: 4096 },
    });
    await h.ecs.send(new StartTaskCommand({ cluster: D, taskDefinition: 'plain', containerInstances: [ci.d, ci.d] }));
    await h.ecs.send(new UpdateContainerInstancesStateCommand({ cluster: D, containerInstances: [ci.d], status: 'DRAINING' }));
    const input = { cluster: D, taskDefinition: 'plain', placementStrategy: [
      { type: 'spread' as const, field: 'attribute:ecs.availability-zone' }, { type: 'binpack' as const, field: 'memory' }] };
    const explained = (await post(input)).body;
    const drained = explained.instances.find((i) => i.arn === ci.d)!;
    assert.deepEqual([drained.groupTasks, drained.verdict.rejected?.reason, drained.tasks], [2, REASON.DRAINING, []]);
    const run = await h.ecs.send(new RunTaskCommand(input));
    assert.deepEqual(run.tasks!.map((t) => t.containerInstanceArn), explained.chosen);
    assert.deepEqual(explained.chosen, [ci.a], 'us-east-1a and us-east-1b tie at 0 among ACTIVE instances; binpack picks the fuller a');
  });

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_') && !k.startsWith('BERTH_')) env[k] = v;
    return new Promise((resolve) => {
      execFile(process.execPath, ['bin/berth.js', ...args], { cwd: ROOT, env: { ...env, AWS_REGION: 'us-east-1' }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
  }
});
