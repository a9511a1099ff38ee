// Runs the store conformance suite against every driver, plus what only some drivers have:
// persistence across reopen (sqlite) and watch-history compaction (memory, sqlite).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HISTORY_LIMIT } from './local.js';
import { openMemoryStore } from './memory.js';
import { openStore } from './open.js';
import { openSqliteStore } from './sqlite.js';
import { collect, storeConformance } from './store.case.js';
import type { Store } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempDb = () => join(dir, `s${++files}.db`);

storeConformance('memory', async () => openMemoryStore());
storeConformance('sqlite', async () => openSqliteStore(tempDb()));

describe('sqlite persistence', () => {
  test('reopen keeps keys, revisions, versions and watch history', async () => {
    const file = tempDb();
    let store = openSqliteStore(file);
    await store.create('/p/a', 'a1');
    const mid = await store.currentRevision();
    await store.update('/p/a', 'a2');
    await store.txn([], [{ type: 'put', key: '/p/b', value: 'b1' }, { type: 'put', key: '/p/c', value: 'c1' }]);
    await store.delete('/p/c');
    const rev = await store.currentRevision();
    const a = await store.get('/p/a');
    await store.close();

    store = openSqliteStore(file);
    try {
      assert.equal(await store.currentRevision(), rev);
      assert.deepEqual(await store.get('/p/a'), a);
      assert.deepEqual((await store.list('/p/')).map((kv) => [kv.key, kv.value]), [['/p/a', 'a2'], ['/p/b', 'b1']]);
      const w = collect(store, '/p/', mid);
      const events = await w.next(4);
      w.stop();
      assert.deepEqual(events.map((e) => [e.type, e.key, e.value]), [
        ['put', '/p/a', 'a2'], ['put', '/p/b', 'b1'], ['put', '/p/c', 'c1'], ['delete', '/p/c', 'c1'],
      ]);
      await store.create('/p/d', 'd');
      assert.equal((await store.get('/p/d'))?.createRevision, rev + 1, 'revisions continue where they stopped');
    } finally {
      await store.close();
    }
  });

  test('wipe survives reopen and the revision does not go back', async () => {
    const file = tempDb();
    let store = openSqliteStore(file);
    await store.create('/x', '1');
    await store.create('/y', '1');
    await store.wipe();
    await store.close();
    store = openSqliteStore(file);
    try {
      assert.equal(await store.count(''), 0);
      assert.equal(await store.currentRevision(), 2);
      assert.throws(() => store.watch('', 0, () => {}), /compacted/, 'history before a wipe is gone');
    } finally {
      await store.close();
    }
  });

  test('openStore: a data directory means <dir>/berth.db', async () => {
    const data = join(dir, 'data');
    let store = openStore(data);
    await store.create('/k', 'v');
    await store.close();
    store = openStore(`sqlite://${join(data, 'berth.db')}`);
    try {
      assert.equal((await store.get('/k'))?.value, 'v');
      assert.match(store.name, /^sqlite:/);
    } finally {
      await store.close();
    }
    assert.throws(() => openStore('etcd2://x'), /unknown store/);
    assert.equal(openStore('memory://').name, 'memory');
  });
});

describe('watch history compaction', () => {
  const writeMany = async (store: Store, count: number) => {
    for (let i = 0; i < count; i++) await store.update(`/h/${i % 10}`, String(i));
  };
  for (const [name, open] of [['memory', () => openMemoryStore()], ['sqlite', () => openSqliteStore(tempDb())]] as const) {
    test(`${name}: old revisions are compacted; recent ones still replay`, async () => {
      const store = open();
      try {
        await writeMany(store, HISTORY_LIMIT * 2 + 1);
        const rev = await store.currentRevision();
        assert.throws(() => store.watch('/h/', 1, () => {}), /compacted/);
        const w = collect(store, '/h/', rev - 5);
        const events = await w.next(5);
        w.stop();
        assert.deepEqual(events.map((e) => e.revision), [rev - 4, rev - 3, rev - 2, rev - 1, rev]);
      } finally {
        await store.close();
      }
    });
  }
});
