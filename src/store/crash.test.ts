// kill -9 durability: what was acknowledged survives a SIGKILL, and nothing half-written appears.
// Once through the real server (CreateCluster over HTTP with the SDK), once at the store level
// (a child process writing through the sqlite driver).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient, paginateListClusters } from '@aws-sdk/client-ecs';
import { spawnBerth } from '../testing/child-server.js';
import { credentials } from '../testing/harness.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ecsClient = (url: string) => new ECSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });

/** Every key's value is complete JSON, and the revision is the newest write (nothing torn). */
async function assertConsistent(store: Store, prefix: string) {
  const kvs = await store.list(prefix);
  const rev = await store.currentRevision();
  for (const kv of kvs) {
    assert.doesNotThrow(() => JSON.parse(kv.value), `value of ${kv.key} is not complete JSON: ${kv.value}`);
    assert.ok(kv.createRevision <= kv.modRevision && kv.modRevision <= rev, `${kv.key}: revisions ${kv.createRevision}/${kv.modRevision} vs store ${rev}`);
  }
  return kvs;
}

describe('kill -9 of the server', () => {
  test('every acknowledged CreateCluster survives, complete; nothing half-written is listed', async () => {
    const data = join(dir, 'server');
    const acked = new Set<string>();
    const inFlight = new Set<string>();
    let server = await spawnBerth({ data });
    let ecs = ecsClient(server.url);
    let killed: Promise<void> | undefined;
    let next = 0;
    const worker = async () => {
      while (!killed) {
        const name = `crash-${next++}`;
        inFlight.add(name);
        try {
          // tagged with its own name, so a record torn between two requests would show
          const out = await ecs.send(new CreateClusterCommand({ clusterName: name, tags: [{ key: 'n', value: name }] }));
          assert.equal(out.cluster?.clusterName, name);
          acked.add(name);
          inFlight.delete(name);
          if (acked.size >= 200) killed ??= server.kill();
        } catch (err) {
          if (!killed) throw err; // before the kill, every call must succeed; after it, failures are expected
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      killed ??= server.kill(); // a worker that failed before the kill must not leave the server running
      await killed;
      ecs.destroy();
    }
    assert.equal(server.child.signalCode, 'SIGKILL');
    assert.ok(acked.size >= 200);

    server = await spawnBerth({ data });
    ecs = ecsClient(server.url);
    try {
      const names = [...acked];
      for (let i = 0; i < names.length; i += 100) {
        const batch = names.slice(i, i + 100);
        const out = await ecs.send(new DescribeClustersCommand({ clusters: batch, include: ['SETTINGS', 'TAGS'] }));
        const missing = out.failures?.map((f) => f.arn?.split('/').pop()) ?? [];
        assert.equal(missing.length, 0, `${missing.length} acknowledged clusters missing after restart, e.g. ${missing.slice(0, 5).join(', ')}`);
        assert.deepEqual(out.clusters?.map((c) => c.clusterName), batch);
        for (const c of out.clusters ?? []) {
          assert.equal(c.status, 'ACTIVE');
          assert.match(c.clusterArn ?? '', new RegExp(`^arn:aws:ecs:us-east-1:\\d{12}:cluster/${c.clusterName}$`));
          assert.deepEqual(c.settings, [{ name: 'containerInsights', value: 'disabled' }]);
          assert.deepEqual(c.tags, [{ key: 'n', value: c.clusterName }]);
        }
      }
      const listed: string[] = [];
      for await (const page of paginateListClusters({ client: ecs, pageSize: 100 }, {})) listed.push(...page.clusterArns ?? []);
      const listedNames = new Set(listed.map((arn) => arn.split('/').pop()!));
      for (const name of acked) assert.ok(listedNames.has(name), `${name} acknowledged but not listed`);
      for (const name of listedNames) assert.ok(acked.has(name) || inFlight.has(name), `${name} listed but never requested`);
      const extra = [...listedNames].filter((n) => !acked.has(n));
      if (extra.length) {
        const out = await ecs.send(new DescribeClustersCommand({ clusters: extra }));
        assert.deepEqual(out.failures, [], 'a listed cluster whose call was in flight must still be complete');
      }
    } finally {
      ecs.destroy();
      await server.stop();
    }
    const store = openSqliteStore(join(data, 'berth.db'));
    try {
      const kvs = await assertConsistent(store, '/ecs/');
      assert.ok(kvs.length >= acked.size);
    } finally {
      await store.close();
    }
  });
});

// The writer: each step is one txn creating /c/<i>/a and /c/<i>/b and moving /counter with
// compare-and-swap; it prints "<i> <revision>" only after the txn resolved.
const WRITER = `
const { openSqliteStore } = await import(process.argv[1]);
const store = openSqliteStore(process.argv[2]);
for (let i = 0; ; i++) {
  const counter = await store.get('/counter');
  const value = JSON.stringify({ i, pad: 'x'.repeat(i % 500) });
  const r = await store.txn([{ key: '/counter', modRevision: counter?.modRevision ?? 0 }],
    [{ type: 'put', key: '/c/' + String(i).padStart(8, '0') + '/a', value },
     { type: 'put', key: '/c/' + String(i).padStart(8, '0') + '/b', value },
     { type: 'put', key: '/counter', value: JSON.stringify({ i }) }]);
  if (!r.succeeded) throw new Error('lost the counter');
  process.stdout.write(i + ' ' + r.revision + '\\n');
}`;

describe('kill -9 of a process writing through the sqlite driver', () => {
  test('acknowledged transactions are all there, none half-applied, revision consistent', async () => {
    const file = join(dir, 'writer', 'store.db');
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, new URL('./sqlite.js', import.meta.url).href, file],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.split('\n').length > 2000 && child.signalCode === null) { child.kill('SIGKILL'); resolve(); }
      });
      child.once('exit', (code) => reject(new Error(`writer exited (${code}) before the kill: ${err}`)));
    });
    await exited;
    assert.equal(child.signalCode, 'SIGKILL');
    // Only complete lines: the text after the last newline may be an acknowledgement cut short.
    const acks = out.split('\n').slice(0, -1).filter((l) => /^\d+ \d+$/.test(l)).map((l) => l.split(' ').map(Number));
    const [lastI, lastRev] = acks.at(-1)!;
    assert.ok(acks.length >= 2000);

    const store = openSqliteStore(file);
    try {
      await assertConsistent(store, '');
      const counter = JSON.parse((await store.get('/counter'))!.value) as { i: number };
      assert.ok(counter.i >= lastI, `counter ${counter.i} is behind the last acknowledged write ${lastI}`);
      const rev = await store.currentRevision();
      assert.ok(rev >= lastRev);
      assert.equal(rev, counter.i + 1, 'one revision per transaction, none lost or skipped');
      assert.equal((await store.get('/counter'))!.modRevision, rev);
      const a = await store.list('/c/', {});
      assert.equal(a.length, 2 * (counter.i + 1), 'every committed txn wrote both of its keys, and no other txn left anything');
      for (let i = 0; i <= counter.i; i++) {
        const id = String(i).padStart(8, '0');
        const [ka, kb] = [a[2 * i], a[2 * i + 1]];
        assert.deepEqual([ka.key, kb.key], [`/c/${id}/a`, `/c/${id}/b`]);
        assert.equal(ka.value, kb.value);
        assert.equal(ka.modRevision, i + 1);
        assert.equal((JSON.parse(ka.value) as { i: number }).i, i);
      }
      for (const [i, revision] of acks) assert.equal(a[2 * i].modRevision, revision);
      await store.create('/after', '{}');
      assert.equal(await store.currentRevision(), rev + 1);
    } finally {
      await store.close();
    }
  });
});
