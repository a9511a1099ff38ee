// The placement stack (STYLE point 6, after Nomad's GenericStack): feasibility stages filter,
// rank stages order, and `select` is the straightforward composition of the two. This is the
// REFERENCE path: it judges every instance for every task. fast/ computes the same choice
// incrementally; a test holds the two to identical answers.
//
// For each task:
//   1. Feasibility, in ECS's order (resources before constraints), first rejection wins — it is
//      the instance's failure reason:
//        agent             ACTIVE and agent connected              → AGENT / INACTIVE / DRAINING
//        attributes        task definition's requiresAttributes    → ATTRIBUTE
//        resources         CPU units, then memory                  → RESOURCE:CPU / RESOURCE:MEMORY
//        ports             fixed host ports, TCP and UDP           → RESOURCE:PORTS
//        distinctInstance  no other task of the group there        → DistinctInstance placement constraint unsatisfied.
//        memberOf          every cluster query expression holds    → MemberOf placement constraint unsatisfied.
//   2. Rank: each strategy is a tier (spread → the group's task count where the instance is;
//      binpack → what the instance has left). Candidates compare tier by tier in the order the
//      strategies were given: spread by AZ, THEN binpack within the AZ — lexicographic, never
//      averaged. Ties left after the last tier go to the earlier instance in the snapshot.
//   3. A random tier picks uniformly among the candidates tied on the tiers before it (one RNG
//      draw per task); tiers after it are never reached.
//   4. The chosen instance takes the task in the working snapshot (resources, ports, group counts)
//      before the next task is judged.
import { agentStage } from './feasibility/agent.js';
import { attributesStage } from './feasibility/attributes.js';
import { distinctInstanceStage } from './feasibility/distinct-instance.js';
import { memberOfStage } from './feasibility/member-of.js';
import { portsStage } from './feasibility/ports.js';
import { resourcesStage } from './feasibility/resources.js';
import type { FeasibilityStage } from './feasibility/stage.js';
import { binpackStage } from './rank/binpack.js';
import { pickRandom } from './rank/random.js';
import { spreadStage } from './rank/spread.js';
import { compareRanks, type RankStage } from './rank/stage.js';
import type { Tier } from './request.js';
import type { InstanceVerdict, Rejection, Rng } from './types.js';
import type { WorkingInstance, WorkingState } from './working.js';

/** The feasibility stages, in order. */
export const FEASIBILITY: readonly FeasibilityStage[] = [
  agentStage, attributesStage, resourcesStage, portsStage, distinctInstanceStage, memberOfStage,
];

/** The rank stages for the strategies up to (not including) the first random tier. */
export function rankStages(tiers: readonly Tier[]): { stages: RankStage[]; random: boolean } {
  const stages: RankStage[] = [];
  for (const tier of tiers) {
    if (tier.kind === 'random') return { stages, random: true };
    stages.push(tier.kind === 'binpack' ? binpackStage(tier) : spreadStage(tier));
  }
  return { stages, random: false };
}

/** The first stage that rejects the instance, or undefined if it can take the task. */
export function judge(inst: WorkingInstance, state: WorkingState, stages: readonly FeasibilityStage[] = FEASIBILITY): Rejection | undefined {
  for (const stage of stages) {
    const r = stage.check(inst, state);
    if (r) return r;
  }
  return undefined;
}

/** Every instance's verdict for the next task, in snapshot order. */
export function verdicts(state: WorkingState, ranks: readonly RankStage[]): InstanceVerdict[] {
  return state.instances.map((inst) => {
    const rejected = judge(inst, state);
    return rejected ? { arn: inst.arn, rejected } : { arn: inst.arn, rank: ranks.map((r) => r.value(inst, state)) };
  });
}

export interface Selection {
  chosen?: WorkingInstance;
  rank?: number[];
  tied?: number;
  /** Filled when asked for, or when nothing could be chosen (they make the failures). */
  verdicts?: InstanceVerdict[];
}

/** Chooses the instance for the next task by judging and ranking every instance. */
export function select(state: WorkingState, ranks: readonly RankStage[], random: boolean, rng: Rng, explain: boolean): Selection {
  const all: InstanceVerdict[] | undefined = explain ? [] : undefined;
  let best: number[] | undefined;
  let tied: WorkingInstance[] = [];
  for (const inst of state.instances) {
    const rejected = judge(inst, state);
    if (rejected) { all?.push({ arn: inst.arn, rejected }); continue; }
    const rank = ranks.map((r) => r.value(inst, state));
    all?.push({ arn: inst.arn, rank });
    const c = best === undefined ? -1 : compareRanks(rank, best);
    if (c < 0) { best = rank; tied = [inst]; } else if (c === 0) tied.push(inst);
  }
  if (tied.length === 0) return { verdicts: all ?? verdicts(state, ranks) };
  const chosen = random ? pickRandom(tied, rng) : tied[0];
  return { chosen, rank: best, tied: random ? tied.length : undefined, verdicts: all };
}
