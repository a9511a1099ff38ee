// What the agent publishes over TCS every 20 s: per running task, per running container, CPU
// (percent of the host) and memory (MiB) from the runtime's Docker-shaped stats.
import type { TaskMetric } from '../protocol/tcs.js';
import type { Runtime } from './runtime/types.js';
import type { TaskEngine } from './task-engine.js';
import { containerMetric } from './tcs-client.js';

export async function collectMetrics(engine: TaskEngine, runtime: Runtime): Promise<TaskMetric[]> {
  const out: TaskMetric[] = [];
  for (const t of Object.values(engine.tasks)) {
    if (t.known !== 'RUNNING') continue;
    const containers = t.containers.filter((c) => c.known === 'RUNNING' && c.runtimeId);
    if (containers.length === 0) continue;
    const containerMetrics = await Promise.all(containers.map(async (c) => containerMetric(c.name, await runtime.stats(c.runtimeId!).catch(() => undefined))));
    const td = t.desired.taskDefinition;
    out.push({ taskArn: t.arn, taskDefinitionFamily: td.family, taskDefinitionVersion: String(td.revision ?? ''), containerMetrics });
  }
  return out;
}
