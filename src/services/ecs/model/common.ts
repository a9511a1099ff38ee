// Pieces every ECS resource file shares: the record collections (one key layout for all of ECS),
// ARNs, cluster lookup, and ECS's error names.
import type {
  CapacityProvider, Cluster, ContainerInstance, PlacementConstraint, PlacementStrategy, Service, Setting, Task, TaskDefinition,
} from '@aws-sdk/client-ecs';
import { arn, parseArn } from '../../../common/arn.js';
import { AwsError } from '../../../common/errors.js';
import { Records, type Scope, type Versioned } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import type { Store } from '../../../store/types.js';

/** Stored ECS records. Key layout (under /ecs/<account>/<region>/):
 *  clusters/<name> · task-definitions/<family>/<revision, 10 digits> · task-definition-families/<family>
 *  container-instances/<cluster>/<id> (remaining resources apart: instance-resources/<cluster>/<id>,
 *  instance-resources.ts) · tasks/<cluster>/<id> · services/<cluster>/<name>
 *  capacity-providers/<name> · account-settings/<principalArn>/<name> */
/** When an instance's agent was last heard from (`<cluster>/<id>`). */
export interface Liveness { lastHeartbeatAt: string }

export function ecsRecords(store: Store) {
  return {
    clusters: new Records<Cluster>(store, 'ecs', 'clusters'),
    taskDefinitions: new Records<TaskDefinition>(store, 'ecs', 'task-definitions'),
    families: new Records<FamilyRecord>(store, 'ecs', 'task-definition-families'),
    containerInstances: new Records<ContainerInstanceRecord>(store, 'ecs', 'container-instances'),
    /** Agent liveness, apart from the instance record (model/liveness.ts). */
    liveness: new Records<Liveness>(store, 'ecs', 'liveness'),
    tasks: new Records<TaskRecord>(store, 'ecs', 'tasks'),
    services: new Records<Service>(store, 'ecs', 'services'),
    capacityProviders: new Records<CapacityProvider>(store, 'ecs', 'capacity-providers'),
    accountSettings: new Records<Setting>(store, 'ecs', 'account-settings'),
  };
}

/** Per family: the last revision handed out (revisions are never reused, even after delete). */
export interface FamilyRecord {
  family: string;
  lastRevision: number;
  /** How many revisions are ACTIVE (task-definition-index.ts keeps the family-status index by it). */
  activeRevisions?: number;
  /** The newest ACTIVE revision (0: none): DescribeTaskDefinition by family reads it instead of a
   *  descending range, which etcd serves in O(range). Absent on records of an older Berth. */
  latestActive?: number;
}

/** A container instance as ECS shows it, plus what only Berth needs (agent endpoint, heartbeat). */
export interface ContainerInstanceRecord extends ContainerInstance {
  /** Time of the agent's last message (ISO); drives agentConnected with the grace period. */
  lastHeartbeatAt?: string;
  /** The address the agent binds host ports on (its --ip). */
  agentIp?: string;
  /** Devices (GPUs) the agent registered; not part of the ContainerInstance wire shape. */
  platformDevices?: { id?: string; type?: string }[];
}

/** A task as ECS shows it, plus scheduler bookkeeping. */
export interface TaskRecord extends Task {
  /** Bumped on every desired-state change, so agents can order PayloadMessages. */
  generation?: number;
  /** What placement took from the instance's remainingResources (given back once, at STOPPED). */
  reservation?: TaskReservation;
  /** RunTask's idempotency token. */
  clientToken?: string;
  /** Placement asked for at RunTask (kept for the placement engine; not part of ECS's Task shape). */
  placement?: {
    constraints?: PlacementConstraint[];
    strategy?: PlacementStrategy[];
    /** How the instance was chosen (see placement-plan.ts): the engine over the cluster (RunTask,
     *  services), named by the caller (StartTask), or a caller's own pick. */
    by?: 'engine' | 'named' | 'pick';
    /** The strategy tiers in effect, e.g. ["spread(attribute:ecs.availability-zone)", "binpack(memory)"]. */
    tiers?: string[];
    /** The chosen instance's rank tuple, one number per tier before a random one (lower wins). */
    rank?: number[];
    /** The task group placement counted (spread, distinctInstance, task:group). */
    group?: string;
  };
}

/** Resources a task holds on its container instance (see task-launch.ts). */
export interface TaskReservation { cpu: number; memory: number; ports: number[]; portsUdp: number[]; released?: boolean }

export const db = (ctx: RequestContext) => ecsRecords(ctx.app.store);

export const ecsArn = (ctx: RequestContext, resource: string) => arn('ecs', ctx.region, ctx.account, resource);

export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);
export const clientException = (message: string) => new AwsError('ClientException', message);
export const clusterNotFound = () => new AwsError('ClusterNotFoundException', 'Cluster not found.');

/** The longest identifier (name or ARN) a request may give: AWS ARNs are at most 2048 characters.
 *  Longer input is refused without being echoed back. */
export const MAX_IDENTIFIER = 2048;

export function checkIdentifierLength(what: string, value: string) {
  if (value.length > MAX_IDENTIFIER) throw invalidParameter(`The ${what} identifier is ${value.length} characters long; at most ${MAX_IDENTIFIER} are allowed.`);
}

/** A cluster given by name or ARN (default: "default") → its name. */
export function clusterName(value: string | undefined): string {
  if (value === undefined || value === '') return 'default';
  checkIdentifierLength('cluster', value);
  if (value.startsWith('arn:')) {
    const parsed = parseArn(value);
    const m = parsed && parsed.service === 'ecs' ? /^cluster\/(.+)$/.exec(parsed.resource) : null;
    if (!m) throw invalidParameter(`Invalid cluster ARN: ${value}`);
    return m[1];
  }
  return value;
}

/** Like clusterName, but undefined for the ARN of another account's or region's cluster, which
 *  a caller can never see (it must not resolve to the caller's own cluster of the same name). */
export function ownClusterName(scope: Scope, value: string | undefined): string | undefined {
  const name = clusterName(value);
  const parsed = value?.startsWith('arn:') ? parseArn(value) : undefined;
  return parsed && (parsed.account !== scope.account || parsed.region !== scope.region) ? undefined : name;
}

/** The ACTIVE cluster a request names, or ClusterNotFoundException. */
export async function activeCluster(ctx: RequestContext, value: string | undefined): Promise<Cluster> {
  return (await activeClusterVersioned(ctx, value)).value;
}

/** activeCluster with the store revision it was read at (the compare of cluster-fence.ts). */
export async function activeClusterVersioned(ctx: RequestContext, value: string | undefined): Promise<Versioned<Cluster>> {
  const name = ownClusterName(ctx, value);
  const cluster = name === undefined ? undefined : await db(ctx).clusters.getVersioned(ctx, name);
  if (!cluster || cluster.value.status !== 'ACTIVE') throw clusterNotFound();
  return cluster;
}

/** The characters ECS allows in tag keys and values. */
export const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Validates the tags of a request the way ECS does (at most 50, key 1–128, value 0–256, no aws: prefix). */
export function checkTags(tags: { key?: string; value?: string }[] | undefined) {
  if (!tags) return;
  if (tags.length > 50) throw invalidParameter('Too many tags: a resource can have at most 50 tags.');
  for (const t of tags) {
    if (!t.key || t.key.length > 128) throw invalidParameter(`Tag key must be 1 to 128 characters long: '${t.key ?? ''}'`);
    if ((t.value ?? '').length > 256) throw invalidParameter(`Tag value must be at most 256 characters long (key '${t.key}')`);
    if (t.key.toLowerCase().startsWith('aws:')) throw invalidParameter(`Tag keys beginning with 'aws:' are reserved: '${t.key}'`);
    if (!TAG_CHARS.test(t.key) || !TAG_CHARS.test(t.value ?? '')) {
      throw invalidParameter(`Tag key and value may contain only letters, numbers, spaces and _ . : / = + - @ (key '${t.key}')`);
    }
  }
}

export const nowIso = (ctx: RequestContext) => ctx.app.clock.now().toISOString();
