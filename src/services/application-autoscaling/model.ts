// Application Auto Scaling records. Berth scales `ecs:service:DesiredCount` (resource id
// `service/<cluster>/<service>`). Keys, per account and region:
//   target/<ns>|<resource>|<dimension>              TargetRecord
//   policy/<ns>|<resource>|<dimension>|<name>        ScalingPolicy (SDK shape, dates as ISO)
//   scheduled/<ns>|<resource>|<dimension>|<name>     ScheduledAction (SDK shape)
//   activity/<ns>|<resource>|<dimension>/<inverted time>:<id>   ScalingActivity, newest first
// and one global index key per target (/application-autoscaling/_index/<acct>/<region>/<id>) so the
// scaler visits targets without scanning other keys.
import type { ScalableDimension, ScalingPolicy, ScheduledAction, ServiceNamespace, SuspendedState } from '@aws-sdk/client-application-auto-scaling';
import { AwsError } from '../../common/errors.js';
import { Records, recordKey, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';

export const SVC = 'application-autoscaling';

export interface TargetRecord {
  ServiceNamespace: ServiceNamespace;
  ResourceId: string;
  ScalableDimension: ScalableDimension;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: string;
  SuspendedState: SuspendedState;
  ScalableTargetARN: string;
  /** When the last scale-out / scale-in finished (cooldowns), epoch ms. */
  lastScaleOut?: number;
  lastScaleIn?: number;
  /** Per step-scaling policy: when it last ran (its cooldown), epoch ms. */
  policyRuns?: Record<string, number>;
}

export type PolicyRecord = Omit<ScalingPolicy, 'CreationTime'> & { CreationTime: string };
export type ScheduledRecord = Omit<ScheduledAction, 'CreationTime' | 'StartTime' | 'EndTime'> & {
  CreationTime: string; StartTime?: string; EndTime?: string;
  /** The last time (epoch ms) the action ran, so each occurrence runs once. */
  lastRun?: number;
};

export const targetId = (ns: string, resource: string, dim: string) => `${ns}|${resource}|${dim}`;
export const targets = (store: Store) => new Records<TargetRecord>(store, SVC, 'target');
export const policies = (store: Store) => new Records<PolicyRecord>(store, SVC, 'policy');
export const scheduled = (store: Store) => new Records<ScheduledRecord>(store, SVC, 'scheduled');
export const TARGET_INDEX = `/${SVC}/_index/target/`;
export const targetIndexKey = (scope: Scope, id: string) => `${TARGET_INDEX}${scope.account}/${scope.region}/${id}`;
export const activityPrefix = (scope: Scope, id: string) => recordKey(SVC, scope, 'activity', `${id}/`);

export const validation = (message: string) => new AwsError('ValidationException', message);
export const notFound = (message: string) => new AwsError('ObjectNotFoundException', message);

/** Berth scales ECS services' desired count. */
export function checkTarget(ns: string | undefined, resource: string | undefined, dim: string | undefined) {
  if (ns !== 'ecs') throw validation(`Unsupported service namespace ${ns}: Berth scales ecs only`);
  if (dim !== 'ecs:service:DesiredCount') throw validation(`Unsupported scalable dimension ${dim} for service namespace ecs`);
  if (!resource || !/^service\/[^/]+\/[^/]+$/.test(resource)) {
    throw validation(`Unsupported resource ID ${resource}: ECS resource IDs are service/<cluster name>/<service name>`);
  }
}

/** The ECS cluster and service a resource id names. */
export function serviceOf(resource: string) {
  const [, cluster, service] = resource.split('/');
  return { cluster, service };
}

export async function requireTarget(store: Store, scope: Scope, id: string) {
  const t = await targets(store).getVersioned(scope, id);
  if (!t) {
    const [ns, resource, dim] = id.split('|');
    throw notFound(`No scalable target registered for service namespace: ${ns}, resource ID: ${resource}, scalable dimension: ${dim}`);
  }
  return t;
}
