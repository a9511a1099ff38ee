// The data plane's view of the ELBv2 records: filled by one range read at start, then kept current
// from the store's watch (an informer). Listeners, health checks and routing read this view; nothing
// on the request path touches the store.
import { Agent } from 'node:http';
import type { Store, WatchEvent } from '../../../store/types.js';
import { SVC, type ListenerRecord, type LoadBalancerRecord, type RuleRecord, type TargetGroupRecord, type TargetRecord } from '../model.js';
import { evaluationOrder } from './routing.js';

/** A registered target as the data plane uses it. */
export interface LiveTarget {
  /** Store key of the target record. */
  key: string;
  record: TargetRecord;
  revision: number;
  /** Keep-alive connection pool to this target (ALB). */
  agent?: Agent;
  outstanding: number;
  /** In slow start mode since (ms, this process's clock), for this long. */
  slowStart?: { since: number; durationMs: number };
}

export interface LiveTargetGroup {
  /** `<account>/<region>/<tgId>`. */
  id: string;
  record: TargetGroupRecord;
  targets: LiveTarget[];
  /** Round-robin cursor. */
  next: number;
}

export interface LiveListener {
  /** `<account>/<region>/<lbId>/<listenerId>`. */
  id: string;
  lb: LoadBalancerRecord;
  record: ListenerRecord;
  /** Rules in evaluation order. */
  rules: RuleRecord[];
}

interface Parsed { scope: string; kind: string; id: string }
function parseKey(key: string): Parsed | undefined {
  const parts = key.split('/');
  // ['', 'elasticloadbalancing', account, region, kind, ...id]
  if (parts.length < 6 || parts[2].startsWith('_')) return undefined;
  return { scope: `${parts[2]}/${parts[3]}`, kind: parts[4], id: parts.slice(5).join('/') };
}

export class PlaneView {
  private lbs = new Map<string, LoadBalancerRecord>();
  private listenerRecords = new Map<string, ListenerRecord>();
  private ruleRecords = new Map<string, RuleRecord>();
  private tgRecords = new Map<string, TargetGroupRecord>();
  private targetRecords = new Map<string, { record: TargetRecord; revision: number; key: string; tg: string }>();
  /** Live objects kept across rebuilds (their pools and counters survive a config change). */
  private liveTargets = new Map<string, LiveTarget>();

  listeners = new Map<string, LiveListener>();
  targetGroups = new Map<string, LiveTargetGroup>();

  private unwatch?: () => void;
  private dirty = false;

  /** `timeScale` scales slow start durations as the health checker scales its timers (tests: 0.1). */
  constructor(private readonly store: Store, private readonly onChange: () => void, private readonly timeScale = 1) {}

  async start() {
    const page = await this.store.range(`/${SVC}/`);
    for (const kv of page.kvs) this.apply({ type: 'put', key: kv.key, value: kv.value, revision: kv.modRevision });
    this.rebuild();
    this.unwatch = this.store.watch(`/${SVC}/`, page.revision, (e) => {
      this.apply(e);
      if (!this.dirty) {
        this.dirty = true;
        queueMicrotask(() => { this.dirty = false; this.rebuild(); this.onChange(); });
      }
    });
  }

  stop() {
    this.unwatch?.();
    for (const t of this.liveTargets.values()) t.agent?.destroy();
  }

  private apply(e: WatchEvent) {
    const p = parseKey(e.key);
    if (!p) return;
    const id = `${p.scope}/${p.id}`;
    const del = e.type === 'delete';
    switch (p.kind) {
      case 'lb': if (del) this.lbs.delete(id); else this.lbs.set(id, JSON.parse(e.value)); break;
      case 'listener': if (del) this.listenerRecords.delete(id); else this.listenerRecords.set(id, JSON.parse(e.value)); break;
      case 'rule': if (del) this.ruleRecords.delete(id); else this.ruleRecords.set(id, JSON.parse(e.value)); break;
      case 'tg': if (del) this.tgRecords.delete(id); else this.tgRecords.set(id, JSON.parse(e.value)); break;
      case 'target': {
        if (del) { this.targetRecords.delete(id); break; }
        const tg = `${p.scope}/${p.id.split('/')[0]}`;
        this.targetRecords.set(id, { record: JSON.parse(e.value), revision: e.revision, key: e.key, tg });
        break;
      }
      default: break;
    }
  }

  /** Recomputes the live listeners and target groups from the records. */
  private rebuild() {
    const rulesByListener = new Map<string, RuleRecord[]>();
    for (const [id, r] of this.ruleRecords) {
      const listenerId = id.split('/').slice(0, 3).join('/');
      const list = rulesByListener.get(listenerId) ?? [];
      list.push(r);
      rulesByListener.set(listenerId, list);
    }
    const listeners = new Map<string, LiveListener>();
    for (const [id, record] of this.listenerRecords) {
      const [account, region, lbId, listenerId] = id.split('/');
      const lb = this.lbs.get(`${account}/${region}/${lbId}`);
      if (!lb) continue;
      listeners.set(id, { id, lb, record, rules: evaluationOrder(rulesByListener.get(`${account}/${region}/${listenerId}`) ?? []) });
    }
    const groups = new Map<string, LiveTargetGroup>();
    for (const [id, record] of this.tgRecords) groups.set(id, { id, record, targets: [], next: this.targetGroups.get(id)?.next ?? 0 });
    const seen = new Set<string>();
    const turnedHealthy: { group: LiveTargetGroup; live: LiveTarget }[] = [];
    for (const [id, t] of this.targetRecords) {
      const group = groups.get(t.tg);
      if (!group) continue;
      let live = this.liveTargets.get(id);
      if (!live || live.record.Address !== t.record.Address) {
        live?.agent?.destroy();
        live = { key: t.key, record: t.record, revision: t.revision, outstanding: 0 };
        this.liveTargets.set(id, live);
      } else {
        if (live.record.State !== 'healthy' && t.record.State === 'healthy') turnedHealthy.push({ group, live });
        live.record = t.record;
        live.revision = t.revision;
      }
      // A target that is not healthy (or left) is out of slow start; it enters again when healthy.
      if (t.record.State !== 'healthy') live.slowStart = undefined;
      seen.add(id);
      group.targets.push(live);
    }
    // Slow start (ALB user guide): a target that becomes healthy enters it when the group has it on
    // and at least one other healthy target is not in it (so the first targets of a group do not).
    const now = Date.now();
    for (const { group, live } of turnedHealthy) {
      const seconds = Number(group.record.Attributes?.['slow_start.duration_seconds'] ?? 0);
      if (!(seconds > 0)) continue;
      const full = group.targets.some((o) => o !== live && o.record.State === 'healthy' && weightOf(o, now) === 1);
      if (full) live.slowStart = { since: now, durationMs: seconds * 1000 * this.timeScale };
    }
    for (const [id, live] of this.liveTargets) {
      if (!seen.has(id)) { live.agent?.destroy(); this.liveTargets.delete(id); }
    }
    this.listeners = listeners;
    this.targetGroups = groups;
  }

  /** The live target group an action's ARN names, in the listener's scope. */
  groupFor(listener: LiveListener, tgArn: string): LiveTargetGroup | undefined {
    const [account, region] = listener.id.split('/');
    return this.targetGroups.get(`${account}/${region}/${tgArn.split('/').at(-1)}`);
  }
}

/** The targets a request may go to: healthy ones; when none is healthy, every target that isn't
 *  draining (ALB and NLB "fail open"). */
export function routable(group: LiveTargetGroup): LiveTarget[] {
  const active = group.targets.filter((t) => t.record.State !== 'draining' && t.record.Address);
  const healthy = active.filter((t) => t.record.State === 'healthy');
  return healthy.length ? healthy : active;
}

/** A target's share (0–1]: below 1 while in slow start, rising linearly over its duration. */
export function weightOf(t: LiveTarget, now: number): number {
  if (!t.slowStart) return 1;
  const elapsed = now - t.slowStart.since;
  if (elapsed >= t.slowStart.durationMs) { t.slowStart = undefined; return 1; }
  return Math.max(elapsed / t.slowStart.durationMs, 0.001);
}

/**
 * The target for the next request or connection, by the group's load_balancing.algorithm.type:
 * round_robin (default), least_outstanding_requests (the fewest in flight, relative to the
 * target's share; ties in turn) or weighted_random. Targets in slow start get their linearly
 * rising share: round robin then picks at random by share until every target has a full one.
 */
export function pick(group: LiveTargetGroup, now = Date.now()): LiveTarget | undefined {
  const list = routable(group);
  if (!list.length) return undefined;
  const turn = group.next;
  group.next = (group.next + 1) % 1_000_000_007;
  const algorithm = group.record.Attributes?.['load_balancing.algorithm.type'] ?? 'round_robin';
  // Every share is full unless a target is in slow start (the common case needs no weights).
  if (algorithm === 'round_robin' && !list.some((t) => t.slowStart)) return list[turn % list.length];
  const weights = list.map((t) => weightOf(t, now));
  if (algorithm === 'least_outstanding_requests') {
    let best = list[turn % list.length];
    let bestScore = Infinity;
    for (let k = 0; k < list.length; k++) {
      const i = (turn + k) % list.length;
      const score = (list[i].outstanding + 1) / weights[i];
      if (score < bestScore) { best = list[i]; bestScore = score; }
    }
    return best;
  }
  if (algorithm === 'weighted_random' || weights.some((w) => w < 1)) {
    let r = Math.random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < list.length; i++) { r -= weights[i]; if (r < 0) return list[i]; }
    return list[list.length - 1];
  }
  return list[turn % list.length];
}
