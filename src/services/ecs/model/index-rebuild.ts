// Builds the index keys and counters of task-index.ts and task-definition-index.ts for records
// stored before they existed (a store written by an older Berth): once, at start-up, when the
// marker key says the store has not been indexed at this version. A store that has always been
// indexed (or an empty one) costs one key read. Every index is a function of the records, so this
// is also the way to rebuild them from the store alone.
import type { KeyValue, Op, Store } from '../../../store/types.js';
import type { FamilyRecord, TaskRecord } from './common.js';
import { familyOps, revisionStatusOps } from './task-definition-index.js';
import type { TaskDefinitionRecord } from './task-definition-lookup.js';
import { clusterCounterPrefix, counts as countsAs } from './cluster-counters.js';
import { counterEntries, indexEntries, taskCountPrefix, taskIndexPrefix } from './task-index.js';

export const INDEX_MARKER = '/ecs-meta/index-version';
/** 2: per-startedBy task counters (b/<startedBy>/…) and the family's latestActive pointer.
 *  3: the cluster's instance and service counters (cluster-counters.ts).
 *  4: STOPPED tasks by stop time (x/, task retention). */
export const INDEX_VERSION = '4';
const PAGE = 1000;

/** Rebuilds the indexes if the marker is missing or older; resolves the number of records indexed. */
export async function ensureIndexes(store: Store): Promise<number> {
  const marker = await store.get(INDEX_MARKER);
  if (marker?.value === INDEX_VERSION) return 0;
  let indexed = 0;
  const counters = new Map<string, number>();
  const families = new Map<string, { key: string; record: FamilyRecord; active: number; scope: { account: string; region: string } }>();
  let batch: Op[] = [];
  const flush = async () => { if (batch.length) await store.txn([], batch); batch = []; };
  for (let after: string | undefined; ;) {
    const { kvs, more } = await store.range('/ecs/', { limit: PAGE, startAfter: after });
    for (const kv of kvs) {
      indexed += indexRecord(kv, batch, counters, families);
      if (batch.length >= PAGE) await flush();
    }
    if (!more || kvs.length === 0) break;
    after = kvs[kvs.length - 1].key;
  }
  for (const f of families.values()) batch.push(...familyOps(f.scope, f.key, { ...f.record, activeRevisions: 0 }, f.active));
  for (const [key, value] of counters) batch.push({ type: 'put', key, value: String(value) });
  batch.push({ type: 'put', key: INDEX_MARKER, value: INDEX_VERSION });
  await flush();
  return indexed;
}

function indexRecord(kv: KeyValue, ops: Op[], counters: Map<string, number>,
  families: Map<string, { key: string; record: FamilyRecord; active: number; scope: { account: string; region: string } }>): number {
  const [, , account, region, kind, ...rest] = kv.key.split('/');
  const scope = { account, region };
  if (kind === 'tasks' && rest.length === 2) {
    const [cluster] = rest;
    const task = JSON.parse(kv.value) as TaskRecord;
    if (!task.taskArn) return 0;
    const prefix = taskIndexPrefix(scope, cluster);
    for (const [key, value] of indexEntries(task)) ops.push({ type: 'put', key: prefix + key, value });
    const counts = taskCountPrefix(scope, cluster);
    for (const key of counterEntries(task).keys()) counters.set(counts + key, (counters.get(counts + key) ?? 0) + 1);
    return 1;
  }
  if ((kind === 'container-instances' || kind === 'services') && rest.length === 2) {
    const counter = kind === 'services' ? 'services' : 'instances';
    const key = clusterCounterPrefix(scope, rest[0]) + counter;
    // Every cluster seen gets its counter written (absolute), so a stale one is reset to 0 too.
    counters.set(key, (counters.get(key) ?? 0) + (countsAs(counter, (JSON.parse(kv.value) as { status?: string }).status) ? 1 : 0));
    return 1;
  }
  if (kind === 'task-definitions' && rest.length === 2) {
    const td = JSON.parse(kv.value) as TaskDefinitionRecord;
    const family = rest[0];
    ops.push(...revisionStatusOps(scope, family, Number(rest[1]), undefined, td.status ?? 'ACTIVE'));
    const f = families.get(`${account}/${region}/${family}`);
    if (f && td.status === 'ACTIVE') { f.active++; f.record.latestActive = Math.max(f.record.latestActive ?? 0, Number(rest[1])); }
    return 1;
  }
  if (kind === 'task-definition-families' && rest.length === 1) {
    // Family keys sort before their revisions (…-families/ < …s/), so the entry exists when they come.
    families.set(`${account}/${region}/${rest[0]}`, { key: kv.key, record: { ...JSON.parse(kv.value) as FamilyRecord, latestActive: 0 }, active: 0, scope });
    return 1;
  }
  return 0;
}
