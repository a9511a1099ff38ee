// A rank stage: one strategy tier. It gives each feasible instance a number; lower ranks first.
// Tiers compare lexicographically in the order the strategies were given (never averaged).
import type { Tier } from '../request.js';
import type { WorkingInstance, WorkingState } from '../working.js';

export interface RankStage {
  readonly tier: Tier;
  value(inst: WorkingInstance, state: WorkingState): number;
}

/** Lexicographic comparison of two rank tuples of the same length. */
export function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}
