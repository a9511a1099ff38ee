// The loop of a level-triggered controller (STYLE point 8) that works in passes: one every
// `intervalMs` (skipped while one is still queued), runOnce for callers and tests, stop() waiting
// for the passes under way. Passes never overlap. A pass that throws is logged and counts as
// `failed`; the next tick tries again.
export class PeriodicPass<T> {
  private timer?: NodeJS.Timeout;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  /** Set by stop(): a pass under way should end at its next step. */
  closed = false;

  constructor(private readonly name: string, private readonly pass: () => Promise<T>, private readonly failed: () => T) {}

  /** Starts ticking (the timer does not keep the process alive). */
  every(intervalMs: number): this {
    this.timer = setInterval(() => { if (this.queued === 0) void this.runOnce(); }, intervalMs);
    this.timer.unref?.();
    return this;
  }

  /** One pass, after the one under way. */
  runOnce(): Promise<T> {
    this.queued++;
    const pass = this.chain.then(() => this.pass())
      .catch((err) => { console.error(`${this.name}: pass failed`, err); return this.failed(); })
      .finally(() => { this.queued--; });
    this.chain = pass;
    return pass;
  }

  /** Stops ticking; resolves when the passes under way have finished. */
  async stop() {
    this.closed = true;
    clearInterval(this.timer);
    await this.chain;
  }
}
