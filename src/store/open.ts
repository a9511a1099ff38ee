// Opens a store from a URL: memory://, sqlite:///path/to/file.db, or a data directory.
import { join } from 'node:path';
import { openMemoryStore } from './memory.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export function openStore(spec: string): Store {
  if (spec === 'memory://' || spec === 'memory') return openMemoryStore();
  if (spec.startsWith('sqlite://')) return openSqliteStore(spec.slice('sqlite://'.length));
  if (spec.includes('://')) throw new Error(`unknown store ${spec} (use memory://, sqlite:///file or a data directory)`);
  return openSqliteStore(join(spec, 'berth.db'));
}
