import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startBerth } from './berth.js';
import { databaseFile, DataLockedError, lockData } from './data-lock.js';

describe('one server per data directory', () => {
  it('names the database file of a store spec', () => {
    assert.equal(databaseFile('.berth'), join('.berth', 'berth.db'));
    assert.equal(databaseFile('sqlite:///tmp/x.db'), '/tmp/x.db');
    assert.equal(databaseFile('memory://'), undefined);
    assert.equal(databaseFile('etcd://127.0.0.1:2379'), undefined);
  });

  it('refuses a second in-process server on the same data, takes over a stale lock, releases on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
    try {
      const first = await startBerth({ host: '127.0.20.30', port: 0, store: dir });
      await assert.rejects(startBerth({ host: '127.0.20.30', port: 0, store: dir }), (err: Error) => {
        assert.ok(err instanceof DataLockedError);
        assert.match(err.message, new RegExp(`in use by another berth server \\(pid ${process.pid} on .*${first.url.replace(/\./g, '\\.')}`));
        return true;
      });
      await first.close();
      assert.throws(() => readFileSync(join(dir, 'berth.db.lock')), /ENOENT/);
      // A lock whose process is gone: taken over.
      writeFileSync(join(dir, 'berth.db.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), startedAt: 'then' }));
      const lock = lockData(join(dir, 'berth.db'));
      assert.equal(JSON.parse(readFileSync(lock.file, 'utf8')).pid, process.pid);
      lock.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
