// ECS task definitions: RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
// ListTaskDefinitionFamilies, DeregisterTaskDefinition (→ INACTIVE), DeleteTaskDefinitions
// (INACTIVE → DELETE_IN_PROGRESS). Revisions count per family from 1 and are never reused: the
// family counter and the new revision commit in one store transaction.
import type {
  ContainerDefinition, DeleteTaskDefinitionsRequest, DeleteTaskDefinitionsResponse, DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse, DescribeTaskDefinitionRequest, DescribeTaskDefinitionResponse, Failure,
  ListTaskDefinitionFamiliesRequest, ListTaskDefinitionFamiliesResponse, ListTaskDefinitionsRequest, ListTaskDefinitionsResponse,
  NetworkMode, RegisterTaskDefinitionRequest, RegisterTaskDefinitionResponse, TaskDefinition,
} from '@aws-sdk/client-ecs';
import { decodeToken, encodeToken } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import { checkTags, clientException, db, invalidParameter } from '../model/common.js';
import { compatibilities, requiresAttributes } from '../model/task-definition-compat.js';
import {
  findTaskDefinition, getRevision, parseTaskDefinitionRef, revisionId, revisionNumber, taskDefinitionArn,
  newestActiveBelow, taskDefinitionRecords, type TaskDefinitionRecord,
} from '../model/task-definition-lookup.js';
import { familyNamesPage } from '../model/family-names.js';
import { familyOps, familyStatusPrefix, parseStatusKey, revisionStatusOps, statusIndexKey, statusIndexPrefix } from '../model/task-definition-index.js';
import { checkFamily, checkSize, normalizeTaskCpu, normalizeTaskMemory, validateTaskDefinition } from '../model/task-definition-validate.js';

export async function registerTaskDefinition(input: RegisterTaskDefinitionRequest, ctx: RequestContext): Promise<RegisterTaskDefinitionResponse> {
  const family = input.family ?? '';
  checkFamily(family);
  checkTags(input.tags);
  checkSize(input);
  const draft = normalize(input);
  validateTaskDefinition(draft);
  draft.requiresAttributes = requiresAttributes(draft);
  draft.compatibilities = compatibilities(draft);

  const { store } = ctx.app;
  const families = db(ctx).families;
  const records = taskDefinitionRecords(ctx);
  for (;;) {
    const counter = await families.getVersioned(ctx, family);
    const revision = (counter?.value.lastRevision ?? 0) + 1;
    const record: TaskDefinitionRecord = {
      taskDefinitionArn: taskDefinitionArn(ctx, family, revision),
      ...draft,
      family,
      revision,
      status: 'ACTIVE',
      registeredAt: ctx.app.clock.now(), // stored as its ISO string
      registeredBy: ctx.principalArn,
      tags: input.tags ?? [],
    };
    const familyKey = families.key(ctx, family);
    const recordKey = records.key(ctx, revisionId(family, revision));
    const { succeeded } = await store.txn(
      [{ key: familyKey, modRevision: counter?.revision ?? 0 }, { key: recordKey, modRevision: 0 }],
      [
        ...familyOps(ctx, familyKey, { ...counter?.value, family, lastRevision: revision, latestActive: revision }, 1),
        { type: 'put', key: recordKey, value: JSON.stringify(record) },
        ...revisionStatusOps(ctx, family, revision, undefined, 'ACTIVE'),
      ],
    );
    if (succeeded) return { taskDefinition: render(record), tags: input.tags };
  }
}

export async function describeTaskDefinition(input: DescribeTaskDefinitionRequest, ctx: RequestContext): Promise<DescribeTaskDefinitionResponse> {
  const ref = parseTaskDefinitionRef(input.taskDefinition ?? '');
  const td = ref && (await findTaskDefinition(ctx, ref));
  if (!td) throw clientException('Unable to describe task definition.');
  return { taskDefinition: render(td), tags: input.include?.includes('TAGS') ? td.tags ?? [] : undefined };
}

export async function listTaskDefinitions(input: ListTaskDefinitionsRequest, ctx: RequestContext): Promise<ListTaskDefinitionsResponse> {
  const status = input.status ?? 'ACTIVE';
  const records = taskDefinitionRecords(ctx);
  // familyPrefix is the full family name here (unlike ListTaskDefinitionFamilies). One limited
  // range read of the status index, ascending or descending (task-definition-index.ts).
  const prefix = statusIndexPrefix(ctx, status, input.familyPrefix ? `${input.familyPrefix}!` : '');
  const { keys, nextKey } = await indexPage(ctx, prefix, input.maxResults, input.nextToken, input.sort === 'DESC', (key) => {
    const m = key.startsWith(records.prefix(ctx)) ? /^(.+)\/(\d{10})$/.exec(key.slice(records.prefix(ctx).length)) : null;
    return m ? statusIndexKey(ctx, status, m[1], Number(m[2])) : undefined;
  });
  const items = keys.map(parseStatusKey).filter((i): i is { family: string; revision: number } => i !== undefined);
  const last = nextKey && parseStatusKey(nextKey);
  return {
    taskDefinitionArns: items.map((i) => taskDefinitionArn(ctx, i.family, i.revision)),
    nextToken: last ? encodeToken(records.key(ctx, revisionId(last.family, last.revision))) : undefined,
  };
}

export async function listTaskDefinitionFamilies(input: ListTaskDefinitionFamiliesRequest, ctx: RequestContext): Promise<ListTaskDefinitionFamiliesResponse> {
  const status = input.status ?? 'ALL';
  const families = db(ctx).families;
  if (status === 'ALL') {
    // The family records' names, from memory where the store allows (family-names.ts).
    const page = await familyNamesFromMemory(ctx, input);
    if (page) return page;
  }
  // ALL: the family records; ACTIVE / INACTIVE: the family-status index. One limited range read.
  const base = status === 'ALL' ? families.prefix(ctx) : familyStatusPrefix(ctx, status === 'ACTIVE' ? 'ACTIVE' : 'INACTIVE');
  const { keys, nextKey } = await indexPage(ctx, base + (input.familyPrefix ?? ''), input.maxResults, input.nextToken, false,
    (key) => (key.startsWith(families.prefix(ctx)) ? base + key.slice(families.prefix(ctx).length) : undefined));
  const nameOf = (key: string) => key.slice(base.length);
  return { families: keys.map(nameOf), nextToken: nextKey ? encodeToken(families.key(ctx, nameOf(nextKey))) : undefined };
}

/** ListTaskDefinitionFamilies (status ALL) over the in-memory family names: the page the range
 *  read of the family records would give, with the same maxResults check and tokens. */
async function familyNamesFromMemory(ctx: RequestContext, input: ListTaskDefinitionFamiliesRequest): Promise<ListTaskDefinitionFamiliesResponse | undefined> {
  const max = input.maxResults ?? 100;
  if (max < 1 || max > 100) throw invalidParameter(`maxResults must be between 1 and 100, but was ${input.maxResults}`);
  const families = db(ctx).families;
  const base = families.prefix(ctx);
  const token = decodeToken(input.nextToken);
  if (token !== undefined && !token.startsWith(base)) throw invalidParameter(`Invalid nextToken: ${input.nextToken}`);
  const page = await familyNamesPage(ctx.app.store, base, input.familyPrefix ?? '', token?.slice(base.length), max);
  if (!page) return undefined;
  const last = page.names[page.names.length - 1];
  return { families: page.names, nextToken: page.more && last !== undefined ? encodeToken(families.key(ctx, last)) : undefined };
}

/** One page of index keys under prefix: maxResults (1–100, default 100) pushed down as the range
 *  limit; the token (a record key, as clients have always been given) → the index key to resume after. */
async function indexPage(ctx: RequestContext, prefix: string, maxResults: number | undefined, nextToken: string | undefined,
  descending: boolean, toIndexKey: (tokenKey: string) => string | undefined): Promise<{ keys: string[]; nextKey?: string }> {
  const max = maxResults ?? 100;
  if (max < 1 || max > 100) throw invalidParameter(`maxResults must be between 1 and 100, but was ${maxResults}`);
  const token = decodeToken(nextToken);
  const after = token === undefined ? undefined : toIndexKey(token);
  if (token !== undefined && after === undefined) throw invalidParameter(`Invalid nextToken: ${nextToken}`);
  const { kvs, more } = await ctx.app.store.range(prefix, { limit: max, startAfter: after, descending });
  const keys = kvs.map((kv) => kv.key);
  return { keys, nextKey: more && keys.length ? keys[keys.length - 1] : undefined };
}

export async function deregisterTaskDefinition(input: DeregisterTaskDefinitionRequest, ctx: RequestContext): Promise<DeregisterTaskDefinitionResponse> {
  const ref = parseTaskDefinitionRef(input.taskDefinition ?? '');
  if (!ref) throw clientException(`Invalid task definition identifier: '${input.taskDefinition ?? ''}'. Use family:revision or the full ARN.`);
  if (ref.revision === undefined) throw clientException('Revision is missing.');
  const revision = revisionNumber(ref.revision);
  for (;;) {
    const current = await getRevision(ctx, ref.family, revision);
    if (!current) throw clientException('The specified task definition does not exist.');
    const td = current.value;
    // Deregistering an INACTIVE revision again is a no-op that returns it unchanged.
    if (td.status === 'INACTIVE') return { taskDefinition: render(td) };
    if (td.status === 'DELETE_IN_PROGRESS') {
      throw clientException('The task definition could not be deregistered because it is in the process of being deleted.');
    }
    const next: TaskDefinitionRecord = { ...td, status: 'INACTIVE', deregisteredAt: ctx.app.clock.now() };
    // The family's ACTIVE count and status index move in the same transaction.
    const family = await db(ctx).families.getVersioned(ctx, ref.family);
    const familyKey = db(ctx).families.key(ctx, ref.family);
    const base = family?.value ?? { family: ref.family, lastRevision: revision };
    // The latest-ACTIVE pointer moves down when the latest goes (one descending read, limit 1, here
    // rather than on every DescribeTaskDefinition; the family compare guards it).
    let latest = base.latestActive ?? await newestActiveBelow(ctx, ref.family);
    if (latest === revision) latest = await newestActiveBelow(ctx, ref.family, revision);
    const { succeeded } = await ctx.app.store.txn(
      [{ key: current.key, modRevision: current.revision }, { key: familyKey, modRevision: family?.revision ?? 0 }],
      [
        { type: 'put', key: current.key, value: JSON.stringify(next) },
        ...revisionStatusOps(ctx, ref.family, revision, 'ACTIVE', 'INACTIVE'),
        ...familyOps(ctx, familyKey, { ...base, latestActive: latest }, -1),
      ],
    );
    if (succeeded) return { taskDefinition: render(next) };
  }
}

export async function deleteTaskDefinitions(input: DeleteTaskDefinitionsRequest, ctx: RequestContext): Promise<DeleteTaskDefinitionsResponse> {
  const refs = input.taskDefinitions ?? [];
  if (refs.length < 1 || refs.length > 10) throw invalidParameter(`taskDefinitions must contain 1 to 10 items, but has ${refs.length}.`);
  const taskDefinitions: TaskDefinition[] = [];
  const failures: Failure[] = [];
  for (const given of refs) {
    const fail = (reason: string) => failures.push({ arn: given, reason });
    const ref = parseTaskDefinitionRef(given);
    const revision = ref?.revision !== undefined && /^\d{1,10}$/.test(ref.revision) ? Number(ref.revision) : 0;
    if (!ref || revision < 1) {
      fail('The specified task definition identifier is invalid. Specify a valid name or ARN and try again.');
      continue;
    }
    const done = await markDeleted(ctx, ref.family, revision);
    if (done === 'missing') fail('The specified task definition does not exist. Specify a valid account, family, revision and try again.');
    else if (done === 'active') fail('The specified task definition is still in ACTIVE status. Please deregister the target and try again.');
    else taskDefinitions.push(render(done));
  }
  return { taskDefinitions, failures };
}

/** INACTIVE → DELETE_IN_PROGRESS (already DELETE_IN_PROGRESS: unchanged), with compare-and-swap. */
async function markDeleted(ctx: RequestContext, family: string, revision: number): Promise<TaskDefinitionRecord | 'missing' | 'active'> {
  for (;;) {
    const current = await getRevision(ctx, family, revision);
    if (!current) return 'missing';
    const td = current.value;
    if (td.status === 'ACTIVE') return 'active';
    if (td.status === 'DELETE_IN_PROGRESS') return td;
    const next: TaskDefinitionRecord = { ...td, status: 'DELETE_IN_PROGRESS', deleteRequestedAt: ctx.app.clock.now() };
    const { succeeded } = await ctx.app.store.txn([{ key: current.key, modRevision: current.revision }], [
      { type: 'put', key: current.key, value: JSON.stringify(next) },
      ...revisionStatusOps(ctx, family, revision, td.status, 'DELETE_IN_PROGRESS'),
    ]);
    if (succeeded) return next;
  }
}

/** The request as ECS stores it: task cpu/memory in units/MiB, container defaults filled in. */
function normalize(input: RegisterTaskDefinitionRequest): TaskDefinition {
  const { tags: _tags, containerDefinitions, volumes, placementConstraints, cpu, memory, ...rest } = input;
  return {
    ...rest,
    containerDefinitions: (containerDefinitions ?? []).map((c) => containerDefaults(c, input.networkMode)),
    // An EFS volume without rootDirectory mounts the file system's root, and ECS stores "/".
    volumes: (volumes ?? []).map((v) => (v.efsVolumeConfiguration && v.efsVolumeConfiguration.rootDirectory === undefined
      ? { ...v, efsVolumeConfiguration: { ...v.efsVolumeConfiguration, rootDirectory: '/' } } : v)),
    placementConstraints: placementConstraints ?? [],
    cpu: normalizeTaskCpu(cpu),
    memory: normalizeTaskMemory(memory),
  };
}

/** ECS fills these in when a container definition leaves them out. */
function containerDefaults(c: ContainerDefinition, mode: NetworkMode | undefined): ContainerDefinition {
  const sameHostPort = mode === 'awsvpc' || mode === 'host';
  return {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: (c.portMappings ?? []).map((pm) => ({
      ...pm,
      hostPort: pm.hostPort ?? (sameHostPort && pm.containerPortRange === undefined ? pm.containerPort : undefined),
      protocol: pm.protocol ?? 'tcp',
    })),
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
  };
}

/** A record as the API shows it (tags are only returned on their own, when asked for). */
function render(td: TaskDefinitionRecord): TaskDefinition {
  const { tags: _tags, ...shown } = td;
  return shown;
}

