// bench:scale's stored history, written straight into a SQLite store file between server runs
// (the server is stopped): task definition revisions and task records with the index keys and
// counters the server itself writes in the same transactions (task-index.ts,
// task-definition-index.ts), so the server reads them exactly as if its API had written them.
// Writing 100,000 items through the API would take most of the run on a 2-core machine.
import type { Store } from '../store/types.js';
import { recordKey } from '../common/records.js';
import { familyOps, revisionStatusOps } from '../services/ecs/model/task-definition-index.js';
import { revisionId } from '../services/ecs/model/task-definition-lookup.js';
import { taskIndexOps } from '../services/ecs/model/task-index.js';
import type { Op } from '../store/types.js';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { FamilyRecord, TaskRecord } from '../services/ecs/model/common.js';

export const SCOPE = { account: '000000000000', region: 'us-east-1' };
const ARN = 'arn:aws:ecs:us-east-1:000000000000';
export const containerDefinitions: ContainerDefinition[] = [{ name: 'web', image: 'nginx:1.27', memory: 256, cpu: 128, essential: true,
  portMappings: [{ containerPort: 80, protocol: 'tcp' }], environment: [{ name: 'MODE', value: 'bench' }] }];

/** Revision i of the history: even ones in family "big" (the worst case for "latest"), the others
 *  ten per family "f-<n>". */
export const familyOfRevision = (i: number) => (i % 2 === 0 ? 'big' : `f-${String(Math.floor(i / 20)).padStart(6, '0')}`);

/** Adds task definition revisions [from, to) of the history. */
export async function addRevisions(store: Store, from: number, to: number): Promise<void> {
  const families = new Map<string, FamilyRecord>();
  for (let start = from; start < to; start += 500) {
    const ops: Op[] = [];
    const touched = new Set<string>();
    for (let i = start; i < Math.min(to, start + 500); i++) {
      const family = familyOfRevision(i);
      let f = families.get(family);
      if (!f) {
        const kv = await store.get(recordKey('ecs', SCOPE, 'task-definition-families', family));
        f = kv ? JSON.parse(kv.value) as FamilyRecord : { family, lastRevision: 0, activeRevisions: 0 };
        families.set(family, f);
      }
      const revision = ++f.lastRevision;
      touched.add(family);
      const record = { taskDefinitionArn: `${ARN}:task-definition/${family}:${revision}`, family, revision, status: 'ACTIVE',
        containerDefinitions, volumes: [], placementConstraints: [], compatibilities: ['EC2'], requiresAttributes: [],
        registeredAt: new Date().toISOString(), registeredBy: `${ARN.replace(':ecs:us-east-1', ':iam:')}:root`, tags: [] };
      ops.push({ type: 'put', key: recordKey('ecs', SCOPE, 'task-definitions', revisionId(family, revision)), value: JSON.stringify(record) });
      ops.push(...revisionStatusOps(SCOPE, family, revision, undefined, 'ACTIVE'));
    }
    for (const family of touched) {
      const f = families.get(family)!;
      const key = recordKey('ecs', SCOPE, 'task-definition-families', family);
      // Every revision is ACTIVE: the count is the last revision, and the latest ACTIVE one is it
      // (RegisterTaskDefinition's pointer, which DescribeTaskDefinition by family reads).
      f.latestActive = f.lastRevision;
      ops.push(...familyOps(SCOPE, key, { ...f, activeRevisions: 0 }, f.lastRevision));
      f.activeRevisions = f.lastRevision;
    }
    await store.txn([], ops);
  }
}

/** Adds tasks [from, to) of cluster `cluster`'s history, on the given instances: one in ten
 *  RUNNING, the others STOPPED recently (history, as the retention keeps it for an hour). */
export async function addTasks(store: Store, cluster: string, instanceArns: string[], from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 250) {
    const ops: Op[] = [];
    for (let i = start; i < Math.min(to, start + 250); i++) {
      const id = `bench${String(i).padStart(27, '0')}`;
      const running = i % 10 === 0;
      // 15 ms apart: 100,000 tasks span 25 minutes, inside the hour STOPPED tasks are kept, so the
      // retention controller has nothing to delete while the reads are measured (1 s apart, most
      // of the history was past it, and a pass deleted thousands of tasks mid-measurement).
      const at = new Date(Date.now() - (to - i) * 15).toISOString();
      const task: TaskRecord = {
        taskArn: `${ARN}:task/${cluster}/${id}`, clusterArn: `${ARN}:cluster/${cluster}`, taskDefinitionArn: `${ARN}:task-definition/app:1`,
        containerInstanceArn: instanceArns[i % instanceArns.length], lastStatus: running ? 'RUNNING' : 'STOPPED',
        desiredStatus: running ? 'RUNNING' : 'STOPPED', group: 'family:app', launchType: 'EC2', startedBy: `job-${i % 50}`,
        cpu: '128', memory: '256', createdAt: at as unknown as Date, startedAt: at as unknown as Date, version: running ? 3 : 5,
        stoppedAt: running ? undefined : at as unknown as Date, stopCode: running ? undefined : 'EssentialContainerExited',
        containers: [{ name: 'web', lastStatus: running ? 'RUNNING' : 'STOPPED', exitCode: running ? undefined : 0, image: 'nginx:1.27' }],
        overrides: { containerOverrides: [{ name: 'web' }] }, tags: [], generation: running ? 1 : 2,
      };
      ops.push({ type: 'put', key: recordKey('ecs', SCOPE, 'tasks', `${cluster}/${id}`), value: JSON.stringify(task) });
      ops.push(...taskIndexOps(SCOPE, cluster, undefined, task));
    }
    await store.txn([], ops);
  }
}
