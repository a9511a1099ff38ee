// Services as records: the stored shape (service, its deployments, its events), ARNs and ids,
// deployment-configuration defaults, and the pure steps every writer shares (a new deployment,
// an event). Stored at services/<cluster>/<name>; rendered for the wire by service-view.ts.
import type {
  CapacityProviderStrategyItem, DeploymentConfiguration, LaunchType, LoadBalancer, NetworkConfiguration,
  PlacementConstraint, PlacementStrategy, ServiceDeploymentStatus, ServiceRegistry, Tag,
} from '@aws-sdk/client-ecs';
import { arn, parseArn } from '../../../common/arn.js';
import type { Ids } from '../../../common/ids.js';
import { Records, type Scope } from '../../../common/records.js';
import type { Store } from '../../../store/types.js';
import { checkIdentifierLength, invalidParameter } from './common.js';

export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';
export type SchedulingStrategy = 'REPLICA' | 'DAEMON';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One deployment (ECS's `Deployment`) with what the newer service-deployment API shows of it. */
export interface DeploymentRecord {
  /** ecs-svc/<19 digits>: the startedBy of the deployment's tasks. */
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers?: LoadBalancer[];
  serviceRegistries?: ServiceRegistry[];
  createdAt: string;
  updatedAt: string;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** Circuit breaker with resetOnHealthyTask: failures before this instant (ISO) no longer count. */
  breakerResetAt?: string;
  /** The service deployment (newer API) this deployment belongs to; a rollback shares the failed one's. */
  serviceDeploymentId: string;
  /** The service revision: this deployment's configuration. */
  serviceRevisionId: string;
  /** Set on a deployment started by the circuit breaker: the id of the deployment it rolls back. */
  rollbackOf?: string;
  /** Service-deployment state (ListServiceDeployments/DescribeServiceDeployments). */
  deploymentStatus: ServiceDeploymentStatus;
  statusReason?: string;
  sourceRevisionIds: string[];
  startedAt?: string;
  finishedAt?: string;
  stoppedAt?: string;
  rollback?: { reason: string; startedAt: string; serviceRevisionId: string };
  /** The deployment configuration in force when the deployment started. */
  deploymentConfiguration: DeploymentConfiguration;
}

export interface EventRecord { id: string; createdAt: string; message: string }

/** A stored service. Counts are not stored: they are derived from the task records when rendered. */
export interface ServiceRecord {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  /** The cluster's name (key part). */
  cluster: string;
  status: ServiceStatus;
  desiredCount: number;
  schedulingStrategy: SchedulingStrategy;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  /** The PRIMARY deployment's task definition ARN. */
  taskDefinition: string;
  deploymentConfiguration: DeploymentConfiguration;
  deploymentController: { type: 'ECS' };
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  roleArn?: string;
  tags: Tag[];
  enableECSManagedTags: boolean;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand: boolean;
  availabilityZoneRebalancing?: string;
  createdAt: string;
  createdBy: string;
  clientToken?: string;
  /** Newest first: PRIMARY, ACTIVE ones, then the most recent INACTIVE ones (history). */
  deployments: DeploymentRecord[];
  /** Newest first, at most MAX_EVENTS. */
  events: EventRecord[];
  /** When the service last reached a steady state (cleared when it leaves it). */
  steadyAt?: string;
  /** When the last "has reached a steady state." event was written (repeated every 6 hours). */
  steadyEventAt?: string;
}

export const MAX_EVENTS = 100;
/** INACTIVE deployments kept for ListServiceDeployments, rollback and DescribeServiceRevisions. */
export const MAX_HISTORY = 25;
/** ECS repeats a steady-state event, and an unchanged warning, at most every 6 hours. */
export const REPEAT_EVENT_MS = 6 * 3600_000;

export const serviceRecords = (store: Store) => new Records<ServiceRecord>(store, 'ecs', 'services');
export const serviceKey = (cluster: string, name: string) => `${cluster}/${name}`;
export const serviceGroup = (name: string) => `service:${name}`;

const arnOf = (scope: Scope, resource: string) => arn('ecs', scope.region, scope.account, resource);
export const serviceArn = (scope: Scope, cluster: string, name: string) => arnOf(scope, `service/${cluster}/${name}`);
export const serviceDeploymentArn = (scope: Scope, cluster: string, name: string, id: string) =>
  arnOf(scope, `service-deployment/${cluster}/${name}/${id}`);
export const serviceRevisionArn = (scope: Scope, cluster: string, name: string, id: string) =>
  arnOf(scope, `service-revision/${cluster}/${name}/${id}`);

export const SERVICE_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

/** A service given by name or ARN (long `service/<cluster>/<name>` or old `service/<name>`). */
export function parseServiceRef(ref: string): { name: string; cluster?: string } {
  checkIdentifierLength('service', ref);
  if (!ref.startsWith('arn:')) return { name: ref };
  const parsed = parseArn(ref);
  const m = parsed && parsed.service === 'ecs' ? /^service\/(?:([^/]+)\/)?([^/]+)$/.exec(parsed.resource) : null;
  if (!m) throw invalidParameter(`Invalid service ARN: ${ref}`);
  return { name: m[2], cluster: m[1] };
}

/** A service-deployment or service-revision ARN → its parts; undefined when it is neither. */
export function parseChildArn(kind: 'service-deployment' | 'service-revision', ref: string):
  { scope: Scope; cluster: string; service: string; id: string } | undefined {
  const parsed = parseArn(ref);
  const m = parsed && parsed.service === 'ecs' ? new RegExp(`^${kind}/([^/]+)/([^/]+)/([^/]+)$`).exec(parsed.resource) : null;
  return parsed && m ? { scope: { account: parsed.account, region: parsed.region }, cluster: m[1], service: m[2], id: m[3] } : undefined;
}

/** n random decimal digits, the first not 0. */
export function digits(ids: Ids, n: number): string {
  let out = String(1 + Math.floor(ids.random() * 9));
  while (out.length < n) out += String(Math.floor(ids.random() * 10));
  return out;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base62 = (ids: Ids, n: number) => Array.from({ length: n }, () => BASE62[Math.floor(ids.random() * 62)]).join('');

export const newDeploymentId = (ids: Ids) => `ecs-svc/${digits(ids, 19)}`;

/** Deployment configuration with ECS's defaults filled in (REPLICA 100/200, DAEMON 0/100; breaker off). */
export function withDefaults(config: DeploymentConfiguration | undefined, strategy: SchedulingStrategy): DeploymentConfiguration {
  const daemon = strategy === 'DAEMON';
  return {
    ...config,
    deploymentCircuitBreaker: config?.deploymentCircuitBreaker ?? { enable: false, rollback: false },
    maximumPercent: config?.maximumPercent ?? (daemon ? 100 : 200),
    minimumHealthyPercent: config?.minimumHealthyPercent ?? (daemon ? 0 : 100),
  };
}

/** What a deployment runs: the parts of the service that start a new deployment when changed. */
export type Revision = Pick<DeploymentRecord,
  'taskDefinition' | 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'networkConfiguration' | 'loadBalancers' | 'serviceRegistries'>;

export const revisionOf = (s: ServiceRecord): Revision => ({
  taskDefinition: s.taskDefinition, launchType: s.launchType, capacityProviderStrategy: s.capacityProviderStrategy,
  platformVersion: s.platformVersion, networkConfiguration: s.networkConfiguration, loadBalancers: s.loadBalancers,
  serviceRegistries: s.serviceRegistries,
});

/** A new deployment of `revision`, IN_PROGRESS. */
export function newDeployment(ids: Ids, now: string, revision: Revision, config: DeploymentConfiguration,
  extra: { sourceRevisionIds: string[]; rollbackOf?: DeploymentRecord; reuseRevisionId?: string }): DeploymentRecord {
  const id = newDeploymentId(ids);
  return {
    ...revision,
    id,
    status: 'PRIMARY',
    createdAt: now,
    updatedAt: now,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    serviceDeploymentId: extra.rollbackOf?.serviceDeploymentId ?? base62(ids, 21),
    serviceRevisionId: extra.reuseRevisionId ?? digits(ids, 19),
    rollbackOf: extra.rollbackOf?.id,
    deploymentStatus: 'IN_PROGRESS',
    sourceRevisionIds: extra.sourceRevisionIds,
    startedAt: now,
    deploymentConfiguration: config,
  };
}

/** Makes `next` the PRIMARY deployment: the previous live ones become ACTIVE (an unfinished one
 *  stops, in the newer API's terms). History beyond MAX_HISTORY INACTIVE deployments is dropped. */
export function pushDeployment(service: ServiceRecord, next: DeploymentRecord, now: string): DeploymentRecord[] {
  const older = service.deployments.map((d): DeploymentRecord => {
    if (d.status !== 'PRIMARY') return d;
    const unfinished = d.deploymentStatus === 'IN_PROGRESS' || d.deploymentStatus === 'PENDING';
    return {
      ...d, status: 'ACTIVE', updatedAt: now,
      ...(unfinished && !d.rollbackOf ? { deploymentStatus: 'STOPPED' as const, stoppedAt: now,
        statusReason: `Service deployment stopped: a new deployment (${next.id}) replaced it.` } : {}),
    };
  });
  return trimHistory([next, ...older]);
}

export function trimHistory(deployments: DeploymentRecord[]): DeploymentRecord[] {
  let inactive = 0;
  return deployments.filter((d) => d.status !== 'INACTIVE' || ++inactive <= MAX_HISTORY);
}

export const primaryOf = (s: ServiceRecord): DeploymentRecord | undefined => s.deployments.find((d) => d.status === 'PRIMARY');

/** The service with `messages` added as events (oldest of them first), newest first, capped. */
export function withEvents(service: ServiceRecord, messages: string[], ids: Ids, now: string): ServiceRecord {
  if (messages.length === 0) return service;
  const added = messages.map((message) => ({ id: ids.uuid(), createdAt: now, message })).reverse();
  return { ...service, events: [...added, ...service.events].slice(0, MAX_EVENTS) };
}

/** True if the warning `message` was said less than 6 hours ago and nothing has changed since (no
 *  task started, no steady state): ECS omits duplicate warnings until the cause is resolved or
 *  6 hours pass. */
export function recentlySaid(service: ServiceRecord, message: string, now: Date): boolean {
  for (const e of service.events) {
    if (e.message === message) return now.getTime() - Date.parse(e.createdAt) < REPEAT_EVENT_MS;
    if (/ has started \d+ tasks:| has reached a steady state\./.test(e.message)) return false;
  }
  return false;
}

/** "(service web)" — how every service event begins. */
export const said = (service: ServiceRecord) => `(service ${service.serviceName})`;
export const taskList = (ids: string[]) => ids.map((id) => `(task ${id})`).join(' ');
