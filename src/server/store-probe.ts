// Can the store take writes? Two generic signals, whatever the driver: the outcome of the last
// write the server made (a disk that fills up fails the big writes first: SQLITE_FULL), and a
// real write of one key (/_berth/health/probe), bounded in time (an unreachable etcd, a read-only
// file). A read-only file, an etcd cluster without quorum and a full disk all show up here the
// same way: as the error the store gave.
import type { Store } from '../store/types.js';

export const PROBE_KEY = '/_berth/health/probe';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

const WRITES = new Set(['create', 'update', 'delete', 'txn', 'grantLease', 'keepAlive', 'revokeLease']);

export interface WatchedStore {
  store: Store;
  /** The error of the last write, unless a write has succeeded since. */
  lastWriteError(): Error | undefined;
}

/** The store, with every write's outcome remembered (the wrapper adds no behaviour). */
export function watchWrites(store: Store): WatchedStore {
  let lastError: Error | undefined;
  // One wrapper per method, made once (the store's methods are hot paths).
  const methods = new Map<PropertyKey, unknown>();
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const known = methods.get(prop);
      if (known) return known;
      const fn = value as (...args: unknown[]) => unknown;
      const wrapped = typeof prop !== 'string' || !WRITES.has(prop) ? fn.bind(target)
        : (...args: unknown[]) => (fn.apply(target, args) as Promise<unknown>).then(
          (v) => { lastError = undefined; return v; },
          (err: Error) => { if (err?.name !== 'LeaseNotFoundError') lastError = err; throw err; });
      methods.set(prop, wrapped);
      return wrapped;
    },
  });
  return { store: proxy, lastWriteError: () => lastError };
}

export async function probeStore(watched: WatchedStore, timeoutMs = 2_000): Promise<ProbeResult> {
  const { store } = watched;
  const failing = watched.lastWriteError();
  if (failing) return { ok: false, reason: `the store (${store.name}) cannot write: ${failing.message}` };
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
