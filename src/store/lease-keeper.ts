// Holds a lease: keepAlive every ttl/3 (etcd's clients do the same), and says when it is lost
// (expired while we could not reach the store, or revoked). What an agent's liveness key hangs on.
import type { Store } from './types.js';

export interface LeaseKeeperOptions {
  /** Milliseconds between keep-alives (default: a third of the TTL). */
  everyMs?: number;
  /** The lease is gone: keys attached to it were deleted. Grant a new one and re-attach. */
  onLost?: (lease: string) => void;
  /** A keep-alive failed (store unreachable); the keeper keeps trying until the lease is lost. */
  onError?: (error: Error) => void;
}

/** Starts keeping lease (of ttlSeconds) alive; the returned function stops it. */
export function keepLeaseAlive(store: Store, lease: string, ttlSeconds: number, options: LeaseKeeperOptions = {}): () => void {
  const every = options.everyMs ?? Math.max(100, (ttlSeconds * 1000) / 3);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    try {
      if ((await store.keepAlive(lease)) === undefined) {
        if (!stopped) { stopped = true; options.onLost?.(lease); }
        return;
      }
    } catch (err) {
      if (!stopped) options.onError?.(err as Error);
    }
    if (!stopped) timer = setTimeout(() => void tick(), every);
  };
  timer = setTimeout(() => void tick(), every);
  return () => { stopped = true; clearTimeout(timer); };
}
