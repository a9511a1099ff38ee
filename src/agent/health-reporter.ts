// Sends task health to the server as TCS PublishHealthRequest (tcs-client.ts), the way the ECS
// agent reports container health checks. Only changes go out; after a reconnect everything is
// sent again.
import type { TaskHealth } from '../protocol/acs.js';
import { healthOf, type TaskState } from './task-state.js';

export class HealthReporter {
  private readonly sent = new Map<string, string>();

  /** send resolves false when there is no connection (the state goes out after the next connect). */
  constructor(private readonly send: (tasks: TaskHealth[]) => Promise<boolean>) {}

  notify(t: TaskState): void {
    const health = healthOf(t);
    if (!health) return;
    const signature = JSON.stringify(health);
    if (this.sent.get(t.arn) === signature) return;
    this.sent.set(t.arn, signature);
    if (t.known === 'STOPPED') this.sent.delete(t.arn);
    void this.send([health]).then((ok) => { if (!ok && this.sent.get(t.arn) === signature) this.sent.delete(t.arn); });
  }

  /** Every active task's health, for a fresh connection. */
  all(tasks: TaskState[]): TaskHealth[] {
    this.sent.clear();
    const out: TaskHealth[] = [];
    for (const t of tasks) {
      const h = t.known !== 'STOPPED' ? healthOf(t) : undefined;
      if (h) { out.push(h); this.sent.set(t.arn, JSON.stringify(h)); }
    }
    return out;
  }
}
