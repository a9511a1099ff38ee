// Content-addressed blob storage on disk, shared by every repository of every account:
//   <dir>/blobs/sha256/<2 hex>/<64 hex>   a blob: complete, digest-verified, fsynced
//   <dir>/uploads/<uuid>                   an upload in progress (appended to by PATCH / UploadLayerPart)
// An upload becomes a blob only by rename after its digest is verified and its data fsynced, so a
// crash (kill -9) mid-push leaves at most a stray upload file, never a partial blob that is served.
// Bytes stream through: a layer is never held in memory whole.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class DigestMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`digest ${expected} does not match the uploaded content (${actual})`);
    this.name = 'DigestMismatchError';
  }
}

interface Running { hash: Hash; size: number }

export class BlobStore {
  /** Hash state of uploads this process has appended to, so a commit does not re-read the file. */
  private readonly running = new Map<string, Running>();

  /** `now` is the server's clock: a blob's modification time is set from it when it is stored or
   *  used, so GC's grace period runs on the same clock as everything else. */
  private constructor(readonly dir: string, private readonly now: () => Date) {}

  static async open(dir: string, now: () => Date = () => new Date()): Promise<BlobStore> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(dir, 'uploads'), { recursive: true });
    return new BlobStore(dir, now);
  }

  blobPath(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return join(this.dir, 'blobs', 'sha256', hex.slice(0, 2), hex);
  }

  private uploadPath(uuid: string): string { return join(this.dir, 'uploads', uuid); }

  /** The blob's size, or undefined when it is not stored. */
  async size(digest: string): Promise<number | undefined> {
    try { return (await stat(this.blobPath(digest))).size; } catch { return undefined; }
  }

  /** Marks the blob as just used (GC spares blobs younger than its grace period). */
  async touch(digest: string): Promise<void> {
    const now = this.now();
    await utimes(this.blobPath(digest), now, now).catch(() => {});
  }

  read(digest: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.blobPath(digest), { ...range, highWaterMark: 1 << 20 });
  }

  /** Creates the (empty) upload file. */
  async begin(uuid: string): Promise<void> {
    await (await open(this.uploadPath(uuid), 'w')).close();
    this.running.set(uuid, { hash: createHash('sha256'), size: 0 });
  }

  /** The upload's current size, or undefined when there is no such upload file. */
  async uploadSize(uuid: string): Promise<number | undefined> {
    try { return (await stat(this.uploadPath(uuid))).size; } catch { return undefined; }
  }

  /** Appends the stream to the upload; resolves the upload's new size. */
  async append(uuid: string, source: Readable | AsyncIterable<Buffer>): Promise<number> {
    const path = this.uploadPath(uuid);
    const state = await this.state(uuid);
    this.running.delete(uuid); // re-hash from disk if this append fails half-way
    await pipeline(source, async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        state.hash.update(chunk);
        state.size += chunk.length;
        yield chunk;
      }
    }, createWriteStream(path, { flags: 'a', highWaterMark: 1 << 20 }));
    this.running.set(uuid, state);
    return state.size;
  }

  /** Verifies the upload against digest, fsyncs it and renames it into place; resolves the size.
   *  Throws DigestMismatchError (the upload is kept, as the registry spec wants). */
  async commit(uuid: string, digest: string): Promise<number> {
    const path = this.uploadPath(uuid);
    const state = await this.state(uuid);
    const actual = `sha256:${state.hash.copy().digest('hex')}`;
    if (actual !== digest) throw new DigestMismatchError(digest, actual);
    this.running.delete(uuid);
    const target = this.blobPath(digest);
    if (await this.size(digest) !== undefined) {
      await unlink(path);
      await this.touch(digest);
      return state.size;
    }
    const fd = await open(path, 'r+');
    try { await fd.sync(); } finally { await fd.close(); }
    await mkdir(dirname(target), { recursive: true });
    await utimes(path, this.now(), this.now());
    await rename(path, target);
    await syncDir(dirname(target));
    return state.size;
  }

  async abort(uuid: string): Promise<void> {
    this.running.delete(uuid);
    await rm(this.uploadPath(uuid), { force: true });
  }

  async remove(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  /** Every stored blob with its modification time (for GC), one directory at a time. */
  async *blobs(): AsyncGenerator<{ digest: string; mtimeMs: number }> {
    const root = join(this.dir, 'blobs', 'sha256');
    for (const sub of await readdir(root)) {
      for (const hex of await readdir(join(root, sub)).catch(() => [] as string[])) {
        const s = await stat(join(root, sub, hex)).catch(() => undefined);
        if (s) yield { digest: `sha256:${hex}`, mtimeMs: s.mtimeMs };
      }
    }
  }

  /** The uploads that have a file (for GC of abandoned uploads). */
  async uploadFiles(): Promise<string[]> {
    return readdir(join(this.dir, 'uploads'));
  }

  private async state(uuid: string): Promise<Running> {
    const known = this.running.get(uuid);
    const size = await this.uploadSize(uuid);
    if (size === undefined) throw new Error(`upload ${uuid} has no data file`);
    if (known && known.size === size) return known;
    // After a restart (or a failed append) the hash is rebuilt from what is on disk.
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.uploadPath(uuid), { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return { hash, size };
  }
}

async function syncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try { await fd.sync(); } finally { await fd.close(); }
}
