// The working snapshot: a private, mutable copy of the instances that each placed task updates
// (resources, ports, group counts) before the next task is placed. Both placement paths use it,
// and the same `apply`, so they see the same world.
import type { QueryTarget } from './query/index.js';
import type { CompiledRequest } from './request.js';
import type { PlacementInstance, PlacementSnapshot } from './types.js';

/** What a WorkingInstance derives from its source once: kept per source object (a caller that
 *  hands the engine the same PlacementInstance again, e.g. a cached cluster view, pays it once). */
interface Base {
  attrs: Map<string, string>;
  tcp: Set<number>;
  udp: Set<number>;
  groups: Map<string, number>;
  registeredAt?: number;
}
const bases = new WeakMap<PlacementInstance, Base>();

function baseOf(source: PlacementInstance): Base {
  let base = bases.get(source);
  if (!base) {
    const groups = new Map<string, number>();
    for (const t of source.tasks ?? []) if (t.group) groups.set(t.group, (groups.get(t.group) ?? 0) + 1);
    base = {
      attrs: new Map((source.attributes ?? []).filter((a) => a.name).map((a) => [a.name!, a.value ?? ''])),
      tcp: new Set(source.usedTcpPorts ?? []), udp: new Set(source.usedUdpPorts ?? []), groups,
      registeredAt: epochMs(source.registeredAt),
    };
    bases.set(source, base);
  }
  return base;
}

export class WorkingInstance implements QueryTarget {
  readonly arn: string;
  readonly ec2InstanceId?: string;
  readonly status: string;
  readonly agentConnected: boolean;
  readonly agentVersion?: string;
  readonly registeredAt?: number;
  readonly runningTasksCount: number;
  /** Shared with every other copy of the same source: never written. */
  readonly attrs: Map<string, string>;
  cpu: number;
  memory: number;
  /** Shared with the source's base until the first apply (copy on write: `own`). */
  tcp: Set<number>;
  udp: Set<number>;
  /** Tasks per group on this instance (only groups with at least one task). */
  groups: Map<string, number>;
  private owned = false;

  constructor(readonly index: number, source: PlacementInstance) {
    const base = baseOf(source);
    this.arn = source.arn;
    this.ec2InstanceId = source.ec2InstanceId;
    this.status = source.status ?? 'ACTIVE';
    this.agentConnected = source.agentConnected;
    this.agentVersion = source.agentVersion;
    this.registeredAt = base.registeredAt;
    this.runningTasksCount = source.runningTasksCount ?? 0;
    this.attrs = base.attrs;
    this.cpu = source.remainingCpu;
    this.memory = source.remainingMemory;
    this.tcp = base.tcp;
    this.udp = base.udp;
    this.groups = base.groups;
  }

  /** Private copies of what apply() changes. */
  own() {
    if (this.owned) return;
    this.owned = true;
    this.tcp = new Set(this.tcp);
    this.udp = new Set(this.udp);
    this.groups = new Map(this.groups);
  }

  attribute(name: string): string | undefined { return this.attrs.get(name); }
  taskGroups(): Iterable<string> { return this.groups.keys(); }
}

export class WorkingState {
  readonly instances: WorkingInstance[];
  /** Per spread attribute: tasks of the request's group per attribute value, over ALL instances
   *  (full or not: spreading is about where the group's tasks are). */
  private readonly spread = new Map<string, Map<string, number>>();

  constructor(snapshot: PlacementSnapshot, readonly request: CompiledRequest) {
    this.instances = snapshot.instances.map((s, i) => new WorkingInstance(i, s));
    for (const tier of request.tiers) {
      if (tier.kind !== 'spread-attribute' || this.spread.has(tier.attribute)) continue;
      const counts = new Map<string, number>();
      for (const inst of this.instances) {
        const value = inst.attrs.get(tier.attribute);
        if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + this.groupCount(inst));
      }
      this.spread.set(tier.attribute, counts);
    }
  }

  /** Tasks of the request's group on the instance. */
  groupCount(inst: WorkingInstance): number {
    return inst.groups.get(this.request.group) ?? 0;
  }

  /** Tasks of the request's group on instances sharing this instance's value of `attribute`;
   *  Infinity when the instance lacks the attribute (it ranks after every instance that has it). */
  spreadCount(attribute: string, inst: WorkingInstance): number {
    return this.spreadCountOf(attribute, inst.attrs.get(attribute));
  }

  /** The same, by attribute value (undefined: the attribute is absent). */
  spreadCountOf(attribute: string, value: string | undefined): number {
    return value === undefined ? Infinity : this.spread.get(attribute)!.get(value) ?? 0;
  }

  /** Takes one task's needs from the instance and counts the task in its group. */
  apply(inst: WorkingInstance) {
    const { needs, group } = this.request;
    inst.own();
    inst.cpu -= needs.cpu;
    inst.memory -= needs.memory;
    for (const p of needs.ports) inst.tcp.add(p);
    for (const p of needs.portsUdp) inst.udp.add(p);
    inst.groups.set(group, (inst.groups.get(group) ?? 0) + 1);
    for (const [attribute, counts] of this.spread) {
      const value = inst.attrs.get(attribute);
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
  }
}

function epochMs(v: string | Date | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'number' ? v : v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}
