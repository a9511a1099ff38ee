// The service scheduler's tasks of one cluster, kept in memory and followed through the scheduler's
// watch, so a pass reads no task record (issue 8: controllers work from watches and indexes, not
// by reading a whole cluster each pass). Built from the task indexes (task-index.ts): the tasks
// not STOPPED (`live/`) and every service task (`svc/`, any status: the circuit breaker counts
// failures); STOPPED tasks of no service are dropped. Nothing here is authoritative: a scheduler
// that starts (or a replica on another host) builds the same view from the store.
import type { KeyValue, WatchEvent } from '../../../store/types.js';
import type { RequestContext } from '../../context.js';
import { db } from '../model/common.js';
import type { ServiceTaskRecord } from '../model/service-tasks.js';
import { idOfIndexKey, taskIndexPrefix } from '../model/task-index.js';
import { rangeAll } from '../model/task-index-read.js';

interface Entry { revision: number; task: ServiceTaskRecord }

const kept = (t: ServiceTaskRecord) => t.lastStatus !== 'STOPPED' || (t.group ?? '').startsWith('service:');

export class ClusterTaskCache {
  private readonly entries = new Map<string, Entry>();
  /** Events that arrive while the first read is under way (applied after it, if newer). */
  private buffered: WatchEvent[] | undefined = [];
  /** Newest revision per task id seen during the build (also of tasks the cache drops). */
  private readonly seen = new Map<string, number>();
  /** Resolves when the cache reflects the store (as of its watch). */
  readonly ready: Promise<void>;

  private constructor(private readonly ctx: RequestContext, private readonly cluster: string) {
    this.ready = this.build();
  }

  static open(ctx: RequestContext, cluster: string) { return new ClusterTaskCache(ctx, cluster); }

  /** A put or delete of one of the cluster's task records (the scheduler's watch, in revision order). */
  onEvent(event: WatchEvent) {
    if (this.buffered) { this.buffered.push(event); return; }
    this.apply(event);
  }

  /** Every cached task (any group; STOPPED ones only of services). */
  tasks(): ServiceTaskRecord[] { return [...this.entries.values()].map((e) => e.task); }

  private apply(event: WatchEvent) {
    const id = event.key.slice(event.key.lastIndexOf('/') + 1);
    if (event.revision <= (this.entries.get(id)?.revision ?? this.seen.get(id) ?? 0)) return;
    if (this.seen.size) this.seen.set(id, event.revision);
    if (event.type === 'delete') { this.entries.delete(id); return; }
    const task = JSON.parse(event.value) as ServiceTaskRecord;
    if (kept(task)) this.entries.set(id, { revision: event.revision, task });
    else this.entries.delete(id);
  }

  private async build() {
    const store = this.ctx.app.store;
    const index = taskIndexPrefix(this.ctx, this.cluster);
    const ids = new Set<string>();
    for (const kv of await rangeAll(store, `${index}live/`)) ids.add(idOfIndexKey(kv.key));
    for (const kv of await rangeAll(store, `${index}svc/`)) ids.add(idOfIndexKey(kv.key));
    const records = db(this.ctx).tasks;
    const found = await Promise.all([...ids].map((id) => store.get(records.key(this.ctx, `${this.cluster}/${id}`))));
    for (const kv of found.filter((k): k is KeyValue => k !== undefined)) {
      const id = kv.key.slice(kv.key.lastIndexOf('/') + 1);
      this.seen.set(id, Math.max(this.seen.get(id) ?? 0, kv.modRevision));
      const task = JSON.parse(kv.value) as ServiceTaskRecord;
      if (kept(task)) this.entries.set(id, { revision: kv.modRevision, task });
    }
    const events = this.buffered ?? [];
    this.buffered = undefined;
    for (const e of events) this.apply(e);
    this.seen.clear();
  }
}
