// What the agent publishes over TCS every 20 s: per running task, per running container, CPU
// (percent of the host) and memory (MiB) from the runtime's Docker-shaped stats.
import type { TaskMetric } from '../protocol/tcs.js';
import type { Runtime } from './runtime/types.js';
import type { TaskEngine } from './task-engine.js';
import { containerMetric } from './tcs-client.js';

export async function collectMetrics(engine: TaskEngine, runtime: Runtime): Promise<TaskMetric[]> {
  // Docker's one-off stats take about a second (two samples): every container is asked at once.
  const tasks = Object.values(engine.tasks).filter((t) => t.known === 'RUNNING')
    .map((t) => ({ t, containers: t.containers.filter((c) => c.known === 'RUNNING' && c.runtimeId) }))
    .filter(({ containers }) => containers.length > 0);
  return Promise.all(tasks.map(async ({ t, containers }): Promise<TaskMetric> => {
    const containerMetrics = await Promise.all(containers.map(async (c) => containerMetric(c.name, await runtime.stats(c.runtimeId!).catch(() => undefined))));
    const td = t.desired.taskDefinition;
    return { taskArn: t.arn, taskDefinitionFamily: td.family, taskDefinitionVersion: String(td.revision ?? ''), containerMetrics };
  }));
}
