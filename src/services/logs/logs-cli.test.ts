// CloudWatch Logs through the real AWS CLIs: v1 put/get/filter, and v2's `aws logs tail --follow`
// seeing lines as they arrive.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type Berth } from '../../server/berth.js';
import { eventually } from '../../testing/eventually.js';
import { AWS_CLI_V2, requireAwsCliV1, requireAwsCliV2 } from '../../testing/requirements.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function cliEnv(dir: string): NodeJS.ProcessEnv {
  writeFileSync(join(dir, 'config'), '');
  writeFileSync(join(dir, 'credentials'), '');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, AWS_ACCESS_KEY_ID: '123456789012', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PAGER: '', AWS_DEFAULT_OUTPUT: 'json',
    AWS_EC2_METADATA_DISABLED: 'true' };
}

export function runCli(cmd: string, url: string, env: NodeJS.ProcessEnv, args: string[]): Promise<Json> {
  return new Promise((resolve, reject) => {
    execFile(cmd, ['--endpoint-url', url, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || stdout}`)); return; }
      resolve(stdout.trim() ? JSON.parse(stdout) as Json : {});
    });
  });
}

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
