// ECS capacity providers: CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider,
// DeleteCapacityProvider (answers DELETE_IN_PROGRESS, → INACTIVE; DELETE_FAILED while a cluster uses it) and
// PutClusterCapacityProviders. FARGATE and FARGATE_SPOT are built in and never stored.
import type {
  CapacityProvider, Cluster, CreateCapacityProviderRequest, CreateCapacityProviderResponse, DeleteCapacityProviderRequest,
  DeleteCapacityProviderResponse, DescribeCapacityProvidersRequest, DescribeCapacityProvidersResponse, Failure,
  PutClusterCapacityProvidersRequest, PutClusterCapacityProvidersResponse, UpdateCapacityProviderRequest, UpdateCapacityProviderResponse,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../../../common/errors.js';
import { paginate } from '../../../common/pagination.js';
import type { Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import type { Compare } from '../../../store/types.js';
import { activeCluster, checkTags, clientException, clusterName, clusterNotFound, db, invalidParameter, ownClusterName } from '../model/common.js';
import {
  asgName, asgProvider, builtInProvider, checkName, checkStrategy, checkTerminationProtection, isBuiltIn, managedScaling,
  MAX_PER_CLUSTER, providerArn, providerName, renderCluster, renderProvider,
} from '../model/capacity-providers-rules.js';

export async function createCapacityProvider(input: CreateCapacityProviderRequest, ctx: RequestContext): Promise<CreateCapacityProviderResponse> {
  const name = input.name ?? '';
  checkName(name);
  checkTags(input.tags);
  if (!!input.autoScalingGroupProvider === !!input.managedInstancesProvider) {
    throw invalidParameter('Specify exactly one of autoScalingGroupProvider and managedInstancesProvider.');
  }
  const records = db(ctx).capacityProviders;
  const base: CapacityProvider = { capacityProviderArn: providerArn(ctx, name), name, status: 'ACTIVE', tags: input.tags ?? [] };
  let provider: CapacityProvider;
  if (input.autoScalingGroupProvider) {
    const asg = asgProvider(input.autoScalingGroupProvider);
    const taken = (await records.list(ctx)).find((p) => p.status !== 'INACTIVE' && p.name !== name
      && p.autoScalingGroupProvider && asgName(p.autoScalingGroupProvider.autoScalingGroupArn) === asgName(asg.autoScalingGroupArn));
    if (taken) {
      throw clientException(`The specified Auto Scaling group ARN is already being used by another capacity provider ('${taken.name}'). `
        + 'Specify a unique Auto Scaling group ARN and try again.');
    }
    provider = { ...base, type: 'EC2_AUTOSCALING', autoScalingGroupProvider: asg };
  } else {
    if (!input.cluster) throw invalidParameter('cluster is required for a capacity provider with managedInstancesProvider.');
    const cluster = await activeCluster(ctx, input.cluster);
    provider = { ...base, type: 'MANAGED_INSTANCES', cluster: cluster.clusterName, managedInstancesProvider: input.managedInstancesProvider };
  }
  for (;;) {
    const existing = await records.getVersioned(ctx, name);
    if (existing && existing.value.status !== 'INACTIVE') {
      throw clientException(`The specified capacity provider already exists: '${name}'. `
        + 'To change the configuration of an existing capacity provider, update the capacity provider.');
    }
    const ok = existing ? await records.put(ctx, name, provider, existing.revision) : await records.create(ctx, name, provider);
    if (ok) return { capacityProvider: provider };
  }
}

export async function describeCapacityProviders(input: DescribeCapacityProvidersRequest, ctx: RequestContext): Promise<DescribeCapacityProvidersResponse> {
  const withTags = (input.include ?? []).includes('TAGS');
  const records = db(ctx).capacityProviders;
  let scope: string[] | undefined;
  if (input.cluster) {
    const cluster = await activeCluster(ctx, input.cluster);
    const stored = await records.list(ctx);
    scope = [...(cluster.capacityProviders ?? []), ...stored.filter((p) => p.cluster === cluster.clusterName).map((p) => p.name!)];
  }
  if (input.capacityProviders?.length) {
    if (input.capacityProviders.length > 100) throw invalidParameter('capacityProviders can have at most 100 items.');
    const found: CapacityProvider[] = [];
    const failures: Failure[] = [];
    for (const ref of input.capacityProviders) {
      const name = providerName(ref);
      const p = isBuiltIn(name) ? builtInProvider(ctx, name) : await records.get(ctx, name);
      if (p && (!scope || scope.includes(name))) found.push(renderProvider(p, withTags));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : providerArn(ctx, name), reason: 'MISSING' });
    }
    return { capacityProviders: found, failures };
  }
  // Stored providers in key order, then the built-in ones ('~' sorts after every name character).
  const stored = (await records.listVersioned(ctx)).filter((v) => v.value.status !== 'INACTIVE').map(({ value, key }) => ({ value, key }));
  const all = [...stored, ...['FARGATE', 'FARGATE_SPOT'].map((n) => ({ value: builtInProvider(ctx, n), key: records.key(ctx, `~${n}`) }))]
    .filter((v) => !scope || scope.includes(v.value.name!));
  const { page, nextToken } = paginate(all, (v) => v.key, input.maxResults, input.nextToken, { limit: 10 });
  return { capacityProviders: page.map((v) => renderProvider(v.value, withTags)), failures: [], nextToken };
}

export async function updateCapacityProvider(input: UpdateCapacityProviderRequest, ctx: RequestContext): Promise<UpdateCapacityProviderResponse> {
  const name = providerName(input.name ?? '');
  if (isBuiltIn(name)) throw invalidParameter(`The ${name} capacity provider is reserved and cannot be updated.`);
  const records = db(ctx).capacityProviders;
  for (;;) {
    const current = await existingProvider(ctx, name);
    const p = current.value;
    const next: CapacityProvider = { ...p, updateStatus: 'UPDATE_COMPLETE', updateStatusReason: undefined };
    const change = input.autoScalingGroupProvider;
    if (change) {
      if (!p.autoScalingGroupProvider) throw invalidParameter(`The capacity provider '${name}' has no Auto Scaling group provider to update.`);
      next.autoScalingGroupProvider = {
        ...p.autoScalingGroupProvider,
        managedScaling: change.managedScaling ? managedScaling(change.managedScaling, p.autoScalingGroupProvider.managedScaling)
          : p.autoScalingGroupProvider.managedScaling,
        managedTerminationProtection: change.managedTerminationProtection ?? p.autoScalingGroupProvider.managedTerminationProtection,
        managedDraining: change.managedDraining ?? p.autoScalingGroupProvider.managedDraining,
      };
      checkTerminationProtection(next.autoScalingGroupProvider);
    }
    if (input.managedInstancesProvider) {
      if (!p.managedInstancesProvider) throw invalidParameter(`The capacity provider '${name}' has no managed instances provider to update.`);
      const { instanceLaunchTemplate, ...others } = input.managedInstancesProvider;
      const mi = p.managedInstancesProvider;
      next.managedInstancesProvider = {
        ...mi, ...definedMembers(others),
        instanceLaunchTemplate: mi.instanceLaunchTemplate && { ...mi.instanceLaunchTemplate, ...definedMembers(instanceLaunchTemplate ?? {}) },
      };
    }
    if (await records.put(ctx, name, next, current.revision)) return { capacityProvider: next };
  }
}

export async function deleteCapacityProvider(input: DeleteCapacityProviderRequest, ctx: RequestContext): Promise<DeleteCapacityProviderResponse> {
  const name = providerName(input.capacityProvider ?? '');
  if (isBuiltIn(name)) {
    throw invalidParameter(`The ${name} capacity provider is reserved and cannot be deleted. Disassociate it from the cluster with PutClusterCapacityProviders.`);
  }
  const { store } = ctx.app;
  const records = db(ctx).capacityProviders;
  for (;;) {
    const current = await existingProvider(ctx, name);
    if (input.cluster && current.value.cluster && clusterName(input.cluster) !== current.value.cluster) {
      throw invalidParameter(`The capacity provider '${name}' belongs to cluster '${current.value.cluster}', not '${clusterName(input.cluster)}'.`);
    }
    // Every active cluster takes part in the commit: an association made meanwhile makes it retry.
    const clusters = (await db(ctx).clusters.listVersioned(ctx)).filter((c) => c.value.status === 'ACTIVE');
    const user = clusters.find((c) => (c.value.capacityProviders ?? []).includes(name));
    const next: CapacityProvider = user
      ? { ...current.value, updateStatus: 'DELETE_FAILED',
        updateStatusReason: `The capacity provider cannot be deleted because it is associated with cluster: ${user.value.clusterName}. `
          + 'Remove the capacity provider from the cluster and try again.' }
      : { ...current.value, status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE', updateStatusReason: undefined };
    const compares: Compare[] = [current, ...clusters].map((v) => ({ key: v.key, modRevision: v.revision }));
    const result = await store.txn(compares, [{ type: 'put', key: current.key, value: JSON.stringify(next) }]);
    if (!result.succeeded) continue;
    // ECS answers a deletion as started (ACTIVE, DELETE_IN_PROGRESS) and completes it
    // asynchronously; Berth has nothing to wind down, so the stored record is already the
    // completed one (INACTIVE, DELETE_COMPLETE) that DescribeCapacityProviders shows next.
    return { capacityProvider: user ? next : { ...next, status: 'ACTIVE', updateStatus: 'DELETE_IN_PROGRESS' } };
  }
}

export async function putClusterCapacityProviders(input: PutClusterCapacityProvidersRequest, ctx: RequestContext): Promise<PutClusterCapacityProvidersResponse> {
  const names = (input.capacityProviders ?? []).map(providerName);
  const strategy = (input.defaultCapacityProviderStrategy ?? []).map((s) => ({ ...s, capacityProvider: providerName(s.capacityProvider ?? '') }));
  if (new Set(names).size !== names.length) throw invalidParameter('capacityProviders contains the same capacity provider more than once.');
  if (names.length > MAX_PER_CLUSTER) {
    throw invalidParameter(`The maximum number of capacity providers per cluster has been exceeded: ${names.length} given, at most ${MAX_PER_CLUSTER}.`);
  }
  checkStrategy(strategy, names);
  const { store } = ctx.app;
  const d = db(ctx);
  for (;;) {
    const own = ownClusterName(ctx, input.cluster);
    const current = own === undefined ? undefined : await d.clusters.getVersioned(ctx, own);
    if (!current || current.value.status !== 'ACTIVE') throw clusterNotFound();
    const cluster = current.value;
    const providers: Versioned<CapacityProvider>[] = [];
    for (const name of names.filter((n) => !isBuiltIn(n))) {
      const p = await d.capacityProviders.getVersioned(ctx, name);
      if (!p || p.value.status === 'INACTIVE') {
        throw invalidParameter(`The specified capacity provider was not found: '${name}'. Specify a valid capacity provider and try again.`);
      }
      if (p.value.cluster && p.value.cluster !== cluster.clusterName) {
        throw invalidParameter(`The capacity provider '${name}' belongs to cluster '${p.value.cluster}' and cannot be associated with another cluster.`);
      }
      providers.push(p);
    }
    await checkNotElsewhere(ctx, cluster, providers);
    await checkRemovable(ctx, cluster, names);
    const next: Cluster = { ...cluster, capacityProviders: names, defaultCapacityProviderStrategy: strategy.map((s) => ({ capacityProvider: s.capacityProvider, weight: s.weight ?? 0, base: s.base ?? 0 })) };
    const compares: Compare[] = [current, ...providers].map((v) => ({ key: v.key, modRevision: v.revision }));
    const result = await store.txn(compares, [{ type: 'put', key: current.key, value: JSON.stringify(next) }]);
    if (result.succeeded) return { cluster: await renderCluster(ctx, next) };
  }
}

/** The record of a capacity provider that has not been deleted, or ClientException. */
async function existingProvider(ctx: RequestContext, name: string): Promise<Versioned<CapacityProvider>> {
  const current = await db(ctx).capacityProviders.getVersioned(ctx, name);
  if (!current || current.value.status === 'INACTIVE') {
    throw clientException(`The specified capacity provider does not exist: '${name}'. Specify a valid name or ARN and try again.`);
  }
  return current;
}

/** An Auto Scaling group provider serves one cluster at a time. */
async function checkNotElsewhere(ctx: RequestContext, cluster: Cluster, providers: Versioned<CapacityProvider>[]) {
  if (!providers.length) return;
  for (const other of await db(ctx).clusters.list(ctx)) {
    if (other.status !== 'ACTIVE' || other.clusterName === cluster.clusterName) continue;
    const shared = providers.find((p) => (other.capacityProviders ?? []).includes(p.value.name!));
    if (shared) {
      throw invalidParameter(`The capacity provider '${shared.value.name}' is already associated with cluster '${other.clusterName}'. `
        + 'A capacity provider can be associated with one cluster only.');
    }
  }
}

/** A provider that a service's strategy or a running task still uses cannot leave the cluster. */
async function checkRemovable(ctx: RequestContext, cluster: Cluster, keep: string[]) {
  const removed = (cluster.capacityProviders ?? []).filter((n) => !keep.includes(n));
  if (!removed.length) return;
  const d = db(ctx);
  const services = await d.services.list(ctx, `${cluster.clusterName}/`);
  const tasks = await d.tasks.list(ctx, `${cluster.clusterName}/`);
  const inUse = removed.find((n) =>
    services.some((s) => s.status !== 'INACTIVE' && (s.capacityProviderStrategy ?? []).some((i) => i.capacityProvider === n))
    || tasks.some((t) => t.lastStatus !== 'STOPPED' && t.capacityProviderName === n));
  if (inUse) throw new AwsError('ResourceInUseException', `The specified capacity provider is in use and cannot be removed: '${inUse}'.`);
}

const definedMembers = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
