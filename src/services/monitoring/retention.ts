// Metric and alarm-history retention: a level-triggered controller (STYLE point 8) that keeps
// CloudWatch's storage bounded by its retention periods instead of growing with time.
// - Metric data (rollup.ts has the tiers and AWS's words): each pass walks the metric records
//   (ListMetrics' keys) and, for each metric, reads only the keys past their tier's age — a key
//   range [prefix, prefix + tsKey(cutoff)) per tier, in which everything found is work: datapoints
//   as put older than 3 h, 1-minute rollups older than 15 days, 5-minute ones older than 63 days,
//   hourly ones older than 455 days. Each is folded into the rollup of its age's resolution or,
//   past 455 days, deleted. A metric record whose data is all gone and that nobody has put to for
//   longer than the last tier is deleted too (ListMetrics stops listing it).
// - Alarm history: items older than `alarmHistorySeconds` (two weeks by default: CloudWatch keeps
//   an alarm's history for 14 days, deleted alarms' too) are deleted, read
//   oldest first from the region's time-ordered history keys; each takes its per-alarm twin along.
// Every change is one transaction: the source keys are compared (still there, unchanged) and
// deleted, and the rollup compared (its revision, or absent) and written with them — so a pass
// interrupted anywhere, repeated, or racing another server's pass neither loses nor double-counts
// a datapoint; a conflicting commit is left for the next pass. It remembers (in memory) when each
// metric next has work — its oldest key's age reaching its tier's cutoff — and skips it until then,
// or for at most an hour (a datapoint may be put up to two weeks back in time), so a pass with
// nothing to do reads the metric records only; a restart looks at every metric once. A pass deletes at most `batchSize`
// keys and resumes from the metric where the last one stopped; one transaction holds at most
// TXN_SOURCES + 1 compares and operations (etcd allows 128). Cutoffs come from the app's clock.
import type { AlarmHistoryItem } from '@aws-sdk/client-cloudwatch';
import { recordKey, type Scope } from '../../common/records.js';
import type { Compare, KeyValue, Op } from '../../store/types.js';
import { PeriodicPass } from '../../common/periodic-pass.js';
import type { AppContext } from '../context.js';
import {
  datapointPrefix, rollupPrefix, ROLLUP_RESOLUTIONS, tsKey, type MetricRecord, type RollupResolution, type StoredDatapoint,
} from './model.js';
import { monitoringConfig } from './config.js';
import { AWS_RETENTION, mergeRollup, periodAnswerable, resolutionAt, rollupId, type RetentionPeriods } from './rollup.js';

export interface RetentionOptions extends Partial<RetentionPeriods> {
  /** Seconds alarm history items are kept (default 14 days, CloudWatch's). */
  alarmHistorySeconds?: number;
  /** Milliseconds between passes (default 60 000). */
  intervalMs?: number;
  /** The most keys one pass deletes (default 2 000). */
  batchSize?: number;
}

export type ResolvedRetention = Required<RetentionOptions>;

export const DEFAULT_ALARM_HISTORY_SECONDS = 14 * 86_400;

export function resolveRetention(options: RetentionOptions = {}): ResolvedRetention {
  const r: ResolvedRetention = {
    ...AWS_RETENTION, alarmHistorySeconds: DEFAULT_ALARM_HISTORY_SECONDS, intervalMs: 60_000, batchSize: 2000,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  const tiers = [r.highResolutionSeconds, r.minuteSeconds, r.fiveMinuteSeconds, r.hourSeconds];
  if (tiers.some((s, i) => !(s > 0) || (i > 0 && s < tiers[i - 1]))) {
    throw new Error(`monitoring retention: each resolution must be kept at least as long as the finer one before it (${tiers.join(', ')} s)`);
  }
  if (!(r.batchSize >= 1)) throw new Error(`monitoring retention: batchSize must be at least 1, got ${r.batchSize}`);
  return r;
}

/** The retention periods queries are answered by (undefined: retention is off, all data kept),
 *  resolved once per configuration rather than on every query. */
export function retentionOf(app: AppContext): ResolvedRetention | undefined {
  const r = monitoringConfig(app).retention;
  if (r === false) return undefined;
  let resolved = resolvedConfigs.get(r);
  if (!resolved) resolvedConfigs.set(r, resolved = resolveRetention(r));
  return resolved;
}
const resolvedConfigs = new WeakMap<RetentionOptions, ResolvedRetention>();

/** Whether a query over data from `start` at this period gets datapoints (rollup.ts). */
export function answerable(app: AppContext, periodSeconds: number, start: number): boolean {
  const r = retentionOf(app);
  return !r || periodAnswerable(periodSeconds, start, app.clock.now().getTime(), r);
}

/** Sources per transaction: with the rollup, 61 compares and 61 operations. */
export const TXN_SOURCES = 60;
const PAGE = 500;
/** The longest a metric goes unvisited. */
const REVISIT_MS = 3_600_000;
/** A metric record is dropped only this long after its data's last tier, for datapoints put with
 *  timestamps after the put (up to 2 hours ahead) and the record's 5-minute refresh. */
const RECORD_GRACE_MS = 86_400_000;

export interface PassResult { rolledUp: number; deleted: number; historyDeleted: number; metricsDeleted: number }

export class MetricRetention {
  private readonly loop = new PeriodicPass('monitoring retention', () => this.pass(), (): PassResult => ({ rolledUp: 0, deleted: 0, historyDeleted: 0, metricsDeleted: 0 }));
  /** The metric record key the last pass stopped after (in memory: losing it only restarts the walk). */
  private cursor?: string;
  /** When each metric next has keys past their tier's age (in memory: a restart just looks at
   *  every metric once). Lets an idle pass skip a metric without reading its data. */
  private due = new Map<string, number>();
  private walked = new Set<string>();
  readonly totals: PassResult = { rolledUp: 0, deleted: 0, historyDeleted: 0, metricsDeleted: 0 };

  private constructor(private readonly app: AppContext, readonly options: ResolvedRetention) {}

  static start(app: AppContext, options: RetentionOptions = {}): MetricRetention {
    const retention = new MetricRetention(app, resolveRetention(options));
    retention.loop.every(retention.options.intervalMs);
    return retention;
  }

  /** A controller that never ticks by itself (tests drive it with runOnce). */
  static manual(app: AppContext, options: RetentionOptions = {}): MetricRetention {
    return new MetricRetention(app, resolveRetention(options));
  }

  /** Stops ticking; resolves when the passes under way have finished. */
  stop() { return this.loop.stop(); }

  /** One pass, after the one under way (never overlapping). */
  runOnce(): Promise<PassResult> { return this.loop.runOnce(); }

  private get closed() { return this.loop.closed; }

  private async pass(): Promise<PassResult> {
    const result: PassResult = { rolledUp: 0, deleted: 0, historyDeleted: 0, metricsDeleted: 0 };
    if (this.closed) return result;
    const now = this.app.clock.now().getTime();
    const budget = { left: this.options.batchSize };
    const regions = await this.regions();
    for (const scope of regions) {
      if (budget.left <= 0 || this.closed) break;
      result.historyDeleted += await this.purgeHistory(scope, now - this.options.alarmHistorySeconds * 1000, budget);
    }
    let finished = true;
    for (const scope of regions) {
      const metrics = recordKey('monitoring', scope, 'metric');
      if (this.cursor !== undefined && this.cursor >= `${metrics}\uffff`) continue;
      let after = this.cursor !== undefined && this.cursor > metrics ? this.cursor : undefined;
      for (;;) {
        const page = await this.app.store.range(metrics, { startAfter: after, limit: PAGE });
        for (const kv of page.kvs) {
          this.walked.add(kv.key);
          const due = this.due.get(kv.key);
          if (due === undefined || due <= now) {
            if (budget.left <= 0 || this.closed) { finished = false; break; }
            this.due.set(kv.key, await this.retainMetric(scope, kv, now, budget, result));
          }
          // A metric cut short by the budget is visited again first.
          if (budget.left > 0) this.cursor = kv.key;
          after = kv.key;
        }
        if (!finished || !page.more) break;
      }
      if (!finished) break;
    }
    if (finished) {
      this.cursor = undefined;
      for (const key of this.due.keys()) if (!this.walked.has(key)) this.due.delete(key);
      this.walked.clear();
    }
    for (const k of Object.keys(result) as (keyof PassResult)[]) this.totals[k] += result[k];
    return result;
  }

  /** Every (account, region) with CloudWatch keys: one probe per region. */
  private async regions(): Promise<Scope[]> {
    const out: Scope[] = [];
    let after: string | undefined;
    for (;;) {
      const [next] = await this.app.store.list('/monitoring/', { limit: 1, startAfter: after });
      if (!next) return out;
      const [, , account, region] = next.key.split('/');
      // '_index' is the evaluator's alarm index (alarm-state.ts), no account.
      if (account === '_index' || region === undefined) { after = `/monitoring/${account}/\uffff`; continue; }
      out.push({ account, region });
      after = `/monitoring/${account}/${region}/\uffff`;
    }
  }

  private async purgeHistory(scope: Scope, cutoff: number, budget: { left: number }): Promise<number> {
    const store = this.app.store;
    const prefix = recordKey('monitoring', scope, 'hist');
    const stop = `${prefix}${tsKey(cutoff)}`;
    let deleted = 0;
    while (budget.left >= 2 && !this.closed) {
      const page = await store.range(prefix, { limit: Math.min(PAGE, Math.floor(budget.left / 2)) });
      const expired = page.kvs.filter((kv) => kv.key < stop);
      if (!expired.length) break;
      for (let i = 0; i < expired.length; i += TXN_SOURCES / 2) {
        const ops: Op[] = expired.slice(i, i + TXN_SOURCES / 2).flatMap((kv) => {
          const item = JSON.parse(kv.value) as AlarmHistoryItem;
          const twin = recordKey('monitoring', scope, 'ahist', `${encodeURIComponent(item.AlarmName!)}/${kv.key.slice(prefix.length)}`);
          return [{ type: 'delete' as const, key: kv.key }, { type: 'delete' as const, key: twin }];
        });
        await store.txn([], ops);
        deleted += ops.length;
        budget.left -= ops.length;
      }
      if (expired.length < page.kvs.length || !page.more) break;
    }
    return deleted;
  }

  /** Moves a metric's expired keys down a tier (or out), oldest tier last; resolves when it next
   *  has work (at most REVISIT_MS away: datapoints may be put up to two weeks back in time). */
  private async retainMetric(scope: Scope, record: KeyValue, now: number, budget: { left: number }, result: PassResult): Promise<number> {
    const m = JSON.parse(record.value) as MetricRecord;
    const o = this.options;
    const tiers: { prefix: string; res: 0 | RollupResolution; keptMs: number }[] = [
      { prefix: datapointPrefix(scope, m), res: 0, keptMs: o.highResolutionSeconds * 1000 },
      ...ROLLUP_RESOLUTIONS.map((res, i) => ({
        prefix: rollupPrefix(scope, m, res), res, keptMs: [o.minuteSeconds, o.fiveMinuteSeconds, o.hourSeconds][i] * 1000,
      })),
    ];
    let next = now + REVISIT_MS;
    let empty = true;
    for (const tier of tiers) {
      const due = await this.retainTier(scope, m, tier.prefix, tier.res, now - tier.keptMs, now, budget, result);
      if (due !== undefined) { empty = false; next = Math.min(next, due); }
    }
    if (empty && now - m.lastPut > o.hourSeconds * 1000 + RECORD_GRACE_MS) {
      if (budget.left <= 0) return now;
      if ((await this.app.store.txn([{ key: record.key, modRevision: record.modRevision }], [{ type: 'delete', key: record.key }])).succeeded) {
        result.metricsDeleted++;
        budget.left--;
      }
      return now;
    }
    return next;
  }

  /** Folds one tier's keys older than the cutoff into coarser rollups; resolves when the tier next
   *  has work (its oldest key's age reaches the cutoff), now when the budget ran out first, or
   *  undefined when the tier holds no keys. */
  private async retainTier(scope: Scope, m: MetricRecord, prefix: string, res: 0 | RollupResolution, cutoff: number, now: number,
    budget: { left: number }, result: PassResult): Promise<number | undefined> {
    const store = this.app.store;
    const stop = `${prefix}${tsKey(cutoff)}`;
    for (;;) {
      // The oldest key first: most passes find it younger than the cutoff and read nothing more.
      const [oldest] = await store.list(prefix, { limit: 1 });
      if (!oldest) return undefined;
      if (oldest.key >= stop) return Number(oldest.key.slice(prefix.length, prefix.length + 15)) + (now - cutoff) + 1;
      if (budget.left <= 0 || this.closed) return now;
      const page = await store.range(prefix, { limit: Math.min(PAGE, budget.left) });
      const expired = page.kvs.filter((kv) => kv.key < stop);
      // Group by destination: a rollup (resolution, bucket, unit), or nothing past the last tier.
      const groups = new Map<string, { res: RollupResolution | 'gone'; bucket: number; unit: string; kvs: KeyValue[] }>();
      for (const kv of expired) {
        const p = JSON.parse(kv.value) as StoredDatapoint;
        const to = resolutionAt(now - p.t, this.options);
        // Never finer than where it is (a retention changed to shorter tiers): the next tier down.
        const target = to === 'gone' ? 'gone' : to === 0 || to <= res ? nextTier(res) : to;
        const bucket = target === 'gone' ? 0 : Math.floor(p.t / (target * 1000)) * target * 1000;
        const unit = p.u ?? 'None';
        const id = target === 'gone' ? 'gone' : `${target}/${rollupId(bucket, unit)}`;
        const g = groups.get(id) ?? { res: target, bucket, unit, kvs: [] };
        g.kvs.push(kv);
        groups.set(id, g);
      }
      for (const g of groups.values()) {
        for (let i = 0; i < g.kvs.length; i += TXN_SOURCES) {
          const chunk = g.kvs.slice(i, i + TXN_SOURCES);
          if (g.res === 'gone') {
            await store.txn([], chunk.map((kv) => ({ type: 'delete' as const, key: kv.key })));
            result.deleted += chunk.length;
          } else if (await this.fold(scope, m, g.res, g.bucket, g.unit, chunk)) {
            result.rolledUp += chunk.length;
          }
          budget.left -= chunk.length;
        }
      }
    }
  }

  /** Folds source keys into one rollup in one compare-and-swap transaction; false on a conflict
   *  (someone else changed a source or the rollup: the next pass looks again). */
  private async fold(scope: Scope, m: MetricRecord, res: RollupResolution, bucket: number, unit: string, sources: KeyValue[]): Promise<boolean> {
    const store = this.app.store;
    const key = `${rollupPrefix(scope, m, res)}${rollupId(bucket, unit)}`;
    const existing = await store.get(key);
    const merged = mergeRollup(bucket, unit, existing && JSON.parse(existing.value) as StoredDatapoint,
      sources.map((kv) => JSON.parse(kv.value) as StoredDatapoint));
    const compares: Compare[] = [{ key, modRevision: existing?.modRevision ?? 0 }, ...sources.map((kv) => ({ key: kv.key, modRevision: kv.modRevision }))];
    const ops: Op[] = [...sources.map((kv) => ({ type: 'delete' as const, key: kv.key })), { type: 'put', key, value: JSON.stringify(merged) }];
    return (await store.txn(compares, ops)).succeeded;
  }
}

const nextTier = (res: 0 | RollupResolution): RollupResolution | 'gone' =>
  res === 0 ? ROLLUP_RESOLUTIONS[0] : ROLLUP_RESOLUTIONS[ROLLUP_RESOLUTIONS.indexOf(res) + 1] ?? 'gone';
