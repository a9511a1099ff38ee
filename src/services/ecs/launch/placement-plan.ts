// What the placement engine is asked for a launch: the tasks' needs, their group, the request's
// constraints with the task definition's, the strategies (the caller's default when none are
// given: services pass ECS's spread across Availability Zones) and the definition's required
// attributes. RunTask, the service scheduler and the explanation build it here, the same way.
import type { PlacementConstraint, PlacementStrategy, TaskDefinition } from '@aws-sdk/client-ecs';
import { compilePlacement, taskGroup, type HostAccess, type PlacementRequest } from '../../../placement/index.js';
import type { TaskNeeds } from '../model/task-resources.js';

/** The placement part of a launch (LaunchSpec has these members). */
export interface PlacementInputs {
  definition: Pick<TaskDefinition, 'family' | 'placementConstraints' | 'requiresAttributes' | 'networkMode' | 'volumes'>;
  /** The task group; default `family:<family>` (a service's tasks: `service:<name>`). */
  group?: string;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  /** Strategies used when placementStrategy is empty (services: SERVICE_DEFAULT_STRATEGY or
   *  spread by AZ then by instanceId). Standalone tasks have no default. */
  defaultStrategy?: readonly PlacementStrategy[];
}

/** The strategies in effect: the request's, else the caller's default. */
export const strategiesOf = (spec: PlacementInputs): readonly PlacementStrategy[] =>
  (spec.placementStrategy?.length ? spec.placementStrategy : spec.defaultStrategy ?? []);

export const groupOf = (spec: PlacementInputs) => taskGroup({ group: spec.group, family: spec.definition.family });

/**
 * Validates constraints (request's and definition's together, at most 10) and strategies (at
 * most 5) with the engine's compiler — bad expressions, unknown types or fields are
 * InvalidParameterException — and returns the strategy tiers. Call it before writing anything.
 */
export function checkLaunchPlacement(spec: PlacementInputs): string[] {
  const compiled = compilePlacement({
    constraints: spec.placementConstraints, definitionConstraints: spec.definition.placementConstraints, strategies: strategiesOf(spec),
  });
  return compiled.tiers.map((t) => t.label);
}

/** The engine's request for tasks of this launch (count is added by the caller). */
export function placementRequest(spec: PlacementInputs, needs: TaskNeeds): Omit<PlacementRequest, 'count'> {
  return {
    needs,
    group: groupOf(spec),
    constraints: spec.placementConstraints,
    definitionConstraints: spec.definition.placementConstraints,
    strategies: strategiesOf(spec),
    requiredAttributes: spec.definition.requiresAttributes,
    hostAccess: hostAccess(spec.definition),
  };
}

/** What of the host a task definition uses (agents' host protection may refuse it). */
export function hostAccess(def: PlacementInputs['definition']): HostAccess {
  return { network: def.networkMode === 'host', bindMounts: (def.volumes ?? []).map((v) => v.host?.sourcePath).filter((p): p is string => !!p) };
}

/** StartTask names its instances: only what an instance must have to take the task is judged
 *  (agent, required attributes, CPU, memory, ports) — no constraints, no strategies. */
export function namedInstanceRequest(spec: PlacementInputs, needs: TaskNeeds): PlacementRequest {
  return { count: 1, needs, group: groupOf(spec), requiredAttributes: spec.definition.requiresAttributes, hostAccess: hostAccess(spec.definition) };
}
