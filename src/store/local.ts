// Shared machinery of the in-process drivers (memory, sqlite): the async Store surface over a
// synchronous engine, the transaction semantics, and watch fan-out. Drivers implement `Engine`.
import type { Compare, KeyValue, ListOptions, Op, Store, TxnResult, Unwatch, WatchEvent } from './types.js';

export interface Engine {
  get(key: string): KeyValue | undefined;
  range(prefix: string, options: ListOptions): KeyValue[];
  count(prefix: string): number;
  revision(): number;
  /** Applies ops at `revision` atomically (the caller has checked the compares inside `atomic`). */
  write(revision: number, ops: Op[], events: WatchEvent[]): void;
  /** Runs fn atomically with respect to other writes (and durably, for persistent engines). */
  atomic<T>(fn: () => T): T;
  /** Events with revision > from, oldest first; undefined if the history was compacted. */
  history(prefix: string, from: number): WatchEvent[] | undefined;
  wipe(): void;
  close(): void;
}

interface Watcher { prefix: string; listener: (event: WatchEvent) => void }

export class LocalStore implements Store {
  private readonly watchers = new Set<Watcher>();

  constructor(readonly name: string, private readonly engine: Engine) {}

  async get(key: string) { return this.engine.get(key); }
  async list(prefix: string, options: ListOptions = {}) { return this.engine.range(prefix, options); }
  async count(prefix: string) { return this.engine.count(prefix); }
  async currentRevision() { return this.engine.revision(); }

  async create(key: string, value: string) {
    return (await this.txn([{ key, modRevision: 0 }], [{ type: 'put', key, value }])).succeeded;
  }

  async update(key: string, value: string, expectedModRevision?: number) {
    const compares = expectedModRevision === undefined ? [] : [{ key, modRevision: expectedModRevision }];
    return (await this.txn(compares, [{ type: 'put', key, value }])).succeeded;
  }

  async delete(key: string, expectedModRevision?: number) {
    if (expectedModRevision === undefined && !this.engine.get(key)) return false;
    const compares = expectedModRevision === undefined ? [] : [{ key, modRevision: expectedModRevision }];
    return (await this.txn(compares, [{ type: 'delete', key }])).succeeded;
  }

  async txn(compares: Compare[], ops: Op[]): Promise<TxnResult> {
    const events: WatchEvent[] = [];
    const result = this.engine.atomic(() => {
      const current = this.engine.revision();
      for (const c of compares) {
        if ((this.engine.get(c.key)?.modRevision ?? 0) !== c.modRevision) return { succeeded: false, revision: current };
      }
      if (ops.length === 0) return { succeeded: true, revision: current };
      const revision = current + 1;
      this.engine.write(revision, ops, events);
      return { succeeded: true, revision };
    });
    for (const event of events) this.emit(event);
    return result;
  }

  watch(prefix: string, fromRevision: number, listener: (event: WatchEvent) => void): Unwatch {
    const past = this.engine.history(prefix, fromRevision);
    if (!past) throw new Error(`watch from revision ${fromRevision}: history has been compacted`);
    for (const event of past) listener(event);
    const watcher = { prefix, listener };
    this.watchers.add(watcher);
    return () => { this.watchers.delete(watcher); };
  }

  async wipe() { this.engine.atomic(() => this.engine.wipe()); }
  async close() { this.watchers.clear(); this.engine.close(); }

  private emit(event: WatchEvent) {
    for (const w of this.watchers) {
      if (event.key.startsWith(w.prefix)) {
        try { w.listener(event); } catch (err) { console.error('watch listener failed', err); }
      }
    }
  }
}

/** Events kept for watch replay; older ones are compacted. */
export const HISTORY_LIMIT = 10_000;
