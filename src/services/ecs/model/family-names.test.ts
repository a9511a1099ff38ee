// The in-memory family names answer every page exactly as the range read of the family records
// does, right after each write (memory and SQLite stores), come back after a wipe, and step aside
// on a store whose watch events may lag its writes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../../store/open.js';
import type { Store } from '../../../store/types.js';
import { familyNamesPage } from './family-names.js';

const PREFIX = '/ecs/000000000000/us-east-1/task-definition-families/';

/** What the store's own range read gives for the same page. */
async function fromStore(store: Store, namePrefix: string, after: string | undefined, limit: number) {
  const { kvs, more } = await store.range(PREFIX + namePrefix, { limit, startAfter: after === undefined ? undefined : PREFIX + after });
  return { names: kvs.map((kv) => kv.key.slice(PREFIX.length)), more };
}

function random(seed: number) {
  let a = seed;
  return () => { a = (a * 1103515245 + 12345) % 2147483648; return a / 2147483648; };
}

async function exercise(store: Store) {
  const next = random(7);
  const name = () => `${['a', 'ab', 'b', 'web', 'web-', 'x_'][Math.floor(next() * 6)]}${Math.floor(next() * 30)}`;
  // Other accounts' and kinds' keys around the prefix never show.
  await store.txn([], [{ type: 'put', key: '/ecs/000000000000/us-east-1/task-definition-familiez', value: '{}' },
    { type: 'put', key: '/ecs/000000000001/us-east-1/task-definition-families/other', value: '{}' }]);
  for (let step = 0; step < 300; step++) {
    const n = name();
    if (next() < 0.7) await store.txn([], [{ type: 'put', key: PREFIX + n, value: JSON.stringify({ family: n, lastRevision: step }) }]);
    else await store.delete(PREFIX + n);
    const namePrefix = ['', 'a', 'web', 'web-', 'zz'][step % 5];
    const after = [undefined, name(), '', 'a'][step % 4];
    const limit = 1 + (step % 7);
    assert.deepEqual(await familyNamesPage(store, PREFIX, namePrefix, after, limit), await fromStore(store, namePrefix, after, limit),
      `step ${step}: prefix ${namePrefix} after ${after} limit ${limit}`);
  }
}

describe('family names in memory', () => {
  it('pages as the store does after every write (memory store)', async () => {
    const store = openStore('memory://');
    try { await exercise(store); } finally { await store.close(); }
  });

  it('pages as the store does after every write, and again after a wipe (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-family-names-'));
    const store = openStore(`sqlite://${join(dir, 'db')}`);
    try {
      await exercise(store);
      await store.wipe();
      assert.deepEqual(await familyNamesPage(store, PREFIX, '', undefined, 100), { names: [], more: false });
      await store.txn([], [{ type: 'put', key: `${PREFIX}fresh`, value: '{}' }]);
      assert.deepEqual(await familyNamesPage(store, PREFIX, '', undefined, 100), { names: ['fresh'], more: false });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers undefined on a store without synchronous watches (the caller reads the store)', async () => {
    const store = openStore('memory://');
    const lagging = new Proxy(store, { get: (t, p, r) => (p === 'syncWatch' ? false : Reflect.get(t, p, r)) });
    try {
      assert.equal(await familyNamesPage(lagging, PREFIX, '', undefined, 10), undefined);
    } finally {
      await store.close();
    }
  });
});
