// CloudWatch Logs through the real AWS CLIs: v1 put/get/filter, and v2's `aws logs tail --follow`
// seeing lines as they arrive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type Berth } from '../../server/berth.js';
import { cliEnv, runCli } from '../../testing/aws-cli.js';
import { eventually } from '../../testing/eventually.js';
import { AWS_CLI_V2, requireAwsCliV1, requireAwsCliV2 } from '../../testing/requirements.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('logs through the AWS CLI', () => {
  let berth: Berth;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    berth = await startBerth({ host: '127.0.50.2', port: 0, store: 'memory://' });
    dir = mkdtempSync(join(tmpdir(), 'berth-logs-cli-'));
    env = cliEnv(dir);
  });
  after(async () => { await berth.close(); rmSync(dir, { recursive: true, force: true }); });

  it('v1: create, put, get-log-events and filter-log-events return the lines in order', requireAwsCliV1(), async () => {
    const aws = (...args: string[]) => runCli('aws', berth.url, env, args);
    await aws('logs', 'create-log-group', '--log-group-name', '/cli/v1');
    await aws('logs', 'create-log-stream', '--log-group-name', '/cli/v1', '--log-stream-name', 's1');
    const t = Date.now() - 1000;
    const events = JSON.stringify([0, 1, 2].map((i) => ({ timestamp: t + i, message: `hello ${i}${i === 1 ? ' ERROR' : ''}` })));
    await aws('logs', 'put-log-events', '--log-group-name', '/cli/v1', '--log-stream-name', 's1', '--log-events', events);
    const got = await aws('logs', 'get-log-events', '--log-group-name', '/cli/v1', '--log-stream-name', 's1', '--start-from-head');
    assert.deepEqual(got.events.map((e: Json) => e.message), ['hello 0', 'hello 1 ERROR', 'hello 2']);
    const filtered = await aws('logs', 'filter-log-events', '--log-group-name', '/cli/v1', '--filter-pattern', 'ERROR');
    assert.deepEqual(filtered.events.map((e: Json) => e.message), ['hello 1 ERROR']);
    const groups = await aws('logs', 'describe-log-groups');
    assert.deepEqual(groups.logGroups.map((g: Json) => g.logGroupName), ['/cli/v1']);
  });

  it('v2: `aws logs tail --follow` prints lines as they are put', requireAwsCliV2(), async () => {
    const aws = (...args: string[]) => runCli(AWS_CLI_V2, berth.url, env, args);
    await aws('logs', 'create-log-group', '--log-group-name', '/cli/v2');
    await aws('logs', 'create-log-stream', '--log-group-name', '/cli/v2', '--log-stream-name', 'web/app/1');
    const put = (message: string) => aws('logs', 'put-log-events', '--log-group-name', '/cli/v2', '--log-stream-name', 'web/app/1',
      '--log-events', JSON.stringify([{ timestamp: Date.now(), message }]));
    await put('first line');
    const tail = spawn(AWS_CLI_V2, ['--endpoint-url', berth.url, 'logs', 'tail', '/cli/v2', '--follow', '--format', 'short', '--since', '1h'], { env });
    let out = '';
    tail.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    tail.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await eventually('tail prints the first line', () => out.includes('first line'), 60_000);
      await put('second line');
      await eventually('tail prints the second line', () => out.includes('second line'), 60_000);
      assert.equal(out.split('\n').filter((l) => l.includes('first line')).length, 1, `printed once: ${out}`);
    } finally {
      tail.kill('SIGKILL');
    }
  });
});
