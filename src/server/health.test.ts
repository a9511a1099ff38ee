// /_berth/health tells the truth about the store: a real `berth server` whose data directory is a
// 2 MiB tmpfs (its own mount namespace) is filled with task definitions until SQLite answers
// SQLITE_FULL; from then on health answers 503 with the store's own error as the reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BERTH_BIN } from '../testing/processes.js';
import { requirePrivateTmpfs } from '../testing/requirements.js';

const HOST = '127.0.20.40';

describe('health when the disk is full', requirePrivateTmpfs(), () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-full-'));
  const child = spawn('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=2m tmpfs "$0" && exec "$1" "$2" server --host ${HOST} --port 0 --data "$0" --log-level off`,
    dir, process.execPath, BERTH_BIN], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  after(async () => {
    if (child.exitCode === null) { child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r)); }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with the reason once the store cannot write, 200 before', async () => {
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => { const m = /listening on (http:\/\/\S+)/.exec(out); if (m) resolve(m[1]); };
      child.stdout.on('data', check);
      child.once('exit', () => reject(new Error(`server exited: ${out}`)));
    });
    const health = async () => { const r = await fetch(`${url}/_berth/health`); return { status: r.status, body: await r.json() as Record<string, unknown> }; };
    assert.deepEqual((await health()).status, 200);
    assert.equal((await health()).body.status, 'ok');

    const env = Array.from({ length: 400 }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(120) }));
    let failed: { status: number; text: string } | undefined;
    for (let i = 0; i < 200 && !failed; i++) {
      const res = await fetch(url, { method: 'POST', headers: {
        'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition',
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x',
      }, body: JSON.stringify({ family: `f${i}`, containerDefinitions: [{ name: 'a', image: 'busybox', memory: 16, environment: env }] }) });
      const text = await res.text();
      if (res.status !== 200) failed = { status: res.status, text };
    }
    assert.ok(failed, 'the 2 MiB disk filled up');
    assert.equal(failed.status, 500, failed.text);

    const h = await health();
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'unavailable');
    assert.match(String(h.body.reason), /^the store \(sqlite:[^)]+\) cannot write: database or disk is full$/);
    assert.match(String(h.body.store), /^sqlite:/);
  });
});
