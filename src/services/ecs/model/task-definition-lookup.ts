// Finding task definitions by the names ECS accepts: `family` (latest ACTIVE revision),
// `family:revision`, or the full ARN. RunTask/CreateService use resolveTaskDefinition; the
// task-definition handlers use the lower-level pieces. (Not a handler module: see provider.ts.)
import type { Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { parseArn } from '../../../common/arn.js';
import { AwsError } from '../../../common/errors.js';
import type { Records, Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { clientException, db, ecsArn, invalidParameter } from './common.js';
import { parseStatusKey, statusIndexKey, statusIndexPrefix } from './task-definition-index.js';

/** A stored task definition: what ECS shows, plus its tags (kept here, not in ECS's shape). */
export interface TaskDefinitionRecord extends TaskDefinition {
  tags?: Tag[];
}

/** The task-definitions collection, typed with the internal fields. Key: `<family>/<revision, 10 digits>`. */
export const taskDefinitionRecords = (ctx: RequestContext) => db(ctx).taskDefinitions as unknown as Records<TaskDefinitionRecord>;

/** Record id of one revision: zero-padded so that revision 11 sorts after revision 2. */
export const revisionId = (family: string, revision: number) => `${family}/${String(revision).padStart(10, '0')}`;

export const taskDefinitionArn = (ctx: RequestContext, family: string, revision: number) =>
  ecsArn(ctx, `task-definition/${family}:${revision}`);

/** A reference as given: the family and, when present, the revision text (not yet checked). */
export interface TaskDefinitionRef { family: string; revision?: string }

/** Splits `family`, `family:revision` or a task-definition ARN; undefined when it is none of these. */
export function parseTaskDefinitionRef(ref: string): TaskDefinitionRef | undefined {
  let body = ref;
  if (ref.startsWith('arn:')) {
    const parsed = parseArn(ref);
    const m = parsed && parsed.service === 'ecs' ? /^task-definition\/(.+)$/.exec(parsed.resource) : null;
    if (!m) return undefined;
    body = m[1];
  }
  const m = /^([a-zA-Z0-9_-]{1,255})(?::(.*))?$/.exec(body);
  if (!m) return undefined;
  return m[2] === undefined ? { family: m[1] } : { family: m[1], revision: m[2] };
}

/** The revision number of a reference, or ClientException for text that is not a positive integer. */
export function revisionNumber(text: string): number {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw clientException(`Invalid revision number. Number: ${text}`);
  return n;
}

/** One exact revision, with its store revision for compare-and-swap. */
export async function getRevision(ctx: RequestContext, family: string, revision: number): Promise<Versioned<TaskDefinitionRecord> | undefined> {
  return taskDefinitionRecords(ctx).getVersioned(ctx, revisionId(family, revision));
}

/** The newest ACTIVE revision of a family: the family record's latestActive pointer, then one key
 *  read (a family record of an older Berth without the pointer: the descending index read). */
export async function latestActive(ctx: RequestContext, family: string): Promise<TaskDefinitionRecord | undefined> {
  const pointer = (await db(ctx).families.get(ctx, family))?.latestActive;
  const revision = pointer ?? await newestActiveBelow(ctx, family);
  const record = revision ? await taskDefinitionRecords(ctx).get(ctx, revisionId(family, revision)) : undefined;
  return record?.status === 'ACTIVE' ? record : undefined;
}

/** The newest ACTIVE revision of a family below `below` (any, without): one descending range read
 *  (limit 1) of the family's ACTIVE status index keys (task-definition-index.ts); 0 when none. */
export async function newestActiveBelow(ctx: RequestContext, family: string, below?: number): Promise<number> {
  const startAfter = below === undefined ? undefined : statusIndexKey(ctx, 'ACTIVE', family, below);
  const [newest] = await ctx.app.store.list(statusIndexPrefix(ctx, 'ACTIVE', `${family}!`), { limit: 1, descending: true, startAfter });
  return (newest && parseStatusKey(newest.key)?.revision) || 0;
}

/** A reference → the record it names (any status when a revision is given; latest ACTIVE for a bare family). */
export async function findTaskDefinition(ctx: RequestContext, ref: TaskDefinitionRef): Promise<TaskDefinitionRecord | undefined> {
  if (ref.revision === undefined) return latestActive(ctx, ref.family);
  return (await getRevision(ctx, ref.family, revisionNumber(ref.revision)))?.value;
}

/**
 * The task definition RunTask/CreateService/UpdateService launch from. Unknown → ClientException
 * "TaskDefinition not found."; INACTIVE or DELETE_IN_PROGRESS → InvalidParameterException
 * "TaskDefinition is inactive" (AWS's words for both cases). The result carries `tags` for
 * propagateTags=TASK_DEFINITION.
 */
export async function resolveTaskDefinition(ctx: RequestContext, ref: string): Promise<TaskDefinitionRecord> {
  if (!ref) throw invalidParameter('taskDefinition is required and cannot be empty.');
  const parsed = parseTaskDefinitionRef(ref);
  if (!parsed) throw clientException('TaskDefinition not found.');
  const td = await findTaskDefinition(ctx, parsed);
  if (!td) throw clientException('TaskDefinition not found.');
  if (td.status !== 'ACTIVE') throw new AwsError('InvalidParameterException', 'TaskDefinition is inactive');
  return td;
}
