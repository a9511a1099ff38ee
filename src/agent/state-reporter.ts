// Reports task state to the server as SubmitTaskStateChange calls: the latest state of each task
// (intermediate ones may be skipped: the server only moves forward), one call at a time per task,
// retried with backoff until the server takes it. After a reconnect everything is sent again, so
// a restarted server learns what really runs.
// Changes made together are reported together: a report goes out once the current turn of the
// event loop is over (setImmediate), so a task that went PENDING → RUNNING in one step (the
// simulated runtime pulls and starts at once) sends one report, RUNNING, not two.
import type { SubmitTaskStateChangeRequest } from '@aws-sdk/client-ecs';
import { Backoff } from './acs-client.js';
import { taskChange, type TaskState } from './task-state.js';

export interface ReporterOptions {
  /** Sends one SubmitTaskStateChange (rejects with an SDK-shaped error: $fault 'client' = refused). */
  submit(change: SubmitTaskStateChangeRequest): Promise<unknown>;
  cluster: string;
  log?(line: string): void;
  /** Retry backoff, ms (default 500 → 30,000). */
  retryMs?: [number, number];
}

interface Entry { task: TaskState; dirty: boolean; running?: Promise<void>; sent?: string; wake?: () => void; backoff?: Backoff }

export class StateReporter {
  private readonly entries = new Map<string, Entry>();
  private closed = false;
  /** Calls the server accepted (for tests and diagnostics). */
  submitted = 0;

  constructor(private readonly opts: ReporterOptions) {}

  /** The task changed: submit its current state (soon, and only if it differs from the last one sent). */
  notify(task: TaskState): void {
    if (this.closed) return;
    const entry = this.entries.get(task.arn) ?? { task, dirty: false };
    entry.task = task;
    entry.dirty = true;
    this.entries.set(task.arn, entry);
    entry.wake?.(); // a retry waiting out its backoff goes now
    entry.running ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain(entry)).finally(() => { entry.running = undefined; });
  }

  /** Forget what was sent and submit every given task again (after a reconnect). */
  resendAll(tasks: TaskState[]): void {
    // Retries waiting out a long backoff (the server was unreachable) go at once, and start over.
    for (const e of this.entries.values()) { e.sent = undefined; e.backoff?.reset(); }
    for (const t of tasks) this.notify(t);
  }

  private async drain(entry: Entry): Promise<void> {
    const [min, max] = this.opts.retryMs ?? [500, 30_000];
    const backoff = entry.backoff ??= new Backoff(min, max);
    while (entry.dirty && !this.closed) {
      entry.dirty = false;
      const change = taskChange(entry.task, this.opts.cluster);
      const signature = JSON.stringify(change);
      if (signature === entry.sent) continue;
      try {
        await this.opts.submit(change);
        entry.sent = signature;
        this.submitted++;
        backoff.reset();
        if (entry.task.known === 'STOPPED' && !entry.dirty) this.entries.delete(entry.task.arn);
      } catch (err) {
        const e = err as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
        if (e.$fault === 'client') {
          // The server refuses this report (e.g. it no longer knows the task): resending cannot help.
          this.opts.log?.(`report of ${entry.task.arn} (${change.status}) refused: ${e.name}: ${e.message}`);
          entry.sent = signature;
          continue;
        }
        this.opts.log?.(`report of ${entry.task.arn} (${change.status}) failed, will retry: ${e.message}`);
        entry.dirty = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff.next());
          entry.wake = () => { clearTimeout(timer); resolve(); };
        });
        entry.wake = undefined;
      }
    }
  }

  /** Resolves once nothing is waiting to be sent (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.entries.values()].map((e) => e.running).filter((p): p is Promise<void> => p !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) e.wake?.();
  }
}
