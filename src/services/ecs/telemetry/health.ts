// PublishHealthRequest → the tasks' healthStatus (the agent's container health checks), and
// PublishInstanceStatusRequest → the instance's status checks. Only tasks of the reporting instance
// are touched; a record is written only when something changed.
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { Records } from '../../../common/records.js';
import type { HealthStatus, TaskHealth } from '../../../protocol/acs.js';
import type { InstanceStatus, PublishHealthRequest, PublishInstanceStatusRequest } from '../../../protocol/tcs.js';
import type { RequestContext } from '../../context.js';
import type { DefinitionCache } from '../acs/acs-tasks.js';
import { db } from '../model/common.js';
import { instanceIdOf, parseTaskRef } from '../model/task-model.js';
import { applyHealth } from '../model/task-state.js';
import { modifyTask } from '../model/task-store.js';

const HEALTH: readonly string[] = ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'];
/** At most this many tasks of one message are looked at (the agent sends 10 per message). */
const MAX_TASKS = 100;

/** ECS's task health from its containers': UNHEALTHY if an essential container is, HEALTHY when
 *  every essential container with a health check is, else UNKNOWN. */
export function taskHealthOf(def: TaskDefinition | undefined, containers: TaskHealth['containers']): HealthStatus {
  const checked = (def?.containerDefinitions ?? []).filter((c) => (c.essential ?? true) && c.healthCheck?.command?.length);
  const of = (name: string | undefined) => containers.find((c) => c.containerName === name)?.healthStatus ?? 'UNKNOWN';
  if (checked.some((c) => of(c.name) === 'UNHEALTHY')) return 'UNHEALTHY';
  if (checked.length > 0 && checked.every((c) => of(c.name) === 'HEALTHY')) return 'HEALTHY';
  return 'UNKNOWN';
}

export async function ingestHealth(ctx: RequestContext, cache: DefinitionCache, cluster: string, instanceId: string, req: PublishHealthRequest) {
  for (const th of (req.tasks ?? []).slice(0, MAX_TASKS)) {
    if (typeof th?.taskArn !== 'string') continue;
    let ref: { id: string; cluster?: string };
    try { ref = parseTaskRef(th.taskArn); } catch { continue; }
    const taskCluster = ref.cluster ?? cluster;
    const task = await db(ctx).tasks.get(ctx, `${taskCluster}/${ref.id}`);
    if (!task?.containerInstanceArn || instanceIdOf(task.containerInstanceArn) !== instanceId) continue;
    const containers = (th.containers ?? [])
      .filter((c) => typeof c?.containerName === 'string' && HEALTH.includes(c.healthStatus ?? ''))
      .map((c) => ({ containerName: c.containerName!, healthStatus: c.healthStatus! }));
    const healthStatus = taskHealthOf(await cache.get(ctx, task.taskDefinitionArn ?? ''), containers);
    await modifyTask(ctx, taskCluster, ref.id, (t) => t.containerInstanceArn && instanceIdOf(t.containerInstanceArn) === instanceId
      ? applyHealth(t, { taskArn: th.taskArn!, healthStatus, containers }) : undefined);
  }
}

/** The latest status checks an instance's agent published (`instance-status/<cluster>/<id>`). */
export interface InstanceStatusRecord { statuses: { type: string; status: string; lastUpdated?: string; lastStatusChange?: string }[] }

export const instanceStatusRecords = (ctx: RequestContext) => new Records<InstanceStatusRecord>(ctx.app.store, 'ecs', 'instance-status');

const STATUSES: readonly string[] = ['OK', 'IMPAIRED', 'INSUFFICIENT_DATA', 'INITIALIZING'];

export async function ingestInstanceStatus(ctx: RequestContext, cluster: string, instanceId: string, req: PublishInstanceStatusRequest) {
  const statuses = (req.statuses ?? []).slice(0, 20)
    .filter((s): s is InstanceStatus & { type: string; status: string } => typeof s?.type === 'string' && STATUSES.includes(s.status ?? ''))
    .map((s) => ({ type: s.type, status: s.status, lastStatusChange: iso(s.lastStatusChange) }));
  const records = instanceStatusRecords(ctx);
  const key = `${cluster}/${instanceId}`;
  const current = await records.get(ctx, key);
  // Unchanged statuses are not written again (lastUpdated would be the only difference).
  if (current && JSON.stringify(current.statuses.map(({ lastUpdated: _u, ...s }) => s)) === JSON.stringify(statuses)) return;
  const now = ctx.app.clock.now().toISOString();
  await records.put(ctx, key, { statuses: statuses.map((s) => ({ ...s, lastUpdated: now })) });
}

function iso(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
