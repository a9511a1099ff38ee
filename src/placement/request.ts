// Checks a placement request the way ECS does and compiles it: constraint expressions parsed once,
// strategies turned into rank tiers. Errors are InvalidParameterException with ECS's limits.
import type { PlacementConstraint, PlacementStrategy, TaskDefinitionPlacementConstraint } from '@aws-sdk/client-ecs';
import { AwsError } from '../common/errors.js';
import { compileQuery, type CompiledQuery } from './query/index.js';
import type { HostAccess, PlacementRequest } from './types.js';

export const MAX_CONSTRAINTS = 10;
export const MAX_STRATEGIES = 5;

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

/** One strategy, as a rank tier. Lower values rank first. */
export type Tier =
  | { kind: 'spread-attribute'; attribute: string; label: string }
  | { kind: 'spread-instance'; label: string }
  | { kind: 'binpack'; resource: 'cpu' | 'memory'; label: string }
  | { kind: 'random'; label: string };

export interface MemberOf { query: CompiledQuery; label: string }

export interface CompiledPlacement {
  distinctInstance: boolean;
  memberOf: MemberOf[];
  tiers: Tier[];
}

export interface CompiledRequest extends CompiledPlacement {
  count: number;
  group: string;
  needs: { cpu: number; memory: number; ports: number[]; portsUdp: number[] };
  requiredAttributes: { name: string; value?: string }[];
  hostAccess?: HostAccess;
}

/**
 * Validates constraints and strategies (RunTask, CreateService, UpdateService call this before
 * storing anything): at most 10 constraints counting the task definition's, at most 5
 * strategies, known types and fields, and every memberOf expression parsed.
 */
export function compilePlacement(input: {
  constraints?: readonly PlacementConstraint[];
  definitionConstraints?: readonly TaskDefinitionPlacementConstraint[];
  strategies?: readonly PlacementStrategy[];
}): CompiledPlacement {
  const constraints = input.constraints ?? [];
  const fromDefinition = input.definitionConstraints ?? [];
  const total = constraints.length + fromDefinition.length;
  if (total > MAX_CONSTRAINTS) {
    throw invalid(`Too many placement constraints: ${total} (at most ${MAX_CONSTRAINTS}, including the task definition's).`);
  }
  let distinctInstance = false;
  const memberOf: MemberOf[] = [];
  const all = [
    ...fromDefinition.map((c, i) => ({ c: c as PlacementConstraint, where: `the task definition's placementConstraints[${i}]` })),
    ...constraints.map((c, i) => ({ c, where: `placementConstraints[${i}]` })),
  ];
  for (const { c, where } of all) {
    if (c.type === 'distinctInstance') {
      if (where.startsWith('the task')) throw invalid(`${where}: constraint.type 'distinctInstance' is not supported in a task definition.`);
      if (c.expression !== undefined && c.expression !== '') throw invalid('distinctInstance expression should not be specified.');
      distinctInstance = true;
    } else if (c.type === 'memberOf') {
      if (!c.expression) throw invalid(`${where}: a memberOf placement constraint requires an expression.`);
      memberOf.push({ query: compileQuery(c.expression), label: `memberOf(${c.expression})` });
    } else {
      throw invalid(`${where}: invalid placement constraint type '${c.type ?? ''}'; expected distinctInstance or memberOf.`);
    }
  }
  const strategies = input.strategies ?? [];
  if (strategies.length > MAX_STRATEGIES) {
    throw invalid(`Too many placement strategies: ${strategies.length} (at most ${MAX_STRATEGIES}).`);
  }
  return { distinctInstance, memberOf, tiers: strategies.map((s, i) => tierOf(s, `placementStrategy[${i}]`)) };
}

function tierOf(s: PlacementStrategy, where: string): Tier {
  const field = s.field ?? '';
  switch (s.type) {
    case 'random':
      return { kind: 'random', label: 'random' };
    case 'binpack': {
      const resource = field.toLowerCase();
      if (resource !== 'cpu' && resource !== 'memory') {
        throw invalid(`${where}: the binpack field must be cpu or memory, not '${field}'.`);
      }
      return { kind: 'binpack', resource, label: `binpack(${resource})` };
    }
    case 'spread': {
      const lower = field.toLowerCase();
      if (lower === 'instanceid' || lower === 'host') return { kind: 'spread-instance', label: `spread(${field})` };
      if (field.startsWith('attribute:') && field.length > 'attribute:'.length) {
        return { kind: 'spread-attribute', attribute: field.slice('attribute:'.length), label: `spread(${field})` };
      }
      throw invalid(`${where}: the spread field must be instanceId, host or attribute:<name>, not '${field}'.`);
    }
    default:
      throw invalid(`${where}: invalid placement strategy type '${s.type ?? ''}'; expected random, spread or binpack.`);
  }
}

/** Everything place() needs, checked. */
export function compileRequest(request: PlacementRequest): CompiledRequest {
  const { count, needs, group } = request;
  if (!Number.isInteger(count) || count < 0) throw invalid(`count must be a whole number, got ${count}.`);
  if (!group) throw invalid('A task group is required for placement (service:<name>, family:<family> or a given group).');
  if (group.length > 255) throw invalid(`Invalid group '${group.slice(0, 40)}…': it must be at most 255 characters long.`);
  for (const [name, v] of [['cpu', needs.cpu], ['memory', needs.memory]] as const) {
    if (!Number.isFinite(v) || v < 0) throw invalid(`The task's ${name} need must be a non-negative number, got ${v}.`);
  }
  return {
    ...compilePlacement(request),
    count,
    group,
    needs: { cpu: needs.cpu, memory: needs.memory, ports: [...(needs.ports ?? [])], portsUdp: [...(needs.portsUdp ?? [])] },
    requiredAttributes: (request.requiredAttributes ?? []).filter((a) => a.name).map((a) => ({ name: a.name!, value: a.value })),
    hostAccess: request.hostAccess,
  };
}

/**
 * The task group of new tasks (developer guide, "Task groups"): a service's tasks are in
 * `service:<name>`; standalone tasks in the group RunTask was given, else `family:<family>`.
 */
export function taskGroup(input: { serviceName?: string; group?: string; family?: string }): string {
  if (input.serviceName) return `service:${input.serviceName}`;
  if (input.group) return input.group;
  if (input.family) return `family:${input.family}`;
  throw invalid('A task group needs a service name, a group or a task definition family.');
}

/** ECS's default for service tasks when no strategy is given: spread across Availability Zones. */
export const SERVICE_DEFAULT_STRATEGY: readonly PlacementStrategy[] = [{ type: 'spread', field: 'attribute:ecs.availability-zone' }];
