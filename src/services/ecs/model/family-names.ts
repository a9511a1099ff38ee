// The family names of one account and region, in the order the store keeps their records, held in
// memory and fed by a watch on the family records' prefix: ListTaskDefinitionFamilies (status
// ALL) pages through them without reading 100 records from the store per page.
//
// Only on stores whose watch events reach every listener before the write resolves
// (store.syncWatch: memory, SQLite): the names are then never older than a write acknowledged to
// anyone. Elsewhere (etcd) familyNamesPage() answers undefined and the caller reads the store.
// Kept by store/reflect.ts (list, then watch from the list's revision); when the watch ends
// (compaction, a wiped store) reads wait for the re-list.
import { reflect } from '../../../store/reflect.js';
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
  /** Resolves once the names reflect the store (again, after the watch ended and a re-list). */
  private ready!: Promise<void>;
  private resolve!: () => void;

  constructor(store: Store, private readonly prefix: string) {
    this.stale();
    reflect(store, prefix, {
      onList: (kvs) => { this.names = kvs.map((kv) => kv.key.slice(prefix.length)); this.resolve(); },
      // Events replayed after a paged list may repeat what a later page showed: applying a put of
      // a present name or a delete of an absent one changes nothing, so in order they converge.
      onEvent: (e) => this.apply(e),
      onStale: () => this.stale(),
    }, { pageSize: PAGE });
  }

  async current(): Promise<string[]> {
    await this.ready;
    return this.names;
  }

  private stale() { this.ready = new Promise<void>((resolve) => { this.resolve = resolve; }); }

  private apply(e: WatchEvent) {
    const name = e.key.slice(this.prefix.length);
    const i = lowerBound(this.names, name, true);
    const present = this.names[i] === name;
    if (e.type === 'put' && !present) this.names.splice(i, 0, name);
    else if (e.type === 'delete' && present) this.names.splice(i, 1);
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
  let i = after !== undefined && after >= namePrefix ? lowerBound(names, after, false) : lowerBound(names, namePrefix, true);
  const out: string[] = [];
  for (; i < names.length && names[i].startsWith(namePrefix); i++) {
    if (out.length === limit) return { names: out, more: true };
    out.push(names[i]);
  }
  return { names: out, more: false };
}
