import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRegion, partitionOf, rootArn } from './arn.js';
import { createActivityLog, parseLogFormat, parseLogLevel } from './activity-log.js';

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
