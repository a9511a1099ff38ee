// memory:// — everything in one process, nothing on disk. For tests and throwaway runs.
import { HISTORY_LIMIT, LocalStore, type Engine } from './local.js';
import type { KeyValue, ListOptions, Op, WatchEvent } from './types.js';

class MemoryEngine implements Engine {
  private readonly data = new Map<string, KeyValue>();
  /** Keys in sorted order, kept up to date on create/delete (binary insertion). */
  private keys: string[] = [];
  private events: WatchEvent[] = [];
  private compactedAt = 0;
  private rev = 0;

  /** Copies out, so a caller mutating what it got cannot change the store. */
  get(key: string) { const kv = this.data.get(key); return kv && { ...kv }; }
  revision() { return this.rev; }

  range(prefix: string, { limit, startAfter }: ListOptions) {
    const from = startAfter !== undefined && startAfter >= prefix ? startAfter : prefix;
    let i = this.lowerBound(from);
    if (i < this.keys.length && this.keys[i] === startAfter) i++;
    const out: KeyValue[] = [];
    for (; i < this.keys.length && this.keys[i].startsWith(prefix); i++) {
      if (limit !== undefined && out.length >= limit) break;
      out.push({ ...this.data.get(this.keys[i])! });
    }
    return out;
  }

  count(prefix: string) {
    let n = 0;
    for (let i = this.lowerBound(prefix); i < this.keys.length && this.keys[i].startsWith(prefix); i++) n++;
    return n;
  }

  write(revision: number, ops: Op[], events: WatchEvent[]) {
    for (const op of ops) {
      const prev = this.data.get(op.key);
      if (op.type === 'put') {
        if (!prev) this.keys.splice(this.lowerBound(op.key), 0, op.key);
        this.data.set(op.key, { key: op.key, value: op.value, createRevision: prev?.createRevision ?? revision, modRevision: revision, version: (prev?.version ?? 0) + 1 });
        events.push({ type: 'put', key: op.key, value: op.value, revision });
      } else if (prev) {
        this.data.delete(op.key);
        this.keys.splice(this.lowerBound(op.key), 1);
        events.push({ type: 'delete', key: op.key, value: prev.value, revision });
      }
    }
    if (events.length === 0) return;
    this.rev = revision;
    this.events.push(...events);
    if (this.events.length > HISTORY_LIMIT * 2) {
      const dropped = this.events.splice(0, this.events.length - HISTORY_LIMIT);
      this.compactedAt = dropped.at(-1)!.revision;
    }
  }

  atomic<T>(fn: () => T) { return fn(); }

  history(prefix: string, from: number) {
    if (from < this.compactedAt) return undefined;
    return this.events.filter((e) => e.revision > from && e.key.startsWith(prefix)).map((e) => ({ ...e }));
  }

  wipe() { this.data.clear(); this.keys = []; this.events = []; this.compactedAt = this.rev; }
  close() {}

  private lowerBound(key: string) {
    let lo = 0, hi = this.keys.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (this.keys[mid] < key) lo = mid + 1; else hi = mid; }
    return lo;
  }
}

export const openMemoryStore = () => new LocalStore('memory', new MemoryEngine());
