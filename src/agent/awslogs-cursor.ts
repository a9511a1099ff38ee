// Where each awslogs container's shipping stands, in the agent's state dir
// (awslogs/<container id>.json, written atomically like state.json):
//   cursor   the last line shipped: its engine time and how many lines carried exactly that time
//            (lines sharing a nanosecond timestamp are told apart by count)
//   pending  a batch sent but not known to have landed: where the cursor goes once it has, and
//            how to recognise it in the stream (count, time range, hash of its events)
//   done     the container exited and everything it wrote was shipped
// After a kill -9 the agent resumes from the cursor; a pending batch is looked up in the stream
// first, so it is sent again only if it never arrived (at-least-once, no duplicates).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LineCursor { time: string; n: number }

export interface PendingBatch {
  to: LineCursor;
  count: number;
  firstMs: number;
  lastMs: number;
  hash: string;
}

export interface ShipState {
  group: string;
  stream: string;
  cursor?: LineCursor;
  pending?: PendingBatch;
  done?: boolean;
}

export interface LogEventOut { timestamp: number; message: string }

/** A digest of a batch's events (timestamps and messages, in order). */
export function batchHash(events: LogEventOut[]): string {
  const h = createHash('sha256');
  for (const e of events) h.update(`${e.timestamp}\u0000${e.message}\u0001`);
  return h.digest('hex');
}

export class CursorStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'awslogs');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(containerId: string) { return join(this.dir, `${containerId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`); }

  load(containerId: string): ShipState | undefined {
    const f = this.file(containerId);
    return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) as ShipState : undefined;
  }

  save(containerId: string, state: ShipState): void {
    const f = this.file(containerId);
    const tmp = `${f}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, f);
  }

  remove(containerId: string): void {
    rmSync(this.file(containerId), { force: true });
  }
}
