// Strict mode through the real SDK and raw HTTP: every probe of issue 10's first paragraph now fails
// safely with AWS's error code, and a request signed with the root key passes.
import { CreateClusterCommand, DescribeTaskDefinitionCommand, ECSClient, ListClustersCommand, RegisterTaskDefinitionCommand, SubmitTaskStateChangeCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { Clock } from '../common/ids.js';
import { startBerth } from '../server/berth.js';
import { newRootCredentials } from '../server/root-credentials.js';
import { ecsHeaders, resetBerth, startHarness, type Harness } from '../testing/harness.js';
import { signedFetch } from '../testing/signed-fetch.js';

type SdkError = Error & { $metadata?: { httpStatusCode?: number } };
const rejectsWith = (p: Promise<unknown>, code: string, status: number, message?: RegExp) =>
  assert.rejects(p, (err: SdkError) => {
    assert.equal(err.name, code, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });

describe('strict mode', () => {
  let h: Harness;
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
  const root = newRootCredentials();
  const ecsAs = (credentials: { accessKeyId: string; secretAccessKey: string }, extra: object = {}) =>
    new ECSClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1, ...extra });
  const stsAs = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new STSClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });

  before(async () => {
    h = await startHarness({ auth: 'strict', rootCredentials: root, clock, host: '127.0.30.1' });
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'db', containerDefinitions: [{ name: 'db', image: 'busybox', memory: 32, environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }],
    }));
  });
  after(async () => { await h.close(); });

  it('the root key passes through the SDK (ECS and STS)', async () => {
    assert.equal((await h.ecs.send(new ListClustersCommand({}))).clusterArns?.length, 1);
    const id = await h.sts.send(new GetCallerIdentityCommand({}));
    assert.deepEqual([id.Account, id.Arn], [root.account, `arn:aws:iam::${root.account}:root`]);
  });

  it('a wrong secret: ECS InvalidSignatureException 400, STS SignatureDoesNotMatch 403, and no task definition environment', async () => {
    const wrong = { accessKeyId: root.accessKeyId, secretAccessKey: 'wrong' };
    const ecs = ecsAs(wrong);
    const sts = stsAs(wrong);
    try {
      await rejectsWith(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'db' })), 'InvalidSignatureException', 400, /signature we calculated does not match/);
      await rejectsWith(sts.send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403);
      // A forged agent state change (it once stopped a running task) is refused before it is read.
      await rejectsWith(ecs.send(new SubmitTaskStateChangeCommand({ cluster: 'prod', task: 'any', status: 'STOPPED', reason: 'forged' })), 'InvalidSignatureException', 400);
    } finally { ecs.destroy(); sts.destroy(); }
  });

  it('an access key Berth does not know (a 12-digit account id) is not an account: UnrecognizedClientException / InvalidClientTokenId', async () => {
    const foreign = { accessKeyId: '123456789012', secretAccessKey: 'x' };
    const ecs = ecsAs(foreign);
    const sts = stsAs(foreign);
    try {
      await rejectsWith(ecs.send(new ListClustersCommand({})), 'UnrecognizedClientException', 400, /security token included in the request is invalid/);
      await rejectsWith(sts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    } finally { ecs.destroy(); sts.destroy(); }
  });

  it('seven malformed Authorization headers: none answers 200, each with the protocol\'s error code', async () => {
    const scope = `${root.accessKeyId}/20261125/us-east-1/ecs/aws4_request`;
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'MissingAuthenticationTokenException'],
      ['AWS4-HMAC-SHA256', 'IncompleteSignatureException'],
      [`AWS4-HMAC-SHA256 Credential=${scope}`, 'IncompleteSignatureException'],
      [`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host`, 'IncompleteSignatureException'],
      [`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=x`, 'IncompleteSignatureException'], // no X-Amz-Date
      ['Basic dXNlcjpwYXNz', 'IncompleteSignatureException'],
      [`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'InvalidSignatureException'],
    ];
    for (const [authorization, code] of cases) {
      const headers: Record<string, string> = { ...ecsHeaders('ListClusters') };
      delete headers.authorization;
      if (authorization) headers.authorization = authorization;
      if (code === 'InvalidSignatureException') headers['x-amz-date'] = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const res = await h.post(headers, '{}');
      assert.equal(res.status, 400, `${authorization}: ${res.text}`);
      assert.equal((JSON.parse(res.text) as { __type: string }).__type, code, `${authorization}: ${res.text}`);
    }
  });

  it('a date outside the 5-minute window: InvalidSignatureException "Signature expired"', async () => {
    const ecs = ecsAs(root, { systemClockOffset: -10 * 60_000 });
    try {
      await rejectsWith(ecs.send(new ListClustersCommand({})), 'InvalidSignatureException', 400, /Signature expired: \d{8}T\d{6}Z is now earlier than/);
    } finally { ecs.destroy(); }
  });

  it('a body changed after signing: InvalidSignatureException, nothing created', async () => {
    const signer = new SignatureV4({ credentials: root, region: 'us-east-1', service: 'ecs', sha256: Sha256 });
    const u = new URL(h.url);
    const headers = { ...ecsHeaders('CreateCluster'), host: u.host } as Record<string, string>;
    delete headers.authorization;
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', headers, body: '{"clusterName":"a"}' });
    const sent = { ...signed.headers } as Record<string, string>;
    delete sent.host;
    const res = await fetch(h.url, { method: 'POST', headers: sent, body: '{"clusterName":"evil"}' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { __type: string }).__type, 'InvalidSignatureException');
    assert.deepEqual((await h.ecs.send(new ListClustersCommand({}))).clusterArns?.map((a) => a.split('/')[1]), ['prod']);
  });

  it('a presigned GetCallerIdentity can be replayed until it expires, then RequestExpired', async () => {
    const signer = new SignatureV4({ credentials: root, region: 'us-east-1', service: 'sts', sha256: Sha256 });
    const u = new URL(h.url);
    const presigned = await signer.presign({
      method: 'GET', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: u.host },
    }, { expiresIn: 60 });
    const url = `${h.url}/?${new URLSearchParams(presigned.query as Record<string, string>)}`;
    for (let i = 0; i < 2; i++) assert.equal((await fetch(url)).status, 200);
    offsetMs = 120_000;
    try {
      const expired = await fetch(url);
      assert.equal(expired.status, 400);
      assert.match(await expired.text(), /<Code>RequestExpired<\/Code>/);
    } finally { offsetMs = 0; }
  });

  it('the agent websocket refuses an upgrade with no Authorization header', async () => {
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws?clusterArn=prod&containerInstanceArn=${encodeURIComponent(`arn:aws:ecs:us-east-1:${root.account}:container-instance/prod/abc`)}`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    ws.terminate();
    assert.equal(status, 403);
  });

  it('/_berth/reset: unsigned → MissingAuthenticationToken, signed by another key → refused, wrong Host → refused; root → wiped', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":"reset"}' };
    const unsigned = await fetch(`${h.url}/_berth/reset`, init);
    assert.equal(unsigned.status, 400);
    assert.equal(((await unsigned.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
    const other = await signedFetch(`${h.url}/_berth/reset`, { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' }, init);
    assert.equal(((await other.json()) as { __type: string }).__type, 'UnrecognizedClientException');
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(h.url);
      const req = request({ host: u.hostname, port: u.port, path: '/_berth/reset', method: 'POST', headers: { host: `evil.example:${u.port}`, 'content-type': 'application/json' } },
        (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end('{"confirm":"reset"}');
    });
    assert.equal(rebound, 403);
    assert.equal((await h.ecs.send(new ListClustersCommand({}))).clusterArns?.length, 1);
    await resetBerth(h.berth);
    assert.equal(await h.berth.app.store.count('/'), 0);
  });

  it('open mode refuses a non-loopback listen address unless insecure', async () => {
    await assert.rejects(startBerth({ port: 0, store: 'memory://', host: '0.0.0.0' }), /--auth strict/);
  });
});
