// The family names of one account and region, in the order the store keeps their records, held in
// memory and fed by a watch on the family records' prefix: ListTaskDefinitionFamilies (status
// ALL) pages through them without reading 100 records from the store per page.
//
// Only on stores whose watch events reach every listener before the write resolves
// (store.syncWatch: memory, SQLite): the names are then never older than a write acknowledged to
// anyone. Elsewhere (etcd) familyNames() answers undefined and the caller reads the store. Built
// like reflect.ts (list, then watch from the list's revision); a watch that ends (compaction, a
// wiped store) drops the names, and the next read lists again. Nothing here outlives the store:
// no timers, and the watch goes with the store's watchers when it closes.
import type { Store, WatchEvent } from '../../../store/types.js';

const PAGE = 1000;

/** The first index of `names` whose name is above (or with `inclusive`, at least) `name`. */
function lowerBound(names: string[], name: string, inclusive: boolean): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid] < name || (!inclusive && names[mid] === name)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

class FamilyNames {
  /** Sorted (family names are ASCII: JavaScript's order is the store's). */
  private names: string[] = [];
  /** The watch is on and the names are complete. */
  private live = false;
  private loading?: Promise<void>;
  private unwatch?: () => void;

  constructor(private readonly store: Store, private readonly prefix: string) {}

  async current(): Promise<string[] | undefined> {
    if (this.live) return this.names;
    this.loading ??= this.load().finally(() => { this.loading = undefined; });
    await this.loading;
    return this.live ? this.names : undefined;
  }

  private async load() {
    const names: string[] = [];
    let revision: number | undefined;
    for (let startAfter: string | undefined; ;) {
      const page = await this.store.range(this.prefix, { limit: PAGE, startAfter });
      revision ??= page.revision;
      for (const kv of page.kvs) names.push(kv.key.slice(this.prefix.length));
      if (!page.more || page.kvs.length === 0) break;
      startAfter = page.kvs[page.kvs.length - 1].key;
    }
    // Events after the first page's revision replay in order (inside watch() on these stores): a
    // name a later page already showed is added once, one deleted meanwhile is removed.
    this.names = names;
    let ended = false;
    const unwatch = this.store.watch(this.prefix, revision!, (e) => this.apply(e), { onError: () => { ended = true; this.drop(); } });
    // A watch whose history is gone says so on the next microtask: do not go live then.
    await Promise.resolve();
    if (ended) return;
    this.unwatch = unwatch;
    this.live = true;
  }

  private apply(e: WatchEvent) {
    const name = e.key.slice(this.prefix.length);
    const i = lowerBound(this.names, name, true);
    const present = this.names[i] === name;
    if (e.type === 'put' && !present) this.names.splice(i, 0, name);
    else if (e.type === 'delete' && present) this.names.splice(i, 1);
  }

  private drop() {
    this.unwatch?.();
    this.unwatch = undefined;
    this.live = false;
    this.names = [];
  }
}

const indexes = new WeakMap<Store, Map<string, FamilyNames>>();

/** One page of the family names under `prefix` (the family records' prefix of an account and
 *  region) that start with `namePrefix`, after `after` (a name; ignored when it sorts before
 *  namePrefix, as a store range ignores such a startAfter): the names and whether more follow.
 *  Undefined when the store cannot serve it from memory (not syncWatch): read the store. */
export async function familyNamesPage(store: Store, prefix: string, namePrefix: string, after: string | undefined,
  limit: number): Promise<{ names: string[]; more: boolean } | undefined> {
  if (store.syncWatch !== true) return undefined;
  let byPrefix = indexes.get(store);
  if (!byPrefix) indexes.set(store, byPrefix = new Map());
  let index = byPrefix.get(prefix);
  if (!index) byPrefix.set(prefix, index = new FamilyNames(store, prefix));
  const names = await index.current();
  if (!names) return undefined;
  let i = after !== undefined && after >= namePrefix ? lowerBound(names, after, false) : lowerBound(names, namePrefix, true);
  const out: string[] = [];
  for (; i < names.length && names[i].startsWith(namePrefix); i++) {
    if (out.length === limit) return { names: out, more: true };
    out.push(names[i]);
  }
  return { names: out, more: false };
}
