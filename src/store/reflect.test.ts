// reflect(): list, watch from the list's revision, and re-list after a compaction, over the memory
// and sqlite drivers' real compaction. (Not etcd: compaction is etcd-wide, and the etcd conformance
// suite may be running in another test file at the same time; it tests the compaction error itself.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openMemoryStore } from './memory.js';
import { openSqliteStore } from './sqlite.js';
import { reflect } from './reflect.js';
import type { KeyValue, Store, WatchEvent } from './types.js';

/** A view kept by reflect, and a way to wait until it holds something. */
function mirror(store: Store, prefix: string) {
  const view = new Map<string, string>();
  const lists: number[] = [];
  let wake = () => {};
  const stop = reflect(store, prefix, {
    onList(kvs: KeyValue[], revision: number) { view.clear(); for (const kv of kvs) view.set(kv.key, kv.value); lists.push(revision); wake(); },
    onEvent(e: WatchEvent) { if (e.type === 'put') view.set(e.key, e.value); else view.delete(e.key); wake(); },
  }, { pageSize: 2 });
  return {
    view, lists, stop,
    async until(check: () => boolean) {
      const deadline = Date.now() + 5_000;
      while (!check()) {
        if (Date.now() > deadline) assert.fail(`view is ${JSON.stringify([...view])} after lists at ${lists}`);
        await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50); });
      }
    },
  };
}

/** The store, except that the first range() is followed by a write and a compaction of all history
 *  so far, as if both happened between the list and the watch. */
function compactingAfterFirstList(store: Store, prefix: string): Store {
  let first = true;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'range') {
        return async (...args: Parameters<Store['range']>) => {
          const result = await target.range(...args);
          if (first && !result.more) {
            first = false;
            await target.update(`${prefix}b`, 'changed while nobody watched');
            await target.update('/elsewhere', 'x');
            await target.compact(await target.currentRevision());
          }
          return result;
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'berth-reflect-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const drivers: [string, () => Store][] = [['memory', () => openMemoryStore()], ['sqlite', () => openSqliteStore(join(dir, `r${++files}.db`))]];

for (const [name, open] of drivers) {
  describe(`reflect (${name})`, () => {
    test('lists page by page, then follows changes', async () => {
      const store = open();
      try {
        for (const k of ['a', 'b', 'c', 'd', 'e']) await store.create(`/r/${k}`, k);
        await store.create('/rx', 'outside');
        const m = mirror(store, '/r/');
        await m.until(() => m.lists.length === 1);
        assert.deepEqual([...m.view.keys()], ['/r/a', '/r/b', '/r/c', '/r/d', '/r/e']);
        await store.delete('/r/a');
        await store.update('/r/f', 'f');
        await m.until(() => m.view.has('/r/f'));
        m.stop();
        assert.deepEqual([...m.view.keys()].sort(), ['/r/b', '/r/c', '/r/d', '/r/e', '/r/f']);
        assert.equal(m.lists.length, 1);
      } finally {
        await store.close();
      }
    });

    test('a compaction between list and watch: lists again from the new revision and goes on', async () => {
      const store = open();
      try {
        for (const k of ['a', 'b']) await store.create(`/r/${k}`, k);
        const m = mirror(compactingAfterFirstList(store, '/r/'), '/r/');
        await m.until(() => m.lists.length === 2);
        assert.equal(m.view.get('/r/b'), 'changed while nobody watched', 'the second list has what the lost watch missed');
        assert.ok(m.lists[1] > m.lists[0]);
        await store.create('/r/c', 'c');
        await m.until(() => m.view.has('/r/c'));
        m.stop();
      } finally {
        await store.close();
      }
    });
  });
}
