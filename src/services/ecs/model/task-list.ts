// ListTasks over the task indexes (task-index.ts): the most selective filter given picks the
// index (startedBy, service, instance, family, else desiredStatus alone), a page is one limited
// range read of it, and only filters the index does not cover (e.g. launchType, or family together
// with an instance) read the records of the keys on that page (without them, the ARNs come from
// the index keys alone). The nextToken is the task record key of the last task returned, as
// before (opaque to clients).
import type { ListTasksRequest } from '@aws-sdk/client-ecs';
import { decodeToken, encodeToken } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import { db, invalidParameter, type TaskRecord } from './common.js';
import { parseTaskDefinitionRef } from './task-definition-lookup.js';
import { enc, idOfIndexKey, taskIndexPrefix } from './task-index.js';
import { tasksByIds } from './task-index-read.js';
import { instanceIdOf, taskArn } from './task-model.js';

const familyOf = (ref: string) => parseTaskDefinitionRef(ref)?.family ?? ref;
const serviceNameOf = (ref: string) => (ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref);

export async function listTaskPage(ctx: RequestContext, cluster: string, input: ListTasksRequest): Promise<{ taskArns: string[]; nextToken?: string }> {
  const max = input.maxResults ?? 100;
  if (max < 1 || max > 100) throw invalidParameter(`maxResults must be between 1 and 100, but was ${max}`);
  const desired = input.desiredStatus ?? 'RUNNING';
  const instanceId = input.containerInstance ? instanceIdOf(input.containerInstance) : undefined;
  const family = input.family ? familyOf(input.family) : undefined;
  const service = input.serviceName !== undefined ? serviceNameOf(input.serviceName) : undefined;
  const base = taskIndexPrefix(ctx, cluster);
  let prefix: string;
  const residual: ((t: TaskRecord) => boolean)[] = [];
  if (input.startedBy !== undefined) prefix = `${base}b/${desired}/${enc(input.startedBy)}/`;
  else if (service !== undefined) prefix = `${base}s/${desired}/${service}/`;
  else if (instanceId !== undefined) prefix = `${base}i/${desired}/${instanceId}/`;
  else if (family !== undefined) prefix = `${base}f/${desired}/${family}/`;
  else prefix = `${base}d/${desired}/`;
  if (service !== undefined && instanceId !== undefined) residual.push((t) => t.containerInstanceArn !== undefined && instanceIdOf(t.containerInstanceArn) === instanceId);
  if (family !== undefined && (service !== undefined || instanceId !== undefined)) residual.push((t) => familyOf(t.taskDefinitionArn ?? '') === family);
  if (input.launchType !== undefined) residual.push((t) => t.launchType === input.launchType);

  const recordPrefix = db(ctx).tasks.prefix(ctx, `${cluster}/`);
  const token = decodeToken(input.nextToken);
  if (token !== undefined && !token.startsWith(recordPrefix)) throw invalidParameter(`Invalid nextToken: ${input.nextToken}`);
  let after = token === undefined ? undefined : prefix + token.slice(recordPrefix.length);
  const arns: string[] = [];
  for (;;) {
    const { kvs, more } = await ctx.app.store.range(prefix, { limit: max - arns.length + (residual.length ? 0 : 1), startAfter: after });
    const ids = kvs.map((kv) => idOfIndexKey(kv.key));
    if (!residual.length) {
      // The index holds every task of the filter (keys and records commit together) and a task's
      // ARN is its cluster and id (task-model.ts taskArn): the page needs no record read.
      const page = ids.slice(0, max - arns.length);
      for (const id of page) arns.push(taskArn(ctx, cluster, id));
      const last = page[page.length - 1];
      return { taskArns: arns, nextToken: ids.length > page.length ? encodeToken(recordPrefix + last) : undefined };
    }
    for (const t of await tasksByIds(ctx, cluster, ids)) {
      if (!residual.every((f) => f(t))) continue;
      arns.push(t.taskArn!);
      if (arns.length === max) {
        const id = t.taskArn!.slice(t.taskArn!.lastIndexOf('/') + 1);
        const rest = ids.indexOf(id) < ids.length - 1 || more;
        return { taskArns: arns, nextToken: rest ? encodeToken(recordPrefix + id) : undefined };
      }
    }
    if (!more || kvs.length === 0) return { taskArns: arns };
    after = kvs[kvs.length - 1].key;
  }
}
