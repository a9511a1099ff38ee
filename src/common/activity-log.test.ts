import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isRegion, partitionOf, rootArn } from './arn.js';
import { batchedLines, createActivityLog, parseLogFormat, parseLogLevel } from './activity-log.js';

const T = new Date('2026-11-30T23:40:01.123Z');

describe('activity log', () => {
  it('writes text lines: time, level, event, then key=value (quoted when not a plain word)', () => {
    const lines: string[] = [];
    const log = createActivityLog({ write: (l) => lines.push(l), now: () => T });
    log.info('task.running', { cluster: 'default', task: 'abc', reason: 'Essential container exited', missing: undefined });
    assert.deepEqual(lines, ['2026-11-30T23:40:01.123Z info  task.running cluster=default task=abc reason="Essential container exited"']);
  });

  it('writes one JSON object per line with --log-format json, and filters below --log-level', () => {
    const lines: string[] = [];
    const log = createActivityLog({ level: 'warn', format: 'json', write: (l) => lines.push(l), now: () => T });
    log.debug('a');
    log.info('b');
    log.warn('placement.failed', { reason: 'ATTRIBUTE', count: 2, ok: false });
    log.error('c');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), [
      { time: '2026-11-30T23:40:01.123Z', level: 'warn', event: 'placement.failed', reason: 'ATTRIBUTE', count: 2, ok: false },
      { time: '2026-11-30T23:40:01.123Z', level: 'error', event: 'c' },
    ]);
    const off: string[] = [];
    createActivityLog({ level: 'off', write: (l) => off.push(l) }).error('x');
    assert.deepEqual(off, []);
  });

  it('writes the lines of one turn of the event loop to stdout together (one write), and what is held at exit', async () => {
    const writes: string[] = [];
    let atExit: (() => void) | undefined;
    const line = batchedLines({ write: (chunk) => writes.push(chunk) }, (flush) => { atExit = flush; });
    line('a');
    line('b');
    assert.deepEqual(writes, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, ['a\nb\n']);
    line('c');
    atExit!();
    assert.deepEqual(writes, ['a\nb\n', 'c\n']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 2, 'nothing left to write');
    // A burst is not held without bound: past 64 KiB it goes at once.
    const big = 'x'.repeat(40_000);
    line(big);
    line(big);
    assert.deepEqual(writes.slice(2), [`${big}\n${big}\n`]);
  });

  it('a process that exits at once still writes the lines it logged', () => {
    const module = new URL('./activity-log.js', import.meta.url).href;
    const code = `import { createActivityLog } from ${JSON.stringify(module)}; const log = createActivityLog(); log.info('task.running', { task: 'a' }); log.warn('task.stopped'); process.exit(3);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(run.status, 3);
    assert.match(run.stdout, /^\S+ info  task\.running task=a\n\S+ warn  task\.stopped\n$/);
  });

  it('refuses unknown levels and formats, naming the flag', () => {
    assert.throws(() => parseLogLevel('loud'), /--log-level must be one of debug, info, warn, error, off/);
    assert.throws(() => parseLogFormat('xml'), /--log-format must be text or json/);
    assert.equal(parseLogLevel('debug'), 'debug');
  });
});

describe('partitions and regions', () => {
  it('maps regions to partitions as AWS does', () => {
    assert.equal(partitionOf('cn-northwest-1'), 'aws-cn');
    assert.equal(partitionOf('us-gov-east-1'), 'aws-us-gov');
    assert.equal(partitionOf('us-iso-west-1'), 'aws-iso');
    assert.equal(partitionOf('us-isob-east-1'), 'aws-iso-b');
    assert.equal(partitionOf('eu-central-2'), 'aws');
    assert.equal(rootArn('cn-north-1', '123456789012'), 'arn:aws-cn:iam::123456789012:root');
  });

  it('knows a region by its shape; anything else is refused', () => {
    for (const r of ['us-east-1', 'ap-southeast-4', 'us-gov-west-1', 'us-isob-east-1', 'cn-north-1', 'il-central-1']) assert.ok(isRegion(r), r);
    for (const r of ['a:b*c', '', 'us-east', 'US-EAST-1', 'us-east-1/x', 'local', 'us_east_1']) assert.ok(!isRegion(r), r);
  });
});
