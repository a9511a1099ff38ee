// The placement engine's inputs and outputs. Plain data, no store, no clock: placement is a pure
// function of a snapshot (STYLE point 7). See index.ts for how callers use them.
import type {
  Attribute, Failure, PlacementConstraint, PlacementStrategy, TaskDefinitionPlacementConstraint,
} from '@aws-sdk/client-ecs';

/** A task already on an instance, as placement needs it. */
export interface PlacedTask {
  /** Task group: `service:<name>`, `family:<family>` or the group RunTask was given. */
  group?: string;
  id?: string;
  serviceName?: string;
}

/** One container instance of the snapshot. */
export interface PlacementInstance {
  arn: string;
  ec2InstanceId?: string;
  /** ACTIVE, DRAINING, INACTIVE…; only ACTIVE instances take tasks. Default ACTIVE. */
  status?: string;
  agentConnected: boolean;
  /** The instance's attributes (built-in ecs.* and custom), as ECS lists them. */
  attributes?: readonly Attribute[];
  /** CPU units and MiB still free (remainingResources). */
  remainingCpu: number;
  remainingMemory: number;
  /** Host ports already taken (reserved by the agent or held by tasks). */
  usedTcpPorts?: readonly number[];
  usedUdpPorts?: readonly number[];
  runningTasksCount?: number;
  /** ISO string, Date or epoch ms. */
  registeredAt?: string | Date | number;
  agentVersion?: string;
  /** Tasks on the instance (PENDING and RUNNING): their groups drive spread, distinctInstance, task:group. */
  tasks?: readonly PlacedTask[];
}

/** The cluster as placement sees it. Instance order is the tie-breaker of last resort. */
export interface PlacementSnapshot {
  instances: readonly PlacementInstance[];
}

/** What one task needs from an instance (the shape of task-resources.ts's TaskNeeds). */
export interface TaskNeeds {
  cpu: number;
  memory: number;
  ports?: readonly number[];
  portsUdp?: readonly number[];
}

export interface PlacementRequest {
  /** Identical tasks to place, one after the other. */
  count: number;
  needs: TaskNeeds;
  /** The tasks' group (see taskGroup()): what spread counts and distinctInstance separates. */
  group: string;
  /** The request's constraints (RunTask, CreateService). */
  constraints?: readonly PlacementConstraint[];
  /** The task definition's constraints (memberOf only); together with `constraints` at most 10. */
  definitionConstraints?: readonly TaskDefinitionPlacementConstraint[];
  /** Up to 5, applied in order (tier by tier). */
  strategies?: readonly PlacementStrategy[];
  /** The task definition's requiresAttributes: instances without them fail with ATTRIBUTE. */
  requiredAttributes?: readonly Attribute[];
  /** What of the host the task uses, which an agent's host protection may refuse (ATTRIBUTE). */
  hostAccess?: HostAccess;
}

/** networkMode host, and the host paths its volumes bind-mount. */
export interface HostAccess { network: boolean; bindMounts: readonly string[] }

/** Randomness is injected (STYLE point 9): `ctx.app.ids` or `seededIds(seed)` fit. */
export interface Rng { random(): number }

export interface PlaceOptions {
  /** Record every instance's verdict for every task (reference path). Default false: only the
   *  verdicts of a task that could not be placed (they make the failures) are recorded. */
  explain?: boolean;
  /** 'auto' (default) takes the incremental path when the request allows and explain is off. */
  path?: 'auto' | 'reference' | 'fast';
}

/** Feasibility stages, in the order they run. */
export type StageName = 'agent' | 'attributes' | 'resources' | 'ports' | 'distinctInstance' | 'memberOf';

export interface Rejection {
  stage: StageName;
  /** ECS's failure reason (RESOURCE:MEMORY, AGENT, "MemberOf placement constraint unsatisfied."…). */
  reason: string;
  /** What exactly did not fit, for people. */
  detail: string;
}

/** One instance's verdict for one task: rejected by a stage, or ranked. */
export interface InstanceVerdict {
  arn: string;
  rejected?: Rejection;
  /** One number per strategy tier before any `random` (lower wins, compared tier by tier). */
  rank?: number[];
}

export interface TaskExplanation {
  /** 0-based index of the task in the request. */
  task: number;
  /** The chosen instance, or undefined when the task could not be placed. */
  chosen?: string;
  rank?: number[];
  /** How many candidates tied on every tier before a `random` tier (it picked among them). */
  tied?: number;
  /** Per instance in snapshot order; present with `explain` and for a task that was not placed. */
  instances?: InstanceVerdict[];
}

export interface Explanation {
  /** The strategy tiers, e.g. ["spread(attribute:ecs.availability-zone)", "binpack(memory)"]. */
  tiers: string[];
  path: 'reference' | 'fast';
  tasks: TaskExplanation[];
}

export interface Placement {
  /** 0-based index of the task in the request. */
  task: number;
  /** Index of the chosen instance in the snapshot. */
  instance: number;
  arn: string;
  rank: number[];
}

export interface PlacementResult {
  placements: Placement[];
  /** Tasks that could not be placed (placement stops at the first one: the rest are identical). */
  unplaced: number;
  /** ECS's failures for the first unplaced task: one per instance with its first rejection. */
  failures: Failure[];
  explanation: Explanation;
}
