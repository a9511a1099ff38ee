// Secondary index keys and counters of task records, written in the same store transaction as the
// record (issue 8): every read that filters tasks (ListTasks, an agent's tasks, RunTask's
// clientToken, the cluster's counts) reads keys of the filter it has, never a cluster's records.
//
// Under /ecs/<account>/<region>/task-index/<cluster>/ (values '' unless said):
//   d/<desired>/<id>                       every task by desiredStatus (ListTasks without filters)
//   s/<desired>/<service>/<id>             tasks of group service:<service> (ListTasks serviceName)
//   f/<desired>/<family>/<id>              by task definition family
//   b/<desired>/<startedBy>/<id>           by startedBy (URI-encoded)
//   i/<desired>/<instance id>/<id>         by container instance
//   t/<clientToken>/<id>                   RunTask's idempotency token (URI-encoded)
//   svc/<service>/<id>                     a service's tasks, any status (the scheduler, DescribeServices)
//   x/<stoppedAt, 15-digit epoch ms>/<id>  STOPPED tasks by stop time (retention ranges up to its
//                                          cutoff instead of reading every record)
//   live/<instance id>/<id>                not STOPPED yet; value {g: group, a: arn, n: generation,
//                                          r: 1 when running, s: 1 when superseded} (placement
//                                          snapshot; an agent's ACS session watches its own)
// Counters under /ecs/<account>/<region>/task-counts/<cluster>/: running, pending (whole cluster) and
// i/<instance id>/running|pending (lastStatus, see PENDING_STATUSES/RUNNING_STATUSES), and
// b/<startedBy>/running|pending|live (lastStatus RUNNING / pending / not STOPPED and desired
// RUNNING, superseded tasks left out: a service deployment's counts for DescribeServices).
import { recordKey, type Scope } from '../../../common/records.js';
import type { Op } from '../../../store/types.js';
import type { TaskRecord } from './common.js';
import { parseTaskDefinitionRef } from './task-definition-lookup.js';
import { instanceIdOf, PENDING_STATUSES, RUNNING_STATUSES, taskId } from './task-model.js';

export const enc = (text: string) => encodeURIComponent(text);

/** The index prefix of one cluster (`…/task-index/<cluster>/`). */
export const taskIndexPrefix = (scope: Scope, cluster: string) => recordKey('ecs', scope, 'task-index', `${cluster}/`);
export const taskCountPrefix = (scope: Scope, cluster: string) => recordKey('ecs', scope, 'task-counts', `${cluster}/`);

/** The value of a live/ index key. */
export interface LiveEntry { g?: string; a: string; n: number; r?: 1; s?: 1 }

const familyOf = (t: TaskRecord) => parseTaskDefinitionRef(t.taskDefinitionArn ?? '')?.family;
const instanceOf = (t: TaskRecord) => (t.containerInstanceArn ? instanceIdOf(t.containerInstanceArn) : undefined);
const serviceOf = (t: TaskRecord) => (t.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined);

/** The x/ key of a STOPPED task (undefined while it is not STOPPED or has no stop time). */
export function stoppedKey(t: TaskRecord): string | undefined {
  if (t.lastStatus !== 'STOPPED' || t.stoppedAt === undefined) return undefined;
  const ms = Date.parse(String(t.stoppedAt));
  return Number.isFinite(ms) && ms >= 0 ? `x/${String(ms).padStart(15, '0')}/${taskId(t)}` : undefined;
}

/** Index key (relative to the cluster's index prefix) → value, for one task. */
export function indexEntries(t: TaskRecord): Map<string, string> {
  const id = taskId(t);
  const d = t.desiredStatus ?? 'RUNNING';
  const out = new Map<string, string>([[`d/${d}/${id}`, '']]);
  const service = serviceOf(t);
  const family = familyOf(t);
  const instance = instanceOf(t);
  if (service) { out.set(`s/${d}/${service}/${id}`, ''); out.set(`svc/${service}/${id}`, ''); }
  if (family) out.set(`f/${d}/${family}/${id}`, '');
  if (t.startedBy !== undefined) out.set(`b/${d}/${enc(t.startedBy)}/${id}`, '');
  if (t.clientToken) out.set(`t/${enc(t.clientToken)}/${id}`, '');
  const stopped = stoppedKey(t);
  if (stopped) out.set(stopped, '');
  if (instance) {
    out.set(`i/${d}/${instance}/${id}`, '');
    if (t.lastStatus !== 'STOPPED') {
      const live: LiveEntry = { g: t.group, a: t.taskArn!, n: t.generation ?? 1 };
      if (RUNNING_STATUSES.includes(t.lastStatus ?? '')) live.r = 1;
      if ((t as { supersededAt?: string }).supersededAt !== undefined) live.s = 1;
      out.set(`live/${instance}/${id}`, JSON.stringify(live));
    }
  }
  return out;
}

/** Counter key (relative to the cluster's count prefix) → 1, for one task. */
export function counterEntries(t: TaskRecord): Map<string, number> {
  const status = t.lastStatus ?? '';
  const kind = RUNNING_STATUSES.includes(status) ? 'running' : PENDING_STATUSES.includes(status) ? 'pending' : undefined;
  const out = new Map<string, number>();
  if (!kind) return out;
  out.set(kind, 1);
  const instance = instanceOf(t);
  if (instance) out.set(`i/${instance}/${kind}`, 1);
  // Per startedBy (a service's deployment id), as DescribeServices counts (service-tasks.ts
  // liveCounts / isLive): superseded tasks never count.
  if (t.startedBy !== undefined && (t as { supersededAt?: string }).supersededAt === undefined) {
    const by = `b/${enc(t.startedBy)}/`;
    if (status === 'RUNNING') out.set(`${by}running`, 1);
    else if (kind === 'pending') out.set(`${by}pending`, 1);
    if (t.desiredStatus !== 'STOPPED') out.set(`${by}live`, 1);
  }
  return out;
}

/** The ops that move the indexes and counters of a task from `before` to `after` (either may be
 *  absent: create, delete). Add them to the transaction that writes the record. */
export function taskIndexOps(scope: Scope, cluster: string, before: TaskRecord | undefined, after: TaskRecord | undefined): Op[] {
  const ops: Op[] = [];
  const idx = taskIndexPrefix(scope, cluster);
  const was = before ? indexEntries(before) : new Map<string, string>();
  const now = after ? indexEntries(after) : new Map<string, string>();
  for (const key of was.keys()) if (!now.has(key)) ops.push({ type: 'delete', key: idx + key });
  for (const [key, value] of now) if (was.get(key) !== value) ops.push({ type: 'put', key: idx + key, value });
  const counts = taskCountPrefix(scope, cluster);
  const delta = new Map<string, number>();
  for (const key of (before ? counterEntries(before) : new Map<string, number>()).keys()) delta.set(key, -1);
  for (const key of (after ? counterEntries(after) : new Map<string, number>()).keys()) delta.set(key, (delta.get(key) ?? 0) + 1);
  for (const [key, d] of delta) if (d !== 0) ops.push({ type: 'add', key: counts + key, delta: d });
  return ops;
}

/** The task id an index key ends with. */
export const idOfIndexKey = (key: string) => key.slice(key.lastIndexOf('/') + 1);
