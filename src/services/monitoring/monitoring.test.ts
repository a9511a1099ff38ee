// CloudWatch through the real SDK (awsJson1_0) and a raw Smithy RPC v2 CBOR request: metric
// data, statistics, metric math, alarms driven by the evaluator on an injected clock.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand, GetMetricStatisticsCommand,
  ListMetricsCommand, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand, DeleteAlarmsCommand,
} from '@aws-sdk/client-cloudwatch';
import { cbor } from '@smithy/core/cbor';
import { startBerth, type Berth } from '../../server/berth.js';
import { accountRoot } from '../context.js';
import { credentials } from '../../testing/harness.js';

let now = Date.parse('2026-11-30T12:00:00Z');
const clock = { now: () => new Date(now) };
let berth: Berth;
let cw: CloudWatchClient;
const rejects = async (p: Promise<unknown>, code: string, message?: RegExp) => {
  await assert.rejects(p, (err: Error & { Code?: string }) => {
    assert.equal(err.Code ?? err.name, code, `${err.name}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
};
const put = (MetricName: string, Value: number, at: number, Dimensions = [{ Name: 'svc', Value: 'web' }]) =>
  cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName, Value, Timestamp: new Date(at), Dimensions }] }));

describe('monitoring', () => {
  before(async () => {
    berth = await startBerth({ host: '127.0.50.4', port: 0, store: 'memory://', clock, config: { monitoring: { alarmEvaluation: false } } });
    cw = new CloudWatchClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  after(async () => { cw.destroy(); await berth.close(); });
  beforeEach(async () => { await berth.app.store.wipe(); now = Date.parse('2026-11-30T12:00:00Z'); });

  it('puts values, value arrays and statistic sets; GetMetricStatistics aggregates per period', async () => {
    const t = now - 10 * 60_000;
    await put('Latency', 10, t);
    await put('Latency', 30, t + 1000);
    await cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [
      { MetricName: 'Latency', Dimensions: [{ Name: 'svc', Value: 'web' }], Timestamp: new Date(t + 60_000), Values: [1, 2, 3], Counts: [1, 1, 2] },
      { MetricName: 'Latency', Dimensions: [{ Name: 'svc', Value: 'web' }], Timestamp: new Date(t + 120_000), StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 15 } },
    ] }));
    const stats = await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'App', MetricName: 'Latency', Dimensions: [{ Name: 'svc', Value: 'web' }], StartTime: new Date(t), EndTime: new Date(now), Period: 60,
      Statistics: ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'],
    }));
    assert.deepEqual(stats.Datapoints!.map((d) => [d.Timestamp!.getTime() - t, d.Average, d.Sum, d.Minimum, d.Maximum, d.SampleCount]), [
      [0, 20, 40, 10, 30, 2], [60_000, 9 / 4, 9, 1, 3, 4], [120_000, 10, 40, 5, 15, 4],
    ]);
    const p = await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'App', MetricName: 'Latency', Dimensions: [{ Name: 'svc', Value: 'web' }], StartTime: new Date(t + 60_000), EndTime: new Date(t + 120_000), Period: 60,
      ExtendedStatistics: ['p50', 'p99'],
    }));
    assert.deepEqual(p.Datapoints![0].ExtendedStatistics, { p50: 2, p99: 3 });
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'App', Dimensions: [{ Name: 'svc' }] }));
    assert.deepEqual(listed.Metrics, [{ Namespace: 'App', MetricName: 'Latency', Dimensions: [{ Name: 'svc', Value: 'web' }] }]);
    assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: 'Other' }))).Metrics, []);
    // Two weeks without new data: no longer listed, its data still readable.
    now += 14 * 86_400_000 + 60_000;
    assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: 'App' }))).Metrics, []);
    const old = await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'App', MetricName: 'Latency', Dimensions: [{ Name: 'svc', Value: 'web' }], StartTime: new Date(t), EndTime: new Date(t + 60_000), Period: 60, Statistics: ['Sum'],
    }));
    assert.deepEqual(old.Datapoints!.map((d) => d.Sum), [40]);
    await put('Latency', 1, now);
    assert.equal((await cw.send(new ListMetricsCommand({ Namespace: 'App' }))).Metrics!.length, 1, 'listed again once data arrives');
  });

  it('rejects bad data with AWS errors and stores nothing; AWS/ namespaces only from Berth itself', async () => {
    await rejects(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/ECS', MetricData: [{ MetricName: 'CPUUtilization', Value: 1 }] })), 'InvalidParameterValue', /AWS\//);
    await rejects(cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'x', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] })),
      'InvalidParameterCombination', /mutually exclusive/).catch(() => rejects(
      cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'x', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] })), 'InvalidParameterValue', /mutually exclusive/));
    await rejects(put('x', 1, now + 3 * 3600_000), 'InvalidParameterValue', /two hours in the future/);
    await rejects(cw.send(new GetMetricStatisticsCommand({ Namespace: 'App', MetricName: 'x', StartTime: new Date(now - 60_000), EndTime: new Date(now), Period: 45, Statistics: ['Average'] })),
      'InvalidParameterValue', /multiple of 60/);
    assert.equal(await berth.app.store.count('/monitoring/'), 0);
    await berth.app.call('monitoring', 'PutMetricData', { Namespace: 'AWS/ECS', MetricData: [{ MetricName: 'CPUUtilization', Value: 42, Dimensions: [{ Name: 'ClusterName', Value: 'c' }] }] },
      accountRoot({ account: '000000000000', region: 'us-east-1' }));
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/ECS' }));
    assert.equal(listed.Metrics!.length, 1);
  });

  it('a large PutMetricData arrives gzip-compressed (the SDK compresses past 10 KiB) and is stored whole', async () => {
    const client = new CloudWatchClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    const sent: { encoding?: string; bytes: number }[] = [];
    client.middlewareStack.addRelativeTo(((next: (a: unknown) => Promise<unknown>) => async (args: { request: { headers: Record<string, string>; body: Uint8Array | string } }) => {
      sent.push({ encoding: args.request.headers['content-encoding'], bytes: Buffer.byteLength(args.request.body as string) });
      return next(args);
    }) as never, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'recordEncoding' } as never);
    try {
      const t = now - 5 * 60_000;
      const MetricData = Array.from({ length: 300 }, (_, i) => ({ MetricName: 'Big', Dimensions: [{ Name: 'svc', Value: 'web' }], Timestamp: new Date(t), Value: i }));
      await client.send(new PutMetricDataCommand({ Namespace: 'App', MetricData }));
      assert.equal(sent[0]?.encoding, 'gzip', 'the SDK compressed the body');
      const stats = await client.send(new GetMetricStatisticsCommand({
        Namespace: 'App', MetricName: 'Big', Dimensions: [{ Name: 'svc', Value: 'web' }], StartTime: new Date(t), EndTime: new Date(now), Period: 60, Statistics: ['Sum', 'SampleCount'],
      }));
      assert.deepEqual(stats.Datapoints!.map((d) => [d.SampleCount, d.Sum]), [[300, (299 * 300) / 2]]);
    } finally {
      client.destroy();
    }
  });

  it('a gzip body that is corrupt, or unpacks past the cap, is refused and stores nothing', async () => {
    const { gzipSync } = await import('node:zlib');
    const withBody = (body: Buffer) => {
      const client = new CloudWatchClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      // Replaces the body the SDK built (signed afterwards, like any body).
      client.middlewareStack.addRelativeTo(((next: (a: unknown) => Promise<unknown>) => async (args: { request: { headers: Record<string, string>; body: unknown } }) => {
        args.request.body = body;
        args.request.headers['content-encoding'] = 'gzip';
        args.request.headers['content-length'] = String(body.length);
        return next(args);
      }) as never, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'replaceBody' } as never);
      return client;
    };
    const one = { Namespace: 'App', MetricData: [{ MetricName: 'x', Value: 1 }] };
    const corrupt = withBody(Buffer.from('not gzip at all'));
    const bomb = withBody(gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x20)));
    try {
      await rejects(corrupt.send(new PutMetricDataCommand(one)), 'InvalidParameterValue', /gzip/);
      await assert.rejects(bomb.send(new PutMetricDataCommand(one)), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.$metadata?.httpStatusCode, 413, `${err.name}: ${err.message}`);
        return true;
      });
      assert.equal(await berth.app.store.count('/monitoring/'), 0);
    } finally {
      corrupt.destroy();
      bomb.destroy();
    }
  });

  it('GetMetricData: metric stats and math (error rate, SUM of METRICS, FILL, IF)', async () => {
    const t = now - 5 * 60_000;
    for (let i = 0; i < 5; i++) {
      if (i !== 2) await put('Errors', i, t + i * 60_000);
      await put('Requests', 100, t + i * 60_000);
    }
    const stat = (id: string, name: string) => ({ Id: id, ReturnData: false, MetricStat: { Metric: { Namespace: 'App', MetricName: name, Dimensions: [{ Name: 'svc', Value: 'web' }] }, Period: 60, Stat: 'Sum' } });
    const out = await cw.send(new GetMetricDataCommand({
      StartTime: new Date(t), EndTime: new Date(now), ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        stat('errors', 'Errors'), stat('requests', 'Requests'),
        { Id: 'rate', Expression: '100 * FILL(errors, 0) / requests', Label: 'Error rate' },
        { Id: 'total', Expression: 'SUM(METRICS())' },
        { Id: 'high', Expression: 'IF(errors >= 3, 1, 0)' },
      ],
    }));
    const by = Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id, r]));
    assert.deepEqual(Object.keys(by), ['rate', 'total', 'high']);
    assert.equal(by.rate.Label, 'Error rate');
    assert.deepEqual(by.rate.Values, [0, 1, 0, 3, 4]);
    assert.deepEqual(by.total.Values, [100, 101, 100, 103, 104]);
    assert.deepEqual(by.high.Values, [0, 0, 1, 1]);
    await rejects(cw.send(new GetMetricDataCommand({ StartTime: new Date(t), EndTime: new Date(now), MetricDataQueries: [{ Id: 'x', Expression: 'nope + 1' }] })), 'ValidationError', /Unrecognized id/);
  });

  it('alarms move OK → ALARM → OK with history, SetAlarmState and time-scaled evaluation', async () => {
    await cw.send(new PutMetricAlarmCommand({
      AlarmName: 'high-cpu', Namespace: 'App', MetricName: 'CPU', Dimensions: [{ Name: 'svc', Value: 'web' }], Statistic: 'Average', Period: 60,
      EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 50, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ['arn:aws:sns:us-east-1:000000000000:ops'],
    }));
    let [alarm] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['high-cpu'] }))).MetricAlarms!;
    assert.equal(alarm.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(alarm.StateReason, 'Unchecked: Initial alarm creation');
    const evaluator = berth.services.monitoring.evaluator;
    const minute = Math.floor(now / 60_000) * 60_000;
    await put('CPU', 80, minute - 120_000);
    await put('CPU', 90, minute - 60_000);
    await evaluator.tick(true);
    [alarm] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['high-cpu'] }))).MetricAlarms!;
    assert.equal(alarm.StateValue, 'ALARM');
    assert.match(alarm.StateReason!, /^Threshold Crossed: 2 out of the last 2 datapoints \[90\.0 \(30\/11\/26 11:59:00\), 80\.0 \(30\/11\/26 11:58:00\)\] were greater than the threshold \(50\.0\)/);
    assert.equal(JSON.parse(alarm.StateReasonData!).recentDatapoints.length, 2);
    now += 60_000;
    await put('CPU', 10, minute);
    await evaluator.tick(true);
    [alarm] = (await cw.send(new DescribeAlarmsCommand({ StateValue: 'OK' }))).MetricAlarms!;
    assert.equal(alarm?.AlarmName, 'high-cpu');
    now += 1000;
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'high-cpu', StateValue: 'ALARM', StateReason: 'testing' }));
    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'high-cpu', HistoryItemType: 'StateUpdate' }));
    assert.deepEqual(history.AlarmHistoryItems!.map((h) => h.HistorySummary), [
      'Alarm updated from OK to ALARM', 'Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM',
    ]);
    await rejects(cw.send(new PutMetricAlarmCommand({ AlarmName: 'bad', Namespace: 'App', MetricName: 'CPU', Statistic: 'Average', Period: 60,
      EvaluationPeriods: 2, DatapointsToAlarm: 3, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' })), 'ValidationError', /DatapointsToAlarm/);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['high-cpu'] }));
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms, []);
  });

  it('answers Smithy RPC v2 CBOR requests and CBOR errors with the query error code', async () => {
    const headers = {
      'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', accept: 'application/cbor',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x',
    };
    const body = cbor.serialize({ Namespace: 'Cbor', MetricData: [{ MetricName: 'm', Value: 3, Timestamp: { tag: 1, value: (now - 1000) / 1000 } }] });
    const ok = await fetch(`${berth.url}/service/GraniteServiceVersion20100801/operation/PutMetricData`, { method: 'POST', headers, body: Buffer.from(body) });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('smithy-protocol'), 'rpc-v2-cbor');
    const list = await fetch(`${berth.url}/service/GraniteServiceVersion20100801/operation/ListMetrics`, { method: 'POST', headers, body: Buffer.from(cbor.serialize({})) });
    const decoded = cbor.deserialize(new Uint8Array(await list.arrayBuffer())) as { Metrics: Array<{ MetricName: string }> };
    assert.deepEqual(decoded.Metrics.map((m) => m.MetricName), ['m']);
    const bad = await fetch(`${berth.url}/service/GraniteServiceVersion20100801/operation/PutMetricData`, {
      method: 'POST', headers, body: Buffer.from(cbor.serialize({ Namespace: 'AWS/X', MetricData: [{ MetricName: 'm', Value: 1 }] })),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-query-error'), 'InvalidParameterValue;Sender');
    assert.equal((cbor.deserialize(new Uint8Array(await bad.arrayBuffer())) as { __type: string }).__type, 'com.amazonaws.cloudwatch#InvalidParameterValue');
  });
});
