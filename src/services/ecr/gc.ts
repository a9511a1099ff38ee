// Garbage collection of blob storage: a blob no manifest references (no ref key under
// /ecr/_/_/ref/<digest>/) and older than the grace period is deleted, as are abandoned uploads
// (session or stray file older than the grace period). Blobs are shared by every repository of
// every account, which is why the references are server-wide keys. A blob pushed moments ago is
// spared by the grace period: a push links its layers before its manifest references them.
import type { AppContext } from '../context.js';
import type { BlobStore } from './blobs.js';
import { GLOBAL, refPrefix, uploads } from './model.js';

export interface GcResult { blobsRemoved: number; bytesFreed: number; uploadsRemoved: number }

export async function collectGarbage(app: AppContext, blobs: BlobStore, graceSeconds: number): Promise<GcResult> {
  const cutoff = app.clock.now().getTime() - graceSeconds * 1000;
  const result: GcResult = { blobsRemoved: 0, bytesFreed: 0, uploadsRemoved: 0 };
  // Files first, then sessions: a session is created before its file, so a file listed here whose
  // session is missing (or too old) afterwards is abandoned.
  const files = await blobs.uploadFiles();
  const live = new Set<string>();
  for (const s of await uploads(app.store).listVersioned(GLOBAL)) {
    if (new Date(s.value.startedAt).getTime() > cutoff) { live.add(s.value.uuid); continue; }
    await app.store.delete(s.key, s.revision);
  }
  for (const uuid of files) {
    if (live.has(uuid)) continue;
    await blobs.abort(uuid);
    result.uploadsRemoved++;
  }
  for await (const b of blobs.blobs()) {
    if (b.mtimeMs > cutoff) continue;
    if ((await app.store.list(refPrefix(b.digest), { limit: 1 })).length) continue;
    result.bytesFreed += await blobs.size(b.digest) ?? 0;
    await blobs.remove(b.digest);
    result.blobsRemoved++;
  }
  return result;
}

/** Runs a task every intervalSeconds (0: never on its own); one run at a time. */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly name: string, private readonly task: () => Promise<unknown>, intervalSeconds: number) {
    if (intervalSeconds > 0) {
      this.timer = setInterval(() => { void this.runOnce().catch((err: Error) => console.error(`ecr ${this.name}: ${err.message}`)); }, intervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Runs the task now (after the run in progress, if any); resolves its result. */
  async runOnce<T>(): Promise<T> {
    while (this.running) await this.running.catch(() => {});
    const run = this.task();
    this.running = run;
    try { return await run as T; } finally { this.running = undefined; }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
