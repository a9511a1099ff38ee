// Shared machinery of the in-process drivers (memory, sqlite): the async Store surface over a
// synchronous engine, the transaction semantics, and watch fan-out. Drivers implement `Engine`.
import type { Compare, KeyValue, ListOptions, Op, Store, TxnResult, Unwatch, WatchEvent } from './types.js';

export interface Engine {
  get(key: string): KeyValue | undefined;
  range(prefix: string, options: ListOptions): KeyValue[];
  count(prefix: string): number;
  revision(): number;
  /** Applies ops at `revision` (the caller has checked the compares inside `atomic`), pushing one
   *  event per change. No events (only deletes of missing keys) → the revision must not move. */
  write(revision: number, ops: Op[], events: WatchEvent[]): void;
  /** Runs fn atomically with respect to other writes (and durably, for persistent engines). */
  atomic<T>(fn: () => T): T;
  /** Events with revision > from, oldest first; undefined if the history was compacted. */
  history(prefix: string, from: number): WatchEvent[] | undefined;
  wipe(): void;
  close(): void;
}

interface Watcher {
  prefix: string;
  listener: (event: WatchEvent) => void;
  /** The revision its replay reached: queued events up to here were already delivered. */
  replayedTo: number;
}

export class LocalStore implements Store {
  private readonly watchers = new Set<Watcher>();
  /** Events committed but not yet delivered; drained in order, so a listener that writes
   *  (synchronously, inside delivery) never makes anyone see revision n+1 before n. */
  private readonly pending: WatchEvent[] = [];
  private delivering = false;

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
    if (!this.engine.get(key)) return false;
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
      this.engine.write(current + 1, ops, events);
      return { succeeded: true, revision: events.length ? current + 1 : current };
    });
    this.pending.push(...events);
    this.deliver();
    return result;
  }

  watch(prefix: string, fromRevision: number, listener: (event: WatchEvent) => void): Unwatch {
    const past = this.engine.history(prefix, fromRevision);
    if (!past) throw new Error(`watch from revision ${fromRevision}: history has been compacted`);
    const watcher: Watcher = { prefix, listener, replayedTo: this.engine.revision() };
    for (const event of past) call(listener, event);
    this.watchers.add(watcher);
    return () => { this.watchers.delete(watcher); };
  }

  async wipe() { this.engine.atomic(() => this.engine.wipe()); }
  async close() { this.watchers.clear(); this.engine.close(); }

  private deliver() {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let event = this.pending.shift(); event; event = this.pending.shift()) {
        for (const w of this.watchers) {
          if (event.revision > w.replayedTo && event.key.startsWith(w.prefix)) call(w.listener, event);
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

function call(listener: (event: WatchEvent) => void, event: WatchEvent) {
  try { listener(event); } catch (err) { console.error('watch listener failed', err); }
}

/** Events kept for watch replay; older ones are compacted. */
export const HISTORY_LIMIT = 10_000;
