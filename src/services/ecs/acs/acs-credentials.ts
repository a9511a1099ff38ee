// Task role credentials for ACS, as ECS delivers them: a task with a taskRoleArn (executionRoleArn)
// gets temporary credentials of that role in its PayloadMessage task (`roleCredentials`,
// `executionRoleCredentials`), and an IAMRoleCredentialsMessage with fresh ones before they expire.
// ECS assumes the role through the internal client as the service principal
// `ecs-tasks.amazonaws.com`, so the role's trust policy must allow that principal (strict mode).
//
// A task's credentialsId stays the same across refreshes and server restarts (the container's
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI names it): an HMAC of the task ARN and role type under a
// secret the store keeps, so it cannot be derived from the task ARN alone.
import { createHmac } from 'node:crypto';
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { AssumeRoleResponse } from '@aws-sdk/client-sts';
import type { WireRoleCredentials } from '../../../protocol/acs.js';
import type { AppContext, Caller, RequestContext } from '../../context.js';
import type { Store } from '../../../store/types.js';
import type { TaskRecord } from '../model/common.js';

export type RoleType = 'TaskApplication' | 'TaskExecution';
export const ECS_TASKS_PRINCIPAL = 'ecs-tasks.amazonaws.com';
const SECRET_KEY = '/ecs/_internal/credentials-id-secret';
/** Lifetime of the credentials ECS asks for; they are refreshed after half of it. */
export const CREDENTIALS_SECONDS = 3600;

const secrets = new WeakMap<Store, Promise<Buffer>>();

function secretOf(app: AppContext): Promise<Buffer> {
  let found = secrets.get(app.store);
  if (!found) {
    found = (async () => {
      await app.store.create(SECRET_KEY, app.ids.hex(64));
      return Buffer.from((await app.store.get(SECRET_KEY))!.value, 'hex');
    })();
    found.catch(() => secrets.delete(app.store));
    secrets.set(app.store, found);
  }
  return found;
}

/** The task's stable credentials id for a role type, in UUID form. */
export async function credentialsId(app: AppContext, taskArn: string, roleType: RoleType): Promise<string> {
  const h = createHmac('sha256', await secretOf(app)).update(`${taskArn}\0${roleType}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The role ARN of each type a task uses (overrides win over the definition). */
export function taskRoles(task: TaskRecord, def: TaskDefinition): Partial<Record<RoleType, string>> {
  const out: Partial<Record<RoleType, string>> = {};
  const app = task.overrides?.taskRoleArn ?? def.taskRoleArn;
  const exec = task.overrides?.executionRoleArn ?? def.executionRoleArn;
  if (app) out.TaskApplication = app;
  if (exec) out.TaskExecution = exec;
  return out;
}

interface Issued { credentials: WireRoleCredentials; issuedAt: number; expiresAt: number }

/** The credentials one ACS session handed out, and which are due for a refresh. */
export class SessionCredentials {
  private readonly issued = new Map<string, Issued>();

  constructor(private readonly ctx: RequestContext) {}

  private key = (taskArn: string, roleType: RoleType) => `${roleType}\0${taskArn}`;

  /** Assumes the role for the task (as ecs-tasks.amazonaws.com in the task's account). */
  private async assume(taskArn: string, roleType: RoleType, roleArn: string): Promise<WireRoleCredentials> {
    const caller: Caller = { account: this.ctx.account, region: this.ctx.region, accessKeyId: 'internal', principalArn: ECS_TASKS_PRINCIPAL };
    // As ECS names the session: the task's id (arn:aws:sts::<account>:assumed-role/<role>/<task id>).
    const session = taskArn.slice(taskArn.lastIndexOf('/') + 1).slice(0, 64);
    const out = await this.ctx.app.call<AssumeRoleResponse>('sts', 'AssumeRole',
      { RoleArn: roleArn, RoleSessionName: session, DurationSeconds: CREDENTIALS_SECONDS }, caller);
    const c = out.Credentials!;
    const expiration = c.Expiration instanceof Date ? c.Expiration.toISOString() : String(c.Expiration);
    const credentials: WireRoleCredentials = {
      credentialsId: await credentialsId(this.ctx.app, taskArn, roleType), roleArn,
      accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken, expiration,
    };
    this.issued.set(this.key(taskArn, roleType), { credentials, issuedAt: this.ctx.app.clock.now().getTime(), expiresAt: Date.parse(expiration) });
    return credentials;
  }

  /** The credentials for a task about to be sent: the ones already issued while still fresh, else
   *  new ones. A role ECS cannot assume is logged and left out (the container gets none). */
  async forTask(task: TaskRecord, def: TaskDefinition): Promise<{ roleCredentials?: WireRoleCredentials; executionRoleCredentials?: WireRoleCredentials }> {
    if (task.desiredStatus === 'STOPPED') return {};
    const out: { roleCredentials?: WireRoleCredentials; executionRoleCredentials?: WireRoleCredentials } = {};
    for (const [roleType, roleArn] of Object.entries(taskRoles(task, def)) as Array<[RoleType, string]>) {
      const have = this.issued.get(this.key(task.taskArn!, roleType));
      try {
        const credentials = have && have.credentials.roleArn === roleArn && !this.due(have) ? have.credentials : await this.assume(task.taskArn!, roleType, roleArn);
        if (roleType === 'TaskApplication') out.roleCredentials = credentials; else out.executionRoleCredentials = credentials;
      } catch (err) {
        this.ctx.app.log.info('task.role-not-assumed', { task: task.taskArn!, role: roleArn, error: (err as Error).message });
      }
    }
    return out;
  }

  private due(i: Issued): boolean {
    return this.ctx.app.clock.now().getTime() >= i.issuedAt + (i.expiresAt - i.issuedAt) / 2;
  }

  /** Fresh credentials for every issued role past half its lifetime (the caller sends them). */
  async refreshDue(stillRunning: (taskArn: string) => Promise<boolean>): Promise<Array<{ taskArn: string; roleType: RoleType; credentials: WireRoleCredentials }>> {
    const out: Array<{ taskArn: string; roleType: RoleType; credentials: WireRoleCredentials }> = [];
    for (const [key, issued] of [...this.issued]) {
      if (!this.due(issued)) continue;
      const [roleType, taskArn] = key.split('\0') as [RoleType, string];
      if (!await stillRunning(taskArn)) { this.issued.delete(key); continue; }
      try {
        out.push({ taskArn, roleType, credentials: await this.assume(taskArn, roleType, issued.credentials.roleArn) });
      } catch (err) {
        this.ctx.app.log.info('task.role-not-assumed', { task: taskArn, role: issued.credentials.roleArn, error: (err as Error).message });
      }
    }
    return out;
  }

  forget(taskArn: string) {
    for (const roleType of ['TaskApplication', 'TaskExecution'] as const) this.issued.delete(this.key(taskArn, roleType));
  }
}
