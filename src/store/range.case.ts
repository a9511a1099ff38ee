// Conformance cases: reads that report their revision, descending ranges, counters, and watch
// compaction reported as a recoverable error. Run by storeConformance (store.case.ts) per driver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collect, type CaseContext } from './store.case.js';
import { WatchCompactedError } from './types.js';

export function rangeCases({ store: s, ns }: CaseContext) {
  test('read and range report the revision they read at, and whether the limit cut them short', async () => {
    const p = ns();
    const rev0 = await s().currentRevision();
    assert.deepEqual(await s().read(`${p}/k`), { kv: undefined, revision: rev0 });
    await s().create(`${p}/k`, 'v');
    await s().create(`${p}/l`, 'w');
    const rev = await s().currentRevision();
    const read = await s().read(`${p}/k`);
    assert.equal(read.revision, rev);
    assert.deepEqual(read.kv, await s().get(`${p}/k`));
    const all = await s().range(`${p}/`);
    assert.deepEqual({ ...all, kvs: all.kvs.map((kv) => kv.value) }, { kvs: ['v', 'w'], revision: rev, more: false });
    assert.deepEqual(all.kvs, await s().list(`${p}/`));
    assert.equal((await s().range(`${p}/`, { limit: 1 })).more, true);
    assert.equal((await s().range(`${p}/`, { limit: 2 })).more, false);
    assert.equal((await s().range(`${p}/`, { limit: 1, startAfter: `${p}/k` })).more, false);
  });

  test('descending: limit 1 reads the last key under a prefix; startAfter pages downwards', async () => {
    const p = ns();
    const all = Array.from({ length: 12 }, (_, i) => `${p}/fam/${String(i + 1).padStart(8, '0')}`);
    for (const k of all) await s().create(k, k.slice(-2));
    await s().create(`${p}/fam0`, 'after the prefix');
    await s().create(`${p}/fam`, 'before the prefix');
    const latest = await s().range(`${p}/fam/`, { descending: true, limit: 1 });
    assert.deepEqual(latest.kvs.map((kv) => kv.key), [all[11]]);
    assert.equal(latest.more, true);
    const seen: string[] = [];
    let startAfter: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { kvs, more } = await s().range(`${p}/fam/`, { descending: true, limit: 5, startAfter });
      seen.push(...kvs.map((kv) => kv.key));
      if (!more) break;
      startAfter = kvs.at(-1)!.key;
    }
    assert.deepEqual(seen, [...all].reverse());
    assert.deepEqual((await s().list(`${p}/fam/`, { descending: true, startAfter: `${p}/fam/00000005x`, limit: 2 })).map((kv) => kv.key),
      [all[4], all[3]], 'startAfter need not be an existing key');
    assert.deepEqual(await s().list(`${p}/fam/`, { descending: true, startAfter: `${p}/fam/` }), []);
    assert.deepEqual((await s().list(`${p}/fam/`, { descending: true, startAfter: `${p}/zzz`, limit: 1 })).map((kv) => kv.key), [all[11]],
      'startAfter beyond the prefix starts at its last key');
    assert.deepEqual(await s().list(`${p}/none/`, { descending: true, limit: 1 }), []);
  });

  test('counters: add applies in the same revision as the record, and only if the compares hold', async () => {
    const p = ns();
    const counter = `${p}/count/running`;
    const r1 = await s().txn([{ key: `${p}/task/1`, modRevision: 0 }], [
      { type: 'put', key: `${p}/task/1`, value: 'RUNNING' }, { type: 'add', key: counter, delta: 1 }]);
    assert.equal(r1.succeeded, true);
    assert.deepEqual(await s().get(counter), { key: counter, value: '1', createRevision: r1.revision, modRevision: r1.revision, version: 1 });
    const failed = await s().txn([{ key: `${p}/task/1`, modRevision: 0 }], [
      { type: 'put', key: `${p}/task/1`, value: 'RUNNING' }, { type: 'add', key: counter, delta: 1 }]);
    assert.deepEqual(failed, { succeeded: false, revision: r1.revision });
    assert.equal((await s().get(counter))?.value, '1');
    await s().txn([], [{ type: 'add', key: counter, delta: 5 }, { type: 'add', key: `${p}/count/other`, delta: -2 }]);
    assert.equal((await s().get(counter))?.value, '6');
    assert.equal((await s().get(`${p}/count/other`))?.value, '-2');
    const task = (await s().get(`${p}/task/1`))!;
    const r2 = await s().txn([{ key: `${p}/task/1`, modRevision: task.modRevision }], [
      { type: 'delete', key: `${p}/task/1` }, { type: 'add', key: counter, delta: -6 }]);
    assert.equal(r2.succeeded, true);
    assert.deepEqual([(await s().get(counter))?.value, (await s().get(counter))?.modRevision], ['0', r2.revision]);
  });

  test('counters: concurrent adds lose nothing; a non-integer counter is refused and nothing is written', async () => {
    const p = ns();
    const counter = `${p}/n`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      s().txn([], [{ type: 'put', key: `${p}/rec/${i}`, value: 'x' }, { type: 'add', key: counter, delta: 1 }])));
    assert.ok(results.every((r) => r.succeeded));
    assert.equal((await s().get(counter))?.value, '20');
    assert.equal(await s().count(`${p}/rec/`), 20);
    assert.equal((await s().get(counter))?.version, 20, 'one write per add');
    await s().create(`${p}/text`, 'abc');
    const rev = await s().currentRevision();
    await assert.rejects(s().txn([], [{ type: 'put', key: `${p}/rec/x`, value: 'x' }, { type: 'add', key: `${p}/text`, delta: 1 }]), /not an integer/);
    assert.equal(await s().get(`${p}/rec/x`), undefined);
    assert.equal(await s().currentRevision(), rev);
  });

  test('a watch from a compacted revision reports WatchCompactedError; re-listing and watching from the list revision recovers', async () => {
    const p = ns();
    await s().create(`${p}/a`, '1');
    const old = await s().currentRevision();
    await s().update(`${p}/a`, '2');
    await s().create(`${p}/b`, '1');
    const rev = await s().currentRevision();
    await s().compact(rev);
    const dead = collect(s(), `${p}/`, old);
    const error = await dead.error();
    dead.stop();
    assert.ok(error instanceof WatchCompactedError, `${error.name}: ${error.message}`);
    assert.equal(error.fromRevision, old);
    assert.ok(error.compactRevision >= rev, `compacted up to ${error.compactRevision}, at least ${rev}`);
    assert.deepEqual(dead.events, []);
    // the recovery: re-list (current state + its revision), then watch from that revision
    const listed = await s().range(`${p}/`);
    assert.deepEqual(listed.kvs.map((kv) => [kv.key.slice(p.length), kv.value]), [['/a', '2'], ['/b', '1']]);
    const w = collect(s(), `${p}/`, listed.revision);
    await s().delete(`${p}/a`);
    const [event] = await w.next(1);
    w.stop();
    assert.deepEqual([event.type, event.key.slice(p.length), event.value], ['delete', '/a', '2']);
  });
}
