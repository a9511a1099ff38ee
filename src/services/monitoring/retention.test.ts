// Metric and alarm history retention on a real server (memory and SQLite stores) with a clock the
// test moves: datapoints age through AWS's tiers (3 h as put, 15 days of 1-minute, 63 days of
// 5-minute, 455 days of 1-hour data), each pass run by hand. Statistics over the window at the
// tier's period must not change as the data is rolled up; finer periods get nothing, as on AWS.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CloudWatchClient, DescribeAlarmHistoryCommand, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricAlarmCommand,
  PutMetricDataCommand, SetAlarmStateCommand, type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { startBerth, type Berth } from '../../server/berth.js';
import { credentials } from '../../testing/harness.js';
import { compressValues } from './rollup.js';
import { MetricRetention, TXN_SOURCES } from './retention.js';
import { statistic } from './model.js';

const HOUR = 3_600_000;
/** The longest the controller leaves a metric unvisited (retention.ts). */
const REVISIT = HOUR;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-30T12:00:00Z');
const dims = [{ Name: 'svc', Value: 'web' }];
const STATS = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'] as const;

const dir = mkdtempSync(join(tmpdir(), 'berth-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// etcd too when one is given (BERTH_TEST_ETCD), in a namespace of its own: its 128-operation
// transaction limit is the one the controller's batches are sized for.
const etcd = process.env.BERTH_TEST_ETCD?.split(',').map((u) => new URL(u).host).join(',');
const drivers = ['memory://', 'sqlite', ...(etcd ? [`etcd://${etcd}/berth-test-${randomBytes(4).toString('hex')}`] : [])];

for (const driver of drivers) {
  describe(`monitoring retention (${driver.split(':')[0]})`, () => {
    let now = T0;
    const clock = { now: () => new Date(now) };
    let berth: Berth;
    let cw: CloudWatchClient;
    let retention: MetricRetention;
    let files = 0;
    before(async () => {
      const store = driver === 'sqlite' ? `sqlite://${join(dir, `r${++files}.db`)}` : driver;
      berth = await startBerth({ host: '127.0.50.5', port: 0, store, clock, config: { monitoring: { alarmEvaluation: false, retention: { intervalMs: 86_400_000 } } } });
      cw = new CloudWatchClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1, disableRequestCompression: true });
      retention = berth.services.monitoring.retention!;
    });
    after(async () => { cw.destroy(); await berth.close(); });
    beforeEach(async () => { await berth.app.store.wipe(); now = T0; });

    const stats = async (start: number, end: number, Period: number, Unit?: 'Milliseconds') => {
      const out = await cw.send(new GetMetricStatisticsCommand({
        Namespace: 'App', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(start), EndTime: new Date(end), Period, Statistics: [...STATS], Unit,
      }));
      return out.Datapoints!.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime())
        .map((d) => [d.Timestamp!.getTime(), ...STATS.map((s) => d[s])]);
    };
    const percentiles = async (start: number, end: number, Period: number) => {
      const out = await cw.send(new GetMetricStatisticsCommand({
        Namespace: 'App', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(start), EndTime: new Date(end), Period, ExtendedStatistics: ['p50', 'p90', 'p99'],
      }));
      return out.Datapoints!.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime()).map((d) => d.ExtendedStatistics);
    };
    const dataKeys = async () => {
      const count = async (kind: string) => berth.app.store.count(`/monitoring/000000000000/us-east-1/${kind}/`);
      return { raw: await count('dp'), m1: await count('dp60'), m5: await count('dp300'), h1: await count('dp3600') };
    };
    /** Runs passes until one changes nothing; returns how many did something. */
    const settle = async () => {
      for (let passes = 0; ; passes++) {
        const r = await retention.runOnce();
        if (r.rolledUp + r.deleted + r.historyDeleted + r.metricsDeleted === 0) return passes;
      }
    };

    /** Two hours of high-resolution data (every 10 s, 37 distinct values, a value array and a
     *  statistic set among them, a second unit), put at T0 − 2 h … T0. */
    const putTwoHours = async () => {
      const data: MetricDatum[] = [];
      for (let i = 0; i < 720; i++) {
        const Timestamp = new Date(T0 - 2 * HOUR + i * 10_000);
        if (i % 100 === 7) data.push({ MetricName: 'Latency', Dimensions: dims, Timestamp, Values: [1, 2, 4], Counts: [3, 1, 2], StorageResolution: 1 });
        else if (i % 100 === 8) data.push({ MetricName: 'Latency', Dimensions: dims, Timestamp, StatisticValues: { SampleCount: 5, Sum: 50, Minimum: 2, Maximum: 20 } });
        else data.push({ MetricName: 'Latency', Dimensions: dims, Timestamp, Value: (i % 37) * 1.5, StorageResolution: 1 });
        if (i % 50 === 0) data.push({ MetricName: 'Latency', Dimensions: dims, Timestamp, Value: 1000 + i, Unit: 'Milliseconds' });
      }
      await cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: data }));
    };

    it('rolls datapoints up through the tiers: statistics at each tier\'s period unchanged, finer periods get nothing, all gone after 455 days', async () => {
      await putTwoHours();
      const start = T0 - 2 * HOUR;
      const byMinute = await stats(start, T0, 60);
      const by5 = await stats(start, T0, 300);
      const byHour = await stats(start, T0, 3600);
      const ms = await stats(start, T0, 300, 'Milliseconds');
      const pHour = await percentiles(start, T0, 3600);
      assert.equal(byMinute.length, 120);
      assert.equal(byHour.length, 2);
      assert.ok(ms.length > 0);
      const fine = await stats(start, T0, 10);
      assert.equal(fine.length, 720);
      assert.deepEqual(await dataKeys(), { raw: 720 + 15, m1: 0, m5: 0, h1: 0 });

      // Within 3 hours nothing moves.
      now = T0 + HOUR;
      assert.equal(await settle(), 0);

      // After 3 hours: 1-minute rollups (one per minute and unit), the same statistics.
      now = T0 + 3 * HOUR + 60_000;
      assert.ok(await settle() > 0);
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 120 + 15, m5: 0, h1: 0 });
      assert.deepEqual(await stats(start, T0, 60), byMinute);
      assert.deepEqual(await stats(start, T0, 300), by5);
      assert.deepEqual(await stats(start, T0, 3600), byHour);
      assert.deepEqual(await stats(start, T0, 300, 'Milliseconds'), ms);
      assert.deepEqual(await percentiles(start, T0, 3600), pHour);
      // AWS: a StartTime more than 3 hours ago needs a multiple of 60 s, or no datapoints.
      assert.deepEqual(await stats(start, T0, 10), []);
      assert.deepEqual(await stats(start, T0, 30), []);

      // After 15 days: 5-minute rollups.
      now = T0 + 15 * DAY + HOUR;
      assert.ok(await settle() > 0);
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 0, m5: 24 + 15, h1: 0 });
      assert.deepEqual(await stats(start, T0, 300), by5);
      assert.deepEqual(await stats(start, T0, 3600), byHour);
      assert.deepEqual(await stats(start, T0, 300, 'Milliseconds'), ms);
      assert.deepEqual(await percentiles(start, T0, 3600), pHour);
      assert.deepEqual(await stats(start, T0, 60), []);

      // After 63 days: hourly rollups; GetMetricData agrees with GetMetricStatistics.
      now = T0 + 63 * DAY + HOUR;
      assert.ok(await settle() > 0);
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 0, m5: 0, h1: 2 + 2 });
      assert.deepEqual(await stats(start, T0, 3600), byHour);
      assert.deepEqual(await percentiles(start, T0, 3600), pHour);
      assert.deepEqual(await stats(start, T0, 300), []);
      const gmd = await cw.send(new GetMetricDataCommand({
        StartTime: new Date(start), EndTime: new Date(T0), ScanBy: 'TimestampAscending', MetricDataQueries: [
          { Id: 'sum', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency', Dimensions: dims }, Period: 3600, Stat: 'Sum' } },
          { Id: 'fine', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency', Dimensions: dims }, Period: 300, Stat: 'Sum' } },
        ],
      }));
      assert.deepEqual(gmd.MetricDataResults![0].Values, byHour.map((row) => row[2]));
      assert.deepEqual(gmd.MetricDataResults![1].Values, []);

      // After 455 days: deleted, and the metric with them (a day's grace after its last put's tier).
      now = T0 + 455 * DAY + HOUR;
      assert.ok(await settle() > 0);
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 0, m5: 0, h1: 0 });
      assert.deepEqual(await stats(start, T0, 3600), []);
      const records = () => berth.app.store.count('/monitoring/000000000000/us-east-1/metric/');
      assert.equal(await records(), 1, 'the metric record outlives its data by a grace period');
      assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: 'App' }))).Metrics, [], 'not listed: no data for two weeks');
      now = T0 + 457 * DAY;
      assert.ok(await settle() > 0);
      assert.equal(await records(), 0);
    });

    it('a pass deletes at most its batch; passes resume, then change nothing (not even the store revision)', async () => {
      const small = MetricRetention.manual(berth.app, { batchSize: 50 });
      await putTwoHours();
      const byHour = await stats(T0 - 2 * HOUR, T0, 3600);
      now = T0 + 4 * HOUR;
      const first = await small.runOnce();
      assert.equal(first.rolledUp, 50);
      assert.equal((await dataKeys()).raw, 735 - 50);
      let passes = 1;
      for (;;) {
        const r = await small.runOnce();
        assert.ok(r.rolledUp + r.deleted <= 50);
        if (r.rolledUp === 0) break;
        passes++;
      }
      assert.equal(passes, Math.ceil(735 / 50));
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 135, m5: 0, h1: 0 });
      const revision = await berth.app.store.currentRevision();
      assert.deepEqual(await small.runOnce(), { rolledUp: 0, deleted: 0, historyDeleted: 0, metricsDeleted: 0 });
      assert.deepEqual(await retention.runOnce(), { rolledUp: 0, deleted: 0, historyDeleted: 0, metricsDeleted: 0 });
      assert.equal(await berth.app.store.currentRevision(), revision);
      assert.deepEqual(await stats(T0 - 2 * HOUR, T0, 3600), byHour);
    });

    it('a rollup bucket bigger than one transaction is folded in several, each atomic', async () => {
      // 150 datapoints in one minute: more than one transaction's sources.
      const data: MetricDatum[] = Array.from({ length: 150 }, (_, i) => ({ MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(T0 - 30 * 60_000 + i * 100), Value: i }));
      await cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: data }));
      const before = await stats(T0 - HOUR, T0, 60);
      now = T0 + 4 * HOUR;
      // A controller of its own: the server's remembers when this metric (of an earlier test, wiped
      // since) next had work, and would look again only within the hour.
      const r = await MetricRetention.manual(berth.app).runOnce();
      assert.equal(r.rolledUp, 150);
      assert.ok(150 > TXN_SOURCES);
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 1, m5: 0, h1: 0 });
      assert.deepEqual(await stats(T0 - HOUR, T0, 60), before);
      assert.deepEqual(before[0].slice(1), [74.5, 11175, 0, 149, 150]);
    });

    it('a datapoint put back in time into a bucket already rolled up is added to the rollup', async () => {
      await cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(T0 - 5 * HOUR), Value: 10 }] }));
      now = T0 + HOUR;
      const own = MetricRetention.manual(berth.app);
      assert.equal((await own.runOnce()).rolledUp, 1);
      await cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(T0 - 5 * HOUR + 5000), Value: 30 }] }));
      assert.deepEqual(await stats(T0 - 6 * HOUR, T0, 60), [[T0 - 5 * HOUR, 20, 40, 10, 30, 2]]);
      now += REVISIT;
      assert.equal((await own.runOnce()).rolledUp, 1);
      assert.deepEqual(await dataKeys(), { raw: 0, m1: 1, m5: 0, h1: 0 });
      assert.deepEqual(await stats(T0 - 6 * HOUR, T0, 60), [[T0 - 5 * HOUR, 20, 40, 10, 30, 2]]);
    });

    it('alarm history older than 14 days is deleted, by alarm and region-wide; newer items stay', async () => {
      await cw.send(new PutMetricAlarmCommand({
        AlarmName: 'cpu', Namespace: 'App', MetricName: 'CPU', Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold',
      }));
      now = T0 + 2 * DAY;
      await cw.send(new SetAlarmStateCommand({ AlarmName: 'cpu', StateValue: 'ALARM', StateReason: 'test' }));
      const summaries = async (AlarmName?: string) =>
        (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName }))).AlarmHistoryItems!.map((h) => h.HistorySummary);
      now = T0 + 14 * DAY - HOUR;
      assert.equal(await settle(), 0);
      assert.equal((await summaries('cpu')).length, 2);
      now = T0 + 15 * DAY;
      assert.equal(await settle(), 1);
      assert.deepEqual(await summaries('cpu'), ['Alarm updated from INSUFFICIENT_DATA to ALARM']);
      assert.deepEqual(await summaries(), ['Alarm updated from INSUFFICIENT_DATA to ALARM']);
      assert.equal(retention.totals.historyDeleted >= 2, true);
      now = T0 + 17 * DAY;
      await settle();
      assert.deepEqual(await summaries(), []);
      assert.equal(await berth.app.store.count('/monitoring/000000000000/us-east-1/ahist/'), 0);
    });
  });
}

describe('rollup values (percentiles)', () => {
  it('keeps up to 128 distinct values exactly; beyond, log buckets within 1 % with the counts kept', () => {
    const exact = compressValues([3, 1, 3, 2], [1, 2, 3, 4]);
    assert.deepEqual(exact, { values: [1, 2, 3], counts: [2, 4, 4] });
    const values = Array.from({ length: 1000 }, (_, i) => 1 + i * 0.01);
    const weights = values.map(() => 1);
    const c = compressValues(values, weights);
    assert.ok(c.values.length <= 128);
    assert.equal(c.counts.reduce((a, b) => a + b, 0), 1000);
    const agg = { n: 1000, sum: 0, min: 1, max: 10.99, values: c.values, weights: c.counts };
    for (const [p, want] of [['p50', values[499]], ['p90', values[899]], ['p99', values[989]]] as const) {
      const got = statistic(agg, p)!;
      assert.ok(Math.abs(got - want) / want < 0.01, `${p}: ${got} vs ${want}`);
    }
    const signed = compressValues([...values.map((v) => -v), 0, ...values], [...weights, 5, ...weights]);
    assert.ok(signed.values.length <= 128);
    assert.ok(signed.values.includes(0));
    assert.equal(signed.counts.reduce((a, b) => a + b, 0), 2005);
  });
});
