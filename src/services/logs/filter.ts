// FilterLogEvents: events of one group's streams in (timestamp, stream, arrival) order that match
// a filter pattern. Each stream is read as a key range from the cursor on, a bounded number of
// events per call; when a stream's scan stops early, the page ends where that stream stopped and
// the nextToken resumes from there (AWS also returns partial pages with a token).
import { createHash } from 'node:crypto';
import type { FilterLogEventsRequest, FilterLogEventsResponse, FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { RequestContext } from '../context.js';
import { compilePattern } from './filter-pattern.js';
import {
  afterTime, eventPrefix, groupNameOf, invalid, parsePosition, position, requireGroup, streamId, streams, type StoredEvent,
} from './model.js';

const MAX_EVENTS = 10_000;
/** Raw events read per stream per call. */
const SCAN_PER_STREAM = 10_000;
const READ_PAGE = 1_000;

interface Cursor { t: number; stream: string; seq: number }
type Hit = Cursor & { e: StoredEvent };

const before = (a: Cursor, b: Cursor) => a.t !== b.t ? a.t < b.t : a.stream !== b.stream ? a.stream < b.stream : a.seq < b.seq;

function encode(c: Cursor) { return Buffer.from(`${c.t}:${c.seq}:${c.stream}`, 'utf8').toString('base64url'); }
function decode(token: string): Cursor {
  const m = /^(\d+):(\d+):(.+)$/s.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m || encode({ t: Number(m[1]), seq: Number(m[2]), stream: m[3] }) !== token) throw invalid('The specified nextToken is invalid.');
  return { t: Number(m[1]), seq: Number(m[2]), stream: m[3] };
}

/** A stable numeric event id: timestamp, sequence and a hash of the stream name. */
export function eventId(stream: string, t: number, seq: number) {
  const h = createHash('sha1').update(stream).digest().readUInt32BE(0);
  return `${String(t).padStart(15, '0')}${String(seq).padStart(12, '0')}${String(h).padStart(10, '0')}`;
}

async function streamNames(ctx: RequestContext, group: string, input: FilterLogEventsRequest): Promise<string[]> {
  if (input.logStreamNames?.length && input.logStreamNamePrefix) {
    throw invalid('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
  }
  if (input.logStreamNames?.length) {
    if (input.logStreamNames.length > 100) throw invalid('1 validation error detected: Value at \'logStreamNames\' failed to satisfy constraint: Member must have length less than or equal to 100');
    return [...new Set(input.logStreamNames)].sort();
  }
  const prefix = streams(ctx.app.store).prefix(ctx, streamId(group, input.logStreamNamePrefix ?? ''));
  return (await ctx.app.store.list(prefix)).map((kv) => kv.key.slice(kv.key.indexOf(`${group}:`) + group.length + 1));
}

export async function filterLogEvents(input: FilterLogEventsRequest, ctx: RequestContext): Promise<FilterLogEventsResponse> {
  const group = groupNameOf(input);
  const limit = input.limit ?? MAX_EVENTS;
  if (limit < 1 || limit > MAX_EVENTS) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_EVENTS}`);
  const pattern = compilePattern(input.filterPattern);
  await requireGroup(ctx.app.store, ctx, group);
  const token = input.nextToken ? decode(input.nextToken) : undefined;
  const names = await streamNames(ctx, group, input);
  const upper = input.endTime !== undefined ? position(input.endTime + 1, 0) : '~';
  const hits: Hit[] = [];
  let horizon: Cursor | undefined;
  for (const stream of names) {
    const prefix = eventPrefix(ctx, group, stream);
    let from = input.startTime !== undefined ? afterTime(input.startTime - 1) : '';
    if (token) {
      const resume = token.stream === stream ? position(token.t, token.seq) : token.stream > stream ? afterTime(token.t) : afterTime(token.t - 1);
      if (resume > from) from = resume;
    }
    let scanned = 0;
    let found = 0;
    let last: Cursor | undefined;
    for (;;) {
      const page = await ctx.app.store.range(prefix, { limit: READ_PAGE, startAfter: from ? `${prefix}${from}` : undefined });
      let done = !page.more;
      for (const kv of page.kvs) {
        const pos = kv.key.slice(prefix.length);
        if (pos >= upper) { done = true; break; }
        const p = parsePosition(pos)!;
        const e = JSON.parse(kv.value) as StoredEvent;
        scanned++;
        from = pos;
        last = { t: p.t, stream, seq: p.seq };
        if (pattern.match(e.m)) { hits.push({ ...last, e }); found++; }
        if (found >= limit || scanned >= SCAN_PER_STREAM) break;
      }
      if (done) { last = undefined; break; }
      if (found >= limit || scanned >= SCAN_PER_STREAM) break;
    }
    // This stream may hold more matches after `last`: nothing later than it can be returned now.
    if (last && (!horizon || before(last, horizon))) horizon = last;
  }
  hits.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const eligible = horizon ? hits.filter((h) => !before(horizon!, h)) : hits;
  const page = eligible.slice(0, limit);
  const more = page.length < hits.length || horizon !== undefined;
  const resumeAt = page.length < eligible.length || !horizon ? page.at(-1) : horizon;
  const events: FilteredLogEvent[] = page.map((h) => ({
    logStreamName: h.stream, timestamp: h.e.t, message: h.e.m, ingestionTime: h.e.i, eventId: eventId(h.stream, h.t, h.seq),
  }));
  return {
    events,
    searchedLogStreams: names.map((logStreamName) => ({ logStreamName, searchedCompletely: !more })),
    nextToken: more && resumeAt ? encode(resumeAt) : undefined,
  };
}
