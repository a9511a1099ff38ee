// ECS attributes on container instances: PutAttributes, DeleteAttributes, ListAttributes.
// Attributes live on the instance record's `attributes`; one call's changes to several instances
// commit together in one store transaction (all or nothing).
import type {
  Attribute, DeleteAttributesRequest, DeleteAttributesResponse, ListAttributesRequest, ListAttributesResponse,
  PutAttributesRequest, PutAttributesResponse,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../../../common/errors.js';
import { paginate } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import { activeCluster, invalidParameter, type ContainerInstanceRecord } from '../model/common.js';
import { checkAttribute, checkCustomLimit, MAX_ATTRIBUTES_PER_CALL, mergeAttributes } from '../model/container-instance-attributes.js';
import { clusterInstances, findInstance } from '../model/container-instance-store.js';
import { instanceCompares, putRecord, type InstanceVersioned } from '../model/instance-resources.js';

export async function putAttributes(input: PutAttributesRequest, ctx: RequestContext): Promise<PutAttributesResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  const attributes = checkCall(input.attributes);
  await applyToTargets(ctx, cluster, attributes, (current, mine) => {
    const next = mergeAttributes(current.attributes ?? [], mine);
    checkCustomLimit(next, current.containerInstanceArn!);
    return next;
  });
  return { attributes };
}

export async function deleteAttributes(input: DeleteAttributesRequest, ctx: RequestContext): Promise<DeleteAttributesResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  const attributes = checkCall(input.attributes);
  await applyToTargets(ctx, cluster, attributes, (current, mine) => {
    const names = new Set(mine.map((a) => a.name));
    return (current.attributes ?? []).filter((a) => !names.has(a.name));
  });
  return { attributes };
}

export async function listAttributes(input: ListAttributesRequest, ctx: RequestContext): Promise<ListAttributesResponse> {
  const cluster = (await activeCluster(ctx, input.cluster)).clusterName!;
  if (input.attributeValue !== undefined && input.attributeName === undefined) {
    throw invalidParameter('attributeValue can only be used together with attributeName.');
  }
  const rows: { key: string; attribute: Attribute }[] = [];
  for (const v of await clusterInstances(ctx, cluster)) {
    if (v.value.status === 'INACTIVE') continue;
    for (const a of v.value.attributes ?? []) {
      if (input.attributeName !== undefined && a.name !== input.attributeName) continue;
      if (input.attributeValue !== undefined && a.value !== input.attributeValue) continue;
      rows.push({ key: `${v.key}\u0001${a.name}`, attribute: { name: a.name, value: a.value, targetId: v.value.containerInstanceArn } });
    }
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { page, nextToken } = paginate(rows, (r) => r.key, input.maxResults, input.nextToken);
  return { attributes: page.map((r) => r.attribute), nextToken };
}

/** Validates one Put/DeleteAttributes call's list (count, names, values, targets given). */
function checkCall(attributes: Attribute[] | undefined): Attribute[] {
  const list = attributes ?? [];
  if (list.length === 0) throw invalidParameter('attributes cannot be empty.');
  if (list.length > MAX_ATTRIBUTES_PER_CALL) {
    throw invalidParameter(`attributes can have at most ${MAX_ATTRIBUTES_PER_CALL} items in one call, got ${list.length}.`);
  }
  for (const a of list) {
    checkAttribute(a);
    if (!a.targetId) throw invalidParameter(`Attribute '${a.name}' needs a targetId (container instance ID or ARN).`);
    if (!a.targetId.startsWith('arn:') && a.targetType === undefined) {
      throw invalidParameter(`Attribute '${a.name}': targetType is required when targetId is a short ID ('${a.targetId}').`);
    }
  }
  return list;
}

/** Applies `change` to every target instance of `attributes` in one transaction, retried on conflict. */
async function applyToTargets(ctx: RequestContext, cluster: string, attributes: Attribute[],
  change: (current: ContainerInstanceRecord, mine: Attribute[]) => Attribute[]) {
  const store = ctx.app.store;
  for (;;) {
    const targets = new Map<string, { found: InstanceVersioned; mine: Attribute[] }>();
    for (const a of attributes) {
      const found = await findInstance(ctx, cluster, a.targetId!);
      if (!found || found.value.status === 'INACTIVE') {
        throw new AwsError('TargetNotFoundException', `Could not find container instance '${a.targetId}' in cluster ${cluster}.`);
      }
      const t = targets.get(found.key) ?? { found, mine: [] };
      t.mine.push(a);
      targets.set(found.key, t);
    }
    const ops = [...targets.values()].flatMap(({ found, mine }) => {
      const attributes = change(found.value, mine);
      if (JSON.stringify(attributes) === JSON.stringify(found.value.attributes ?? [])) return []; // no change, no new version
      const next: ContainerInstanceRecord = { ...found.value, attributes, version: (found.value.version ?? 0) + 1 };
      // The record as read holds the current remaining resources: its resources key is folded in.
      return putRecord(ctx, cluster, found, next);
    });
    if (ops.length === 0) return;
    const compares = [...targets.values()].flatMap((t) => instanceCompares(ctx, cluster, t.found));
    if ((await store.txn(compares, ops)).succeeded) return;
  }
}
