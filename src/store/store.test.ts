// Runs the store conformance suite against every driver, plus what only some drivers have:
// persistence across reopen (sqlite) and watch-history compaction (memory, sqlite).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HISTORY_LIMIT, type LocalStore } from './local.js';
import { openMemoryStore } from './memory.js';
import { openStore } from './open.js';
import Database from 'better-sqlite3';
import { HISTORY_SQL, LEASE_KEYS_SQL, openSqliteStore } from './sqlite.js';
import { etcdConformance } from './etcd.case.js';
import { collect, storeConformance, type Driver } from './store.case.js';
import type { Store } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempDb = () => join(dir, `s${++files}.db`);

/** A fake clock per store: elapse() moves it and runs lease expiry, so lease tests do not sleep. */
const clocks = new Map<Store, { t: number }>();
const fakeClock = () => ({ t: Date.UTC(2026, 0, 1), now() { return new Date(this.t); } });
const local = (open: (clock: ReturnType<typeof fakeClock>) => LocalStore): Driver => ({
  async open() { const clock = fakeClock(); const store = open(clock); clocks.set(store, clock); return store; },
  async elapse(store, ms) { clocks.get(store)!.t += ms; await (store as LocalStore).expireLeases(); },
});

storeConformance('memory', local((clock) => openMemoryStore({ clock })));
storeConformance('sqlite', local((clock) => openSqliteStore(tempDb(), { clock })));
etcdConformance();

describe('sqlite group commit', () => {
  test('transactions issued together commit together, each with its own revision, compares and outcome', async () => {
    const file = tempDb();
    const store = openSqliteStore(file);
    try {
      await store.create('/g/taken', 'x');
      const base = await store.currentRevision();
      const seen: number[] = [];
      store.watch('/g/', base, (e) => seen.push(e.revision));
      const [a, conflict, gone, b] = await Promise.allSettled([
        store.txn([{ key: '/g/a', modRevision: 0 }], [{ type: 'put', key: '/g/a', value: '1' }, { type: 'add', key: '/g/n', delta: 1 }]),
        store.txn([{ key: '/g/taken', modRevision: 0 }], [{ type: 'put', key: '/g/taken', value: 'y' }]),
        // A lease that does not exist: this one fails, and only this one.
        store.txn([], [{ type: 'put', key: '/g/leased', value: 'z', lease: '999' }]),
        store.txn([], [{ type: 'put', key: '/g/b', value: '2' }, { type: 'add', key: '/g/n', delta: 2 }]),
      ]);
      assert.deepEqual(a, { status: 'fulfilled', value: { succeeded: true, revision: base + 1 } });
      assert.deepEqual(conflict, { status: 'fulfilled', value: { succeeded: false, revision: base + 1 } });
      assert.equal(gone.status, 'rejected');
      assert.deepEqual(b, { status: 'fulfilled', value: { succeeded: true, revision: base + 2 } });
      assert.equal((await store.get('/g/n'))?.value, '3');
      assert.equal((await store.get('/g/taken'))?.value, 'x');
      assert.equal(await store.get('/g/leased'), undefined);
      assert.deepEqual(seen, [base + 1, base + 1, base + 2, base + 2]);
    } finally {
      await store.close();
    }
    // All of it was durable: a reopen sees the same.
    const again = openSqliteStore(file);
    try {
      assert.equal((await again.get('/g/n'))?.value, '3');
      assert.equal(await again.get('/g/leased'), undefined);
    } finally {
      await again.close();
    }
  });
});

describe('sqlite checkpointer', () => {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  /** count txns of 20 records of ~3.5 KB (random, so nothing compresses): ~70 KB each. */
  const writeRounds = async (store: Store, count: number, after?: () => void) => {
    for (let i = 0; i < count; i++) {
      await store.txn([], Array.from({ length: 20 }, (_, j) => ({ type: 'put' as const, key: `/w/${randomBytes(8).toString('hex')}`, value: randomBytes(1_750).toString('hex') })));
      after?.();
      if (i % 10 === 9) await sleep(5);
    }
  };
  const threads = () => readdirSync('/proc/self/task').length;

  test('commits only append to the WAL; a worker copies it into the file, keeping it bounded; close() stops the worker', async () => {
    const file = tempDb();
    const before = threads();
    // A checkpointer that waits a minute: the main thread's commits do not copy pages into the file.
    let store = openSqliteStore(file, { checkpointEveryMs: 60_000 });
    await writeRounds(store, 100); // ~7 MB: SQLite's own automatic checkpoint would have run at 4 MB
    assert.ok(size(file) < 1 << 20, `the database file is ${size(file)} bytes: the main thread checkpointed`);
    assert.ok(size(`${file}-wal`) > 6 << 20);
    await store.close();
    assert.equal(existsSync(`${file}-wal`), false, 'the last connection to close (the main one) checkpointed and removed the WAL');
    assert.ok(size(file) > 6 << 20);

    store = openSqliteStore(file, { checkpointEveryMs: 20 });
    try {
      assert.ok(threads() > before, 'a checkpointer thread runs');
      let largest = 0;
      // ~35 MB of records, ~130 MB of pages through the WAL (the keys' index, the watch history)
      await writeRounds(store, 500, () => { largest = Math.max(largest, size(`${file}-wal`)); });
      assert.ok(largest < 64 << 20, `the WAL reached ${largest} bytes (it restarts past 16 MB; unbounded it passes 120 MB)`);
      assert.ok(size(file) > 35 << 20, 'the checkpointer copied the pages into the database file');
      assert.equal(await store.count('/w/'), 600 * 20);
    } finally {
      await store.close();
    }
    assert.equal(existsSync(`${file}-wal`), false, 'the checkpointer had closed its connection before the main one closed');
    assert.equal(threads(), before, 'the checkpointer thread ended');
  });
});

describe('sqlite persistence', () => {
  test("a watch's replay and a lease's keys are read through indexes, not whole-table scans", async () => {
    const file = tempDb();
    const store = openSqliteStore(file);
    await store.create('/p/a', 'a1');
    const db = new Database(file, { readonly: true });
    try {
      const plan = db.prepare<[number, string, string], { detail: string }>(`EXPLAIN QUERY PLAN ${HISTORY_SQL}`).all(1, '/p/', '/p0');
      assert.deepEqual(plan.map((p) => p.detail), ['SEARCH events USING INDEX events_rev (rev>?)']);
      // A lease's keys (expiry, revoke, leaseInfo) through the lease index, not a scan of every key.
      const leased = db.prepare<[number], { detail: string }>(`EXPLAIN QUERY PLAN ${LEASE_KEYS_SQL}`).all(1);
      assert.deepEqual(leased.map((p) => p.detail), ['SEARCH kv USING COVERING INDEX kv_lease (lease=?)']);
    } finally {
      db.close();
      await store.close();
    }
  });

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

  test('a database from when kv was WITHOUT ROWID is migrated on open, keeping keys, revisions, leases and history', async () => {
    const file = tempDb();
    // The layout the driver wrote before: kv as a WITHOUT ROWID table (lease column added later).
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL,
        mod_rev INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE events (rev INTEGER NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX events_rev ON events(rev);
      CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO meta VALUES ('revision', 3), ('compacted', 0), ('lease', 7);
      CREATE TABLE leases (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, deadline INTEGER NOT NULL);
      CREATE INDEX leases_deadline ON leases(deadline);
      ALTER TABLE kv ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX kv_lease ON kv(lease) WHERE lease != 0;
      INSERT INTO kv VALUES ('/m/a', 'a2', 1, 2, 2, 0), ('/m/b', 'b1', 3, 3, 1, 7);
      INSERT INTO events VALUES (1, '/m/a', 'put', 'a1'), (2, '/m/a', 'put', 'a2'), (3, '/m/b', 'put', 'b1');`);
    old.prepare('INSERT INTO leases VALUES (7, 60, ?)').run(Date.UTC(2030, 0, 1));
    old.close();

    const store = openSqliteStore(file, { clock: fakeClock() });
    try {
      assert.equal(await store.currentRevision(), 3);
      assert.deepEqual(await store.list('/m/'), [
        { key: '/m/a', value: 'a2', createRevision: 1, modRevision: 2, version: 2 },
        { key: '/m/b', value: 'b1', createRevision: 3, modRevision: 3, version: 1, lease: '7' },
      ]);
      assert.deepEqual((await store.leaseInfo('7'))?.keys, ['/m/b']);
      const w = collect(store, '/m/', 1);
      assert.deepEqual((await w.next(2)).map((e) => [e.revision, e.value]), [[2, 'a2'], [3, 'b1']]);
      w.stop();
      assert.ok(await store.update('/m/a', 'a3', 2));
      assert.deepEqual(await store.get('/m/a'), { key: '/m/a', value: 'a3', createRevision: 1, modRevision: 4, version: 3 });
      assert.equal((await store.grantLease(5)).id, '8', 'lease ids continue');
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      assert.deepEqual(db.prepare("SELECT name, wr FROM pragma_table_list WHERE name LIKE 'kv%'").all(), [{ name: 'kv', wr: 0 }]);
      assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'kv' AND sql IS NOT NULL AND type = 'index'").all(), [{ name: 'kv_lease' }]);
    } finally {
      db.close();
    }
  });

  test('leases survive a restart; one whose deadline passed while closed expires on open', async () => {
    const file = tempDb();
    const clock = fakeClock();
    let store = openSqliteStore(file, { clock });
    const short = await store.grantLease(10);
    const long = await store.grantLease(60);
    await store.txn([], [
      { type: 'put', key: '/l/short', value: 's', lease: short.id },
      { type: 'put', key: '/l/long', value: 'l', lease: long.id },
      { type: 'put', key: '/l/plain', value: 'p' },
    ]);
    const rev = await store.currentRevision();
    await store.close();
    clock.t += 30_000; // down for 30 s: past short's deadline, within long's
    store = openSqliteStore(file, { clock });
    try {
      assert.deepEqual((await store.list('/l/')).map((kv) => [kv.key, kv.lease]), [['/l/long', long.id], ['/l/plain', undefined]]);
      const w = collect(store, '/l/', rev);
      const [event] = await w.next(1);
      w.stop();
      assert.deepEqual([event.type, event.key, event.revision], ['delete', '/l/short', rev + 1], 'the expiry is in the watch history');
      assert.equal(await store.keepAlive(short.id), undefined);
      assert.deepEqual(await store.leaseInfo(long.id), { id: long.id, ttl: 60, remaining: 30, keys: ['/l/long'] });
      assert.equal(await store.keepAlive(long.id), 60);
      const next = await store.grantLease(5);
      assert.ok(![short.id, long.id].includes(next.id), 'lease ids are not reused');
      clock.t += 59_000;
      assert.equal(await store.expireLeases(), 1, 'only the 5 s lease is due');
      assert.equal((await store.get('/l/long'))?.value, 'l', 'kept alive before the restart counted');
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
      const w = collect(store, '', 0);
      assert.match((await w.error()).message, /compacted/, 'history before a wipe is gone');
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
    assert.throws(() => openStore('etcd://'), /etcd/);
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
        const dead = collect(store, '/h/', 1);
        assert.match((await dead.error()).message, /compacted/);
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
