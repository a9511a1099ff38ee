// One server per data directory: `berth server` holds <database>.lock while it runs, naming its
// pid, host and URL. A second server on the same data refuses to start and says who holds it,
// instead of silently sharing the database (and re-registering the same local agent). A lock
// whose process is gone (kill -9, power loss) is stale and taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export interface LockHolder { pid: number; host: string; startedAt: string; url?: string }

export class DataLockedError extends Error {
  constructor(readonly file: string, readonly holder: LockHolder) {
    super(`the data at ${dirname(file)} is in use by another berth server (pid ${holder.pid} on ${holder.host}`
      + `${holder.url ? `, ${holder.url}` : ''}, since ${holder.startedAt}; lock file ${file}). `
      + 'Stop that server first, or give this one its own --data directory (or --store memory://).');
    this.name = 'DataLockedError';
  }
}

/** The database file a store spec writes to, or undefined for memory:// and etcd://. */
export function databaseFile(spec: string): string | undefined {
  if (spec === 'memory://' || spec === 'memory' || spec.startsWith('etcd://')) return undefined;
  if (spec.startsWith('sqlite://')) return spec.slice('sqlite://'.length);
  if (spec.includes('://')) return undefined;
  return join(spec, 'berth.db');
}

/** Lock files this process holds (a second in-process server on the same data is refused too). */
const held = new Set<string>();

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
};

export interface DataLock {
  readonly file: string;
  /** Records the URL the server listens on, for the next one's error message. */
  setUrl(url: string): void;
  release(): void;
}

/** Takes the lock beside `dbFile`; throws DataLockedError while a live process holds it. */
export function lockData(dbFile: string): DataLock {
  const file = `${dbFile}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      held.add(file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = readHolder(file);
      if (holder && holder.pid === process.pid && held.has(file)) throw new DataLockedError(file, holder);
      if (holder && holder.host === me.host && holder.pid !== process.pid && alive(holder.pid)) throw new DataLockedError(file, holder);
      if (holder && holder.host !== me.host) throw new DataLockedError(file, holder);
      // Stale (its process is gone) or unreadable: take it over.
      try { unlinkSync(file); } catch { /* gone meanwhile */ }
    }
  }
  let released = false;
  return {
    file,
    setUrl(url) { if (!released) writeFileSync(file, JSON.stringify({ ...me, url })); },
    release() {
      if (released) return;
      released = true;
      held.delete(file);
      if (readHolder(file)?.pid === process.pid) { try { unlinkSync(file); } catch { /* already gone */ } }
    },
  };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, startedAt: String(v.startedAt), url: v.url } : undefined;
  } catch {
    return undefined;
  }
}
