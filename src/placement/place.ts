// place(): the engine's entry point. Compiles the request, copies the snapshot into a working
// state, then places the tasks one by one — each placed task updates the working state before
// the next is placed — on the incremental path when it applies, else on the reference stack.
import type { Failure } from '@aws-sdk/client-ecs';
import { FastPlacer } from './fast/fast-path.js';
import { compileRequest } from './request.js';
import { rankStages, select } from './stack.js';
import type {
  InstanceVerdict, PlaceOptions, Placement, PlacementRequest, PlacementResult, PlacementSnapshot, Rng, TaskExplanation,
} from './types.js';
import { WorkingState } from './working.js';

/**
 * Places `request.count` identical tasks on the snapshot's instances. Pure: the snapshot is not
 * modified, the same snapshot, request and RNG sequence give the same answer. Throws
 * InvalidParameterException for a bad request (too many constraints or strategies, unknown
 * strategy field, bad expression…).
 */
export function place(snapshot: PlacementSnapshot, request: PlacementRequest, rng: Rng, options: PlaceOptions = {}): PlacementResult {
  const compiled = compileRequest(request);
  const state = new WorkingState(snapshot, compiled);
  const explain = options.explain ?? false;
  const wantFast = options.path === 'fast' || (options.path !== 'reference' && !explain);
  const fast = wantFast ? FastPlacer.create(state) : undefined;
  if (options.path === 'fast' && !fast) throw new Error('placement: the fast path does not apply to this request');
  const { stages, random } = rankStages(compiled.tiers);
  const placements: Placement[] = [];
  const tasks: TaskExplanation[] = [];
  let failures: Failure[] = [];
  for (let task = 0; task < compiled.count; task++) {
    const step = fast ? fast.step() : select(state, stages, random, rng, explain);
    if (!step.chosen) {
      failures = failuresOf(step.verdicts ?? []);
      tasks.push({ task, instances: step.verdicts });
      break;
    }
    if (!fast) state.apply(step.chosen);
    const rank = step.rank ?? [];
    placements.push({ task, instance: step.chosen.index, arn: step.chosen.arn, rank });
    const tied = 'tied' in step ? (step.tied as number | undefined) : undefined;
    tasks.push({ task, chosen: step.chosen.arn, rank, ...(tied !== undefined ? { tied } : {}), ...(step.verdicts ? { instances: step.verdicts } : {}) });
  }
  return {
    placements,
    unplaced: compiled.count - placements.length,
    failures,
    explanation: { tiers: compiled.tiers.map((t) => t.label), path: fast ? 'fast' : 'reference', tasks },
  };
}

/** ECS's failures: each rejected instance with the reason of the first stage that rejected it
 *  (ECS's word, e.g. ATTRIBUTE) and the concrete cause in detail (the missing attribute…). */
function failuresOf(verdicts: readonly InstanceVerdict[]): Failure[] {
  return verdicts.filter((v) => v.rejected).map((v) => ({ arn: v.arn, reason: v.rejected!.reason, detail: v.rejected!.detail }));
}
