// Log streams: create/delete/describe.
import type {
  CreateLogStreamRequest, DeleteLogStreamRequest, DescribeLogStreamsRequest, DescribeLogStreamsResponse, LogStream,
} from '@aws-sdk/client-cloudwatch-logs';
import { AwsError } from '../../common/errors.js';
import { decodeToken, encodeToken } from '../../common/pagination.js';
import type { Scope } from '../../common/records.js';
import type { RequestContext } from '../context.js';
import { deletePrefix } from './groups.js';
import {
  eventPrefix, groupNameOf, invalid, notFound, requireGroup, requireStream, streamArn, streamId, streams, type LogStreamRecord,
} from './model.js';

export function checkStreamName(name: string) {
  if (!name || name.length > 512 || /[:*]/.test(name)) {
    throw invalid(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  }
}

export async function createLogStream(input: CreateLogStreamRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const group = input.logGroupName!;
  const name = input.logStreamName!;
  checkStreamName(name);
  await requireGroup(ctx.app.store, ctx, group);
  const record: LogStreamRecord = {
    logGroupName: group, logStreamName: name, creationTime: ctx.app.clock.now().getTime(), seq: 0, storedBytes: 0,
  };
  if (!await streams(ctx.app.store).create(ctx, streamId(group, name), record)) {
    throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  }
  return {};
}

export async function deleteLogStream(input: DeleteLogStreamRequest, ctx: RequestContext): Promise<Record<string, never>> {
  const group = input.logGroupName!;
  const name = input.logStreamName!;
  const s = await requireStream(ctx.app.store, ctx, group, name);
  if (!await streams(ctx.app.store).delete(ctx, streamId(group, name), s.revision)) throw notFound('log stream');
  await deletePrefix(ctx.app.store, eventPrefix(ctx, group, name));
  return {};
}

export function streamView(scope: Scope, s: LogStreamRecord): LogStream {
  return {
    logStreamName: s.logStreamName, creationTime: s.creationTime, firstEventTimestamp: s.firstEventTimestamp,
    lastEventTimestamp: s.lastEventTimestamp, lastIngestionTime: s.lastIngestionTime, uploadSequenceToken: String(s.seq || 1),
    arn: streamArn(scope, s.logGroupName, s.logStreamName), storedBytes: s.storedBytes,
  };
}

export async function describeLogStreams(input: DescribeLogStreamsRequest, ctx: RequestContext): Promise<DescribeLogStreamsResponse> {
  const group = groupNameOf(input);
  const limit = input.limit ?? 50;
  if (limit < 1 || limit > 50) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`);
  const byTime = input.orderBy === 'LastEventTime';
  if (byTime && input.logStreamNamePrefix) throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
  await requireGroup(ctx.app.store, ctx, group);
  const records = streams(ctx.app.store);
  const store = ctx.app.store;
  if (!byTime) {
    const prefix = records.prefix(ctx, streamId(group, input.logStreamNamePrefix ?? ''));
    const page = await store.range(prefix, { limit, startAfter: decodeToken(input.nextToken), descending: input.descending === true });
    const list = page.kvs.map((kv) => JSON.parse(kv.value) as LogStreamRecord);
    return { logStreams: list.map((s) => streamView(ctx, s)), nextToken: page.more ? encodeToken(page.kvs.at(-1)!.key) : undefined };
  }
  // By last event time: every stream of the group is read and sorted (streams per group are few
  // next to events; AWS documents this ordering as eventually consistent).
  const all = (await records.list(ctx, streamId(group, ''))).sort((a, b) =>
    (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || (a.logStreamName < b.logStreamName ? -1 : 1));
  if (input.descending) all.reverse();
  let start = 0;
  if (input.nextToken) {
    const n = Number(Buffer.from(input.nextToken, 'base64url').toString('utf8').replace(/^#/, ''));
    if (!Number.isInteger(n) || n < 0) throw invalid(`Invalid nextToken: ${input.nextToken}`);
    start = n;
  }
  const page = all.slice(start, start + limit);
  const next = start + page.length < all.length ? Buffer.from(`#${start + page.length}`).toString('base64url') : undefined;
  return { logStreams: page.map((s) => streamView(ctx, s)), nextToken: next };
}
