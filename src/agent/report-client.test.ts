// The agent's report client: the request it sends is what the SDK would send (target, content
// type, the body from the SDK's schema serializer with timestamps as epoch seconds) with a
// signature the server's SigV4 verification accepts; a strict server takes a report signed with
// the right secret, refuses one signed with a wrong one, and an unreachable server is a fault to retry.
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseSignature, verifySignature } from '../gateway/sigv4.js';
import { newRootCredentials } from '../server/root-credentials.js';
import { startHarness, type Harness } from '../testing/harness.js';
import { ReportClient, type ReportError } from './report-client.js';
import { ConnectionPool } from './tls-trust.js';

const HOST = '127.0.60.7';
const TASK = 'arn:aws:ecs:us-east-1:222233334444:task/reports/0123456789abcdef0123456789abcdef';

describe('report client', () => {
  let h: Harness;
  const root = newRootCredentials('222233334444');
  const pool = new ConnectionPool();
  before(async () => {
    h = await startHarness({ auth: 'strict', rootCredentials: root, host: HOST });
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'reports' }));
  });
  after(async () => { pool.reset(); await h.close(); });

  it('sends the SDK\'s body and target, signed so that SigV4 verification passes', async () => {
    const seen: { req: IncomingMessage; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { seen.push({ req, body: Buffer.concat(chunks) }); res.end('{"acknowledgment":"ACK"}'); });
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    try {
      const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-1', sessionToken: 'token-1' };
      const client = new ReportClient({ endpoint: `http://${HOST}:${(server.address() as AddressInfo).port}`, region: 'eu-west-1', credentials, pool });
      const pulled = new Date('2026-03-04T05:06:07.500Z');
      await client.submitTaskStateChange({ cluster: 'reports', task: TASK, status: 'RUNNING', pullStartedAt: pulled,
        containers: [{ containerName: 'a', status: 'RUNNING', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' }] }] });
      const [{ req, body }] = seen;
      assert.equal(req.headers['x-amz-target'], 'AmazonEC2ContainerServiceV20141113.SubmitTaskStateChange');
      assert.equal(req.headers['content-type'], 'application/x-amz-json-1.1');
      assert.equal(req.headers['x-amz-security-token'], 'token-1');
      assert.deepEqual(JSON.parse(body.toString('utf8')), { cluster: 'reports', task: TASK, status: 'RUNNING', pullStartedAt: 1772600767.5,
        containers: [{ containerName: 'a', status: 'RUNNING', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' }] }] });
      const raw = { method: 'POST', path: '/', query: new URLSearchParams(), body,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])) };
      const sig = parseSignature(raw)!;
      assert.deepEqual([sig.accessKeyId, sig.region, sig.service, sig.sessionToken], ['AKIDEXAMPLE', 'eu-west-1', 'ecs', 'token-1']);
      verifySignature(raw, sig, 'secret-1', new Date());
      assert.throws(() => verifySignature(raw, sig, 'secret-2', new Date()), /signature/i);
      assert.throws(() => verifySignature({ ...raw, body: Buffer.from(body.toString('utf8').replace('RUNNING', 'STOPPED')) }, sig, 'secret-1', new Date()), /does not match/);
    } finally {
      server.close();
    }
  });

  it('a strict server takes the right secret\'s report and refuses a wrong one', async () => {
    const report = { cluster: 'reports', task: TASK, status: 'RUNNING' };
    const signed = new ReportClient({ endpoint: h.url, region: 'us-east-1', credentials: root, pool });
    // Past authentication: the server looks for the task (and has none of that id).
    const unknown = await signed.submitTaskStateChange(report).then(() => undefined, (e: ReportError) => e);
    assert.equal(unknown?.name, 'InvalidParameterException');
    assert.match(unknown.message, /task was not found/);
    assert.equal(unknown.$fault, 'client');
    const wrong = new ReportClient({ endpoint: h.url, region: 'us-east-1', credentials: { ...root, secretAccessKey: 'not-the-secret' }, pool });
    const refused = await wrong.submitTaskStateChange(report).then(() => undefined, (e: ReportError) => e);
    assert.match(refused?.name ?? '', /InvalidSignature|UnrecognizedClient/);
    assert.equal(refused?.$fault, 'client');
    assert.equal(refused?.$metadata.httpStatusCode, 400);
  });

  it('a server that cannot be reached is a server fault (the reporter retries)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new ReportClient({ endpoint: `http://${HOST}:${port}`, region: 'us-east-1', credentials: root, pool });
    const err = await client.submitTaskStateChange({ cluster: 'reports', task: TASK, status: 'RUNNING' }).then(() => undefined, (e: ReportError) => e);
    assert.equal(err?.$fault, 'server');
    assert.match(err?.message ?? '', /ECONNREFUSED/);
  });
});
