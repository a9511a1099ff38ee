// Checks of RunTask/StartTask inputs that do not need the store, in ECS's words, and the tags a
// new task carries.
import type { PlacementConstraint, PlacementStrategy, RunTaskRequest, Tag } from '@aws-sdk/client-ecs';
import { checkTags, invalidParameter } from './common.js';
import { checkLaunchPlacement } from '../launch/placement-plan.js';
import type { TaskDefinitionRecord } from './task-definition-lookup.js';

const STARTED_BY = /^[a-zA-Z0-9_/-]{0,128}$/;

export function checkStartedBy(startedBy: string | undefined) {
  if (startedBy !== undefined && !STARTED_BY.test(startedBy)) {
    throw invalidParameter(`Invalid startedBy '${startedBy}': up to 128 letters, numbers, hyphens (-), forward slashes (/) and underscores (_) are allowed.`);
  }
}

export function checkGroup(group: string | undefined) {
  if (group !== undefined && (group.length === 0 || group.length > 255)) {
    throw invalidParameter(`Invalid group '${group}': it must be 1 to 255 characters long.`);
  }
}

/** RunTask's launch type: EC2 (default) and EXTERNAL place on registered instances. FARGATE needs
 *  the agent-less runtime, which this server does not run: a clear error rather than a task that
 *  would never start. */
export function launchTypeOf(input: Pick<RunTaskRequest, 'launchType' | 'capacityProviderStrategy'>): 'EC2' | 'EXTERNAL' {
  if (input.launchType && input.capacityProviderStrategy?.length) {
    throw invalidParameter('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  }
  if (input.launchType === 'FARGATE' || input.capacityProviderStrategy?.some((s) => s.capacityProvider?.startsWith('FARGATE'))) {
    throw invalidParameter('Launch type FARGATE is not supported by this Berth server: Fargate tasks need the agent-less runtime. '
      + 'Run the task with launchType EC2 on a cluster with registered container instances.');
  }
  return input.launchType === 'EXTERNAL' ? 'EXTERNAL' : 'EC2';
}

/** The definition must be compatible with the launch type, and awsvpc needs a network configuration. */
export function checkCompatibility(def: TaskDefinitionRecord, launchType: string, networkConfigured: boolean) {
  const compat = def.requiresCompatibilities ?? [];
  if (compat.length && !compat.includes(launchType as never)) {
    throw invalidParameter(`Task definition does not support launch_type ${launchType}.`);
  }
  if (def.networkMode === 'awsvpc' && !networkConfigured) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (def.networkMode !== 'awsvpc' && networkConfigured) {
    throw invalidParameter("Network Configuration is not valid for the given networkMode of this task definition.");
  }
}

/** The placement engine's checks, before anything is written: at most 10 constraints (with the
 *  definition's), at most 5 strategies, known types and fields, every memberOf expression parsed
 *  (InvalidParameterException saying which one and where). */
export function checkPlacement(def: TaskDefinitionRecord, constraints: PlacementConstraint[] | undefined, strategy: PlacementStrategy[] | undefined) {
  checkLaunchPlacement({ definition: def, placementConstraints: constraints, placementStrategy: strategy });
}

/** RunTask's idempotency token: up to 64 characters in the range 33–126. */
export function checkClientToken(token: string | undefined) {
  if (token !== undefined && !/^[\x21-\x7e]{1,64}$/.test(token)) {
    throw invalidParameter('Invalid clientToken: up to 64 characters in the ASCII range 33-126 are allowed.');
  }
}

/** The new task's tags: the request's, the definition's when propagated, ECS managed tags on request. */
export function taskTags(def: TaskDefinitionRecord, input: { tags?: Tag[]; propagateTags?: string; enableECSManagedTags?: boolean },
  cluster: string): Tag[] {
  checkTags(input.tags);
  if (input.propagateTags === 'SERVICE') {
    throw invalidParameter("propagateTags SERVICE is only valid for tasks started by a service; use TASK_DEFINITION or NONE.");
  }
  const tags: Tag[] = [];
  const add = (t: Tag) => { const i = tags.findIndex((o) => o.key === t.key); if (i >= 0) tags[i] = t; else tags.push(t); };
  if (input.propagateTags === 'TASK_DEFINITION') for (const t of def.tags ?? []) add(t);
  for (const t of input.tags ?? []) add({ key: t.key, value: t.value ?? '' });
  if (input.enableECSManagedTags) add({ key: 'aws:ecs:clusterName', value: cluster });
  if (tags.length > 50) throw invalidParameter('Too many tags: a resource can have at most 50 tags.');
  return tags;
}
