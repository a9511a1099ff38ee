// Time for runtimes, injected (STYLE point 9): the simulated runtime and the agent take a Timers
// so tests advance a manual clock instead of sleeping.

export interface TimerHandle { cancel(): void }

export interface Timers {
  now(): Date;
  /** Runs fn after ms milliseconds of this clock. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemTimers: Timers = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface Pending { at: number; seq: number; fn: () => void; cancelled: boolean }

/** A clock that only moves when told to: advance(ms) runs due timers in time order. */
export class ManualTimers implements Timers {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date { return new Date(this.current); }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => { entry.cancelled = true; } };
  }

  /** Timers not yet run nor cancelled. */
  get size(): number { return this.pending.filter((p) => !p.cancelled).length; }

  /** Moves the clock forward, running every timer due on the way (also ones those timers add). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      const due = this.pending.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.pending.splice(this.pending.indexOf(due), 1);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = target;
  }

  /** advance() in seconds, then lets promise callbacks run (events are delivered as microtasks). */
  async tick(seconds: number): Promise<void> {
    this.advance(seconds * 1000);
    await flush();
  }
}

/** Lets queued microtasks and promise continuations run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
