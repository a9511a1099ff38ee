// Shared by the service tests: waiting for the scheduler (polling with a guard, never a timing
// assertion), in-process simulated agents, and reading a service's events oldest first.
import {
  DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type Service, type Task,
} from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type AgentOptions } from '../agent/agent.js';
import { credentials } from './harness.js';

export { eventually } from './eventually.js';

export async function describeService(ecs: ECSClient, cluster: string, name: string): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  if (!out.services?.[0]) throw new Error(`service ${name} is missing: ${JSON.stringify(out.failures)}`);
  return out.services[0];
}

/** Oldest first. */
export const eventsOf = (s: Service) => (s.events ?? []).map((e) => e.message ?? '').reverse();

/** What the ServicesStable waiter checks: one deployment, runningCount == desiredCount. */
export const stable = (s: Service) => s.deployments?.length === 1 && s.runningCount === s.desiredCount;

export async function serviceTasks(ecs: ECSClient, cluster: string, serviceName: string, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
}

/** Simulated-runtime agents in this process, each with its own state dir. */
export class Agents {
  readonly list: Agent[] = [];
  private readonly dirs: string[] = [];

  constructor(private readonly endpoint: string) {}

  async start(cluster: string, extra: Partial<AgentOptions> = {}): Promise<Agent> {
    const stateDir = extra.stateDir ?? mkdtempSync(join(tmpdir(), 'berth-svc-agent-'));
    if (!extra.stateDir) this.dirs.push(stateDir);
    const agent = await Agent.start({
      endpoint: this.endpoint, cluster, runtime: 'simulated', ip: '127.0.0.1', version: '0.0.0-test', cpu: 2048, memory: 4096,
      credentials, region: 'us-east-1', stateDir, log: () => {}, backoffMs: [50, 500], ...extra,
    });
    this.list.push(agent);
    return agent;
  }

  async stop(agent: Agent) {
    const i = this.list.indexOf(agent);
    if (i >= 0) this.list.splice(i, 1);
    await agent.stop();
  }

  async close() {
    for (const a of this.list.splice(0)) await a.stop().catch(() => {});
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
