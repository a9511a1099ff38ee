// etcd://host:2379[,host2:2379…][/namespace] — the store for multi-host deployments. The Store
// interface is etcd's own model, so this is mostly translation: compares/ops → /v3/kv/txn, watch
// from a revision → a /v3/watch stream (re-opened from the last delivered revision if it breaks),
// leases → /v3/lease/*. Counters (`add`) are compare-and-swap on the counter keys, retried while
// only the counters moved. Nothing is cached here: several Berth servers can share one etcd.
import { counterAdd, report } from './local.js';
import { b64, EtcdClient, EtcdError, num, prefixEnd, unb64, type EtcdHeader, type EtcdKv } from './etcd-client.js';
import {
  LeaseNotFoundError, WatchCompactedError,
  type Compare, type KeyValue, type Lease, type LeaseInfo, type ListOptions, type Op, type RangeResult, type Store, type TxnResult,
  type Unwatch, type WatchEvent, type WatchOptions,
} from './types.js';

interface RangeResponse { header: EtcdHeader; kvs?: EtcdKv[]; more?: boolean; count?: string }
type RequestOp = { request_put: object } | { request_delete_range: object } | { request_range: object };
interface ResponseOp { response_range?: RangeResponse; response_delete_range?: { deleted?: string } }
interface TxnResponse { header: EtcdHeader; succeeded?: boolean; responses?: ResponseOp[] }
interface WatchMessage {
  result?: {
    header?: EtcdHeader; created?: boolean; canceled?: boolean; compact_revision?: string; cancel_reason?: string;
    events?: { type?: 'PUT' | 'DELETE'; kv: EtcdKv; prev_kv?: EtcdKv }[];
  };
  error?: { message?: string };
}

const LEASE_NOT_FOUND = /requested lease not found/;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
const COUNTER_CACHE_LIMIT = 10_000;

export class EtcdStore implements Store {
  readonly name: string;
  /** etcd's default --max-txn-ops (a bigger txn is refused). */
  readonly maxTxnOps = 128;
  private readonly client: EtcdClient;
  private readonly ns: string;
  private readonly unwatchers = new Set<Unwatch>();
  private closed = false;
  /** Counter keys as this process last saw them, and the queue of txns adding to each. */
  private readonly counters = new Map<string, KeyValue | undefined>();
  private readonly locks = new Map<string, Promise<void>>();

  /** hosts: ["host:port", …]; namespace: a key prefix every key lives under (may be ''). */
  constructor(hosts: string[], namespace = '') {
    this.client = new EtcdClient(hosts);
    this.ns = namespace;
    this.name = `etcd:${hosts.join(',')}${namespace}`;
  }

  async get(key: string) { return (await this.read(key)).kv; }
  async list(prefix: string, options: ListOptions = {}) { return (await this.range(prefix, options)).kvs; }

  async read(key: string) {
    const res = await this.client.call<RangeResponse>('/v3/kv/range', { key: this.k(key) }, true);
    return { kv: res.kvs?.[0] && this.toKv(res.kvs[0]), revision: num(res.header.revision) };
  }

  async range(prefix: string, { limit, startAfter, descending }: ListOptions = {}): Promise<RangeResult> {
    const start = this.raw(prefix);
    let key = start.length ? start : Buffer.from([0]);
    let end = prefixEnd(start);
    if (startAfter !== undefined) {
      const after = this.raw(startAfter);
      if (descending) {
        if (Buffer.compare(after, end) < 0 || isEnd(end)) end = after;
        if (Buffer.compare(end, key) <= 0) return { kvs: [], revision: await this.currentRevision(), more: false };
      } else if (Buffer.compare(after, key) >= 0) {
        key = Buffer.concat([after, Buffer.from([0])]);
      }
    }
    const res = await this.client.call<RangeResponse>('/v3/kv/range', {
      key: b64(key), range_end: b64(end), limit: limit ?? 0, ...(descending ? { sort_order: 'DESCEND', sort_target: 'KEY' } : {}),
    }, true);
    return { kvs: (res.kvs ?? []).map((kv) => this.toKv(kv)), revision: num(res.header.revision), more: Boolean(res.more) };
  }

  async count(prefix: string) {
    const start = this.raw(prefix);
    const res = await this.client.call<RangeResponse>('/v3/kv/range',
      { key: b64(start.length ? start : Buffer.from([0])), range_end: b64(prefixEnd(start)), count_only: true }, true);
    return num(res.count);
  }

  async currentRevision() {
    const res = await this.client.call<RangeResponse>('/v3/kv/range', { key: this.k('\0'), count_only: true }, true);
    return num(res.header.revision);
  }

  async create(key: string, value: string) {
    return (await this.txn([{ key, modRevision: 0 }], [{ type: 'put', key, value }])).succeeded;
  }

  async update(key: string, value: string, expectedModRevision?: number) {
    const compares = expectedModRevision === undefined ? [] : [{ key, modRevision: expectedModRevision }];
    return (await this.txn(compares, [{ type: 'put', key, value }])).succeeded;
  }

  async delete(key: string, expectedModRevision?: number) {
    const compare = expectedModRevision === undefined ? [] : [this.compare({ key, modRevision: expectedModRevision })];
    const res = await this.client.call<TxnResponse>('/v3/kv/txn', { compare, success: [{ request_delete_range: { key: this.k(key) } }] });
    return Boolean(res.succeeded) && num(res.responses?.[0]?.response_delete_range?.deleted) > 0;
  }

  async txn(compares: Compare[], ops: Op[]): Promise<TxnResult> {
    const counters = [...new Set(ops.flatMap((op) => (op.type === 'add' ? [op.key] : [])))].sort();
    if (!counters.length) return this.commit(compares, ops, [], new Map());
    // Txns adding to one counter queue behind each other in this process (a hot counter would
    // otherwise make concurrent txns fail their compares and retry, round after round), and start
    // from the counter as this process last wrote it: one round trip when no other server wrote since.
    return this.withLocks(counters, async () => {
      const missing = counters.filter((key) => !this.counters.has(key));
      const seen = new Map(missing.length ? await this.readKeys(missing) : []);
      for (const key of counters) if (this.counters.has(key)) seen.set(key, this.counters.get(key));
      return this.commit(compares, ops, counters, seen);
    });
  }

  /** The txn, retried with fresh counter values while only the counters' compares failed. */
  private async commit(compares: Compare[], ops: Op[], counters: string[], seen: Map<string, KeyValue | undefined>): Promise<TxnResult> {
    for (;;) {
      const guards = [...compares, ...counters.map((key) => ({ key, modRevision: seen.get(key)?.modRevision ?? 0 }))];
      const { requests, values } = this.requests(ops, seen);
      const body = {
        compare: guards.map((c) => this.compare(c)),
        success: requests,
        // on failure, read what was compared: was it the caller's compares, or only the counters?
        failure: counters.length ? guards.map((c) => ({ request_range: { key: this.k(c.key) } })) : [],
      };
      let res: TxnResponse;
      try {
        res = await this.client.call<TxnResponse>('/v3/kv/txn', body);
      } catch (err) {
        for (const key of counters) this.counters.delete(key);
        throw await this.leaseError(err, ops);
      }
      const revision = num(res.header.revision);
      if (res.succeeded) {
        for (const key of counters) {
          const value = values.get(key);
          const prev = seen.get(key);
          this.remember(key, value === undefined ? undefined
            : { key, value, createRevision: prev?.createRevision || revision, modRevision: revision, version: (prev?.version ?? 0) + 1 });
        }
        return { succeeded: true, revision };
      }
      if (!counters.length) return { succeeded: false, revision };
      const now = new Map(guards.map((c, i) => [c.key, res.responses?.[i]?.response_range?.kvs?.[0]] as const));
      seen = new Map(counters.map((key) => [key, now.get(key) && this.toKv(now.get(key)!)]));
      for (const key of counters) this.remember(key, seen.get(key));
      if (compares.some((c) => num(now.get(c.key)?.mod_revision) !== c.modRevision)) return { succeeded: false, revision };
    }
  }

  watch(prefix: string, fromRevision: number, listener: (event: WatchEvent) => void, options: WatchOptions = {}): Unwatch {
    let next = fromRevision + 1;
    let stopped = false;
    let cancel = () => {};
    const start = this.raw(prefix);
    const unwatch = () => { stopped = true; cancel(); this.unwatchers.delete(unwatch); };
    this.unwatchers.add(unwatch);
    const fail = (error: Error) => { if (!stopped) { unwatch(); report(options, error); } };
    const run = async () => {
      let delay = RETRY_MIN_MS;
      while (!stopped) {
        const stream = this.client.stream('/v3/watch', {
          create_request: { key: b64(start.length ? start : Buffer.from([0])), range_end: b64(prefixEnd(start)), start_revision: next, prev_kv: true },
        }, (message) => {
          const result = (message as WatchMessage).result;
          if (stopped || !result) return;
          if (result.compact_revision && num(result.compact_revision) > 0) { fail(new WatchCompactedError(next - 1, num(result.compact_revision))); return; }
          if (result.canceled) { fail(new Error(`etcd watch on ${prefix} cancelled: ${result.cancel_reason ?? 'no reason given'}`)); return; }
          for (const e of result.events ?? []) {
            if (stopped) return;
            const revision = num(e.kv.mod_revision);
            const deleted = e.type === 'DELETE';
            next = revision + 1;
            call(listener, { type: deleted ? 'delete' : 'put', key: this.unk(e.kv.key), value: unb64(deleted ? e.prev_kv?.value : e.kv.value), revision });
          }
          delay = RETRY_MIN_MS;
        });
        cancel = stream.cancel;
        await stream.done.catch(() => undefined);
        if (stopped || this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    };
    void run();
    return unwatch;
  }

  async compact(revision: number) {
    // etcd's compaction at N keeps revision N's events (a watch may start at N); ours drops them.
    const target = Math.min(revision + 1, await this.currentRevision());
    try {
      await this.client.call('/v3/kv/compaction', { revision: target });
    } catch (err) {
      if (!(err instanceof EtcdError && /compacted/.test(err.message))) throw err;
    }
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`lease TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
    const res = await this.client.call<{ ID: string; TTL: string }>('/v3/lease/grant', { TTL: ttlSeconds });
    return { id: res.ID, ttl: num(res.TTL) };
  }

  async keepAlive(lease: string) {
    for (let attempt = 1; ; attempt++) {
      let ttl: number | undefined;
      const stream = this.client.stream('/v3/lease/keepalive', { ID: lease }, (message) => {
        ttl = num((message as { result?: { TTL?: string } }).result?.TTL) || undefined;
        stream.cancel();
      });
      try {
        await stream.done;
        return ttl;
      } catch (err) {
        // a keep-alive is idempotent: another endpoint may answer
        if (err instanceof EtcdError || attempt >= this.client.endpointCount) throw err;
      }
    }
  }

  async revokeLease(lease: string) {
    try {
      await this.client.call('/v3/lease/revoke', { ID: lease });
      return true;
    } catch (err) {
      if (err instanceof EtcdError && LEASE_NOT_FOUND.test(err.message)) return false;
      throw err;
    }
  }

  async leaseInfo(lease: string): Promise<LeaseInfo | undefined> {
    const res = await this.client.call<{ TTL?: string; grantedTTL?: string; keys?: string[] }>('/v3/lease/timetolive', { ID: lease, keys: true }, true);
    if (num(res.TTL) < 0) return undefined;
    const keys = (res.keys ?? []).map(unb64).filter((k) => k.startsWith(this.ns)).map((k) => k.slice(this.ns.length)).sort();
    return { id: lease, ttl: num(res.grantedTTL), remaining: num(res.TTL), keys };
  }

  async wipe() {
    const start = this.raw('');
    await this.client.call('/v3/kv/deleterange', { key: b64(start.length ? start : Buffer.from([0])), range_end: b64(prefixEnd(start)) });
  }

  async close() {
    this.closed = true;
    for (const unwatch of [...this.unwatchers]) unwatch();
    this.client.close();
  }

  private raw(key: string) { return Buffer.from(this.ns + key, 'utf8'); }
  private k(key: string) { return b64(this.ns + key); }
  private unk(key: string) { return unb64(key).slice(this.ns.length); }

  private toKv(kv: EtcdKv): KeyValue {
    const out: KeyValue = { key: this.unk(kv.key), value: unb64(kv.value), createRevision: num(kv.create_revision), modRevision: num(kv.mod_revision), version: num(kv.version) };
    if (kv.lease && kv.lease !== '0') out.lease = kv.lease;
    return out;
  }

  private compare(c: Compare) {
    return { key: this.k(c.key), target: 'MOD', result: 'EQUAL', mod_revision: c.modRevision };
  }

  /** The success branch: counters resolved against `seen`; one request per key (etcd refuses a
   *  txn that writes a key twice), the last write to a key winning as it would applied in order. */
  private requests(ops: Op[], seen: Map<string, KeyValue | undefined>) {
    const writes = new Map<string, RequestOp>();
    const values = new Map<string, string | undefined>();
    for (const op of ops) {
      writes.delete(op.key);
      if (op.type === 'delete') {
        values.set(op.key, undefined);
        writes.set(op.key, { request_delete_range: { key: this.k(op.key) } });
        continue;
      }
      const value = op.type === 'put' ? op.value : counterAdd(op.key, values.has(op.key) ? values.get(op.key) : seen.get(op.key)?.value, op.delta);
      values.set(op.key, value);
      const lease = op.type === 'put' && op.lease !== undefined ? { lease: op.lease } : {};
      writes.set(op.key, { request_put: { key: this.k(op.key), value: b64(value), ...lease } });
    }
    return { requests: [...writes.values()], values };
  }

  /** The last known state of a counter key (a hint: the txn's compare catches a stale one). */
  private remember(key: string, kv: KeyValue | undefined) {
    if (this.counters.size >= COUNTER_CACHE_LIMIT) this.counters.clear();
    this.counters.set(key, kv);
  }

  private async withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    for (const key of keys) releases.push(await this.lock(key)); // sorted keys: no lock-order deadlock
    try { return await fn(); } finally { for (const release of releases) release(); }
  }

  private lock(key: string): Promise<() => void> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = prev.then(() => mine);
    this.locks.set(key, tail);
    return prev.then(() => () => { release(); if (this.locks.get(key) === tail) this.locks.delete(key); });
  }

  private async readKeys(keys: string[]) {
    const res = await this.client.call<TxnResponse>('/v3/kv/txn', { success: keys.map((key) => ({ request_range: { key: this.k(key) } })) }, true);
    return new Map(keys.map((key, i) => {
      const kv = res.responses?.[i]?.response_range?.kvs?.[0];
      return [key, kv && this.toKv(kv)] as const;
    }));
  }

  /** etcd says "requested lease not found" without naming it: find which of the txn's leases is gone. */
  private async leaseError(err: unknown, ops: Op[]) {
    if (!(err instanceof EtcdError && LEASE_NOT_FOUND.test(err.message))) return err;
    const leases = [...new Set(ops.flatMap((op) => (op.type === 'put' && op.lease !== undefined ? [op.lease] : [])))];
    for (const lease of leases) if (leases.length === 1 || !(await this.leaseInfo(lease))) return new LeaseNotFoundError(lease);
    return err;
  }
}

function isEnd(end: Buffer) { return end.length === 1 && end[0] === 0; }

function call(listener: (event: WatchEvent) => void, event: WatchEvent) {
  try { listener(event); } catch (err) { console.error('watch listener failed', err); }
}

/** etcd://h1:2379,h2:2379/namespace → endpoints and key namespace. */
export function openEtcdStore(url: string) {
  const rest = url.slice('etcd://'.length);
  const slash = rest.indexOf('/');
  const hosts = (slash < 0 ? rest : rest.slice(0, slash)).split(',').filter(Boolean);
  const namespace = slash < 0 ? '' : rest.slice(slash).replace(/\/+$/, '');
  if (hosts.length === 0) throw new Error(`etcd store URL ${url} names no endpoint (etcd://host:2379[,host2:2379…][/namespace])`);
  return new EtcdStore(hosts, namespace);
}
