// The service scheduler: a level-triggered controller (STYLE point 8). For each cluster with
// services it reads desired state (service records) and actual state (task and container-instance
// records), decides (service-rollout.ts, service-replica.ts, service-daemon.ts — pure) and
// converges (service-apply.ts). It runs when the store says something changed under /ecs/ (a
// service, a task, an instance: watch) and on a periodic tick (time passes: lost agents, the
// throttle, steady-state reminders). Passes over one cluster never overlap; passes are safe to
// repeat and to run after a crash, since everything they decide from is in the store, and every
// write is compare-and-swap. The only memory is which clusters have services (rebuilt from the
// store at start-up) and, per such cluster, its tasks (task-cache.ts: built from the task indexes,
// then followed through this watch), so a pass reads no task record.
import { performance } from 'node:perf_hooks';
import { globalArn } from '../../../common/arn.js';
import type { Ids } from '../../../common/ids.js';
import type { AppContext, RequestContext } from '../../context.js';
import type { Unwatch, WatchEvent } from '../../../store/types.js';
import { countOps, putWith } from '../model/cluster-counters.js';
import { db } from '../model/common.js';
import { serviceKey, serviceRecords, withEvents, type ServiceRecord } from '../model/service-model.js';
import { tasksOf } from '../model/service-tasks.js';
import type { Versioned } from '../../../common/records.js';
import { DEFAULT_SETTINGS, readClusterView, type ClusterView, type SchedulerSettings } from './cluster-view.js';
import { logServiceEvents, newEventMessages } from './service-activity.js';
import { applyPlan } from './service-apply.js';
import { planDaemon } from './service-daemon.js';
import { planReplica } from './service-replica.js';
import { advance } from './service-rollout.js';
import { syncLoadBalancers } from './load-balancer-targets.js';
import { ClusterTaskCache } from './task-cache.js';

export interface SchedulerOptions extends Partial<SchedulerSettings> {
  /** Milliseconds between periodic passes over every cluster with services (default 1000). */
  intervalMs?: number;
}

interface ClusterRef { account: string; region: string; cluster: string }

const refKey = (r: ClusterRef) => `${r.account}/${r.region}/${r.cluster}`;
/** `/ecs/<account>/<region>/<kind>/<cluster>/…` → its parts (undefined for other keys). */
function parseKey(key: string): (ClusterRef & { kind: string }) | undefined {
  const [, svc, account, region, kind, cluster] = key.split('/');
  return svc === 'ecs' && cluster ? { account, region, kind, cluster } : undefined;
}
/** Kinds whose changes may let a service place or must make it act (instance-resources: room freed). */
const WATCHED = new Set(['services', 'tasks', 'container-instances', 'instance-resources']);

export class ServiceScheduler {
  private readonly known = new Map<string, ClusterRef>();
  /** Tasks of the known clusters (task-cache.ts), by refKey. */
  private readonly caches = new Map<string, ClusterTaskCache>();
  /** Revision of the last event the watch delivered, and passes waiting for it (syncPoint). */
  private delivered = 0;
  private readonly waiters: { revision: number; resolve: () => void }[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly dirty = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private tickTimer?: NodeJS.Timeout;
  private unwatch?: Unwatch;
  private closed = false;

  private constructor(private readonly app: AppContext, readonly settings: SchedulerSettings) {}

  static async start(app: AppContext, options: SchedulerOptions = {}): Promise<ServiceScheduler> {
    const { intervalMs = 1000, ...rest } = options;
    const settings = { ...DEFAULT_SETTINGS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
    const scheduler = new ServiceScheduler(app, settings);
    const revision = await app.store.currentRevision();
    for (const ref of await clustersWithServices(app)) scheduler.known.set(refKey(ref), ref);
    scheduler.unwatch = app.store.watch('/ecs/', revision, (e) => scheduler.onEvent(e));
    scheduler.tickTimer = setInterval(() => scheduler.tick(), intervalMs);
    scheduler.tickTimer.unref?.();
    scheduler.tick();
    return scheduler;
  }

  /** Stops watching and ticking; resolves when passes under way have finished. */
  async stop() {
    this.closed = true;
    this.unwatch?.();
    clearInterval(this.tickTimer);
    clearTimeout(this.flushTimer);
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  /** One pass over every cluster with services, now (tests use it to skip the wait for a tick). */
  async runOnce(): Promise<void> {
    for (const ref of this.known.values()) this.kick(refKey(ref));
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  private onEvent(event: WatchEvent) {
    this.delivered = event.revision;
    if (this.waiters.length) this.release();
    const ref = parseKey(event.key);
    if (!ref || !WATCHED.has(ref.kind)) return;
    const key = refKey(ref);
    if (ref.kind === 'tasks') this.caches.get(key)?.onEvent(event);
    if (ref.kind === 'services' && event.type === 'put') this.known.set(key, ref);
    if (!this.known.has(key)) return;
    this.dirty.add(key);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      for (const k of this.dirty) this.kick(k);
      this.dirty.clear();
    }, 5);
  }

  private tick() { for (const key of this.known.keys()) this.kick(key); }

  /** Runs a pass over the cluster, or one more after the pass under way. */
  private kick(key: string) {
    if (this.closed) return;
    if (this.running.has(key)) { this.again.add(key); return; }
    const ref = this.known.get(key);
    if (!ref) return;
    const started = performance.now();
    const pass = this.pass(ref)
      .catch((err) => { console.error(`service scheduler: pass over cluster ${ref.cluster} (${ref.account}, ${ref.region}) failed`, err); })
      .then(async () => {
        // Changes that came during the pass run another one, after a pause as long as the pass
        // took (at most a second): under a stream of task reports passes take at most half the
        // process's time, and each sees many changes at once.
        if (!this.again.has(key) || this.closed) return;
        const pause = Math.min(1000, performance.now() - started);
        if (pause > 5) await new Promise((resolve) => { setTimeout(resolve, pause).unref?.(); });
      })
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.kick(key);
      });
    this.running.set(key, pass);
  }

  private async pass(ref: ClusterRef) {
    const ctx = scopeContext(this.app, ref);
    const cluster = await db(ctx).clusters.get(ctx, ref.cluster);
    const services = (await serviceRecords(this.app.store).listVersioned(ctx, `${ref.cluster}/`)).filter((v) => v.value.status !== 'INACTIVE');
    if (!cluster || services.length === 0) { this.known.delete(refKey(ref)); this.caches.delete(refKey(ref)); return; }
    let cache = this.caches.get(refKey(ref));
    if (!cache) this.caches.set(refKey(ref), cache = ClusterTaskCache.open(ctx, ref.cluster));
    await cache.ready;
    await this.syncPoint(ctx, ref);
    const view = await readClusterView(ctx, { name: ref.cluster, arn: cluster.clusterArn!, tags: cluster.tags }, services.map((v) => v.value),
      cache.tasks(), this.settings);
    for (const service of services) {
      if (this.closed) return;
      await this.reconcile(ctx, service, view);
    }
  }

  /** On a store whose watch lags its writes (etcd), the task cache may not show this scheduler's
   *  last starts yet: write a marker and wait for the watch to deliver it (everything before it
   *  has been delivered then). Local stores deliver inside the write: nothing to wait for. */
  private async syncPoint(ctx: RequestContext, ref: ClusterRef) {
    const store = this.app.store;
    if (store.syncWatch) return;
    const key = `/ecs/${ref.account}/${ref.region}/scheduler-sync/${ref.cluster}`;
    const { revision } = await store.txn([], [{ type: 'put', key, value: ctx.app.clock.now().toISOString() }]);
    if (this.delivered >= revision) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000); // a broken watch must not stall the scheduler forever
      this.waiters.push({ revision, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  private release() {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].revision > this.delivered) continue;
      this.waiters[i].resolve();
      this.waiters.splice(i, 1);
    }
  }

  /** One service: advance its state, then plan and apply the task changes. */
  private async reconcile(ctx: RequestContext, current: Versioned<ServiceRecord>, base: ClusterView) {
    let view = base;
    let service = current.value;
    const tasks = tasksOf(service, view.tasks);
    // Services behind load balancers: targets follow the tasks, and a task is healthy only when its targets are.
    const lb = await syncLoadBalancers(ctx, service, tasks, view);
    if (lb) view = { ...view, healthy: (t) => base.healthy(t) && lb.healthy(t) };
    const next = advance(service, tasks, view, this.app.ids);
    if (next !== service) {
      // On a conflict someone else wrote the service: that write triggers another pass.
      if (!(await putWith(this.app.store, current.key, next, current.revision, countOps(ctx, service.cluster, 'services', service, next)))) return;
      logServiceEvents(this.app, next, newEventMessages(service, next));
      service = next;
    }
    if (service.status === 'INACTIVE') { await appendEvents(ctx, service, lb?.events ?? [], this.app.ids); return; }
    const plan = service.schedulingStrategy === 'DAEMON'
      ? planDaemon(service, tasks, view, this.settings)
      : planReplica(service, tasks, view, this.settings);
    if (!plan.lost.length && !plan.stops.length && !plan.starts.length && !plan.events.length) {
      await appendEvents(ctx, service, lb?.events ?? [], this.app.ids);
      return;
    }
    await lb?.beforeStops(plan.stops.map((s) => s.taskId));
    const events = await applyPlan(ctx, service, plan, view, this.settings);
    const all = [...(lb?.events ?? []), ...events];
    await appendEvents(ctx, service, all, this.app.ids);
    logServiceEvents(this.app, service, all);
  }
}

/** Adds events to the stored service (compare-and-swap, retried). */
async function appendEvents(ctx: RequestContext, service: ServiceRecord, messages: string[], ids: Ids) {
  if (messages.length === 0) return;
  const records = serviceRecords(ctx.app.store);
  const key = serviceKey(service.cluster, service.serviceName);
  for (;;) {
    const current = await records.getVersioned(ctx, key);
    if (!current || current.value.createdAt !== service.createdAt) return;
    const next = withEvents(current.value, messages, ids, ctx.app.clock.now().toISOString());
    if (await records.put(ctx, key, next, current.revision)) return;
  }
}

/** Names the store holds right under `prefix` (`<prefix><name>/…`), one key read each: a skip
 *  over the keys in between, however many there are. */
async function childNames(app: AppContext, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for (let after: string | undefined; ;) {
    const [kv] = await app.store.list(prefix, { limit: 1, startAfter: after });
    if (!kv) return names;
    const name = kv.key.slice(prefix.length).split('/')[0];
    names.push(name);
    after = `${prefix}${name}/\u{10ffff}`;
  }
}

/** The clusters with service records, found by reading the services/ prefix of each account and
 *  region: at start-up the scheduler reads what services hold, not every task and revision. */
async function clustersWithServices(app: AppContext): Promise<ClusterRef[]> {
  const refs = new Map<string, ClusterRef>();
  for (const account of await childNames(app, '/ecs/')) {
    for (const region of await childNames(app, `/ecs/${account}/`)) {
      for (const cluster of await childNames(app, `/ecs/${account}/${region}/services/`)) {
        const ref = { account, region, cluster };
        refs.set(refKey(ref), ref);
      }
    }
  }
  return [...refs.values()];
}

/** The scheduler acts inside one account and region, as ECS's service-linked principal. */
function scopeContext(app: AppContext, ref: ClusterRef): RequestContext {
  return {
    requestId: app.ids.uuid(), account: ref.account, region: ref.region, accessKeyId: 'ecs-service-scheduler',
    principalArn: globalArn('iam', ref.region, ref.account, 'role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS'),
    service: 'ecs', operation: 'ServiceScheduler', app,
  };
}
