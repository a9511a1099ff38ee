// Task records → the tasks of ACS messages (src/protocol/acs.ts, encoded by
// src/protocol/acs-task.ts): the full task definition (whatever its status now: a running task
// keeps the revision it started from) with the overrides merged in, and the desired state.
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { WireTask } from '../../../protocol/acs.js';
import { encodeTask } from '../../../protocol/acs-task.js';
import type { RequestContext } from '../../context.js';
import type { TaskRecord } from '../model/common.js';
import { liveTasksOn } from '../model/task-index-read.js';
import { findTaskDefinition, parseTaskDefinitionRef } from '../model/task-definition-lookup.js';
import { instanceIdOf } from '../model/task-model.js';
import { serviceKey, serviceRecords } from '../model/service-model.js';
import type { SessionCredentials } from './acs-credentials.js';

/** Tasks of one instance the agent must act on: every one not STOPPED yet. */
export async function instanceTasks(ctx: RequestContext, cluster: string, instanceArn: string): Promise<TaskRecord[]> {
  return liveTasksOn(ctx, cluster, instanceIdOf(instanceArn));
}

/** Caches task definitions by ARN (they never change, except their status) for one connection. */
export class DefinitionCache {
  private readonly defs = new Map<string, TaskDefinition>();

  async get(ctx: RequestContext, arn: string): Promise<TaskDefinition | undefined> {
    const cached = this.defs.get(arn);
    if (cached) return cached;
    const ref = parseTaskDefinitionRef(arn);
    const found = ref && await findTaskDefinition(ctx, ref);
    if (!found) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { tags, ...def } = found;
    this.defs.set(arn, def);
    return def;
  }
}

/** The ACS wire Task for a record (src/protocol/acs-task.ts encodes it). */
export function toWireTask(task: TaskRecord, def: TaskDefinition, selfFence = false): WireTask {
  return encodeTask({
    taskArn: task.taskArn!, clusterArn: task.clusterArn!, desiredStatus: task.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    taskDefinition: def, overrides: task.overrides, group: task.group, selfFence,
  });
}

/** Whether a task belongs to a REPLICA service (the tasks a self-fencing agent stops when cut off;
 *  DAEMON and standalone tasks keep running, as ECS keeps them). A service's strategy never
 *  changes, so one lookup per service and connection. */
export class StrategyCache {
  private readonly replica = new Map<string, boolean>();

  async isReplica(ctx: RequestContext, cluster: string, task: TaskRecord): Promise<boolean> {
    if (!task.group?.startsWith('service:')) return false;
    const name = task.group.slice('service:'.length);
    let known = this.replica.get(name);
    if (known === undefined) {
      const service = await serviceRecords(ctx.app.store).get(ctx, serviceKey(cluster, name));
      if (!service) return false;
      known = service.schedulingStrategy !== 'DAEMON';
      this.replica.set(name, known);
    }
    return known;
  }
}

/** The ACS tasks for some records, with their role credentials when `credentials` is given, and
 *  marked for self-fencing where `fence` says so; a task whose definition has vanished is skipped
 *  (and logged). */
export async function acsTasks(ctx: RequestContext, cache: DefinitionCache, tasks: TaskRecord[], credentials?: SessionCredentials,
  fence: (task: TaskRecord) => boolean | Promise<boolean> = () => false): Promise<WireTask[]> {
  const out: WireTask[] = [];
  for (const task of tasks) {
    const def = await cache.get(ctx, task.taskDefinitionArn ?? '');
    if (def) out.push({ ...toWireTask(task, def, await fence(task)), ...await credentials?.forTask(task, def) });
    else console.error(`acs: task ${task.taskArn} names task definition ${task.taskDefinitionArn}, which does not exist`);
  }
  return out;
}
