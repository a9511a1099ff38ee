// One store interface, shaped like etcd (k3s's kine taught us this): revisions, compare-and-swap,
// multi-key transactions and watches from a revision. Drivers: memory, sqlite, (later) etcd.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was created. */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
  /** Number of writes since creation (1 after create). */
  version: number;
}

export interface ListOptions {
  /** Return at most this many keys. */
  limit?: number;
  /** Return only keys strictly greater than this one (for pagination). */
  startAfter?: string;
}

/** A transaction guard. `modRevision: 0` means "the key must not exist". */
export interface Compare {
  key: string;
  modRevision: number;
}

export type Op =
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string };

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

export interface Store {
  readonly name: string;
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<KeyValue[]>;
  count(prefix: string): Promise<number>;
  /** Creates a key that must not exist yet; resolves false if it exists. */
  create(key: string, value: string): Promise<boolean>;
  /** Writes a key; with `expectedModRevision`, only if it still has that revision. */
  update(key: string, value: string, expectedModRevision?: number): Promise<boolean>;
  delete(key: string, expectedModRevision?: number): Promise<boolean>;
  /** All compares hold → every op applies atomically at one new revision; else nothing. */
  txn(compares: Compare[], ops: Op[]): Promise<TxnResult>;
  /** Events for keys under prefix with revision > fromRevision, then live ones. */
  watch(prefix: string, fromRevision: number, listener: (event: WatchEvent) => void): Unwatch;
  currentRevision(): Promise<number>;
  /** Removes every key (the /_berth/reset endpoint). */
  wipe(): Promise<void>;
  close(): Promise<void>;
}
