// The store conformance suite: one set of cases every driver must pass (Hono runs one suite over
// every router the same way). store.test.ts calls storeConformance once per driver; a new driver
// is conformant when it passes these files unchanged (leases and counters: lease.case.ts,
// revisions/ranges/compaction: range.case.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { leaseCases } from './lease.case.js';
import { rangeCases } from './range.case.js';
import type { Store, WatchEvent } from './types.js';

export interface Driver {
  open(): Promise<Store>;
  /** Lets ms of lease time pass and expiry run: a fake clock moved, or (etcd) real time. */
  elapse(store: Store, ms: number): Promise<void>;
}

/** What the case files share: the open store and a fresh key namespace per test. */
export interface CaseContext {
  store(): Store;
  ns(): string;
  elapse(ms: number): Promise<void>;
}

export function storeConformance(name: string, driver: Driver) {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    let n = 0;
    /** A fresh key namespace per test, so tests do not see each other's keys. */
    const ns = () => `/t${++n}`;
    before(async () => { store = await driver.open(); });
    after(async () => { await store.close(); });
    const ctx: CaseContext = { store: () => store, ns, elapse: (ms) => driver.elapse(store, ms) };

    test('get of a missing key is undefined; create makes it with version 1', async () => {
      const p = ns();
      assert.equal(await store.get(`${p}/k`), undefined);
      assert.equal(await store.create(`${p}/k`, 'v1'), true);
      const kv = await store.get(`${p}/k`);
      const rev = await store.currentRevision();
      assert.deepEqual(kv, { key: `${p}/k`, value: 'v1', createRevision: rev, modRevision: rev, version: 1 });
    });

    test('create on an existing key fails and writes nothing', async () => {
      const p = ns();
      await store.create(`${p}/k`, 'first');
      const rev = await store.currentRevision();
      assert.equal(await store.create(`${p}/k`, 'second'), false);
      assert.equal((await store.get(`${p}/k`))?.value, 'first');
      assert.equal(await store.currentRevision(), rev);
    });

    test('update without a revision overwrites (and creates, like etcd put)', async () => {
      const p = ns();
      assert.equal(await store.update(`${p}/new`, 'a'), true);
      assert.equal((await store.get(`${p}/new`))?.version, 1);
      const created = (await store.get(`${p}/new`))!;
      assert.equal(await store.update(`${p}/new`, 'b'), true);
      const kv = (await store.get(`${p}/new`))!;
      assert.equal(kv.value, 'b');
      assert.equal(kv.version, 2);
      assert.equal(kv.createRevision, created.createRevision);
      assert.ok(kv.modRevision > created.modRevision);
    });

    test('update with expectedModRevision: current wins, stale is rejected and writes nothing', async () => {
      const p = ns();
      await store.create(`${p}/k`, 'v1');
      const v1 = (await store.get(`${p}/k`))!;
      assert.equal(await store.update(`${p}/k`, 'v2', v1.modRevision), true);
      const v2 = (await store.get(`${p}/k`))!;
      const rev = await store.currentRevision();
      assert.equal(await store.update(`${p}/k`, 'stale', v1.modRevision), false);
      assert.deepEqual(await store.get(`${p}/k`), v2);
      assert.equal(await store.currentRevision(), rev);
      assert.equal(await store.update(`${p}/k`, 'zero', 0), false, 'revision 0 means "must not exist"');
      assert.equal(await store.update(`${p}/missing`, 'x', 0), true);
      assert.equal(await store.update(`${p}/missing2`, 'x', v2.modRevision), false, 'a missing key has no revision to match');
      assert.equal(await store.get(`${p}/missing2`), undefined);
    });

    test('delete: missing key → false; stale revision → false; current revision → gone', async () => {
      const p = ns();
      const rev0 = await store.currentRevision();
      assert.equal(await store.delete(`${p}/missing`), false);
      assert.equal(await store.delete(`${p}/missing`, 0), false);
      assert.equal(await store.currentRevision(), rev0, 'deleting nothing does not move the revision');
      await store.create(`${p}/k`, 'v1');
      const v1 = (await store.get(`${p}/k`))!;
      await store.update(`${p}/k`, 'v2');
      assert.equal(await store.delete(`${p}/k`, v1.modRevision), false);
      assert.equal((await store.get(`${p}/k`))?.value, 'v2');
      const v2 = (await store.get(`${p}/k`))!;
      assert.equal(await store.delete(`${p}/k`, v2.modRevision), true);
      assert.equal(await store.get(`${p}/k`), undefined);
      assert.equal(await store.currentRevision(), v2.modRevision + 1);
      await store.create(`${p}/u`, 'x');
      assert.equal(await store.delete(`${p}/u`), true);
      assert.equal(await store.get(`${p}/u`), undefined);
    });

    test('revisions increase by one per write and are shared across keys', async () => {
      const p = ns();
      const start = await store.currentRevision();
      await store.create(`${p}/a`, '1');
      await store.create(`${p}/b`, '1');
      await store.update(`${p}/a`, '2');
      await store.create(`${p}/a`, 'fails');
      const a = (await store.get(`${p}/a`))!;
      const b = (await store.get(`${p}/b`))!;
      assert.deepEqual([a.createRevision, b.createRevision, a.modRevision], [start + 1, start + 2, start + 3]);
      assert.equal(b.modRevision, start + 2);
      assert.equal(await store.currentRevision(), start + 3);
    });

    test('a deleted and re-created key starts over: new createRevision, version 1', async () => {
      const p = ns();
      await store.create(`${p}/k`, 'a');
      await store.update(`${p}/k`, 'b');
      const old = (await store.get(`${p}/k`))!;
      assert.equal(old.version, 2);
      await store.delete(`${p}/k`);
      await store.create(`${p}/k`, 'c');
      const kv = (await store.get(`${p}/k`))!;
      assert.equal(kv.version, 1);
      assert.ok(kv.createRevision > old.modRevision);
      assert.equal(kv.createRevision, kv.modRevision);
    });

    test('what get and list return is a copy: mutating it changes nothing', async () => {
      const p = ns();
      await store.create(`${p}/k`, 'v');
      const kv = (await store.get(`${p}/k`))!;
      kv.value = 'mutated';
      kv.modRevision = 0;
      (await store.list(`${p}/`))[0].value = 'mutated';
      assert.equal((await store.get(`${p}/k`))?.value, 'v');
      assert.notEqual((await store.get(`${p}/k`))?.modRevision, 0);
    });

    test('list by prefix: sorted, and /a/b/ does not match /a/bc/… or /a/b itself', async () => {
      const p = ns();
      for (const k of ['/a/c', '/a/bc/1', '/a/b/2', '/a/b', '/a/b/1', '/a/b0', '/a/b/1/x', '/a/b.']) await store.create(p + k, k);
      const keys = async (prefix: string) => (await store.list(p + prefix)).map((kv) => kv.key.slice(p.length));
      assert.deepEqual(await keys('/a/b/'), ['/a/b/1', '/a/b/1/x', '/a/b/2']);
      assert.deepEqual(await keys('/a/bc/'), ['/a/bc/1']);
      assert.deepEqual(await keys('/a/'), ['/a/b', '/a/b.', '/a/b/1', '/a/b/1/x', '/a/b/2', '/a/b0', '/a/bc/1', '/a/c']);
      assert.deepEqual(await keys('/z/'), []);
      const kv = (await store.list(`${p}/a/c`))[0];
      assert.deepEqual(kv, await store.get(`${p}/a/c`), 'list returns full key-values');
      assert.equal(await store.count(`${p}/a/b/`), 3);
      assert.equal(await store.count(`${p}/a/`), 8);
      assert.equal(await store.count(`${p}/z/`), 0);
    });

    test('list and count see keys with characters beyond U+FFFF', async () => {
      const p = ns();
      for (const k of ['/u/\u{1F600}', '/u/\uffff', '/u/a', '/u0']) await store.create(p + k, 'x');
      const keys = (await store.list(`${p}/u/`)).map((kv) => kv.key.slice(p.length));
      assert.deepEqual(keys.sort(), ['/u/\u{1F600}', '/u/\uffff', '/u/a'].sort());
      assert.equal(await store.count(`${p}/u/`), 3);
      assert.equal(await store.count(`${p}/u`), 4);
    });

    test('limit + startAfter pages through every key exactly once, in order', async () => {
      const p = ns();
      const all = Array.from({ length: 25 }, (_, i) => `${p}/items/${String(i).padStart(3, '0')}`);
      for (const k of [...all].reverse()) await store.create(k, k);
      await store.create(`${p}/itemsX`, 'outside');
      const seen: string[] = [];
      let startAfter: string | undefined;
      for (let page = 0; page < 10; page++) {
        const kvs = await store.list(`${p}/items/`, { limit: 10, startAfter });
        assert.ok(kvs.length <= 10);
        seen.push(...kvs.map((kv) => kv.key));
        if (kvs.length < 10) break;
        startAfter = kvs.at(-1)!.key;
      }
      assert.deepEqual(seen, all);
      assert.deepEqual((await store.list(`${p}/items/`, { startAfter: `${p}/items/010x`, limit: 2 })).map((kv) => kv.key), all.slice(11, 13),
        'startAfter need not be an existing key');
      assert.deepEqual((await store.list(`${p}/items/`, { startAfter: `${p}/a`, limit: 1 })).map((kv) => kv.key), [all[0]],
        'startAfter before the prefix starts at the prefix');
      assert.deepEqual(await store.list(`${p}/items/`, { startAfter: `${p}/items/999` }), []);
      assert.equal((await store.list(`${p}/items/`, { limit: 3 })).length, 3);
    });

    test('txn: every compare holds → all ops apply at one new revision', async () => {
      const p = ns();
      await store.create(`${p}/a`, 'a1');
      await store.create(`${p}/b`, 'b1');
      const a = (await store.get(`${p}/a`))!;
      const b = (await store.get(`${p}/b`))!;
      const before = await store.currentRevision();
      const result = await store.txn(
        [{ key: `${p}/a`, modRevision: a.modRevision }, { key: `${p}/b`, modRevision: b.modRevision }, { key: `${p}/c`, modRevision: 0 }],
        [{ type: 'put', key: `${p}/a`, value: 'a2' }, { type: 'delete', key: `${p}/b` }, { type: 'put', key: `${p}/c`, value: 'c1' }],
      );
      assert.deepEqual(result, { succeeded: true, revision: before + 1 });
      assert.equal(await store.currentRevision(), before + 1);
      assert.deepEqual(await store.get(`${p}/a`), { key: `${p}/a`, value: 'a2', createRevision: a.createRevision, modRevision: before + 1, version: 2 });
      assert.equal(await store.get(`${p}/b`), undefined);
      assert.deepEqual(await store.get(`${p}/c`), { key: `${p}/c`, value: 'c1', createRevision: before + 1, modRevision: before + 1, version: 1 });
    });

    test('txn: one failing compare → no op applied, revision unchanged', async () => {
      const p = ns();
      await store.create(`${p}/a`, 'a1');
      await store.create(`${p}/b`, 'b1');
      const a = (await store.get(`${p}/a`))!;
      const b = (await store.get(`${p}/b`))!;
      const ops = [
        { type: 'put' as const, key: `${p}/a`, value: 'changed' },
        { type: 'delete' as const, key: `${p}/b` },
        { type: 'put' as const, key: `${p}/new`, value: 'new' },
      ];
      const failing = [
        [{ key: `${p}/a`, modRevision: a.modRevision }, { key: `${p}/b`, modRevision: b.modRevision - 1 }],
        [{ key: `${p}/a`, modRevision: a.modRevision }, { key: `${p}/b`, modRevision: 0 }],
        [{ key: `${p}/new`, modRevision: 0 }, { key: `${p}/missing`, modRevision: a.modRevision }],
      ];
      for (const compares of failing) {
        const rev = await store.currentRevision();
        assert.deepEqual(await store.txn(compares, ops), { succeeded: false, revision: rev }, JSON.stringify(compares));
        assert.equal(await store.currentRevision(), rev);
        assert.deepEqual(await store.get(`${p}/a`), a);
        assert.deepEqual(await store.get(`${p}/b`), b);
        assert.equal(await store.get(`${p}/new`), undefined);
      }
    });

    test('txn: modRevision 0 means the key must not exist; no ops changes nothing', async () => {
      const p = ns();
      assert.equal((await store.txn([{ key: `${p}/k`, modRevision: 0 }], [{ type: 'put', key: `${p}/k`, value: '1' }])).succeeded, true);
      assert.equal((await store.txn([{ key: `${p}/k`, modRevision: 0 }], [{ type: 'put', key: `${p}/k`, value: '2' }])).succeeded, false);
      assert.equal((await store.get(`${p}/k`))?.value, '1');
      const rev = await store.currentRevision();
      assert.deepEqual(await store.txn([{ key: `${p}/k`, modRevision: rev }], []), { succeeded: true, revision: rev });
      assert.deepEqual(await store.txn([], [{ type: 'delete', key: `${p}/nothing` }]), { succeeded: true, revision: rev },
        'a txn that changes nothing does not move the revision (etcd)');
    });

    test('concurrent creates of one key: exactly one wins', async () => {
      const p = ns();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(`${p}/k`, String(i))));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.get(`${p}/k`))?.value, String(results.indexOf(true)));
    });

    test('concurrent compare-and-swap increments lose no update', async () => {
      const p = ns();
      await store.create(`${p}/counter`, '0');
      const increment = async () => {
        for (;;) {
          const kv = (await store.get(`${p}/counter`))!;
          if (await store.update(`${p}/counter`, String(Number(kv.value) + 1), kv.modRevision)) return;
        }
      };
      await Promise.all(Array.from({ length: 20 }, increment));
      assert.equal((await store.get(`${p}/counter`))?.value, '20');
      assert.equal((await store.get(`${p}/counter`))?.version, 21);
    });

    test('watch: live events for the prefix only, in order; deletes carry the last value', async () => {
      const p = ns();
      const w = collect(store, `${p}/w/`, await store.currentRevision());
      await store.create(`${p}/w/a`, 'a1');
      await store.create(`${p}/wx`, 'outside');
      await store.create(`${p}/w`, 'outside');
      await store.update(`${p}/w/a`, 'a2');
      await store.txn([], [{ type: 'put', key: `${p}/w/b`, value: 'b1' }, { type: 'put', key: `${p}/other`, value: 'o' }]);
      await store.delete(`${p}/w/a`);
      const events = await w.next(4);
      w.stop();
      assert.equal(w.events.length, 4);
      assert.deepEqual(events.map(({ type, key, value }) => [type, key.slice(p.length), value]), [
        ['put', '/w/a', 'a1'], ['put', '/w/a', 'a2'], ['put', '/w/b', 'b1'], ['delete', '/w/a', 'a2'],
      ]);
      assert.deepEqual(events.map((e) => e.revision), [...events.map((e) => e.revision)].sort((x, y) => x - y));
      assert.equal(events[3].revision, await store.currentRevision());
      assert.equal(events[2].revision, (await store.get(`${p}/w/b`))?.modRevision);
    });

    test('watch from an old revision replays what came after it, then goes live', async () => {
      const p = ns();
      await store.create(`${p}/k1`, 'before');
      const from = await store.currentRevision();
      await store.create(`${p}/k2`, 'x');
      await store.update(`${p}/k1`, 'y');
      await store.delete(`${p}/k2`);
      const w = collect(store, `${p}/`, from);
      await store.create(`${p}/k3`, 'live');
      const events = await w.next(4);
      w.stop();
      assert.deepEqual(events.map(({ type, key, value, revision }) => [type, key.slice(p.length), value, revision - from]), [
        ['put', '/k2', 'x', 1], ['put', '/k1', 'y', 2], ['delete', '/k2', 'x', 3], ['put', '/k3', 'live', 4],
      ]);
    });

    test('unwatch stops delivery', async () => {
      const p = ns();
      const w = collect(store, `${p}/`, await store.currentRevision());
      await store.create(`${p}/a`, '1');
      await w.next(1);
      w.stop();
      await store.create(`${p}/b`, '2');
      const after = collect(store, `${p}/`, await store.currentRevision() - 1);
      await after.next(1); // the write reached watchers (replayed here) — the stopped one saw none of it
      after.stop();
      assert.equal(w.events.length, 1);
    });

    test('a listener that writes does not reorder what other watchers see', async () => {
      const p = ns();
      const from = await store.currentRevision();
      const first = store.watch(`${p}/`, from, (e) => { if (e.key === `${p}/ping`) void store.create(`${p}/pong`, 'x'); });
      const second = collect(store, `${p}/`, from);
      await store.txn([], [{ type: 'put', key: `${p}/ping`, value: '1' }, { type: 'put', key: `${p}/z`, value: '1' }]);
      const events = await second.next(3);
      first();
      second.stop();
      assert.deepEqual(events.map((e) => e.key.slice(p.length)), ['/ping', '/z', '/pong']);
      assert.deepEqual(events.map((e) => e.revision - from), [1, 1, 2]);
    });

    test('a watch started inside a listener sees each event once', async () => {
      const p = ns();
      const from = await store.currentRevision();
      let inner: ReturnType<typeof collect> | undefined;
      let started = () => {};
      const innerStarted = new Promise<void>((resolve) => { started = resolve; });
      const outer = store.watch(`${p}/`, from, () => { inner ??= collect(store, `${p}/`, from); started(); });
      await store.txn([], [{ type: 'put', key: `${p}/a`, value: '1' }, { type: 'put', key: `${p}/b`, value: '1' }]);
      await store.create(`${p}/c`, '1');
      await innerStarted; // drivers that deliver over the network (etcd) may not have called the listener yet
      const events = await inner!.next(3);
      outer();
      inner!.stop();
      assert.deepEqual(events.map((e) => e.key.slice(p.length)), ['/a', '/b', '/c']);
    });

    rangeCases(ctx);
    leaseCases(ctx);

    test('wipe removes every key and never moves the revision backwards', async () => {
      const p = ns();
      await store.create(`${p}/a`, '1');
      await store.create(`/elsewhere${p}`, '1');
      const rev = await store.currentRevision();
      await store.wipe();
      assert.equal(await store.get(`${p}/a`), undefined);
      assert.equal(await store.count(''), 0);
      assert.deepEqual(await store.list(''), []);
      assert.ok(await store.currentRevision() >= rev);
      assert.equal(await store.create(`${p}/a`, '2'), true);
      assert.ok((await store.get(`${p}/a`))!.createRevision > rev);
    });
  });
}

/** Collects watch events; `next(n)` waits until n have arrived (failing after a generous deadline). */
export function collect(store: Store, prefix: string, fromRevision: number, waitMs = 5_000) {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  let wake = () => {};
  const stop = store.watch(prefix, fromRevision, (e) => { events.push(e); wake(); }, { onError: (err) => { errors.push(err); wake(); } });
  return {
    events,
    errors,
    stop,
    /** Waits for the watch to report an error. */
    async error(): Promise<Error> {
      const deadline = Date.now() + waitMs;
      while (errors.length === 0) {
        if (Date.now() > deadline) assert.fail(`expected the watch on ${prefix} to fail, got events ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50); });
      }
      return errors[0];
    },
    async next(n: number): Promise<WatchEvent[]> {
      const deadline = Date.now() + waitMs;
      while (events.length < n) {
        if (Date.now() > deadline) assert.fail(`expected ${n} watch events under ${prefix}, got ${JSON.stringify(events)} (errors: ${errors.map((e) => e.message).join("; ") || "none"})`);
        await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50); });
      }
      return events.slice(0, n);
    },
  };
}
