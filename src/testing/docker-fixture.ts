// What the Docker-backed agent tests share: a Berth server in-process, an agent with the docker
// runtime on its own loopback address, helpers to run tasks and wait for their states, and a
// cleanup that removes every container the agent created.
import {
  CreateClusterCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand,
  type ContainerDefinition, type RegisterTaskDefinitionRequest, type RunTaskRequest, type Task,
} from '@aws-sdk/client-ecs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../server/berth.js';
import { startHarness, type Harness } from './harness.js';
import { TEST_IMAGE } from './requirements.js';
import { Agent } from '../agent/agent.js';
import { LABELS } from '../agent/container-spec.js';

import { eventually } from './eventually.js';
export { eventually };

/** `docker …` → stdout (throws with stderr on failure). */
export function docker(...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Removes every container labelled as owned by a container instance. */
export function removeContainersOf(instanceArn: string) {
  const ids = docker('ps', '-aq', '--filter', `label=${LABELS.instance}=${instanceArn}`).split('\n').filter(Boolean);
  if (ids.length) docker('rm', '-f', ...ids);
}

export class DockerAgentFixture {
  h!: Harness;
  agent!: Agent;
  dir!: string;
  private family = 0;

  constructor(readonly ip: string, readonly cluster = 'dock') {}

  async start(): Promise<this> {
    this.h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 500 } } } });
    this.dir = mkdtempSync(join(tmpdir(), 'berth-docker-agent-'));
    await this.h.ecs.send(new CreateClusterCommand({ clusterName: this.cluster }));
    this.agent = await Agent.start({
      endpoint: this.h.url, cluster: this.cluster, runtime: 'docker', ip: this.ip, version: VERSION,
      stateDir: join(this.dir, 'agent'), log: () => {}, backoffMs: [50, 1000],
    });
    return this;
  }

  /** Registers a task definition of fresh family with these containers (image defaults to the test image). */
  async register(containers: ContainerDefinition[], extra: Partial<RegisterTaskDefinitionRequest> = {}): Promise<string> {
    const family = `t${++this.family}-${this.ip.replace(/\./g, '-')}`;
    const out = await this.h.ecs.send(new RegisterTaskDefinitionCommand({
      family, containerDefinitions: containers.map((c) => ({ image: TEST_IMAGE, memory: 64, ...c })), ...extra,
    }));
    return out.taskDefinition!.taskDefinitionArn!;
  }

  async run(taskDefinition: string, extra: Partial<RunTaskRequest> = {}): Promise<string> {
    const out = await this.h.ecs.send(new RunTaskCommand({ cluster: this.cluster, taskDefinition, ...extra }));
    if (!out.tasks?.length) throw new Error(`RunTask placed nothing: ${JSON.stringify(out.failures)}`);
    return out.tasks[0].taskArn!;
  }

  async task(arn: string): Promise<Task> {
    return (await this.h.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: [arn] }))).tasks![0];
  }

  async untilStatus(arn: string, status: 'RUNNING' | 'STOPPED', ms = 30_000): Promise<Task> {
    return eventually(`${arn} ${status}`, async () => {
      const t = await this.task(arn);
      if (status === 'RUNNING' && t.lastStatus === 'STOPPED') throw new Error(`stopped instead: ${t.stoppedReason}`);
      return t.lastStatus === status && t;
    }, ms);
  }

  /** The agent's view of a task (container health, runtime ids). */
  local(arn: string) { return this.agent.engine.tasks[arn]; }

  async close() {
    await this.agent.stop();
    removeContainersOf(this.agent.instanceArn);
    await this.h.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
