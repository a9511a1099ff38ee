// Task records → the tasks of ACS messages (src/protocol/acs.ts): the full task definition
// (whatever its status now: a running task keeps the revision it started from), overrides, the
// host ports placement reserved, and the desired state with its generation.
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { AcsTask } from '../../../protocol/acs.js';
import type { RequestContext } from '../../context.js';
import { db, type TaskRecord } from '../model/common.js';
import { findTaskDefinition, parseTaskDefinitionRef } from '../model/task-definition-lookup.js';
import { instanceIdOf } from '../model/task-model.js';

/** Tasks of one instance the agent must act on: every one not STOPPED yet. */
export async function instanceTasks(ctx: RequestContext, cluster: string, instanceArn: string): Promise<TaskRecord[]> {
  const id = instanceIdOf(instanceArn);
  return (await db(ctx).tasks.list(ctx, `${cluster}/`))
    .filter((t) => t.lastStatus !== 'STOPPED' && t.containerInstanceArn !== undefined && instanceIdOf(t.containerInstanceArn) === id);
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

export function toAcsTask(task: TaskRecord, def: TaskDefinition): AcsTask {
  return {
    arn: task.taskArn!,
    desiredStatus: task.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    taskDefinition: def,
    overrides: task.overrides,
    startedBy: task.startedBy,
    group: task.group,
    reservedPorts: reservedPorts(def),
    stoppedReason: task.desiredStatus === 'STOPPED' ? task.stoppedReason : undefined,
    stopCode: task.desiredStatus === 'STOPPED' ? task.stopCode : undefined,
    generation: task.generation ?? 1,
  };
}

/** Fixed host ports per container (the ones placement reserved; dynamic ports are the agent's choice). */
function reservedPorts(def: TaskDefinition): AcsTask['reservedPorts'] {
  const mode = def.networkMode ?? 'bridge';
  if (mode !== 'bridge' && mode !== 'host') return undefined;
  const out: NonNullable<AcsTask['reservedPorts']> = {};
  for (const c of def.containerDefinitions ?? []) {
    const ports = (c.portMappings ?? []).flatMap((m) => {
      const hostPort = mode === 'host' ? m.hostPort || m.containerPort : m.hostPort;
      return hostPort && m.containerPort ? [{ containerPort: m.containerPort, hostPort, protocol: m.protocol === 'udp' ? 'udp' as const : 'tcp' as const }] : [];
    });
    if (ports.length && c.name) out[c.name] = ports;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The ACS tasks for some records; a task whose definition has vanished is skipped (and logged). */
export async function acsTasks(ctx: RequestContext, cache: DefinitionCache, tasks: TaskRecord[]): Promise<AcsTask[]> {
  const out: AcsTask[] = [];
  for (const task of tasks) {
    const def = await cache.get(ctx, task.taskDefinitionArn ?? '');
    if (def) out.push(toAcsTask(task, def));
    else console.error(`acs: task ${task.taskArn} names task definition ${task.taskDefinitionArn}, which does not exist`);
  }
  return out;
}
