// Shared machinery of the in-process drivers (memory, sqlite): the async Store surface over a
// synchronous engine, the transaction semantics (compares, leases, counters), lease expiry on the
// injected clock, and watch fan-out. Drivers implement `Engine`.
import { systemClock, type Clock } from '../common/ids.js';
import {
  LeaseNotFoundError, WatchCompactedError,
  type Compare, type KeyValue, type LeaseInfo, type ListOptions, type Op, type Store, type TxnResult, type Unwatch, type WatchEvent, type WatchOptions,
} from './types.js';

/** What an engine writes: counters already resolved to puts, leases already checked. */
export type WriteOp = { type: 'put'; key: string; value: string; lease: number } | { type: 'delete'; key: string };

export interface LeaseRecord {
  id: number;
  ttl: number;
  /** Epoch milliseconds (of the store's clock) at which it expires. */
  deadline: number;
}

export interface Engine {
  get(key: string): KeyValue | undefined;
  /** Up to limit + 1 keys, so the caller can tell whether there are more. */
  range(prefix: string, options: ListOptions): KeyValue[];
  count(prefix: string): number;
  revision(): number;
  /** Applies ops at `revision` (the caller has checked the compares inside `atomic`), pushing one
   *  event per change. No events (only deletes of missing keys) → the revision must not move. */
  write(revision: number, ops: WriteOp[], events: WatchEvent[]): void;
  /** Runs fn atomically with respect to other writes (and durably, for persistent engines). A
   *  call inside another's fn is a nested step: if it throws, its writes alone are undone. */
  atomic<T>(fn: () => T): T;
  /** Transactions issued in the same turn of the event loop are committed together (one durable
   *  commit for all; each keeps its own revision, compares and outcome): for engines whose commit
   *  costs more than the writes in it (SQLite's WAL append). */
  readonly groupCommit?: boolean;
  /** Events with revision > from, oldest first; undefined if the history was compacted. */
  history(prefix: string, from: number): WatchEvent[] | undefined;
  /** The newest revision whose events were dropped. */
  compacted(): number;
  compact(revision: number): void;
  lease(id: number): LeaseRecord | undefined;
  putLease(lease: LeaseRecord): void;
  deleteLease(id: number): void;
  leaseKeys(id: number): string[];
  /** Ids of leases whose deadline is at or before now. */
  expiredLeases(now: number): number[];
  nextLeaseId(): number;
  /** Removes every key and lease; history before it is compacted. */
  wipe(): void;
  close(): void | Promise<void>;
}

export interface LocalStoreOptions {
  /** Lease deadlines are measured on this clock (tests pass a fake one and call expireLeases()). */
  clock?: Clock;
}

interface Watcher {
  prefix: string;
  listener: (event: WatchEvent) => void;
  /** The revision its replay reached: queued events up to here were already delivered. */
  replayedTo: number;
  options: WatchOptions;
  /** Order of creation: watchers matching one event are called in this order. */
  seq: number;
  /** Unwatched (perhaps by a listener called before it for the same event). */
  removed?: boolean;
}

/**
 * The watchers by prefix. An event is matched by looking up each distinct prefix length among
 * them (a handful) rather than testing every watcher: with a simulated fleet of 1,000 agents
 * there are 2,000 ACS watches, and testing each on every event was most of a commit's cost.
 */
class WatcherIndex {
  private readonly byPrefix = new Map<string, Set<Watcher>>();
  /** Distinct prefix lengths, ascending, with how many prefixes have each. */
  private lengths: number[] = [];
  private readonly perLength = new Map<number, number>();
  private seq = 0;

  nextSeq() { return this.seq++; }

  add(w: Watcher) {
    let set = this.byPrefix.get(w.prefix);
    if (!set) {
      this.byPrefix.set(w.prefix, (set = new Set()));
      const n = this.perLength.get(w.prefix.length) ?? 0;
      this.perLength.set(w.prefix.length, n + 1);
      if (n === 0) this.lengths = [...this.perLength.keys()].sort((a, b) => a - b);
    }
    set.add(w);
  }

  delete(w: Watcher) {
    w.removed = true;
    const set = this.byPrefix.get(w.prefix);
    if (!set?.delete(w) || set.size > 0) return;
    this.byPrefix.delete(w.prefix);
    const n = this.perLength.get(w.prefix.length)! - 1;
    if (n > 0) this.perLength.set(w.prefix.length, n);
    else { this.perLength.delete(w.prefix.length); this.lengths = [...this.perLength.keys()].sort((a, b) => a - b); }
  }

  /** The watchers whose prefix starts the key, in creation order. */
  matching(key: string): Watcher[] {
    const out: Watcher[] = [];
    for (const length of this.lengths) {
      if (length > key.length) break;
      const set = this.byPrefix.get(length === key.length ? key : key.slice(0, length));
      if (set) for (const w of set) out.push(w);
    }
    if (out.length > 1) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  all(): Watcher[] { return [...this.byPrefix.values()].flatMap((set) => [...set]).sort((a, b) => a.seq - b.seq); }
  clear() { this.byPrefix.clear(); this.perLength.clear(); this.lengths = []; }
}

/** How often due leases are looked for (etcd's lessor checks every 500 ms too). */
const EXPIRY_INTERVAL_MS = 500;

export class LocalStore implements Store {
  /** Watch events are delivered inside commit, before txn resolves. */
  readonly syncWatch = true;
  private readonly watchers = new WatcherIndex();
  /** Events committed but not yet delivered; drained in order, so a listener that writes
   *  (synchronously, inside delivery) never makes anyone see revision n+1 before n. */
  private readonly pending: WatchEvent[] = [];
  private delivering = false;
  private readonly clock: Clock;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly name: string, private readonly engine: Engine, options: LocalStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.expireDue(); // leases whose deadline passed while the store was closed end now
    this.timer = setInterval(() => {
      try { this.expireDue(); } catch (err) { console.error(`${name}: lease expiry failed (tried again in ${EXPIRY_INTERVAL_MS} ms)`, err); }
    }, EXPIRY_INTERVAL_MS).unref();
  }

  async get(key: string) { return this.engine.get(key); }
  async list(prefix: string, options: ListOptions = {}) { return (await this.range(prefix, options)).kvs; }
  async read(key: string) { return { kv: this.engine.get(key), revision: this.engine.revision() }; }
  async count(prefix: string) { return this.engine.count(prefix); }
  async currentRevision() { return this.engine.revision(); }

  async range(prefix: string, options: ListOptions = {}) {
    const kvs = this.engine.range(prefix, options);
    const more = options.limit !== undefined && kvs.length > options.limit;
    if (more) kvs.length = options.limit!;
    return { kvs, revision: this.engine.revision(), more };
  }

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
    const fn = () => {
      const current = this.engine.revision();
      for (const c of compares) {
        if ((this.engine.get(c.key)?.modRevision ?? 0) !== c.modRevision) return { succeeded: false, revision: current };
      }
      return { succeeded: true, revision: this.apply(this.resolve(ops)) };
    };
    if (!this.engine.groupCommit) return this.commit(fn);
    return new Promise<TxnResult>((resolve, reject) => {
      this.queued.push({ fn, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  flushWrites() { if (this.queued.length) this.flush(); }

  /** Transactions waiting for the group commit (engine.groupCommit). */
  private queued: { fn: () => TxnResult; resolve: (r: TxnResult) => void; reject: (err: unknown) => void }[] = [];

  /** Commits the queued transactions in one engine transaction, each as a nested step (one that
   *  throws, e.g. on a lease gone, undoes only its own writes), then delivers their events and
   *  settles them in order. If the engine's commit fails, every one of them fails. */
  private flush() {
    if (this.queued.length === 0) return; // flushed early (flushWrites)
    const batch = this.queued;
    this.queued = [];
    const outcomes: ({ ok: true; result: TxnResult; events: WatchEvent[] } | { ok: false; error: unknown })[] = [];
    try {
      this.engine.atomic(() => {
        for (const item of batch) {
          this.events = [];
          const events = this.events;
          try {
            outcomes.push({ ok: true, result: this.engine.atomic(item.fn), events });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    } finally {
      this.events = [];
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        this.pending.push(...outcome.events);
        this.deliver();
        item.resolve(outcome.result);
      } else {
        item.reject(outcome.error);
      }
    });
  }

  watch(prefix: string, fromRevision: number, listener: (event: WatchEvent) => void, options: WatchOptions = {}): Unwatch {
    const past = this.engine.history(prefix, fromRevision);
    if (!past) {
      const error = new WatchCompactedError(fromRevision, this.engine.compacted());
      let stopped = false;
      queueMicrotask(() => { if (!stopped) report(options, error); });
      return () => { stopped = true; };
    }
    const watcher: Watcher = { prefix, listener, replayedTo: this.engine.revision(), options, seq: this.watchers.nextSeq() };
    for (const event of past) call(listener, event);
    this.watchers.add(watcher);
    return () => { this.watchers.delete(watcher); };
  }

  async compact(revision: number) {
    this.engine.atomic(() => { if (revision > this.engine.compacted()) this.engine.compact(Math.min(revision, this.engine.revision())); });
  }

  async grantLease(ttlSeconds: number) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`lease TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
    const id = this.engine.atomic(() => {
      const lease = { id: this.engine.nextLeaseId(), ttl: ttlSeconds, deadline: this.now() + ttlSeconds * 1000 };
      this.engine.putLease(lease);
      return lease.id;
    });
    return { id: String(id), ttl: ttlSeconds };
  }

  async keepAlive(lease: string) {
    this.expireDue();
    return this.engine.atomic(() => {
      const record = this.lease(lease);
      if (!record) return undefined;
      this.engine.putLease({ ...record, deadline: this.now() + record.ttl * 1000 });
      return record.ttl;
    });
  }

  async revokeLease(lease: string) {
    const record = this.lease(lease);
    if (!record) return false;
    this.commit(() => this.revoke(record.id));
    return true;
  }

  async leaseInfo(lease: string): Promise<LeaseInfo | undefined> {
    this.expireDue();
    const record = this.lease(lease);
    if (!record) return undefined;
    const remaining = Math.max(0, Math.ceil((record.deadline - this.now()) / 1000));
    return { id: lease, ttl: record.ttl, remaining, keys: this.engine.leaseKeys(record.id).sort() };
  }

  /** Ends every lease whose deadline has passed on the store's clock; resolves how many ended. */
  async expireLeases() { return this.expireDue(); }

  /** Deletes everything, history included. Watches that can recover (an onError) end with
   *  WatchCompactedError, so a reflected view (reflect.ts) lists again instead of keeping what
   *  is gone; the others keep watching (they see what is written next). */
  async wipe() {
    this.engine.atomic(() => this.engine.wipe());
    const error = new WatchCompactedError(this.engine.revision(), this.engine.compacted());
    for (const w of this.watchers.all()) {
      if (!w.options.onError) continue;
      this.watchers.delete(w);
      report(w.options, error);
    }
  }
  async close() { this.flushWrites(); clearInterval(this.timer); this.watchers.clear(); await this.engine.close(); }

  private now() { return this.clock.now().getTime(); }

  private lease(id: string) { return /^\d+$/.test(id) ? this.engine.lease(Number(id)) : undefined; }

  private expireDue() {
    const due = this.engine.expiredLeases(this.now());
    for (const id of due) this.commit(() => { if (this.engine.lease(id)) this.revoke(id); });
    return due.length;
  }

  /** Deletes the lease's keys at one new revision (inside commit). */
  private revoke(id: number) {
    const keys = this.engine.leaseKeys(id);
    this.engine.deleteLease(id);
    this.apply(keys.map((key) => ({ type: 'delete', key })));
  }

  /** Runs fn atomically and delivers the events it produced. */
  private commit<T>(fn: () => T): T {
    this.events = [];
    const events = this.events;
    let result: T;
    try {
      result = this.engine.atomic(fn);
    } finally {
      this.events = [];
    }
    this.pending.push(...events);
    this.deliver();
    return result;
  }
  private events: WatchEvent[] = [];

  /** Writes ops at the next revision (inside commit); returns the revision after them. */
  private apply(ops: WriteOp[]) {
    const current = this.engine.revision();
    if (ops.length === 0) return current;
    const before = this.events.length;
    this.engine.write(current + 1, ops, this.events);
    return this.events.length > before ? current + 1 : current;
  }

  /** Checks leases and turns counter adds into puts, before anything is written. */
  private resolve(ops: Op[]): WriteOp[] {
    const counters = new Map<string, string | undefined>();
    return ops.map((op): WriteOp => {
      if (op.type === 'delete') { counters.set(op.key, undefined); return op; }
      if (op.type === 'put') {
        counters.set(op.key, op.value);
        if (op.lease === undefined) return { ...op, lease: 0 };
        const lease = this.lease(op.lease);
        if (!lease) throw new LeaseNotFoundError(op.lease);
        return { ...op, lease: lease.id };
      }
      const value = counterAdd(op.key, counters.has(op.key) ? counters.get(op.key) : this.engine.get(op.key)?.value, op.delta);
      counters.set(op.key, value);
      return { type: 'put', key: op.key, value, lease: 0 };
    });
  }

  private deliver() {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let event = this.pending.shift(); event; event = this.pending.shift()) {
        for (const w of this.watchers.matching(event.key)) {
          if (event.revision > w.replayedTo && !w.removed) call(w.listener, event);
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** The counter's next value; a key holding something other than an integer is an error. */
export function counterAdd(key: string, current: string | undefined, delta: number): string {
  if (!Number.isSafeInteger(delta)) throw new Error(`counter ${key}: delta ${delta} is not an integer`);
  if (current !== undefined && !/^-?\d+$/.test(current)) throw new Error(`counter ${key} holds ${JSON.stringify(current)}, not an integer`);
  return String(Number(current ?? '0') + delta);
}

function call(listener: (event: WatchEvent) => void, event: WatchEvent) {
  try { listener(event); } catch (err) { console.error('watch listener failed', err); }
}

export function report(options: WatchOptions, error: Error) {
  if (options.onError) {
    try { options.onError(error); } catch (err) { console.error('watch onError failed', err); }
  } else {
    console.error(`watch ended: ${error.message}`);
  }
}

/** Events kept for watch replay; older ones are compacted. */
export const HISTORY_LIMIT = 10_000;
