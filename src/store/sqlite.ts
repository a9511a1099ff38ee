// SQLite driver (better-sqlite3 v12, WAL): the embedded default. Every acknowledged write is
// committed before the call resolves, so it survives kill -9 of the server.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { HISTORY_LIMIT, LocalStore, type Engine, type LeaseRecord, type LocalStoreOptions, type WriteOp } from './local.js';
import type { CheckpointerData } from './sqlite-checkpointer.js';
import type { KeyValue, ListOptions, WatchEvent } from './types.js';

interface Row { key: string; value: string; create_rev: number; mod_rev: number; version: number; lease: number }
const toKv = (r: Row): KeyValue => {
  const kv: KeyValue = { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.mod_rev, version: r.version };
  if (r.lease) kv.lease = String(r.lease);
  return kv;
};
type Bound = string | Buffer;
/** An exclusive upper bound for the keys starting with prefix: the prefix with its last code point
 *  incremented (SQLite orders TEXT by UTF-8 bytes, which is code point order, so prefix + '\uffff'
 *  would miss keys continuing with a character beyond U+FFFF). For '' (or all U+10FFFF), a BLOB:
 *  SQLite orders every TEXT value before every BLOB. */
function prefixEnd(prefix: string): string | Buffer {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) return points.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
  }
  return NO_END;
}
const NO_END = Buffer.from([0xff]);
/** A watch's replay: events after a revision under a prefix, in the order written. Ordered by
 *  (rev, rowid), which is the rowid order (revisions only grow) but lets SQLite walk events_rev
 *  from the revision on; `ORDER BY rowid` alone made it scan every stored event (the whole history)
 *  for each watch opened, e.g. every ACS session's. */
/** The keys attached to a lease. `lease != 0` lets SQLite use the partial index kv_lease (a bare
 *  `lease = ?` cannot: the parameter might be 0), instead of scanning every key on each expiry. */
export const LEASE_KEYS_SQL = 'SELECT key FROM kv WHERE lease = ? AND lease != 0';
/** Keys the engine's read cache holds (records are ~1–3 KB: tens of MB at most). */
const CACHE_ENTRIES = 20_000;
export const HISTORY_SQL = 'SELECT * FROM events WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev, rowid';

/**
 * kv is an ordinary (rowid) table: the records are 1–4 KB, and in a WITHOUT ROWID table (a b-tree
 * keyed by `key` holding whole rows) a row past ~1 KB overflows its page, so each comparison of a
 * key seek read the row's overflow pages, and every insert under a random key split the big leaf
 * pages. Here the rows sit in rowid order (new ones appended) and the key index holds keys alone.
 */
const KV_COLUMNS = `key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL DEFAULT 0`;

/** A database written before kv became a rowid table is copied into the new layout, in one
 *  transaction (a crash meanwhile leaves the old table as it was). */
function migrateWithoutRowid(db: Database.Database) {
  const kv = db.prepare<[], { wr: number }>("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = 'kv'").get();
  if (!kv?.wr) return;
  db.transaction(() => {
    db.exec(`
      ALTER TABLE kv RENAME TO kv_without_rowid;
      CREATE TABLE kv (${KV_COLUMNS});
      INSERT INTO kv (key, value, create_rev, mod_rev, version, lease)
        SELECT key, value, create_rev, mod_rev, version, lease FROM kv_without_rowid ORDER BY key;
      DROP TABLE kv_without_rowid;`);
  }).immediate();
}

class SqliteEngine implements Engine {
  readonly groupCommit = true;
  private readonly db: Database.Database;
  private rev: number;
  private readonly stmts;

  /** Checkpoints the WAL off the main thread (sqlite-checkpointer.ts); none for ':memory:'. */
  private checkpointer?: Worker;

  constructor(file: string, checkpointEveryMs: number) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit is in the WAL before the call returns, which survives a
    // process crash (kill -9); only an OS crash/power loss could lose the last transactions.
    this.db.pragma('synchronous = NORMAL');
    // Each transaction of a group commit is a SAVEPOINT, whose journal of the pages it changes
    // otherwise spills to a temporary file past 64 KiB (a launch's commit does): a write and a
    // read back of every page it touches, for a rollback that almost never happens.
    this.db.pragma('temp_store = MEMORY');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (${KV_COLUMNS});
      CREATE TABLE IF NOT EXISTS events (rev INTEGER NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS events_rev ON events(rev);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0), ('lease', 0);
      CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, deadline INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS leases_deadline ON leases(deadline);`);
    // Databases from before leases: kv gains its lease column (0 = none).
    if (!this.db.prepare<[], { name: string }>('PRAGMA table_info(kv)').all().some((c) => c.name === 'lease')) {
      this.db.exec('ALTER TABLE kv ADD COLUMN lease INTEGER NOT NULL DEFAULT 0');
    }
    migrateWithoutRowid(this.db);
    // With the key beside the lease, a lease's keys are read from the index alone (rows are big).
    this.db.exec('CREATE INDEX IF NOT EXISTS kv_lease ON kv(lease, key) WHERE lease != 0');
    this.stmts = {
      get: this.db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ?'),
      range: this.db.prepare<[string, Bound, number], Row>('SELECT * FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
      rangeFrom: this.db.prepare<[string, Bound, number], Row>('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?'),
      rangeDesc: this.db.prepare<[string, Bound, Bound, number], Row>('SELECT * FROM kv WHERE key >= ? AND key < ? AND key < ? ORDER BY key DESC LIMIT ?'),
      count: this.db.prepare<[string, string | Buffer], { n: number }>('SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?'),
      put: this.db.prepare('INSERT INTO kv (key, value, create_rev, mod_rev, version, lease) VALUES (@key, @value, @rev, @rev, 1, @lease) ON CONFLICT(key) DO UPDATE SET value = @value, mod_rev = @rev, version = version + 1, lease = @lease'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      event: this.db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)'),
      setMeta: this.db.prepare('UPDATE meta SET value = ? WHERE name = ?'),
      getMeta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      history: this.db.prepare<[number, string, string | Buffer], { rev: number; key: string; type: 'put' | 'delete'; value: string }>(
        HISTORY_SQL),
      compact: this.db.prepare('DELETE FROM events WHERE rev <= ?'),
      lease: this.db.prepare<[number], LeaseRecord>('SELECT * FROM leases WHERE id = ?'),
      putLease: this.db.prepare('INSERT OR REPLACE INTO leases VALUES (@id, @ttl, @deadline)'),
      deleteLease: this.db.prepare('DELETE FROM leases WHERE id = ?'),
      leaseKeys: this.db.prepare<[number], { key: string }>(LEASE_KEYS_SQL),
      expired: this.db.prepare<[number], { id: number }>('SELECT id FROM leases WHERE deadline <= ?'),
    };
    this.rev = this.stmts.getMeta.get('revision')!.value;
    if (file !== ':memory:') this.startCheckpointer(file, checkpointEveryMs);
  }

  /** The main connection stops checkpointing (SQLite's default is every 1,000 pages, inside the
   *  commit that crosses it: copying them into the file and two fsyncs, on the event loop). If the
   *  worker dies, it takes that back, so the WAL stays bounded either way. */
  private startCheckpointer(file: string, everyMs: number) {
    this.db.pragma('wal_autocheckpoint = 0');
    const data: CheckpointerData = { file, everyMs };
    const worker = new Worker(new URL('./sqlite-checkpointer.js', import.meta.url), { workerData: data });
    worker.unref();
    worker.on('error', (err) => console.error(`sqlite ${file}: the checkpointer failed; checkpoints are back on the main thread`, err));
    worker.on('exit', () => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = undefined;
      if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
    });
    this.checkpointer = worker;
  }

  get(key: string) {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ? { ...cached } : undefined;
    const r = this.stmts.get.get(key);
    const kv = r && toKv(r);
    this.remember(key, kv);
    return kv && { ...kv };
  }

  /**
   * Recently read or written keys (null: known absent), so the point reads of compares, counters
   * and records (a task read on each report) skip SQLite. Only this engine writes the file, so
   * every change passes through write(): the cache is updated there, and forgotten for the keys a
   * rolled-back step had touched. Bounded: the oldest entries go first.
   */
  private readonly cache = new Map<string, KeyValue | null>();
  /** Keys written since the outermost transaction began (forgotten if any step of it rolls back). */
  private touched: string[] = [];

  private remember(key: string, kv: KeyValue | undefined) {
    this.cache.delete(key);
    this.cache.set(key, kv ?? null);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
  }
  revision() { return this.rev; }
  count(prefix: string) { return this.stmts.count.get(prefix, prefixEnd(prefix))!.n; }

  range(prefix: string, { limit, startAfter, descending }: ListOptions) {
    const max = limit === undefined ? -1 : limit + 1;
    if (descending) return this.stmts.rangeDesc.all(prefix, prefixEnd(prefix), startAfter ?? NO_END, max).map(toKv);
    const rows = startAfter !== undefined && startAfter >= prefix
      ? this.stmts.range.all(startAfter, prefixEnd(prefix), max)
      : this.stmts.rangeFrom.all(prefix, prefixEnd(prefix), max);
    return rows.map(toKv);
  }

  write(revision: number, ops: WriteOp[], events: WatchEvent[]) {
    const before = events.length;
    for (const op of ops) {
      if (op.type === 'put') {
        this.stmts.put.run({ key: op.key, value: op.value, rev: revision, lease: op.lease });
        this.touched.push(op.key);
        const prev = this.cache.get(op.key);
        if (prev === undefined) this.cache.delete(op.key);
        else {
          const kv: KeyValue = { key: op.key, value: op.value, createRevision: prev ? prev.createRevision : revision, modRevision: revision, version: prev ? prev.version + 1 : 1 };
          if (op.lease) kv.lease = String(op.lease);
          this.remember(op.key, kv);
        }
        events.push({ type: 'put', key: op.key, value: op.value, revision });
      } else {
        const prev = this.stmts.get.get(op.key);
        if (!prev) continue;
        this.stmts.del.run(op.key);
        this.touched.push(op.key);
        this.remember(op.key, undefined);
        events.push({ type: 'delete', key: op.key, value: prev.value, revision });
      }
    }
    if (events.length === before) return;
    for (const e of events.slice(before)) this.stmts.event.run(e.revision, e.key, e.type, e.value);
    this.stmts.setMeta.run(revision, 'revision');
    if (revision % 1000 === 0 && revision > HISTORY_LIMIT) this.compact(revision - HISTORY_LIMIT);
    this.rev = revision;
  }

  compacted() { return this.stmts.getMeta.get('compacted')!.value; }
  compact(revision: number) {
    this.stmts.compact.run(revision);
    this.stmts.setMeta.run(Math.max(revision, this.compacted()), 'compacted');
  }

  lease(id: number) { return this.stmts.lease.get(id); }
  putLease(lease: LeaseRecord) { this.stmts.putLease.run(lease); }
  deleteLease(id: number) { this.stmts.deleteLease.run(id); }
  leaseKeys(id: number) { return this.stmts.leaseKeys.all(id).map((r) => r.key); }
  expiredLeases(now: number) { return this.stmts.expired.all(now).map((r) => r.id); }
  nextLeaseId() {
    const id = this.stmts.getMeta.get('lease')!.value + 1;
    this.stmts.setMeta.run(id, 'lease');
    return id;
  }

  /** One prepared transaction wrapper (BEGIN IMMEDIATE … COMMIT) reused for every write. */
  private get runInTransaction() {
    return (this.txWrapper ??= this.db.transaction((fn: () => unknown) => fn()));
  }
  private txWrapper?: Database.Transaction<(fn: () => unknown) => unknown>;

  atomic<T>(fn: () => T): T {
    const before = this.rev;
    const outermost = !this.db.inTransaction;
    if (outermost) this.touched = [];
    try {
      // Inside a transaction better-sqlite3 runs the wrapper as a SAVEPOINT (a nested step).
      if (this.db.inTransaction) return (this.runInTransaction as (f: () => T) => T)(fn);
      return (this.runInTransaction.immediate as (f: () => T) => T)(fn);
    } catch (err) {
      this.rev = before;
      for (const key of this.touched) this.cache.delete(key);
      throw err;
    }
  }

  history(prefix: string, from: number) {
    if (from < this.stmts.getMeta.get('compacted')!.value) return undefined;
    return this.stmts.history.all(from, prefix, prefixEnd(prefix)).map((r) => ({ type: r.type, key: r.key, value: r.value, revision: r.rev }));
  }

  wipe() {
    this.cache.clear();
    this.db.exec('DELETE FROM kv; DELETE FROM events; DELETE FROM leases;');
    this.stmts.setMeta.run(this.rev, 'compacted');
  }

  /** Stops the checkpointer first: the main connection, closing last, checkpoints what is left
   *  and removes the WAL. */
  async close() {
    const worker = this.checkpointer;
    this.checkpointer = undefined;
    if (worker) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref(); // unref'd so a store left open does not keep the process alive; held while it stops
      worker.postMessage('stop');
      await exited;
    }
    this.db.close();
  }
}

export interface SqliteStoreOptions extends LocalStoreOptions {
  /** How often the checkpointer looks at the WAL (ms). */
  checkpointEveryMs?: number;
}

export const openSqliteStore = (file: string, options: SqliteStoreOptions = {}) =>
  new LocalStore(`sqlite:${file}`, new SqliteEngine(file, options.checkpointEveryMs ?? 200), options);
