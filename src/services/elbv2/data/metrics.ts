// CloudWatch metrics of the data plane, counted per load balancer and per (target group, load
// balancer) and published every interval through the internal client: AWS/ApplicationELB
// (RequestCount, TargetResponseTime, HTTPCode_Target_2XX/3XX/4XX/5XX_Count, HTTPCode_ELB_5XX_Count,
// HealthyHostCount, UnHealthyHostCount, RequestCountPerTarget) and AWS/NetworkELB (NewFlowCount,
// HealthyHostCount, UnHealthyHostCount). Until the monitoring service exists the call answers
// NotImplemented: the numbers stay readable through last() and the failure is logged once.
import { AwsError } from '../../../common/errors.js';
import { accountRoot, type AppContext } from '../../context.js';
import type { LiveListener, LiveTargetGroup, PlaneView } from './view.js';

interface Datum { MetricName: string; Dimensions: { Name: string; Value: string }[]; Value?: number; Unit: string;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number }; Timestamp: Date }

interface Counters { [metric: string]: number }
interface Timing { count: number; sum: number; min: number; max: number }

/** `app/name/id` of a load balancer ARN: the LoadBalancer dimension. */
const lbDimension = (arn: string) => arn.slice(arn.indexOf(':loadbalancer/') + ':loadbalancer/'.length);
/** `targetgroup/name/id` of a target group ARN: the TargetGroup dimension. */
const tgDimension = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
const scopeOf = (id: string) => { const [account, region] = id.split('/'); return { account, region }; };

export class Metrics {
  private lb = new Map<string, { listener: LiveListener; counters: Counters; timing?: Timing }>();
  private tg = new Map<string, { listener: LiveListener; group: LiveTargetGroup; counters: Counters; timing?: Timing }>();
  private published: Datum[] = [];
  private warned = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly app: AppContext, private readonly view: PlaneView, private readonly log: (m: string) => void) {}

  start(intervalSeconds: number) {
    if (intervalSeconds > 0) this.timer = setInterval(() => void this.flush(), intervalSeconds * 1000);
    this.timer?.unref();
  }

  stop() { clearInterval(this.timer); }

  private lbEntry(listener: LiveListener) {
    const key = listener.lb.LoadBalancerArn;
    let e = this.lb.get(key);
    if (!e) { e = { listener, counters: {} }; this.lb.set(key, e); }
    return e;
  }

  request(listener: LiveListener) { const c = this.lbEntry(listener).counters; c.RequestCount = (c.RequestCount ?? 0) + 1; }
  newFlow(listener: LiveListener) { const c = this.lbEntry(listener).counters; c.NewFlowCount = (c.NewFlowCount ?? 0) + 1; }
  elb5xx(listener: LiveListener) { const c = this.lbEntry(listener).counters; c.HTTPCode_ELB_5XX_Count = (c.HTTPCode_ELB_5XX_Count ?? 0) + 1; }

  targetResponse(listener: LiveListener, group: LiveTargetGroup, status: number, seconds: number) {
    const metric = `HTTPCode_Target_${Math.floor(status / 100)}XX_Count`;
    const lbe = this.lbEntry(listener);
    lbe.counters[metric] = (lbe.counters[metric] ?? 0) + 1;
    lbe.timing = addTiming(lbe.timing, seconds);
    const key = `${group.record.TargetGroupArn} ${listener.lb.LoadBalancerArn}`;
    let e = this.tg.get(key);
    if (!e) { e = { listener, group, counters: {} }; this.tg.set(key, e); }
    e.counters[metric] = (e.counters[metric] ?? 0) + 1;
    e.counters.RequestCount = (e.counters.RequestCount ?? 0) + 1;
    e.timing = addTiming(e.timing, seconds);
  }

  /** What the last flush published (or would have, without a monitoring service). */
  last(): readonly Datum[] { return this.published; }

  /** Builds this interval's data, resets the counters, and publishes per account and namespace. */
  async flush(): Promise<Datum[]> {
    const now = this.app.clock.now();
    const out = new Map<string, { scope: { account: string; region: string }; namespace: string; data: Datum[] }>();
    const push = (listener: LiveListener, d: Omit<Datum, 'Timestamp'>) => {
      const namespace = listener.lb.Type === 'network' ? 'AWS/NetworkELB' : 'AWS/ApplicationELB';
      const k = `${listener.id.split('/').slice(0, 2).join('/')} ${namespace}`;
      const bucket = out.get(k) ?? { scope: scopeOf(listener.id), namespace, data: [] };
      bucket.data.push({ ...d, Timestamp: now });
      out.set(k, bucket);
    };
    for (const [arn, e] of this.lb) {
      const dims = [{ Name: 'LoadBalancer', Value: lbDimension(arn) }];
      for (const [name, v] of Object.entries(e.counters)) push(e.listener, { MetricName: name, Dimensions: dims, Value: v, Unit: 'Count' });
      if (e.timing) push(e.listener, timingDatum(dims, e.timing));
    }
    for (const e of this.tg.values()) {
      const dims = [{ Name: 'TargetGroup', Value: tgDimension(e.group.record.TargetGroupArn) }, { Name: 'LoadBalancer', Value: lbDimension(e.listener.lb.LoadBalancerArn) }];
      for (const [name, v] of Object.entries(e.counters)) push(e.listener, { MetricName: name, Dimensions: dims, Value: v, Unit: 'Count' });
      if (e.timing) push(e.listener, timingDatum(dims, e.timing));
    }
    // Host counts for every target group a listener forwards to, whether or not it had traffic.
    const seen = new Set<string>();
    for (const listener of this.view.listeners.values()) {
      for (const rule of listener.rules) for (const a of rule.Actions ?? []) for (const g of a.ForwardConfig?.TargetGroups ?? []) {
        const group = this.view.groupFor(listener, g.TargetGroupArn!);
        const key = `${g.TargetGroupArn} ${listener.lb.LoadBalancerArn}`;
        if (!group || seen.has(key)) continue;
        seen.add(key);
        const dims = [{ Name: 'TargetGroup', Value: tgDimension(group.record.TargetGroupArn) }, { Name: 'LoadBalancer', Value: lbDimension(listener.lb.LoadBalancerArn) }];
        const healthy = group.targets.filter((t) => t.record.State === 'healthy').length;
        const unhealthy = group.targets.filter((t) => t.record.State === 'unhealthy').length;
        push(listener, { MetricName: 'HealthyHostCount', Dimensions: dims, Value: healthy, Unit: 'Count' });
        push(listener, { MetricName: 'UnHealthyHostCount', Dimensions: dims, Value: unhealthy, Unit: 'Count' });
        if (listener.lb.Type === 'application') {
          const requests = this.tg.get(key)?.counters.RequestCount ?? 0;
          push(listener, { MetricName: 'RequestCountPerTarget', Dimensions: [dims[0]], Value: healthy ? requests / healthy : requests, Unit: 'Count' });
        }
      }
    }
    this.lb.clear();
    this.tg.clear();
    const all: Datum[] = [];
    for (const { scope, namespace, data } of out.values()) {
      all.push(...data);
      for (let i = 0; i < data.length; i += 1000) {
        try {
          await this.app.call('monitoring', 'PutMetricData', { Namespace: namespace, MetricData: data.slice(i, i + 1000) }, accountRoot(scope));
        } catch (err) {
          if (err instanceof AwsError && err.code === 'NotImplemented') {
            if (!this.warned) { this.warned = true; this.log('elb: metrics kept locally: no monitoring service to publish them to yet'); }
          } else this.log(`elb: publishing metrics: ${(err as Error).message}`);
        }
      }
    }
    this.published = all;
    return all;
  }
}

function addTiming(t: Timing | undefined, v: number): Timing {
  if (!t) return { count: 1, sum: v, min: v, max: v };
  t.count++; t.sum += v; t.min = Math.min(t.min, v); t.max = Math.max(t.max, v);
  return t;
}

const timingDatum = (dims: Datum['Dimensions'], t: Timing): Omit<Datum, 'Timestamp'> =>
  ({ MetricName: 'TargetResponseTime', Dimensions: dims, Unit: 'Seconds', StatisticValues: { SampleCount: t.count, Sum: t.sum, Minimum: t.min, Maximum: t.max } });
