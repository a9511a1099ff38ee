// CloudWatch through the real AWS CLIs: v1 (botocore 1.43: awsJson1_0 in query-compatible mode)
// and v2.9 (awsQuery), the same commands and the same answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type Berth } from '../../server/berth.js';
import { AWS_CLI_V2, requireAwsCliV1, requireAwsCliV2, type Requirement } from '../../testing/requirements.js';
import { cliEnv, runCli } from '../../testing/aws-cli.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('CloudWatch through the AWS CLI', () => {
  let berth: Berth;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    berth = await startBerth({ host: '127.0.50.5', port: 0, store: 'memory://', config: { monitoring: { alarmEvaluation: false } } });
    dir = mkdtempSync(join(tmpdir(), 'berth-cw-cli-'));
    env = cliEnv(dir);
  });
  after(async () => { await berth.close(); rmSync(dir, { recursive: true, force: true }); });

  const suite = (label: string, cmd: string, req: () => Requirement) => it(label, req(), async () => {
    const aws = (...args: string[]) => runCli(cmd, berth.url, env, args);
    const ns = `Cli/${label.slice(0, 2)}`;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    for (const [i, v] of [10, 20, 60].entries()) {
      await aws('cloudwatch', 'put-metric-data', '--namespace', ns, '--metric-name', 'Load', '--dimensions', 'Service=web',
        '--value', String(v), '--timestamp', new Date(minute - (3 - i) * 60_000).toISOString());
    }
    const stats: Json = await aws('cloudwatch', 'get-metric-statistics', '--namespace', ns, '--metric-name', 'Load', '--dimensions', 'Name=Service,Value=web',
      '--start-time', new Date(minute - 180_000).toISOString(), '--end-time', new Date(minute).toISOString(), '--period', '60', '--statistics', 'Maximum');
    assert.deepEqual(stats.Datapoints.map((d: Json) => d.Maximum).sort((a: number, b: number) => a - b), [10, 20, 60]);
    const queries = JSON.stringify([
      { Id: 'load', MetricStat: { Metric: { Namespace: ns, MetricName: 'Load', Dimensions: [{ Name: 'Service', Value: 'web' }] }, Period: 60, Stat: 'Average' }, ReturnData: false },
      { Id: 'double', Expression: 'load * 2' },
    ]);
    const data: Json = await aws('cloudwatch', 'get-metric-data', '--metric-data-queries', queries, '--scan-by', 'TimestampAscending',
      '--start-time', new Date(minute - 180_000).toISOString(), '--end-time', new Date(minute).toISOString());
    assert.deepEqual(data.MetricDataResults[0].Values, [20, 40, 120]);
    await aws('cloudwatch', 'put-metric-alarm', '--alarm-name', `${ns}-high`, '--namespace', ns, '--metric-name', 'Load', '--dimensions', 'Name=Service,Value=web',
      '--statistic', 'Average', '--period', '60', '--evaluation-periods', '1', '--threshold', '50', '--comparison-operator', 'GreaterThanThreshold');
    const alarms: Json = await aws('cloudwatch', 'describe-alarms', '--alarm-names', `${ns}-high`);
    assert.equal(alarms.MetricAlarms[0].StateValue, 'INSUFFICIENT_DATA');
    assert.deepEqual(alarms.MetricAlarms[0].Dimensions, [{ Name: 'Service', Value: 'web' }]);
    await assert.rejects(aws('cloudwatch', 'put-metric-data', '--namespace', 'AWS/EC2', '--metric-name', 'x', '--value', '1'),
      /\(InvalidParameterValue\).*The value AWS\/ for parameter Namespace is invalid/s);
    const listed: Json = await aws('cloudwatch', 'list-metrics', '--namespace', ns);
    assert.deepEqual(listed.Metrics, [{ Namespace: ns, MetricName: 'Load', Dimensions: [{ Name: 'Service', Value: 'web' }] }]);
  });

  suite('v1', 'aws', requireAwsCliV1);
  suite('v2', AWS_CLI_V2, requireAwsCliV2);
});
