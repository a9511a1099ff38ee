// PublishMetricsRequest → the AWS/ECS CPUUtilization and MemoryUtilization metrics, published
// with the internal client (monitoring PutMetricData, as the account root) the way ECS defines them:
//   service (ClusterName, ServiceName): per task, CPU units used × 100 / CPU units the task
//     reserved (memory likewise, MiB); one datum per report and service whose StatisticValues are
//     over its tasks, so Average is the mean over tasks and Minimum / Maximum the extreme tasks;
//   cluster (ClusterName): CPU units used by the reporting instance's tasks × 100 / CPU units the
//     instance registered (memory likewise), one datum per report and instance;
//   CPUReservation / MemoryReservation (ClusterName): CPU units (MiB) the instance's tasks hold
//     (registered − remaining resources) × 100 / what the instance registered, one datum per
//     report and instance (Average over equal instances is the cluster's ratio).
// The agent reports a container's CPU in percent of the whole instance (all cores), so CPU units
// used = percent / 100 × the instance's registered CPU; memory in MiB. Each stats set covers the
// agent's publish interval (about 20 s): its average (sum / sampleCount) is the value taken.
// Tasks without a CPU (or memory) reservation give no service datum for it. Until the monitoring
// service exists the publish fails with NotImplemented: ignored (logged once).
import { AwsError } from '../../../common/errors.js';
import { tcsTime, type CWStatsSet, type PublishMetricsRequest } from '../../../protocol/tcs.js';
import { accountRoot, type RequestContext } from '../../context.js';
import type { DefinitionCache } from '../acs/acs-tasks.js';
import { db } from '../model/common.js';
import { instanceIdOf, parseTaskRef } from '../model/task-model.js';
import { taskNeeds } from '../model/task-resources.js';
import { getInstance } from '../model/instance-resources.js';

const MAX_TASKS = 500;
/** The instance's registered resources are read again after this long. */
const INSTANCE_TTL_MS = 60_000;

/** The latest sample of one task (what TcsServer.latest shows). */
export interface TaskSample { at: Date; cpuUnits: number; memoryMiB: number; cpuReserved: number; memoryReserved: number; service?: string }

/** CloudWatch's MetricDatum, as much of it as is sent here. */
export interface MetricDatum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Timestamp: Date;
  Unit: 'Percent';
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
}

/** A task's sample is dropped once it is this old (its task stopped reporting). */
const SAMPLE_TTL_MS = 120_000;

let warnedNotImplemented = false;

const average = (s: CWStatsSet | undefined) =>
  s && typeof s.sum === 'number' && typeof s.sampleCount === 'number' && s.sampleCount > 0 && Number.isFinite(s.sum) ? s.sum / s.sampleCount : 0;

interface Spread { n: number; sum: number; min: number; max: number }
const add = (m: Map<string, Spread>, key: string, v: number) => {
  const s = m.get(key) ?? { n: 0, sum: 0, min: Infinity, max: -Infinity };
  m.set(key, { n: s.n + 1, sum: s.sum + v, min: Math.min(s.min, v), max: Math.max(s.max, v) });
};

export class MetricsIngest {
  private registered?: { cpu: number; memory: number; readAt: number };
  /** The latest sample per task ARN of this instance. */
  readonly latest = new Map<string, TaskSample>();

  constructor(private readonly ctx: RequestContext, private readonly cluster: string, private readonly instanceId: string,
    private readonly cache: DefinitionCache) {}

  private async instanceResources() {
    const now = Date.now();
    if (this.registered && now - this.registered.readAt < INSTANCE_TTL_MS) return this.registered;
    const record = await db(this.ctx).containerInstances.get(this.ctx, `${this.cluster}/${this.instanceId}`);
    const of = (name: string) => record?.registeredResources?.find((r) => r.name === name)?.integerValue ?? 0;
    this.registered = { cpu: of('CPU'), memory: of('MEMORY'), readAt: now };
    return this.registered;
  }

  /** CPU and memory the instance's tasks hold now (registered − remaining), read at each report. */
  private async reservedNow(): Promise<{ cpu: number; memory: number; registeredCpu: number; registeredMemory: number } | undefined> {
    const record = (await getInstance(this.ctx, this.cluster, this.instanceId))?.value;
    if (!record) return undefined;
    const of = (list: typeof record.registeredResources, name: string) => list?.find((r) => r.name === name)?.integerValue ?? 0;
    const registeredCpu = of(record.registeredResources, 'CPU');
    const registeredMemory = of(record.registeredResources, 'MEMORY');
    return {
      registeredCpu, registeredMemory,
      cpu: registeredCpu - of(record.remainingResources, 'CPU'), memory: registeredMemory - of(record.remainingResources, 'MEMORY'),
    };
  }

  async ingest(req: PublishMetricsRequest): Promise<void> {
    const at = tcsTime(req.timestamp) ?? this.ctx.app.clock.now();
    const instance = await this.instanceResources();
    const cpu = new Map<string, Spread>();
    const memory = new Map<string, Spread>();
    let usedCpu = 0;
    let usedMemory = 0;
    for (const tm of (req.taskMetrics ?? []).slice(0, MAX_TASKS)) {
      if (typeof tm?.taskArn !== 'string') continue;
      let ref: { id: string; cluster?: string };
      try { ref = parseTaskRef(tm.taskArn); } catch { continue; }
      const task = await db(this.ctx).tasks.get(this.ctx, `${ref.cluster ?? this.cluster}/${ref.id}`);
      if (!task?.containerInstanceArn || instanceIdOf(task.containerInstanceArn) !== this.instanceId) continue;
      const containers = tm.containerMetrics ?? [];
      const cpuUnits = containers.reduce((sum, c) => sum + average(c.cpuStatsSet), 0) / 100 * instance.cpu;
      const memoryMiB = containers.reduce((sum, c) => sum + average(c.memoryStatsSet), 0);
      usedCpu += cpuUnits;
      usedMemory += memoryMiB;
      const def = task.reservation ? undefined : await this.cache.get(this.ctx, task.taskDefinitionArn ?? '');
      const reserved = task.reservation ?? (def ? taskNeeds(def, task.overrides) : { cpu: 0, memory: 0 });
      const service = task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
      this.latest.set(tm.taskArn, { at, cpuUnits, memoryMiB, cpuReserved: reserved.cpu, memoryReserved: reserved.memory, service });
      if (!service) continue;
      if (reserved.cpu > 0) add(cpu, service, (cpuUnits * 100) / reserved.cpu);
      if (reserved.memory > 0) add(memory, service, (memoryMiB * 100) / reserved.memory);
    }
    const clusterDim = { Name: 'ClusterName', Value: this.cluster };
    const data: MetricDatum[] = [];
    for (const [name, spreads] of [['CPUUtilization', cpu], ['MemoryUtilization', memory]] as const) {
      for (const [service, s] of spreads) {
        data.push({
          MetricName: name, Dimensions: [clusterDim, { Name: 'ServiceName', Value: service }], Timestamp: at, Unit: 'Percent',
          StatisticValues: { SampleCount: s.n, Sum: s.sum, Minimum: s.min, Maximum: s.max },
        });
      }
    }
    if (instance.cpu > 0) data.push({ MetricName: 'CPUUtilization', Dimensions: [clusterDim], Timestamp: at, Unit: 'Percent', Value: (usedCpu * 100) / instance.cpu });
    if (instance.memory > 0) data.push({ MetricName: 'MemoryUtilization', Dimensions: [clusterDim], Timestamp: at, Unit: 'Percent', Value: (usedMemory * 100) / instance.memory });
    const reserved = await this.reservedNow();
    if (reserved && reserved.registeredCpu > 0) {
      data.push({ MetricName: 'CPUReservation', Dimensions: [clusterDim], Timestamp: at, Unit: 'Percent', Value: (reserved.cpu * 100) / reserved.registeredCpu });
    }
    if (reserved && reserved.registeredMemory > 0) {
      data.push({ MetricName: 'MemoryReservation', Dimensions: [clusterDim], Timestamp: at, Unit: 'Percent', Value: (reserved.memory * 100) / reserved.registeredMemory });
    }
    for (const [arn, sample] of this.latest) if (at.getTime() - sample.at.getTime() > SAMPLE_TTL_MS) this.latest.delete(arn);
    await this.publish(data);
  }

  private async publish(data: MetricDatum[]) {
    // PutMetricData takes at most 1,000 data points per call.
    for (let i = 0; i < data.length; i += 1000) {
      try {
        await this.ctx.app.call('monitoring', 'PutMetricData', { Namespace: 'AWS/ECS', MetricData: data.slice(i, i + 1000) }, accountRoot(this.ctx));
      } catch (err) {
        if (err instanceof AwsError && err.code === 'NotImplemented') {
          if (!warnedNotImplemented) console.error('tcs: no monitoring service yet; AWS/ECS metrics are not published');
          warnedNotImplemented = true;
          return;
        }
        throw err;
      }
    }
  }
}
