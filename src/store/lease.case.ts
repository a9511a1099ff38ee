// Conformance cases for leases (etcd's model: a TTL, keys attached in a txn, keep-alive; expiry and
// revoke delete the keys and emit delete events). Run by storeConformance (store.case.ts) per driver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collect, type CaseContext } from './store.case.js';
import { LeaseNotFoundError } from './types.js';

/** Lease expiry on etcd runs on real time (its lessor checks every 500 ms): allow for that. */
const EXPIRY_WAIT_MS = 15_000;

export function leaseCases({ store: s, ns, elapse }: CaseContext) {
  test('lease: keys attached in a txn carry it; a plain put detaches; revoke deletes them at one revision', async () => {
    const p = ns();
    const lease = await s().grantLease(30);
    assert.equal(lease.ttl, 30);
    const rev0 = await s().currentRevision();
    const info = (await s().leaseInfo(lease.id))!;
    assert.deepEqual({ ...info, remaining: 0 }, { id: lease.id, ttl: 30, remaining: 0, keys: [] });
    assert.ok(info.remaining >= 29 && info.remaining <= 30, `remaining ${info.remaining}`);
    assert.equal(await s().currentRevision(), rev0, 'granting does not move the revision');
    await s().txn([], [
      { type: 'put', key: `${p}/live/a`, value: 'a', lease: lease.id },
      { type: 'put', key: `${p}/live/b`, value: 'b', lease: lease.id },
      { type: 'put', key: `${p}/live/c`, value: 'c', lease: lease.id },
      { type: 'put', key: `${p}/record`, value: 'r' },
    ]);
    assert.equal((await s().get(`${p}/live/a`))?.lease, lease.id);
    assert.equal((await s().get(`${p}/record`))?.lease, undefined);
    await s().update(`${p}/live/c`, 'c2');
    assert.equal((await s().get(`${p}/live/c`))?.lease, undefined, 'a put without a lease detaches the key');
    assert.deepEqual((await s().leaseInfo(lease.id))?.keys, [`${p}/live/a`, `${p}/live/b`]);

    const w = collect(s(), `${p}/`, await s().currentRevision());
    assert.equal(await s().revokeLease(lease.id), true);
    const events = await w.next(2);
    w.stop();
    assert.deepEqual(events.map((e) => [e.type, e.key.slice(p.length), e.value]), [['delete', '/live/a', 'a'], ['delete', '/live/b', 'b']]);
    assert.equal(events[0].revision, events[1].revision, 'one revision for all of the lease');
    assert.equal(await s().currentRevision(), events[0].revision);
    assert.deepEqual((await s().list(`${p}/`)).map((kv) => kv.key.slice(p.length)), ['/live/c', '/record']);
    assert.equal(await s().leaseInfo(lease.id), undefined);
    assert.equal(await s().keepAlive(lease.id), undefined);
    assert.equal(await s().revokeLease(lease.id), false);
  });

  test('lease: a put naming a missing lease is refused and writes nothing', async () => {
    const p = ns();
    const lease = await s().grantLease(30);
    await s().revokeLease(lease.id);
    const rev = await s().currentRevision();
    for (const id of [lease.id, '12345678']) {
      await assert.rejects(
        s().txn([], [{ type: 'put', key: `${p}/ok`, value: 'x' }, { type: 'put', key: `${p}/leased`, value: 'x', lease: id }]),
        (err: Error) => err instanceof LeaseNotFoundError && err.lease === id);
    }
    assert.equal(await s().get(`${p}/ok`), undefined);
    assert.equal(await s().currentRevision(), rev);
    const failing = await s().txn([{ key: `${p}/ok`, modRevision: 1 }], [{ type: 'put', key: `${p}/leased`, value: 'x', lease: lease.id }]);
    assert.equal(failing.succeeded, false, 'a txn whose compares fail does not look at its leases');
  });

  test('lease: TTL expiry deletes the attached keys and emits delete events; other keys stay', async () => {
    const p = ns();
    const lease = await s().grantLease(1);
    await s().txn([], [
      { type: 'put', key: `${p}/agent/1`, value: 'alive', lease: lease.id },
      { type: 'put', key: `${p}/agent/1/session`, value: 's', lease: lease.id },
      { type: 'put', key: `${p}/instance/1`, value: 'record' },
    ]);
    const w = collect(s(), `${p}/`, await s().currentRevision(), EXPIRY_WAIT_MS);
    await elapse(1_001);
    const events = await w.next(2);
    w.stop();
    assert.deepEqual(events.map((e) => [e.type, e.key.slice(p.length)]), [['delete', '/agent/1'], ['delete', '/agent/1/session']]);
    assert.equal(events[0].revision, events[1].revision);
    assert.deepEqual((await s().list(`${p}/`)).map((kv) => kv.key.slice(p.length)), ['/instance/1']);
    assert.equal(await s().leaseInfo(lease.id), undefined);
    assert.equal(await s().keepAlive(lease.id), undefined, 'an expired lease cannot be kept alive');
    await assert.rejects(s().txn([], [{ type: 'put', key: `${p}/agent/1`, value: 'late', lease: lease.id }]), LeaseNotFoundError);
  });

  test('lease: keep-alive restarts the TTL; without it the lease ends', async () => {
    const p = ns();
    const lease = await s().grantLease(2);
    await s().txn([], [{ type: 'put', key: `${p}/hb`, value: 'x', lease: lease.id }]);
    const w = collect(s(), `${p}/`, await s().currentRevision(), EXPIRY_WAIT_MS);
    await elapse(1_500);
    assert.equal(await s().keepAlive(lease.id), 2);
    await elapse(1_500); // 3 s after the grant: past the first TTL, within the renewed one
    assert.equal((await s().get(`${p}/hb`))?.value, 'x', 'kept alive');
    const info = (await s().leaseInfo(lease.id))!;
    assert.ok(info.remaining >= 0 && info.remaining <= 2, `remaining ${info.remaining}`);
    assert.deepEqual(info.keys, [`${p}/hb`]);
    assert.deepEqual(w.events, []);
    await elapse(1_000);
    const [event] = await w.next(1);
    w.stop();
    assert.deepEqual([event.type, event.key.slice(p.length)], ['delete', '/hb']);
  });
}
