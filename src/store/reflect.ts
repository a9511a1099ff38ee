// List, then watch from the revision the list read at; when the watch ends because its history was
// compacted away, list again and watch from the new revision (Kubernetes' reflector). The way
// to keep a process-local view (a cache, an in-memory index) that a restart or a lost watch can
// always rebuild from the store.
import { WatchCompactedError, type KeyValue, type Store, type Unwatch, type WatchEvent } from './types.js';

export interface ReflectHandlers {
  /** Everything under the prefix: on start, and again after a re-list (replace what you had). */
  onList(kvs: KeyValue[], revision: number): void;
  /** Changes after the last list. A list read page by page may already show a key newer than an
   *  event that follows it: an event whose revision is <= that key's listed modRevision is old news. */
  onEvent(event: WatchEvent): void;
  /** A list or watch failed for another reason; reflect tries again after retryMs. */
  onError?(error: Error): void;
  /** The watch ended (compaction, a wiped store, an error): what was reflected may be out of date
   *  until the next onList. */
  onStale?(): void;
}

export interface ReflectOptions {
  /** Keys per list page (default 1000). */
  pageSize?: number;
  retryMs?: number;
}

/** Starts reflecting prefix; the returned function stops it. */
export function reflect(store: Store, prefix: string, handlers: ReflectHandlers, options: ReflectOptions = {}): () => void {
  const pageSize = options.pageSize ?? 1000;
  let stopped = false;
  let unwatch: Unwatch = () => {};
  let timer: NodeJS.Timeout | undefined;

  const retry = (error: Error) => {
    if (stopped) return;
    handlers.onStale?.();
    if (!(error instanceof WatchCompactedError)) handlers.onError?.(error);
    timer = setTimeout(() => void start(), error instanceof WatchCompactedError ? 0 : options.retryMs ?? 1000);
  };

  const start = async () => {
    try {
      const kvs: KeyValue[] = [];
      let revision: number | undefined;
      for (let startAfter: string | undefined; ;) {
        const page = await store.range(prefix, { limit: pageSize, startAfter });
        revision ??= page.revision;
        kvs.push(...page.kvs);
        if (!page.more || page.kvs.length === 0) break;
        startAfter = page.kvs.at(-1)!.key;
      }
      if (stopped) return;
      handlers.onList(kvs, revision!);
      unwatch = store.watch(prefix, revision!, (e) => { if (!stopped) handlers.onEvent(e); }, { onError: retry });
    } catch (err) {
      retry(err as Error);
    }
  };

  void start();
  return () => { stopped = true; clearTimeout(timer); unwatch(); };
}
