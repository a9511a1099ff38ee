// "Why would (or wouldn't) my tasks go there?" — the placement engine's explanation for a RunTask
// that is only imagined: the same snapshot, request and engine as RunTask, with every instance's
// verdict recorded (the stage that rejected it and why, or its rank tuple), and NOTHING written.
// Served at GET/POST /_berth/explain-placement (placement-explain-route.ts) and printed by
// `berth explain-placement` (src/cli/explain-placement.ts).
import type { Attribute, Failure, PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { place, type InstanceVerdict, type TaskExplanation } from '../../../placement/index.js';
import { activeCluster, invalidParameter } from '../model/common.js';
import { placementRequest, checkLaunchPlacement } from './placement-plan.js';
import { resolveTaskDefinition } from '../model/task-definition-lookup.js';
import { engineInstance, engineSnapshot, takeSnapshot, type Candidate } from './task-launch.js';
import { taskNeeds, type TaskNeeds } from '../model/task-resources.js';

export interface ExplainInput {
  cluster?: string;
  taskDefinition: string;
  count?: number;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  group?: string;
  region?: string;
  account?: string;
}

/** One instance of the cluster, with its verdict for the first task and the tasks it would take. */
export interface ExplainedInstance {
  arn: string;
  containerInstanceId: string;
  ec2InstanceId?: string;
  status?: string;
  agentConnected: boolean;
  availabilityZone?: string;
  instanceType?: string;
  remainingCpu: number;
  remainingMemory: number;
  /** Tasks of the request's group already there. */
  groupTasks: number;
  /** The verdict for the first task: the rejecting stage and why, or the rank tuple. */
  verdict: Omit<InstanceVerdict, 'arn'>;
  /** 0-based indexes of the request's tasks that would be placed here. */
  tasks: number[];
}

export interface Explained {
  cluster: string;
  taskDefinition: string;
  group: string;
  count: number;
  needs: TaskNeeds;
  /** The strategy tiers, in order (compared tier by tier; lower ranks first). */
  tiers: string[];
  placed: number;
  unplaced: number;
  /** The chosen instance of each placed task, in task order. */
  chosen: string[];
  /** What RunTask would report for the first task that does not fit (ACTIVE instances only). */
  failures: Failure[];
  instances: ExplainedInstance[];
  /** The engine's explanation, per task: chosen, rank, ties, and every instance's verdict. */
  tasks: TaskExplanation[];
}

/** Explaining more tasks than this at once is refused (every task judges every instance). */
export const MAX_EXPLAIN_COUNT = 100;

/** The explanation of placing `count` tasks of a definition now. Writes nothing. */
export async function explainPlacement(ctx: RequestContext, input: ExplainInput): Promise<Explained> {
  const count = input.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_EXPLAIN_COUNT) {
    throw invalidParameter(`count must be between 1 and ${MAX_EXPLAIN_COUNT}, but was ${String(input.count)}.`);
  }
  if (input.group !== undefined && (input.group.length === 0 || input.group.length > 255)) {
    throw invalidParameter(`Invalid group '${input.group}': it must be 1 to 255 characters long.`);
  }
  const cluster = await activeCluster(ctx, input.cluster);
  const definition = await resolveTaskDefinition(ctx, input.taskDefinition);
  const spec = { definition, group: input.group, placementConstraints: input.placementConstraints, placementStrategy: input.placementStrategy };
  checkLaunchPlacement(spec);
  const needs = taskNeeds(definition);
  const request = placementRequest(spec, needs);
  // ACTIVE and DRAINING instances are shown. The tasks are placed over the ACTIVE ones only, as
  // RunTask does (a draining instance's group tasks would otherwise count in spread and change the
  // answer); each DRAINING one is judged on its own, to say why it takes nothing.
  const snapshot = await takeSnapshot(ctx, cluster.clusterName!, { statuses: ['ACTIVE', 'DRAINING'] });
  const active = snapshot.candidates.filter((c) => c.record.status === 'ACTIVE');
  const result = place(engineSnapshot({ ...snapshot, candidates: active }), { ...request, count }, ctx.app.ids, { explain: true });
  const first = result.explanation.tasks[0]?.instances ?? [];
  const verdictOf = (c: Candidate): InstanceVerdict => (active.includes(c) ? first[active.indexOf(c)]
    : place({ instances: [engineInstance(c)] }, { ...request, count: 1 }, ctx.app.ids, { explain: true }).explanation.tasks[0].instances![0])
    ?? { arn: c.arn };
  const attribute = (attrs: Attribute[] | undefined, name: string) => attrs?.find((a) => a.name === name)?.value;
  const resource = (c: (typeof snapshot.candidates)[number], name: string) =>
    c.record.remainingResources?.find((r) => r.name === name)?.integerValue ?? 0;
  return {
    cluster: cluster.clusterArn!,
    taskDefinition: definition.taskDefinitionArn!,
    group: request.group,
    count,
    needs,
    tiers: result.explanation.tiers,
    placed: result.placements.length,
    unplaced: result.unplaced,
    chosen: result.placements.map((p) => p.arn),
    failures: result.failures,
    instances: snapshot.candidates.map((c): ExplainedInstance => {
      const { arn: _arn, ...verdict } = verdictOf(c);
      return {
        arn: c.arn,
        containerInstanceId: c.id,
        ec2InstanceId: c.record.ec2InstanceId,
        status: c.record.status,
        agentConnected: c.connected,
        availabilityZone: attribute(c.record.attributes, 'ecs.availability-zone'),
        instanceType: attribute(c.record.attributes, 'ecs.instance-type'),
        remainingCpu: resource(c, 'CPU'),
        remainingMemory: resource(c, 'MEMORY'),
        groupTasks: (c.tasks ?? []).filter((t) => t.group === request.group).length,
        verdict,
        tasks: result.placements.filter((p) => active[p.instance] === c).map((p) => p.task),
      };
    }),
    tasks: result.explanation.tasks,
  };
}

/** `distinctInstance` or `memberOf:<expression>` (the CLI's and the GET form's short form). */
export function parseConstraintArg(text: string): PlacementConstraint {
  if (text === 'distinctInstance') return { type: 'distinctInstance' };
  const colon = text.indexOf(':');
  const type = colon < 0 ? text : text.slice(0, colon);
  if (type !== 'memberOf' || colon < 0) {
    throw invalidParameter(`Invalid constraint '${text}': use distinctInstance or memberOf:<expression>.`);
  }
  return { type: 'memberOf', expression: text.slice(colon + 1) };
}

/** `random`, `binpack:cpu|memory` or `spread:<field>` (field may contain colons: attribute:ecs.availability-zone). */
export function parseStrategyArg(text: string): PlacementStrategy {
  const colon = text.indexOf(':');
  const type = colon < 0 ? text : text.slice(0, colon);
  const field = colon < 0 ? undefined : text.slice(colon + 1);
  if (type !== 'random' && type !== 'binpack' && type !== 'spread') {
    throw invalidParameter(`Invalid strategy '${text}': use random, binpack:<cpu|memory> or spread:<field>.`);
  }
  return field === undefined ? { type } : { type, field };
}
