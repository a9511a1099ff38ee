// The telemetry websocket (TCS) against a protocol-level client that frames like the ECS agent:
// the SigV4-signed upgrade, signed header-block frames, acks, heartbeats, health into the task
// records, metrics into the AWS/ECS datum shapes.
import {
  CreateClusterCommand, CreateServiceCommand, DescribeTasksCommand, DiscoverPollEndpointCommand, ListTasksCommand,
  RegisterTaskDefinitionCommand, StartTaskCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { signedFrame, tcsUrl } from '../../../agent/tcs-client.js';
import { signedUpgradeHeaders } from '../../../agent/acs-client.js';
import type { TcsAgentMessage, TcsServerMessage } from '../../../protocol/tcs.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { eventually } from '../../../testing/eventually.js';
import { newRootCredentials } from '../../../server/root-credentials.js';
import { credentials, startHarness, type Harness } from '../../../testing/harness.js';
import type { RequestContext } from '../../context.js';
import { MetricsIngest, type MetricDatum } from './metrics.js';
import { DefinitionCache } from '../acs/acs-tasks.js';

const GUARD_MS = 10_000;
type Creds = { accessKeyId: string; secretAccessKey: string };

class TcsPeer {
  readonly received: TcsServerMessage[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket, readonly url: URL) {
    ws.on('message', (d) => { this.received.push(JSON.parse(String(d)) as TcsServerMessage); for (const w of this.waiters.splice(0)) w(); });
  }

  private creds: Creds = credentials;

  static async connect(h: Harness, instanceArn: string, cluster = 'tcs', creds: Creds = credentials, autoPong = true): Promise<TcsPeer> {
    const { telemetryEndpoint } = await h.ecs.send(new DiscoverPollEndpointCommand({ cluster, containerInstance: instanceArn }));
    const url = tcsUrl(telemetryEndpoint!, cluster, instanceArn, { agentVersion: '1.101.2' });
    const ws = new WebSocket(url, { headers: await signedUpgradeHeaders(url, creds, 'us-east-1'), autoPong });
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); ws.once('unexpected-response', (_q, r) => reject(new Error(`HTTP ${r.statusCode}`))); });
    const peer = new TcsPeer(ws, url);
    peer.creds = creds;
    return peer;
  }

  async send(message: TcsAgentMessage, creds = this.creds) { this.ws.send(await signedFrame(this.url, message, creds, 'us-east-1')); }

  async next(type: TcsServerMessage['type'], after = 0): Promise<TcsServerMessage> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const found = this.received.slice(after).find((m) => m.type === type);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${this.received.map((m) => m.type).join(', ')}`);
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, deadline - Date.now()); this.waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
  }

  close() { this.ws.close(); }
}

describe('TCS websocket server', () => {
  let h: Harness;
  const closers: (() => unknown)[] = [];
  before(async () => { h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 50 } } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'tcs' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [
      { name: 'app', image: 'nginx', cpu: 256, memory: 128, healthCheck: { command: ['CMD-SHELL', 'true'] } },
      { name: 'side', image: 'busybox', cpu: 256, memory: 128, essential: false },
    ] }));
  });
  afterEach(async () => { for (const c of closers.splice(0)) await c(); });

  const agent = async () => { const a = await TestAgent.register(h.ecs, { cluster: 'tcs', cpu: 2048, memory: 4096, attributes: ['ecs.capability.container-health-check'] }); closers.push(() => a.close()); return a; };
  const start = async (on: TestAgent) => (await h.ecs.send(new StartTaskCommand({ cluster: 'tcs', taskDefinition: 'web', containerInstances: [on.instanceArn] }))).tasks![0].taskArn!;
  const describeTask = async (arn: string) => (await h.ecs.send(new DescribeTasksCommand({ cluster: 'tcs', tasks: [arn] }))).tasks![0];

  it('accepts the signed upgrade at <telemetryEndpoint>/ws, sends heartbeats and acks each publish', async () => {
    const a = await agent();
    const peer = await TcsPeer.connect(h, a.instanceArn);
    closers.push(() => peer.close());
    assert.equal(peer.url.pathname, '/tcs/ws');
    assert.deepEqual((await peer.next('HeartbeatMessage')).message, { healthy: true });
    const task = await start(a);
    const mark = peer.received.length;
    await peer.send({ type: 'PublishMetricsRequest', message: {
      metadata: { cluster: 'tcs', containerInstance: a.instanceArn, messageId: 'm1', idle: false, fin: true },
      taskMetrics: [{ taskArn: task, containerMetrics: [
        { containerName: 'app', cpuStatsSet: { min: 10, max: 15, sampleCount: 2, sum: 25 }, memoryStatsSet: { min: 60, max: 68, sampleCount: 2, sum: 128 } },
      ] }],
      timestamp: new Date().toISOString(),
    } });
    await peer.next('AckPublishMetric', mark);
    // 12.5 % of a 2048-unit instance = 256 units; the task reserved 512 units and 256 MiB.
    assert.deepEqual(h.berth.services.ecs.tcs.latest(task), { ...h.berth.services.ecs.tcs.latest(task)!, cpuUnits: 256, memoryMiB: 64, cpuReserved: 512, memoryReserved: 256 });
    await peer.send({ type: 'PublishInstanceStatusRequest', message: {
      metadata: { cluster: 'tcs', containerInstance: a.instanceArn, requestId: 'r1' }, statuses: [{ type: 'RuntimeHealth', status: 'OK' }], timestamp: new Date().toISOString() } });
    await peer.next('AckPublishInstanceStatus', mark);
    // Not JSON after the header block: refused, the connection stays.
    peer.ws.send('Authorization: x\r\n\r\nnot json');
    await peer.next('BadRequestException', mark);
  });

  it('closes a session that answers no ping and sends nothing (a half-open connection); one that answers pings stays', async () => {
    const a = await agent();
    const b = await agent();
    const deaf = await TcsPeer.connect(h, a.instanceArn, 'tcs', credentials, false);
    const live = await TcsPeer.connect(h, b.instanceArn);
    closers.push(() => deaf.close(), () => live.close());
    const tcs = h.berth.services.ecs.tcs;
    assert.ok(tcs.sessions.has(a.instanceArn) && tcs.sessions.has(b.instanceArn));
    // heartbeatMs 50 here: silent for two heartbeats closes it.
    await eventually('the silent session closed', () => !tcs.sessions.has(a.instanceArn) && deaf.ws.readyState === WebSocket.CLOSED, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(tcs.sessions.has(b.instanceArn), 'the session answering pings is kept');
    assert.equal(live.ws.readyState, WebSocket.OPEN);
  });

  it('PublishHealthRequest sets task and container healthStatus, for the sending instance\'s tasks only', async () => {
    const a = await agent();
    const b = await agent();
    const mine = await start(a);
    const theirs = await start(b);
    const peer = await TcsPeer.connect(h, a.instanceArn);
    closers.push(() => peer.close());
    const health = (taskArn: string, status: 'HEALTHY' | 'UNHEALTHY') => ({ taskArn, containers: [{ containerName: 'app', healthStatus: status }] });
    await peer.send({ type: 'PublishHealthRequest', message: { metadata: { cluster: 'tcs', containerInstance: a.instanceArn, messageId: 'h1', fin: true },
      tasks: [health(theirs, 'UNHEALTHY'), health(mine, 'HEALTHY')], timestamp: new Date().toISOString() } });
    await peer.next('AckPublishHealth');
    const t = await describeTask(mine);
    assert.equal(t.healthStatus, 'HEALTHY', 'the only essential container with a check is HEALTHY');
    assert.equal(t.containers?.find((c) => c.name === 'app')?.healthStatus, 'HEALTHY');
    const foreign = await describeTask(theirs);
    assert.equal(foreign.healthStatus, 'UNKNOWN');
    assert.equal(foreign.version, 1, 'another instance\'s task is not touched');
    const mark = peer.received.length;
    await peer.send({ type: 'PublishHealthRequest', message: { metadata: { cluster: 'tcs', containerInstance: a.instanceArn, messageId: 'h2', fin: true },
      tasks: [health(mine, 'UNHEALTHY')] } });
    await peer.next('AckPublishHealth', mark);
    assert.equal((await describeTask(mine)).healthStatus, 'UNHEALTHY');
  });

  it('refuses an upgrade for another cluster or without a container instance', async () => {
    const a = await agent();
    const status = (path: string) => new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.url.replace('http:', 'ws:')}${path}`);
      ws.on('unexpected-response', (_q, r) => { resolve(r.statusCode ?? 0); ws.terminate(); });
      ws.on('open', () => { resolve(101); ws.close(); });
      ws.on('error', () => resolve(-1));
    });
    assert.equal(await status('/tcs/ws?cluster=tcs'), 400);
    assert.equal(await status(`/tcs/ws?cluster=other&containerInstance=${encodeURIComponent(a.instanceArn)}`), 400);
  });

  it('publishes AWS/ECS CPUUtilization and MemoryUtilization per service (over tasks) and per cluster, CPU/MemoryReservation per cluster', async () => {
    const a = await agent();
    await h.ecs.send(new CreateServiceCommand({ cluster: 'tcs', serviceName: 'api', taskDefinition: 'web', desiredCount: 2 }));
    let tasks: string[] = [];
    for (let i = 0; i < 200 && tasks.length < 2; i++) {
      tasks = (await h.ecs.send(new ListTasksCommand({ cluster: 'tcs', serviceName: 'api' }))).taskArns ?? [];
      if (tasks.length < 2) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(tasks.length, 2);
    const calls: { service: string; operation: string; input: { Namespace: string; MetricData: MetricDatum[] }; account: string }[] = [];
    const app = { ...h.berth.app, call: (async (service: string, operation: string, input: object, caller: { account: string }) => {
      calls.push({ service, operation, input: input as { Namespace: string; MetricData: MetricDatum[] }, account: caller.account });
      return {};
    }) as typeof h.berth.app.call };
    const ctx: RequestContext = { requestId: 'r', account: '000000000000', region: 'us-east-1', accessKeyId: 'test',
      principalArn: 'arn:aws:iam::000000000000:root', service: 'ecs', operation: 'TcsConnect', app };
    const ingest = new MetricsIngest(ctx, 'tcs', a.instanceArn.split('/').at(-1)!, new DefinitionCache());
    // Task 1 uses 25 % of the 2048-unit instance (512 units = 100 % of its 512), task 2 5 % (102.4 units = 20 %).
    const metric = (taskArn: string, cpuPercent: number, memoryMiB: number) => ({ taskArn, containerMetrics: [
      { containerName: 'app', cpuStatsSet: { min: cpuPercent, max: cpuPercent, sampleCount: 1, sum: cpuPercent }, memoryStatsSet: { min: memoryMiB, max: memoryMiB, sampleCount: 1, sum: memoryMiB } }] });
    await ingest.ingest({ taskMetrics: [metric(tasks[0], 25, 128), metric(tasks[1], 5, 64)], timestamp: '2026-11-30T12:00:00Z' });
    assert.equal(calls.length, 1);
    assert.deepEqual([calls[0].service, calls[0].operation, calls[0].input.Namespace, calls[0].account], ['monitoring', 'PutMetricData', 'AWS/ECS', '000000000000']);
    const datum = (name: string, service?: string) => calls[0].input.MetricData.find((d) => d.MetricName === name
      && d.Dimensions.length === (service ? 2 : 1) && (!service || d.Dimensions[1].Value === service))!;
    const cpu = datum('CPUUtilization', 'api');
    assert.deepEqual(cpu.Dimensions, [{ Name: 'ClusterName', Value: 'tcs' }, { Name: 'ServiceName', Value: 'api' }]);
    assert.deepEqual(cpu.StatisticValues, { SampleCount: 2, Sum: 120, Minimum: 20, Maximum: 100 });
    assert.equal(cpu.Unit, 'Percent');
    assert.deepEqual(datum('MemoryUtilization', 'api').StatisticValues, { SampleCount: 2, Sum: 75, Minimum: 25, Maximum: 50 });
    assert.equal(datum('CPUUtilization').Value, 30, '614.4 of 2048 registered units');
    assert.equal(datum('MemoryUtilization').Value, (192 * 100) / 4096);
    assert.equal(cpu.Timestamp.toISOString(), '2026-11-30T12:00:00.000Z');
    // Two tasks holding 512 CPU units and 256 MiB each, of 2048 units and 4096 MiB registered.
    assert.equal(datum('CPUReservation').Value, 50);
    assert.equal(datum('MemoryReservation').Value, 12.5);
    assert.deepEqual(datum('CPUReservation').Dimensions, [{ Name: 'ClusterName', Value: 'tcs' }]);
  });
});

describe('TCS in strict mode', () => {
  const root = newRootCredentials('222233334444');
  let h: Harness;
  before(async () => {
    h = await startHarness({ auth: 'strict', rootCredentials: root, host: '127.0.70.3' });
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'tcs' }));
  });
  after(async () => { await h.close(); });

  it('verifies every frame\'s signature over its JSON body: a forged or unsigned frame is refused, a signed one acked', async () => {
    const a = await TestAgent.register(h.ecs, { cluster: 'tcs', credentials: root });
    const peer = await TcsPeer.connect(h, a.instanceArn, 'tcs', root);
    try {
      const publish: TcsAgentMessage = { type: 'PublishMetricsRequest', message: {
        metadata: { cluster: 'tcs', containerInstance: a.instanceArn, messageId: 'm', idle: true, fin: true }, taskMetrics: [] } };
      await peer.send(publish);
      await peer.next('AckPublishMetric');
      let mark = peer.received.length;
      await peer.send(publish, { accessKeyId: root.accessKeyId, secretAccessKey: 'not-the-secret' });
      assert.match(JSON.stringify((await peer.next('BadRequestException', mark)).message), /InvalidSignatureException/);
      mark = peer.received.length;
      // The header block signed for one body, sent with another.
      const frame = await signedFrame(peer.url, publish, root, 'us-east-1');
      peer.ws.send(frame.replace('"idle":true', '"idle":false'));
      assert.match(JSON.stringify((await peer.next('BadRequestException', mark)).message), /InvalidSignatureException/);
      mark = peer.received.length;
      peer.ws.send(JSON.stringify(publish));
      assert.match(JSON.stringify((await peer.next('BadRequestException', mark)).message), /MissingAuthenticationToken/);
      assert.equal(h.berth.services.ecs.tcs.received.get('PublishMetricsRequest'), 1, 'only the genuine frame was handled');
    } finally { peer.close(); await a.close(); }
  });
});
