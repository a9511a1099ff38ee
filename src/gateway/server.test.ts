// The listener and the operational endpoints: a client that hangs up mid-request does not take the
// server down; /_berth/health and /_berth/reset; STS through the real SDK (the account comes from
// the access key) and unsigned query requests resolved by their Action.
import { CreateClusterCommand, ListClustersCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../testing/harness.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('gateway listener and operational endpoints', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); });

  it('survives a client that hangs up in the middle of a request body', async () => {
    const { hostname, port } = new URL(h.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n'
          + 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster\r\nContent-Length: 1000\r\n\r\n{"clusterName":');
        // Give the server the headers and part of the body, then reset the connection.
        setImmediate(() => { socket.resetAndDestroy(); resolve(); });
      });
      socket.on('error', reject);
    });
    // The server read the aborted body (or failed to) and is still serving; nothing was created.
    for (let i = 0; i < 3; i++) {
      const out = await h.ecs.send(new ListClustersCommand({}));
      assert.deepEqual(out.clusterArns, []);
    }
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'after' }));
    assert.equal((await h.ecs.send(new ListClustersCommand({}))).clusterArns?.length, 1);
  });

  it('GET /_berth/health answers version, uptime and store', async () => {
    const res = await fetch(`${h.url}/_berth/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = await res.json() as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.version, VERSION);
    assert.equal(typeof body.uptimeSeconds, 'number');
    assert.ok((body.uptimeSeconds as number) >= 0);
    assert.equal(body.store, 'memory');
    for (const name of ['ecs', 'ecr', 'iam', 'sts']) assert.ok((body.services as string[]).includes(name), `${name} in ${String(body.services)}`);
  });

  it('POST /_berth/reset with its JSON confirmation wipes all state; anything else is refused and wipes nothing', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'kept' }));
    const kept = async () => assert.equal((await h.ecs.send(new ListClustersCommand({}))).clusterArns?.length, 1);
    const get = await fetch(`${h.url}/_berth/reset`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    await kept();
    // What a web page can send without a preflight: text/plain or a form, from another origin.
    const plain = await fetch(`${h.url}/_berth/reset`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"confirm":"reset"}' });
    assert.equal(plain.status, 400);
    const unconfirmed = await fetch(`${h.url}/_berth/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unconfirmed.status, 400);
    const foreign = await fetch(`${h.url}/_berth/reset`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{"confirm":"reset"}' });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { __type: string }).__type, 'AccessDenied');
    await kept();
    const post = await fetch(`${h.url}/_berth/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":"reset"}' });
    assert.equal(post.status, 200);
    assert.deepEqual(await post.json(), { reset: true });
    assert.deepEqual((await h.ecs.send(new ListClustersCommand({}))).clusterArns, []);
    assert.equal(await h.berth.app.store.count('/'), 0);
  });

  it('STS GetCallerIdentity through the SDK: a 12-digit access key is the account, any other key 000000000000', async () => {
    const root = await h.sts.send(new GetCallerIdentityCommand({}));
    assert.deepEqual([root.Account, root.Arn, root.UserId], ['000000000000', 'arn:aws:iam::000000000000:root', 'test']);
    assert.match(root.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
    const sts = new STSClient({ endpoint: h.url, region: 'eu-central-1', credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const id = await sts.send(new GetCallerIdentityCommand({}));
      assert.deepEqual([id.Account, id.Arn, id.UserId], ['123456789012', 'arn:aws:iam::123456789012:root', '123456789012']);
    } finally {
      sts.destroy();
    }
  });

  it('an unsigned query request is routed by its Action to the service that has it', async () => {
    const res = await h.post({ 'content-type': 'application/x-www-form-urlencoded' }, 'Action=GetCallerIdentity&Version=2011-06-15');
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><GetCallerIdentityResult>/);
    assert.match(res.text, /<Account>000000000000<\/Account>/);
    const unknown = await h.post({ 'content-type': 'application/x-www-form-urlencoded' }, 'Action=LaunchRocket&Version=2011-06-15');
    assert.equal(unknown.status, 501);
    assert.match(unknown.text, /<Code>NotImplemented<\/Code>/);
  });

  it('names an unknown service in well-formed XML, whatever characters the request used', async () => {
    const res = await h.post({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/a<b&c/aws4_request, SignedHeaders=host, Signature=x',
    }, 'Action=Anything');
    assert.equal(res.status, 501);
    assert.match(res.text, /<Message>Service &#39;a&#60;b&#38;c&#39; is not implemented in Berth yet<\/Message>/);
  });
});
