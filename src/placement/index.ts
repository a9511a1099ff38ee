// Berth's ECS placement engine and cluster query language — pure modules, no store, no clock.
//
// ── Placing tasks (RunTask, services) ──────────────────────────────────────────────────────────
//
//   import { place, instanceFromRecord, taskGroup } from '../../placement/index.js';
//
//   // 1. Snapshot: the cluster's instances, in a stable order (it breaks the last ties).
//   const snapshot = { instances: records.map((r) => instanceFromRecord(r, {
//     agentConnected: isAgentConnected(r, now, grace),
//     tasks: tasksOn.get(r.containerInstanceArn),        // PENDING + RUNNING tasks ({ group, taskArn })
//   })) };
//
//   // 2. Request: identical tasks, their needs, constraints, strategies, group.
//   const result = place(snapshot, {
//     count,                                             // RunTask ≤ 10 is RunTask's check, not the engine's
//     needs: taskNeeds(def, overrides),                  // { cpu, memory, ports, portsUdp }
//     group: taskGroup({ serviceName, group: input.group, family: def.family }),
//     constraints: input.placementConstraints,           // distinctInstance | memberOf
//     definitionConstraints: def.placementConstraints,   // memberOf (counted in the limit of 10)
//     strategies: input.placementStrategy,               // services: SERVICE_DEFAULT_STRATEGY when none
//     requiredAttributes: def.requiresAttributes,        // optional → ATTRIBUTE failures
//   }, ctx.app.ids /* anything with random(): seededIds(seed) in tests */, { explain: false });
//
//   // 3. Result:
//   result.placements   // [{ task, instance (snapshot index), arn, rank }] in task order
//   result.unplaced     // tasks that did not fit (placement stops at the first: the rest are identical)
//   result.failures     // ECS's Failure[] for that task: each instance with its first rejection —
//                       //   AGENT, ATTRIBUTE, RESOURCE:CPU|MEMORY|PORTS,
//                       //   "DistinctInstance placement constraint unsatisfied.",
//                       //   "MemberOf placement constraint unsatisfied." (reasons.ts)
//   result.explanation  // tiers, path, per task: chosen, rank tuple, and with { explain: true }
//                       //   every instance's verdict (rejecting stage + detail, or its rank)
//
// Plan, then apply (STYLE point 7): place() only plans. The caller commits each placement with
// compare-and-swap on the instance record and, on conflict, re-reads the snapshot and places the
// remaining tasks again. Place all tasks of a call in ONE place() call: every placed task updates
// the working snapshot (resources, ports, group counts) before the next task is placed.
//
// Validation without placing (CreateService/UpdateService/RunTask before storing anything):
//   compilePlacement({ constraints, definitionConstraints, strategies })  // throws InvalidParameterException
//
// ── Cluster query language (memberOf, ListContainerInstances filter) ──────────────────────────
//
//   const q = compileQuery(input.filter);                // throws InvalidParameterException: position + token
//   records.filter((r) => q.test(queryTarget(instanceFromRecord(r, { agentConnected, tasks }))));
//
// ── Layout ──────────────────────────────────────────────────────────────────────────────────────
//   query/        lexer → parser → AST → compiled predicate; Java regex translation; typed values
//   feasibility/  one file per filter stage;  rank/  one file per strategy;  stack.ts composes them
//   fast/         the incremental path (same answers, held equal by fast-path.test.ts)
//   working.ts    the mutable working copy;  place.ts  the entry point;  request.ts  validation
export { place } from './place.js';
export { compilePlacement, compileRequest, taskGroup, SERVICE_DEFAULT_STRATEGY, MAX_CONSTRAINTS, MAX_STRATEGIES } from './request.js';
export { instanceFromRecord, queryTarget } from './from-records.js';
export { REASON } from './reasons.js';
export { compileQuery, parseQuery, MAX_EXPRESSION_LENGTH, type CompiledQuery, type QueryTarget } from './query/index.js';
export type {
  Explanation, HostAccess, InstanceVerdict, PlaceOptions, Placement, PlacementInstance, PlacementRequest, PlacementResult,
  PlacementSnapshot, PlacedTask, Rejection, Rng, StageName, TaskExplanation, TaskNeeds,
} from './types.js';
