// Starting and stopping tasks, for every caller: the RunTask/StartTask/StopTask handlers and the
// service scheduler. Inputs are already resolved (cluster, task definition); this module computes
// the needs, checks the placement, places through the engine (task-launch.ts) and commits.
import type { Cluster, Failure, PlacementConstraint, PlacementStrategy, Tag, TaskOverride } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { place } from '../../../placement/index.js';
import { db, ecsArn, type TaskRecord } from '../model/common.js';
import { checkLaunchPlacement, groupOf, namedInstanceRequest, placementRequest } from './placement-plan.js';
import type { TaskDefinitionRecord } from '../model/task-definition-lookup.js';
import {
  engineInstance, mergeFailures, pacer, placeAndCommit, placeTask, requireInstances, takeSnapshot, type BuildTask, type Choice, type Snapshot,
} from './task-launch.js';
import { checkOverrides, DEFAULT_STOP_REASON, instanceIdOf, newTaskRecord } from '../model/task-model.js';
import { taskNeeds, type TaskNeeds } from '../model/task-resources.js';
import { modifyTask } from '../model/task-store.js';

export interface LaunchSpec {
  cluster: Cluster;
  definition: TaskDefinitionRecord;
  overrides?: TaskOverride;
  launchType: 'EC2' | 'EXTERNAL';
  startedBy?: string;
  /** Default `family:<family>`; a service's tasks use `service:<name>`. */
  group?: string;
  tags?: Tag[];
  enableExecuteCommand?: boolean;
  capacityProviderName?: string;
  clientToken?: string;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  /** Strategies when placementStrategy is empty: services pass ECS's default for REPLICA
   *  services (SERVICE_DEFAULT_STRATEGY, or spread by AZ then instanceId). RunTask has none. */
  defaultStrategy?: readonly PlacementStrategy[];
}

export interface Launched { tasks: TaskRecord[]; failures: Failure[] }

type Pick = (snapshot: Snapshot, needs: TaskNeeds) => Choice;

/**
 * Places and commits `count` tasks with the placement engine (the spec's constraints, the
 * definition's, the spec's strategies or its defaultStrategy, its group), stopping at the first
 * that does not fit. The placement is checked before anything is written (InvalidParameterException).
 * `requireInstances`: a cluster without ACTIVE instances is RunTask's error. `pick`: the caller
 * chooses each task's instance itself (committed the same way).
 */
export async function launchTasks(ctx: RequestContext, spec: LaunchSpec, count: number,
  options: { pick?: Pick; requireInstances?: boolean } = {}): Promise<Launched> {
  const { needs, build } = plan(ctx, spec);
  const cluster = spec.cluster.clusterName!;
  if (options.requireInstances) await requireInstances(ctx, cluster);
  if (!options.pick) return placeAndCommit(ctx, cluster, placementRequest(spec, needs), count, build);
  const state = { snapshot: await takeSnapshot(ctx, cluster) };
  const tasks: TaskRecord[] = [];
  const failures: Failure[] = [];
  const pace = pacer();
  for (let i = 0; i < count; i++) {
    const placed = await placeTask(ctx, state, needs, build, options.pick);
    if ('failures' in placed) { failures.push(...placed.failures); break; }
    tasks.push(placed.task);
    await pace();
  }
  return { tasks, failures: mergeFailures(failures) };
}

/** StartTask: one task on each named container instance (id or ARN), each judged by the engine
 *  on what it must have (agent connected, ACTIVE, attributes, CPU, memory, ports); a failure per
 *  instance that cannot take it. */
export async function launchOnInstances(ctx: RequestContext, spec: LaunchSpec, refs: string[]): Promise<Launched> {
  const { needs, build } = plan(ctx, spec);
  const state = { snapshot: await takeSnapshot(ctx, spec.cluster.clusterName!, { statuses: 'all' }) };
  const tasks: TaskRecord[] = [];
  const failures: Failure[] = [];
  const pace = pacer();
  for (const ref of refs) {
    const placed = await placeTask(ctx, state, needs, build, (snapshot) => onInstance(ctx, snapshot, ref, spec, needs));
    if ('failures' in placed) failures.push(...placed.failures); else tasks.push(placed.task);
    await pace();
  }
  return { tasks, failures };
}

/** The named instance, if the engine finds it can take the task; else its reason. */
function onInstance(ctx: RequestContext, snapshot: Snapshot, ref: string, spec: LaunchSpec, needs: TaskNeeds): Choice {
  const id = instanceIdOf(ref);
  const candidate = snapshot.candidates.find((c) => c.id === id);
  if (!candidate) return { failures: [{ arn: ref.startsWith('arn:') ? ref : ecsArn(ctx, `container-instance/${snapshot.cluster}/${id}`), reason: 'MISSING' }] };
  const request = namedInstanceRequest(spec, needs);
  const result = place({ instances: [engineInstance(candidate)] }, request, ctx.app.ids);
  if (!result.placements.length) return { failures: result.failures };
  return { candidate, placed: { by: 'named', tiers: [], rank: [], group: request.group } };
}

/** Needs and the task builder of a launch, after checking overrides and placement (nothing is
 *  written before these checks pass). */
function plan(ctx: RequestContext, spec: LaunchSpec): { needs: TaskNeeds; build: BuildTask } {
  const overrides = spec.overrides ?? {};
  checkOverrides(spec.definition, overrides);
  checkLaunchPlacement(spec);
  const needs = taskNeeds(spec.definition, overrides);
  const group = groupOf(spec);
  const build: BuildTask = (instance, placed) => ({
    ...newTaskRecord(ctx, {
      cluster: spec.cluster.clusterName!, clusterArn: spec.cluster.clusterArn!, definition: spec.definition, overrides, instance,
      cpu: needs.cpu, memory: needs.memory, launchType: spec.launchType, startedBy: spec.startedBy,
      group, tags: spec.tags ?? [], enableExecuteCommand: spec.enableExecuteCommand,
      capacityProviderName: spec.capacityProviderName,
    }),
    clientToken: spec.clientToken,
    placement: {
      ...(spec.placementConstraints?.length ? { constraints: spec.placementConstraints } : {}),
      ...(spec.placementStrategy?.length ? { strategy: spec.placementStrategy } : {}),
      ...placed,
    },
  });
  return { needs, build };
}

/** Sets desiredStatus STOPPED (once: a second request changes nothing) with its code and reason,
 *  bumping the generation so the agent is told. A task whose instance is gone (no agent will ever
 *  report on it) is STOPPED right away. Undefined when there is no such task. */
export async function requestStop(ctx: RequestContext, cluster: string, id: string,
  stop: { reason?: string; stopCode?: string } = {}): Promise<TaskRecord | undefined> {
  const current = await db(ctx).tasks.get(ctx, `${cluster}/${id}`);
  if (!current) return undefined;
  const instance = current.containerInstanceArn
    ? await db(ctx).containerInstances.get(ctx, `${cluster}/${instanceIdOf(current.containerInstanceArn)}`) : undefined;
  const orphaned = !instance || instance.status === 'INACTIVE';
  const now = new Date(ctx.app.clock.now());
  const result = await modifyTask(ctx, cluster, id, (task) => {
    if (task.desiredStatus === 'STOPPED') return undefined;
    const next: TaskRecord = {
      ...task, desiredStatus: 'STOPPED', stoppingAt: now, stopCode: (stop.stopCode ?? 'UserInitiated') as TaskRecord['stopCode'],
      stoppedReason: stop.reason || DEFAULT_STOP_REASON, generation: (task.generation ?? 1) + 1,
    };
    if (!orphaned) return next;
    return { ...next, lastStatus: 'STOPPED', executionStoppedAt: now, stoppedAt: now,
      containers: task.containers?.map((c) => ({ ...c, lastStatus: 'STOPPED' })) };
  });
  return result?.task;
}
