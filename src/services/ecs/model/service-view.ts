// Service records as the wire shows them: DescribeServices' Service (with live counts from the task
// records: never stored twice, never stale), its PRIMARY/ACTIVE deployments, and the newer API's
// ServiceDeployment and ServiceRevision. Pure: the caller passes the service's tasks.
import type {
  ContainerImage, Deployment, Service, ServiceDeployment, ServiceDeploymentBrief, ServiceEvent, ServiceRevision, TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { Scope } from '../../../common/records.js';
import {
  serviceDeploymentArn, serviceRevisionArn, type DeploymentRecord, type ServiceRecord,
} from './service-model.js';
import { breakerThreshold, failuresOf, isLive, liveCounts, type ServiceTaskRecord } from './service-tasks.js';

const date = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

/** Deployments DescribeServices shows: PRIMARY first, then ACTIVE ones (INACTIVE ones are history). */
export const liveDeployments = (s: ServiceRecord) => s.deployments.filter((d) => d.status !== 'INACTIVE');

/** What DescribeServices shows of one deployment's tasks (superseded ones never count). */
export interface DeploymentFacts {
  running: number;
  pending: number;
  /** Not STOPPED and still wanted (isLive): an older deployment's requested count. */
  live: number;
  /** failedTasks: failures since the breaker was last reset. */
  failed: number;
}

/** The facts of each deployment, computed from the service's task records. */
export function factsFromTasks(tasks: ServiceTaskRecord[]): (d: DeploymentRecord) => DeploymentFacts {
  return (d) => {
    const mine = tasks.filter((t) => t.startedBy === d.id);
    return { ...liveCounts(mine), live: mine.filter(isLive).length, failed: failuresOf(d, mine).length };
  };
}

export function renderService(scope: Scope, s: ServiceRecord, tasksOrFacts: ServiceTaskRecord[] | ((d: DeploymentRecord) => DeploymentFacts),
  includeTags = false): Service {
  const factsOf = typeof tasksOrFacts === 'function' ? tasksOrFacts : factsFromTasks(tasksOrFacts);
  const facts = new Map(s.deployments.map((d) => [d.id, factsOf(d)]));
  const counts = { running: 0, pending: 0 };
  for (const f of facts.values()) { counts.running += f.running; counts.pending += f.pending; }
  const live = s.status === 'INACTIVE' ? [] : liveDeployments(s);
  const primary = live.find((d) => d.status === 'PRIMARY');
  return {
    serviceArn: s.serviceArn,
    serviceName: s.serviceName,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: counts.running,
    pendingCount: counts.pending,
    launchType: s.launchType,
    capacityProviderStrategy: s.capacityProviderStrategy,
    platformVersion: s.platformVersion,
    taskDefinition: s.taskDefinition,
    deploymentConfiguration: s.deploymentConfiguration,
    deployments: live.map((d) => renderDeployment(s, d, facts.get(d.id)!)),
    roleArn: s.roleArn,
    events: s.events.map((e): ServiceEvent => ({ id: e.id, createdAt: new Date(e.createdAt), message: e.message })),
    createdAt: new Date(s.createdAt),
    currentServiceDeployment: primary ? serviceDeploymentArn(scope, s.cluster, s.serviceName, primary.serviceDeploymentId) : undefined,
    currentServiceRevisions: live.map((d) => {
      const c = facts.get(d.id)!;
      return { arn: serviceRevisionArn(scope, s.cluster, s.serviceName, d.serviceRevisionId),
        requestedTaskCount: requested(s, d, c), runningTaskCount: c.running, pendingTaskCount: c.pending };
    }),
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    networkConfiguration: s.networkConfiguration,
    healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
    schedulingStrategy: s.schedulingStrategy,
    deploymentController: s.deploymentController,
    tags: includeTags ? s.tags : undefined,
    createdBy: s.createdBy,
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: s.enableExecuteCommand,
    availabilityZoneRebalancing: s.availabilityZoneRebalancing as Service['availabilityZoneRebalancing'],
  };
}

/** The PRIMARY deployment wants the service's desired count; an older one, the tasks it still runs. */
function requested(s: ServiceRecord, d: DeploymentRecord, facts: DeploymentFacts): number {
  return d.status === 'PRIMARY' ? s.desiredCount : facts.live;
}

export function renderDeployment(s: ServiceRecord, d: DeploymentRecord, counts: DeploymentFacts): Deployment {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: requested(s, d, counts),
    pendingCount: counts.pending,
    runningCount: counts.running,
    failedTasks: counts.failed,
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.updatedAt),
    capacityProviderStrategy: d.capacityProviderStrategy,
    launchType: d.launchType,
    platformVersion: d.platformVersion,
    networkConfiguration: d.networkConfiguration,
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

/** The classic deployments that make up one service deployment: its own, and its rollback's. */
const partsOf = (s: ServiceRecord, id: string) => s.deployments.filter((d) => d.serviceDeploymentId === id);

/** Service deployments, newest first (a rollback belongs to the deployment it undoes). */
export const serviceDeployments = (s: ServiceRecord) => s.deployments.filter((d) => !d.rollbackOf);

export function renderServiceDeploymentBrief(scope: Scope, s: ServiceRecord, d: DeploymentRecord): ServiceDeploymentBrief {
  return {
    serviceDeploymentArn: serviceDeploymentArn(scope, s.cluster, s.serviceName, d.serviceDeploymentId),
    serviceArn: s.serviceArn,
    clusterArn: s.clusterArn,
    startedAt: date(d.startedAt),
    createdAt: new Date(d.createdAt),
    finishedAt: date(d.finishedAt),
    targetServiceRevisionArn: serviceRevisionArn(scope, s.cluster, s.serviceName, d.serviceRevisionId),
    status: d.deploymentStatus,
    statusReason: d.statusReason,
  };
}

export function renderServiceDeployment(scope: Scope, s: ServiceRecord, d: DeploymentRecord, tasks: ServiceTaskRecord[]): ServiceDeployment {
  const revisionArn = (id: string) => serviceRevisionArn(scope, s.cluster, s.serviceName, id);
  const summary = (revisionId: string) => {
    const deployments = s.deployments.filter((x) => x.serviceRevisionId === revisionId);
    const mine = tasks.filter((t) => deployments.some((x) => x.id === t.startedBy));
    const c = liveCounts(mine);
    const requestedCount = deployments.reduce((n, x) => n + (x.status === 'INACTIVE' ? 0 : requested(s, x, factsFromTasks(tasks)(x))), 0);
    return { arn: revisionArn(revisionId), requestedTaskCount: requestedCount, runningTaskCount: c.running, pendingTaskCount: c.pending };
  };
  const breaker = d.deploymentConfiguration.deploymentCircuitBreaker;
  const own = partsOf(s, d.serviceDeploymentId).filter((x) => !x.rollbackOf);
  const failures = own.reduce((n, x) => n + failuresOf(x, tasks).length, 0);
  const finished = d.deploymentStatus !== 'IN_PROGRESS' && d.deploymentStatus !== 'PENDING';
  return {
    ...renderServiceDeploymentBrief(scope, s, d),
    stoppedAt: date(d.stoppedAt),
    updatedAt: new Date(d.updatedAt),
    sourceServiceRevisions: d.sourceRevisionIds.map(summary),
    targetServiceRevision: summary(d.serviceRevisionId),
    deploymentConfiguration: d.deploymentConfiguration,
    rollback: d.rollback && { reason: d.rollback.reason, startedAt: new Date(d.rollback.startedAt), serviceRevisionArn: revisionArn(d.rollback.serviceRevisionId) },
    deploymentCircuitBreaker: {
      status: !breaker?.enable ? 'DISABLED' : d.rolloutState === 'FAILED' ? 'TRIGGERED' : finished ? 'MONITORING_COMPLETE' : 'MONITORING',
      failureCount: failures,
      threshold: breakerThreshold(d.deploymentConfiguration, s.desiredCount),
    },
    alarms: { status: 'DISABLED', alarmNames: [], triggeredAlarmNames: [] },
  };
}

export function renderServiceRevision(scope: Scope, s: ServiceRecord, d: DeploymentRecord, def: TaskDefinition | undefined): ServiceRevision {
  const containerImages: ContainerImage[] = (def?.containerDefinitions ?? []).map((c) => ({ containerName: c.name, image: c.image }));
  return {
    serviceRevisionArn: serviceRevisionArn(scope, s.cluster, s.serviceName, d.serviceRevisionId),
    serviceArn: s.serviceArn,
    clusterArn: s.clusterArn,
    taskDefinition: d.taskDefinition,
    capacityProviderStrategy: d.capacityProviderStrategy,
    launchType: d.launchType,
    platformVersion: d.platformVersion,
    loadBalancers: d.loadBalancers ?? [],
    serviceRegistries: d.serviceRegistries ?? [],
    networkConfiguration: d.networkConfiguration,
    containerImages,
    guardDutyEnabled: false,
    createdAt: new Date(d.createdAt),
  };
}
