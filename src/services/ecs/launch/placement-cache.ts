// What placement reads of a cluster, kept in memory and followed through store watches
// (src/store/reflect.ts), so a RunTask does not re-read and re-parse every instance record and the
// cluster's live task index on each call and each conflict (issue 8). Five reflected prefixes per
// cluster: its container-instance records, their resources keys (model/instance-resources.ts), its
// live/ task index (task-index.ts), its liveness stamps and its agents' lease keys
// (model/liveness.ts).
//
// Only on stores whose watches deliver inside the write (Store.syncWatch: memory, SQLite): there
// the view is never older than any write that has completed, so a plan from it is as fresh as one
// from a new read. Elsewhere (etcd) callers read the store as before (cachedSnapshot: undefined).
// The view is never the authority: every commit still compares the instance's revisions, and the
// whole view is rebuilt from the store when the process starts or a watch is compacted away.
import type { Task } from '@aws-sdk/client-ecs';
import { recordKey } from '../../../common/records.js';
import { reflect } from '../../../store/reflect.js';
import type { KeyValue, WatchEvent } from '../../../store/types.js';
import type { AppContext, RequestContext } from '../../context.js';
import { instanceFromRecord, type PlacementInstance } from '../../../placement/index.js';
import type { ContainerInstanceRecord } from '../model/common.js';
import { isAgentConnected } from '../model/container-instance-view.js';
import { leaseKeyPrefix, withHeartbeat } from '../model/liveness.js';
import { taskIndexPrefix, type LiveEntry } from '../model/task-index.js';
import { overlay, resourcesPrefix, type InstanceResources } from '../model/instance-resources.js';

export interface CachedInstance {
  key: string;
  /** The record's revision and its resources key's (0: none): what a commit compares. */
  revision: number;
  resRevision: number;
  /** The record with its remaining resources and version from the resources key. */
  record: ContainerInstanceRecord;
  /** The instance's record with lastHeartbeatAt from its liveness keys (what isAgentConnected reads). */
  withBeat(now: Date): ContainerInstanceRecord;
  /** Whether its agent counts as connected at `now` (lease held, or a stamp within the grace). */
  connected(now: Date, graceSeconds: number): boolean;
  /** The instance as the placement engine sees it; built once per change of the instance, its
   *  tasks or its liveness (the engine keeps what it derives from it, placement/working.ts). */
  placement(connected: boolean): PlacementInstance;
  tasks: Pick<Task, 'group' | 'taskArn'>[];
  running: number;
}

type Change = (key: string, value: string | undefined, revision: number) => void;

/** Follows one prefix (list, then watch), telling `change` about each key's new value (undefined:
 *  deleted); events older than the listed key (revision ≤ its modRevision) are ignored. */
interface Follow { ready(): Promise<void>; stop(): void }

function follow(app: AppContext, prefix: string, change: Change, reset: () => void): Follow {
  const revisions = new Map<string, number>();
  let resolve!: () => void;
  let ready = new Promise<void>((r) => { resolve = r; });
  const stop = reflect(app.store, prefix, {
    onList: (kvs: KeyValue[]) => {
      revisions.clear();
      reset();
      for (const kv of kvs) { revisions.set(kv.key, kv.modRevision); change(kv.key, kv.value, kv.modRevision); }
      resolve();
    },
    onEvent: (e: WatchEvent) => {
      if (e.revision <= (revisions.get(e.key) ?? 0)) return;
      if (e.type === 'delete') revisions.delete(e.key); else revisions.set(e.key, e.revision);
      change(e.key, e.type === 'delete' ? undefined : e.value, e.revision);
    },
    onError: (err) => { console.error(`placement cache: ${prefix}:`, err); },
    // Until the next list (e.g. after a reset wiped the store), callers wait.
    onStale: () => { ready = new Promise<void>((r) => { resolve = r; }); },
  });
  return { ready: () => ready, stop };
}

const idOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);

interface InstanceState {
  key: string;
  revision: number;
  record: ContainerInstanceRecord;
  /** Live tasks by task id (superseded ones left out). */
  live: Map<string, { task: Pick<Task, 'group' | 'taskArn'>; running: boolean }>;
  /** The CachedInstance built from this state (undefined: changed since). */
  built?: CachedInstance;
}

class ClusterCache {
  /** By instance id; `live` is kept also for ids whose record has not arrived (yet). */
  private readonly states = new Map<string, InstanceState>();
  private readonly orphanLive = new Map<string, InstanceState['live']>();
  private readonly stamps = new Map<string, string>();
  /** Resources keys by instance id (kept also for ids whose record has not arrived yet). */
  private readonly resources = new Map<string, { res: InstanceResources; revision: number }>();
  private readonly leased = new Set<string>();
  private sorted?: string[];
  private readonly follows: Follow[];

  constructor(app: AppContext, ctx: RequestContext, cluster: string) {
    const livePrefix = `${taskIndexPrefix(ctx, cluster)}live/`;
    this.follows = [
      follow(app, recordKey('ecs', ctx, 'container-instances', `${cluster}/`), (key, value, revision) => this.onInstance(key, value, revision),
        () => { for (const [id, st] of this.states) this.orphanLive.set(id, st.live); this.states.clear(); this.sorted = undefined; }),
      follow(app, resourcesPrefix(ctx, cluster), (key, value, revision) => {
        if (value === undefined) this.resources.delete(idOf(key)); else this.resources.set(idOf(key), { res: JSON.parse(value) as InstanceResources, revision });
        this.touch(idOf(key));
      }, () => { this.resources.clear(); this.touchAll(); }),
      follow(app, livePrefix, (key, value) => this.onLive(key.slice(livePrefix.length), value),
        () => { for (const st of this.states.values()) { st.live = new Map(); st.built = undefined; } this.orphanLive.clear(); }),
      follow(app, recordKey('ecs', ctx, 'liveness', `${cluster}/`), (key, value) => {
        if (value === undefined) this.stamps.delete(idOf(key)); else this.stamps.set(idOf(key), (JSON.parse(value) as { lastHeartbeatAt: string }).lastHeartbeatAt);
        this.touch(idOf(key));
      }, () => { this.stamps.clear(); this.touchAll(); }),
      follow(app, leaseKeyPrefix(ctx, cluster), (key, value) => {
        if (value === undefined) this.leased.delete(idOf(key)); else this.leased.add(idOf(key));
        this.touch(idOf(key));
      }, () => { this.leased.clear(); this.touchAll(); }),
    ];
  }

  /** Resolves when every followed prefix reflects the store. */
  async ready() { await Promise.all(this.follows.map((f) => f.ready())); }

  stop() { for (const f of this.follows) f.stop(); }

  private touch(id: string) { const st = this.states.get(id); if (st) st.built = undefined; }
  private touchAll() { for (const st of this.states.values()) st.built = undefined; }

  private onInstance(key: string, value: string | undefined, revision: number) {
    const id = idOf(key);
    const st = this.states.get(id);
    if (value === undefined) {
      if (st) { this.orphanLive.set(id, st.live); this.states.delete(id); this.sorted = undefined; }
      return;
    }
    const record = JSON.parse(value) as ContainerInstanceRecord;
    // `revision` is the record's modRevision: what a commit compares.
    if (st) { Object.assign(st, { key, revision, record, built: undefined }); return; }
    this.states.set(id, { key, revision, record, live: this.orphanLive.get(id) ?? new Map() });
    this.orphanLive.delete(id);
    this.sorted = undefined;
  }

  /** `rest` is `<instance id>/<task id>`. */
  private onLive(rest: string, value: string | undefined) {
    const slash = rest.indexOf('/');
    const instance = rest.slice(0, slash);
    const task = rest.slice(slash + 1);
    const st = this.states.get(instance);
    let live = st?.live ?? this.orphanLive.get(instance);
    if (!live) this.orphanLive.set(instance, live = new Map());
    const entry = value === undefined ? undefined : JSON.parse(value) as LiveEntry;
    if (!entry || entry.s) live.delete(task);
    else live.set(task, { task: { group: entry.g, taskArn: entry.a }, running: entry.r === 1 });
    if (st) st.built = undefined;
  }

  /** The instances in key order with their live tasks (objects rebuilt only for what changed). */
  list(): CachedInstance[] {
    this.sorted ??= [...this.states.keys()].sort((a, b) => {
      const ka = this.states.get(a)!.key, kb = this.states.get(b)!.key;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return this.sorted.map((id) => {
      const st = this.states.get(id)!;
      if (st.built) return st.built;
      const tasks: Pick<Task, 'group' | 'taskArn'>[] = [];
      let running = 0;
      for (const l of st.live.values()) { tasks.push(l.task); if (l.running) running++; }
      const res = this.resources.get(id);
      const record = overlay(st.record, res?.res);
      const leased = this.leased.has(id);
      const stamp = this.stamps.get(id);
      const engine: (PlacementInstance | undefined)[] = [];
      return st.built = {
        key: st.key, revision: st.revision, resRevision: res?.revision ?? 0, record, tasks, running,
        withBeat: (now) => withHeartbeat(record, leased ? now.toISOString() : stamp),
        // A held lease is a heartbeat now (withBeat): connected unless INACTIVE.
        connected: (now, grace) => (leased ? record.status !== 'INACTIVE' : isAgentConnected(withHeartbeat(record, stamp), now, grace)),
        placement: (connected) => (engine[+connected] ??= { ...instanceFromRecord(record, { agentConnected: connected, tasks }), runningTasksCount: running }),
      };
    });
  }
}

const caches = new WeakMap<AppContext, Map<string, ClusterCache>>();

/** The cluster's placement view, or undefined when the store's watches lag its writes. Resolves
 *  once the view reflects the store. */
export async function placementView(ctx: RequestContext, cluster: string): Promise<CachedInstance[] | undefined> {
  const app = ctx.app;
  if (!app.store.syncWatch) return undefined;
  let byCluster = caches.get(app);
  if (!byCluster) caches.set(app, byCluster = new Map());
  const id = `${ctx.account}/${ctx.region}/${cluster}`;
  let cache = byCluster.get(id);
  if (!cache) byCluster.set(id, cache = new ClusterCache(app, ctx, cluster));
  await cache.ready();
  return cache.list();
}

/** Stops following every cluster of this app (the server is stopping). */
export function closePlacementViews(app: AppContext) {
  for (const cache of caches.get(app)?.values() ?? []) cache.stop();
  caches.delete(app);
}
