// memory:// — everything in one process, nothing on disk. For tests and throwaway runs.
import { HISTORY_LIMIT, LocalStore, type Engine, type LeaseRecord, type LocalStoreOptions, type WriteOp } from './local.js';
import type { KeyValue, ListOptions, WatchEvent } from './types.js';

class MemoryEngine implements Engine {
  private readonly data = new Map<string, KeyValue>();
  /** Keys in sorted order, kept up to date on create/delete (binary insertion). */
  private keys: string[] = [];
  private events: WatchEvent[] = [];
  private compactedAt = 0;
  private rev = 0;
  private readonly leases = new Map<number, LeaseRecord>();
  private readonly attached = new Map<number, Set<string>>();
  private lastLease = 0;

  /** Copies out, so a caller mutating what it got cannot change the store. */
  get(key: string) { const kv = this.data.get(key); return kv && { ...kv }; }
  revision() { return this.rev; }

  range(prefix: string, { limit, startAfter, descending }: ListOptions) {
    const start = this.lowerBound(prefix);
    const end = this.prefixEnd(prefix, start);
    const max = limit === undefined ? Infinity : limit + 1;
    const out: KeyValue[] = [];
    if (descending) {
      let i = startAfter === undefined ? end - 1 : Math.min(end, this.lowerBound(startAfter)) - 1;
      for (; i >= start && out.length < max; i--) out.push({ ...this.data.get(this.keys[i])! });
    } else {
      let i = startAfter === undefined ? start : Math.max(start, this.lowerBound(startAfter));
      if (i < end && this.keys[i] === startAfter) i++;
      for (; i < end && out.length < max; i++) out.push({ ...this.data.get(this.keys[i])! });
    }
    return out;
  }

  count(prefix: string) {
    const start = this.lowerBound(prefix);
    return this.prefixEnd(prefix, start) - start;
  }

  write(revision: number, ops: WriteOp[], events: WatchEvent[]) {
    const before = events.length;
    for (const op of ops) {
      const prev = this.data.get(op.key);
      if (prev?.lease) this.attached.get(Number(prev.lease))?.delete(op.key);
      if (op.type === 'put') {
        if (!prev) this.keys.splice(this.lowerBound(op.key), 0, op.key);
        const kv: KeyValue = { key: op.key, value: op.value, createRevision: prev?.createRevision ?? revision, modRevision: revision, version: (prev?.version ?? 0) + 1 };
        if (op.lease) {
          kv.lease = String(op.lease);
          this.attached.get(op.lease)?.add(op.key);
        }
        this.data.set(op.key, kv);
        events.push({ type: 'put', key: op.key, value: op.value, revision });
      } else if (prev) {
        this.data.delete(op.key);
        this.keys.splice(this.lowerBound(op.key), 1);
        events.push({ type: 'delete', key: op.key, value: prev.value, revision });
      }
    }
    if (events.length === before) return;
    this.rev = revision;
    this.events.push(...events.slice(before));
    if (this.events.length > HISTORY_LIMIT * 2) this.compact(this.events[this.events.length - HISTORY_LIMIT - 1].revision);
  }

  atomic<T>(fn: () => T) { return fn(); }

  history(prefix: string, from: number) {
    if (from < this.compactedAt) return undefined;
    return this.events.filter((e) => e.revision > from && e.key.startsWith(prefix)).map((e) => ({ ...e }));
  }

  compacted() { return this.compactedAt; }
  compact(revision: number) {
    const keep = this.events.findIndex((e) => e.revision > revision);
    this.events.splice(0, keep === -1 ? this.events.length : keep);
    this.compactedAt = Math.max(this.compactedAt, revision);
  }

  lease(id: number) { const l = this.leases.get(id); return l && { ...l }; }
  putLease(lease: LeaseRecord) {
    this.leases.set(lease.id, { ...lease });
    if (!this.attached.has(lease.id)) this.attached.set(lease.id, new Set());
  }
  deleteLease(id: number) { this.leases.delete(id); this.attached.delete(id); }
  leaseKeys(id: number) { return [...this.attached.get(id) ?? []]; }
  expiredLeases(now: number) { return [...this.leases.values()].filter((l) => l.deadline <= now).map((l) => l.id); }
  nextLeaseId() { return ++this.lastLease; }

  wipe() {
    this.data.clear(); this.keys = []; this.events = []; this.compactedAt = this.rev;
    this.leases.clear(); this.attached.clear();
  }
  close() {}

  private lowerBound(key: string) {
    let lo = 0, hi = this.keys.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (this.keys[mid] < key) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /** The index after the last key starting with prefix (those keys are contiguous from start). */
  private prefixEnd(prefix: string, start: number) {
    let lo = start, hi = this.keys.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (this.keys[mid].startsWith(prefix)) lo = mid + 1; else hi = mid; }
    return lo;
  }
}

export const openMemoryStore = (options: LocalStoreOptions = {}) => new LocalStore('memory', new MemoryEngine(), options);
