// Sends task health to the server over the ACS socket (TaskHealthRequest, a Berth extension of the
// protocol: SubmitTaskStateChange has no health fields). Only changes go out; after a reconnect
// everything is sent again.
import type { AgentMessage } from '../protocol/acs.js';
import { healthOf, type TaskState } from './task-state.js';

export class HealthReporter {
  private readonly sent = new Map<string, string>();

  /** send returns false when there is no connection (the state goes out after the next connect). */
  constructor(private readonly send: (msg: AgentMessage) => boolean, private readonly cluster: string, private readonly instance: string) {}

  notify(t: TaskState): void {
    const health = healthOf(t);
    if (!health) return;
    const signature = JSON.stringify(health);
    if (this.sent.get(t.arn) === signature) return;
    if (this.send({ type: 'TaskHealthRequest', message: { cluster: this.cluster, containerInstance: this.instance, tasks: [health] } })) {
      this.sent.set(t.arn, signature);
    }
    if (t.known === 'STOPPED') this.sent.delete(t.arn);
  }

  resendAll(tasks: TaskState[]): void {
    this.sent.clear();
    for (const t of tasks) if (t.known !== 'STOPPED') this.notify(t);
  }
}
