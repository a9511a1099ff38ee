// The agent's state dir (default .berth/agent-<ip>/): state.json holds the container instance
// ARN, a stable EC2-style instance id, the metadata endpoint's port and every task the agent
// manages. Written atomically (temp file + rename) after each change, so kill -9 at any moment
// leaves either the old or the new state, never half of one.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TaskState } from './task-state.js';

export interface AgentStateData {
  version: 1;
  /** Cluster the instance registered in (a changed --cluster means a new registration). */
  cluster?: string;
  instanceArn?: string;
  ec2InstanceId: string;
  metadataPort?: number;
  tasks: Record<string, TaskState>;
  /** ARNs of tasks cleaned up after they stopped (the most recent ones): never started again. */
  forgotten?: string[];
}

export class StateFile {
  readonly dir: string;
  readonly data: AgentStateData;
  private readonly file: string;
  private timer?: NodeJS.Timeout;

  /** coalesceMs: task changes are written at most once per this many ms (a simulated fleet,
   *  whose tasks cannot outlive its process, so only its identity needs each write at once:
   *  saveNow). Default: every save writes. */
  constructor(dir: string, private readonly coalesceMs = 0) {
    this.dir = resolve(dir);
    this.file = join(this.dir, 'state.json');
    mkdirSync(this.dir, { recursive: true });
    this.data = existsSync(this.file) ? StateFile.read(this.file) : { version: 1, ec2InstanceId: newInstanceId(), tasks: {} };
  }

  private static read(file: string): AgentStateData {
    const data = JSON.parse(readFileSync(file, 'utf8')) as AgentStateData;
    if (data.version !== 1 || typeof data.tasks !== 'object') throw new Error(`${file}: not an agent state file (version ${String(data.version)})`);
    data.ec2InstanceId ??= newInstanceId();
    return data;
  }

  save(): void {
    if (this.coalesceMs <= 0) { this.saveNow(); return; }
    this.timer ??= setTimeout(() => this.saveNow(), this.coalesceMs).unref();
  }

  /** Writes now (and a save waiting to be coalesced with it). */
  saveNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.file);
  }
}

/** i-<17 hex>, like an EC2 instance id. */
const newInstanceId = () => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

/** The default state dir of an agent bound on ip. */
export const defaultStateDir = (ip: string) => join('.berth', `agent-${ip}`);
