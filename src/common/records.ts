// Typed JSON records over the store, keyed /<svc>/<account>/<region>/<kind>/<id> (STYLE point 5):
// per-account, per-region isolation and persistence for free.
import type { KeyValue, Store } from '../store/types.js';

export interface Scope { account: string; region: string }

export const recordKey = (svc: string, scope: Scope, kind: string, id = '') => `/${svc}/${scope.account}/${scope.region}/${kind}/${id}`;

export interface Versioned<T> { value: T; revision: number; key: string }

export class Records<T> {
  constructor(private readonly store: Store, readonly svc: string, readonly kind: string) {}

  key(scope: Scope, id: string) { return recordKey(this.svc, scope, this.kind, id); }
  prefix(scope: Scope, idPrefix = '') { return recordKey(this.svc, scope, this.kind, idPrefix); }

  async get(scope: Scope, id: string): Promise<T | undefined> {
    return (await this.getVersioned(scope, id))?.value;
  }

  async getVersioned(scope: Scope, id: string): Promise<Versioned<T> | undefined> {
    const kv = await this.store.get(this.key(scope, id));
    return kv && decode<T>(kv);
  }

  async list(scope: Scope, idPrefix = ''): Promise<T[]> {
    return (await this.store.list(this.prefix(scope, idPrefix))).map((kv) => JSON.parse(kv.value) as T);
  }

  async listVersioned(scope: Scope, idPrefix = ''): Promise<Versioned<T>[]> {
    return (await this.store.list(this.prefix(scope, idPrefix))).map((kv) => decode<T>(kv));
  }

  async create(scope: Scope, id: string, value: T) { return this.store.create(this.key(scope, id), JSON.stringify(value)); }
  async put(scope: Scope, id: string, value: T, expectedRevision?: number) {
    return this.store.update(this.key(scope, id), JSON.stringify(value), expectedRevision);
  }
  async delete(scope: Scope, id: string, expectedRevision?: number) { return this.store.delete(this.key(scope, id), expectedRevision); }
}

const decode = <T>(kv: KeyValue): Versioned<T> => ({ value: JSON.parse(kv.value) as T, revision: kv.modRevision, key: kv.key });
