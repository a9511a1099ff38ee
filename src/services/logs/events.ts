// PutLogEvents (AWS's batch rules) and GetLogEvents (forward/backward tokens).
import type {
  GetLogEventsRequest, GetLogEventsResponse, InputLogEvent, OutputLogEvent, PutLogEventsRequest, PutLogEventsResponse,
  RejectedLogEventsInfo,
} from '@aws-sdk/client-cloudwatch-logs';
import { AwsError } from '../../common/errors.js';
import type { Op } from '../../store/types.js';
import type { RequestContext } from '../context.js';
import { applyMetricFilters } from './metric-filters.js';
import {
  DAY_MS, afterTime, eventPrefix, groupNameOf, groups, invalid, position, requireStream, streamId, streams, type StoredEvent,
} from './model.js';

/** AWS's limits for one PutLogEvents call. */
export const BATCH_MAX_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
export const BATCH_MAX_EVENTS = 10_000;
const SPAN_MS = DAY_MS;
const TOO_NEW_MS = 2 * 3_600_000;
const TOO_OLD_MS = 14 * DAY_MS;
/** Events written per store transaction (etcd allows 128 ops per txn by default). */
const TXN_EVENTS = 100;

/** The batch rules that fail the whole call. */
export function checkBatch(events: InputLogEvent[]) {
  if (events.length < 1) throw invalid('1 validation error detected: Value at \'logEvents\' failed to satisfy constraint: Member must have length greater than or equal to 1');
  if (events.length > BATCH_MAX_EVENTS) {
    throw invalid(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${BATCH_MAX_EVENTS}`);
  }
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const size = Buffer.byteLength(e.message ?? '', 'utf8') + EVENT_OVERHEAD_BYTES;
    if (!e.message) throw invalid(`1 validation error detected: Value at 'logEvents.${i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    if (size > BATCH_MAX_BYTES) throw invalid(`Log event too large: ${size} bytes exceeds the limit of ${BATCH_MAX_BYTES} bytes.`);
    bytes += size;
    if (i > 0 && e.timestamp! < events[i - 1].timestamp!) {
      throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
    }
  }
  if (bytes > BATCH_MAX_BYTES) {
    throw invalid(`Upload too large: ${bytes} bytes exceeds limit of ${BATCH_MAX_BYTES}`);
  }
  if (events.at(-1)!.timestamp! - events[0].timestamp! > SPAN_MS) {
    throw invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  }
}

/** Which events are rejected for their age: [first accepted, end exclusive) plus AWS's info. */
export function acceptWindow(events: InputLogEvent[], now: number, retentionDays?: number) {
  const info: RejectedLogEventsInfo = {};
  let start = 0;
  let end = events.length;
  const expiredBefore = retentionDays ? now - retentionDays * DAY_MS : -Infinity;
  for (let i = 0; i < events.length; i++) {
    const t = events[i].timestamp!;
    if (t < now - TOO_OLD_MS) { info.tooOldLogEventEndIndex = i; start = i + 1; } else if (t < expiredBefore) { info.expiredLogEventEndIndex = i; start = i + 1; }
  }
  for (let i = start; i < events.length; i++) {
    if (events[i].timestamp! > now + TOO_NEW_MS) { info.tooNewLogEventStartIndex = i; end = i; break; }
  }
  return { start, end, info: Object.keys(info).length ? info : undefined };
}

export async function putLogEvents(input: PutLogEventsRequest, ctx: RequestContext): Promise<PutLogEventsResponse> {
  const group = input.logGroupName!;
  const name = input.logStreamName!;
  const events = input.logEvents ?? [];
  checkBatch(events);
  const store = ctx.app.store;
  const g = await groups(store).get(ctx, group);
  const now = ctx.app.clock.now().getTime();
  const { start, end, info } = acceptWindow(events, now, g?.retentionInDays);
  const accepted = events.slice(start, end);
  const prefix = eventPrefix(ctx, group, name);
  for (let attempt = 0; ; attempt++) {
    const s = await requireStream(store, ctx, group, name);
    if (!accepted.length) return { nextSequenceToken: String(s.value.seq || 1), rejectedLogEventsInfo: info };
    const rec = { ...s.value };
    const first = rec.seq;
    rec.seq += accepted.length;
    rec.storedBytes += accepted.reduce((n, e) => n + Buffer.byteLength(e.message!, 'utf8'), 0);
    rec.firstEventTimestamp = Math.min(rec.firstEventTimestamp ?? Infinity, accepted[0].timestamp!);
    rec.lastEventTimestamp = Math.max(rec.lastEventTimestamp ?? 0, accepted.at(-1)!.timestamp!);
    rec.lastIngestionTime = now;
    const put = (e: InputLogEvent, i: number): Op => ({
      type: 'put', key: `${prefix}${position(e.timestamp!, first + i)}`, value: JSON.stringify({ t: e.timestamp!, i: now, m: e.message! } satisfies StoredEvent),
    });
    // The stream record and the first events commit together under a compare-and-swap, so two
    // writers never take the same sequence numbers; the rest follow in bounded transactions.
    const head = accepted.slice(0, TXN_EVENTS).map(put);
    const recordOp: Op = { type: 'put', key: streams(store).key(ctx, streamId(group, name)), value: JSON.stringify(rec) };
    const { succeeded } = await store.txn([{ key: recordOp.key, modRevision: s.revision }], [recordOp, ...head]);
    if (!succeeded) {
      if (attempt < 20) continue;
      throw new AwsError('OperationAbortedException', 'Multiple concurrent requests to update the same resource were in conflict.');
    }
    for (let i = TXN_EVENTS; i < accepted.length; i += TXN_EVENTS) {
      await store.txn([], accepted.slice(i, i + TXN_EVENTS).map((e, j) => put(e, i + j)));
    }
    await applyMetricFilters(ctx, group, name, accepted);
    return { nextSequenceToken: String(rec.seq), rejectedLogEventsInfo: info };
  }
}

// A token is a direction and a cursor: an event position (`<ts>:<seq>`), a time bound (`<ts>;`),
// '' (before everything) or '~' (after everything).
const TOKEN = /^([fb])\/(|~|\d{15};|\d{15}:\d{12})$/;
const MAX_EVENTS = 10_000;
const MAX_BYTES = 1_048_576;

export async function getLogEvents(input: GetLogEventsRequest, ctx: RequestContext): Promise<GetLogEventsResponse> {
  const group = groupNameOf(input);
  const name = input.logStreamName!;
  const limit = input.limit ?? MAX_EVENTS;
  if (limit < 1 || limit > MAX_EVENTS) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_EVENTS}`);
  await requireStream(ctx.app.store, ctx, group, name);
  const prefix = eventPrefix(ctx, group, name);
  const lower = input.startTime !== undefined ? afterTime(input.startTime - 1) : '';
  const upper = input.endTime !== undefined ? position(input.endTime, 0) : '~';
  let direction: 'f' | 'b';
  let cursor: string;
  if (input.nextToken) {
    const m = TOKEN.exec(input.nextToken);
    if (!m) throw invalid('The specified nextToken is invalid.');
    direction = m[1] as 'f' | 'b';
    cursor = m[2];
  } else {
    direction = input.startFromHead ? 'f' : 'b';
    cursor = input.startFromHead ? lower : upper;
  }
  const inRange = (pos: string) => pos > lower && pos < upper;
  const store = ctx.app.store;
  const picked: Array<{ pos: string; e: StoredEvent }> = [];
  const forward = direction === 'f';
  const from = forward ? (cursor > lower ? cursor : lower) : (cursor === '~' || cursor > upper ? upper : cursor);
  const page = await store.range(prefix, { limit, descending: !forward, startAfter: from === (forward ? '' : '~') ? undefined : `${prefix}${from}` });
  let bytes = 0;
  for (const kv of page.kvs) {
    const pos = kv.key.slice(prefix.length);
    if (!inRange(pos)) break;
    const e = JSON.parse(kv.value) as StoredEvent;
    if ((bytes += Buffer.byteLength(e.m) + EVENT_OVERHEAD_BYTES) > MAX_BYTES && picked.length) break;
    picked.push({ pos, e });
  }
  if (!forward) picked.reverse();
  const events: OutputLogEvent[] = picked.map(({ e }) => ({ timestamp: e.t, message: e.m, ingestionTime: e.i }));
  return {
    events,
    nextForwardToken: `f/${picked.length ? picked.at(-1)!.pos : cursor}`,
    nextBackwardToken: `b/${picked.length ? picked[0].pos : cursor}`,
  };
}
