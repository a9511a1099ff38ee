// CloudWatch Logs records and keys. Group names may hold '/', stream names may not hold ':' and
// group names may not either, so `<group>:<stream>` keys are unambiguous:
//   /logs/<acct>/<region>/group/<group>                 LogGroupRecord
//   /logs/<acct>/<region>/stream/<group>:<stream>        LogStreamRecord
//   /logs/<acct>/<region>/event/<group>:<stream>:<ts>:<seq>   StoredEvent (ts, seq zero-padded)
//   /logs/<acct>/<region>/mfilter/<group>:<filter>       MetricFilterRecord
// Events of a stream sort by timestamp, then by arrival: GetLogEvents and FilterLogEvents read
// ranges of these keys, never a whole group's history.
import type { LogGroupClass, StandardUnit } from '@aws-sdk/client-cloudwatch-logs';
import { AwsError } from '../../common/errors.js';
import { Records, recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';

export interface LogGroupRecord {
  logGroupName: string;
  arn: string;
  creationTime: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass?: LogGroupClass;
  tags: Record<string, string>;
}

export interface LogStreamRecord {
  logGroupName: string;
  logStreamName: string;
  creationTime: number;
  /** Events stored so far: the next event's sequence number. */
  seq: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
}

/** One event as stored: timestamp, ingestion time, message. */
export interface StoredEvent { t: number; i: number; m: string }

export interface MetricFilterRecord {
  filterName: string;
  logGroupName: string;
  filterPattern: string;
  metricTransformations: Array<{
    metricName: string; metricNamespace: string; metricValue: string; defaultValue?: number;
    dimensions?: Record<string, string>; unit?: StandardUnit;
  }>;
  creationTime: number;
}

export const groups = (store: Store) => new Records<LogGroupRecord>(store, 'logs', 'group');
export const streams = (store: Store) => new Records<LogStreamRecord>(store, 'logs', 'stream');
export const metricFilters = (store: Store) => new Records<MetricFilterRecord>(store, 'logs', 'mfilter');

export const streamId = (group: string, stream: string) => `${group}:${stream}`;
const pad = (n: number, width: number) => String(Math.max(0, n)).padStart(width, '0');
/** The position of an event inside its stream: `<ts>:<seq>`, sortable as text. */
export const position = (t: number, seq: number) => `${pad(t, 15)}:${pad(seq, 12)}`;
/** A position after every event with timestamp ≤ t (';' sorts after ':'). */
export const afterTime = (t: number) => `${pad(t, 15)};`;
export const eventPrefix = (scope: Scope, group: string, stream: string) => recordKey('logs', scope, 'event', `${streamId(group, stream)}:`);

export function parsePosition(pos: string): { t: number; seq: number } | undefined {
  const m = /^(\d{15}):(\d{12})$/.exec(pos);
  return m ? { t: Number(m[1]), seq: Number(m[2]) } : undefined;
}

export const notFound = (what: 'log group' | 'log stream' | 'resource') =>
  new AwsError('ResourceNotFoundException', `The specified ${what} does not exist.`);
export const invalid = (message: string) => new AwsError('InvalidParameterException', message);

export const groupArn = (scope: Scope, name: string) => `arn:aws:logs:${scope.region}:${scope.account}:log-group:${name}`;
export const streamArn = (scope: Scope, group: string, stream: string) => `${groupArn(scope, group)}:log-stream:${stream}`;

export async function requireGroup(store: Store, scope: Scope, name: string) {
  const g = await groups(store).getVersioned(scope, name);
  if (!g) throw notFound('log group');
  return g;
}

export async function requireStream(store: Store, scope: Scope, group: string, stream: string) {
  const s = await streams(store).getVersioned(scope, streamId(group, stream));
  if (!s) {
    await requireGroup(store, scope, group);
    throw notFound('log stream');
  }
  return s;
}

/** The group a request names by logGroupName or logGroupIdentifier (name or ARN). */
export function groupNameOf(input: { logGroupName?: string; logGroupIdentifier?: string }): string {
  const id = input.logGroupIdentifier;
  if (input.logGroupName && id) throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  if (input.logGroupName) return input.logGroupName;
  if (id) {
    const m = /^arn:aws[^:]*:logs:[^:]*:\d{12}:log-group:([^:]+)(?::\*)?$/.exec(id);
    return m ? m[1] : id;
  }
  throw invalid('Either LogGroup name or LogGroup ARN must be provided.');
}

/** Retention periods CloudWatch Logs accepts (days). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const DAY_MS = 86_400_000;
