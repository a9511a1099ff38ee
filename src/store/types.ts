// One store interface, shaped like etcd (k3s's kine taught us this): revisions, compare-and-swap,
// multi-key transactions, watches from a revision, leases and counters. Drivers: memory, sqlite, etcd.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was created. */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
  /** Number of writes since creation (1 after create). */
  version: number;
  /** The lease the key is attached to; absent when it has none. */
  lease?: string;
}

export interface ListOptions {
  /** Return at most this many keys. */
  limit?: number;
  /** Return only keys after this one in the listing order (greater; smaller when descending). */
  startAfter?: string;
  /** Largest key first. With limit 1, one key read answers "what is the latest" (e.g. the newest
   *  revision of a task definition family whose keys sort by revision). */
  descending?: boolean;
}

/** A read and the store revision it saw. */
export interface ReadResult {
  kv: KeyValue | undefined;
  revision: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** The store revision the range was read at: watch from it to follow what changes next. */
  revision: number;
  /** More keys match than `limit` let through. */
  more: boolean;
}

/** A transaction guard. `modRevision: 0` means "the key must not exist". */
export interface Compare {
  key: string;
  modRevision: number;
}

export type Op =
  /** With `lease`, the key is attached to that lease (and deleted when it expires or is revoked);
   *  without, a put detaches the key from any lease it had (etcd semantics). */
  | { type: 'put'; key: string; value: string; lease?: string }
  | { type: 'delete'; key: string }
  /** A counter: the key's value (a decimal integer, missing = 0) plus delta, in the same revision as
   *  the other ops. Counters kept this way (running tasks per cluster, …) never drift from the records. */
  | { type: 'add'; key: string; delta: number };

export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (unchanged if it did not succeed). */
  revision: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value for put; the last value for delete. */
  value: string;
  revision: number;
}

export type Unwatch = () => void;

export interface WatchOptions {
  /** The watch ended and will deliver nothing more (e.g. WatchCompactedError: re-list, then watch
   *  from the revision the list returned). Without it the error is logged. */
  onError?: (error: Error) => void;
}

/** The revisions a watch needed are gone: the caller re-lists and watches from the new revision. */
export class WatchCompactedError extends Error {
  constructor(readonly fromRevision: number, readonly compactRevision: number) {
    super(`watch from revision ${fromRevision}: history has been compacted up to revision ${compactRevision}`);
    this.name = 'WatchCompactedError';
  }
}

/** A put named a lease that does not exist (never granted, expired or revoked). Nothing was written. */
export class LeaseNotFoundError extends Error {
  constructor(readonly lease: string) {
    super(`lease ${lease} not found`);
    this.name = 'LeaseNotFoundError';
  }
}

export interface Lease {
  /** Opaque id (etcd's int64 lease id, as a decimal string). */
  id: string;
  /** Seconds the lease lives without a keep-alive. */
  ttl: number;
}

export interface LeaseInfo extends Lease {
  /** Seconds left before it expires. */
  remaining: number;
  /** Keys attached to it, sorted. */
  keys: string[];
}

export interface Store {
  readonly name: string;
  /** True when a write's watch events reach every listener before the write's promise resolves
   *  (memory, sqlite: one process). A process-local view fed by a watch is then never older than
   *  its owner's own writes; otherwise (etcd) the owner waits for its watch to catch up. */
  readonly syncWatch?: boolean;
  /** Commits now the transactions a group-committing store (sqlite) holds for the end of this
   *  turn of the event loop: for a caller holding a lock others wait on. Absent: nothing waits. */
  flushWrites?(): void;
  /** The most compares, or operations, one txn may hold (etcd: its --max-txn-ops, 128 by
   *  default). Absent: no limit. */
  readonly maxTxnOps?: number;
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<KeyValue[]>;
  /** get, plus the store revision it read at. */
  read(key: string): Promise<ReadResult>;
  /** list, plus the revision it read at and whether the limit cut it short. */
  range(prefix: string, options?: ListOptions): Promise<RangeResult>;
  count(prefix: string): Promise<number>;
  /** Creates a key that must not exist yet; resolves false if it exists. */
  create(key: string, value: string): Promise<boolean>;
  /** Writes a key; with `expectedModRevision`, only if it still has that revision. */
  update(key: string, value: string, expectedModRevision?: number): Promise<boolean>;
  delete(key: string, expectedModRevision?: number): Promise<boolean>;
  /** All compares hold → every op applies atomically at one new revision; else nothing.
   *  A put naming a missing lease rejects with LeaseNotFoundError (nothing written). */
  txn(compares: Compare[], ops: Op[]): Promise<TxnResult>;
  /** Events for keys under prefix with revision > fromRevision, then live ones. Never throws: a
   *  fromRevision older than the kept history is reported to options.onError (WatchCompactedError). */
  watch(prefix: string, fromRevision: number, listener: (event: WatchEvent) => void, options?: WatchOptions): Unwatch;
  currentRevision(): Promise<number>;
  /** Drops watch history up to and including revision (watches from before it get WatchCompactedError). */
  compact(revision: number): Promise<void>;

  /** A lease that expires ttlSeconds from now unless kept alive. Granting does not move the revision. */
  grantLease(ttlSeconds: number): Promise<Lease>;
  /** Restarts the lease's TTL; resolves the TTL, or undefined if the lease is gone. */
  keepAlive(lease: string): Promise<number | undefined>;
  /** Ends the lease now, deleting its keys (one revision, delete events); false if it was gone. */
  revokeLease(lease: string): Promise<boolean>;
  leaseInfo(lease: string): Promise<LeaseInfo | undefined>;

  /** Removes every key (the /_berth/reset endpoint). */
  wipe(): Promise<void>;
  close(): Promise<void>;
}
