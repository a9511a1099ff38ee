// kill -9 of the server in the middle of a layer push: the half-received layer is never served
// (it is still an upload file, not a blob), the token survives the restart (its secret is in the
// store), a retried push completes, and what is served then is the whole, digest-verified layer.
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { spawnBerth, type ChildServer } from '../../testing/child-server.js';
import { eventually } from '../../testing/eventually.js';
import { credentials } from '../../testing/harness.js';

const HOST = '127.0.60.4';
const dir = mkdtempSync(join(tmpdir(), 'berth-ecr-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 of the server during a push', () => {
  test('no partial blob is ever served; a retried push completes', async () => {
    const data = join(dir, 'data');
    let server: ChildServer = await spawnBerth({ data, extra: ['--host', HOST] });
    try {
      const ecr = new ECRClient({ endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'crash' }));
      const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!;
      ecr.destroy();
      const headers = { authorization: `Basic ${auth}` };
      const layer = randomBytes(8 * 1024 * 1024);
      const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
      const blobFile = join(data, 'ecr', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));

      // Start a chunked upload and stream half the layer into its PATCH, then kill the server.
      const start = await fetch(`${server.url}/v2/crash/blobs/uploads/`, { method: 'POST', headers });
      assert.equal(start.status, 202);
      const location = new URL(start.headers.get('location')!, server.url);
      const patch = request(location, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/octet-stream' } });
      patch.on('error', () => {}); // the server dies under it
      patch.write(layer.subarray(0, layer.length / 2));
      const uploads = join(data, 'ecr', 'uploads');
      await eventually('half the layer on disk', () => readdirSync(uploads).some((f) => statSync(join(uploads, f)).size > 0));
      await server.kill();
      patch.destroy();
      assert.equal(existsSync(blobFile), false, 'no blob file for a layer that was never completed');

      server = await spawnBerth({ data, extra: ['--host', HOST] });
      // The token issued before the crash still works (the secret is persisted).
      const head = await fetch(`${server.url}/v2/crash/blobs/${digest}`, { method: 'HEAD', headers });
      assert.equal(head.status, 404);
      // The retried push (docker starts a fresh upload) completes.
      const retry = await fetch(`${server.url}/v2/crash/blobs/uploads/?digest=${digest}`, { method: 'POST', headers, body: layer });
      assert.equal(retry.status, 201, await retry.text());
      const got = Buffer.from(await (await fetch(`${server.url}/v2/crash/blobs/${digest}`, { headers })).arrayBuffer());
      assert.equal(got.length, layer.length);
      assert.ok(got.equals(layer));
    } finally {
      await server.kill();
    }
  });
});
