// The ACS client against a scripted peer (an HTTP server answering DiscoverPollEndpoint and
// accepting the websocket), so the test controls every frame and every disconnect.
import { Sha256 } from '@aws-crypto/sha256-js';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SignatureV4 } from '@smithy/signature-v4';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { AcsClient, acsUrl, Backoff } from './acs-client.js';
import type { AcsTask, AgentMessage, ServerMessage, WireTask } from '../protocol/acs.js';

const CLUSTER = 'arn:aws:ecs:us-east-1:000000000000:cluster/c';
const INSTANCE = 'arn:aws:ecs:us-east-1:000000000000:container-instance/c/abc';
const TASK = 'arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

class Peer {
  server!: Server;
  wss!: WebSocketServer;
  url = '';
  discovers = 0;
  upgrades: IncomingMessage[] = [];
  sockets: WebSocket[] = [];
  received: AgentMessage[] = [];
  private waiters: (() => void)[] = [];

  async start() {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.discovers++;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ endpoint: this.url, telemetryEndpoint: this.url }));
      });
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws, req) => {
      this.upgrades.push(req);
      this.sockets.push(ws);
      ws.on('message', (data) => { this.received.push(JSON.parse(String(data)) as AgentMessage); this.poke(); });
      this.poke();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private poke() { for (const w of this.waiters.splice(0)) w(); }

  async until(pred: () => boolean, what: string) {
    const end = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50); });
    }
  }

  send(msg: ServerMessage) { this.sockets.at(-1)!.send(JSON.stringify(msg)); }

  async close() {
    for (const s of this.wss.clients) s.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('ACS client', () => {
  let peer: Peer;
  let ecs: ECSClient;
  let client: AcsClient | undefined;
  const handled: AcsTask[][] = [];
  const verified: string[][] = [];
  let candidates: string[] = [];
  let listedSeen: string[][] = [];
  before(async () => {
    peer = new Peer();
    await peer.start();
    ecs = new ECSClient({ endpoint: peer.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  after(async () => { ecs.destroy(); await peer.close(); });
  afterEach(async () => {
    await client?.stop();
    for (const s of peer.sockets) s.terminate();
    Object.assign(peer, { discovers: 0, upgrades: [], sockets: [], received: [] });
    handled.length = 0;
    verified.length = 0;
    candidates = [];
    listedSeen = [];
  });

  const connect = (extra: Partial<ConstructorParameters<typeof AcsClient>[0]> = {}) => {
    client = new AcsClient({
      ecs, clusterArn: CLUSTER, instanceArn: INSTANCE, credentials, region: 'us-east-1', backoffMs: [20, 100],
      onTasks: (tasks) => { handled.push(tasks); },
      stopCandidates: (listed) => { listedSeen.push([...listed]); return candidates; },
      onStopVerified: (arns) => { verified.push(arns); },
      ...extra,
    });
    client.start();
    return client;
  };

  it('discovers the endpoint and connects to /ws with a SigV4-signed upgrade request', async () => {
    connect();
    await peer.until(() => peer.upgrades.length === 1, 'a connection');
    assert.equal(peer.discovers, 1);
    const req = peer.upgrades[0];
    const url = new URL(req.url!, peer.url);
    assert.equal(url.pathname, '/ws');
    assert.equal(url.searchParams.get('clusterArn'), CLUSTER);
    assert.equal(url.searchParams.get('containerInstanceArn'), INSTANCE);
    assert.equal(url.searchParams.get('seqNum'), '1');
    assert.equal(url.searchParams.get('protocolVersion'), '2');
    const auth = String(req.headers.authorization);
    const amzDate = String(req.headers['x-amz-date']);
    assert.match(auth, new RegExp(`^AWS4-HMAC-SHA256 Credential=test/${amzDate.slice(0, 8)}/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$`));
    // The server can verify it: signing the same request at the same time gives the same signature.
    const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'ecs', sha256: Sha256 });
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => { query[k] = v; });
    const when = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const again = await signer.sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query,
      headers: { host: String(req.headers.host) } }, { signingDate: when });
    assert.equal(again.headers.authorization, auth);
  });

  it('acks PayloadMessages once handled, answers heartbeats, and decodes the wire tasks', async () => {
    connect();
    await peer.until(() => peer.sockets.length === 1, 'a connection');
    const wire: WireTask = {
      arn: TASK, desiredStatus: 'RUNNING', family: 'web', version: '3', overrides: '{}', networkMode: 'bridge',
      containers: [{ name: 'app', image: 'busybox', cpu: 128, memory: 64, essential: true, environment: { A: '1' },
        portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }] }],
    };
    peer.send({ type: 'HeartbeatMessage', message: { messageId: 'hb-1', healthy: true } });
    peer.send({ type: 'PayloadMessage', message: { messageId: 'p-1', clusterArn: CLUSTER, containerInstanceArn: INSTANCE, seqNum: 1, tasks: [wire] } });
    await peer.until(() => peer.received.length === 2, 'two answers');
    assert.deepEqual(peer.received, [
      { type: 'HeartbeatAckRequest', message: { messageId: 'hb-1' } },
      { type: 'AckRequest', message: { cluster: CLUSTER, containerInstance: INSTANCE, messageId: 'p-1' } },
    ]);
    const [task] = handled[0];
    assert.equal(task.taskDefinition.family, 'web');
    assert.equal(task.taskDefinition.revision, 3);
    assert.deepEqual(task.taskDefinition.containerDefinitions?.[0].environment, [{ name: 'A', value: '1' }]);
    assert.equal(client!.latestSeqNum, 1);
  });

  it('ignores a manifest not above the latest seqNum; asks the server before stopping what a newer one leaves out', async () => {
    connect();
    await peer.until(() => peer.sockets.length === 1, 'a connection');
    peer.send({ type: 'PayloadMessage', message: { messageId: 'p-5', clusterArn: CLUSTER, containerInstanceArn: INSTANCE, seqNum: 5, tasks: [] } });
    peer.send({ type: 'TaskManifestMessage', message: { messageId: 'm-old', clusterArn: CLUSTER, containerInstanceArn: INSTANCE, timeline: 4, tasks: [] } });
    candidates = [TASK];
    peer.send({ type: 'TaskManifestMessage', message: { messageId: 'm-6', clusterArn: CLUSTER, containerInstanceArn: INSTANCE, timeline: 6,
      tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/test/other', taskClusterArn: CLUSTER, desiredStatus: 'RUNNING' }] } });
    await peer.until(() => peer.received.length === 3, 'acks and a verification request');
    assert.deepEqual(peer.received, [
      { type: 'AckRequest', message: { cluster: CLUSTER, containerInstance: INSTANCE, messageId: 'p-5' } },
      { type: 'AckRequest', message: { cluster: CLUSTER, containerInstance: INSTANCE, messageId: 'm-6' } },
      { type: 'TaskStopVerificationMessage', message: { messageId: 'm-6', stopCandidates: [{ taskArn: TASK, taskClusterArn: CLUSTER, desiredStatus: 'STOPPED' }] } },
    ], 'the stale manifest (timeline 4 ≤ 5) is neither acked nor acted on');
    assert.deepEqual(listedSeen, [['arn:aws:ecs:us-east-1:000000000000:task/test/other']]);
    // An ack naming another manifest is ignored; the right one stops what it names.
    peer.send({ type: 'TaskStopVerificationAck', message: { messageId: 'm-old', stopTasks: [{ taskArn: TASK, taskClusterArn: CLUSTER, desiredStatus: 'STOPPED' }] } });
    peer.send({ type: 'TaskStopVerificationAck', message: { messageId: 'm-6', stopTasks: [{ taskArn: TASK, taskClusterArn: CLUSTER, desiredStatus: 'STOPPED' }] } });
    await peer.until(() => verified.length === 1, 'the verified stop');
    assert.deepEqual(verified, [[TASK]]);
    assert.equal(client!.latestSeqNum, 6);
  });

  it('reconnects, rediscovering, after the socket drops, a CloseMessage, or a silent server', async () => {
    let connected = 0;
    connect({ inactivityMs: [1000, 1000], onConnected: () => { connected++; } });
    await peer.until(() => peer.sockets.length === 1, 'a connection');
    peer.sockets[0].terminate();
    await peer.until(() => peer.sockets.length === 2, 'a reconnection after a drop');
    peer.send({ type: 'CloseMessage', message: { message: 'bye' } });
    await peer.until(() => peer.sockets.length === 3, 'a reconnection after CloseMessage');
    // Silence: the inactivity timer (1 s here) gives up on the connection.
    await peer.until(() => peer.sockets.length === 4, 'a reconnection after silence');
    assert.equal(peer.discovers, 4, 'each reconnection rediscovers the endpoint');
    await peer.until(() => connected === 4, 'onConnected for every connection');
  });

  it('keeps a connection alive as long as frames arrive', async () => {
    // A wide margin (2 s window, a frame every 100 ms) so a loaded machine's pauses do not matter.
    connect({ inactivityMs: [2000, 2000] });
    await peer.until(() => peer.sockets.length === 1, 'a connection');
    for (let i = 0; i < 30; i++) {
      peer.send({ type: 'HeartbeatMessage', message: { messageId: `hb-${i}`, healthy: true } });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(peer.sockets.length, 1, 'heartbeats every 100 ms for 3 s kept the 2 s timer from firing');
  });

  it('stops for good when the server says the instance is inactive', async () => {
    let inactive = '';
    connect({ onInactive: (m) => { inactive = m; } });
    await peer.until(() => peer.sockets.length === 1, 'a connection');
    peer.send({ type: 'InactiveInstanceException', message: { message: 'deregistered' } });
    await peer.until(() => inactive !== '', 'the inactive notice');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(peer.sockets.length, 1, 'no reconnection');
  });

  it('backs off from 250 ms by ×1.5 up to its cap, and builds ws:// and wss:// URLs', () => {
    const b = new Backoff(250, 120_000, () => 0.5);
    const delays = Array.from({ length: 20 }, () => b.next());
    assert.deepEqual(delays.slice(0, 4), [250, 375, 563, 844]);
    assert.equal(delays.at(-1), 120_000);
    b.reset();
    assert.equal(b.next(), 250);
    // A Berth server's heartbeat caps it (after a partition heals, the agent is back within one).
    for (let i = 0; i < 20; i++) b.next();
    b.cap(3_000);
    assert.equal(b.next(), 3_000);
    b.cap(100);
    assert.equal(b.next(), 250, 'never below the minimum');
    assert.equal(acsUrl('https://ecs.example.com/', CLUSTER, INSTANCE).origin, 'wss://ecs.example.com');
    assert.equal(acsUrl('http://127.0.0.1:4566', CLUSTER, INSTANCE).href.split('?')[0], 'ws://127.0.0.1:4566/ws');
  });
});
