// keepLeaseAlive over the memory store with a fake clock: keep-alives (observed as they happen,
// not waited for) keep the lease past its TTL; a revoke is reported as lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepLeaseAlive } from './lease-keeper.js';
import { openMemoryStore } from './memory.js';
import type { Store } from './types.js';

/** The store, with a way to wait for the next keepAlive call to have answered. */
function observed(store: Store) {
  let answered: (ttl: number | undefined) => void = () => {};
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'keepAlive') return async (id: string) => { const ttl = await target.keepAlive(id); answered(ttl); return ttl; };
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, nextKeepAlive: () => new Promise<number | undefined>((resolve) => { answered = resolve; }) };
}

test('keepLeaseAlive keeps the lease past its TTL, and reports it lost once revoked', { timeout: 10_000 }, async () => {
  const clock = { t: Date.UTC(2026, 0, 1), now() { return new Date(this.t); } };
  const raw = openMemoryStore({ clock });
  const { store, nextKeepAlive } = observed(raw);
  try {
    const lease = await store.grantLease(3);
    await store.txn([], [{ type: 'put', key: '/agents/1', value: 'up', lease: lease.id }]);
    let lost: (id: string) => void = () => {};
    const lostSignal = new Promise<string>((resolve) => { lost = resolve; });
    const stop = keepLeaseAlive(store, lease.id, lease.ttl, { everyMs: 5, onLost: (id) => lost(id) });
    try {
      for (let i = 0; i < 4; i++) {
        const answered = nextKeepAlive();
        clock.t += 2_000; // 8 s in all: far past the 3 s TTL, but never 3 s without a keep-alive
        assert.equal(await answered, 3);
        assert.equal(await raw.expireLeases(), 0);
      }
      assert.equal((await store.get('/agents/1'))?.value, 'up');
      await store.revokeLease(lease.id);
      assert.equal(await lostSignal, lease.id);
      assert.equal(await store.get('/agents/1'), undefined);
    } finally {
      stop();
    }
  } finally {
    await raw.close();
  }
});
