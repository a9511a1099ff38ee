// The alarm evaluator: every tick, each alarm whose period has completed since it was last looked
// at is evaluated over its evaluation range (alarm-eval.ts) and its state changed when the data
// says so. Level-triggered: evaluating twice, or after a restart, changes nothing more. With a
// time scale s, a period of P seconds lasts P/s real seconds (config.ts).
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Scope } from '../../common/records.js';
import type { AppContext } from '../context.js';
import type { Worker } from '../types.js';
import { evaluateAlarm, reasonDate, type AlarmStateValue, type Comparison, type PeriodPoint, type TreatMissing } from './alarm-eval.js';
import { ALARM_INDEX, alarmRecords, changeState, type AlarmRecord } from './alarm-state.js';
import type { MonitoringConfig } from './config.js';
import { computeQueries } from './metric-data.js';
import { aggregate, readDatapoints, statistic } from './model.js';

/** Extra periods before the last N that alarms treating missing data as missing/ignore look at. */
const EXTRA_PERIODS = 2;

export class AlarmEvaluator implements Worker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly lastBucket = new Map<string, number>();
  evaluations = 0;
  transitions = 0;

  private constructor(private readonly app: AppContext, private readonly config: MonitoringConfig) {}

  static start(app: AppContext, config: MonitoringConfig) {
    const e = new AlarmEvaluator(app, config);
    if (config.alarmEvaluation) {
      const tickMs = Math.max(20, (config.evaluationTickSeconds * 1000) / config.timeScale);
      e.timer = setInterval(() => { if (!e.running) e.running = e.tick().finally(() => { e.running = undefined; }); }, tickMs);
      e.timer.unref();
    }
    return e;
  }

  /** Evaluates every alarm that has a newly completed period (all of them with force). */
  async tick(force = false): Promise<void> {
    const store = this.app.store;
    let after: string | undefined;
    for (;;) {
      const page = await store.range(ALARM_INDEX, { startAfter: after, limit: 500 });
      for (const kv of page.kvs) {
        const [account, region, ...rest] = kv.key.slice(ALARM_INDEX.length).split('/');
        const name = rest.join('/');
        try {
          await this.evaluate({ account, region }, name, force);
        } catch (err) {
          console.error(`monitoring: evaluating alarm ${name} failed`, err);
        }
      }
      if (!page.more) break;
      after = page.kvs.at(-1)!.key;
    }
  }

  private periodOf(a: AlarmRecord) {
    return a.Period ?? a.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? a.Metrics?.find((q) => q.Period)?.Period ?? 60;
  }

  async evaluate(scope: Scope, name: string, force = false): Promise<void> {
    const a = await alarmRecords(this.app.store).get(scope, name);
    if (!a) return;
    const periodMs = (this.periodOf(a) * 1000) / this.config.timeScale;
    const now = this.app.clock.now().getTime();
    const end = Math.floor(now / periodMs) * periodMs;
    const id = `${scope.account}/${scope.region}/${name}`;
    if (!force && this.lastBucket.get(id) === end) return;
    this.lastBucket.set(id, end);
    const n = a.EvaluationPeriods ?? 1;
    const start = end - (n + EXTRA_PERIODS) * periodMs;
    const values = new Map<number, number>();
    if (a.Metrics?.length) {
      const results = await computeQueries(this.app.store, scope, a.Metrics, start, end, this.config.timeScale);
      const returned = results.find((r) => r.returnData);
      for (const [t, v] of returned?.series ?? []) values.set(t, v);
    } else {
      const m = { Namespace: a.Namespace!, MetricName: a.MetricName!, Dimensions: a.Dimensions ?? [] };
      const buckets = aggregate(await readDatapoints(this.app.store, scope, m, start, end), 0, periodMs, a.Unit as StandardUnit | undefined);
      for (const [t, agg] of buckets) { const v = statistic(agg, a.Statistic ?? a.ExtendedStatistic!); if (v !== undefined) values.set(t, v); }
    }
    const range: PeriodPoint[] = [];
    for (let t = start; t < end; t += periodMs) range.push({ t, value: values.get(t) });
    this.evaluations++;
    const result = evaluateAlarm(range, {
      evaluationPeriods: n, datapointsToAlarm: a.DatapointsToAlarm ?? n, threshold: a.Threshold ?? 0,
      comparison: a.ComparisonOperator as Comparison, treatMissingData: (a.TreatMissingData ?? 'missing') as TreatMissing,
    }, a.StateValue as AlarmStateValue);
    if (!result || result.state === a.StateValue) return;
    const reasonData = JSON.stringify({
      version: '1.0', queryDate: new Date(now).toISOString(), startDate: new Date(result.evaluated[0]?.t ?? start).toISOString(),
      ...(a.Statistic ? { statistic: a.Statistic } : {}), period: this.periodOf(a),
      recentDatapoints: result.evaluated.filter((p) => p.value !== undefined).map((p) => p.value), threshold: a.Threshold,
      evaluatedDatapoints: [...result.evaluated].reverse().map((p) => ({ timestamp: new Date(p.t).toISOString(), ...(p.value !== undefined ? { value: p.value } : {}) })),
    });
    const changed = await changeState(this.app.store, scope, this.app.ids, name, now, { state: result.state, reason: result.reason, reasonData });
    if (changed === 'changed') this.transitions++;
    void reasonDate;
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  stats() { return { alarmEvaluations: this.evaluations, alarmTransitions: this.transitions }; }
}
