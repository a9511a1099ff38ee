// The server end of the ACS websocket, driven by a protocol-level agent: refusals, the manifest on
// (re)connect and after a server restart, payloads, stop verification, heartbeats, acks and
// resends, lastHeartbeatAt, versionInfo.
import type { LocalStore } from '../../../store/local.js';
import {
  CreateClusterCommand, DeregisterContainerInstanceCommand, DescribeContainerInstancesCommand, DescribeTasksCommand,
  RegisterTaskDefinitionCommand, RunTaskCommand, StartTaskCommand, StopTaskCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startHarness, type Harness } from '../../../testing/harness.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';

const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const clock = { t: T0, now() { return new Date(this.t); } };

async function setUp(h: Harness) {
  await h.ecs.send(new CreateClusterCommand({ clusterName: 'acs' }));
  await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 64 }] }));
}

describe('ACS websocket server', () => {
  let h: Harness;
  const agents: TestAgent[] = [];
  const newAgent = async (autoAck = true, answerHeartbeats = true) => {
    const a = await TestAgent.register(h.ecs, { cluster: 'acs', autoAck, answerHeartbeats });
    agents.push(a);
    return a;
  };
  before(async () => { h = await startHarness({ clock, config: { ecs: { acs: { heartbeatMs: 40, silentMs: 600_000 } } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); clock.t = T0; await setUp(h); });
  afterEach(async () => { for (const a of agents.splice(0)) await a.close(); });

  const run = async (count = 1) => (await h.ecs.send(new RunTaskCommand({ cluster: 'acs', taskDefinition: 'web', count }))).tasks!.map((t) => t.taskArn!);
  const connected = async (arn: string) =>
    (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'acs', containerInstances: [arn] }))).containerInstances![0].agentConnected;

  it('on connect: every task not yet STOPPED in a PayloadMessage, then a manifest of TaskIdentifiers above its seqNum', async () => {
    const agent = await newAgent();
    const [a, b, c] = await run(3);
    await h.ecs.send(new StopTaskCommand({ cluster: 'acs', task: b }));
    await agent.report(c, 'STOPPED');
    await agent.connect({ agentVersion: '1.101.2', agentHash: 'abc123', dockerVersion: 'DockerVersion: 20.10.24' });
    const payload = await agent.next('PayloadMessage');
    assert.deepEqual(payload.message.tasks.map((t) => [t.arn, t.desiredStatus]).sort(), [[a, 'RUNNING'], [b, 'STOPPED']].sort());
    const wire = payload.message.tasks.find((t) => t.arn === a)!;
    assert.equal(wire.family, 'web');
    assert.equal(wire.version, '1', 'the revision, as a string');
    assert.equal(typeof wire.overrides, 'string', 'overrides travel as a JSON string');
    assert.deepEqual(wire.containers.map((x) => [x.name, x.image, x.memory, x.essential]), [['app', 'nginx', 64, true]]);
    const manifest = await agent.next('TaskManifestMessage');
    assert.equal(manifest.message.containerInstanceArn, agent.instanceArn);
    assert.equal(manifest.message.clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/acs');
    assert.deepEqual(manifest.message.tasks.map((t) => [t.taskArn, t.desiredStatus]).sort(), [[a, 'RUNNING'], [b, 'STOPPED']].sort());
    assert.ok(manifest.message.timeline > payload.message.seqNum, 'one increasing counter: the manifest comes after the payload');
    const info = (await h.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'acs', containerInstances: [agent.instanceArn] }))).containerInstances![0].versionInfo;
    assert.deepEqual(info, { agentVersion: '1.101.2', agentHash: 'abc123', dockerVersion: 'DockerVersion: 20.10.24' }, 'versionInfo from the query string');
    await agent.close();
    await agent.connect();
    const again = await agent.next('PayloadMessage');
    assert.ok(again.message.seqNum > manifest.message.timeline, 'the sequence goes on across reconnects');
    const manifest2 = await agent.next('TaskManifestMessage');
    assert.deepEqual(manifest2.message.tasks.map((t) => t.taskArn).sort(), [a, b].sort());
  });

  it('pushes a PayloadMessage per desired-state change, only to the instance that runs the task', async () => {
    const one = await newAgent();
    await one.connect();
    const m = await one.next('TaskManifestMessage');
    const [task] = await run();
    const started = await one.payloadFor(task, 'RUNNING');
    assert.ok(started.message.message.seqNum > m.message.timeline);
    await one.report(task, 'RUNNING');
    const two = await newAgent();
    await two.connect();
    assert.deepEqual((await two.next('TaskManifestMessage')).message.tasks, []);
    await h.ecs.send(new StopTaskCommand({ cluster: 'acs', task, reason: 'done here' }));
    const stopped = await one.payloadFor(task, 'STOPPED');
    assert.ok(stopped.message.message.seqNum > started.message.message.seqNum);
    // The agent's RUNNING report bumped the task's version, not its desired state: no payload for it
    // (a payload may be sent again if its ack is late, with the same desired state).
    const sent = one.received.flatMap((m) => (m.type === 'PayloadMessage' ? m.message.tasks.map((t) => t.desiredStatus) : []));
    assert.deepEqual([...new Set(sent)], ['RUNNING', 'STOPPED']);
    assert.equal(two.received.filter((m) => m.type === 'PayloadMessage').length, 0);
  });

  it('the tasks of one RunTask placed on an instance go to it in one PayloadMessage', async () => {
    const agent = await newAgent();
    await agent.connect();
    await agent.next('TaskManifestMessage');
    const arns = await run(5);
    const payload = await agent.next('PayloadMessage');
    assert.deepEqual(payload.message.tasks.map((t) => t.arn).sort(), [...arns].sort(), 'one message, every task of the call');
    await h.ecs.send(new StopTaskCommand({ cluster: 'acs', task: arns[0] }));
    const stopped = await agent.next('PayloadMessage');
    assert.deepEqual(stopped.message.tasks.map((t) => [t.arn, t.desiredStatus]), [[arns[0], 'STOPPED']], 'a later change: a message of its own');
    assert.equal(agent.received.filter((m) => m.type === 'PayloadMessage').length, 2);
  });

  it('confirms only the stop candidates the server does not want running there (TaskStopVerificationAck)', async () => {
    const agent = await newAgent();
    const other = await newAgent();
    await agent.connect();
    const manifest = await agent.next('TaskManifestMessage');
    const start = async (on: TestAgent) => (await h.ecs.send(new StartTaskCommand({
      cluster: 'acs', taskDefinition: 'web', containerInstances: [on.instanceArn] }))).tasks![0].taskArn!;
    const wanted = await start(agent);
    const stopping = await start(agent);
    const elsewhere = await start(other);
    await h.ecs.send(new StopTaskCommand({ cluster: 'acs', task: stopping }));
    await agent.payloadFor(stopping, 'STOPPED');
    const unknown = 'arn:aws:ecs:us-east-1:000000000000:task/acs/00000000000000000000000000000000';
    const id = (taskArn: string) => ({ taskArn, taskClusterArn: manifest.message.clusterArn, desiredStatus: 'STOPPED' });
    agent.send({ type: 'TaskStopVerificationMessage', message: { messageId: manifest.message.messageId,
      stopCandidates: [id(wanted), id(stopping), id(elsewhere), id(unknown)] } });
    const ack = await agent.next('TaskStopVerificationAck');
    assert.equal(ack.message.messageId, manifest.message.messageId);
    assert.deepEqual(ack.message.stopTasks.map((t) => t.taskArn).sort(), [stopping, elsewhere, unknown].sort());
    // The one it still wants there is sent again in full.
    await agent.payloadFor(wanted, 'RUNNING');
  });

  it('resends a payload that is not acknowledged', async () => {
    const agent = await newAgent(false);
    await agent.connect();
    await agent.next('TaskManifestMessage');
    const [task] = await run();
    const first = await agent.payloadFor(task, 'RUNNING');
    const second = await agent.payloadFor(task, 'RUNNING');
    assert.notEqual(second.message.message.messageId, first.message.message.messageId);
    assert.ok(second.message.message.seqNum > first.message.message.seqNum);
    agent.ack(second.message.message.messageId);
  });

  it('sends heartbeats; an inbound frame keeps (or reopens) the liveness lease so the agent counts as connected', async () => {
    const agent = await newAgent(true, false);
    await agent.connect();
    await agent.next('HeartbeatMessage');
    clock.t = T0 + 120_000;
    await (h.berth.app.store as LocalStore).expireLeases(); // the store's lessor, on the test's clock
    assert.equal(await connected(agent.instanceArn), false);
    const refused = await h.ecs.send(new RunTaskCommand({ cluster: 'acs', taskDefinition: 'web' }));
    assert.deepEqual(refused.failures, [{ arn: agent.instanceArn, reason: 'AGENT', detail: 'the container agent is disconnected' }]);
    // One frame from the agent; the server records the contact (asynchronously: poll, paced by heartbeats).
    agent.send({ type: 'HeartbeatAckRequest', message: { messageId: (await agent.next('HeartbeatMessage')).message.messageId } });
    for (let i = 0; i < 200 && !(await connected(agent.instanceArn)); i++) await agent.next('HeartbeatMessage');
    assert.equal(await connected(agent.instanceArn), true);
    assert.equal((await run()).length, 1);
  });

  it('refuses unknown and deregistered instances with InactiveInstanceException, then closes', async () => {
    const ghost = TestAgent.forArn(h.ecs, 'acs', 'arn:aws:ecs:us-east-1:000000000000:container-instance/acs/0123456789abcdef0123456789abcdef');
    // Refused before the upgrade, with the body the ECS agent decodes as InactiveInstanceException.
    await assert.rejects(ghost.connect(), /HTTP 400 \{"InactiveInstanceException":"[^"]*not registered/);

    const agent = await newAgent();
    await agent.connect();
    await agent.next('TaskManifestMessage');
    await h.ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'acs', containerInstance: agent.instanceArn }));
    await agent.next('InactiveInstanceException');
    assert.equal((await agent.closed)?.code, 1008);
    assert.equal(h.berth.services.ecs.acs.sessions.size, 0);
  });

  it('refuses upgrades without a container instance ARN or for another cluster', async () => {
    const agent = await newAgent();
    const status = (url: string) => new Promise<number>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
      ws.on('open', () => { resolve(101); ws.close(); });
      ws.on('error', () => resolve(-1));
    });
    const base = h.url.replace('http:', 'ws:');
    assert.equal(await status(`${base}/ws?clusterArn=acs`), 400);
    assert.equal(await status(`${base}/ws?clusterArn=other&containerInstanceArn=${encodeURIComponent(agent.instanceArn)}`), 400);
    // The cluster's ARN passes; the ARN of a cluster of the same name in another region or account does not.
    const instance = encodeURIComponent(agent.instanceArn);
    assert.equal(await status(`${base}/ws?clusterArn=arn:aws:ecs:us-east-1:000000000000:cluster/acs&containerInstanceArn=${instance}`), 101);
    assert.equal(await status(`${base}/ws?clusterArn=arn:aws:ecs:eu-west-1:000000000000:cluster/acs&containerInstanceArn=${instance}`), 400);
    assert.equal(await status(`${base}/ws?clusterArn=arn:aws:ecs:us-east-1:111111111111:cluster/acs&containerInstanceArn=${instance}`), 400);
  });

  it('replaces an older connection of the same instance', async () => {
    const agent = await newAgent();
    await agent.connect();
    const older = agent.closed!;
    const twin = TestAgent.forArn(h.ecs, 'acs', agent.instanceArn);
    agents.push(twin);
    await twin.connect();
    await twin.next('TaskManifestMessage');
    await agent.next('CloseMessage');
    await older;
    assert.equal(h.berth.services.ecs.acs.sessions.size, 1);
  });
});

describe('ACS heartbeat interval', () => {
  it('is 10 s by default, and at least three per grace period when the grace is shorter', async () => {
    for (const [grace, expected] of [[undefined, 10_000], [30, 10_000], [3, 1_000]] as const) {
      const h = await startHarness({ config: { ecs: { agentGraceSeconds: grace } } });
      try {
        assert.equal(h.berth.services.ecs.acs.timings.heartbeatMs, expected, `grace ${grace ?? 'default'}`);
        assert.ok(h.berth.services.ecs.acs.timings.touchMs <= expected, 'every heartbeat answered refreshes lastHeartbeatAt');
      } finally { await h.close(); }
    }
  });
});

describe('ACS silent sessions', () => {
  it('closes a session that answers nothing (half-open) and keeps one that answers pings only', async () => {
    const h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 50, silentMs: 300 } } } });
    try {
      await setUp(h);
      const silent = await TestAgent.register(h.ecs, { cluster: 'acs', answerHeartbeats: false, answerPings: false });
      const pinged = await TestAgent.register(h.ecs, { cluster: 'acs', answerHeartbeats: false, answerPings: true });
      await silent.connect();
      await pinged.connect();
      const closed = await silent.closed;
      assert.equal(closed?.code, 1006, 'terminated: nothing is sent on a connection that may be dead');
      assert.equal(h.berth.services.ecs.acs.sessions.has(silent.instanceArn), false);
      // Ten more heartbeats (more than silentMs) later, the session that answers pings is still there.
      for (let i = 0; i < 10; i++) await pinged.next('HeartbeatMessage');
      assert.equal(h.berth.services.ecs.acs.sessions.has(pinged.instanceArn), true);
      await pinged.close();
    } finally { await h.close(); }
  });

  it('defaults to closing after 2 heartbeats: within the grace period', async () => {
    const h = await startHarness({ config: { ecs: { agentGraceSeconds: 9 } } });
    try {
      assert.deepEqual([h.berth.services.ecs.acs.timings.heartbeatMs, h.berth.services.ecs.acs.timings.silentMs], [3_000, 6_000]);
    } finally { await h.close(); }
  });
});

describe('ACS after a server restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-acs-'));
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('a reconnecting agent gets its tasks again from the persisted store, with the sequence still increasing', async () => {
    const first = await startHarness({ store: `sqlite://${join(dir, 'berth.db')}` });
    await setUp(first);
    const agent = await TestAgent.register(first.ecs, { cluster: 'acs' });
    const [task] = (await first.ecs.send(new RunTaskCommand({ cluster: 'acs', taskDefinition: 'web' }))).tasks!;
    await agent.connect();
    const before = (await agent.next('TaskManifestMessage')).message.timeline;
    await agent.close();
    await first.close();

    const second = await startHarness({ store: `sqlite://${join(dir, 'berth.db')}` });
    try {
      const again = TestAgent.forArn(second.ecs, 'acs', agent.instanceArn);
      await again.connect();
      const payload = await again.next('PayloadMessage');
      assert.deepEqual(payload.message.tasks.map((t) => [t.arn, t.desiredStatus, t.family]), [[task.taskArn, 'RUNNING', 'web']]);
      assert.ok(payload.message.seqNum > before, `seqNum ${payload.message.seqNum} after a restart is above the timeline ${before} sent before it`);
      const manifest = await again.next('TaskManifestMessage');
      assert.deepEqual(manifest.message.tasks.map((t) => t.taskArn), [task.taskArn]);
      await again.close();
    } finally { await second.close(); }
  });
});
