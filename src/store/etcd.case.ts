// The conformance suite against a real etcd: BERTH_TEST_ETCD=http://127.0.0.1:PORT (.ci/run starts
// one). Missing → a printed skip, or a failure under CI=true. Each store takes its own key
// namespace. Plus what only the etcd driver has: several servers on one etcd, a watch that
// outlives its connection, endpoint failover.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { requireEtcd } from '../testing/requirements.js';
import { openStore } from './open.js';
import { collect, storeConformance } from './store.case.js';
import type { Store } from './types.js';

const namespace = () => `/berth-test-${randomBytes(4).toString('hex')}`;

export function etcdConformance() {
  const requirement = requireEtcd();
  if (requirement.skip) { describe('store conformance: etcd', { skip: requirement.skip }, () => {}); return; }
  const hosts = process.env.BERTH_TEST_ETCD!.split(',').map((u) => new URL(u).host);
  storeConformance(`etcd (${hosts.join(',')})`, {
    open: async () => openStore(`etcd://${hosts.join(',')}${namespace()}`),
    elapse: (_store, ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });

  describe('etcd driver', () => {
    const stores: Store[] = [];
    const open = (url: string) => { const s = openStore(url); stores.push(s); return s; };
    after(async () => { for (const s of stores) await s.close(); });

    test('two servers on one etcd: concurrent counter adds from both lose nothing', async () => {
      const ns = namespace();
      const [a, b] = [open(`etcd://${hosts[0]}${ns}`), open(`etcd://${hosts[0]}${ns}`)];
      const add = (s: Store, i: number) => s.txn([{ key: `/rec/${i}`, modRevision: 0 }], [
        { type: 'put', key: `/rec/${i}`, value: 'x' }, { type: 'add', key: '/count', delta: 1 }]);
      // a has the counter cached from its own writes, then b moves it: a's next add must see that
      await add(a, 0);
      await add(b, 1);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => add(i % 2 ? a : b, i + 2)));
      assert.ok(results.every((r) => r.succeeded));
      assert.equal((await a.get('/count'))?.value, '32');
      const refused = await add(a, 5);
      assert.equal(refused.succeeded, false, 'the record exists: the add must not apply either');
      assert.equal((await b.get('/count'))?.value, '32');
    });

    test('a watch whose connection breaks resumes from the last event it delivered', async () => {
      const proxy = await tcpProxy(hosts[0]);
      try {
        const store = open(`etcd://127.0.0.1:${proxy.port}${namespace()}`);
        const w = collect(store, '/w/', await store.currentRevision());
        await store.create('/w/1', 'a');
        await w.next(1);
        proxy.breakAll();
        await store.create('/w/2', 'b');
        await store.update('/w/1', 'c');
        const events = await w.next(3);
        w.stop();
        assert.deepEqual(events.map((e) => [e.key, e.value]), [['/w/1', 'a'], ['/w/2', 'b'], ['/w/1', 'c']]);
        assert.equal(proxy.broken() > 0, true, 'the proxy really cut a connection');
      } finally {
        proxy.close();
      }
    });

    test('an endpoint that refuses connections is skipped', async () => {
      const dead = await closedPort();
      const from = await open(`etcd://${hosts[0]}`).currentRevision();
      const store = open(`etcd://127.0.0.1:${dead},${hosts[0]}${namespace()}`);
      const w = collect(store, '/', from); // its first connection goes to the dead endpoint
      assert.equal(await store.create('/k', 'v'), true);
      assert.equal((await store.get('/k'))?.value, 'v');
      assert.deepEqual((await w.next(1)).map((e) => [e.key, e.value]), [['/k', 'v']]);
      w.stop();
      const again = open(`etcd://127.0.0.1:${dead},${hosts[0]}${namespace()}`);
      const lease = await store.grantLease(30);
      assert.equal(await again.keepAlive(lease.id), 30, 'a keep-alive also moves on');
    });
  });
}

/** A TCP proxy to host:port whose open connections can be cut. */
async function tcpProxy(target: string) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const pairs = new Set<[Socket, Socket]>();
  let cut = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const drop = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    breakAll() { for (const [c, u] of pairs) { cut++; c.destroy(); u.destroy(); } pairs.clear(); },
    broken: () => cut,
    close() { this.breakAll(); server.close(); },
  };
}

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
