// ECS clusters: CreateCluster (idempotent), DescribeClusters, ListClusters, UpdateCluster,
// UpdateClusterSettings, DeleteCluster (→ INACTIVE, still describable).
import type {
  Cluster, CreateClusterRequest, CreateClusterResponse, DeleteClusterRequest, DeleteClusterResponse,
  DescribeClustersRequest, DescribeClustersResponse, Failure, ListClustersRequest, ListClustersResponse,
  UpdateClusterRequest, UpdateClusterResponse, UpdateClusterSettingsRequest, UpdateClusterSettingsResponse,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../../../common/errors.js';
import { paginate } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import { effectiveSetting } from '../model/account-settings-values.js';
import { checkStrategy, isBuiltIn, providerName } from '../model/capacity-providers-rules.js';
import { clusterCompare, instanceCompares } from '../model/cluster-fence.js';
import { activeClusterVersioned, checkTags, db, ecsArn, invalidParameter, ownClusterName } from '../model/common.js';
import { clusterCounts } from '../model/counts.js';

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export async function createCluster(input: CreateClusterRequest, ctx: RequestContext): Promise<CreateClusterResponse> {
  const name = input.clusterName ?? 'default';
  if (!NAME.test(name)) {
    throw invalidParameter('Cluster name must be 1 to 255 characters: letters (upper and lower case), numbers, hyphens and underscores.');
  }
  checkTags(input.tags);
  checkSettings(input.settings);
  const providers = await checkProviders(ctx, input.capacityProviders ?? [], input.defaultCapacityProviderStrategy ?? []);
  // Without an explicit setting, a new cluster takes the account's containerInsights setting.
  const settings = input.settings?.length ? input.settings : [{ name: 'containerInsights' as const, value: await effectiveSetting(ctx, 'containerInsights') }];
  const clusters = db(ctx).clusters;
  for (;;) {
    const existing = await clusters.getVersioned(ctx, name);
    if (existing?.value.status === 'ACTIVE') return { cluster: await render(ctx, existing.value, ['SETTINGS', 'TAGS', 'CONFIGURATIONS']) };
    const cluster: Cluster = {
      clusterArn: ecsArn(ctx, `cluster/${name}`),
      clusterName: name,
      status: 'ACTIVE',
      settings,
      configuration: input.configuration,
      serviceConnectDefaults: input.serviceConnectDefaults?.namespace ? { namespace: input.serviceConnectDefaults.namespace } : undefined,
      tags: input.tags ?? [],
      capacityProviders: providers,
      defaultCapacityProviderStrategy: (input.defaultCapacityProviderStrategy ?? []).map((i) => ({ ...i, weight: i.weight ?? 0, base: i.base ?? 0 })),
    };
    const ok = existing ? await clusters.put(ctx, name, cluster, existing.revision) : await clusters.create(ctx, name, cluster);
    if (ok) return { cluster: await render(ctx, cluster, ['SETTINGS', 'TAGS', 'CONFIGURATIONS']) };
  }
}

export async function describeClusters(input: DescribeClustersRequest, ctx: RequestContext): Promise<DescribeClustersResponse> {
  const refs = input.clusters?.length ? input.clusters : ['default'];
  if (refs.length > 100) throw invalidParameter('clusters can have at most 100 items.');
  const clusters: Cluster[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const name = ownClusterName(ctx, ref);
    const cluster = name === undefined ? undefined : await db(ctx).clusters.get(ctx, name);
    if (cluster) clusters.push(await render(ctx, cluster, input.include ?? []));
    else failures.push({ arn: name === undefined ? ref : ecsArn(ctx, `cluster/${name}`), reason: 'MISSING' });
  }
  return { clusters, failures };
}

export async function listClusters(input: ListClustersRequest, ctx: RequestContext): Promise<ListClustersResponse> {
  // An INACTIVE cluster stays listed for as long as DescribeClusters returns it, as on AWS.
  const all = await db(ctx).clusters.list(ctx);
  const { page, nextToken } = paginate(all, (c) => db(ctx).clusters.key(ctx, c.clusterName!), input.maxResults, input.nextToken);
  return { clusterArns: page.map((c) => c.clusterArn!), nextToken };
}

export async function updateCluster(input: UpdateClusterRequest, ctx: RequestContext): Promise<UpdateClusterResponse> {
  checkSettings(input.settings);
  return { cluster: await modify(ctx, input.cluster, (c) => ({
    ...c,
    settings: input.settings ? mergeSettings(c.settings, input.settings) : c.settings,
    configuration: input.configuration ?? c.configuration,
    serviceConnectDefaults: input.serviceConnectDefaults?.namespace ? { namespace: input.serviceConnectDefaults.namespace } : c.serviceConnectDefaults,
  })) };
}

export async function updateClusterSettings(input: UpdateClusterSettingsRequest, ctx: RequestContext): Promise<UpdateClusterSettingsResponse> {
  checkSettings(input.settings);
  return { cluster: await modify(ctx, input.cluster, (c) => ({ ...c, settings: mergeSettings(c.settings, input.settings ?? []) })) };
}

/** Counts the cluster's members, then swaps it to INACTIVE only if nothing changed since: the
 *  cluster record (a new instance or service touches it) and every instance record (a new task
 *  rewrites its instance's). Otherwise it counts again (cluster-fence.ts). */
export async function deleteCluster(input: DeleteClusterRequest, ctx: RequestContext): Promise<DeleteClusterResponse> {
  for (;;) {
    const cluster = await activeClusterVersioned(ctx, input.cluster);
    const name = cluster.value.clusterName!;
    const compares = [clusterCompare(cluster), ...await instanceCompares(ctx, name)];
    const counts = await clusterCounts(ctx, name);
    if (counts.activeServicesCount > 0) {
      throw new AwsError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
    }
    if (counts.registeredContainerInstancesCount > 0) {
      throw new AwsError('ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
    }
    if (counts.runningTasksCount + counts.pendingTasksCount > 0) {
      throw new AwsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
    }
    const next: Cluster = { ...cluster.value, status: 'INACTIVE' };
    const { succeeded } = await ctx.app.store.txn(compares, [{ type: 'put', key: cluster.key, value: JSON.stringify(next) }]);
    if (succeeded) return { cluster: await render(ctx, next, ['SETTINGS', 'CONFIGURATIONS']) };
  }
}

/** Read-modify-write of an ACTIVE cluster with compare-and-swap. */
async function modify(ctx: RequestContext, ref: string | undefined, change: (c: Cluster) => Cluster): Promise<Cluster> {
  const clusters = db(ctx).clusters;
  for (;;) {
    const name = ownClusterName(ctx, ref);
    const current = name === undefined ? undefined : await clusters.getVersioned(ctx, name);
    if (!current || current.value.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    const next = change(current.value);
    if (await clusters.put(ctx, next.clusterName!, next, current.revision)) return render(ctx, next, ['SETTINGS', 'CONFIGURATIONS']);
  }
}

/** CreateCluster's capacityProviders must exist (or be FARGATE/FARGATE_SPOT); the strategy must use them. */
async function checkProviders(ctx: RequestContext, names: string[], strategy: NonNullable<CreateClusterRequest['defaultCapacityProviderStrategy']>) {
  const out = names.map(providerName);
  for (const name of out) {
    if (isBuiltIn(name)) continue;
    const provider = await db(ctx).capacityProviders.get(ctx, name);
    if (!provider || provider.status !== 'ACTIVE') throw invalidParameter(`The specified capacity provider '${name}' does not exist.`);
  }
  checkStrategy(strategy, out);
  return out;
}

function checkSettings(settings: { name?: string; value?: string }[] | undefined) {
  for (const s of settings ?? []) {
    if (s.name === 'containerInsights' && !['enabled', 'disabled', 'enhanced'].includes(s.value ?? '')) {
      throw invalidParameter(`Invalid value for containerInsights setting: '${s.value ?? ''}'. Valid values are enabled, disabled and enhanced.`);
    }
  }
}

function mergeSettings(current: Cluster['settings'], changes: NonNullable<Cluster['settings']>) {
  const out = [...(current ?? [])];
  for (const s of changes) {
    const i = out.findIndex((o) => o.name === s.name);
    if (i >= 0) out[i] = s; else out.push(s);
  }
  return out;
}

/** A cluster as DescribeClusters shows it: live counts, and the optional parts `include` asks for. */
async function render(ctx: RequestContext, cluster: Cluster, include: string[]): Promise<Cluster> {
  const counts = await clusterCounts(ctx, cluster.clusterName!);
  const { settings, tags, configuration, attachments, ...base } = cluster;
  return {
    ...base,
    registeredContainerInstancesCount: counts.registeredContainerInstancesCount,
    runningTasksCount: counts.runningTasksCount,
    pendingTasksCount: counts.pendingTasksCount,
    activeServicesCount: counts.activeServicesCount,
    settings: include.includes('SETTINGS') ? settings : undefined,
    // AWS answers empty lists for the parts `include` did not ask for.
    tags: include.includes('TAGS') ? tags ?? [] : [],
    configuration: include.includes('CONFIGURATIONS') ? configuration : undefined,
    attachments: include.includes('ATTACHMENTS') ? attachments ?? [] : undefined,
    statistics: include.includes('STATISTICS') ? counts.statistics : [],
  };
}
