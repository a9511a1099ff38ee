// ECS services: CreateService, UpdateService, DeleteService (ACTIVE → DRAINING → INACTIVE once its
// tasks have stopped), DescribeServices, ListServices, and the service-deployment API
// (service-deployments.ts). These handlers only record desired state; the service scheduler
// (src/services/ecs/controllers/service-scheduler.ts) starts and stops the tasks. ListServicesByNamespace
// answers 501 (Service Connect namespaces are not implemented).
import type {
  Cluster, CreateServiceRequest, CreateServiceResponse, DeleteServiceRequest, DeleteServiceResponse, DescribeServicesRequest,
  DescribeServicesResponse, Failure, ListServicesRequest, ListServicesResponse, Service, UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import { scanPage } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import { clusterCompare, clusterTouch } from '../model/cluster-fence.js';
import { countOps } from '../model/cluster-counters.js';
import { activeCluster, activeClusterVersioned, checkTags, ecsArn, invalidParameter } from '../model/common.js';
import {
  checkClientToken, checkDeploymentConfiguration, checkDesiredCount, checkGracePeriod, checkScheduling, checkServiceName,
  checkServicePlacement, mergeDeploymentConfiguration, startsDeployment,
} from '../model/service-inputs.js';
import {
  newDeployment, parseServiceRef, primaryOf, pushDeployment, revisionOf, serviceArn, serviceKey, withDefaults, type ServiceRecord,
} from '../model/service-model.js';
import {
  findService, modifyService, serviceFacts, serviceNotActive, serviceNotFound, services,
} from '../model/service-store.js';
import { renderService } from '../model/service-view.js';
import { findTaskDefinition, parseTaskDefinitionRef, resolveTaskDefinition, type TaskDefinitionRecord } from '../model/task-definition-lookup.js';
import { checkCompatibility, launchTypeOf } from '../model/task-inputs.js';
import { checkLoadBalancers } from '../model/load-balancer-check.js';

export { describeServiceDeployments, describeServiceRevisions, listServiceDeployments } from '../model/service-deployments.js';

export async function createService(input: CreateServiceRequest, ctx: RequestContext): Promise<CreateServiceResponse> {
  let found = await activeClusterVersioned(ctx, input.cluster);
  const cluster = found.value;
  const name = checkServiceName(input.serviceName);
  const strategy = checkScheduling(input);
  checkDesiredCount(input.desiredCount);
  checkClientToken(input.clientToken);
  checkGracePeriod(input.healthCheckGracePeriodSeconds);
  checkTags(input.tags);
  checkDeploymentConfiguration(input.deploymentConfiguration);
  const placement = launchPlacement(cluster, input);
  const def = await resolveTaskDefinition(ctx, input.taskDefinition ?? '');
  checkCompatibility(def, placement.launchType ?? 'EC2', input.networkConfiguration !== undefined);
  checkServicePlacement(def, strategy, input.placementConstraints, input.placementStrategy);
  await checkLoadBalancers(ctx, input.loadBalancers, def);

  const now = ctx.app.clock.now().toISOString();
  const deploymentConfiguration = withDefaults(input.deploymentConfiguration, strategy);
  const record: ServiceRecord = {
    serviceArn: serviceArn(ctx, cluster.clusterName!, name),
    serviceName: name,
    clusterArn: cluster.clusterArn!,
    cluster: cluster.clusterName!,
    status: 'ACTIVE',
    desiredCount: input.desiredCount ?? 0,
    schedulingStrategy: strategy,
    ...placement,
    platformVersion: input.platformVersion,
    taskDefinition: def.taskDefinitionArn!,
    deploymentConfiguration,
    deploymentController: { type: 'ECS' },
    placementConstraints: input.placementConstraints ?? [],
    placementStrategy: input.placementStrategy ?? [],
    networkConfiguration: input.networkConfiguration,
    healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
    loadBalancers: input.loadBalancers ?? [],
    serviceRegistries: input.serviceRegistries ?? [],
    roleArn: input.role,
    tags: input.tags ?? [],
    enableECSManagedTags: input.enableECSManagedTags ?? false,
    propagateTags: input.propagateTags ?? 'NONE',
    enableExecuteCommand: input.enableExecuteCommand ?? false,
    availabilityZoneRebalancing: input.availabilityZoneRebalancing,
    createdAt: now,
    createdBy: ctx.principalArn,
    clientToken: input.clientToken,
    deployments: [],
    events: [],
  };
  record.deployments = [newDeployment(ctx.app.ids, now, revisionOf(record), deploymentConfiguration, { sourceRevisionIds: [] })];

  const key = serviceKey(record.cluster, name);
  for (;;) {
    const existing = await services(ctx).getVersioned(ctx, key);
    if (existing?.value.status === 'ACTIVE') {
      if (input.clientToken && existing.value.clientToken === input.clientToken) {
        return { service: renderService(ctx, existing.value, await serviceFacts(ctx, existing.value), true) };
      }
      throw invalidParameter('Creation of service was not idempotent.');
    }
    if (existing?.value.status === 'DRAINING') throw invalidParameter('Unable to Start a service that is still Draining.');
    // With the cluster still as read (ACTIVE), which this touches: see cluster-fence.ts.
    const full = services(ctx).key(ctx, key);
    const { succeeded } = await ctx.app.store.txn([clusterCompare(found), { key: full, modRevision: existing?.revision ?? 0 }],
      [clusterTouch(found), { type: 'put', key: full, value: JSON.stringify(record) }, ...countOps(ctx, record.cluster, 'services', existing?.value, record)]);
    if (succeeded) {
      logDeploymentStarted(ctx, record, record.deployments[0].id, record.deployments[0].taskDefinition);
      return { service: renderService(ctx, record, [], true) };
    }
    found = await activeClusterVersioned(ctx, input.cluster);
  }
}

/** The service's launch type or capacity provider strategy: as given, else the cluster's default
 *  capacity provider strategy, else EC2. Fargate is refused (launchTypeOf says why). */
function launchPlacement(cluster: Cluster, input: Pick<CreateServiceRequest, 'launchType' | 'capacityProviderStrategy'>) {
  const launchType = launchTypeOf(input);
  if (input.capacityProviderStrategy?.length) return { capacityProviderStrategy: input.capacityProviderStrategy };
  if (!input.launchType && cluster.defaultCapacityProviderStrategy?.length) {
    launchTypeOf({ capacityProviderStrategy: cluster.defaultCapacityProviderStrategy });
    return { capacityProviderStrategy: cluster.defaultCapacityProviderStrategy };
  }
  return { launchType };
}

export async function updateService(input: UpdateServiceRequest, ctx: RequestContext): Promise<UpdateServiceResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const name = cluster.clusterName!;
  checkDesiredCount(input.desiredCount);
  checkGracePeriod(input.healthCheckGracePeriodSeconds);
  checkDeploymentConfiguration(input.deploymentConfiguration);
  if (input.deploymentController && input.deploymentController.type !== 'ECS') {
    throw invalidParameter(`Deployment controller ${input.deploymentController.type} is not supported by this Berth server; use ECS (rolling update).`);
  }
  const found = await findService(ctx, name, input.service);
  if (!found) throw serviceNotFound();
  if (found.value.status !== 'ACTIVE') throw serviceNotActive();
  const before = new Set(found.value.deployments.map((d) => d.id));
  let def: TaskDefinitionRecord | undefined;
  if (input.taskDefinition) {
    def = await resolveTaskDefinition(ctx, input.taskDefinition);
    checkCompatibility(def, found.value.launchType ?? 'EC2', (input.networkConfiguration ?? found.value.networkConfiguration) !== undefined);
  }
  if (input.placementConstraints || input.placementStrategy) {
    checkServicePlacement(def ?? await resolveCurrent(ctx, found.value), found.value.schedulingStrategy,
      input.placementConstraints ?? found.value.placementConstraints, input.placementStrategy ?? found.value.placementStrategy);
  }
  const now = ctx.app.clock.now().toISOString();
  const updated = await modifyService(ctx, name, input.service, (s) => {
    if (s.status !== 'ACTIVE') throw serviceNotActive();
    if (s.schedulingStrategy === 'DAEMON' && input.desiredCount !== undefined) {
      throw invalidParameter('A service with the DAEMON scheduling strategy runs one task per container instance: desiredCount cannot be updated.');
    }
    const next: ServiceRecord = {
      ...s,
      desiredCount: input.desiredCount ?? s.desiredCount,
      deploymentConfiguration: mergeDeploymentConfiguration(s.deploymentConfiguration, input.deploymentConfiguration),
      placementConstraints: input.placementConstraints ?? s.placementConstraints,
      placementStrategy: input.placementStrategy ?? s.placementStrategy,
      healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds ?? s.healthCheckGracePeriodSeconds,
      enableExecuteCommand: input.enableExecuteCommand ?? s.enableExecuteCommand,
      enableECSManagedTags: input.enableECSManagedTags ?? s.enableECSManagedTags,
      propagateTags: input.propagateTags ?? s.propagateTags,
      capacityProviderStrategy: input.capacityProviderStrategy ?? s.capacityProviderStrategy,
      availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? s.availabilityZoneRebalancing,
    };
    if (!startsDeployment(input, s, def?.taskDefinitionArn)) return next;
    Object.assign(next, {
      taskDefinition: def?.taskDefinitionArn ?? s.taskDefinition,
      networkConfiguration: input.networkConfiguration ?? s.networkConfiguration,
      platformVersion: input.platformVersion ?? s.platformVersion,
      loadBalancers: input.loadBalancers ?? s.loadBalancers,
      serviceRegistries: input.serviceRegistries ?? s.serviceRegistries,
      steadyAt: undefined,
    });
    const sources = s.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => d.serviceRevisionId);
    const deployment = newDeployment(ctx.app.ids, now, revisionOf(next), next.deploymentConfiguration, { sourceRevisionIds: [...new Set(sources)] });
    return { ...next, deployments: pushDeployment(next, deployment, now) };
  });
  const primary = primaryOf(updated);
  if (primary && !before.has(primary.id)) logDeploymentStarted(ctx, updated, primary.id, primary.taskDefinition);
  return { service: renderService(ctx, updated, await serviceFacts(ctx, updated)) };
}

async function resolveCurrent(ctx: RequestContext, s: ServiceRecord): Promise<TaskDefinitionRecord> {
  const ref = parseTaskDefinitionRef(s.taskDefinition);
  return (ref && await findTaskDefinition(ctx, ref)) ?? { taskDefinitionArn: s.taskDefinition };
}

export async function deleteService(input: DeleteServiceRequest, ctx: RequestContext): Promise<DeleteServiceResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const now = ctx.app.clock.now().toISOString();
  const deleted = await modifyService(ctx, cluster.clusterName!, input.service, (s) => {
    if (s.status === 'INACTIVE') throw serviceNotFound();
    if (s.status !== 'ACTIVE') throw serviceNotActive();
    if (s.schedulingStrategy === 'REPLICA' && s.desiredCount > 0 && !input.force) {
      throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
    }
    const primary = primaryOf(s);
    return { ...s, status: 'DRAINING', desiredCount: 0, steadyAt: undefined,
      deployments: s.deployments.map((d) => (d === primary ? { ...d, updatedAt: now } : d)) };
  });
  return { service: renderService(ctx, deleted, await serviceFacts(ctx, deleted)) };
}

export async function describeServices(input: DescribeServicesRequest, ctx: RequestContext): Promise<DescribeServicesResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const name = cluster.clusterName!;
  const refs = input.services ?? [];
  if (refs.length === 0) throw invalidParameter('Services cannot be empty.');
  if (refs.length > 10) throw invalidParameter(`services can have at most 10 items, but had ${refs.length}.`);
  const includeTags = input.include?.includes('TAGS') ?? false;
  const out: Service[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const found = await findService(ctx, name, ref);
    if (found) out.push(renderService(ctx, found.value, await serviceFacts(ctx, found.value), includeTags));
    // A bare name that matches nothing comes back as AWS shows it: service/<name>, no cluster segment.
    else failures.push({ arn: ref.startsWith('arn:') ? ref : ecsArn(ctx, `service/${ref}`), reason: 'MISSING' });
  }
  return { services: out, failures };
}

export async function listServices(input: ListServicesRequest, ctx: RequestContext): Promise<ListServicesResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const name = cluster.clusterName!;
  // ECS returns up to 10 services unless maxResults (1–100) says otherwise. Read a page of keys
  // at a time from the token, filtered as read: the cost follows the page, not the cluster.
  if (input.maxResults !== undefined && (input.maxResults < 1 || input.maxResults > 100)) {
    throw invalidParameter(`maxResults must be between 1 and 100, but was ${input.maxResults}`);
  }
  const { page, nextToken } = await scanPage(ctx.app.store, services(ctx).prefix(ctx, `${name}/`), (kv) => JSON.parse(kv.value) as ServiceRecord,
    (s) => s.status === 'ACTIVE' && (input.launchType === undefined || s.launchType === input.launchType)
      && (input.schedulingStrategy === undefined || s.schedulingStrategy === input.schedulingStrategy),
    input.maxResults ?? 10, input.nextToken);
  return { serviceArns: page.map((p) => p.item.serviceArn), nextToken };
}

function logDeploymentStarted(ctx: RequestContext, s: ServiceRecord, deployment: string, taskDefinition: string) {
  ctx.app.log.info('deployment.started', { account: ctx.account, cluster: s.cluster, service: s.serviceName, deployment, taskDefinition,
    desiredCount: s.desiredCount });
}
