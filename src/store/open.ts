// Opens a store from a URL: memory://, sqlite:///path/to/file.db, etcd://host:2379[,host2:2379…][/namespace],
// or a data directory (→ <dir>/berth.db).
import { join } from 'node:path';
import type { Clock } from '../common/ids.js';
import { openEtcdStore } from './etcd.js';
import { openMemoryStore } from './memory.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** Lease deadlines of the in-process drivers run on this clock (etcd keeps its own time). */
  clock?: Clock;
}

export function openStore(spec: string, options: OpenStoreOptions = {}): Store {
  if (spec === 'memory://' || spec === 'memory') return openMemoryStore(options);
  if (spec.startsWith('sqlite://')) return openSqliteStore(spec.slice('sqlite://'.length), options);
  if (spec.startsWith('etcd://')) return openEtcdStore(spec);
  if (spec.includes('://')) throw new Error(`unknown store ${spec} (use memory://, sqlite:///file, etcd://host:2379 or a data directory)`);
  return openSqliteStore(join(spec, 'berth.db'), options);
}
