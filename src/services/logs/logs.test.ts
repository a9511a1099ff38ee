// CloudWatch Logs through the real SDK client against an in-process server: groups, streams,
// PutLogEvents batch rules, GetLogEvents tokens, FilterLogEvents paging and patterns, retention.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand,
  DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, ListTagsForResourceCommand, PutLogEventsCommand,
  PutRetentionPolicyCommand, TagResourceCommand, type InputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { startBerth, type Berth } from '../../server/berth.js';
import { credentials } from '../../testing/harness.js';

let now = Date.parse('2026-11-30T12:00:00Z');
const clock = { now: () => new Date(now) };
let berth: Berth;
let logs: CloudWatchLogsClient;

const rejects = async (p: Promise<unknown>, name: string, message?: RegExp) => {
  await assert.rejects(p, (err: Error) => { assert.equal(err.name, name); if (message) assert.match(err.message, message); return true; });
};
const events = (n: number, t0 = now - 1000, prefix = 'line') =>
  Array.from({ length: n }, (_, i): InputLogEvent => ({ timestamp: t0 + i, message: `${prefix} ${i}` }));

describe('logs', () => {
  before(async () => {
    berth = await startBerth({ host: '127.0.50.1', port: 0, store: 'memory://', clock, config: { logs: { retentionSweepSeconds: 0 } } });
    logs = new CloudWatchLogsClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  after(async () => { logs.destroy(); await berth.close(); });
  beforeEach(async () => { await berth.app.store.wipe(); now = Date.parse('2026-11-30T12:00:00Z'); });

  const setup = async (group = '/ecs/web', stream = 'app/web/1') => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group, tags: { team: 'a' } }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  };

  it('creates, describes, tags and deletes groups; duplicates and bad names are AWS errors', async () => {
    await setup();
    await rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/web' })), 'ResourceAlreadyExistsException');
    await rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name' })), 'InvalidParameterException', /logGroupName/);
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/api' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/api', retentionInDays: 7 }));
    await rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/api', retentionInDays: 8 })), 'InvalidParameterException');
    const d = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', limit: 1 }));
    assert.deepEqual(d.logGroups!.map((g) => [g.logGroupName, g.retentionInDays]), [['/ecs/api', 7]]);
    const d2 = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', limit: 1, nextToken: d.nextToken }));
    assert.deepEqual(d2.logGroups!.map((g) => g.logGroupName), ['/ecs/web']);
    assert.equal(d2.nextToken, undefined);
    const arn = d2.logGroups![0].logGroupArn!;
    assert.equal(arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web'.replace('000000000000', arn.split(':')[4]));
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: 'prod' } }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { team: 'a', env: 'prod' });
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/ecs/web' }));
    await rejects(logs.send(new DescribeLogStreamsCommand({ logGroupName: '/ecs/web' })), 'ResourceNotFoundException', /log group/);
    assert.equal(await berth.app.store.count('/logs/'), 1, 'only /ecs/api is left, no orphaned streams');
  });

  it('applies the PutLogEvents batch rules and changes nothing on a rejected batch', async () => {
    await setup();
    const put = (logEvents: InputLogEvent[]) => logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', logEvents }));
    await rejects(put([{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }]), 'InvalidParameterException', /chronological order/);
    await rejects(put([{ timestamp: now - 25 * 3600_000, message: 'a' }, { timestamp: now, message: 'b' }]), 'InvalidParameterException', /24 hours/);
    await rejects(put(events(10_001)), 'InvalidParameterException', /10000/);
    // 1,048,576 bytes including 26 per event: two events of 524,262 bytes fit, one byte more does not.
    const big = 'x'.repeat(524_262);
    await rejects(put([{ timestamp: now, message: big + 'y' }, { timestamp: now, message: big }]), 'InvalidParameterException', /too large/);
    await rejects(logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'nope', logEvents: events(1) })), 'ResourceNotFoundException', /log stream/);
    let s = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/ecs/web' }))).logStreams![0];
    assert.equal(s.storedBytes, 0);
    await put([{ timestamp: now, message: big }, { timestamp: now, message: big }]);
    // Too old (> 14 days), then accepted, then too new (> 2 h ahead): partial acceptance with AWS's indexes.
    const r = await put([
      { timestamp: now - 15 * 86_400_000, message: 'old' }, { timestamp: now - 1, message: 'ok' }, { timestamp: now + 3 * 3600_000, message: 'new' },
    ]).catch((e: Error) => e);
    assert.ok(r instanceof Error, 'spans more than 24 hours');
    const r2 = await put([{ timestamp: now - 1, message: 'ok' }, { timestamp: now + 3 * 3600_000, message: 'new' }]);
    assert.deepEqual(r2.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
    s = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/ecs/web' }))).logStreams![0];
    assert.equal(s.storedBytes, 2 * 524_262 + 2);
    assert.equal(s.lastEventTimestamp, now);
  });

  it('pages GetLogEvents forward and backward with tokens, and returns the same token at the end', async () => {
    await setup();
    await logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', logEvents: events(250) }));
    const get = (input: object) => logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', ...input }));
    const tail = await get({ limit: 100 });
    assert.deepEqual(tail.events!.map((e) => e.message), Array.from({ length: 100 }, (_, i) => `line ${150 + i}`));
    const back = await get({ limit: 100, nextToken: tail.nextBackwardToken });
    assert.equal(back.events![0].message, 'line 50');
    assert.equal(back.events!.at(-1)!.message, 'line 149');
    const fwd = await get({ limit: 100, nextToken: back.nextForwardToken });
    assert.equal(fwd.events![0].message, 'line 150');
    const end = await get({ nextToken: tail.nextForwardToken });
    assert.equal(end.events!.length, 0);
    assert.equal(end.nextForwardToken, tail.nextForwardToken);
    const head: string[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await get({ startFromHead: true, limit: 70, nextToken: token });
      if (page.nextForwardToken === token) break;
      head.push(...page.events!.map((e) => e.message!));
      token = page.nextForwardToken;
    }
    assert.deepEqual(head, events(250).map((e) => e.message));
    const window = await get({ startFromHead: true, startTime: now - 1000 + 10, endTime: now - 1000 + 13 });
    assert.deepEqual(window.events!.map((e) => e.message), ['line 10', 'line 11', 'line 12']);
    await rejects(get({ nextToken: 'garbage' }), 'InvalidParameterException');
  });

  it('filters across streams in time order, paging with nextToken, with AWS pattern syntax', async () => {
    await setup();
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/ecs/web', logStreamName: 'b' }));
    const t0 = now - 10_000;
    await logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', logEvents: [
      { timestamp: t0, message: 'ERROR disk full' }, { timestamp: t0 + 2, message: '{"level":"error","latency":250}' },
      { timestamp: t0 + 4, message: '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326' },
    ] }));
    await logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'b', logEvents: [
      { timestamp: t0 + 1, message: 'WARN slow' }, { timestamp: t0 + 3, message: '{"level":"info","latency":5}' }, { timestamp: t0 + 5, message: 'ERROR again' },
    ] }));
    const filter = async (filterPattern?: string, extra: object = {}) =>
      (await logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/web', filterPattern, ...extra }))).events!.map((e) => e.message);
    assert.equal((await filter()).length, 6);
    assert.deepEqual(await filter('ERROR'), ['ERROR disk full', 'ERROR again']);
    assert.deepEqual(await filter('?WARN ?disk'), ['ERROR disk full', 'WARN slow']);
    assert.deepEqual(await filter('{ $.level = "error" }'), ['{"level":"error","latency":250}']);
    assert.deepEqual(await filter('{ $.latency < 100 }'), ['{"level":"info","latency":5}']);
    assert.deepEqual(await filter('[ip, id, user, timestamp, request, status_code = 4*, bytes > 1000]').then((m) => m.length), 1);
    assert.deepEqual(await filter('ERROR', { logStreamNames: ['b'] }), ['ERROR again']);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/web', limit: 2, nextToken }));
      seen.push(...page.events!.map((e) => `${e.timestamp! - t0}:${e.logStreamName}`));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(seen, ['0:app/web/1', '1:b', '2:app/web/1', '3:b', '4:app/web/1', '5:b']);
    await rejects(filter('{ $.level = '), 'InvalidParameterException', /filter pattern/);
  });

  it('retention deletes expired events on a sweep', async () => {
    await setup();
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/web', retentionInDays: 1 }));
    await logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', logEvents: events(3) }));
    now += 86_400_000 + 2000;
    await logs.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', logEvents: [{ timestamp: now, message: 'fresh' }] }));
    assert.equal(await berth.services.logs.sweep(), 3);
    const left = await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'app/web/1', startFromHead: true }));
    assert.deepEqual(left.events!.map((e) => e.message), ['fresh']);
  });
});
