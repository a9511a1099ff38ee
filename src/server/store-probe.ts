// Can the store take a write right now? A real write of one key (/_berth/health/probe), bounded
// in time. Generic on purpose: a full disk under SQLite (SQLITE_FULL), a read-only file, an etcd
// cluster without quorum all show up here the same way, as the error the store gave.
import type { Store } from '../store/types.js';

export const PROBE_KEY = '/_berth/health/probe';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export async function probeStore(store: Store, timeoutMs = 2_000): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `the store (${store.name}) did not answer a write within ${timeoutMs} ms` }), timeoutMs);
  });
  const write = store.txn([], [{ type: 'put', key: PROBE_KEY, value: new Date().toISOString() }])
    .then((): ProbeResult => ({ ok: true }))
    .catch((err: Error): ProbeResult => ({ ok: false, reason: `the store (${store.name}) cannot write: ${err.message}` }));
  try {
    return await Promise.race([write, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
