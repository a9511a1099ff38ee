// A feasibility stage: one rule an instance must pass to take a task. Stages never rank; they
// say yes (undefined) or no (a Rejection carrying ECS's failure reason and a detail for people).
import type { CompiledRequest } from '../request.js';
import type { Rejection } from '../types.js';
import type { WorkingInstance, WorkingState } from '../working.js';

export interface FeasibilityStage {
  readonly name: Rejection['stage'];
  /** False when the verdict cannot change while tasks are placed (agent, attributes, a memberOf
   *  without task:group): the incremental path then judges each instance once. */
  dynamic(request: CompiledRequest): boolean;
  /** True when a rejection can only stay a rejection as more identical tasks are placed
   *  (resources and ports only shrink, group counts only grow): the instance can be dropped. */
  readonly monotone: boolean;
  check(inst: WorkingInstance, state: WorkingState): Rejection | undefined;
}
