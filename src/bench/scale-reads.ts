// bench:scale's read calls (issue 8 point 3), each checked, against a server holding the history
// of scale-populate.ts (Berth) or the same task definitions registered through the API (moto).
import {
  DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand,
  ListContainerInstancesCommand, ListServicesCommand, ListTaskDefinitionFamiliesCommand, ListTaskDefinitionsCommand, ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { wrong, type Client } from './scale-measure.js';

export interface ReadState {
  cluster: string;
  /** Task definition revisions stored (for the expected latest revision of family "big"). */
  revisions: number;
  taskArns: string[];
  serviceArns: string[];
  /** moto holds no tasks or container instances (it needs EC2 instances behind them): those rows are Berth-only. */
  tasks: boolean;
}

export interface ReadCall { name: string; tasks?: boolean; call(c: Client, s: ReadState, i: number): Promise<void> }

export const READS: ReadCall[] = [
  { name: 'DescribeTaskDefinition family (latest)', async call(c, s) {
    const out = await c.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'big' }));
    // Berth: exactly the latest revision. moto (5.2.1) answers some other revision of the family
    // after concurrent registrations, so only the family is checked there.
    const ok = s.tasks ? out.taskDefinition?.revision === Math.ceil(s.revisions / 2) : out.taskDefinition?.family === 'big';
    if (!ok) throw wrong(`big:${Math.ceil(s.revisions / 2)}`, out.taskDefinition?.taskDefinitionArn);
  } },
  { name: 'ListTaskDefinitions family, DESC, 100', async call(c) {
    const out = await c.send(new ListTaskDefinitionsCommand({ familyPrefix: 'big', sort: 'DESC', maxResults: 100 }));
    if (!(out.taskDefinitionArns?.length >= 100)) throw wrong('100 ARNs', out.taskDefinitionArns?.length);
  } },
  { name: 'ListTaskDefinitionFamilies 100', async call(c) {
    const out = await c.send(new ListTaskDefinitionFamiliesCommand({ maxResults: 100 }));
    if (!(out.families?.length >= 1)) throw wrong('families', out.families?.length);
  } },
  { name: 'DescribeClusters STATISTICS', async call(c, s) {
    const out = await c.send(new DescribeClustersCommand({ clusters: [s.cluster], include: ['STATISTICS'] }));
    if (out.clusters?.[0]?.clusterName !== s.cluster) throw wrong(s.cluster, out);
  } },
  { name: 'ListServices', async call(c, s) {
    const out = await c.send(new ListServicesCommand({ cluster: s.cluster }));
    if (out.serviceArns?.length !== s.serviceArns.length) throw wrong(`${s.serviceArns.length} services`, out);
  } },
  { name: 'DescribeServices ×3 by ARN', async call(c, s) {
    const out = await c.send(new DescribeServicesCommand({ cluster: s.cluster, services: s.serviceArns }));
    if (out.services?.length !== s.serviceArns.length) throw wrong(`${s.serviceArns.length} services`, out);
  } },
  { name: 'ListTasks RUNNING, 100', tasks: true, async call(c, s) {
    const out = await c.send(new ListTasksCommand({ cluster: s.cluster, maxResults: 100 }));
    if (out.taskArns?.length !== 100) throw wrong('100 tasks', out.taskArns?.length);
  } },
  { name: 'ListTasks family + STOPPED, 100', tasks: true, async call(c, s) {
    const out = await c.send(new ListTasksCommand({ cluster: s.cluster, family: 'app', desiredStatus: 'STOPPED', maxResults: 100 }));
    if (out.taskArns?.length !== 100) throw wrong('100 tasks', out.taskArns?.length);
  } },
  // A page of 10 of one job's tasks: the same answer at every size (each of jobs 0, 10, … 40
  // holds 20 RUNNING tasks at 1,000 stored, 2,000 at 100,000). With maxResults 100 the answer
  // grew too (20 ARNs at 1,000, 100 from 10,000 on), not only the history.
  { name: 'ListTasks startedBy, 10', tasks: true, async call(c, s, i) {
    const out = await c.send(new ListTasksCommand({ cluster: s.cluster, startedBy: `job-${(i * 10) % 50}`, maxResults: 10 }));
    if (out.taskArns?.length !== 10) throw wrong('10 tasks', out.taskArns?.length);
  } },
  { name: 'ListContainerInstances ACTIVE', tasks: true, async call(c, s) {
    const out = await c.send(new ListContainerInstancesCommand({ cluster: s.cluster, status: 'ACTIVE' }));
    if (!(out.containerInstanceArns?.length >= 1)) throw wrong('instances', out);
  } },
  { name: 'DescribeTasks ×10 by ARN', tasks: true, async call(c, s, i) {
    const arns = Array.from({ length: 10 }, (_, k) => s.taskArns[(i * 10 + k * 7919) % s.taskArns.length]);
    const out = await c.send(new DescribeTasksCommand({ cluster: s.cluster, tasks: arns }));
    if (out.tasks?.length !== 10) throw wrong('10 tasks', out.failures);
  } },
];
