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

  constructor(private readonly store: Store, private readonly onChange: () => void) {}

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
    for (const [id, t] of this.targetRecords) {
      const group = groups.get(t.tg);
      if (!group) continue;
      let live = this.liveTargets.get(id);
      if (!live || live.record.Address !== t.record.Address) {
        live?.agent?.destroy();
        live = { key: t.key, record: t.record, revision: t.revision, outstanding: 0 };
        this.liveTargets.set(id, live);
      } else {
        live.record = t.record;
        live.revision = t.revision;
      }
      seen.add(id);
      group.targets.push(live);
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

/** Round robin over the routable targets. */
export function pick(group: LiveTargetGroup): LiveTarget | undefined {
  const list = routable(group);
  if (!list.length) return undefined;
  const t = list[group.next % list.length];
  group.next = (group.next + 1) % 1_000_000_007;
  return t;
}
