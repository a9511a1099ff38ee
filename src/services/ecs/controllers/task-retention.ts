// STOPPED task retention, like ECS ("stopped tasks appear in the returned results [of
// DescribeTasks] for at least one hour"): a level-triggered controller (STYLE point 8) that
// periodically deletes task records that have been STOPPED for longer than the retention
// (`stoppedTaskRetentionSeconds`, `berth server --stopped-task-retention 1h`, default 3600 s;
// 0 keeps them forever), by the app's clock. Afterwards the task is unknown: DescribeTasks reports
// it MISSING, ListTasks no longer lists it, and a late agent report on it is answered like one on
// an unknown task.
//
// What it never deletes:
// - a task that is not STOPPED, or whose record changed since it was read (compare-and-swap on
//   the record's revision: the next pass looks again);
// - a STOPPED task whose reservation was not given back to its instance yet;
// - a failed task a service still counts (`failuresOf` for any deployment its service record
//   still lists: the circuit breaker, the launch throttle and the deployments' failedTasks read
//   them), so purging can change neither a service's state nor how it is shown. Nothing else
//   reads STOPPED tasks: every count, plan and manifest looks at tasks not STOPPED yet.
//
// Everything it decides from is in the store, so a pass is safe to repeat and to run after a crash.
import { PeriodicPass } from '../../../common/periodic-pass.js';
import type { AppContext } from '../../context.js';
import type { KeyValue, Op } from '../../../store/types.js';
import { taskIndexOps, taskIndexPrefix } from '../model/task-index.js';
import type { ServiceRecord } from '../model/service-model.js';
import { failuresOf, tasksOf, type ServiceTaskRecord } from '../model/service-tasks.js';

export interface TaskRetentionOptions {
  /** Seconds a STOPPED task stays describable (default 3600; 0 = forever). */
  retentionSeconds?: number;
  /** Milliseconds between passes (default 60 000). */
  intervalMs?: number;
}

export const DEFAULT_STOPPED_TASK_RETENTION_SECONDS = 3600;
const PAGE = 500;

export interface StoredTask { kv: KeyValue; task: ServiceTaskRecord }

/** The tasks to delete now, of one cluster: STOPPED before `cutoffMs`, reservation given back, and
 *  not a failure one of the cluster's services still counts (a per-task test: `tasks` may be any
 *  subset of the cluster's, e.g. only the ones that expired). */
export function expiredTasks(tasks: StoredTask[], services: ServiceRecord[], cutoffMs: number): StoredTask[] {
  const old = tasks.filter(({ task: t }) => t.lastStatus === 'STOPPED' && Date.parse(String(t.stoppedAt)) < cutoffMs
    && !(t.reservation && !t.reservation.released && t.containerInstanceArn));
  if (old.length === 0) return [];
  const all = tasks.map((s) => s.task);
  const counted = new Set<ServiceTaskRecord>();
  for (const service of services) {
    const mine = tasksOf(service, all);
    for (const d of service.deployments) for (const t of failuresOf(d, mine)) counted.add(t);
  }
  return old.filter((s) => !counted.has(s.task));
}

export class TaskRetention {
  private readonly loop = new PeriodicPass('task retention', () => this.pass(), () => 0);

  private constructor(private readonly app: AppContext, readonly retentionSeconds: number) {}

  static start(app: AppContext, options: TaskRetentionOptions = {}): TaskRetention {
    const retention = new TaskRetention(app, options.retentionSeconds ?? DEFAULT_STOPPED_TASK_RETENTION_SECONDS);
    retention.loop.every(options.intervalMs ?? 60_000);
    return retention;
  }

  /** Stops ticking; resolves when the passes under way have finished. */
  stop() { return this.loop.stop(); }

  /** A full pass, after the one under way (never overlapping); resolves with the number of tasks deleted. */
  runOnce(): Promise<number> { return this.loop.runOnce(); }

  private get closed() { return this.loop.closed; }

  private async pass(): Promise<number> {
    if (this.closed || this.retentionSeconds <= 0) return 0;
    const cutoff = this.app.clock.now().getTime() - this.retentionSeconds * 1000;
    let deleted = 0;
    for await (const { prefix, cluster } of this.clusters()) {
      if (this.closed) break;
      deleted += await this.purgeCluster(prefix, cluster, cutoff);
    }
    return deleted;
  }

  /** Every (account, region, cluster) with task records: one probe per region and per cluster. */
  private async *clusters(): AsyncGenerator<{ prefix: string; cluster: string }> {
    const store = this.app.store;
    let after: string | undefined;
    for (;;) {
      const [next] = await store.list('/ecs/', { limit: 1, startAfter: after });
      if (!next) return;
      const [, , account, region] = next.key.split('/');
      if (region === undefined) { after = next.key; continue; }
      const prefix = `/ecs/${account}/${region}/`;
      let inRegion: string | undefined;
      for (;;) {
        const [task] = await store.list(`${prefix}tasks/`, { limit: 1, startAfter: inRegion });
        const cluster = task?.key.slice(`${prefix}tasks/`.length).split('/')[0];
        if (!cluster) break;
        yield { prefix, cluster };
        inRegion = `${prefix}tasks/${cluster}/\uffff`;
      }
      after = `${prefix}\uffff`;
    }
  }

  /** The cluster's tasks STOPPED before the cutoff, from the x/ index (stop-time order), up to
   *  the cutoff only: a pass reads what expired, not the cluster's history. */
  private async purgeCluster(prefix: string, cluster: string, cutoff: number): Promise<number> {
    const store = this.app.store;
    const [, , account, region] = prefix.split('/');
    const scope = { account, region };
    const byTime = `${taskIndexPrefix(scope, cluster)}x/`;
    const tasks: StoredTask[] = [];
    for (let after: string | undefined; ;) {
      const page = await store.list(byTime, { limit: PAGE, startAfter: after });
      let past = false;
      for (const kv of page) {
        const [ms, id] = kv.key.slice(byTime.length).split('/');
        if (Number(ms) >= cutoff) { past = true; break; }
        const record = await store.get(`${prefix}tasks/${cluster}/${id}`);
        if (record) tasks.push({ kv: record, task: JSON.parse(record.value) as ServiceTaskRecord });
      }
      if (past || page.length < PAGE) break;
      after = page[page.length - 1].key;
    }
    if (tasks.length === 0) return 0;
    const services = (await store.list(`${prefix}services/${cluster}/`)).map((kv) => JSON.parse(kv.value) as ServiceRecord);
    let deleted = 0;
    for (const { kv, task } of expiredTasks(tasks, services, cutoff)) {
      if (this.closed) break;
      // A record written since it was read is left for the next pass. Its index keys go with it.
      const ops: Op[] = [{ type: 'delete', key: kv.key }, ...taskIndexOps(scope, cluster, task, undefined)];
      if ((await store.txn([{ key: kv.key, modRevision: kv.modRevision }], ops)).succeeded) deleted++;
    }
    return deleted;
  }
}
