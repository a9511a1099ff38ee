// Opens a store from a URL: memory://, sqlite:///path/to/file.db, etcd://host:2379[,host2:2379…][/namespace],
// or a data directory (→ <dir>/berth.db).
import { join } from 'node:path';
import { openEtcdStore } from './etcd.js';
import { openMemoryStore } from './memory.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export function openStore(spec: string): Store {
  if (spec === 'memory://' || spec === 'memory') return openMemoryStore();
  if (spec.startsWith('sqlite://')) return openSqliteStore(spec.slice('sqlite://'.length));
  if (spec.startsWith('etcd://')) return openEtcdStore(spec);
  if (spec.includes('://')) throw new Error(`unknown store ${spec} (use memory://, sqlite:///file, etcd://host:2379 or a data directory)`);
  return openSqliteStore(join(spec, 'berth.db'));
}
