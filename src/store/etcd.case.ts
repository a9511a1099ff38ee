// The conformance suite against a real etcd: BERTH_TEST_ETCD=http://127.0.0.1:PORT (.ci/run starts
// one). Missing → a printed skip, or a failure under CI=true. Each run takes its own key namespace.
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { requireEtcd } from '../testing/requirements.js';
import { openStore } from './open.js';
import { storeConformance } from './store.case.js';

export function etcdConformance() {
  const requirement = requireEtcd();
  if (requirement.skip) { describe('store conformance: etcd', { skip: requirement.skip }, () => {}); return; }
  const hosts = process.env.BERTH_TEST_ETCD!.split(',').map((u) => new URL(u).host).join(',');
  storeConformance(`etcd (${hosts})`, {
    open: async () => openStore(`etcd://${hosts}/berth-test-${randomBytes(4).toString('hex')}`),
    elapse: (_store, ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
}
