// Agents against a real in-process Berth server (simulated runtime, so no Docker is needed):
// registration as the ECS agent does it, the ARN kept across restarts, RunTask → RUNNING →
// StopTask → STOPPED through the ACS socket and the state reports, three agents in three zones
// going disconnected after the grace period and back, and a server restart the agent rides through.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, ECSClient, ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand, RunTaskCommand, StartTaskCommand, StopTaskCommand, type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startBerth, VERSION, type Berth } from '../server/berth.js';
import { eventually } from '../testing/eventually.js';
import { credentials, startHarness, type Harness } from '../testing/harness.js';
import type { LocalStore } from '../store/local.js';
import { Agent, type AgentOptions } from './agent.js';
import { SimulatedRuntime } from './runtime/simulated.js';


const quiet = { log: () => {}, backoffMs: [50, 500] as [number, number] };

describe('agent with a Berth server (simulated runtime)', () => {
  let h: Harness;
  let dir: string;
  const agents: Agent[] = [];
  const start = async (o: Partial<AgentOptions> & { cluster: string }) => {
    const a = await Agent.start({ endpoint: h.url, runtime: 'simulated', version: VERSION, ...quiet, ...o });
    agents.push(a);
    return a;
  };
  before(async () => {
    h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 200 } } } });
    dir = mkdtempSync(join(tmpdir(), 'berth-agent-'));
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c1' }));
  });
  afterEach(async () => { for (const a of agents.splice(0)) await a.stop(); });
  after(async () => { await h.close(); rmSync(dir, { recursive: true, force: true }); });

  const describeTask = async (arn: string, cluster = 'c1'): Promise<Task> =>
    (await h.ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0];

  it('registers like the ECS agent, and keeps its ARN across a restart', async () => {
    const stateDir = join(dir, 'reg');
    const a = await start({ cluster: 'c1', ip: '127.0.0.2', instanceType: 't3.medium', availabilityZone: 'us-east-1b', attributes: { team: 'blue', gpu: '' }, stateDir });
    const d = await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'c1', containerInstances: [a.instanceArn] }));
    const ci = d.containerInstances![0];
    assert.deepEqual(ci.registeredResources?.map((r) => [r.name, r.integerValue ?? r.stringSetValue]), [
      ['CPU', 2048], ['MEMORY', 3904], ['PORTS', ['22', '2375', '2376', '51678', '51679']], ['PORTS_UDP', []],
    ]);
    const attr = (name: string) => ci.attributes?.find((x) => x.name === name);
    assert.equal(attr('ecs.availability-zone')?.value, 'us-east-1b');
    assert.equal(attr('ecs.instance-type')?.value, 't3.medium');
    assert.equal(attr('ecs.os-type')?.value, 'linux');
    assert.equal(attr('ecs.cpu-architecture')?.value, 'x86_64');
    assert.equal(attr('team')?.value, 'blue');
    assert.ok(attr('gpu') && attr('gpu')!.value === undefined);
    for (const cap of ['com.amazonaws.ecs.capability.docker-remote-api.1.17', 'com.amazonaws.ecs.capability.docker-remote-api.1.44',
      'com.amazonaws.ecs.capability.logging-driver.json-file', 'ecs.capability.container-health-check', 'ecs.capability.container-ordering',
      'ecs.capability.task-cpu-mem-limit']) assert.ok(attr(cap), `capability ${cap}`);
    assert.equal(ci.versionInfo?.agentVersion, VERSION);
    assert.match(ci.ec2InstanceId ?? '', /^i-[0-9a-f]{17}$/);
    await eventually('the agent’s ACS session', async () => h.berth.services.ecs.acs.sessions.has(a.instanceArn));
    assert.equal((await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'c1', containerInstances: [a.instanceArn] }))).containerInstances![0].agentConnected, true);
    assert.equal(JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')).instanceArn, a.instanceArn);

    await a.stop();
    agents.splice(agents.indexOf(a), 1);
    const again = await start({ cluster: 'c1', ip: '127.0.0.2', instanceType: 't3.medium', availabilityZone: 'us-east-1b', stateDir });
    assert.equal(again.instanceArn, a.instanceArn);
    const list = await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'c1' }));
    assert.deepEqual(list.containerInstanceArns, [a.instanceArn], 'one instance, not two');
  });

  it('runs a task to RUNNING with its host ports, and stops it with exit codes and reasons', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'run' }));
    await start({ cluster: 'run', ip: '127.0.0.3', stateDir: join(dir, 'run') });
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [
      { name: 'web', image: 'busybox', memory: 64, command: ['httpd', '-f'], portMappings: [{ containerPort: 80 }] },
      { name: 'job', image: 'busybox', memory: 32, essential: false, command: ['sh', '-c', 'exit 4'] },
    ] }));
    const run = await h.ecs.send(new RunTaskCommand({ cluster: 'run', taskDefinition: 'web' }));
    const arn = run.tasks![0].taskArn!;
    const running = await eventually('RUNNING', async () => { const t = await describeTask(arn, 'run'); return t.lastStatus === 'RUNNING' && t; });
    const web = running.containers!.find((c) => c.name === 'web')!;
    assert.equal(web.networkBindings?.[0].bindIP, '127.0.0.3');
    assert.equal(web.networkBindings?.[0].containerPort, 80);
    assert.ok((web.networkBindings?.[0].hostPort ?? 0) > 0);
    assert.ok(running.pullStartedAt && running.pullStoppedAt);
    // The task metadata endpoint, as the container would call it.
    const agent = agents.at(-1)!;
    const local = agent.engine.tasks[arn].containers.find((c) => c.name === 'web')!;
    const doc = await (await fetch(agent.metadata.uri(local.token))).json() as Record<string, unknown>;
    assert.equal(doc.Name, 'web');
    assert.equal(doc.DockerId, local.runtimeId);
    assert.equal(doc.KnownStatus, 'RUNNING');
    assert.deepEqual(doc.Limits, { CPU: 0, Memory: 64 });
    assert.deepEqual(doc.Ports, [{ ContainerPort: 80, Protocol: 'tcp', HostPort: web.networkBindings?.[0].hostPort, HostIp: '127.0.0.3' }]);
    const taskDoc = await (await fetch(`${agent.metadata.uri(local.token)}/task`)).json() as Record<string, unknown>;
    assert.equal(taskDoc.TaskARN, arn);
    assert.equal(taskDoc.Family, 'web');
    assert.equal(taskDoc.KnownStatus, 'RUNNING');
    assert.deepEqual((taskDoc.Containers as { Name: string }[]).map((c) => c.Name), ['web', 'job']);
    const stats = await (await fetch(`${agent.metadata.uri(local.token)}/task/stats`)).json() as Record<string, unknown>;
    assert.ok(local.runtimeId && local.runtimeId in stats);
    assert.equal((await fetch(agent.metadata.uri('not-a-token'))).status, 404);

    await eventually('the non-essential exit', async () => (await describeTask(arn, 'run')).containers!.find((c) => c.name === 'job')!.exitCode === 4);
    assert.equal((await describeTask(arn, 'run')).lastStatus, 'RUNNING');

    await h.ecs.send(new StopTaskCommand({ cluster: 'run', task: arn, reason: 'done here' }));
    const stopped = await eventually('STOPPED', async () => { const t = await describeTask(arn, 'run'); return t.lastStatus === 'STOPPED' && t; });
    assert.equal(stopped.stoppedReason, 'done here');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.containers!.find((c) => c.name === 'web')!.exitCode, 143);
    assert.ok(stopped.executionStoppedAt);
  });

  it('after a restart, tells the server a task STOPPED whose report was lost when the agent died right after cleaning it up', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'lost' }));
    const stateDir = join(dir, 'lost');
    const a = await start({ cluster: 'lost', ip: '127.0.0.9', stateDir });
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'lost', containerDefinitions: [{ name: 'main', image: 'busybox', memory: 16, command: ['httpd', '-f'] }] }));
    const arn = (await h.ecs.send(new RunTaskCommand({ cluster: 'lost', taskDefinition: 'lost' }))).tasks![0].taskArn!;
    await eventually('RUNNING', async () => (await describeTask(arn, 'lost')).lastStatus === 'RUNNING');
    await a.stop();
    agents.splice(agents.indexOf(a), 1);
    await h.ecs.send(new StopTaskCommand({ cluster: 'lost', task: arn, reason: 'scaled in' }));
    // What an agent killed right after stopping and cleaning up the task leaves behind: the task
    // forgotten in its state dir, no container (a restarted simulated runtime has none), and the
    // server never told.
    const file = join(stateDir, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as { tasks: Record<string, unknown>; forgotten?: string[] };
    delete state.tasks[arn];
    state.forgotten = [arn];
    writeFileSync(file, JSON.stringify(state));
    assert.deepEqual([(await describeTask(arn, 'lost')).lastStatus, (await describeTask(arn, 'lost')).desiredStatus], ['RUNNING', 'STOPPED']);

    const b = await start({ cluster: 'lost', ip: '127.0.0.9', stateDir });
    const stopped = await eventually('STOPPED', async () => { const t = await describeTask(arn, 'lost'); return t.lastStatus === 'STOPPED' && t; });
    assert.equal(stopped.stoppedReason, 'scaled in');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(b.engine.tasks[arn], undefined, 'not started again');
  });
});

describe('three agents in three zones (simulated runtime, the server on a manual clock)', () => {
  // The server's clock only moves when the test says so: "within the grace period" and "after it"
  // are exact, whatever the machine's speed. The agents heartbeat in real time.
  const clock = { t: Date.now(), now() { return new Date(this.t); } };
  let h: Harness;
  let dir: string;
  const agents: Agent[] = [];
  before(async () => {
    h = await startHarness({ clock, config: { ecs: { acs: { heartbeatMs: 100 } } } }); // the default grace period: 30 s
    dir = mkdtempSync(join(tmpdir(), 'berth-trio-'));
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'trio' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'job', containerDefinitions: [{ name: 'j', image: 'busybox', memory: 16, command: ['sleep', '3600'] }] }));
  });
  after(async () => {
    for (const a of agents.splice(0)) await a.stop();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('register as three instances; a stopped agent shows disconnected only after the grace period, gets no task, and comes back', async () => {
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const start = async (i: number) => {
      const a = await Agent.start({ endpoint: h.url, cluster: 'trio', runtime: 'simulated', version: VERSION, ...quiet,
        ip: `127.0.0.${i + 2}`, availabilityZone: zones[i], stateDir: join(dir, `agent-${i}`) });
      agents.push(a);
      return a;
    };
    const trio = [await start(0), await start(1), await start(2)];
    const arns = trio.map((a) => a.instanceArn);
    const describe = async () => (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'trio', containerInstances: arns }))).containerInstances!;
    const connected = async () => (await describe()).map((c) => c.agentConnected);
    assert.equal(new Set(arns).size, 3);
    assert.deepEqual((await h.ecs.send(new ListContainerInstancesCommand({ cluster: 'trio' }))).containerInstanceArns!.sort(), [...arns].sort());
    assert.deepEqual((await describe()).map((c) => [c.ec2InstanceId !== undefined, c.attributes?.find((x) => x.name === 'ecs.availability-zone')?.value]),
      zones.map((z) => [true, z]));
    await eventually('three ACS sessions', async () => arns.every((arn) => h.berth.services.ecs.acs.sessions.has(arn)));
    assert.deepEqual(await connected(), [true, true, true]);

    await trio[1].stop();
    agents.splice(agents.indexOf(trio[1]), 1);
    await eventually('the session of the stopped agent ending', async () => !h.berth.services.ecs.acs.sessions.has(arns[1]));
    clock.t += 29_000;
    assert.deepEqual(await connected(), [true, true, true], 'silent for less than the grace period: still connected');
    clock.t += 2_000;
    await (h.berth.app.store as LocalStore).expireLeases(); // the store's lessor, on the server's clock
    assert.equal((await describe())[1].agentConnected, false, 'silent for longer than the grace period');
    await eventually('the two live agents heard from again', async () => { const c = await connected(); return c[0] && c[2] && !c[1]; });
    const refused = await h.ecs.send(new StartTaskCommand({ cluster: 'trio', taskDefinition: 'job', containerInstances: [arns[1]] }));
    assert.deepEqual([refused.tasks, refused.failures], [[], [{ arn: arns[1], reason: 'AGENT', detail: 'the container agent is disconnected' }]]);

    const back = await start(1);
    assert.equal(back.instanceArn, arns[1]);
    await eventually('connected again', async () => (await connected())[1]);
    assert.deepEqual(await connected(), [true, true, true]);
    const placed = await h.ecs.send(new StartTaskCommand({ cluster: 'trio', taskDefinition: 'job', containerInstances: [arns[1]] }));
    assert.deepEqual(placed.failures, []);
    const arn = placed.tasks![0].taskArn!;
    await eventually('the task running on the returned agent', async () => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'trio', tasks: [arn] }))).tasks![0].lastStatus === 'RUNNING');
  });
});

describe('agent across a server restart (simulated runtime, sqlite store)', () => {
  it('reconnects and re-sends state, so the server learns what happened while it was down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-agent-restart-'));
    const runtime = new SimulatedRuntime();
    let berth: Berth = await startBerth({ port: 0, store: join(dir, 'data'), config: { ecs: { acs: { heartbeatMs: 200 } } } });
    const port = Number(new URL(berth.url).port);
    const ecs = new ECSClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await ecs.send(new CreateClusterCommand({ clusterName: 'r' }));
    const agent = await Agent.start({ endpoint: berth.url, cluster: 'r', runtime, version: VERSION, stateDir: join(dir, 'agent'), ...quiet });
    try {
      await ecs.send(new RegisterTaskDefinitionCommand({ family: 'svc', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 32, command: ['httpd'] }] }));
      const [one, two] = await Promise.all([1, 2].map(async () => (await ecs.send(new RunTaskCommand({ cluster: 'r', taskDefinition: 'svc' }))).tasks![0].taskArn!));
      const status = async (arn: string) => (await ecs.send(new DescribeTasksCommand({ cluster: 'r', tasks: [arn] }))).tasks![0];
      await eventually('both RUNNING', async () => (await status(one)).lastStatus === 'RUNNING' && (await status(two)).lastStatus === 'RUNNING');

      await berth.close();
      // While the server is down, task one's container dies.
      const [dead] = await runtime.listByLabel('com.amazonaws.ecs.task-arn', one);
      await runtime.stop(dead.id, 0);
      await eventually('the agent noticing', async () => agent.engine.tasks[one].known === 'STOPPED' && true);

      berth = await startBerth({ port, store: join(dir, 'data'), config: { ecs: { acs: { heartbeatMs: 200 } } } });
      const stopped = await eventually('the server learning of the stop', async () => { const t = await status(one); return t.lastStatus === 'STOPPED' && t; });
      assert.equal(stopped.stoppedReason, 'Essential container in task exited');
      assert.equal(stopped.containers?.[0].exitCode, 143);
      assert.equal((await status(two)).lastStatus, 'RUNNING');
      await ecs.send(new StopTaskCommand({ cluster: 'r', task: two }));
      await eventually('StopTask after the restart reaching the agent', async () => (await status(two)).lastStatus === 'STOPPED');
    } finally {
      await agent.stop();
      ecs.destroy();
      await berth.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
