// The sqlite driver's checkpointer, on a worker thread with its own connection: copies the WAL's
// committed pages into the database file (and fsyncs it) so the main thread's commits only append
// to the WAL. A PASSIVE checkpoint never blocks the writer, but under steady writes it never
// catches up either (new frames land while it copies), and the writer starts the WAL over from its
// beginning only when every frame was copied. So once the WAL is long, a RESTART follows the
// PASSIVE pass: it holds the writer off (the main thread's busy handler waits) while it copies the
// few frames the pass missed, and the next commit starts the WAL over, which keeps it bounded.
// Stopping mid-copy is as safe as a crash: the WAL still holds every frame.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointerData { file: string; everyMs: number }
/** Past this many frames in the WAL (16 MB of 4 KB pages), it is started over. */
const RESTART_FRAMES = 4_096;

interface Checkpointed { busy: number; log: number; checkpointed: number }

const { file, everyMs } = workerData as CheckpointerData;
const db = new Database(file);
let timer: NodeJS.Timeout | undefined;
let stopped = false;

function pass() {
  timer = undefined;
  if (stopped) return;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Checkpointed[];
    if (r.log > RESTART_FRAMES) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) {
    // SQLITE_BUSY (another checkpoint, e.g. the main connection's last one at close): next time.
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
  }
  timer = setTimeout(pass, everyMs);
}

parentPort!.on('message', (message: string) => {
  if (message !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  db.close();
  parentPort!.close();
});
timer = setTimeout(pass, everyMs);
