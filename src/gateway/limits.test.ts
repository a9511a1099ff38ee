// Bounds and regions at the gateway, on a real in-process server: request bodies refused by their
// declared size before they are read (413 in the API's own error format), chunked bodies cut off
// at the cap, connection caps and header timeouts, credential-scope regions that are not regions,
// ARNs in the partition of the region, and the landing page a browser gets at GET /.
import { CreateClusterCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startBerth, type Berth } from '../server/berth.js';
import { credentials } from '../testing/harness.js';

const HOST = '127.0.20.10';

/** Writes `head` (and `body`) on a raw socket and resolves with everything the server sent
 *  until it closed the connection. */
function rawExchange(port: number, head: string, body?: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST, () => { socket.write(head); if (body !== undefined) socket.write(body); });
    let out = '';
    socket.on('data', (d) => { out += d.toString('utf8'); });
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(out) : reject(err)));
    socket.on('close', () => resolve(out));
  });
}

const ecsHead = (port: number, length: number | 'chunked', region = 'us-east-1') => [
  'POST / HTTP/1.1', `host: ${HOST}:${port}`, 'content-type: application/x-amz-json-1.1',
  'x-amz-target: AmazonEC2ContainerServiceV20141113.DescribeClusters',
  `authorization: AWS4-HMAC-SHA256 Credential=test/20261130/${region}/ecs/aws4_request, SignedHeaders=host, Signature=x`,
  length === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${length}`, '', ''].join('\r\n');

describe('gateway bounds, regions and the landing page', () => {
  let berth: Berth;
  let port: number;
  before(async () => {
    berth = await startBerth({ host: HOST, port: 0, store: 'memory://' });
    port = berth.app.config.port;
  });
  after(async () => { await berth.close(); });

  it('refuses a declared ECS body above 1 MiB with 413 before reading any of it, in the JSON error format', { timeout: 20_000 }, async () => {
    // 60 MB declared and nothing sent: the answer comes without the server waiting for the body.
    const out = await rawExchange(port, ecsHead(port, 60_000_000));
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.match(out, /x-amzn-errortype: RequestEntityTooLarge/i);
    assert.match(out, /"__type":"RequestEntityTooLarge"/);
    assert.match(out, /\(60000000 bytes\) exceeds the limit of 1048576 bytes/);
  });

  it('cuts off a chunked body once it passes the cap, echoing none of it', async () => {
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const chunks = Array.from({ length: 6 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    const out = await rawExchange(port, ecsHead(port, 'chunked'), Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')]));
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.ok(!out.includes('aaaa'), 'the body is not echoed');
  });

  it('accepts a body under the cap (the cap is the ECS one, not smaller)', async () => {
    const body = JSON.stringify({ clusters: ['x'.repeat(1000)] });
    const out = await rawExchange(port, ecsHead(port, Buffer.byteLength(body)).replace('\r\n\r\n', '\r\nconnection: close\r\n\r\n'), body);
    assert.match(out, /^HTTP\/1\.1 200 /);
  });

  it('refuses an identifier longer than 2048 characters without echoing it', async () => {
    const name = 'n'.repeat(100_000);
    const body = JSON.stringify({ clusters: [name] });
    const out = await rawExchange(port, ecsHead(port, Buffer.byteLength(body)).replace('\r\n\r\n', '\r\nconnection: close\r\n\r\n'), body);
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.match(out, /InvalidParameterException/);
    assert.match(out, /100000 characters long; at most 2048/);
    assert.ok(out.length < 2000, `the answer stays small (${out.length} bytes)`);
  });

  it('refuses a credential scope whose region is not a region, and puts nothing in an ARN', async () => {
    const before = await berth.app.store.currentRevision();
    const body = JSON.stringify({ clusterName: 'evil' });
    const out = await rawExchange(port, ecsHead(port, Buffer.byteLength(body), 'a:b*c')
      .replace('DescribeClusters', 'CreateCluster').replace('\r\n\r\n', '\r\nconnection: close\r\n\r\n'), body);
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.match(out, /"__type":"InvalidSignatureException"/);
    assert.match(out, /Credential should be scoped to a valid region, not 'a:b\*c'\. /);
    assert.equal(await berth.app.store.currentRevision(), before, 'nothing was written');

    const sts = await fetch(berth.url, { method: 'POST', body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261130/not_a_region/sts/aws4_request, SignedHeaders=host, Signature=x' } });
    assert.equal(sts.status, 403);
    assert.match(await sts.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('builds ARNs in the partition of the region (aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws)', async () => {
    const cases: Array<[string, string]> = [['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov'], ['us-iso-east-1', 'aws-iso'],
      ['us-isob-east-1', 'aws-iso-b'], ['eu-west-1', 'aws']];
    for (const [region, partition] of cases) {
      const ecs = new ECSClient({ endpoint: berth.url, region, credentials, maxAttempts: 1 });
      const sts = new STSClient({ endpoint: berth.url, region, credentials, maxAttempts: 1 });
      try {
        const c = await ecs.send(new CreateClusterCommand({ clusterName: 'p' }));
        assert.equal(c.cluster?.clusterArn, `arn:${partition}:ecs:${region}:000000000000:cluster/p`);
        assert.deepEqual((await ecs.send(new ListClustersCommand({}))).clusterArns, [`arn:${partition}:ecs:${region}:000000000000:cluster/p`]);
        assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, `arn:${partition}:iam::000000000000:root`);
      } finally {
        ecs.destroy();
        sts.destroy();
      }
    }
  });

  it('answers a browser at GET / with a small page naming the version and linking health and the README', async () => {
    const res = await fetch(`${berth.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, new RegExp(`Berth ${berth.app.version.replace(/\./g, '\\.')}`));
    assert.match(html, /href="\/_berth\/health"/);
    assert.match(html, /href="\/_berth\/readme"/);
    assert.match(html, new RegExp(`aws --endpoint-url http://${HOST.replace(/\./g, '\\.')}:${port} ecs list-clusters`));
    const readme = await fetch(`${berth.url}/_berth/readme`);
    assert.match(await readme.text(), /^# Berth/);
    // A signed GET / is still an API request, not the page.
    const signed = await fetch(`${berth.url}/?Action=GetCallerIdentity&Version=2011-06-15`, { headers: {
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x' } });
    assert.match(await signed.text(), /GetCallerIdentityResponse/);
  });
});

describe('connection bounds', () => {
  it('closes connections beyond maxConnections as they arrive; the others keep working', async () => {
    const berth = await startBerth({ host: HOST, port: 0, store: 'memory://', limits: { maxConnections: 2 } });
    const sockets: Socket[] = [];
    try {
      const open = () => new Promise<Socket>((resolve) => { const s = connect(berth.app.config.port, HOST, () => resolve(s)); sockets.push(s); });
      const [a] = [await open(), await open()];
      // Each accepted socket is counted once the server has seen it: a request on both proves it.
      const third = await open();
      const closed = await new Promise<boolean>((resolve) => { third.on('close', () => resolve(true)); third.on('data', () => resolve(false)); third.write('GET /_berth/health HTTP/1.1\r\nhost: x\r\n\r\n'); });
      assert.equal(closed, true, 'the third connection is closed without an answer');
      const answer = await new Promise<string>((resolve) => { a.once('data', (d) => resolve(d.toString())); a.write('GET /_berth/health HTTP/1.1\r\nhost: x\r\n\r\n'); });
      assert.match(answer, /^HTTP\/1\.1 200 /);
    } finally {
      for (const s of sockets) s.destroy();
      await berth.close();
    }
  });

  it('answers 408 to a client that does not finish its headers in time', async () => {
    const berth = await startBerth({ host: HOST, port: 0, store: 'memory://', limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    try {
      const out = await rawExchange(berth.app.config.port, 'GET /_berth/health HTTP/1.1\r\nhost: x\r\n');
      assert.match(out, /^HTTP\/1\.1 408 /);
    } finally {
      await berth.close();
    }
  });
});
