// Service events as activity log lines (src/common/activity-log.ts): every event the scheduler
// records for a service goes to the log too, named by what it is about.
import type { AppContext } from '../../context.js';
import type { ServiceRecord } from '../model/service-model.js';

const KINDS: Array<[RegExp, string, 'info' | 'warn']> = [
  [/deployment completed\.$/, 'deployment.completed', 'info'],
  [/deployment failed/, 'deployment.failed', 'warn'],
  [/rolling back to deployment/, 'deployment.rollback', 'warn'],
  [/was unable to place a task/, 'placement.failed', 'warn'],
  [/is unable to consistently start tasks/, 'service.throttled', 'warn'],
  [/has started \d+ tasks/, 'service.tasks-started', 'info'],
  [/has stopped \d+ /, 'service.tasks-stopped', 'info'],
  [/failed container health checks/, 'task.unhealthy', 'warn'],
  [/was superseded: the agent/, 'agent.lost', 'warn'],
  [/has reached a steady state/, 'service.steady', 'info'],
];

export function logServiceEvents(app: AppContext, service: ServiceRecord, messages: readonly string[]) {
  for (const message of messages) {
    const [, event, level] = KINDS.find(([re]) => re.test(message)) ?? [undefined, 'service.event', 'info'];
    app.log[level](event, { account: service.serviceArn.split(':')[4], cluster: service.cluster, service: service.serviceName, message });
  }
}

/** Messages of events in `next` that `before` did not have. */
export const newEventMessages = (before: ServiceRecord, next: ServiceRecord) => {
  const known = new Set(before.events.map((e) => e.id));
  return next.events.filter((e) => !known.has(e.id)).map((e) => e.message ?? '');
};
