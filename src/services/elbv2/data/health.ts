// Health checks: one loop per target of every target group a load balancer uses, on the group's
// interval, with its timeout, thresholds, path and matcher (HTTP) or a TCP connect. Only state
// transitions are written (compare-and-swap on the target record); draining targets are deleted when
// their deregistration delay ends. Timers scale by config.healthCheckTimeScale (tests: 0.1).
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Clock } from '../../../common/ids.js';
import type { Store } from '../../../store/types.js';
import { REASONS } from '../api/targets.js';
import type { TargetGroupRecord, TargetRecord } from '../model.js';
import type { LiveTarget, PlaneView } from './view.js';

export interface CheckResult { ok: boolean; reason?: { Reason: string; Description: string } }

/** Does an HTTP status match a matcher like "200", "200-299" or "200,302"? */
export function codeMatches(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [lo, hi] = part.split('-').map(Number);
    return hi === undefined ? status === lo : status >= lo && status <= hi;
  });
}

export function checkOnce(tg: TargetGroupRecord, t: TargetRecord, timeoutMs: number): Promise<CheckResult> {
  const port = tg.HealthCheckPort === 'traffic-port' || !tg.HealthCheckPort ? t.Port : Number(tg.HealthCheckPort);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: CheckResult) => { if (!settled) { settled = true; clearTimeout(timer); resolve(r); } };
    const timer = setTimeout(() => { done({ ok: false, reason: REASONS.timeout }); cleanup(); }, timeoutMs);
    let cleanup = () => {};
    if (tg.HealthCheckProtocol === 'HTTP' || tg.HealthCheckProtocol === 'HTTPS') {
      const req = request({ host: t.Address, port, path: tg.HealthCheckPath ?? '/', method: 'GET', agent: false,
        headers: { 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' } }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        done(codeMatches(tg.Matcher?.HttpCode ?? '200', status) ? { ok: true } : { ok: false, reason: REASONS.mismatch(status) });
      });
      req.on('error', () => done({ ok: false, reason: REASONS.failed }));
      req.end();
      cleanup = () => req.destroy();
    } else {
      const socket = connect({ host: t.Address, port }, () => { done({ ok: true }); socket.destroy(); });
      socket.on('error', () => done({ ok: false, reason: REASONS.failed }));
      cleanup = () => socket.destroy();
    }
  });
}

interface Loop { timer?: NodeJS.Timeout; successes: number; failures: number; stopped: boolean }

export class HealthChecker {
  private loops = new Map<string, Loop>();
  private drains = new Map<string, NodeJS.Timeout>();

  constructor(private readonly store: Store, private readonly view: PlaneView, private readonly clock: Clock,
    private readonly scale: number, private readonly log: (m: string) => void) {}

  /** Starts loops for targets that need checking, stops the others; schedules drain ends. */
  reconcile() {
    const want = new Map<string, { tgId: string; target: LiveTarget }>();
    const draining = new Map<string, LiveTarget>();
    for (const g of this.view.targetGroups.values()) {
      const inUse = (g.record.LoadBalancerArns ?? []).length > 0;
      for (const t of g.targets) {
        if (t.record.State === 'draining') draining.set(t.key, t);
        else if (inUse && g.record.HealthCheckEnabled !== false && t.record.Address) want.set(t.key, { tgId: g.id, target: t });
      }
    }
    for (const [key, loop] of this.loops) if (!want.has(key)) { loop.stopped = true; clearTimeout(loop.timer); this.loops.delete(key); }
    for (const [key, { tgId }] of want) {
      if (this.loops.has(key)) continue;
      const loop: Loop = { successes: 0, failures: 0, stopped: false };
      this.loops.set(key, loop);
      void this.run(key, tgId, loop);
    }
    for (const [key, timer] of this.drains) if (!draining.has(key)) { clearTimeout(timer); this.drains.delete(key); }
    for (const [key, t] of draining) {
      if (this.drains.has(key)) continue;
      const wait = Math.max(0, new Date(t.record.DrainUntil ?? 0).getTime() - this.clock.now().getTime()) * this.scale;
      this.drains.set(key, setTimeout(() => {
        this.drains.delete(key);
        this.store.delete(t.key, t.revision).catch((err: Error) => this.log(`elb: ending drain of ${key}: ${err.message}`));
      }, Math.min(wait, 2_147_483_647)));
    }
  }

  private async run(key: string, tgId: string, loop: Loop) {
    while (!loop.stopped) {
      const group = this.view.targetGroups.get(tgId);
      const target = group?.targets.find((t) => t.key === key);
      if (!group || !target) return;
      const tg = group.record;
      const started = Date.now();
      const result = await checkOnce(tg, target.record, (tg.HealthCheckTimeoutSeconds ?? 5) * 1000 * this.scale);
      if (loop.stopped) return;
      if (result.ok) { loop.successes++; loop.failures = 0; } else { loop.failures++; loop.successes = 0; }
      const next = this.transition(target.record, tg, loop, result);
      if (next) {
        const live = this.view.targetGroups.get(tgId)?.targets.find((t) => t.key === key) ?? target;
        const ok = await this.store.update(key, JSON.stringify({ ...live.record, ...next }), live.revision).catch(() => false);
        if (!ok) { loop.successes = 0; loop.failures = 0; }
      }
      const wait = (tg.HealthCheckIntervalSeconds ?? 30) * 1000 * this.scale - (Date.now() - started);
      await new Promise<void>((resolve) => { loop.timer = setTimeout(resolve, Math.max(0, wait)); });
    }
  }

  /** The record change a check result causes, if any. */
  private transition(t: TargetRecord, tg: TargetGroupRecord, loop: Loop, result: CheckResult): Partial<TargetRecord> | undefined {
    const healthyAfter = tg.HealthyThresholdCount ?? 5;
    const unhealthyAfter = tg.UnhealthyThresholdCount ?? 2;
    if (result.ok) {
      if (t.State === 'healthy') return undefined;
      if (loop.successes >= healthyAfter) {
        return { State: 'healthy', Reason: undefined, Description: undefined };
      }
      if (t.State === 'initial' && t.Reason !== REASONS.initial.Reason) return { ...REASONS.initial };
      return undefined;
    }
    if (t.State === 'unhealthy' && t.Reason === result.reason?.Reason && t.Description === result.reason?.Description) return undefined;
    if (t.State === 'unhealthy' || loop.failures >= unhealthyAfter) return { State: 'unhealthy', ...result.reason };
    if (t.State === 'initial' && t.Reason !== REASONS.initial.Reason) return { ...REASONS.initial };
    return undefined;
  }

  stop() {
    for (const loop of this.loops.values()) { loop.stopped = true; clearTimeout(loop.timer); }
    for (const t of this.drains.values()) clearTimeout(t);
    this.loops.clear();
    this.drains.clear();
  }
}
