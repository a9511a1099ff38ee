// The incremental placement path: the same choice as stack.ts's `select`, without judging every
// instance for every task. It applies when the strategies are some spread(attribute:…) tiers
// followed by per-instance tiers (binpack cpu|memory, spread instanceId|host) and no random.
//
// How it stays equal to the reference:
// - Instances are bucketed by their values of the spread attributes ("leaves": one per AZ for
//   spread by AZ). A leaf's spread counts are the same for all its instances, so the reference's
//   rank tuple is (leaf counts…, instance keys…): the best candidate is the best instance of the
//   best leaf, comparing leaves with equal counts by their best instance (keys, then index).
// - In a leaf, candidates sit in a SortedIndex ordered by (keys…, snapshot index): exactly the
//   reference's tie-break. With binpack first, a binary search skips instances with too little of
//   that resource (the resources stage would reject them anyway).
// - Feasibility uses the very same stages. Stages whose verdict cannot change during a placement
//   (agent, attributes, memberOf without task:group) are judged once, up front. An instance
//   rejected by a monotone stage (resources and ports only shrink, group counts only grow, and all
//   tasks of a request are identical) can never come back and is dropped for good, so scanning
//   costs O(n) over the whole request, not per task.
// - A task that cannot be placed gets its verdicts from the reference `verdicts`.
import type { FeasibilityStage } from '../feasibility/stage.js';
import type { CompiledRequest, Tier } from '../request.js';
import { FEASIBILITY, judge, rankStages, verdicts } from '../stack.js';
import type { InstanceVerdict } from '../types.js';
import type { WorkingInstance, WorkingState } from '../working.js';
import { SortedIndex } from './sorted-index.js';

/** Above this many leaves the per-task leaf sort costs more than it saves. */
const MAX_LEAVES = 64;

type InstanceTier = Extract<Tier, { kind: 'binpack' | 'spread-instance' }>;

interface Leaf { values: (string | undefined)[]; index: SortedIndex; counts: number[] }

export interface FastStep { chosen?: WorkingInstance; rank?: number[]; verdicts?: InstanceVerdict[] }

/** The spread attributes and per-instance tiers, if the request's strategies fit this path. */
export function fastShape(request: CompiledRequest): { spreads: string[]; keyed: InstanceTier[] } | undefined {
  const spreads: string[] = [];
  const keyed: InstanceTier[] = [];
  for (const tier of request.tiers) {
    if (tier.kind === 'random') return undefined;
    if (tier.kind === 'spread-attribute') {
      if (keyed.length > 0) return undefined;
      spreads.push(tier.attribute);
    } else {
      keyed.push(tier);
    }
  }
  return { spreads, keyed };
}

export class FastPlacer {
  private readonly leaves: Leaf[] = [];
  private readonly leafOf: Int32Array;
  private readonly keys: Float64Array[];
  /** Stages to re-check per candidate: the ones whose verdict can change. */
  private readonly live: FeasibilityStage[];
  private readonly droppable: Set<string>;
  private lessThan: (a: number, b: number) => boolean = (a, b) => a < b;

  private constructor(private readonly state: WorkingState, private readonly spreads: string[], private readonly keyed: InstanceTier[]) {
    const n = state.instances.length;
    this.leafOf = new Int32Array(n).fill(-1);
    this.keys = keyed.map(() => new Float64Array(n));
    this.live = FEASIBILITY.filter((s) => s.dynamic(state.request));
    this.droppable = new Set(FEASIBILITY.filter((s) => s.monotone || !s.dynamic(state.request)).map((s) => s.name));
  }

  /** A placer for the request, or undefined when the reference path must be used. */
  static create(state: WorkingState): FastPlacer | undefined {
    const shape = fastShape(state.request);
    if (!shape) return undefined;
    const placer = new FastPlacer(state, shape.spreads, shape.keyed);
    return placer.build() ? placer : undefined;
  }

  private build(): boolean {
    const byKey = new Map<string, { values: (string | undefined)[]; members: number[] }>();
    const spreads = this.spreads;
    for (const inst of this.state.instances) {
      const rejected = judge(inst, this.state);
      if (rejected && this.droppable.has(rejected.stage)) continue;
      // The leaf: the instance's values of the spread attributes (most requests have none or one).
      let key = '';
      if (spreads.length === 1) key = leafPart(inst.attrs.get(spreads[0]));
      else if (spreads.length > 1) for (const a of spreads) key += `${leafPart(inst.attrs.get(a))}\u0000`;
      let leaf = byKey.get(key);
      if (!leaf) {
        if (byKey.size >= MAX_LEAVES) return false;
        byKey.set(key, leaf = { values: spreads.map((a) => inst.attrs.get(a)), members: [] });
      }
      leaf.members.push(inst.index);
      this.updateKeys(inst);
    }
    this.lessThan = this.less();
    const less = this.lessThan;
    for (const { values, members } of byKey.values()) {
      // Sorted once, then laid out: inserting one by one moved the array for each instance.
      members.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
      const index = SortedIndex.fromSorted(members, less);
      for (const i of members) this.leafOf[i] = this.leaves.length;
      this.leaves.push({ values, index, counts: [] });
    }
    return true;
  }

  /** Strict order of instances inside a leaf: keys tier by tier, then snapshot index. */
  private less(): (a: number, b: number) => boolean {
    const keys = this.keys;
    if (keys.length === 0) return (a, b) => a < b;
    if (keys.length === 1) {
      const k = keys[0];
      return (a, b) => (k[a] !== k[b] ? k[a] < k[b] : a < b);
    }
    return (a, b) => {
      for (const k of keys) if (k[a] !== k[b]) return k[a] < k[b];
      return a < b;
    };
  }

  private updateKeys(inst: WorkingInstance) {
    for (let t = 0; t < this.keyed.length; t++) {
      const tier = this.keyed[t];
      this.keys[t][inst.index] = tier.kind === 'spread-instance' ? this.state.groupCount(inst)
        : tier.resource === 'cpu' ? inst.cpu : inst.memory;
    }
  }


  /** Chooses the instance for the next task and applies the task to it. */
  step(): FastStep {
    for (const leaf of this.leaves) leaf.counts = this.spreads.map((a, t) => this.state.spreadCountOf(a, leaf.values[t]));
    const order = this.leaves.filter((l) => l.index.size > 0).sort((a, b) => compareCounts(a.counts, b.counts));
    for (let g = 0; g < order.length;) {
      let end = g + 1;
      while (end < order.length && compareCounts(order[g].counts, order[end].counts) === 0) end++;
      let best: { leaf: Leaf; position: number; instance: number } | undefined;
      const less = this.lessThan;
      for (let l = g; l < end; l++) {
        const position = this.firstFeasible(order[l]);
        if (position < 0) continue;
        const instance = order[l].index.at(position);
        if (!best || less(instance, best.instance)) best = { leaf: order[l], position, instance };
      }
      if (best) return this.take(best.leaf, best.position, best.instance);
      g = end;
    }
    return { verdicts: verdicts(this.state, rankStages(this.state.request.tiers).stages) };
  }

  /** Position of the leaf's best feasible instance, or -1; drops instances that can never fit again. */
  private firstFeasible(leaf: Leaf): number {
    const first = this.keyed[0];
    const { needs } = this.state.request;
    let p = first?.kind === 'binpack' ? leaf.index.firstAtLeast(this.keys[0], first.resource === 'cpu' ? needs.cpu : needs.memory) : 0;
    while (p < leaf.index.size) {
      const inst = this.state.instances[leaf.index.at(p)];
      const rejected = judge(inst, this.state, this.live);
      if (!rejected) return p;
      if (this.droppable.has(rejected.stage)) leaf.index.removeAt(p); else p++;
    }
    return -1;
  }

  private take(leaf: Leaf, position: number, index: number): FastStep {
    const inst = this.state.instances[index];
    const rank = [...leaf.counts, ...this.keys.map((k) => k[index])];
    leaf.index.removeAt(position);
    this.state.apply(inst);
    this.updateKeys(inst);
    const rejected = judge(inst, this.state, this.live);
    if (!rejected || !this.droppable.has(rejected.stage)) leaf.index.insert(index);
    return { chosen: inst, rank };
  }
}

/** One attribute value's part of a leaf key (absent differs from every value). */
const leafPart = (v: string | undefined) => (v === undefined ? '\u0001' : `=${v}`);

function compareCounts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
