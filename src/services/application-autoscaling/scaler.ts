// The scaler: every tick, for each scalable target, runs due scheduled actions, keeps the ECS
// service's desired count inside [min, max], and runs the policies whose alarms are in ALARM
// (target tracking: AlarmHigh scales out to ceil(current × metric / target), AlarmLow scales in
// the same way; step scaling: the step whose interval holds metric − threshold). Cooldowns and
// rate() schedules follow the time scale. Changes go to ECS through the internal client
// (UpdateService) and are recorded as scaling activities in AWS's words. Level-triggered: state
// lives in the store (cooldown times, last scheduled runs), so a restart resumes.
import type { StepScalingPolicyConfiguration } from '@aws-sdk/client-application-auto-scaling';
import type { DescribeAlarmsOutput, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { DescribeServicesResponse } from '@aws-sdk/client-ecs';
import type { Scope } from '../../common/records.js';
import { accountRoot, type AppContext } from '../context.js';
import type { Worker } from '../types.js';
import type { AasConfig } from './config.js';
import { policies, scheduled, serviceOf, TARGET_INDEX, targets, type PolicyRecord, type TargetRecord } from './model.js';
import { parseSchedule } from './schedule.js';
import { recordActivity } from './targets.js';

interface Decision { capacity: number; cause: string; direction: 'out' | 'in'; policy: string }

/** AWS's rounding of PercentChangeInCapacity adjustments. */
export function percentChange(current: number, percent: number, minMagnitude = 0): number {
  const raw = (current * percent) / 100;
  let change = raw > 1 ? Math.floor(raw) : raw > 0 ? 1 : raw < -1 ? Math.ceil(raw) : raw < 0 ? -1 : 0;
  if (Math.abs(change) < minMagnitude) change = Math.sign(change) * minMagnitude;
  return current + change;
}

/** The capacity a step scaling policy asks for when its alarm breaches by `delta` (metric − threshold).
 *  Above the threshold a step's lower bound is inclusive and its upper bound exclusive; below it,
 *  the lower bound is exclusive and the upper bound inclusive (AWS's StepAdjustment). */
export function stepCapacity(config: StepScalingPolicyConfiguration, current: number, delta: number): number | undefined {
  const above = delta >= 0;
  const step = (config.StepAdjustments ?? []).find((s) => {
    const lo = s.MetricIntervalLowerBound;
    const hi = s.MetricIntervalUpperBound;
    return (lo === undefined || (above ? delta >= lo : delta > lo)) && (hi === undefined || (above ? delta < hi : delta <= hi));
  });
  if (!step) return undefined;
  const adj = step.ScalingAdjustment ?? 0;
  switch (config.AdjustmentType) {
    case 'ExactCapacity': return adj;
    case 'PercentChangeInCapacity': return percentChange(current, adj, config.MinAdjustmentMagnitude);
    default: return current + adj;
  }
}

const latest = (a: MetricAlarm): number | undefined => {
  try {
    const data = JSON.parse(a.StateReasonData ?? '{}') as { recentDatapoints?: number[] };
    return data.recentDatapoints?.at(-1);
  } catch { return undefined; }
};

export class Scaler implements Worker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  activities = 0;

  private constructor(private readonly app: AppContext, private readonly config: AasConfig) {}

  static start(app: AppContext, config: AasConfig) {
    const s = new Scaler(app, config);
    if (config.scaler) {
      const every = Math.max(20, (config.tickSeconds * 1000) / config.timeScale);
      s.timer = setInterval(() => { if (!s.running) s.running = s.tick().finally(() => { s.running = undefined; }); }, every);
      s.timer.unref();
    }
    return s;
  }

  async tick(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.app.store.range(TARGET_INDEX, { startAfter: after, limit: 200 });
      for (const kv of page.kvs) {
        const [account, region, ...rest] = kv.key.slice(TARGET_INDEX.length).split('/');
        try { await this.visit({ account, region }, rest.join('/')); } catch (err) { console.error(`application-autoscaling: ${rest.join('/')}`, err); }
      }
      if (!page.more) break;
      after = page.kvs.at(-1)!.key;
    }
  }

  private async visit(scope: Scope, id: string) {
    const store = this.app.store;
    const caller = accountRoot(scope);
    const now = this.app.clock.now().getTime();
    const t = await targets(store).getVersioned(scope, id);
    if (!t) return;
    const target = t.value;
    if (!target.SuspendedState.ScheduledScalingSuspended) await this.runSchedules(scope, id, target, now);
    const { cluster, service } = serviceOf(target.ResourceId);
    const described = await this.app.call<DescribeServicesResponse>('ecs', 'DescribeServices', { cluster, services: [service] }, caller);
    const svc = described.services?.[0];
    if (!svc || svc.status !== 'ACTIVE') return;
    const current = svc.desiredCount ?? 0;
    let decision: Decision | undefined;
    if (current < target.MinCapacity) decision = { capacity: target.MinCapacity, cause: `minimum capacity was set to ${target.MinCapacity}`, direction: 'out', policy: '' };
    else if (current > target.MaxCapacity) decision = { capacity: target.MaxCapacity, cause: `maximum capacity was set to ${target.MaxCapacity}`, direction: 'in', policy: '' };
    else decision = await this.policyDecision(scope, id, target, current, now);
    if (!decision) return;
    const capacity = Math.min(target.MaxCapacity, Math.max(target.MinCapacity, decision.capacity));
    if (capacity === current) return;
    let status: { StatusCode: 'Successful' | 'Failed'; StatusMessage: string };
    try {
      await this.app.call('ecs', 'UpdateService', { cluster, service, desiredCount: capacity }, caller);
      status = { StatusCode: 'Successful', StatusMessage: `Successfully set desired count to ${capacity}. Change successfully fulfilled by ecs.` };
    } catch (err) {
      status = { StatusCode: 'Failed', StatusMessage: `Failed to set desired count to ${capacity}. Reason: ${(err as Error).message}` };
    }
    await recordActivity(store, scope, this.app.ids, target, now, { Description: `Setting desired count to ${capacity}.`, Cause: decision.cause, ...status });
    this.activities++;
    await this.updateTarget(scope, id, (r) => {
      if (decision.direction === 'out') r.lastScaleOut = now; else r.lastScaleIn = now;
      if (decision.policy) r.policyRuns = { ...r.policyRuns, [decision.policy]: now };
    });
  }

  private async updateTarget(scope: Scope, id: string, change: (r: TargetRecord) => void) {
    const records = targets(this.app.store);
    for (let attempt = 0; attempt < 5; attempt++) {
      const t = await records.getVersioned(scope, id);
      if (!t) return;
      change(t.value);
      if (await records.put(scope, id, t.value, t.revision)) return;
    }
  }

  private async runSchedules(scope: Scope, id: string, target: TargetRecord, now: number) {
    const records = scheduled(this.app.store);
    for (const { value: a, revision } of await records.listVersioned(scope, `${id}|`)) {
      if ((a.StartTime && now < Date.parse(a.StartTime)) || (a.EndTime && now > Date.parse(a.EndTime))) continue;
      const created = Date.parse(a.CreationTime);
      const due = parseSchedule(a.Schedule!, a.Timezone ?? 'UTC', created).due(a.lastRun ?? created - 1, now, this.config.timeScale);
      if (due === undefined) continue;
      if (!await records.put(scope, `${id}|${a.ScheduledActionName}`, { ...a, lastRun: due }, revision)) continue;
      const min = a.ScalableTargetAction?.MinCapacity;
      const max = a.ScalableTargetAction?.MaxCapacity;
      await this.updateTarget(scope, id, (r) => {
        if (min !== undefined) r.MinCapacity = min;
        if (max !== undefined) r.MaxCapacity = max;
        if (r.MinCapacity > r.MaxCapacity) { if (min !== undefined) r.MaxCapacity = r.MinCapacity; else r.MinCapacity = r.MaxCapacity; }
      });
      if (min !== undefined) target.MinCapacity = min;
      if (max !== undefined) target.MaxCapacity = max;
      const what = [min !== undefined && `min capacity to ${min}`, max !== undefined && `max capacity to ${max}`].filter(Boolean).join(' and ');
      await recordActivity(this.app.store, scope, this.app.ids, target, now, {
        Description: `Setting ${what}`, Cause: `scheduled action name ${a.ScheduledActionName} was triggered`,
        StatusCode: 'Successful', StatusMessage: `Successfully set ${what}. Change successfully fulfilled by ecs.`,
      });
      this.activities++;
    }
  }

  private async policyDecision(scope: Scope, id: string, target: TargetRecord, current: number, now: number): Promise<Decision | undefined> {
    const caller = accountRoot(scope);
    const scale = this.config.timeScale;
    const cooled = (last: number | undefined, seconds: number) => last === undefined || now - last >= (seconds * 1000) / scale;
    const outs: Decision[] = [];
    const ins: Decision[] = [];
    for (const p of await policies(this.app.store).list(scope, `${id}|`)) {
      const alarms = await this.alarmsOf(p, caller);
      for (const a of alarms.filter((x) => x.StateValue === 'ALARM' && x.ActionsEnabled !== false)) {
        const cause = `monitor alarm ${a.AlarmName} in state ALARM triggered policy ${p.PolicyName}`;
        const metric = latest(a);
        let capacity: number | undefined;
        if (p.PolicyType === 'TargetTrackingScaling') {
          const tt = p.TargetTrackingScalingPolicyConfiguration!;
          if (metric === undefined) continue;
          const wanted = Math.ceil((current * metric) / tt.TargetValue!);
          const high = a.AlarmName!.includes('-AlarmHigh-');
          if (high && cooled(target.lastScaleOut, tt.ScaleOutCooldown ?? 300)) capacity = Math.max(wanted, current + 1);
          if (!high && !tt.DisableScaleIn && cooled(target.lastScaleIn, tt.ScaleInCooldown ?? 300) && cooled(target.lastScaleOut, tt.ScaleOutCooldown ?? 300)) {
            capacity = Math.min(Math.max(wanted, 0), current - 1);
          }
        } else {
          const step = p.StepScalingPolicyConfiguration!;
          if (!cooled(target.policyRuns?.[p.PolicyName!], step.Cooldown ?? 300)) continue;
          capacity = stepCapacity(step, current, (metric ?? a.Threshold ?? 0) - (a.Threshold ?? 0));
        }
        if (capacity === undefined || capacity === current) continue;
        (capacity > current ? outs : ins).push({ capacity, cause, direction: capacity > current ? 'out' : 'in', policy: p.PolicyName! });
      }
    }
    // Scale-out wins over scale-in; among several, the largest capacity (AWS's rule for multiple policies).
    if (outs.length && !target.SuspendedState.DynamicScalingOutSuspended) return outs.sort((a, b) => b.capacity - a.capacity)[0];
    if (ins.length && !target.SuspendedState.DynamicScalingInSuspended) return ins.sort((a, b) => b.capacity - a.capacity)[0];
    return undefined;
  }

  private async alarmsOf(p: PolicyRecord, caller: ReturnType<typeof accountRoot>): Promise<MetricAlarm[]> {
    const names = (p.Alarms ?? []).map((a) => a.AlarmName!);
    if (p.PolicyType === 'TargetTrackingScaling' && !names.length) return [];
    const input = p.PolicyType === 'TargetTrackingScaling' ? { AlarmNames: names } : { ActionPrefix: p.PolicyARN, MaxRecords: 100 };
    const out = await this.app.call<DescribeAlarmsOutput>('monitoring', 'DescribeAlarms', input, caller);
    return out.MetricAlarms ?? [];
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  stats() { return { scalingActivities: this.activities }; }
}
